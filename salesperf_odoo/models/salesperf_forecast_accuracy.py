# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import logging
from collections import defaultdict
from datetime import timedelta

import psycopg2
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..engine.anomaly import forecast_error
from ..engine.periods import Period, period_containing

_logger = logging.getLogger(__name__)

ACCURACY_LEVELS = [
    ("company", "Company"),
    ("team", "Sales Team"),
    ("user", "Salesperson"),
    ("category", "Product Category"),
]
ACCURACY_SOURCES = [
    ("statistical", "Statistical"),
    ("pipeline", "Pipeline (calibrated)"),
    ("pipeline_weighted", "Pipeline (weighted)"),
    ("submitted", "Submitted"),
    ("adjusted", "Manager-adjusted"),
]
#: How many months before a month the runs whose forecasts of it are
#: scored were made: the run whose first forecast month is the month minus
#: the lag (a run made in March has March as its first month: lag 1 for
#: April, lag 3 for June, lag 6 for September).
RUN_LAGS = (1, 3, 6)
ACCURACY_PERIODS = [("month", "Month"), ("quarter", "Quarter")]
#: A salesperson submits the forecast of the current month (or quarter)
#: during it: their submitted and adjusted forecasts are scored at lag 0.
SUBMISSION_LAG = 0
#: Levels of the forecast lines scored, and the sources of each.
RUN_SOURCES = {
    "company": ("statistical", "pipeline", "pipeline_weighted"),
    "team": ("statistical", "pipeline", "pipeline_weighted"),
    "user": ("statistical", "pipeline", "pipeline_weighted"),
    "category": ("statistical",),
}
#: Forecast line field of each source.
SOURCE_FIELDS = {
    "statistical": "forecast",
    "pipeline": "pipeline_calibrated",
    "pipeline_weighted": "pipeline_weighted",
}
#: At most this many closed months are reviewed in one call, oldest first.
CATCH_UP_MONTHS = 12


def month_actuals(env, company, month, with_customers=False, months=1):
    """``{series key: untaxed revenue}`` of ``company``'s month starting on
    ``month`` (the ``months`` months from it: 3 for a quarter), from the
    sales facts (local dates of the company): the company,
    every team, salesperson and product category with a sold line ("team:0"
    for lines without team...), and with ``with_customers`` every customer
    entity ("partner:ID"). A series without a sold line has no key: its
    actual is 0. Three or four grouped reads, whatever the number of lines.
    """
    facts = env["salesperf.sale.fact"]
    end = month + relativedelta(months=months) - timedelta(days=1)
    domain = env["salesperf.kpi"]._sale_fact_domain(Period(month, end), company)
    actuals = defaultdict(float)
    for team, user, revenue in facts._read_group(domain, ["team_id", "user_id"], ["revenue:sum"]):
        for key in ("company", f"team:{team.id or 0}", f"user:{user.id or 0}"):
            actuals[key] += revenue or 0.0
    for categ, revenue in facts._read_group(domain, ["categ_id"], ["revenue:sum"]):
        actuals[f"categ:{categ.id or 0}"] += revenue or 0.0
    if with_customers:
        for partner, revenue in facts._read_group(
            [*domain, ("commercial_partner_id", "!=", False)],
            ["commercial_partner_id"],
            ["revenue:sum"],
        ):
            actuals[f"partner:{partner.id}"] += revenue or 0.0
    return dict(actuals)


