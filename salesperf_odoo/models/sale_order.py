# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import api, fields, models


class SaleOrder(models.Model):
    """What confirming the quotation would add to its salesperson's
    commission and attainment, under their current plan (computed when
    read, for the readers of the salesperson's commission only)."""

    _inherit = "sale.order"

    salesperf_company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    salesperf_commission_estimate = fields.Monetary(
        string="Commission If Won",
        currency_field="salesperf_company_currency_id",
        compute="_compute_salesperf_commission_estimate",
        help="What confirming the quotation today would add to the salesperson's commission "
        "of the current period, under their current plan (untaxed amount and margin in the "
        "company currency at the quotation's rate, the salesperson's split share).",
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
        "state",
        "user_id",
        "company_id",
        "partner_id",
        "currency_rate",
        "order_line.price_subtotal",
        "order_line.margin",
        "order_line.product_id",
        "salesperf_split_ids.user_id",
        "salesperf_split_ids.share",
    )
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_salesperf_commission_estimate(self):
        self.env["salesperf.commission.estimate"]._estimate_fill(
            self, lambda order: order._salesperf_estimate_deal()
        )

    def _salesperf_estimate_deal(self):
        """``((salesperson, company), kwargs of the plan)`` of the quotation,
        or ``None`` when there is nothing to estimate (confirmed or cancelled,
        nobody's, the salesperson not in its split, no line)."""
        self.ensure_one()
        if self.state not in ("draft", "sent") or not self.user_id or not self.company_id:
            return None
        share = 1.0
        if self.salesperf_split_ids:
            split = self.salesperf_split_ids.filtered(lambda line: line.user_id == self.user_id)
            if not split:
                return None
            share = split[0].share / 100.0
        lines = self._salesperf_deal_lines()
        if not lines:
            return None
        kwargs = {
            "amount": None,
            "lines": lines,
            "partner": self.partner_id,
            "share": share,
            "key": f"sale.order,{self._origin.id or 'new'}",
        }
        return (self.user_id, self.company_id), lambda plan: kwargs

    def _salesperf_deal_lines(self):
        """The quotation's lines as the sales facts will count them once it
        is confirmed: no sections, notes or down payments; revenue (untaxed)
        and margin in the company currency at the quotation's rate."""
        self.ensure_one()
        rate = self.currency_rate or 1.0
        return [
            {
                "revenue": line.price_subtotal / rate,
                "margin": line.margin / rate,
                "product_id": line.product_id.id,
                "categ_id": line.product_id.categ_id.id,
            }
            for line in self.order_line
            if not line.display_type and not line.is_downpayment
        ]
