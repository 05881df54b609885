# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import api, fields, models


class CrmLead(models.Model):
    """The customer's Customer 360, a click away from its opportunities.

    Computed when read from the customer's commercial entity (never stored:
    the pipeline's performance does not change), and only for the users who
    may see that customer (see ``res.partner._salesperf_customer_360_visible``).
    """

    _inherit = "crm.lead"

    salesperf_customer_360_allowed = fields.Boolean(
        string="May See Customer 360",
        compute="_compute_salesperf_customer_360",
        groups="salesperf_odoo.group_salesperf_user",
    )
    salesperf_customer_currency_id = fields.Many2one(
        "res.currency",
        string="Customer 360 Currency",
        compute="_compute_salesperf_customer_360",
        groups="salesperf_odoo.group_salesperf_user",
    )
    salesperf_customer_revenue_12m = fields.Monetary(
        string="Customer Revenue (12 months)",
        currency_field="salesperf_customer_currency_id",
        compute="_compute_salesperf_customer_360",
        groups="salesperf_odoo.group_salesperf_user",
        help="Untaxed revenue of the customer (its commercial entity) in the current company "
        "over the last 12 months up to today.",
    )

    @api.depends("partner_id.commercial_partner_id.user_id")
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_salesperf_customer_360(self):
        # reading a customer's figures computes them for every lead's customer at once
        for lead in self:
            customer = lead.partner_id.commercial_partner_id
            lead.salesperf_customer_360_allowed = customer.salesperf_customer_360_allowed
            lead.salesperf_customer_currency_id = self.env.company.currency_id
            lead.salesperf_customer_revenue_12m = (
                customer.salesperf_customer_revenue_12m if customer else 0.0
            )

    def action_open_salesperf_customer_360(self):
        """The Customer 360 of the opportunity's customer (its commercial entity)."""
        self.ensure_one()
        return self.partner_id.action_open_salesperf_customer_360()