class SalesperfForecastAccuracy(models.Model):
    """How good a forecast of a closed month was: one row per series, month,
    source and lag (how many months before the month it was made); and for
    the submitted and adjusted forecasts of a quarter, one quarter row dated
    on the quarter's first day (``period_kind`` ``quarter``).

    Written once by the review of closed months
    (:meth:`salesperf.forecast.review._cron_review_closed_months`), never by
    users. Grouped, ``mase`` is the mean of the scaled errors of the rows
    that have a scale, and ``bias_percent`` the group's sum of errors over
    its sum of actuals (:meth:`_read_group_select`), never an average of the
    rows' percentages. A row without a scale has no ``scale``,
    ``scaled_error`` nor ``mase`` (empty, not 0: 0 would read as perfect),
    and a row whose actual is 0 no ``bias_percent``.
    """

    _name = "salesperf.forecast.accuracy"
    _description = "Forecast Accuracy"
    _order = "date desc, level, series_key, source, lag"
    _rec_name = "series_key"

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    level = fields.Selection(ACCURACY_LEVELS, required=True, index=True, readonly=True)
    series_key = fields.Char(
        string="Series",
        required=True,
        readonly=True,
        help='The forecast series: "company", "team:3", "user:7", "categ:5".',
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", index=True, readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", index=True, readonly=True)
    categ_id = fields.Many2one("product.category", string="Product Category", readonly=True)
    period_kind = fields.Selection(
        ACCURACY_PERIODS,
        string="Period",
        required=True,
        default="month",
        index=True,
        readonly=True,
        help="Month: the forecast of a month. Quarter: a submitted or adjusted forecast of a "
        "quarter, scored against the quarter's actual once its last month closes.",
    )
    date = fields.Date(
        string="Period Start",
        required=True,
        index=True,
        readonly=True,
        help="First day of the month, or of the quarter.",
    )
    source = fields.Selection(ACCURACY_SOURCES, required=True, index=True, readonly=True)
    lag = fields.Integer(
        string="Months Ahead",
        required=True,
        readonly=True,
        aggregator=False,
        help="How many months before the month the forecast was made: 1, 3 or 6 for the "
        "statistical and pipeline forecasts (the run whose first month is that many months "
        "earlier), 0 for the salesperson's submission made during the month.",
    )
    forecast = fields.Monetary(readonly=True, help="Untaxed revenue forecast for the month.")
    actual = fields.Monetary(
        readonly=True, help="Untaxed revenue of the month's sold lines (the sales facts)."
    )
    error = fields.Monetary(
        readonly=True, help="Forecast − actual: above 0 when the forecast was too high."
    )
    abs_error = fields.Monetary(string="Absolute Error", readonly=True)
    scale = fields.Float(
        readonly=True,
        aggregator=False,
        help="The series' in-sample mean absolute error of seasonal naive, from its forecast "
        "line; empty when the series had no statistical forecast, and for the quarters "
        "(no MASE then).",
    )
    scaled_error = fields.Float(
        readonly=True,
        help="Absolute error / scale: below 1, closer than seasonal naive was in-sample. Empty "
        "without a scale.",
    )
    mase = fields.Float(
        string="MASE",
        readonly=True,
        aggregator="avg",
        help="Mean absolute scaled error: the mean of the scaled errors of the rows that have "
        "a scale (empty when none has). Lower is better; below 1 beats seasonal naive.",
    )
    bias_percent = fields.Float(
        string="Bias (%)",
        readonly=True,
        aggregator="avg",
        help="Sum of errors / sum of actuals × 100: above 0 when the forecasts were too "
        "high, below 0 when too low; empty when the actuals sum to 0.",
    )
    run_id = fields.Many2one(
        "salesperf.forecast.run", string="Forecast Run", readonly=True, ondelete="set null"
    )
    submission_id = fields.Many2one(
        "salesperf.forecast.submission",
        readonly=True,
        ondelete="set null",
        help="The salesperson's submission scored; empty on the team and company rows, which "
        "sum several.",
    )

    _sql_constraints = [
        (
            "series_month_source_lag_unique",
            "unique(company_id, series_key, period_kind, date, source, lag)",
            "A forecast of a period is scored once per series, source and lag.",
        )
    ]

    # ------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------

    @api.depends(
        "level", "series_key", "user_id", "team_id", "categ_id", "company_id", "period_kind", "date"
    )
    def _compute_display_name(self):
        for row in self:
            entity = {
                "company": row.company_id,
                "team": row.team_id,
                "user": row.user_id,
                "category": row.categ_id,
            }.get(row.level)
            name = entity.display_name if entity else self.env._("Unassigned")
            if not row.date:
                row.display_name = name
            elif row.period_kind == "quarter":
                row.display_name = f"{name} · {row.date.year} Q{(row.date.month - 1) // 3 + 1}"
            else:
                row.display_name = f"{name} · {row.date.strftime('%Y-%m')}"

    @api.model
    def _read_group_select(self, aggregate_spec, query):
        """MASE and bias of a group from its rows' sums, whatever the
        aggregate asked: the mean of the scaled errors of the rows with a
        scale, and the sum of errors over the sum of actuals."""
        name = aggregate_spec.split(":")[0]
        if name not in ("mase", "bias_percent"):
            return super()._read_group_select(aggregate_spec, query)

        def column(field_name):
            return self._field_to_sql(self._table, field_name, query)

        if name == "mase":
            return SQL(
                "SUM(%s) FILTER (WHERE %s > 0) / NULLIF(COUNT(*) FILTER (WHERE %s > 0), 0)",
                column("scaled_error"),
                column("scale"),
                column("scale"),
            )
        return SQL("SUM(%s) / NULLIF(SUM(%s), 0) * 100", column("error"), column("actual"))

    # ------------------------------------------------------------
    # REVIEW
    # ------------------------------------------------------------

    @api.model
    def _review_month(self, company, month, actuals=None):
        """Score every forecast of ``company`` for the closed ``month`` (its
        first day) that is not scored yet; return the rows created.

        - statistical and pipeline forecasts of the levels company, team,
          salesperson (and product category, statistical only): for each lag
          of :data:`RUN_LAGS`, the latest done run whose first month is
          ``month`` minus the lag, its line of the month; pipeline: the
          calibrated and the weighted pipeline the run stored on the line;
        - the submitted and adjusted commits of the month (lag
          :data:`SUBMISSION_LAG`) per salesperson, team and company
          (:meth:`_review_submission_values`);
        - when ``month`` is the last month of its quarter, the submitted and
          adjusted commits of the quarter, against the quarter's actual, in
          quarter rows dated on the quarter's first day.

        Idempotent: a row already stored for the same series, period, source
        and lag is left as it is.
        """
        if actuals is None:
            actuals = month_actuals(self.env, company, month)
        values = [
            *self._review_run_values(company, month, actuals),
            *self._review_submission_values(company, "month", month, actuals),
        ]
        quarter = period_containing("quarter", month)
        if quarter.end.month == month.month:
            quarter_actuals = month_actuals(self.env, company, quarter.start, months=3)
            values += self._review_submission_values(
                company, "quarter", quarter.start, quarter_actuals
            )
        existing = {
            (row.period_kind, row.date, row.series_key, row.source, row.lag)
            for row in self.search(
                [("company_id", "=", company.id), ("date", "in", [month, quarter.start])]
            )
        }
        new_values = []
        for vals in values:
            key = (
                vals["period_kind"],
                vals["date"],
                vals["series_key"],
                vals["source"],
                vals["lag"],
            )
            if key not in existing:
                existing.add(key)
                new_values.append(vals)
        return self.create(new_values)

    @api.model
    def _review_runs(self, company, month):
        """``{lag: run}``: for each lag, the latest done run of ``company``
        whose first month is ``month`` minus the lag."""
        starts = {month - relativedelta(months=lag): lag for lag in RUN_LAGS}
        runs = {}
        for run in self.env["salesperf.forecast.run"].search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "done"),
                ("date_start", "in", list(starts)),
            ],
            order="date_start desc, id desc",
        ):
            runs.setdefault(starts[run.date_start], run)
        return runs

    @api.model
    def _review_row(
        self, company, keys, month, source, lag, forecast, actual, scale, period_kind="month"
    ):
        """Values of one accuracy row. Without a scale, ``scale``,
        ``scaled_error`` and ``mase`` are left empty (NULL), and without an
        actual ``bias_percent``: an empty value is no score, where 0 would
        read as a perfect one."""
        scored = forecast_error(forecast, actual, scale or None)
        values = {
            "company_id": company.id,
            **keys,
            "period_kind": period_kind,
            "date": month,
            "source": source,
            "lag": lag,
            "forecast": forecast,
            "actual": actual,
            "error": scored.error,
            "abs_error": scored.abs_error,
        }
        if scored.scaled_error is not None:
            values.update(scale=scale, scaled_error=scored.scaled_error, mase=scored.scaled_error)
        if actual:
            values["bias_percent"] = scored.error / actual * 100
        return values

    @api.model
    def _review_run_values(self, company, month, actuals):
        runs = self._review_runs(company, month)
        if not runs:
            return []
        lag_of_run = {run.id: lag for lag, run in runs.items()}
        lines = self.env["salesperf.forecast.line"].search(
            [
                ("run_id", "in", list(lag_of_run)),
                ("date", "=", month),
                ("level", "in", list(RUN_SOURCES)),
            ]
        )
        values = []
        for line in lines:
            keys = {
                "level": line.level,
                "series_key": line.series_key,
                "team_id": line.team_id.id,
                "user_id": line.user_id.id,
                "categ_id": line.categ_id.id,
                "run_id": line.run_id.id,
            }
            actual = actuals.get(line.series_key, 0.0)
            for source in RUN_SOURCES[line.level]:
                values.append(
                    self._review_row(
                        company,
                        keys,
                        month,
                        source,
                        lag_of_run[line.run_id.id],
                        line[SOURCE_FIELDS[source]],
                        actual,
                        line.scale,
                    )
                )
        return values

    @api.model
    def _review_submission_values(self, company, period_kind, date_from, actuals):
        """Values of the rows scoring the submitted and adjusted commits of
        ``company``'s month or quarter starting on ``date_from``, at lag
        :data:`SUBMISSION_LAG`:

        - each salesperson's: their submitted commit and, once adjusted,
          their manager's adjusted commit, against their own actual;
        - each team's: the sum of the submissions whose ``team_id`` is the
          team (the salesperson's team when they submitted; submissions
          without a team count for the company only), against the team's
          actual (all its sales, members who did not submit included);
        - the company's: the sum of all the submissions, against the
          company's actual.

        A team's or the company's adjusted forecast is the sum of the commits
        used (the adjusted commit where a manager adjusted it, the submitted
        one elsewhere); it is scored when at least one of its submissions was
        adjusted (otherwise it is the submitted forecast).

        Months are scaled by the series' scale in the latest done run made up
        to the month (no MASE when the series has none); quarters are not
        scaled (the stored scales are monthly errors): error and bias only.
        """
        submissions = self.env["salesperf.forecast.submission"].search(
            [
                ("company_id", "=", company.id),
                ("period_kind", "=", period_kind),
                ("date_from", "=", date_from),
                ("state", "in", ("submitted", "adjusted")),
            ]
        )
        if not submissions:
            return []
        # series key -> [keys, submitted, used, adjusted?]
        groups = {}

        def add(series_key, keys, submission):
            used = (
                submission.adjusted_commit
                if submission.state == "adjusted"
                else submission.commit_amount
            )
            group = groups.setdefault(series_key, [keys, 0.0, 0.0, False])
            group[1] += submission.commit_amount
            group[2] += used
            group[3] = group[3] or submission.state == "adjusted"

        no_keys = {"team_id": False, "user_id": False, "categ_id": False}
        for submission in submissions:
            user = submission.user_id
            add(
                f"user:{user.id}",
                {**no_keys, "level": "user", "user_id": user.id, "submission_id": submission.id},
                submission,
            )
            if submission.team_id:
                team = submission.team_id
                add(f"team:{team.id}", {**no_keys, "level": "team", "team_id": team.id}, submission)
            add("company", {**no_keys, "level": "company"}, submission)
        scales = {}
        if period_kind == "month":
            scales = self._review_scales(company, date_from, list(groups))
        values = []
        for series_key, (keys, submitted, used, adjusted) in groups.items():
            sources = [("submitted", submitted)]
            if adjusted:
                sources.append(("adjusted", used))
            for source, forecast in sources:
                values.append(
                    self._review_row(
                        company,
                        {"series_key": series_key, **keys},
                        date_from,
                        source,
                        SUBMISSION_LAG,
                        forecast,
                        actuals.get(series_key, 0.0),
                        scales.get(series_key, 0.0),
                        period_kind=period_kind,
                    )
                )
        return values

    @api.model
    def _review_scales(self, company, month, keys):
        """``{series key: scale}`` of ``keys`` in the latest done run of
        ``company`` made up to ``month`` (first month on or before it)."""
        run = self.env["salesperf.forecast.run"].search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "done"),
                ("date_start", "<=", month),
            ],
            order="date_start desc, id desc",
            limit=1,
        )
        if not run:
            return {}
        return {
            key: scale
            for key, scale in self.env["salesperf.forecast.line"]._read_group(
                [("run_id", "=", run.id), ("series_key", "in", keys)],
                ["series_key"],
                ["scale:max"],
            )
        }

    # ------------------------------------------------------------
    # KPI DETAILS
    # ------------------------------------------------------------

    @api.model
    def _kpi_domain(self, level):
        """The rows the forecast KPIs count at ``level``: the statistical
        forecasts made one month ahead, with a scale."""
        return [
            ("source", "=", "statistical"),
            ("period_kind", "=", "month"),
            ("lag", "=", 1),
            ("level", "=", level),
            ("scale", ">", 0),
        ]


