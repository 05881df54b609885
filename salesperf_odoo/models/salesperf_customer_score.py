# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

RISK_STATUSES = [
    ("active", "Active"),
    ("at_risk", "At Risk"),
    ("churned", "Churned"),
]
METHODS = [
    ("bgnbd", "BG/NBD and Gamma-Gamma"),
    ("interval", "Usual interval (fallback)"),
]


class SalesperfCustomerSegment(models.Model):
    """A named RFM segment: the customers whose recency score R and mean of
    frequency and monetary scores (F + M) / 2 fall in its ranges. Segments are
    tried by sequence; the first that matches wins. A segment of a company
    applies to it alone; one without a company to every company that has no
    segment of its own."""

    _name = "salesperf.customer.segment"
    _description = "Customer Segment (RFM)"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    description = fields.Text(translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", help="Leave empty for a segment every company without its own uses."
    )
    color = fields.Integer()
    r_min = fields.Float(string="Recency Score From", default=1.0, required=True)
    r_max = fields.Float(string="Recency Score To", default=5.0, required=True)
    fm_min = fields.Float(string="Frequency-Monetary Score From", default=1.0, required=True)
    fm_max = fields.Float(string="Frequency-Monetary Score To", default=5.0, required=True)
    is_at_risk = fields.Boolean(
        string="Customers to Win Back",
        help='Customers of this segment are listed under "My customers at risk".',
    )

    @api.constrains("r_min", "r_max", "fm_min", "fm_max")
    def _check_ranges(self):
        for segment in self:
            if segment.r_min > segment.r_max or segment.fm_min > segment.fm_max:
                raise ValidationError(
                    _(
                        "Segment %(name)s: each range must start at or below its end.",
                        name=segment.name,
                    )
                )
            if min(segment.r_min, segment.fm_min) < 1:
                raise ValidationError(_("Segment %(name)s: scores start at 1.", name=segment.name))


class SalesperfCustomerScore(models.Model):
    """RFM scores, churn risk and lifetime value of one customer (commercial
    entity) in one company, as of a run date.

    One row per customer, company and month: a run in the same month updates
    that month's row, so that the rows of earlier months stay as they were and
    movements between segments can be counted month to month. ``is_latest``
    marks the most recent row of each customer and company. Written only by
    the refresh (``_refresh_scores``), never by hand.
    """

    _name = "salesperf.customer.score"
    _description = "Customer Score"
    _order = "date desc, clv desc, id desc"
    _rec_name = "partner_id"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
        help="The customer's commercial entity: its contacts' purchases count for it.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        readonly=True,
        index=True,
        help="The customer's salesperson, else the salesperson of their latest purchase.",
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        readonly=True,
        index=True,
        help="The customer's sales team, else the team of their latest purchase.",
    )
    month = fields.Date(required=True, readonly=True, help="First day of the run's month.")
    date = fields.Date(string="Run Date", required=True, readonly=True, index=True)
    is_latest = fields.Boolean(string="Latest", readonly=True, index=True)

    # history
    first_purchase = fields.Date(readonly=True)
    last_purchase = fields.Date(readonly=True)
    frequency = fields.Integer(
        string="Purchase Days", readonly=True, help="Days on which the customer bought."
    )
    order_count = fields.Integer(string="Orders", readonly=True)
    recency_days = fields.Integer(
        string="Days Since Last Purchase", readonly=True, aggregator="avg"
    )
    usual_interval = fields.Float(
        string="Usual Interval (days)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Median number of days between two purchase days.",
    )
    monetary = fields.Monetary(
        string="Revenue", readonly=True, help="Untaxed revenue of every purchase up to the run."
    )
    revenue_12m = fields.Monetary(string="Revenue (12 months)", readonly=True)

    # RFM
    r_score = fields.Integer(string="R", readonly=True, aggregator="avg")
    f_score = fields.Integer(string="F", readonly=True, aggregator="avg")
    m_score = fields.Integer(string="M", readonly=True, aggregator="avg")
    fm_score = fields.Float(string="FM", readonly=True, aggregator="avg", digits=(16, 1))
    rfm_code = fields.Char(string="RFM", readonly=True)
    segment_id = fields.Many2one(
        "salesperf.customer.segment", string="Segment", readonly=True, index=True
    )
    previous_segment_id = fields.Many2one(
        "salesperf.customer.segment",
        string="Previous Month's Segment",
        readonly=True,
        help="The segment of the customer's row of the month before, if any.",
    )

    # churn risk and lifetime value
    method = fields.Selection(METHODS, readonly=True)
    method_note = fields.Char(
        readonly=True, help="Why the usual-interval fallback was used instead of the model."
    )
    prob_alive = fields.Float(
        string="Probability Active",
        readonly=True,
        aggregator="avg",
        digits=(16, 4),
        help="BG/NBD: probability that the customer still buys (empty with the fallback).",
    )
    expected_purchases_3m = fields.Float(
        string="Expected Purchases (3 months)", readonly=True, digits=(16, 2)
    )
    expected_purchases_6m = fields.Float(
        string="Expected Purchases (6 months)", readonly=True, digits=(16, 2)
    )
    expected_purchases_12m = fields.Float(
        string="Expected Purchases (12 months)", readonly=True, digits=(16, 2)
    )
    expected_order_value = fields.Monetary(readonly=True, aggregator="avg")
    clv = fields.Monetary(
        string="Lifetime Value",
        readonly=True,
        help="Discounted value of the customer's expected purchases over the company's "
        "horizon (BG/NBD × Gamma-Gamma).",
    )
    interval_ratio = fields.Float(
        string="Lateness",
        readonly=True,
        aggregator="avg",
        digits=(16, 2),
        help="Days since the last purchase over the usual interval.",
    )
    risk_status = fields.Selection(RISK_STATUSES, string="Status", readonly=True, index=True)
    risk_reason = fields.Char(readonly=True)
    value_at_risk = fields.Monetary(
        readonly=True, help="Revenue of the last 12 months of a customer at risk, else 0."
    )

    _sql_constraints = [
        (
            "customer_month_unique",
            "UNIQUE(company_id, partner_id, month)",
            "A customer has one score per company and month.",
        ),
    ]


class SalesperfCustomerFollowup(models.Model):
    """A follow-up activity given to a customer's salesperson because the
    customer is slipping away: one per customer, company and last purchase, so
    that a customer gets it once, and again only after buying again."""

    _name = "salesperf.customer.followup"
    _description = "Customer Follow-up Sent"
    _order = "date desc, id desc"

    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, ondelete="cascade"
    )
    last_purchase = fields.Date(required=True, readonly=True)
    date = fields.Date(required=True, readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null")
    reason = fields.Char(readonly=True)

    _sql_constraints = [
        (
            "customer_purchase_unique",
            "UNIQUE(company_id, partner_id, last_purchase)",
            "A customer gets one follow-up per last purchase.",
        ),
    ]
