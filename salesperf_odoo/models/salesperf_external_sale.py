# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..report.salesperf_sale_fact import CHANNELS


class SalesperfExternalSale(models.Model):
    """A sold line from outside Odoo: another shop, a marketplace, a sheet.

    Filled with Odoo's standard importer (CSV / XLSX). Every row is checked;
    the importer reports each failing row and imports nothing from a file
    that has errors. Amounts are in the row's currency and are converted to
    the company currency at the rate of the row's date.
    """

    _name = "salesperf.external.sale"
    _description = "Imported Sale Line"
    _order = "date desc, id desc"

    name = fields.Char(string="Order Reference", required=True, index=True)
    date = fields.Date(string="Order Date", required=True, index=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    channel = fields.Selection(CHANNELS, required=True, default="other")
    origin = fields.Char(string="Source", help="Shop, marketplace or file the line comes from.")
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        required=True,
        index=True,
        domain="[('share', '=', False)]",
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        compute="_compute_team_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    partner_id = fields.Many2one("res.partner", string="Customer", index=True)
    product_id = fields.Many2one("product.product", required=True)
    quantity = fields.Float(required=True, digits="Product Unit of Measure")
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self._default_currency_id()
    )
    price_subtotal = fields.Monetary(string="Untaxed Amount", required=True)
    cost = fields.Monetary(help="Cost of the goods sold, in the line's currency.")
    is_refund = fields.Boolean(
        string="Refund", help="Refund rows count negative, whatever the sign of their figures."
    )
    currency_rate = fields.Float(
        compute="_compute_currency_rate",
        store=True,
        digits=0,
        precompute=True,
        help="Units of the line's currency for one unit of company currency, on the line's date.",
    )

    def _default_currency_id(self):
        return self.env.company.currency_id

    @api.depends("user_id", "company_id")
    def _compute_team_id(self):
        for line in self:
            if not line.team_id and line.user_id:
                line.team_id = line.user_id.sale_team_id

    @api.depends("currency_id", "company_id", "date")
    def _compute_currency_rate(self):
        for line in self:
            if line.currency_id and line.company_id and line.date:
                line.currency_rate = self.env["res.currency"]._get_conversion_rate(
                    line.company_id.currency_id, line.currency_id, line.company_id, line.date
                )
            else:
                line.currency_rate = 1.0

    @api.constrains("quantity", "is_refund")
    def _check_quantity(self):
        for line in self:
            if line.quantity < 0 and not line.is_refund:
                raise ValidationError(
                    _(
                        "Line %(reference)s has a negative quantity (%(quantity)s) but is not "
                        "a refund: tick Refund or enter a positive quantity.",
                        reference=line.name,
                        quantity=line.quantity,
                    )
                )

    @api.constrains("company_id", "user_id", "team_id")
    def _check_company(self):
        for line in self:
            if line.user_id and line.company_id not in line.user_id.company_ids:
                raise ValidationError(
                    _(
                        "Salesperson %(user)s does not work for company %(company)s "
                        "(line %(reference)s).",
                        user=line.user_id.name,
                        company=line.company_id.name,
                        reference=line.name,
                    )
                )
            if line.team_id.company_id and line.team_id.company_id != line.company_id:
                raise ValidationError(
                    _(
                        "Sales team %(team)s belongs to another company (line %(reference)s).",
                        team=line.team_id.name,
                        reference=line.name,
                    )
                )
