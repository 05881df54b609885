# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

STATUSES = [
    ("new", "To create"),
    ("recompute", "Draft, recomputed"),
    ("frozen", "Frozen"),
]


class SalesperfCommissionCompute(models.TransientModel):
    """Compute a period's statements, after a preview that says, for every
    salesperson with a plan, what will be written and why a statement is
    empty or left alone."""

    _name = "salesperf.commission.compute"
    _description = "Compute Commission Statements"

    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(
        string="Period Of",
        required=True,
        default=lambda self: self._default_date(),
        help="Any day of the period: monthly plans compute its month, quarterly plans its quarter.",
    )
    line_ids = fields.One2many("salesperf.commission.compute.line", "wizard_id", readonly=True)
    previewed = fields.Boolean(readonly=True)

    @api.model
    def _default_date(self):
        """The last day of the company's previous month."""
        return self.env.company._salesperf_month_start() - timedelta(days=1)

    def _check(self):
        self.ensure_one()
        if self.company_id not in self.env.companies:
            raise UserError(_("Choose one of your companies."))

    def action_preview(self):
        self._check()
        rows = self.env["salesperf.commission.statement"]._preview_period(
            self.company_id, self.date
        )
        self.line_ids = [(5, 0, 0)] + [(0, 0, self._line_values(row)) for row in rows]
        self.previewed = True
        return self._reopen()

    def action_compute(self):
        self._check()
        Statement = self.env["salesperf.commission.statement"]
        rows = Statement._compute_period(self.company_id, self.date)
        if not rows:
            raise UserError(
                _(
                    "No salesperson of %(company)s has a commission plan in use on %(date)s: "
                    "assign plans first.",
                    company=self.company_id.name,
                    date=self.date,
                )
            )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "salesperf_odoo.salesperf_commission_statement_action"
        )
        action["domain"] = [("id", "in", [row["statement"].id for row in rows if row["statement"]])]
        action["context"] = {}
        return action

    def _line_values(self, row):
        values = row.get("values") or {}
        return {
            "user_id": row["user"].id,
            "plan_id": row["plan"].id,
            "period": row["period"].start.isoformat() + " – " + row["period"].end.isoformat(),
            "status": row["status"],
            "base_amount": values.get("base_amount", row["statement"].base_amount),
            "attainment": values.get("attainment", row["statement"].attainment),
            "total_amount": sum(line["amount"] for line in row["lines"])
            if row["status"] != "frozen"
            else row["statement"].total_amount,
            "line_count": len(row["lines"]),
            "reason": row["reason"],
        }

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("Compute Commissions"),
        }


class SalesperfCommissionComputeLine(models.TransientModel):
    _name = "salesperf.commission.compute.line"
    _description = "Commission Computation Preview"
    _order = "user_id"

    wizard_id = fields.Many2one("salesperf.commission.compute", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    user_id = fields.Many2one("res.users", string="Salesperson")
    plan_id = fields.Many2one("salesperf.commission.plan")
    period = fields.Char()
    status = fields.Selection(STATUSES)
    base_amount = fields.Monetary(string="Commissionable Amount")
    attainment = fields.Float(string="Attainment (%)", digits=(16, 2))
    total_amount = fields.Monetary(string="Total Payable")
    line_count = fields.Integer(string="Lines")
    reason = fields.Char(string="Note")


class SalesperfCommissionCorrection(models.TransientModel):
    """A manual correction of a closed statement, posted as an adjustment of
    the salesperson's next open statement, with its reason."""

    _name = "salesperf.commission.correction"
    _description = "Correct a Commission Statement"

    statement_id = fields.Many2one(
        "salesperf.commission.statement", string="Statement to Correct", required=True
    )
    currency_id = fields.Many2one(related="statement_id.currency_id")
    amount = fields.Monetary(required=True, help="Positive: paid too little; negative: too much.")
    reason = fields.Char(required=True)

    def action_apply(self):
        self.ensure_one()
        self.statement_id._add_correction(self.amount, self.reason)
        return {"type": "ir.actions.act_window_close"}
