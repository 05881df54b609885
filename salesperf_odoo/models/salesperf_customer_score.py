# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import logging
import time
from datetime import datetime, timedelta

import psycopg2
from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.models import LOG_ACCESS_COLUMNS
from odoo.tools import SQL, split_every

from ..engine.customer_value import (
    LAPSED_RATIO,
    MIN_REPEAT_CUSTOMERS,
    rfm_scores,
    score_customers,
    summarize_days,
)

_logger = logging.getLogger(__name__)

#: Score rows (or follow-up claims) per INSERT statement of the refresh.
WRITE_BATCH = 5000
#: Horizons of the expected purchases, in months (fields expected_purchases_<h>m).
HORIZONS = (3, 6, 12)
#: The activity type of the follow-ups.
FOLLOWUP_ACTIVITY_TYPE = "salesperf_odoo.mail_activity_type_salesperf_customer_followup"
MANAGER_GROUP = "salesperf_odoo.group_salesperf_manager"

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
    segment_id = fields.Many2one("salesperf.customer.segment", readonly=True, index=True)
    previous_segment_id = fields.Many2one(
        "salesperf.customer.segment",
        string="Previous Month's Segment",
        readonly=True,
        help="The segment of the customer's row of the month before, if any.",
    )

    # churn risk and lifetime value
    method = fields.Selection(METHODS, readonly=True)
    method_note = fields.Char(
        readonly=True,
        help="Why the usual-interval fallback was used instead of the model, or how the "
        "expected order value was found when Gamma-Gamma could not be fitted.",
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

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    @api.model
    def action_refresh_scores(self):
        """Refresh the scores of the companies the administrator works in now.

        Sales Performance administrators only, checked here on the server
        (the button is hidden from others, but anyone may call a public
        method). The companies' settings are checked first: bad settings are
        refused with the reason before anything is written.
        """
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                _("Only Sales Performance administrators can refresh the customer scores.")
            )
        companies = self.env.companies
        companies._check_salesperf_customer_settings()
        # sudo: the refresh writes every customer's row of the administrator's
        # own (allowed and selected) companies, whoever the customers' salespeople
        counts = self.sudo()._refresh_scores(companies)
        failed = companies.filtered(lambda company: company.id not in counts)
        message = _(
            "%(count)s customers scored in %(companies)s.",
            count=sum(counts.values()),
            companies=", ".join(companies.filtered(lambda c: c.id in counts).mapped("name")) or "-",
        )
        if failed:
            message += " " + _(
                "Not refreshed (see the server log): %(companies)s.",
                companies=", ".join(failed.mapped("name")),
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Customer Scores"),
                "message": message,
                "type": "warning" if failed else "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _cron_refresh_scores(self):
        """Daily: refresh every company's customer scores."""
        self._refresh_scores()

    @api.model
    def _refresh_scores(self, companies=None, today=None):
        """Score the customers of ``companies`` (all by default) as of
        ``today`` (each company's own date by default, in its time zone).

        Each company in its own savepoint: a company that fails (bad
        settings, any error) keeps the rows it had, is logged, and the others
        are refreshed all the same. Database errors that concern the whole
        transaction (``OperationalError``) are not caught. Returns
        ``{company id: customers scored}`` of the companies refreshed
        (companies without sales are skipped and give 0).
        """
        if companies is None:
            companies = self.env["res.company"].search([])
        counts = {}
        for company in companies:
            started = time.monotonic()
            try:
                with self.env.cr.savepoint():
                    counts[company.id] = self._refresh_company(
                        company, today or company._salesperf_today()
                    )
            except psycopg2.OperationalError:
                raise
            except Exception:
                _logger.exception(
                    "Customer scores of company %s (id %s) not refreshed: its rows are left "
                    "as they were; the other companies are refreshed",
                    company.name,
                    company.id,
                )
                continue
            _logger.info(
                "Customer scores of company %s: %s customers in %.1f s",
                company.name,
                counts[company.id],
                time.monotonic() - started,
            )
        return counts

    @api.model
    def _refresh_company(self, company, today):
        """Score ``company``'s customers from its sales facts up to ``today``
        (a company-local date) and write this month's row of each; then give
        the salespeople of customers newly at risk a follow-up activity.
        Returns the number of customers scored."""
        company._check_salesperf_customer_settings()
        days = self._score_read_days(company, today)
        if not days:
            return 0
        summaries = summarize_days(*zip(*days, strict=True), today)
        customers = self._score_read_customers(company, today)
        partner_ids = sorted(key for key in summaries if key in customers)
        if not partner_ids:
            return 0
        summaries = [summaries[key] for key in partner_ids]
        rows = self._score_compute(company, summaries, customers)
        self._score_write(company, today, rows)
        self._score_followups(company, today, rows)
        return len(rows)

    # reading ---------------------------------------------------------

    @api.model
    def _score_facts(self, company, today):
        """The company's sales facts of a customer up to ``today`` (local),
        narrowed first by the UTC order time (a day wider: time zones span
        UTC-12 to UTC+14) so that the database reads only those lines."""
        facts = self.env["salesperf.sale.fact"]
        return SQL(
            """SELECT * FROM (%(facts)s) fact
            WHERE fact.company_id = %(company)s
              AND fact.commercial_partner_id IS NOT NULL
              AND fact.order_datetime < %(before)s
              AND fact.date <= %(today)s""",
            facts=facts._table_query,
            company=company.id,
            before=datetime.combine(today + timedelta(days=2), datetime.min.time()),
            today=today,
        )

    @api.model
    def _score_read_days(self, company, today):
        """``[(customer id, local day, revenue)]``: one row per customer and
        purchase day, in one grouped query. A day whose lines add up to
        nothing or less (refunds, free replacements) is no purchase, as in
        the Customer 360."""
        return self.env.execute_query(
            SQL(
                """SELECT fact.commercial_partner_id, fact.date, SUM(fact.revenue)
                FROM (%s) fact
                GROUP BY fact.commercial_partner_id, fact.date
                HAVING SUM(fact.revenue) > 0""",
                self._score_facts(company, today),
            )
        )

    @api.model
    def _score_read_customers(self, company, today):
        """``{customer id: (revenue, revenue of 12 months, orders, salesperson
        id, team id)}`` in one grouped query. The salesperson is the
        customer's own when they work for the company, else that of the
        latest purchase (when still active and working for the company);
        the team the customer's own when it is of the company (when an addon
        gives customers a team: Odoo does not), else that of the latest
        purchase."""
        facts = self.env["salesperf.sale.fact"]
        partners = self.env["res.partner"]
        to_flush = [partners, ["user_id"], self.env["res.users"], ["active", "company_ids"]]
        own_team = SQL("NULL")
        if partners._fields.get("team_id") and partners._fields["team_id"].store:
            own_team = SQL(
                """(SELECT team.id FROM crm_team team
                    WHERE team.id = partner.team_id AND team.active
                      AND (team.company_id IS NULL OR team.company_id = %s))""",
                company.id,
            )
            to_flush += [partners, ["team_id"], self.env["crm.team"], ["active", "company_id"]]
        rows = self.env.execute_query(
            SQL(
                """SELECT customer.partner_id, customer.revenue, customer.revenue_12m,
                          customer.order_count,
                          COALESCE(own_user.id, last_user.id),
                          COALESCE(%(own_team)s, customer.last_team_id)
                FROM (
                    SELECT fact.commercial_partner_id AS partner_id,
                           SUM(fact.revenue) AS revenue,
                           COALESCE(SUM(fact.revenue) FILTER (WHERE fact.date > %(year_ago)s), 0)
                               AS revenue_12m,
                           COUNT(DISTINCT fact.order_reference) AS order_count,
                           (ARRAY_AGG(fact.user_id
                                       ORDER BY fact.order_datetime DESC, fact.id DESC))[1]
                               AS last_user_id,
                           (ARRAY_AGG(fact.team_id
                                       ORDER BY fact.order_datetime DESC, fact.id DESC))[1]
                               AS last_team_id
                    FROM (%(facts)s) fact
                    GROUP BY fact.commercial_partner_id
                ) customer
                JOIN res_partner partner ON partner.id = customer.partner_id
                LEFT JOIN res_users own_user
                    ON own_user.id = partner.user_id AND own_user.active
                   AND EXISTS (SELECT 1 FROM res_company_users_rel rel
                               WHERE rel.user_id = own_user.id AND rel.cid = %(company)s)
                LEFT JOIN res_users last_user
                    ON last_user.id = customer.last_user_id AND last_user.active
                   AND EXISTS (SELECT 1 FROM res_company_users_rel rel
                               WHERE rel.user_id = last_user.id AND rel.cid = %(company)s)
                %(flush)s""",
                facts=self._score_facts(company, today),
                year_ago=today - relativedelta(months=12),
                company=company.id,
                own_team=own_team,
                flush=facts._fact_flush(*to_flush),
            )
        )
        return {row[0]: row[1:] for row in rows}

    @api.model
    def _score_segment_rules(self, company):
        """``[(segment id, (r_min, r_max), (fm_min, fm_max))]`` of the
        company's active segments by sequence, else of the shared ones."""
        Segment = self.env["salesperf.customer.segment"].with_context(active_test=True)
        segments = Segment.search([("company_id", "=", company.id)]) or Segment.search(
            [("company_id", "=", False)]
        )
        return [
            (segment.id, (segment.r_min, segment.r_max), (segment.fm_min, segment.fm_max))
            for segment in segments
        ]

    # computing -------------------------------------------------------

    @api.model
    def _score_compute(self, company, summaries, customers):
        """One dict of field values per customer (``summaries`` of the
        engine), with the figures their risk reason is made of."""
        bands = company.salesperf_rfm_bands
        r_scores, f_scores, m_scores = rfm_scores(
            [s.days_since_last for s in summaries],
            [s.x + 1 for s in summaries],
            [customers[s.key][0] for s in summaries],
            bands,
        )
        rules = self._score_segment_rules(company)
        method, model_rows, reason = score_customers(
            summaries,
            horizons_months=HORIZONS,
            clv_months=company.salesperf_clv_months,
            monthly_discount=company.salesperf_clv_discount,
        )
        lang_env = self.with_context(lang=company.partner_id.lang or self.env.lang).env
        if method == "interval":
            method_note = self._score_method_note(lang_env, summaries, reason)
        elif model_rows and model_rows[0]["order_value_source"] == "mean":
            method_note = lang_env._(
                "Expected order value: the mean repeat purchase of the company's customers "
                "(spend varies too little between customers to fit Gamma-Gamma)."
            )
        else:
            method_note = None
        digits = company.currency_id.decimal_places
        rows = []
        for i, summary in enumerate(summaries):
            revenue, revenue_12m, order_count, user_id, team_id = customers[summary.key]
            model = model_rows[i]
            r, f, m = int(r_scores[i]), int(f_scores[i]), int(m_scores[i])
            fm = (f + m) / 2
            prob = model.get("prob_alive") if method == "bgnbd" else None
            ratio = model["interval_ratio"]
            figures = self._score_risk_figures(company, summary, prob, ratio)
            row = {
                "partner_id": summary.key,
                "user_id": user_id,
                "team_id": team_id,
                "first_purchase": summary.first_purchase,
                "last_purchase": summary.last_purchase,
                "frequency": summary.x + 1,
                "order_count": order_count,
                "recency_days": summary.days_since_last,
                "usual_interval": summary.usual_interval,
                "monetary": round(float(revenue), digits),
                "revenue_12m": round(float(revenue_12m), digits),
                "r_score": r,
                "f_score": f,
                "m_score": m,
                "fm_score": fm,
                "rfm_code": f"{r}{f}{m}" if bands < 10 else f"{r}-{f}-{m}",
                "segment_id": next(
                    (
                        segment_id
                        for segment_id, (r_lo, r_hi), (fm_lo, fm_hi) in rules
                        if r_lo <= r <= r_hi and fm_lo <= fm <= fm_hi
                    ),
                    None,
                ),
                "method": method,
                "method_note": method_note,
                "prob_alive": prob,
                "interval_ratio": ratio,
                "risk_status": figures["status"],
                "risk_reason": self._score_risk_reason(lang_env, figures),
                "value_at_risk": (
                    round(float(revenue_12m), digits) if figures["status"] == "at_risk" else 0.0
                ),
                "figures": figures,
            }
            for horizon in HORIZONS:
                row[f"expected_purchases_{horizon}m"] = model.get(f"expected_{horizon}m")
            if method == "bgnbd":
                row["expected_order_value"] = round(model["expected_order_value"], digits)
                row["clv"] = round(model["clv"], digits)
            else:
                row["expected_order_value"] = row["clv"] = None
            rows.append(row)
        return rows

    @api.model
    def _score_risk_figures(self, company, summary, prob, ratio):
        """Status of one customer (see the module's design) with the figures
        that decide it, from which its reason is written in any language."""
        days = summary.days_since_last
        low_probability = prob is not None and prob < company.salesperf_churn_threshold
        late = ratio is not None and ratio >= LAPSED_RATIO
        if days > company.salesperf_churn_days:
            status = "churned"
        elif low_probability or late:
            status = "at_risk"
        else:
            status = "active"
        return {
            "status": status,
            "days": days,
            "churn_days": company.salesperf_churn_days,
            "low_probability": low_probability,
            "probability": prob,
            "threshold": company.salesperf_churn_threshold,
            "late": late,
            "ratio": ratio,
            "interval": summary.usual_interval,
        }

    @api.model
    def _score_risk_reason(self, env, figures):
        """Why a customer is churned or at risk, in ``env``'s language
        (None for an active customer)."""
        if figures["status"] == "churned":
            return env._(
                "No purchase for %(days)s days, more than the %(limit)s days after which a "
                "customer counts as churned.",
                days=figures["days"],
                limit=figures["churn_days"],
            )
        if figures["status"] != "at_risk":
            return None
        reasons = []
        # formatted outside the translation calls, which the term extractor reads
        if figures["low_probability"]:
            probability = "{:.0%}".format(figures["probability"])
            threshold = "{:.0%}".format(figures["threshold"])
            reasons.append(
                env._(
                    "Probability of still buying %(probability)s, below the %(threshold)s "
                    "threshold (BG/NBD model).",
                    probability=probability,
                    threshold=threshold,
                )
            )
        if figures["late"]:
            ratio = "{:.1f}".format(figures["ratio"])
            interval = "{:g}".format(figures["interval"])
            reasons.append(
                env._(
                    "Last purchase %(days)s days ago: %(ratio)s times the usual interval of "
                    "%(interval)s days between purchases.",
                    days=figures["days"],
                    ratio=ratio,
                    interval=interval,
                )
            )
        return " ".join(reasons)

    @api.model
    def _score_method_note(self, env, summaries, reason):
        """Why the usual-interval fallback was used, in ``env``'s language."""
        repeat = sum(1 for summary in summaries if summary.x > 0)
        if repeat < MIN_REPEAT_CUSTOMERS:
            return env._(
                "Usual interval used: only %(count)s customers bought more than once "
                "(the BG/NBD model needs at least %(minimum)s).",
                count=repeat,
                minimum=MIN_REPEAT_CUSTOMERS,
            )
        return env._(
            "Usual interval used: the BG/NBD and Gamma-Gamma models could not be fitted "
            "(%(reason)s).",
            reason=(reason or "").rstrip("."),
        )

    # writing ---------------------------------------------------------

    @api.model
    def _score_write(self, company, today, rows):
        """Write this month's row of each customer of ``rows`` with one
        ``INSERT ... ON CONFLICT DO UPDATE`` per :data:`WRITE_BATCH` rows: a
        run in the same month updates the month's row. Then only the newest
        row of each customer is the latest: customers no longer scored keep
        their rows, none of them latest."""
        self.flush_model()
        month = today.replace(day=1)
        previous_month = month - relativedelta(months=1)
        existing = self.env.execute_query(
            SQL(
                """SELECT partner_id, month, segment_id FROM %s
                WHERE company_id = %s AND month >= %s AND month <> %s""",
                SQL.identifier(self._table),
                company.id,
                previous_month,
                month,
            )
        )
        previous_segment = {
            partner_id: segment_id
            for partner_id, row_month, segment_id in existing
            if row_month == previous_month
        }
        has_newer = {
            partner_id for partner_id, row_month, _segment in existing if row_month > month
        }
        columns = [
            "company_id",
            "month",
            "date",
            "is_latest",
            "previous_segment_id",
            *(name for name in rows[0] if name != "figures"),
        ]
        log_values = (self.env.uid, self.env.cr.now(), self.env.uid, self.env.cr.now())
        values = [
            (
                company.id,
                month,
                today,
                row["partner_id"] not in has_newer,
                previous_segment.get(row["partner_id"]),
                *(value for name, value in row.items() if name != "figures"),
                *log_values,
            )
            for row in rows
        ]
        updated = SQL(", ").join(
            SQL("%s = EXCLUDED.%s", SQL.identifier(name), SQL.identifier(name))
            for name in [*columns, "write_uid", "write_date"]
            if name not in ("company_id", "partner_id", "month")
        )
        for batch in split_every(WRITE_BATCH, values):
            self.env.cr.execute(
                SQL(
                    """INSERT INTO %(table)s (%(columns)s) VALUES %(values)s
                    ON CONFLICT (company_id, partner_id, month) DO UPDATE SET %(updated)s""",
                    table=SQL.identifier(self._table),
                    columns=SQL(", ").join(map(SQL.identifier, [*columns, *LOG_ACCESS_COLUMNS])),
                    values=SQL(", ").join(batch),
                    updated=updated,
                )
            )
        self.env.cr.execute(
            SQL(
                """UPDATE %(table)s SET is_latest = FALSE
                WHERE company_id = %(company)s AND is_latest AND month <= %(month)s
                  AND NOT (month = %(month)s AND partner_id = ANY(%(partners)s))""",
                table=SQL.identifier(self._table),
                company=company.id,
                month=month,
                partners=[row["partner_id"] for row in rows],
            )
        )
        self.invalidate_model()

    # follow-ups ------------------------------------------------------

    @api.model
    def _score_followups(self, company, today, rows):
        """Give the salesperson of each customer at risk one follow-up
        activity per last purchase: the customer's last purchase is claimed
        in the follow-up log (``INSERT ... ON CONFLICT DO NOTHING``), and
        only the claims that are new get an activity."""
        at_risk = {
            row["partner_id"]: row
            for row in rows
            if row["risk_status"] == "at_risk" and row["user_id"]
        }
        if not at_risk:
            return self.env["mail.activity"]
        Followup = self.env["salesperf.customer.followup"]
        Followup.flush_model()
        log_values = (self.env.uid, self.env.cr.now(), self.env.uid, self.env.cr.now())
        claims = []
        for batch in split_every(
            WRITE_BATCH,
            [
                (
                    company.id,
                    row["partner_id"],
                    row["last_purchase"],
                    today,
                    row["user_id"],
                    row["risk_reason"],
                    *log_values,
                )
                for row in at_risk.values()
            ],
        ):
            claims += self.env.execute_query(
                SQL(
                    """INSERT INTO %s (company_id, partner_id, last_purchase, date, user_id,
                                       reason, %s)
                    VALUES %s
                    ON CONFLICT (company_id, partner_id, last_purchase) DO NOTHING
                    RETURNING id, partner_id""",
                    SQL.identifier(Followup._table),
                    SQL(", ").join(map(SQL.identifier, LOG_ACCESS_COLUMNS)),
                    SQL(", ").join(batch),
                )
            )
        Followup.invalidate_model()
        if not claims:
            return self.env["mail.activity"]
        activities = self._score_create_activities(
            company, today, [at_risk[partner_id] for _claim, partner_id in claims]
        )
        self.env.cr.execute(
            SQL(
                """UPDATE %s followup SET activity_id = claimed.activity_id
                FROM (VALUES %s) AS claimed(id, activity_id)
                WHERE followup.id = claimed.id""",
                SQL.identifier(Followup._table),
                SQL(", ").join(
                    (claim_id, activity.id)
                    for (claim_id, _partner_id), activity in zip(claims, activities, strict=True)
                ),
            )
        )
        Followup.invalidate_model(["activity_id"])
        return activities

    @api.model
    def _score_create_activities(self, company, today, rows):
        """One "Customer Follow-up" activity per row on the customer, for its
        salesperson, with the reason in the salesperson's language; created
        in one batch (without an email each: they show in the salesperson's
        activities)."""
        activity_type = self.env.ref(FOLLOWUP_ACTIVITY_TYPE)
        model_id = self.env["ir.model"]._get_id("res.partner")
        users = self.env["res.users"].browse({row["user_id"] for row in rows})
        default_lang = company.partner_id.lang or self.env.lang
        envs = {user.id: self.with_context(lang=user.lang or default_lang).env for user in users}
        values = []
        for row in rows:
            env = envs[row["user_id"]]
            values.append(
                {
                    "res_model_id": model_id,
                    "res_id": row["partner_id"],
                    "activity_type_id": activity_type.id,
                    "user_id": row["user_id"],
                    "date_deadline": today,
                    "automated": True,
                    "summary": env._("Customer slipping away"),
                    "note": Markup("<p>%s</p>") % self._score_risk_reason(env, row["figures"]),
                }
            )
        # sudo: the scheduled action gives each salesperson an activity on
        # their customer; the customer's company is the refreshed one
        activities = self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True)
        # the customers' names, which each activity copies, in one read
        activities.env["res.partner"].browse([row["partner_id"] for row in rows]).mapped(
            "display_name"
        )
        return activities.create(values)


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
