# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from collections import defaultdict
from datetime import date, datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL

from ..models.salesperf_target import METRICS

LEVELS = [("user", "Salesperson"), ("team", "Sales Team"), ("company", "Company")]
#: Entity columns of each level's rows: (team, salesperson), None where the
#: level has no such column.
LEVEL_KEYS = {
    "user": ("team_id", "user_id"),
    "team": ("team_id", None),
    "company": (None, None),
}
#: Low digits of the row ids, one per level (ids are unique across levels).
LEVEL_INDEX = {"user": 1, "team": 2, "company": 3}
#: Additive measures, each summed over the rows of a group.
MEASURES = (
    "revenue",
    "margin",
    "quantity",
    "orders",
    "new_customers",
    "won_count",
    "won_value",
    "lost_count",
    "cycle_days_total",
    "cycle_count",
    "activities_done",
    "pipeline_value",
    "weighted_pipeline",
    "forecast_scaled_error",
    "forecast_count",
    "forecast_error",
    "forecast_actual",
)
TARGET_METRICS = tuple(metric for metric, _label in METRICS)
#: Ratios and what they divide: ``(numerator, denominator, factor)``.
RATIOS = {
    "margin_percent": ("margin", "revenue", 100),
    "average_order_value": ("revenue", "orders", 1),
    "win_rate": ("won_count", ("won_count", "lost_count"), 100),
    "average_cycle_days": ("cycle_days_total", "cycle_count", 1),
    "forecast_mase": ("forecast_scaled_error", "forecast_count", 1),
    "forecast_bias": ("forecast_error", "forecast_actual", 100),
}
#: Columns of each source.
SALES_COLUMNS = {"revenue", "margin", "quantity", "orders"}
CLOSED_COLUMNS = {"won_count", "won_value", "lost_count", "cycle_days_total", "cycle_count"}
PIPELINE_COLUMNS = {"pipeline_value", "weighted_pipeline"}
ACCURACY_COLUMNS = {"forecast_scaled_error", "forecast_count", "forecast_error", "forecast_actual"}
#: Source families a drill-down opens, by measure.
SALES_MEASURES = {"revenue", "margin", "quantity", "orders", "new_customers"}
SALES_MEASURES |= {"margin_percent", "average_order_value"}
WON_MEASURES = {"won_count", "won_value", "cycle_days_total", "cycle_count", "average_cycle_days"}
ACCURACY_MEASURES = ACCURACY_COLUMNS | {"forecast_mase", "forecast_bias"}
#: Performance fields a drill-down domain may constrain; each is the field of
#: the same name on every source model.
ENTITY_FIELDS = ("company_id", "team_id", "user_id")
#: Codes identifying the rows' sources inside a row id (see _performance_id).
SOURCE_SLOTS = {"sale": 1, "closed": 2, "pipeline": 3, "activity": 4, "target": 5, "accuracy": 6}
SOURCE_SLOT_COUNT = 8

TARGET_HELP = (
    "Confirmed targets of the row's owner (the salesperson, the team or the company, as the "
    "level says) for the month. A quarter or year target counts in a month that has no "
    "target of a shorter period for the same owner and metric, in proportion to the month's "
    "calendar days (a quarter target of 9,000 gives 3,100 to a 31-day month of a 90-day "
    "quarter)."
)


def _month_start(day):
    return day.replace(day=1)


def _next_month(day):
    return _month_start(day) + relativedelta(months=1)


class PerformanceScope:
    """What one query of the analysis must compute: its levels, the months
    it may be narrowed to (``[start, end)``, ``None`` when unbounded) and
    its columns (``None``: all).

    Set in the context by :meth:`SalesperfPerformance._read_group` and
    :meth:`SalesperfPerformance._search` from their arguments, as an object
    that no client can send (a context from the web client holds only JSON
    values): it only ever narrows the query to rows the domain selects
    anyway, and to the columns asked.
    """

    def __init__(self, levels=None, start=None, end=None, columns=None):
        self.levels = tuple(levels) if levels else tuple(level for level, _label in LEVELS)
        self.start = start
        self.end = end
        self.columns = None if columns is None else frozenset(columns)

    def narrowed(self, levels=None, start=None, end=None, columns=None):
        """This scope, narrowed further by what is given."""
        if levels:
            levels = [level for level in self.levels if level in levels]
        return PerformanceScope(
            levels=levels or self.levels,
            start=max(filter(None, (self.start, start)), default=None),
            end=min(filter(None, (self.end, end)), default=None),
            columns=self.columns if columns is None else columns,
        )

    def needs(self, *columns):
        """Whether any of ``columns`` is to be computed."""
        return self.columns is None or not self.columns.isdisjoint(columns)


