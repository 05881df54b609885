# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import api, fields, models


class CrmLead(models.Model):
    """What winning the opportunity would add to its salesperson's
    commission and attainment, under their current plan.

    The figures are computed when read (never stored: opening a pipeline
    costs nothing more) and only for the readers of the salesperson's
    commission (see ``salesperf.commission.estimate``).
    """

    _inherit = "crm.lead"

    salesperf_commission_estimate = fields.Monetary(
        string="Commission If Won",
        currency_field="company_currency",
        compute="_compute_salesperf_commission_estimate",
        help="What winning the expected revenue today would add to the salesperson's "
        "commission of the current period, under their current plan.",
    )
    salesperf_attainment_before = fields.Float(
        string="Attainment (%)",
        compute="_compute_salesperf_commission_estimate",
        digits=(16, 1),
    )
    salesperf_attainment_after = fields.Float(
        string="Attainment If Won (%)",
        compute="_compute_salesperf_commission_estimate",
        digits=(16, 1),
    )
    salesperf_commission_shown = fields.Boolean(compute="_compute_salesperf_commission_estimate")
    salesperf_commission_has_target = fields.Boolean(
        compute="_compute_salesperf_commission_estimate"
    )
    salesperf_commission_note = fields.Char(compute="_compute_salesperf_commission_estimate")

    @api.depends(
        "type",
        "active",
        "probability",
        "user_id",
        "company_id",
        "partner_id",
        "expected_revenue",
        "order_ids.state",
        "order_ids.amount_untaxed",
        "order_ids.margin",
    )
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_salesperf_commission_estimate(self):
        self.env["salesperf.commission.estimate"]._estimate_fill(
            self, lambda lead: lead._salesperf_estimate_deal()
        )

    def _salesperf_estimate_deal(self):
        """``((salesperson, company), kwargs of the plan)`` of the deal, or
        ``None`` when there is nothing to estimate (not an open opportunity,
        nobody's, no revenue and no quotation): then nothing is read."""
        self.ensure_one()
        if self.type != "opportunity" or not self.active or self.probability >= 100:
            return None
        if not self.user_id:
            return None
        quotation = self._salesperf_estimate_quotation()
        if self.expected_revenue <= 0 and not quotation:
            return None
        key = f"crm.lead,{self._origin.id or 'new'}"

        def kwargs_of(plan):
            if plan.measure == "margin" and quotation:
                # the margin comes from the latest quotation sent or to send
                return {
                    "amount": None,
                    "lines": quotation._salesperf_deal_lines(),
                    "partner": self.partner_id,
                    "key": key,
                }
            if self.expected_revenue <= 0:
                return None
            return {
                "amount": self.expected_revenue,
                "margin": None,
                "partner": self.partner_id,
                "key": key,
            }

        return (self.user_id, self.company_id or self.env.company), kwargs_of

    def _salesperf_estimate_quotation(self):
        """The latest quotation of the opportunity still to be won."""
        quotations = self.order_ids.filtered_domain(self._get_lead_quotation_domain())
        return quotations.sorted(lambda order: (order.date_order, order._origin.id or 0))[-1:]