class SalesperfForecastReview(models.Model):
    """A closed month of a company whose forecasts have been reviewed:
    scored (``salesperf.forecast.accuracy``) and checked for anomalies
    (``salesperf.forecast.anomaly``). Each month is reviewed once."""

    _name = "salesperf.forecast.review"
    _description = "Forecast Review of a Closed Month"
    _order = "date desc, company_id"
    _rec_name = "date"

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    date = fields.Date(string="Month", required=True, readonly=True)
    accuracy_count = fields.Integer(string="Forecasts Scored", readonly=True)
    anomaly_count = fields.Integer(string="Anomalies", readonly=True)

    _sql_constraints = [
        (
            "company_month_unique",
            "unique(company_id, date)",
            "A closed month of a company is reviewed once.",
        )
    ]

    @api.model
    def _cron_review_closed_months(self):
        """Daily: review the months of every company that have closed (in
        the company's time zone) since its last review, oldest first, at
        most :data:`CATCH_UP_MONTHS`. A company never reviewed starts with
        its last closed month: installing the module does not send a year
        of alerts at once.

        Each company is reviewed on its own: a month that fails (stored
        forecasts that cannot be read, such as a band whose low end is above
        its high end, or any other error) leaves nothing of that month
        written (savepoint), the error is logged with the company and month,
        the company's later months wait for the next day, and the other
        companies are reviewed all the same. Database errors that concern the
        whole transaction (``OperationalError``: serialization failures,
        deadlocks, lost connections, cancelled queries) are not caught: the
        scheduled action fails and is retried."""
        for company in self.env["res.company"].search([]):
            self._review_company(company)

    @api.model
    def _review_company(self, company):
        """Review ``company``'s closed months, oldest first, each in its own
        savepoint; stop at the first that fails and log it. Return the
        reviews recorded."""
        reviews = self.browse()
        month = None
        try:
            with self.env.cr.savepoint():
                months = self._months_to_review(company)
            for month in months:
                with self.env.cr.savepoint():
                    reviews |= self._review(company, month)
        except psycopg2.OperationalError:
            raise
        except Exception:
            _logger.exception(
                "Forecast review of company %s (id %s), %s failed: nothing of that month is "
                "stored, tried again tomorrow; the other companies are reviewed",
                company.name,
                company.id,
                month.strftime("%Y-%m") if month else "months to review",
            )
        return reviews

    @api.model
    def _months_to_review(self, company):
        last_closed = company._salesperf_today().replace(day=1) - relativedelta(months=1)
        last = self.search([("company_id", "=", company.id)], order="date desc", limit=1)
        if not last:
            return [last_closed]
        first = max(
            last.date + relativedelta(months=1),
            last_closed - relativedelta(months=CATCH_UP_MONTHS - 1),
        )
        months = []
        while first <= last_closed:
            months.append(first)
            first += relativedelta(months=1)
        return months

    @api.model
    def _review(self, company, month):
        """Score the forecasts of ``company``'s closed ``month`` and raise its
        anomalies, then record the month as reviewed. Nothing already stored
        is stored or alerted again."""
        actuals = month_actuals(self.env, company, month, with_customers=True)
        scored = self.env["salesperf.forecast.accuracy"]._review_month(company, month, actuals)
        anomalies = self.env["salesperf.forecast.anomaly"]._detect_month(company, month, actuals)
        review = self.search([("company_id", "=", company.id), ("date", "=", month)])
        counts = {"accuracy_count": len(scored), "anomaly_count": len(anomalies)}
        if review:
            review.write(
                {
                    "accuracy_count": review.accuracy_count + len(scored),
                    "anomaly_count": review.anomaly_count + len(anomalies),
                }
            )
        else:
            review = self.create({"company_id": company.id, "date": month, **counts})
        _logger.info(
            "Forecast review of %s, %s: %s forecasts scored, %s anomalies",
            company.name,
            month.strftime("%Y-%m"),
            len(scored),
            len(anomalies),
        )
        return review