class SalesperfPerformance(models.Model):
    """Sales KPIs, targets and attainment per month, for the pivot and graph
    views of a manager.

    One row per level (salesperson, sales team or company), company,
    entity and month. Each level's rows are computed for that level, so that
    every measure is exact when summed over its rows: an order counts once
    per level, a new customer once per level (on the row of its first sale).
    The window actions fix the level in their domain; a group mixing levels
    would count everything three times.

    Rows of level "user" carry the salesperson and the team the document
    was made in (a target: its own team, else the salesperson's current
    team); rows of level "team"
    the team; rows of level "company" neither. The figures of a row are the
    whole entity's, like a target's actual: the record rules of this model,
    not those of the documents, decide who sees a row.

    Ratios (margin %, win rate, attainment...) of a group are computed from
    the group's sums by :meth:`_read_group_select`, never averaged over rows.

    Only the current company's rows are ever read (:meth:`_search`), in its
    currency: amounts of companies with different currencies never add up.
    Switch company to see another.
    """

    _name = "salesperf.performance"
    _description = "Sales Performance Analysis"
    _auto = False
    _order = "date desc, level, id"
    _rec_name = "date"

    level = fields.Selection(LEVELS, readonly=True)
    date = fields.Date(
        string="Month",
        readonly=True,
        help="First day of the month, in the company's time zone.",
    )
    company_id = fields.Many2one(
        "res.company",
        readonly=True,
        help="Always the current company: switch company to see another.",
    )
    # rows are the current company's only (see _search): its currency
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)

    # additive measures (see engine.kpi.KPI_DEFINITIONS for their definitions)
    revenue = fields.Monetary(readonly=True)
    margin = fields.Monetary(readonly=True)
    quantity = fields.Float(readonly=True, digits="Product Unit of Measure")
    orders = fields.Integer(readonly=True, help="Distinct orders with a sold line in the month.")
    new_customers = fields.Integer(
        readonly=True,
        help="Customers whose first purchase in the company is in the month, each counted on "
        "the row of the salesperson and team of their first sold line only, so that totals "
        "count every new customer once.",
    )
    won_count = fields.Integer(string="Won", readonly=True)
    won_value = fields.Monetary(readonly=True)
    lost_count = fields.Integer(string="Lost", readonly=True)
    cycle_days_total = fields.Float(string="Days to Close (Total)", readonly=True)
    cycle_count = fields.Integer(string="Won with Days to Close", readonly=True)
    activities_done = fields.Integer(string="Activities", readonly=True)
    pipeline_value = fields.Monetary(
        string="Open Pipeline",
        readonly=True,
        help="Open opportunities expected to close in the month.",
    )
    weighted_pipeline = fields.Monetary(readonly=True)
    # forecast accuracy: the statistical forecasts made a month ahead for the
    # month, scored once it closed (salesperf.forecast.accuracy)
    forecast_scaled_error = fields.Float(
        string="Forecast Scaled Errors (Total)",
        readonly=True,
        help="Sum of |forecast − actual| / scale of the statistical forecasts made a month "
        "ahead for the month, at the row's level.",
    )
    forecast_count = fields.Integer(string="Forecasts Scored", readonly=True)
    forecast_error = fields.Monetary(readonly=True, help="Sum of forecast − actual.")
    forecast_actual = fields.Monetary(
        string="Actual of Forecasts", readonly=True, help="Sum of the actuals forecast."
    )

    # ratios: computed from the group's sums (see _read_group_select)
    margin_percent = fields.Float(string="Margin (%)", readonly=True, aggregator="avg")
    average_order_value = fields.Monetary(readonly=True, aggregator="avg")
    win_rate = fields.Float(string="Win Rate (%)", readonly=True, aggregator="avg")
    average_cycle_days = fields.Float(
        string="Average Days to Close", readonly=True, aggregator="avg"
    )
    forecast_mase = fields.Float(
        string="Forecast MASE",
        readonly=True,
        aggregator="avg",
        help="Forecast scaled errors / forecasts scored: below 1, closer than seasonal naive.",
    )
    forecast_bias = fields.Float(
        string="Forecast Bias (%)",
        readonly=True,
        aggregator="avg",
        help="Forecast error / actual of forecasts × 100: above 0 when too high.",
    )

    # targets, per metric: the target, the actual of the months with a
    # target, the attainment (%) and the gap
    revenue_target = fields.Monetary(readonly=True, help=TARGET_HELP)
    revenue_target_actual = fields.Monetary(string="Revenue (Months with Target)", readonly=True)
    revenue_attainment = fields.Float(
        string="Revenue Attainment (%)", readonly=True, aggregator="avg"
    )
    revenue_gap = fields.Monetary(readonly=True, aggregator="avg")
    margin_target = fields.Monetary(readonly=True, help=TARGET_HELP)
    margin_target_actual = fields.Monetary(string="Margin (Months with Target)", readonly=True)
    margin_attainment = fields.Float(
        string="Margin Attainment (%)", readonly=True, aggregator="avg"
    )
    margin_gap = fields.Monetary(readonly=True, aggregator="avg")
    orders_target = fields.Float(readonly=True, help=TARGET_HELP)
    orders_target_actual = fields.Integer(string="Orders (Months with Target)", readonly=True)
    orders_attainment = fields.Float(
        string="Orders Attainment (%)", readonly=True, aggregator="avg"
    )
    orders_gap = fields.Float(readonly=True, aggregator="avg")
    new_customers_target = fields.Float(readonly=True, help=TARGET_HELP)
    new_customers_target_actual = fields.Integer(
        string="New Customers (Months with Target)", readonly=True
    )
    new_customers_attainment = fields.Float(
        string="New Customers Attainment (%)", readonly=True, aggregator="avg"
    )
    new_customers_gap = fields.Float(readonly=True, aggregator="avg")
    won_count_target = fields.Float(string="Won Target", readonly=True, help=TARGET_HELP)
    won_count_target_actual = fields.Integer(string="Won (Months with Target)", readonly=True)
    won_count_attainment = fields.Float(
        string="Won Attainment (%)", readonly=True, aggregator="avg"
    )
    won_count_gap = fields.Float(string="Won Gap", readonly=True, aggregator="avg")
    won_value_target = fields.Monetary(readonly=True, help=TARGET_HELP)
    won_value_target_actual = fields.Monetary(
        string="Won Value (Months with Target)", readonly=True
    )
    won_value_attainment = fields.Float(
        string="Won Value Attainment (%)", readonly=True, aggregator="avg"
    )
    won_value_gap = fields.Monetary(readonly=True, aggregator="avg")
    activities_done_target = fields.Float(
        string="Activities Target", readonly=True, help=TARGET_HELP
    )
    activities_done_target_actual = fields.Integer(
        string="Activities (Months with Target)", readonly=True
    )
    activities_done_attainment = fields.Float(
        string="Activities Attainment (%)", readonly=True, aggregator="avg"
    )
    activities_done_gap = fields.Float(string="Activities Gap", readonly=True, aggregator="avg")

    # ------------------------------------------------------------
    # SQL
    # ------------------------------------------------------------

    @property
    def _table_query(self):
        scope = self._performance_scope()
        return SQL(
            "WITH target_months AS NOT MATERIALIZED (%s) %s",
            self._performance_target_months(),
            SQL(" UNION ALL ").join(
                SQL("(%s)", self._performance_level_query(level, scope)) for level in scope.levels
            ),
        )

    def _performance_scope(self):
        """The scope :meth:`_read_group` and :meth:`_search` set for the
        query being built; everything when there is none."""
        scope = self.env.context.get("salesperf_performance_scope")
        return scope if isinstance(scope, PerformanceScope) else PerformanceScope()

    @api.model
    def _performance_month(self, day_column):
        return SQL("date_trunc('month', %s)::date", day_column)

    @api.model
    def _performance_level_query(self, level, scope):
        """Rows of one level: every source grouped per entity and month,
        then the months with a target flagged per metric."""
        owner = {"user": "user_id", "team": "team_id", "company": "company_id"}[level]
        summed = (
            *(m for m in MEASURES if m != "new_customers"),
            *(f"{metric}_target" for metric in TARGET_METRICS),
        )
        sums = SQL(", ").join(
            SQL("SUM(%s) AS %s", SQL.identifier(name), SQL.identifier(name)) for name in summed
        )
        families = {
            "sales": (self._performance_sales, SALES_COLUMNS | {"new_customers"}),
            "closed": (self._performance_closed_opportunities, CLOSED_COLUMNS),
            "pipeline": (self._performance_pipeline, PIPELINE_COLUMNS),
            "activities": (self._performance_activities, {"activities_done"}),
            "accuracy": (self._performance_forecast_accuracy, ACCURACY_COLUMNS),
            "targets": (
                self._performance_targets,
                {f"{metric}_target" for metric in TARGET_METRICS},
            ),
        }
        # only the sources of the columns asked (all when none is: the rows
        # themselves are asked)
        needed = [method for method, columns in families.values() if scope.needs(*columns)]
        sources = SQL(" UNION ALL ").join(
            SQL("(%s)", method(level, scope))
            for method in needed or [method for method, _columns in families.values()]
        )
        measures = {name: SQL("grouped.%s", SQL.identifier(name)) for name in MEASURES}
        joins = []
        if scope.needs("new_customers"):
            measures["new_customers"] = SQL("COALESCE(new.new_customers, 0)")
            joins.append(
                SQL(
                    """LEFT JOIN (%s) new
                        ON new.company_id = grouped.company_id
                       AND new.team_key = COALESCE(grouped.team_id, 0)
                       AND new.user_key = COALESCE(grouped.user_id, 0)
                       AND new.date = grouped.date""",
                    self._performance_new_customers(level, scope),
                )
            )
        else:
            measures["new_customers"] = SQL("0")
        if scope.needs("target_flags"):
            joins.append(
                SQL(
                    """LEFT JOIN (
                        SELECT company_id, owner_id, team_id, date, %s
                        FROM target_months
                        WHERE scope = %s
                        GROUP BY company_id, owner_id, team_id, date
                    ) flags
                        ON flags.company_id = grouped.company_id
                       AND flags.owner_id = grouped.%s
                       AND flags.date = grouped.date
                       AND %s""",
                    SQL(", ").join(
                        SQL("bool_or(metric = %s) AS %s", metric, SQL.identifier(metric))
                        for metric in TARGET_METRICS
                    ),
                    level,
                    SQL.identifier(owner),
                    # a salesperson's target counts in the team it sits in
                    # (see _performance_target_months), not in their others
                    SQL("flags.team_id IS NOT DISTINCT FROM grouped.team_id")
                    if level == "user"
                    else SQL("TRUE"),
                )
            )
        columns = [
            SQL("grouped.code * 4 + %s AS id", LEVEL_INDEX[level]),
            SQL("%s::varchar AS level", level),
            SQL("grouped.company_id AS company_id"),
            SQL("grouped.team_id AS team_id"),
            SQL("grouped.user_id AS user_id"),
            SQL("grouped.date AS date"),
            *(SQL("%s AS %s", value, SQL.identifier(name)) for name, value in measures.items()),
            *(
                SQL("%s AS %s", self._performance_ratio(name, measures), SQL.identifier(name))
                for name in RATIOS
            ),
        ]
        for metric in TARGET_METRICS:
            target = SQL("grouped.%s", SQL.identifier(f"{metric}_target"))
            if scope.needs("target_flags"):
                has_target = SQL("flags.%s", SQL.identifier(metric))
            else:
                has_target = SQL("FALSE")
            actual = SQL("CASE WHEN %s THEN %s ELSE 0 END", has_target, measures[metric])
            columns += [
                SQL("%s AS %s", target, SQL.identifier(f"{metric}_target")),
                SQL("%s AS %s", actual, SQL.identifier(f"{metric}_target_actual")),
                SQL(
                    "%s * 100.0 / NULLIF(%s, 0) AS %s",
                    actual,
                    target,
                    SQL.identifier(f"{metric}_attainment"),
                ),
                SQL(
                    "GREATEST(COALESCE(%s, 0) - %s, 0) AS %s",
                    target,
                    actual,
                    SQL.identifier(f"{metric}_gap"),
                ),
            ]
        return SQL(
            """SELECT %s
            FROM (
                SELECT company_id, team_id, user_id, date, MIN(code) AS code, %s
                FROM (%s) source
                GROUP BY company_id, team_id, user_id, date
            ) grouped
            %s""",
            SQL(", ").join(columns),
            sums,
            sources,
            SQL("\n").join(joins),
        )

    @api.model
    def _performance_ratio(self, name, measures):
        numerator, denominator, factor = RATIOS[name]
        if isinstance(denominator, tuple):
            denominator_sql = SQL(" + ").join(measures[part] for part in denominator)
        else:
            denominator_sql = measures[denominator]
        return SQL("%s * %s / NULLIF(%s, 0)", measures[numerator], float(factor), denominator_sql)

    @api.model
    def _performance_source_columns(self, level, scope, alias, code, month, values):
        """``SELECT`` list of one source for one level: the level's keys,
        the month, the row-id code and those of ``values`` the scope needs
        (other measures are 0)."""
        columns = [
            SQL("%s.company_id AS company_id", SQL.identifier(alias)),
            *(
                SQL("%s.%s AS %s", SQL.identifier(alias), SQL.identifier(key), SQL.identifier(name))
                if key
                else SQL("NULL::integer AS %s", SQL.identifier(name))
                for key, name in zip(LEVEL_KEYS[level], ("team_id", "user_id"), strict=True)
            ),
            SQL("%s AS date", month),
            SQL("%s AS code", code),
        ]
        names = [
            *(m for m in MEASURES if m != "new_customers"),
            *(f"{metric}_target" for metric in TARGET_METRICS),
        ]
        columns += [
            SQL(
                "%s AS %s",
                values[name] if name in values and scope.needs(name) else SQL("0"),
                SQL.identifier(name),
            )
            for name in names
        ]
        return SQL(", ").join(columns)

    @api.model
    def _performance_group_by(self, level, alias, month):
        team_key, user_key = LEVEL_KEYS[level]
        keys = [SQL("%s.company_id", SQL.identifier(alias))]
        keys += [
            SQL("%s.%s", SQL.identifier(alias), SQL.identifier(key))
            for key in (team_key, user_key)
            if key
        ]
        return SQL(", ").join([*keys, month])

    @api.model
    def _performance_code(self, id_column, slot):
        """A number unique to one source record: the rows' ids are the
        smallest code of their records, so two rows never share one. In
        bigint: a row id is a record id times 32 (and a sale fact's id ten
        times its line's), beyond an integer from the 6.7 millionth line."""
        return SQL("MIN(%s)::bigint * %s + %s", id_column, SOURCE_SLOT_COUNT, SOURCE_SLOTS[slot])

    @api.model
    def _performance_fact_query(self, scope):
        """The sales facts, narrowed by their UTC order time when the query
        is bounded (a day wider on each side: time zones span UTC-12 to
        UTC+14), so that the database reads only those orders' lines."""
        facts = self.env["salesperf.sale.fact"]
        # the rows' own month condition, pushed down by the database, keeps
        # the facts of the scope's months only
        return SQL(
            "SELECT * FROM (%s) fact WHERE %s",
            facts._table_query,
            self._performance_utc_condition(SQL("fact.order_datetime"), scope),
        )

    @api.model
    def _performance_utc_condition(self, datetime_column, scope):
        """``datetime_column`` (UTC) within a day of the scope's months, on
        each side (time zones span UTC-12 to UTC+14): a condition the
        database can answer from an index."""
        conditions = [SQL("TRUE")]
        if scope.start:
            start = datetime.combine(scope.start - timedelta(days=1), time.min)
            conditions.append(SQL("%s >= %s", datetime_column, start))
        if scope.end:
            end = datetime.combine(scope.end + timedelta(days=1), time.min)
            conditions.append(SQL("%s < %s", datetime_column, end))
        return SQL(" AND ").join(conditions)

    @api.model
    def _performance_month_condition(self, day_column, scope):
        """``day_column`` within the scope's months (all when unbounded)."""
        conditions = [SQL("TRUE")]
        if scope.start:
            conditions.append(SQL("%s >= %s", day_column, scope.start))
        if scope.end:
            conditions.append(SQL("%s < %s", day_column, scope.end))
        return SQL(" AND ").join(conditions)

    @api.model
    def _performance_sales(self, level, scope):
        month = self._performance_month(SQL("fact.date"))
        values = {
            "revenue": SQL("SUM(fact.revenue)"),
            "margin": SQL("SUM(fact.margin)"),
            "quantity": SQL("SUM(fact.quantity)"),
            "orders": SQL("COUNT(DISTINCT fact.order_reference)"),
        }
        return SQL(
            "SELECT %s FROM (%s) fact GROUP BY %s",
            self._performance_source_columns(
                level, scope, "fact", self._performance_code(SQL("fact.id"), "sale"), month, values
            ),
            self._performance_fact_query(scope),
            self._performance_group_by(level, "fact", month),
        )

    @api.model
    def _performance_new_customers(self, level, scope):
        """New customers per row: each customer whose first purchase in the
        company is in the month, on the row of their first sold line (its
        salesperson and team at the levels that have them).

        One row per customer and level, so that the rows of a level add up
        to the company's new customers even when two salespeople or teams
        sold to the customer in their first month. Only the customers who
        bought in the scope's months are looked up.
        """
        team_key, user_key = LEVEL_KEYS[level]
        facts = self.env["salesperf.sale.fact"]
        month = self._performance_month(SQL("first.date"))
        return SQL(
            """SELECT company_id, team_key, user_key, %(month)s AS date,
                      COUNT(*) AS new_customers
            FROM (
                SELECT DISTINCT ON (fact.company_id, fact.commercial_partner_id)
                       fact.company_id, fact.date, %(team)s AS team_key, %(user)s AS user_key
                FROM (%(all_facts)s) fact
                WHERE fact.company_id = %(company)s
                  AND fact.commercial_partner_id IN (
                      SELECT scoped.commercial_partner_id
                      FROM (%(facts)s) scoped
                      WHERE scoped.company_id = %(company)s
                  )
                ORDER BY fact.company_id, fact.commercial_partner_id, fact.order_datetime,
                         fact.id
            ) first
            WHERE %(months)s
            GROUP BY company_id, team_key, user_key, %(month)s""",
            month=month,
            team=SQL("COALESCE(fact.team_id, 0)") if team_key else SQL("0"),
            user=SQL("COALESCE(fact.user_id, 0)") if user_key else SQL("0"),
            all_facts=facts._table_query,
            facts=self._performance_fact_query(scope),
            company=self.env.company.id,
            months=self._performance_month_condition(month, scope),
        )

    @api.model
    def _performance_company_joins(self, company_column):
        return SQL(
            """JOIN res_company company ON company.id = %s
            JOIN res_partner company_partner ON company_partner.id = company.partner_id""",
            company_column,
        )

    @api.model
    def _performance_closed_opportunities(self, level, scope):
        """Won and lost opportunities by the month they closed in the
        company's time zone (like ``salesperf.sale.fact._fact_local_date``)."""
        local_day = self.env["salesperf.sale.fact"]._fact_local_date(SQL("lead.date_closed"))
        month = self._performance_month(local_day)
        won = SQL("lead.active AND lead.probability = 100")
        values = {
            "won_count": SQL("COUNT(*) FILTER (WHERE %s)", won),
            "won_value": SQL("COALESCE(SUM(lead.expected_revenue) FILTER (WHERE %s), 0)", won),
            "lost_count": SQL("COUNT(*) FILTER (WHERE NOT (%s))", won),
            "cycle_days_total": SQL("COALESCE(SUM(lead.day_close) FILTER (WHERE %s), 0)", won),
            "cycle_count": SQL("COUNT(lead.day_close) FILTER (WHERE %s)", won),
        }
        lead = self.env["crm.lead"]
        return SQL(
            """SELECT %(columns)s
            FROM crm_lead lead
            %(company_joins)s
            WHERE lead.type = 'opportunity'
              AND lead.date_closed IS NOT NULL
              AND ((lead.active AND lead.probability = 100)
                   OR (NOT lead.active AND lead.probability = 0))
              AND %(narrowing)s
            GROUP BY %(group_by)s%(flush)s""",
            columns=self._performance_source_columns(
                level,
                scope,
                "lead",
                self._performance_code(SQL("lead.id"), "closed"),
                month,
                values,
            ),
            company_joins=self._performance_company_joins(SQL("lead.company_id")),
            narrowing=self._performance_utc_condition(SQL("lead.date_closed"), scope),
            group_by=self._performance_group_by(level, "lead", month),
            flush=self._performance_flush(
                lead,
                [
                    "type",
                    "date_closed",
                    "active",
                    "probability",
                    "expected_revenue",
                    "day_close",
                    "company_id",
                    "team_id",
                    "user_id",
                ],
            ),
        )

    @api.model
    def _performance_pipeline(self, level, scope):
        """Open opportunities by the month of their expected closing."""
        month = self._performance_month(SQL("lead.date_deadline"))
        values = {
            "pipeline_value": SQL("COALESCE(SUM(lead.expected_revenue), 0)"),
            "weighted_pipeline": SQL("COALESCE(SUM(lead.prorated_revenue), 0)"),
        }
        lead = self.env["crm.lead"]
        return SQL(
            """SELECT %(columns)s
            FROM crm_lead lead
            WHERE lead.type = 'opportunity'
              AND lead.active
              AND lead.probability < 100
              AND lead.company_id IS NOT NULL
              AND lead.date_deadline IS NOT NULL
              AND %(months)s
            GROUP BY %(group_by)s%(flush)s""",
            columns=self._performance_source_columns(
                level,
                scope,
                "lead",
                self._performance_code(SQL("lead.id"), "pipeline"),
                month,
                values,
            ),
            months=self._performance_month_condition(SQL("lead.date_deadline"), scope),
            group_by=self._performance_group_by(level, "lead", month),
            flush=self._performance_flush(
                lead,
                [
                    "type",
                    "active",
                    "probability",
                    "date_deadline",
                    "expected_revenue",
                    "prorated_revenue",
                    "company_id",
                    "team_id",
                    "user_id",
                ],
            ),
        )

    @api.model
    def _performance_activities(self, level, scope):
        month = self._performance_month(SQL("activity.date"))
        return SQL(
            "SELECT %s FROM (%s) activity WHERE %s GROUP BY %s",
            self._performance_source_columns(
                level,
                scope,
                "activity",
                self._performance_code(SQL("activity.id"), "activity"),
                month,
                {"activities_done": SQL("COUNT(*)")},
            ),
            self.env["salesperf.activity.fact"]._table_query,
            self._performance_month_condition(SQL("activity.date"), scope),
            self._performance_group_by(level, "activity", month),
        )

    @api.model
    def _performance_forecast_accuracy(self, level, scope):
        """The scored statistical forecasts made a month ahead for each month,
        at the level's own series (a team's forecast on the team's rows). A
        salesperson's series has no team: it sits with the salesperson's
        current team, as a target without a team does."""
        return SQL(
            """SELECT %(columns)s
            FROM (
                SELECT accuracy.id, accuracy.company_id, accuracy.user_id, accuracy.date,
                       COALESCE(accuracy.team_id, salesperson.sale_team_id) AS team_id,
                       accuracy.scaled_error, accuracy.error, accuracy.actual
                FROM salesperf_forecast_accuracy accuracy
                LEFT JOIN res_users salesperson ON salesperson.id = accuracy.user_id
                WHERE accuracy.source = 'statistical'
                  AND accuracy.lag = 1
                  AND accuracy.scale > 0
                  AND accuracy.level = %(level)s
            ) accuracy
            WHERE %(months)s
            GROUP BY %(group_by)s%(flush)s""",
            columns=self._performance_source_columns(
                level,
                scope,
                "accuracy",
                self._performance_code(SQL("accuracy.id"), "accuracy"),
                SQL("accuracy.date"),
                {
                    "forecast_scaled_error": SQL("SUM(accuracy.scaled_error)"),
                    "forecast_count": SQL("COUNT(*)"),
                    "forecast_error": SQL("SUM(accuracy.error)"),
                    "forecast_actual": SQL("SUM(accuracy.actual)"),
                },
            ),
            level=level,
            months=self._performance_month_condition(SQL("accuracy.date"), scope),
            group_by=self._performance_group_by(level, "accuracy", SQL("accuracy.date")),
            flush=SQL().join(
                [
                    self._performance_flush(
                        self.env["salesperf.forecast.accuracy"],
                        [
                            "source",
                            "lag",
                            "scale",
                            "level",
                            "company_id",
                            "team_id",
                            "user_id",
                            "date",
                            "scaled_error",
                            "error",
                            "actual",
                        ],
                    ),
                    self._performance_flush(self.env["res.users"], ["sale_team_id"]),
                ]
            ),
        )

    @api.model
    def _performance_targets(self, level, scope):
        """The month shares of the level's confirmed targets, one column per
        metric."""
        values = {
            f"{metric}_target": SQL(
                "COALESCE(SUM(target.amount) FILTER (WHERE target.metric = %s), 0)", metric
            )
            for metric in TARGET_METRICS
        }
        return SQL(
            "SELECT %s FROM target_months target WHERE target.scope = %s GROUP BY %s",
            self._performance_source_columns(
                level,
                scope,
                "target",
                self._performance_code(SQL("target.code"), "target"),
                SQL("target.date"),
                values,
            ),
            level,
            self._performance_group_by(level, "target", SQL("target.date")),
        )

    @api.model
    def _performance_target_months(self):
        """Confirmed targets per month: a month target on its month; a
        quarter or year target on each of its months that has no target of
        a shorter period (same owner and metric), in proportion to the
        month's calendar days. A salesperson's target without a team sits
        with the salesperson's current team, where their sales usually are."""
        target = self.env["salesperf.target"]
        return SQL(
            """SELECT DISTINCT ON (
                       target.company_id, target.scope, owner_id, target.metric, month.date
                   )
                   target.company_id, target.scope, target.user_id, target.metric,
                   CASE WHEN target.scope = 'user'
                        THEN COALESCE(target.team_id, salesperson.sale_team_id)
                        ELSE target.team_id END AS team_id,
                   CASE target.scope WHEN 'user' THEN target.user_id
                                     WHEN 'team' THEN target.team_id
                                     ELSE target.company_id END AS owner_id,
                   month.date,
                   CASE WHEN target.period_kind = 'month' THEN target.amount
                        ELSE target.amount * ((month.date + INTERVAL '1 month')::date - month.date)
                             / (target.date_to - target.date_from + 1) END AS amount,
                   target.id::bigint * 12 + month.number AS code
            FROM salesperf_target target
            LEFT JOIN res_users salesperson ON salesperson.id = target.user_id
            CROSS JOIN LATERAL (
                SELECT day::date AS date, ROW_NUMBER() OVER () - 1 AS number
                FROM generate_series(target.date_from, target.date_to, INTERVAL '1 month') day
            ) month
            WHERE target.state = 'confirmed'
            ORDER BY target.company_id, target.scope, owner_id, target.metric, month.date,
                     CASE target.period_kind
                         WHEN 'month' THEN 0 WHEN 'quarter' THEN 1 ELSE 2
                     END%s""",
            SQL().join(
                [
                    self._performance_flush(
                        target,
                        [
                            "state",
                            "scope",
                            "company_id",
                            "team_id",
                            "user_id",
                            "metric",
                            "period_kind",
                            "date_from",
                            "date_to",
                            "amount",
                        ],
                    ),
                    self._performance_flush(self.env["res.users"], ["sale_team_id"]),
                ]
            ),
        )

    @api.model
    def _performance_flush(self, model, names):
        """Empty SQL that flushes ``names`` of ``model`` before the query runs."""
        return SQL().join(SQL(to_flush=model._fields[name]) for name in names)

    # ------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        """The current company's rows only, whatever the domain: amounts are
        in each company's currency and never add up across companies (switch
        company to see another).

        Compute only the levels and months the domain can match: its
        conditions that every row must meet (those joined by AND) on the
        level and the month narrow the query, so that the database reads
        the orders and opportunities of those months only."""
        domain = expression.AND([domain, [("company_id", "=", self.env.company.id)]])
        scope = self._performance_scope()
        levels = {
            value
            for field_name, operator, value in self._performance_and_leaves(domain)
            if field_name == "level"
            and operator == "="
            and isinstance(value, str)
            and value in LEVEL_INDEX
        }
        start, end = self._performance_bounds(domain)
        scope = scope.narrowed(levels=levels, start=start, end=end)
        return super(
            SalesperfPerformance, self.with_context(salesperf_performance_scope=scope)
        )._search(domain, offset=offset, limit=limit, order=order)

    @api.model
    def _read_group(
        self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None
    ):
        """Compute only the measures the grouping asks for (and those its
        domain filters on): a pivot of revenue reads no opportunity."""
        names = {spec.split(":")[0] for spec in (*groupby, *aggregates)}
        # a domain leaf names a field ("team_id.name"), a having leaf an
        # aggregate ("revenue:sum")
        names |= {
            leaf[0].split(":")[0].split(".")[0]
            for leaf in (*expression.normalize_domain(domain), *expression.normalize_domain(having))
            if expression.is_leaf(leaf) and isinstance(leaf[0], str)
        }
        if order:
            names |= {term.split()[0].split(":")[0] for term in order.split(",") if term.strip()}
        scope = self._performance_scope().narrowed(columns=self._performance_columns(names))
        return super(
            SalesperfPerformance, self.with_context(salesperf_performance_scope=scope)
        )._read_group(
            domain,
            groupby=groupby,
            aggregates=aggregates,
            having=having,
            offset=offset,
            limit=limit,
            order=order,
        )

    @api.model
    def _performance_columns(self, names):
        """The columns of the query that the fields ``names`` need."""
        columns = set()
        for name in names:
            if name in MEASURES:
                columns.add(name)
            elif name in RATIOS:
                numerator, denominator, _factor = RATIOS[name]
                columns.add(numerator)
                columns.update(denominator if isinstance(denominator, tuple) else [denominator])
            else:
                metric, kind = self._performance_target_field(name)
                if kind == "target":
                    columns.add(f"{metric}_target")
                elif kind:
                    columns |= {metric, f"{metric}_target", "target_flags"}
        return columns

    @api.model
    def _performance_bounds(self, domain):
        """``(first month, first month after)`` implied by the leaves of
        ``domain`` that every row must satisfy (those joined by AND only),
        each ``None`` when unbounded. Always as wide as the domain or wider."""
        start = end = None
        for leaf in self._performance_and_leaves(domain):
            field_name, operator, value = leaf
            if field_name != "date" or not value or operator not in (">=", ">", "<", "<=", "="):
                continue
            try:
                day = fields.Date.to_date(value)
            except (TypeError, ValueError):
                continue
            if not isinstance(day, date):
                continue
            # the first month start >= (or >) the day, the first month
            # start after the last month < (or <=) the day
            ceiling = _next_month(day - timedelta(days=1))
            low = {">=": ceiling, ">": _next_month(day), "=": _month_start(day)}.get(operator)
            high = {"<": ceiling, "<=": _next_month(day), "=": _next_month(day)}.get(operator)
            if low:
                start = max(start, low) if start else low
            if high:
                end = min(end, high) if end else high
        return start, end

    @api.model
    def _performance_and_leaves(self, domain):
        """The leaves of ``domain`` reached through '&' operators only."""
        domain = expression.normalize_domain(domain)
        leaves = []
        # each stack item tells whether the next term hangs under '&' only
        stack = [True]
        for token in domain:
            under_and = stack.pop()
            if token == "&":
                stack += [under_and, under_and]
            elif token in ("|", "!"):
                stack += [False] * (2 if token == "|" else 1)
            elif under_and and expression.is_leaf(token) and isinstance(token[0], str):
                leaves.append(tuple(token))
        return leaves

    @api.model
    def _read_group_select(self, aggregate_spec, query):
        """Ratios of a group from the group's sums, whatever the aggregate
        asked: margin % is the group's margin over its revenue, attainment
        the group's actual (of the months with a target) over its target.
        An average of the rows' ratios would weigh a small month like a big
        one."""
        name = aggregate_spec.split(":")[0]
        if name not in self._performance_ratio_fields():
            return super()._read_group_select(aggregate_spec, query)

        def total(field_name):
            return SQL("SUM(%s)", self._field_to_sql(self._table, field_name, query))

        if name in RATIOS:
            return self._performance_ratio(name, {m: total(m) for m in MEASURES})
        metric, kind = self._performance_target_field(name)
        target, actual = total(f"{metric}_target"), total(f"{metric}_target_actual")
        if kind == "attainment":
            return SQL("%s * 100.0 / NULLIF(%s, 0)", actual, target)
        return SQL("GREATEST(COALESCE(%s, 0) - COALESCE(%s, 0), 0)", target, actual)

    @api.model
    def _performance_ratio_fields(self):
        return {
            *RATIOS,
            *(f"{metric}_attainment" for metric in TARGET_METRICS),
            *(f"{metric}_gap" for metric in TARGET_METRICS),
        }

    @api.model
    def _performance_target_field(self, name):
        """``(metric, kind)`` of a target field: kind is target, actual,
        attainment or gap; ``(None, None)`` for other fields."""
        for metric in TARGET_METRICS:
            for suffix, kind in (
                ("_target_actual", "actual"),
                ("_target", "target"),
                ("_attainment", "attainment"),
                ("_gap", "gap"),
            ):
                if name == metric + suffix:
                    return metric, kind
        return None, None

    # ------------------------------------------------------------
    # DRILL-DOWN
    # ------------------------------------------------------------

    @api.model
    def action_open_details(self, domain, measure):
        """The documents behind a figure of the analysis: the action opening
        the records counted by ``measure`` in the rows of ``domain`` (the
        domain of a pivot cell or a graph point).

        The domain is translated to the source model: the salesperson, team
        and company conditions as they are, each month condition to the
        days of those months. Sales open the sales facts, won and lost
        opportunities the opportunities closed in those months (in each
        company's time zone), the pipeline the open opportunities expected to
        close in them, activities the completed activities, targets the
        confirmed targets of the level covering them, all of the current
        company. The user's access rules on the source model apply.
        """
        level = self._performance_domain_level(domain)
        family, metric = self._performance_measure_family(measure)
        source = self._performance_sources()[family]
        translated = self._performance_translate_domain(domain, level, source)
        # the figure is the current company's (see _search)
        base = [*source["domain"](level, metric), ("company_id", "=", self.env.company.id)]
        action = {
            "type": "ir.actions.act_window",
            "name": self._performance_details_title(measure),
            "res_model": source["model"],
            "views": [[False, "list"], [False, "form"]],
            "view_mode": "list,form",
            "domain": expression.AND([base, translated]),
            "context": {"create": False, **source.get("context", {})},
            "target": "current",
        }
        return action

    @api.model
    def _performance_details_title(self, measure):
        if measure in self._fields:
            return self._fields[measure]._description_string(self.env)
        return _("Details")

    @api.model
    def _performance_measure_family(self, measure):
        """``(source family, target metric or None)`` of a measure."""
        metric, kind = self._performance_target_field(measure)
        if kind in ("target", "attainment", "gap"):
            return "target", metric
        if kind == "actual":
            measure = metric
        if measure in SALES_MEASURES:
            return "sales", None
        if measure in WON_MEASURES:
            return "won", None
        if measure == "lost_count":
            return "lost", None
        if measure == "win_rate":
            return "closed", None
        if measure in ("pipeline_value", "weighted_pipeline"):
            return "pipeline", None
        if measure == "activities_done":
            return "activities", None
        if measure in ACCURACY_MEASURES:
            return "accuracy", None
        raise UserError(
            _(
                "“%(measure)s” does not come from documents that can be opened: choose a measure "
                "such as revenue, won opportunities or activities.",
                measure=self._performance_details_title(measure)
                if measure != "__count"
                else _("Count"),
            )
        )

    @api.model
    def _performance_sources(self):
        """Per family: the source model, the field holding the day a record
        counts on (``None`` for targets and closed opportunities, which need
        their own translation), its base domain and context."""
        opportunity = [("type", "=", "opportunity"), ("date_closed", "!=", False)]
        won = [("active", "=", True), ("probability", "=", 100)]
        lost = [("active", "=", False), ("probability", "=", 0)]
        return {
            "sales": {
                "model": "salesperf.sale.fact",
                "day_field": "date",
                "domain": lambda level, metric: [],
            },
            "won": {
                "model": "crm.lead",
                "day_field": "date_closed",
                "local_datetime": True,
                "domain": lambda level, metric: [*opportunity, *won],
                "context": {"active_test": False},
            },
            "lost": {
                "model": "crm.lead",
                "day_field": "date_closed",
                "local_datetime": True,
                "domain": lambda level, metric: [*opportunity, *lost],
                "context": {"active_test": False},
            },
            "closed": {
                "model": "crm.lead",
                "day_field": "date_closed",
                "local_datetime": True,
                "domain": lambda level, metric: expression.AND(
                    [opportunity, expression.OR([won, lost])]
                ),
                "context": {"active_test": False},
            },
            "pipeline": {
                "model": "crm.lead",
                "day_field": "date_deadline",
                "domain": lambda level, metric: [
                    ("type", "=", "opportunity"),
                    ("probability", "<", 100),
                    ("date_deadline", "!=", False),
                ],
            },
            "activities": {
                "model": "salesperf.activity.fact",
                "day_field": "date",
                "domain": lambda level, metric: [],
            },
            "accuracy": {
                "model": "salesperf.forecast.accuracy",
                "day_field": "date",
                "domain": lambda level, metric: self.env["salesperf.forecast.accuracy"]._kpi_domain(
                    level
                ),
                # a salesperson's series sits with their current team
                "salesperson_team": True,
            },
            "target": {
                "model": "salesperf.target",
                "day_field": None,
                "salesperson_team": True,
                "domain": lambda level, metric: [
                    ("state", "=", "confirmed"),
                    ("scope", "=", level),
                    ("metric", "=", metric),
                ],
            },
        }

    @api.model
    def _performance_domain_level(self, domain):
        """The level the domain is about: the window actions fix it."""
        values = [
            value
            for field_name, operator, value in self._performance_and_leaves(domain)
            if field_name == "level" and operator == "="
        ]
        levels = {value for value in values if isinstance(value, str)}
        if len(values) != len(levels) or len(levels) != 1 or not levels <= dict(LEVELS).keys():
            raise UserError(
                _(
                    "Open the analysis by salesperson, by sales team or by company to see its "
                    "documents."
                )
            )
        return levels.pop()

    @api.model
    def _performance_translate_domain(self, domain, level, source):
        """``domain`` on the reporting rows, as a domain on the source model."""
        result = []
        for token in expression.normalize_domain(domain):
            if not expression.is_leaf(token):
                result.append(token)
                continue
            # a JSON domain sends its leaves as lists
            if tuple(token) in (expression.TRUE_LEAF, expression.FALSE_LEAF):
                result.append(tuple(token))
                continue
            field_name, operator, value = token
            base_name = field_name.split(".")[0]
            if base_name == "level":
                # checked by _performance_domain_level: the level is the
                # source's own (a team's sales, a salesperson's targets)
                result.append(expression.TRUE_LEAF)
            elif base_name in ENTITY_FIELDS:
                result += self._performance_translate_entity(level, token, source)
            elif base_name == "date" and "." not in field_name:
                result += self._performance_translate_date(operator, value, source)
            else:
                raise UserError(
                    _(
                        "The documents behind this figure cannot be filtered on “%(field)s”: "
                        "remove that filter or grouping and try again.",
                        field=self._fields[base_name]._description_string(self.env)
                        if base_name in self._fields
                        else field_name,
                    )
                )
        return result

    @api.model
    def _performance_translate_entity(self, level, leaf, source):
        """A salesperson, team or company condition, as it is. At a level
        whose rows have no such column (a team's rows have no salesperson),
        the condition is decided on the empty value, as on the rows.

        A salesperson's target without a team, like a salesperson's
        forecast series, sits in their current team (see
        :meth:`_performance_target_months`): a team condition on those
        sources (``salesperson_team``) is on that team."""
        field_name, operator, value = leaf
        base_name = field_name.split(".")[0]
        if base_name == "team_id" and level == "user" and source.get("salesperson_team"):
            rest = field_name[len(base_name) :]
            return [
                "|",
                "&",
                ("team_id", "!=", False),
                (field_name, operator, value),
                "&",
                ("team_id", "=", False),
                (f"user_id.sale_team_id{rest}", operator, value),
            ]
        if base_name == "company_id" or base_name in LEVEL_KEYS[level]:
            return [tuple(leaf)]
        values = value if isinstance(value, (list, tuple)) else [value]
        if "." not in field_name and operator in ("=", "in", "!=", "not in"):
            matches_empty = (False in values or None in values) == (operator in ("=", "in"))
            return [expression.TRUE_LEAF if matches_empty else expression.FALSE_LEAF]
        raise UserError(
            _(
                "The analysis by %(level)s has no %(field)s: remove that filter or grouping to "
                "see its documents.",
                level=dict(self._fields["level"]._description_selection(self.env))[level].lower(),
                field=self._fields[base_name]._description_string(self.env),
            )
        )

    @api.model
    def _performance_translate_date(self, operator, value, source):
        """A condition on the rows' month (its first day) as a condition on
        the days of the source: whole months, as the rows count them."""
        if value is False or value is None:
            if operator in ("=", "in"):
                return [expression.FALSE_LEAF]
            if operator in ("!=", "not in"):
                return [expression.TRUE_LEAF]
        values = value if operator in ("in", "not in") else [value]
        try:
            days = [fields.Date.to_date(item) for item in values]
        except (TypeError, ValueError):
            days = [None]
        if any(not isinstance(day, date) for day in days) or operator not in (
            ">=",
            ">",
            "<",
            "<=",
            "=",
            "!=",
            "in",
            "not in",
        ):
            raise UserError(
                _(
                    "The documents behind this figure cannot be filtered with “Month %(operator)s "
                    "%(value)s”: use a period of whole months.",
                    operator=operator,
                    value=value,
                )
            )
        if operator == ">=":
            return self._performance_day_bound(
                source, ">=", _next_month(days[0] - timedelta(days=1))
            )
        if operator == ">":
            return self._performance_day_bound(source, ">=", _next_month(days[0]))
        if operator == "<":
            return self._performance_day_bound(
                source, "<", _next_month(days[0] - timedelta(days=1))
            )
        if operator == "<=":
            return self._performance_day_bound(source, "<", _next_month(days[0]))
        months = [
            expression.AND(
                [
                    self._performance_day_bound(source, ">=", day),
                    self._performance_day_bound(source, "<", _next_month(day)),
                ]
            )
            for day in days
            if day.day == 1
        ]
        in_months = expression.OR(months) if months else [expression.FALSE_LEAF]
        if operator in ("=", "in"):
            return in_months
        return ["!", *in_months]

    @api.model
    def _performance_day_bound(self, source, operator, month_start):
        """Domain: the source's day ``>=`` or ``<`` the first day of a month.

        Targets overlap the month bounds (they span months); opportunities
        closed at a UTC time are bounded in each company's time zone.
        """
        if source["day_field"] is None:
            if operator == ">=":
                return [("date_to", ">=", month_start)]
            return [("date_from", "<", month_start)]
        if not source.get("local_datetime"):
            return [(source["day_field"], operator, month_start)]
        companies_per_tz = defaultdict(lambda: self.env["res.company"])
        for company in self.env.companies:
            companies_per_tz[company._salesperf_tz()] |= company
        domains = []
        for tz, companies in companies_per_tz.items():
            local = tz.localize(datetime.combine(month_start, time.min))
            utc = local.astimezone(pytz.UTC).replace(tzinfo=None)
            domains.append(
                [("company_id", "in", companies.ids), (source["day_field"], operator, utc)]
            )
        return expression.OR(domains)
