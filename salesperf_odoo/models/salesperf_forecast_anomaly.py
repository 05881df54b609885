# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import logging
from collections import defaultdict
from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.misc import formatLang

from ..engine.anomaly import HISTORY_MONTHS, THRESHOLD, Band, outside_band, unusual_value
from ..engine.periods import Period
from .salesperf_forecast_accuracy import month_actuals

_logger = logging.getLogger(__name__)

ANOMALY_KINDS = [
    ("forecast", "Outside the Forecast"),
    ("discount", "Discount %"),
    ("margin", "Margin %"),
]
ANOMALY_LEVELS = [
    ("team", "Sales Team"),
    ("user", "Salesperson"),
    ("category", "Product Category"),
    ("customer", "Customer"),
]
DIRECTIONS = [("above", "Above"), ("below", "Below")]
#: Forecast line field holding the entity of each level checked.
LEVEL_FIELDS = {
    "team": "team_id",
    "user": "user_id",
    "category": "categ_id",
    "customer": "partner_id",
}
ADMINISTRATOR_GROUP = "salesperf_odoo.group_salesperf_manager"
#: Who reads every anomaly of their companies besides the administrators
#: (ir_rules.xml): told when a company has no administrator.
ALL_DOCUMENTS_GROUP = "sales_team.group_sale_salesman_all_leads"
TODO = "mail.mail_activity_data_todo"


