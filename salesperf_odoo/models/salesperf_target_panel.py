# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from collections import defaultdict
from datetime import timedelta

from odoo import _, api, models
from odoo.exceptions import AccessError
from odoo.osv import expression
from odoo.tools import SQL
from odoo.tools.misc import format_date

from ..engine.periods import Period, period_containing
from .salesperf_target import PIPELINE_METRICS, SCOPE_DIMENSION


def month_range(first, last):
    """First days of the months from ``first``'s to ``last``'s."""
    months = []
    month = first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


#: The periods of the panel, one row of goal cards each.
PANEL_PERIOD_KINDS = ("month", "quarter")
#: How many customers each list of the panel and of the weekly email shows.
CUSTOMER_LINES = 5


class SalesperfTarget(models.Model):
    """The goals panel above the CRM pipeline: the goals of the current month
    and quarter for whom the user chooses to look at, among what who they are
    lets them look at."""

    _inherit = "salesperf.target"

    # ------------------------------------------------------------
    # CRM PIPELINE PANEL
    # ------------------------------------------------------------

    @api.model
    def get_pipeline_panel(self, scope=False, owner_id=False):
        """The goals of the current month and quarter for the pipeline panel.

        Who may look at whose goals comes from who the user is, never from the
        arguments, which only choose among the choices they are offered (see
        :meth:`_pipeline_panel_choices`): a salesperson sees their own goals;
        a team leader their teams', theirs or one of their members'; an
        administrator of Sales Performance or a user with "All Documents" in
        Sales the company's, or any team's or salesperson's of their allowed
        companies. Drafts are shown, marked, to who may manage them, and
        hidden from the others.

        The number of queries does not depend on the number of goals, teams
        or members: one search for the targets, one check of which the user
        manages, and the KPI computations of each period (see
        :meth:`_salesperf_pacing`).

        :param scope: ``"company"``, ``"team"`` or ``"user"``; the user's
            default choice when not given.
        :param owner_id: the team or the salesperson of that scope.
        :raises AccessError: for a choice the user is not offered.
        The customers of the choice (see :meth:`_customer_insight`) add a
        fixed number of queries, from one (no customer scored) to five: the
        statuses and at-risk totals, the largest values at risk, the highest
        values (one read per way of valuing a customer found) and the
        customers' names.

        :returns: ``{"title", "choice", "default", "choices": [{"scope",
            "id", "name", "group"}], "periods": [{"kind", "label", "goals":
            [{"id", "metric", "label", "company", "currency_id", "draft",
            "target", "actual", "attainment", "gap", "status",
            "status_label", "coverage", "monetary"}]}], "currencies": {id:
            {"symbol", "position", "digits"}}, "commission" (see
            :meth:`_pipeline_panel_commission`), "customers" (see
            :meth:`_customer_insight`), "folded", "settings_id"}``
        """
        choices, default = self._pipeline_panel_choices()
        choice = default
        if scope:
            choice = next(
                (
                    option
                    for option in choices
                    if option["scope"] == scope and (scope == "company" or option["id"] == owner_id)
                ),
                None,
            )
            if not choice:
                raise AccessError(_("You are not allowed to look at these goals."))
        periods = self._pipeline_panel_periods()
        targets = self.search(self._pipeline_panel_domain(choice, periods), order="metric, id")
        # drafts are for who prepares them: the others see only confirmed goals
        manageable = targets._filtered_access("write")
        targets = targets.filtered(lambda t: t.state == "confirmed" or t in manageable)
        pacing = targets._salesperf_pacing()
        forecasts = targets._pipeline_panel_forecasts(pacing)
        statuses = dict(self._fields["pacing_status"]._description_selection(self.env))
        metrics = dict(self._fields["metric"]._description_selection(self.env))
        today_periods = periods[self.env.company]
        # every internal user has settings from the start (mail reads them at
        # each page load): this only finds them
        settings = self.env["res.users.settings"]._find_or_create_for_user(self.env.user)
        commission = self._pipeline_panel_commission(choice)
        customers = self._customer_insight(
            [("company_id", "in", self.env.companies.ids), *self._customer_owner_domain(choice)]
        )
        currencies = targets.company_id.currency_id | self.env.company.currency_id
        if commission:
            currencies |= self.env["res.currency"].browse(commission["currency_id"])
        currencies |= self.env["res.currency"].browse(customers["currency_ids"])
        return {
            "title": choice["name"],
            "choice": {"scope": choice["scope"], "id": choice["id"]},
            "default": {"scope": default["scope"], "id": default["id"]},
            # a salesperson's only choice is their own goals: no selector
            "choices": choices if len(choices) > 1 else [],
            "periods": [
                {
                    "kind": kind,
                    "label": self._pipeline_panel_period_label(kind, today_periods[kind].start),
                    "goals": [
                        target._pipeline_panel_goal(
                            pacing.get(target.id), metrics, statuses, forecasts.get(target.id)
                        )
                        for target in targets
                        if target.period_kind == kind
                    ],
                }
                for kind in PANEL_PERIOD_KINDS
            ],
            "currencies": {
                currency.id: {
                    "symbol": currency.symbol,
                    "position": currency.position,
                    "digits": currency.decimal_places,
                }
                for currency in currencies
            },
            "commission": commission,
            "customers": customers,
            "folded": settings.salesperf_pipeline_goals_folded,
            "settings_id": settings.id,
        }

    @api.model
    def _pipeline_panel_commission(self, choice):
        """The user's own latest commission statement of the current company,
        when the panel shows their own goals: ``{"id", "amount",
        "currency_id", "period", "state"}`` or ``False``. Read with the
        user's own rights: a statement is only ever shown to its salesperson
        here, whoever else may read it."""
        if choice["scope"] != "user" or choice["id"] != self.env.uid:
            return False
        statement = self.env["salesperf.commission.statement"].search(
            [
                ("user_id", "=", self.env.uid),
                ("company_id", "=", self.env.company.id),
                ("state", "!=", "cancel"),
            ],
            order="date_from desc, id desc",
            limit=1,
        )
        if not statement:
            return False
        states = dict(statement._fields["state"]._description_selection(self.env))
        return {
            "id": statement.id,
            "amount": statement.total_amount,
            "currency_id": statement.currency_id.id,
            "period": statement._period_label(),
            "state": states[statement.state],
        }

    # ------------------------------------------------------------
    # CUSTOMERS AT RISK AND HIGHEST VALUES
    # ------------------------------------------------------------

    @api.model
    def _customer_owner_domain(self, choice):
        """Domain of the customer scores of a panel choice: the customers
        whose salesperson, or whose team, the choice is; every customer for
        the company choice."""
        return {
            "company": [],
            "team": [("team_id", "=", choice["id"])],
            "user": [("user_id", "=", choice["id"])],
        }[choice["scope"]]

    @api.model
    def _customer_insight(self, domain, limit=CUSTOMER_LINES):
        """The customers to call: those at risk, and the most valuable ones
        without an open opportunity, from their latest scores
        (``salesperf.customer.score``) within ``domain``.

        The scores are read with the user's own rights: a salesperson with
        "own documents" gets their own customers, a team leader their teams',
        whatever ``domain`` asks. At most five queries whatever the number
        of customers: one grouped read of the statuses and methods (with the
        at-risk totals), the largest values at risk, the highest lifetime
        values, the highest revenues of the customers valued without the
        model, the customers' names; a list without a row in scope costs
        nothing more, so that a user without any score pays one query.

        - *At risk*: latest rows with status ``at_risk``, the largest value at
          risk first, with the reason.
        - *Highest value without an open opportunity*: latest rows not
          churned whose customer (commercial entity) has no open opportunity
          (active, not won, of type opportunity) in the row's company or
          without a company; valued by their lifetime value, or by their
          revenue of the last 12 months where the company's customers are
          scored by the usual-interval fallback (which has no lifetime
          value).

        :param domain: the scores' companies and owners.
        :param limit: lines per list.
        :returns: ``{"at_risk_count", "value_at_risk": [{"currency_id",
            "amount"}], "at_risk": [line], "valuable": [line],
            "currency_ids"}``, each line ``{"id", "partner_id", "name",
            "company", "currency_id", "value", "basis", "reason"}``.
        """
        scores = self.env["salesperf.customer.score"]
        latest = [("is_latest", "=", True), *domain]
        at_risk_domain = [*latest, ("risk_status", "=", "at_risk")]
        count = 0
        value_at_risk = defaultdict(float)
        # which statuses and methods there are: the lists without a row are
        # not searched
        methods = set()
        for company, status, method, rows, amount in scores._read_group(
            latest, ["company_id", "risk_status", "method"], ["__count", "value_at_risk:sum"]
        ):
            if status == "at_risk":
                count += rows
                value_at_risk[company.currency_id] += amount
            if status != "churned":
                methods.add("bgnbd" if method == "bgnbd" else "other")
        at_risk = self.env["salesperf.customer.score"]
        if count:
            at_risk = scores.search_fetch(
                at_risk_domain,
                ["partner_id", "company_id", "value_at_risk", "risk_reason"],
                order="value_at_risk desc, id",
                limit=limit,
            )
        valuable = self._customer_insight_valuable(latest, limit, methods)
        # one read of the names of both lists' customers
        (at_risk.partner_id | valuable.partner_id).mapped("display_name")
        labels = {
            "bgnbd": self.env._("Lifetime value"),
            "revenue": self.env._("Revenue of the last 12 months"),
            "at_risk": self.env._("Value at risk"),
        }

        def line(score, value, basis):
            return {
                "id": score.id,
                "partner_id": score.partner_id.id,
                "name": score.partner_id.display_name,
                "company": score.company_id.name,
                "currency_id": score.company_id.currency_id.id,
                "value": value,
                "basis": labels[basis],
                "reason": score.risk_reason or "",
            }

        valued = [
            (score.clv if score.method == "bgnbd" else score.revenue_12m, score)
            for score in valuable
        ]
        valued.sort(key=lambda item: (-item[0], item[1].id))
        return {
            "at_risk_count": count,
            "value_at_risk": [
                {"currency_id": currency.id, "amount": amount}
                for currency, amount in value_at_risk.items()
            ],
            "at_risk": [line(score, score.value_at_risk, "at_risk") for score in at_risk],
            "valuable": [
                line(score, value, "bgnbd" if score.method == "bgnbd" else "revenue")
                for value, score in valued[:limit]
            ],
            "currency_ids": list(
                {currency.id for currency in value_at_risk}
                | set((at_risk | valuable).company_id.currency_id.ids)
            ),
        }

    @api.model
    def _customer_insight_valuable(self, latest, limit, methods=("bgnbd", "other")):
        """The ``limit`` most valuable latest scores within ``latest`` whose
        customer is not churned and has no open opportunity, at most twice
        ``limit`` rows: the first by lifetime value among the customers scored
        by the model, and the first by revenue of the last 12 months among
        the others. Together they hold the first ``limit`` by either value.

        :param methods: which of the two searches to run (``"bgnbd"``,
            ``"other"``): those of the methods the rows in scope have.
        """
        # sudo: an opportunity of a colleague the user may not read still
        # means the customer is being worked on; only the exclusion leaves
        # this sub-query, inside the scores' own (read as the user)
        leads = self.env["crm.lead"].sudo()
        partners = self.env["res.partner"].sudo().with_context(active_test=False)
        without_opportunity = []
        for company in self.env.companies:
            opportunities = leads._search(
                [
                    ("type", "=", "opportunity"),
                    ("probability", "<", 100),
                    ("partner_id", "!=", False),
                    ("company_id", "in", [False, company.id]),
                ]
            )
            contacts = partners._search(
                [
                    (
                        "id",
                        "in",
                        opportunities.subselect(SQL.identifier(opportunities.table, "partner_id")),
                    )
                ]
            )
            entities = contacts.subselect(SQL.identifier(contacts.table, "commercial_partner_id"))
            without_opportunity.append(
                [("company_id", "=", company.id), ("partner_id", "not in", entities)]
            )
        scores = self.env["salesperf.customer.score"]
        if not without_opportunity or not methods:
            return scores
        domain = [
            *latest,
            ("risk_status", "!=", "churned"),
            *expression.OR(without_opportunity),
        ]
        columns = ["partner_id", "company_id", "method", "clv", "revenue_12m", "risk_reason"]
        if "bgnbd" in methods:
            scores |= scores.search_fetch(
                [*domain, ("method", "=", "bgnbd")],
                columns,
                order="clv desc nulls last, id",
                limit=limit,
            )
        if "other" in methods:
            scores |= scores.search_fetch(
                [*domain, ("method", "!=", "bgnbd")],
                columns,
                order="revenue_12m desc nulls last, id",
                limit=limit,
            )
        return scores

    @api.model
    def _pipeline_panel_choices(self):
        """What the user may look at in the panel, and what they see first.

        :returns: ``(choices, default)``, each choice ``{"scope", "id",
            "name", "group"}``, ``group`` naming the choices' section.
        """
        user = self.env.user
        companies = self.env.companies
        me = {"scope": "user", "id": user.id, "name": user.name, "group": "people"}
        sees_all = user.has_group("salesperf_odoo.group_salesperf_manager") or user.has_group(
            "sales_team.group_sale_salesman_all_leads"
        )
        team_domain = [("company_id", "in", [False, *companies.ids])]
        if not sees_all:
            team_domain.append(("user_id", "=", user.id))
        # only the fields shown: names are all the selector needs
        teams = self.env["crm.team"].search_fetch(team_domain, ["name", "user_id"])
        team_choices = [
            {"scope": "team", "id": team.id, "name": team.name, "group": "teams"} for team in teams
        ]
        # the teams' current members, as the record rules of targets read them
        members = self.env["res.users"].search_fetch(
            [("crm_team_ids", "in", teams.ids), ("id", "!=", user.id)], ["name"], order="name"
        )
        people = [
            {"scope": "user", "id": member.id, "name": member.name, "group": "people"}
            for member in members
        ]
        company_choices = []
        if sees_all:
            company_choices = [
                {
                    "scope": "company",
                    "id": False,
                    "name": ", ".join(companies.mapped("name")),
                    "group": "company",
                }
            ]
        choices = company_choices + team_choices + [me] + people
        # a leader first sees the team she leads, a director the company
        led = [
            choice for choice, team in zip(team_choices, teams, strict=True) if team.user_id == user
        ]
        return choices, (led or company_choices or [me])[0]

    @api.model
    def _pipeline_panel_periods(self):
        """``{company: {kind: period}}``: the current month and quarter of
        each allowed company, in its own time zone."""
        result = {}
        for company in self.env.companies | self.env.company:
            today = company._salesperf_today()
            result[company] = {kind: period_containing(kind, today) for kind in PANEL_PERIOD_KINDS}
        return result

    @api.model
    def _pipeline_panel_domain(self, choice, periods):
        """The targets of ``choice`` for the current periods of each company."""
        owner = {
            "company": [],
            "team": [("team_id", "=", choice["id"])],
            "user": [("user_id", "=", choice["id"])],
        }[choice["scope"]]
        return expression.AND(
            [
                [("scope", "=", choice["scope"]), *owner],
                expression.OR(
                    [
                        [
                            ("company_id", "=", company.id),
                            ("period_kind", "=", kind),
                            ("date_from", "=", period.start),
                        ]
                        for company, company_periods in periods.items()
                        if company in self.env.companies
                        for kind, period in company_periods.items()
                    ]
                ),
            ]
        )

    def _pipeline_panel_goal(self, pacing, metrics, statuses, forecast=None):
        """One goal card: the target, its actual and its pace.

        :param pacing: the target's ``engine.targets.Pacing``, or ``None``.
        :param forecast: the forecast of the period's end (see
            :meth:`_pipeline_panel_forecasts`), or ``None``.
        """
        self.ensure_one()
        status = pacing.status if pacing else False
        gap = pacing.gap if pacing else self.amount
        coverage = False
        if self.metric in PIPELINE_METRICS and gap:
            coverage = (pacing.coverage if pacing else None) or 0.0
        return {
            "id": self.id,
            "metric": self.metric,
            "label": metrics[self.metric],
            "company": self.company_id.name,
            "currency_id": self.company_id.currency_id.id,
            "draft": self.state == "draft",
            "target": self.amount,
            "actual": pacing.actual if pacing else 0.0,
            "attainment": pacing.attainment if pacing and pacing.attainment is not None else False,
            "gap": gap,
            "status": status,
            "status_label": statuses.get(status, ""),
            "coverage": coverage,
            "monetary": self.is_monetary,
            "forecast": forecast if forecast is not None else False,
        }

    def _pipeline_panel_forecasts(self, pacing):
        """``{target id: forecast of the period's end}`` of the revenue goals
        whose company has a finished forecast run with that goal's series.

        The forecast of a period's end is what its closed months sold, plus
        the current month's forecast (or what it has sold so far, when that
        is more), plus the forecasts of the period's later months, from the
        company's latest finished run (``salesperf.forecast.run``). The
        queries do not depend on the number of goals: one grouped read of
        the latest runs' lines; per period with closed months (a quarter
        after its first month), scope and company, one computation of their
        revenue.

        :param pacing: ``{target id: engine.targets.Pacing}`` of these goals.
        """
        goals = self.filtered(lambda target: target.metric == "revenue" and target.date_to)
        if not goals:
            return {}
        months = {company: company._salesperf_month_start() for company in goals.company_id}
        # the forecast lines are read with the user's own rights: the same
        # people's as the goals they may read
        rows = self.env["salesperf.forecast.line"]._read_group(
            [
                ("is_latest", "=", True),
                ("company_id", "in", goals.company_id.ids),
                ("series_key", "in", list(set(goals.mapped(lambda t: t._forecast_series_key())))),
                ("date", ">=", min(months.values())),
                ("date", "<=", max(goals.mapped("date_to"))),
            ],
            ["company_id", "series_key", "date:month"],
            ["forecast:sum"],
        )
        forecast = defaultdict(dict)
        for company, key, line_month, amount in rows:
            forecast[company, key][line_month] = amount
        goals = goals.filtered(lambda t: (t.company_id, t._forecast_series_key()) in forecast)
        result = {}
        for company in goals.company_id:
            month = months[company]
            company_goals = goals.filtered(
                lambda target, company=company, month=month: (
                    target.company_id == company and target.date_to >= month
                )
            )
            closed = company_goals._pipeline_panel_closed_revenue(company, month)
            for target in company_goals:
                by_month = forecast[company, target._forecast_series_key()]
                sold_before = closed.get(target.id, 0.0)
                sold = pacing[target.id].actual if target.id in pacing else 0.0
                ahead = [
                    by_month.get(start, 0.0)
                    for start in month_range(max(month, target.date_from), target.date_to)
                ]
                result[target.id] = sold_before + max(ahead[0], sold - sold_before) + sum(ahead[1:])
        return result

    def _forecast_series_key(self):
        """Key of the forecast series measuring this goal."""
        self.ensure_one()
        return {
            "company": "company",
            "team": f"team:{self.team_id.id or 0}",
            "user": f"user:{self.user_id.id or 0}",
        }[self.scope]

    def _pipeline_panel_closed_revenue(self, company, month):
        """``{target id: revenue}`` of the goals' closed months (their
        period's months before ``month``), one KPI computation per period
        start and scope."""
        # the explicit check before sudo: the goals are those the user may
        # read, and each measures its whole scope, as the goals' actuals do
        # (see _salesperf_pacing): a team leader with "own documents" rights
        # still needs the team's total
        kpi = self.env["salesperf.kpi"].sudo()
        groups = defaultdict(lambda: self.browse())
        for target in self._filtered_access("read"):
            if target.date_from < month:
                groups[target.date_from, target.scope] |= target
        result = {}
        for (date_from, scope), group in groups.items():
            period = Period(date_from, month - timedelta(days=1))
            measures = kpi._compute_measures(
                period, SCOPE_DIMENSION[scope], company, measures={"revenue"}
            )
            for target in group:
                key = (target._entity_id(), company.id)
                result[target.id] = measures.get(key, {}).get("revenue", 0.0)
        return result

    @api.model
    def _pipeline_panel_period_label(self, kind, start):
        if kind == "quarter":
            return _("Q%(quarter)s %(year)s", quarter=(start.month - 1) // 3 + 1, year=start.year)
        return format_date(self.env, start, date_format="MMMM y")
