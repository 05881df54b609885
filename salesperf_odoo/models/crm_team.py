# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import _, api, fields, models

from .salesperf_target import PACING_STATUSES


class CrmTeam(models.Model):
    """The team's revenue target of the current month on its card and form,
    kept in step with Odoo's own monthly ``invoiced_target``.

    One goal, one target amount, two actuals each saying what it counts: the
    confirmed sales this target measures (orders, Point of Sale, imports,
    untaxed, in the company's time zone) next to Odoo's own "Invoicing" bar
    (paid invoices of the month), which sale shows to sales administrators.
    """

    _inherit = "crm.team"

    salesperf_target_id = fields.Many2one(
        "salesperf.target",
        string="Revenue Target This Month",
        compute="_compute_salesperf_target",
    )
    salesperf_target_amount = fields.Monetary(
        string="Monthly Revenue Target",
        compute="_compute_salesperf_target",
        currency_field="currency_id",
    )
    salesperf_actual = fields.Monetary(
        string="Confirmed Sales This Month",
        compute="_compute_salesperf_target",
        currency_field="currency_id",
        help="Untaxed amount of the sales confirmed this month (orders, Point of Sale, "
        "imported sales), in the company's time zone: what the team's revenue target "
        "counts. Odoo's Invoicing bar counts the paid invoices of the month.",
    )
    salesperf_attainment = fields.Float(
        string="Target Attainment (%)", compute="_compute_salesperf_target", digits=(16, 1)
    )
    salesperf_pacing_status = fields.Selection(
        PACING_STATUSES,
        string="Target Pacing",
        compute="_compute_salesperf_target",
    )

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_salesperf_target(self):
        targets = self.env["salesperf.target"]._current_team_revenue_targets(self)
        for team in self:
            team.salesperf_target_id = targets.get(team.id, False)
            team.salesperf_target_amount = team.salesperf_target_id.amount
            team.salesperf_actual = team.salesperf_target_id.actual
            team.salesperf_attainment = team.salesperf_target_id.attainment
            team.salesperf_pacing_status = team.salesperf_target_id.pacing_status

    def write(self, vals):
        res = super().write(vals)
        if "invoiced_target" in vals and not self.env.context.get("salesperf_target_sync"):
            self._salesperf_sync_target_from_invoiced_target()
        return res

    def _salesperf_sync_target_from_invoiced_target(self):
        """Odoo's monthly invoicing target changed: make the team's revenue
        target of the current month say the same."""
        Target = self.env["salesperf.target"].with_context(salesperf_target_sync=True)
        current = Target._current_team_revenue_targets(self)
        for team in self:
            company = team.company_id or self.env.company
            target = current.get(team.id)
            if not target:
                Target.create(
                    {
                        "scope": "team",
                        "team_id": team.id,
                        "metric": "revenue",
                        "period_kind": "month",
                        "date_from": company._salesperf_month_start(),
                        "amount": team.invoiced_target,
                        "company_id": company.id,
                    }
                )
            elif target.amount != team.invoiced_target:
                if target.state == "confirmed":
                    target._revise(
                        team.invoiced_target, _("Invoicing target changed on the sales team.")
                    )
                else:
                    target.amount = team.invoiced_target