class SalesperfForecastAnomaly(models.Model):
    """Something unusual in a closed month, told once to a manager.

    Rules (``engine.anomaly``):

    - ``forecast``: the month's untaxed revenue of a salesperson, a sales
      team, a product category or a large customer strictly outside the
      95 % interval of the forecast made for it a month earlier (the
      latest done run whose first month is the month before);
    - ``discount``: a salesperson's discount % of the month (list-price
      discount over list-price amount of their confirmed order lines)
      beyond 3 robust standard deviations of their previous 12 months;
    - ``margin``: the same for their margin % (margin over untaxed revenue
      of their sold lines, the sales facts).

    Each anomaly gets one To-Do activity for the manager: the leader of
    the sales team (the salesperson's team in the company, or the team
    itself), unless that is the salesperson themself or there is none;
    otherwise the first Sales Performance administrator allowed in the
    company (Sales administrators are ones); when the company has none,
    the first user allowed in it whose sales rights read all documents; when
    there is none either, the anomaly is listed without a manager nor an
    activity, and a warning is logged (:meth:`_company_administrator`).
    The unique index and :meth:`_detect_month` skipping what is stored make
    sure nothing is alerted twice.
    """

    _name = "salesperf.forecast.anomaly"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Sales Anomaly"
    _order = "date desc, kind, size_percent desc, id desc"
    _mail_post_access = "read"

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    kind = fields.Selection(ANOMALY_KINDS, required=True, index=True, readonly=True)
    level = fields.Selection(ANOMALY_LEVELS, required=True, index=True, readonly=True)
    series_key = fields.Char(
        string="Series",
        required=True,
        readonly=True,
        help='What is watched: "user:7", "team:3", "categ:5", "partner:9".',
    )
    user_id = fields.Many2one("res.users", string="Salesperson", index=True, readonly=True)
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        index=True,
        readonly=True,
        help="The team watched, or the salesperson's team in the company.",
    )
    categ_id = fields.Many2one("product.category", string="Product Category", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    date = fields.Date(
        string="Month", required=True, index=True, readonly=True, help="First day of the month."
    )
    actual = fields.Float(
        readonly=True,
        help="What happened: untaxed revenue (company currency) for a forecast anomaly, a "
        "percentage for a discount or margin one.",
    )
    expected = fields.Float(
        readonly=True,
        help="The forecast, or the median of the previous 12 months.",
    )
    lower = fields.Float(string="Lower Bound", readonly=True)
    upper = fields.Float(string="Upper Bound", readonly=True)
    size = fields.Float(
        readonly=True,
        help="How far beyond the bound it crossed the actual is, in the unit of the values "
        "(amount, or percentage points).",
    )
    size_percent = fields.Float(
        string="Size (%)",
        readonly=True,
        aggregator="max",
        help="The size in percent of the bound crossed (0 when that bound is 0).",
    )
    direction = fields.Selection(DIRECTIONS, required=True, readonly=True)
    reason = fields.Text(readonly=True)
    manager_id = fields.Many2one(
        "res.users",
        readonly=True,
        help="Who was asked to look at it: the team leader, else a Sales Performance "
        "administrator of the company, else a salesperson of the company reading all "
        "documents; empty when the company has none of them.",
    )
    run_id = fields.Many2one(
        "salesperf.forecast.run", string="Forecast Run", readonly=True, ondelete="set null"
    )

    _sql_constraints = [
        (
            "kind_series_month_unique",
            "unique(company_id, kind, series_key, date)",
            "An anomaly is raised once per kind, series and month.",
        )
    ]

    # ------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------

    @api.depends("kind", "level", "user_id", "team_id", "categ_id", "partner_id", "date")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for anomaly in self:
            entity = anomaly[LEVEL_FIELDS[anomaly.level]] if anomaly.level else False
            parts = [kinds.get(anomaly.kind), entity and entity.display_name]
            if anomaly.date:
                parts.append(anomaly.date.strftime("%Y-%m"))
            anomaly.display_name = " · ".join(part for part in parts if part)

    # ------------------------------------------------------------
    # DETECTION
    # ------------------------------------------------------------

    @api.model
    def _detect_month(self, company, month, actuals=None):
        """Raise the anomalies of ``company``'s closed ``month`` that are not
        raised yet, each with one activity for its manager; return them."""
        if actuals is None:
            actuals = month_actuals(self.env, company, month, with_customers=True)
        candidates = [
            *self._detect_forecast(company, month, actuals),
            *self._detect_percentages(company, month),
        ]
        existing = {
            (anomaly.kind, anomaly.series_key)
            for anomaly in self.search([("company_id", "=", company.id), ("date", "=", month)])
        }
        new_values = []
        for vals in candidates:
            if (vals["kind"], vals["series_key"]) not in existing:
                existing.add((vals["kind"], vals["series_key"]))
                new_values.append(vals)
        if not new_values:
            return self.browse()
        self._assign_managers(company, new_values)
        anomalies = self.with_context(mail_create_nolog=True, tracking_disable=True).create(
            new_values
        )
        anomalies._schedule_manager_activities()
        return anomalies

    @api.model
    def _detect_forecast(self, company, month, actuals):
        """Values of the ``forecast`` anomalies: lines of the forecast made a
        month earlier whose month's actual is outside their 95 % interval.
        Series without an entity (orders without salesperson...) are not
        watched: there is nobody to tell."""
        run = self.env["salesperf.forecast.run"].search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "done"),
                ("date_start", "=", month - relativedelta(months=1)),
            ],
            order="id desc",
            limit=1,
        )
        if not run:
            return []
        lines = self.env["salesperf.forecast.line"].search(
            [("run_id", "=", run.id), ("date", "=", month), ("level", "in", list(LEVEL_FIELDS))]
        )
        values = []
        for line in lines:
            entity = line[LEVEL_FIELDS[line.level]]
            if not entity:
                continue
            actual = actuals.get(line.series_key, 0.0)
            anomaly = outside_band(actual, Band(line.forecast, line.lo95, line.hi95))
            if anomaly is None:
                continue
            values.append(
                {
                    **self._anomaly_values(company, "forecast", line.series_key, month, anomaly),
                    "level": line.level,
                    LEVEL_FIELDS[line.level]: entity.id,
                    "run_id": run.id,
                }
            )
        return values

    @api.model
    def _detect_percentages(self, company, month):
        """Values of the ``discount`` and ``margin`` anomalies of every
        salesperson with a value in ``month``, judged against their previous
        :data:`~engine.anomaly.HISTORY_MONTHS` months."""
        first = month - relativedelta(months=HISTORY_MONTHS)
        months = [first + relativedelta(months=index) for index in range(HISTORY_MONTHS + 1)]
        values = []
        for kind, per_user in (
            ("discount", self._monthly_discount(company, first, month)),
            ("margin", self._monthly_margin(company, first, month)),
        ):
            for user_id, by_month in per_user.items():
                if month not in by_month:
                    continue
                history = [by_month.get(day) for day in months[:-1]]
                anomaly = unusual_value(by_month[month], history)
                if anomaly is None:
                    continue
                values.append(
                    {
                        **self._anomaly_values(company, kind, f"user:{user_id}", month, anomaly),
                        "level": "user",
                        "user_id": user_id,
                    }
                )
        return values

    @api.model
    def _anomaly_values(self, company, kind, series_key, month, anomaly):
        return {
            "company_id": company.id,
            "kind": kind,
            "series_key": series_key,
            "date": month,
            "actual": anomaly.actual,
            "expected": anomaly.expected,
            "lower": anomaly.lower,
            "upper": anomaly.upper,
            "size": anomaly.size,
            "size_percent": anomaly.size_percent or 0.0,
            "direction": anomaly.direction,
        }

    @api.model
    def _monthly_margin(self, company, first, month):
        """``{user id: {month: margin %}}`` of the months from ``first`` to
        ``month`` in which the salesperson's untaxed revenue is above 0."""
        facts = self.env["salesperf.sale.fact"]
        end = month + relativedelta(months=1) - timedelta(days=1)
        domain = [
            *self.env["salesperf.kpi"]._sale_fact_domain(Period(first, end), company),
            ("user_id", "!=", False),
        ]
        result = defaultdict(dict)
        for user, day, revenue, margin in facts._read_group(
            domain, ["user_id", "date:month"], ["revenue:sum", "margin:sum"]
        ):
            if revenue and revenue > 0:
                result[user.id][day] = (margin or 0.0) / revenue * 100
        return result

    @api.model
    def _monthly_discount(self, company, first, month):
        """``{user id: {month: discount %}}``: per salesperson and month of
        the company (its time zone), the list-price discount
        (unit price × quantity × discount %) over the list-price amount
        (unit price × quantity) of the lines of their confirmed orders, each
        in company currency at the order's rate, for the months whose
        list-price amount is above 0.

        One SQL query: the list-price amount is not a stored field, so no
        grouped read can sum it. Same lines as the sales facts: confirmed
        orders, no section, note or down payment.
        """
        orders = self.env["sale.order"]
        lines = self.env["sale.order.line"]
        facts = self.env["salesperf.sale.fact"]
        local_day = facts._fact_local_date(SQL("doc.date_order"))
        end = month + relativedelta(months=1)
        rate = SQL("COALESCE(NULLIF(doc.currency_rate, 0), 1.0)")
        rows = self.env.execute_query(
            SQL(
                """SELECT doc.user_id, date_trunc('month', %(local_day)s)::date AS month,
                          SUM(line.price_unit * line.product_uom_qty / %(rate)s) AS listed,
                          SUM(line.price_unit * line.product_uom_qty
                              * COALESCE(line.discount, 0) / 100 / %(rate)s) AS discounted
                FROM sale_order_line line
                JOIN sale_order doc ON doc.id = line.order_id
                %(company_joins)s
                WHERE doc.company_id = %(company)s
                  AND doc.user_id IS NOT NULL
                  AND doc.state IN %(states)s
                  AND line.display_type IS NULL
                  AND line.is_downpayment IS NOT TRUE
                  AND doc.date_order >= %(utc_from)s AND doc.date_order < %(utc_to)s
                  AND %(local_day)s >= %(first)s AND %(local_day)s < %(end)s
                GROUP BY doc.user_id, 2%(flush)s""",
                local_day=local_day,
                rate=rate,
                company_joins=facts._fact_company_joins(SQL("doc.company_id")),
                company=company.id,
                states=tuple(self.env["sale.report"]._get_done_states()),
                # a day wider on each side: time zones span UTC-12 to UTC+14
                utc_from=datetime.combine(first - timedelta(days=1), time.min),
                utc_to=datetime.combine(end + timedelta(days=1), time.min),
                first=first,
                end=end,
                flush=SQL().join(
                    [
                        *(
                            SQL(to_flush=orders._fields[name])
                            for name in (
                                "user_id",
                                "state",
                                "date_order",
                                "currency_rate",
                                "company_id",
                            )
                        ),
                        *(
                            SQL(to_flush=lines._fields[name])
                            for name in (
                                "price_unit",
                                "product_uom_qty",
                                "discount",
                                "display_type",
                                "is_downpayment",
                                "order_id",
                            )
                        ),
                    ]
                ),
            )
        )
        result = defaultdict(dict)
        for user_id, day, listed, discounted in rows:
            if listed and listed > 0:
                result[user_id][day] = (discounted or 0.0) / listed * 100
        return result

    # ------------------------------------------------------------
    # MANAGERS AND ACTIVITIES
    # ------------------------------------------------------------

    @api.model
    def _assign_managers(self, company, values_list):
        """Set ``team_id`` (a salesperson's team in the company) and
        ``manager_id`` on each of ``values_list``, and its ``reason`` in the
        manager's language."""
        users = self.env["res.users"].browse(
            {vals["user_id"] for vals in values_list if vals.get("user_id")}
        )
        teams = self._user_teams(company, users)
        administrator = self._company_administrator(company)
        for vals in values_list:
            if vals["level"] == "user":
                vals["team_id"] = teams.get(vals["user_id"], self.env["crm.team"]).id
        # the teams' leaders, read at once
        leaders = {
            team.id: team.user_id
            for team in self.env["crm.team"].browse(
                {vals["team_id"] for vals in values_list if vals.get("team_id")}
            )
        }
        for vals in values_list:
            leader = leaders.get(vals.get("team_id")) if vals["level"] in ("user", "team") else None
            if (
                leader
                and leader.active
                and leader.id != vals.get("user_id")
                and company in leader.company_ids
            ):
                vals["manager_id"] = leader.id
            else:
                vals["manager_id"] = administrator.id
        if unmanaged := [vals for vals in values_list if not vals["manager_id"]]:
            _logger.warning(
                "%s sales anomalies of %s (id %s), %s, have nobody to tell: the company has "
                "no team leader for them, no Sales Performance administrator and no "
                "salesperson reading all documents. They are listed without an activity.",
                len(unmanaged),
                company.name,
                company.id,
                unmanaged[0]["date"].strftime("%Y-%m"),
            )
        managers = {
            manager.id: manager
            for manager in self.env["res.users"].browse(
                {vals["manager_id"] for vals in values_list if vals["manager_id"]}
            )
        }
        subjects = self._anomaly_subjects(values_list)
        for vals in values_list:
            manager = managers.get(vals["manager_id"])
            lang = (manager and manager.lang) or company.partner_id.lang
            vals["reason"] = self.with_context(lang=lang)._anomaly_reason(
                company,
                vals,
                subjects[LEVEL_FIELDS[vals["level"]], vals[LEVEL_FIELDS[vals["level"]]]],
            )

    @api.model
    def _user_teams(self, company, users):
        """``{user id: team}``: each salesperson's team in ``company``, their
        oldest active membership of an active team of the company (or of no
        company), as Odoo picks a user's main team."""
        teams = {}
        for member in self.env["crm.team.member"].search(
            [
                ("user_id", "in", users.ids),
                ("crm_team_id.active", "=", True),
                ("crm_team_id.company_id", "in", [company.id, False]),
            ],
            order="create_date, id",
        ):
            teams.setdefault(member.user_id.id, member.crm_team_id)
        return teams

    @api.model
    def _company_administrator(self, company):
        """Who is told when no team leader is: the active internal user
        allowed in ``company`` who was created first among the Sales
        Performance administrators (Sales administrators included), else
        among the users whose sales rights read all documents (they read
        every anomaly of their companies too); an empty recordset when the
        company has neither."""
        users = self.env["res.users"]
        for group in (ADMINISTRATOR_GROUP, ALL_DOCUMENTS_GROUP):
            user = users.search(
                [
                    ("groups_id", "in", self.env.ref(group).id),
                    ("share", "=", False),
                    ("company_ids", "in", company.id),
                ],
                order="id",
                limit=1,
            )
            if user:
                return user
        return users

    @api.model
    def _anomaly_reason(self, company, vals, subject):
        """The anomaly about ``subject`` (a name) in one sentence with its
        figures, in the context's language."""
        _ = self.env._
        params = {
            "what": subject,
            "month": self.env["salesperf.kpi"]._period_label(
                Period(vals["date"], vals["date"] + relativedelta(months=1, days=-1), "month")
            ),
            "percent": _(
                " (%(percent)s %% of the bound)",
                percent=formatLang(self.env, vals["size_percent"], digits=1),
            )
            if vals["size_percent"]
            else "",
        }
        above = vals["direction"] == "above"
        if vals["kind"] == "forecast":
            params.update(
                {
                    name: formatLang(self.env, vals[name], currency_obj=company.currency_id)
                    for name in ("actual", "expected", "lower", "upper", "size")
                }
            )
            if above:
                return _(
                    "Revenue of %(what)s in %(month)s: %(actual)s, above the 95 %% interval of "
                    "the forecast made a month earlier (forecast %(expected)s, interval "
                    "%(lower)s to %(upper)s), by %(size)s%(percent)s.",
                    **params,
                )
            return _(
                "Revenue of %(what)s in %(month)s: %(actual)s, below the 95 %% interval of "
                "the forecast made a month earlier (forecast %(expected)s, interval "
                "%(lower)s to %(upper)s), by %(size)s%(percent)s.",
                **params,
            )
        params.update(
            {
                name: f"{formatLang(self.env, vals[name], digits=1)} %"
                for name in ("actual", "expected", "lower", "upper")
            }
        )
        params.update(
            kind=dict(self._fields["kind"]._description_selection(self.env))[vals["kind"]],
            size=formatLang(self.env, vals["size"], digits=1),
            months=HISTORY_MONTHS,
            threshold=formatLang(self.env, THRESHOLD, digits=0),
        )
        if above:
            return _(
                "%(kind)s of %(what)s in %(month)s: %(actual)s, above the usual range of the "
                "previous %(months)s months (median %(expected)s, range %(lower)s to "
                "%(upper)s: %(threshold)s robust standard deviations), by %(size)s "
                "points%(percent)s.",
                **params,
            )
        return _(
            "%(kind)s of %(what)s in %(month)s: %(actual)s, below the usual range of the "
            "previous %(months)s months (median %(expected)s, range %(lower)s to "
            "%(upper)s: %(threshold)s robust standard deviations), by %(size)s "
            "points%(percent)s.",
            **params,
        )

    @api.model
    def _anomaly_subjects(self, values_list):
        """``{(field, id): name}`` of the salespeople, teams, categories and
        customers ``values_list`` is about, read once per model."""
        ids = defaultdict(set)
        for vals in values_list:
            field_name = LEVEL_FIELDS[vals["level"]]
            ids[field_name].add(vals[field_name])
        # sudo: the names of what the anomalies are about, written into their
        # text for their managers
        return {
            (field_name, record.id): record.display_name
            for field_name, record_ids in ids.items()
            for record in self.env[self._fields[field_name].comodel_name].sudo().browse(record_ids)
        }

    def _schedule_manager_activities(self):
        """One To-Do activity per anomaly for its manager, with the reason."""
        todo = self.env.ref(TODO)
        model_id = self.env["ir.model"]._get_id(self._name)
        values = []
        for anomaly in self.filtered("manager_id"):
            lang = anomaly.manager_id.lang or anomaly.company_id.partner_id.lang
            kinds = dict(
                self.with_context(lang=lang)
                ._fields["kind"]
                ._description_selection(self.with_context(lang=lang).env)
            )
            values.append(
                {
                    "res_model_id": model_id,
                    "res_id": anomaly.id,
                    "activity_type_id": todo.id,
                    "user_id": anomaly.manager_id.id,
                    "summary": self.with_context(lang=lang).env._(
                        "Sales anomaly: %(kind)s", kind=kinds[anomaly.kind]
                    ),
                    "note": Markup("<p>%s</p>") % anomaly.reason,
                    "date_deadline": anomaly.company_id._salesperf_today(),
                    "automated": True,
                }
            )
        return self.env["mail.activity"].create(values)
