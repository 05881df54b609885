# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..engine.periods import Period, period_containing
from ..models.salesperf_forecast_run import cell_key
from ..models.salesperf_forecast_submission import (
    ADMINISTRATOR,
    SUBMISSION_KINDS,
    SUBMISSION_STATES,
)

ALL_DOCUMENTS = "sales_team.group_sale_salesman_all_leads"
#: Figures of a roll-up line, summed into the roll-up's totals.
SUMMED = (
    "commit_amount",
    "best_case_amount",
    "adjusted_commit",
    "adjusted_best_case",
    "forecast_commit",
    "statistical",
    "pipeline_weighted",
    "pipeline_calibrated",
)


class SalesperfForecastRollup(models.TransientModel):
    """A team's forecasts of the current month or quarter, per member and in
    total, next to the target and the gap.

    - Submitted and adjusted: each member's submission of the period;
      "Commit Used" is the adjusted commit once adjusted, the submitted one
      before (nothing submitted counts 0).
    - Statistical: the member's sales within this team only (the forecast
      run's series of the salesperson in the team, level "cell", so that a
      member of two teams is not counted whole in both and the team's total
      is the sum of its members' cells, as the run's reconciled team
      forecast). The months of the period already closed count their
      actual confirmed sales in the team (untaxed, as the revenue KPI
      counts them); the current month the larger of its forecast and what
      it has sold so far, as the goals panel counts it; the later months
      their forecast, from the company's latest finished forecast run.
    - Pipeline: the member's open opportunities of this team expected to
      close by the period's end, weighted by their probability and by the
      win rate of their stage (``salesperf.pipeline.forecast``), without the
      opportunities of the "omitted" forecast category. Overdue ones (an
      expected closing in an earlier month, still open) count in the
      current month: they may still close, so they do not vanish;
      opportunities without an expected closing are left out.
    - Target: the member's revenue target of the period (draft or
      confirmed); for a quarter without one, the sum of its monthly targets.
      The total's target is the team's own in the same way, or the sum of
      the members' when the team has none.
    - Gap: target minus the commit used; positive when short of the target.

    Team leaders open the teams they lead, "All Documents" users and
    administrators every team of their allowed companies; a member of the
    team who is neither sees their own line only.
    """

    _name = "salesperf.forecast.rollup"
    _description = "Team Forecast Roll-up"

    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        required=True,
        default=lambda self: self._default_team_id(),
        domain="[('company_id', 'in', [company_id, False])]",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    period_kind = fields.Selection(
        SUBMISSION_KINDS, string="Period", required=True, default="month"
    )
    date_from = fields.Date(string="Period Start", compute="_compute_period")
    date_to = fields.Date(string="Period End", compute="_compute_period")
    own_only = fields.Boolean(
        readonly=True, help="You see your own line only: you do not lead this team."
    )
    run_id = fields.Many2one(
        "salesperf.forecast.run",
        string="Statistical Forecast Run",
        readonly=True,
        help="The company's latest finished forecast run, whose forecasts are shown.",
    )
    line_ids = fields.One2many("salesperf.forecast.rollup.line", "rollup_id", string="Members")
    commit_amount = fields.Monetary(string="Submitted Commit", readonly=True)
    best_case_amount = fields.Monetary(string="Submitted Best Case", readonly=True)
    adjusted_commit = fields.Monetary(readonly=True)
    adjusted_best_case = fields.Monetary(readonly=True)
    forecast_commit = fields.Monetary(string="Commit Used", readonly=True)
    statistical = fields.Monetary(string="Statistical Forecast", readonly=True)
    pipeline_weighted = fields.Monetary(string="Weighted Pipeline", readonly=True)
    pipeline_calibrated = fields.Monetary(string="Calibrated Pipeline", readonly=True)
    target = fields.Monetary(string="Team Target", readonly=True)
    has_target = fields.Boolean(readonly=True)
    gap = fields.Monetary(readonly=True, help="Target minus the commit used.")

    @api.model
    def _default_team_id(self):
        Team = self.env["crm.team"]
        company = self.env.company
        return (
            Team.search([("user_id", "=", self.env.uid), ("company_id", "in", [company.id, False])])
            or self.env["salesperf.forecast.submission"]._user_teams(self.env.user, company)[
                self.env.user
            ]
        )[:1]

    @api.depends("company_id", "period_kind")
    def _compute_period(self):
        for rollup in self:
            if rollup.company_id and rollup.period_kind:
                period = period_containing(rollup.period_kind, rollup.company_id._salesperf_today())
                rollup.date_from, rollup.date_to = period.start, period.end
            else:
                rollup.date_from = rollup.date_to = False

    @api.depends("team_id", "period_kind", "date_from")
    def _compute_display_name(self):
        for rollup in self:
            parts = [_("Forecast Roll-up"), rollup.team_id.display_name]
            if rollup.date_from:
                parts.append(rollup.env["salesperf.kpi"]._period_label(rollup._get_period()))
            rollup.display_name = " · ".join(part for part in parts if part)

    def _get_period(self):
        self.ensure_one()
        return Period(self.date_from, self.date_to, self.period_kind)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    @api.model
    def action_open(self):
        """Open the roll-up of the user's team for this month, computed (or
        the empty form to pick a team, for who leads and belongs to none)."""
        if not self._default_team_id():
            return {
                "type": "ir.actions.act_window",
                "name": _("Team Forecast Roll-up"),
                "res_model": self._name,
                "view_mode": "form",
                "views": [(False, "form")],
                "target": "current",
            }
        rollup = self.create({})
        rollup.action_compute()
        return {
            "type": "ir.actions.act_window",
            "name": rollup.display_name,
            "res_model": self._name,
            "res_id": rollup.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    def action_compute(self):
        """(Re)compute the members' lines and the totals."""
        self.ensure_one()
        users, own_only = self._check_scope()
        figures = self._figures(users)
        self.line_ids.unlink()
        lines = self.env["salesperf.forecast.rollup.line"].create(
            [{"rollup_id": self.id, "user_id": user.id, **figures[user.id]} for user in users]
        )
        totals = {name: sum(lines.mapped(name)) for name in SUMMED}
        team_target = None if own_only else self._team_target()
        if team_target is None:
            with_target = lines.filtered("has_target")
            team_target = sum(with_target.mapped("target")) if with_target else None
        self.write(
            {
                **totals,
                "own_only": own_only,
                "target": team_target or 0.0,
                "has_target": team_target is not None,
                "gap": (team_target - totals["forecast_commit"])
                if team_target is not None
                else 0.0,
            }
        )
        return True

    # ------------------------------------------------------------
    # RIGHTS
    # ------------------------------------------------------------

    def _check_scope(self):
        """``(members shown, own line only)``, from who the user is.

        The team and company come from the client: a team of one of the
        user's allowed companies, led by the user unless they see all
        documents or administer Sales Performance; a member who is neither
        sees their own line; anyone else gets an :class:`AccessError`.
        """
        self.ensure_one()
        user = self.env.user
        company = self.company_id
        team = self.team_id.sudo()
        if company not in self.env.companies or team.company_id not in (
            company,
            self.env["res.company"],
        ):
            raise AccessError(
                _(
                    "You cannot open the forecast roll-up of %(team)s in %(company)s.",
                    team=team.name,
                    company=company.sudo().name,
                )
            )
        # sudo: the team's members are read once its roll-up is allowed above
        # or below; a leader with "own documents" rights reads his team whole
        members = (
            self.env["crm.team.member"]
            .sudo()
            .search(
                [
                    ("crm_team_id", "=", team.id),
                    ("active", "=", True),
                    ("user_id.company_ids", "in", company.ids),
                ]
            )
            .user_id
        )
        if team.user_id == user or user.has_group(ALL_DOCUMENTS) or user.has_group(ADMINISTRATOR):
            return members, False
        if user in members:
            return user, True
        raise AccessError(
            _(
                "Only the leader of %(team)s, users who see all documents and Sales Performance "
                "administrators open its forecast roll-up.",
                team=team.name,
            )
        )

    # ------------------------------------------------------------
    # FIGURES
    # ------------------------------------------------------------

    def _figures(self, users):
        """``{user id: line values}`` of ``users`` for the period, read with
        sudo after :meth:`_check_scope`: a leader sees his members' figures
        whatever his own Sales rights."""
        self.ensure_one()
        period = self._get_period()
        submissions = self._read_submissions(users)
        statistical, run = self._read_statistical(users, period)
        pipeline = self._read_pipeline(users, period)
        targets = self._read_targets("user", users.ids, period)
        self.run_id = run
        result = {}
        for user in users:
            submission = submissions.get(user.id)
            submitted = submission and submission.state != "draft"
            adjusted = submission and submission.state == "adjusted"
            commit = submission.commit_amount if submitted else 0.0
            forecast_commit = submission.adjusted_commit if adjusted else commit
            target = targets.get(user.id)
            weighted, calibrated = pipeline[user.id]
            result[user.id] = {
                "submission_id": submission.id if submission else False,
                "state": submission.state if submission else "draft",
                "commit_amount": commit,
                "best_case_amount": submission.best_case_amount if submitted else 0.0,
                "adjusted_commit": submission.adjusted_commit if adjusted else 0.0,
                "adjusted_best_case": submission.adjusted_best_case if adjusted else 0.0,
                "forecast_commit": forecast_commit,
                "statistical": statistical.get(user.id, 0.0),
                "pipeline_weighted": weighted,
                "pipeline_calibrated": calibrated,
                "target": target or 0.0,
                "has_target": target is not None,
                "gap": (target - forecast_commit) if target is not None else 0.0,
            }
        return result

    def _read_submissions(self, users):
        submissions = (
            self.env["salesperf.forecast.submission"]
            .sudo()
            .search(
                [
                    ("company_id", "=", self.company_id.id),
                    ("user_id", "in", users.ids),
                    ("period_kind", "=", self.period_kind),
                    ("date_from", "=", self.date_from),
                ]
            )
        )
        return {submission.user_id.id: submission for submission in submissions}

    def _read_statistical(self, users, period):
        """``({user id: amount}, run)`` of ``users`` within the roll-up's team:
        closed months' actual revenue in the team, plus the larger of the
        current month's forecast and its sales so far, plus the later
        months' forecasts of the latest finished run (each member's series
        in the team, level "cell")."""
        company = self.company_id
        today = company._salesperf_today()
        month_start = today.replace(day=1)
        kpi = self.env["salesperf.kpi"]
        # the team's sales of the members, from the period's start to today
        sold_before, sold_now = defaultdict(float), defaultdict(float)
        to_date = Period(period.start, min(today, period.end), "custom")
        for user, month, revenue in (
            self.env["salesperf.sale.fact"]
            .sudo()
            ._read_group(
                [
                    *kpi._sale_fact_domain(to_date, company),
                    ("team_id", "=", self.team_id.id),
                    ("user_id", "in", users.ids),
                ],
                ["user_id", "date:month"],
                ["revenue:sum"],
            )
        ):
            sold = sold_now if month == month_start else sold_before
            sold[user.id] += revenue or 0.0
        forecast = defaultdict(lambda: defaultdict(float))
        run = self.env["salesperf.forecast.run"].sudo()._latest_done(company)
        if run:
            keys = {cell_key(self.team_id.id, user.id): user.id for user in users}
            for key, month, amount in (
                self.env["salesperf.forecast.line"]
                .sudo()
                ._read_group(
                    [
                        ("run_id", "=", run.id),
                        ("level", "=", "cell"),
                        ("series_key", "in", list(keys)),
                        ("date", ">=", month_start),
                        ("date", "<=", period.end),
                    ],
                    ["series_key", "date:month"],
                    ["forecast:sum"],
                )
            ):
                forecast[keys[key]][month] += amount
        result = {}
        for user in users:
            ahead = forecast[user.id]
            current = ahead.pop(month_start, 0.0)
            result[user.id] = (
                sold_before[user.id] + max(current, sold_now[user.id]) + sum(ahead.values())
            )
        return result, run

    def _read_pipeline(self, users, period):
        """``{user id: (weighted, calibrated)}`` of the members' open
        opportunities of the roll-up's team expected to close by the
        period's end, overdue ones included (they count in the current
        month), those without an expected closing left out, and so is the
        "omitted" category (as ``_pipeline_totals``). One grouped read."""
        rows = (
            self.env["salesperf.pipeline.forecast"]
            .sudo()
            ._read_group(
                [
                    ("company_id", "=", self.company_id.id),
                    ("team_id", "=", self.team_id.id),
                    ("user_id", "in", users.ids),
                    ("date", "!=", False),
                    ("date", "<=", period.end),
                    ("forecast_category", "!=", "omitted"),
                ],
                ["user_id"],
                ["weighted_revenue:sum", "calibrated_revenue:sum"],
            )
        )
        result = defaultdict(lambda: (0.0, 0.0))
        for user, weighted, calibrated in rows:
            result[user.id] = (weighted or 0.0, calibrated or 0.0)
        return result

    def _read_targets(self, scope, owner_ids, period):
        """``{owner id: amount}``: the revenue target of each owner for the
        period, draft or confirmed; for a quarter without its own, the sum
        of its monthly targets. Owners without any are left out."""
        owner = "user_id" if scope == "user" else "team_id"
        targets = (
            self.env["salesperf.target"]
            .sudo()
            .search(
                [
                    ("company_id", "=", self.company_id.id),
                    ("scope", "=", scope),
                    (owner, "in", owner_ids),
                    ("metric", "=", "revenue"),
                    ("period_kind", "in", ("month", period.kind)),
                    ("date_from", ">=", period.start),
                    ("date_from", "<=", period.end),
                ]
            )
        )
        exact = {}
        months = defaultdict(float)
        for target in targets:
            if target.period_kind == period.kind and target.date_from == period.start:
                exact[target[owner].id] = target.amount
            elif target.period_kind == "month":
                months[target[owner].id] += target.amount
        return {**months, **exact}

    def _team_target(self):
        """The team's own revenue target of the period, or ``None``."""
        return self._read_targets("team", self.team_id.ids, self._get_period()).get(self.team_id.id)


class SalesperfForecastRollupLine(models.TransientModel):
    _name = "salesperf.forecast.rollup.line"
    _description = "Team Forecast Roll-up Line"
    _order = "gap desc, id"

    rollup_id = fields.Many2one("salesperf.forecast.rollup", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="rollup_id.currency_id")
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    submission_id = fields.Many2one("salesperf.forecast.submission", readonly=True)
    state = fields.Selection(SUBMISSION_STATES, readonly=True)
    commit_amount = fields.Monetary(string="Submitted Commit", readonly=True)
    best_case_amount = fields.Monetary(string="Submitted Best Case", readonly=True)
    adjusted_commit = fields.Monetary(readonly=True)
    adjusted_best_case = fields.Monetary(readonly=True)
    forecast_commit = fields.Monetary(
        string="Commit Used",
        readonly=True,
        help="The adjusted commit once adjusted, the submitted commit before.",
    )
    statistical = fields.Monetary(
        string="Statistical Forecast",
        readonly=True,
        help="The salesperson's sales in this team: closed months' actual sales, plus the "
        "current month's forecast or its sales so far when more, plus the later months' "
        "forecasts of the latest forecast run.",
    )
    pipeline_weighted = fields.Monetary(
        string="Weighted Pipeline",
        readonly=True,
        help="Open opportunities of this team expected to close by the period's end, at "
        "expected revenue × probability; overdue ones count in the current month.",
    )
    pipeline_calibrated = fields.Monetary(
        string="Calibrated Pipeline",
        readonly=True,
        help="The same opportunities at the win rate of their stage in the team's history.",
    )
    target = fields.Monetary(readonly=True)
    has_target = fields.Boolean(readonly=True)
    gap = fields.Monetary(readonly=True, help="Target minus the commit used.")

    def action_adjust(self):
        """Adjust this member's submission (the submission checks who may)."""
        self.ensure_one()
        if not self.submission_id or self.state == "draft":
            raise UserError(
                _("%(user)s has not submitted a forecast for this period.", user=self.user_id.name)
            )
        return self.submission_id.action_open_adjust()
