# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

#: How far the shares of an order may be from 100 (they are compared unrounded).
SHARE_TOLERANCE = 1e-6
#: Who may split an order's credit: those who may already give any order to
#: any salesperson (Sales' "All Documents"), and Sales Performance administrators.
SPLIT_EDITOR_GROUPS = (
    "sales_team.group_sale_salesman_all_leads",
    "salesperf_odoo.group_salesperf_manager",
)


class SalesperfCommissionSplit(models.Model):
    """One salesperson's share of the commission credit of a sale order.

    An order without split lines credits its salesperson with 100 %; an
    order with split lines credits each line's salesperson with its share
    instead, on the ordered basis and on the invoices and payments of the
    order. The shares of an order total exactly 100.

    The total is checked twice: on the order when its lines are written
    through it (the form saves every line at once), and on the lines
    themselves through :attr:`order_share_total`, recomputed once every
    line of a request is written: editing 60 / 40 into 50 / 50 line by line
    never meets the half-done 50 / 40.
    """

    _name = "salesperf.commission.split"
    _description = "Commission Split"
    _order = "order_id, share desc, id"
    _check_company_auto = True

    order_id = fields.Many2one(
        "sale.order", string="Sales Order", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        required=True,
        index=True,
        check_company=True,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
    )
    share = fields.Float(
        string="Share (%)",
        required=True,
        digits=(5, 2),
        default=100.0,
        help="Percentage of the order's commission credit given to this salesperson; the "
        "shares of an order total 100.",
    )
    order_share_total = fields.Float(
        string="Order Total Share (%)",
        compute="_compute_order_share_total",
        store=True,
        help="Sum of the shares of the order's split lines.",
    )

    _sql_constraints = [
        (
            "share_range",
            "CHECK(share > 0 AND share <= 100)",
            "A commission share is a percentage above 0 and at most 100.",
        ),
        (
            "order_user_uniq",
            "UNIQUE(order_id, user_id)",
            "A salesperson has one commission share per order: merge their lines.",
        ),
    ]

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("order_id.salesperf_split_ids.share")
    def _compute_order_share_total(self):
        for split in self:
            split.order_share_total = sum(split.order_id.salesperf_split_ids.mapped("share"))

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("order_share_total")
    def _check_order_share_total(self):
        self.order_id._check_salesperf_split_ids()


class SaleOrder(models.Model):
    _inherit = "sale.order"

    salesperf_split_ids = fields.One2many(
        "salesperf.commission.split",
        "order_id",
        string="Commission Split",
        copy=True,
        help="Salespeople sharing the commission credit of this order; without lines, the "
        "order's salesperson is credited with all of it.",
    )
    salesperf_can_edit_split = fields.Boolean(compute="_compute_salesperf_can_edit_split")

    @api.depends_context("uid")
    def _compute_salesperf_can_edit_split(self):
        # display only: the access rights of salesperf.commission.split decide
        can_edit = any(self.env.user.has_group(group) for group in SPLIT_EDITOR_GROUPS)
        for order in self:
            order.salesperf_can_edit_split = can_edit

    @api.constrains("salesperf_split_ids")
    def _check_salesperf_split_ids(self):
        """The shares of an order with split lines total exactly 100."""
        for order in self:
            splits = order.salesperf_split_ids
            if not splits:
                continue
            # unrounded: 33.33 + 33.33 + 33.34 is 100 up to the float's error
            total = sum(splits.mapped("share"))
            if abs(total - 100.0) > SHARE_TOLERANCE:
                raise ValidationError(
                    self.env._(
                        "The commission shares of order %(order)s total %(total)s %%: "
                        "they must total exactly 100 %%.",
                        order=order.display_name,
                        total=format(total, "g"),
                    )
                )
