# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import math
from datetime import timedelta
from fractions import Fraction

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import formatLang

from ..engine.periods import Period, same_period_last_year
from ..engine.targets import (
    history_weights,
    missing_history,
    period_forecast,
    seasonal_weights,
    shares,
    split_amount,
)
from ..models.salesperf_target import PERIOD_KINDS, SCOPE_DIMENSION, check_finite

#: Precision of the shares, as ratios: a percentage with 2 decimals (the
#: preview line's share digits).
SHARE_ROUNDING = 0.0001
#: Methods that weigh each child by its history (or its forecast), and flag
#: who has none.
HISTORY_METHODS = ("history", "seasonal", "forecast")
#: What a target of each scope splits into, by owner.
CHILD_SCOPE = {"company": "team", "team": "user"}
#: What a target of each period kind splits into, over time.
CHILD_PERIOD = {"year": ("quarter", 3), "quarter": ("month", 1)}
#: What tells the children of a split apart: their owner and their period.
CHILD_KEY = ("scope", "team_id", "user_id", "period_kind", "date_from")
#: Numbers of a preview line that must be finite.
FINITE_LINE_FIELDS = [
    "weight",
    "share",
    "amount",
    "suggested_amount",
    "last_year_amount",
    "forecast_amount",
    "forecast_lo80",
    "forecast_hi80",
]


class SalesperfTargetSplit(models.TransientModel):
    """Split a target top-down, with a preview before anything is written.

    Children add up to the parent exactly, to the currency's rounding (the
    largest remainder rule of ``engine.targets.split_amount``). Only who may
    manage the target splits it (its record rules), and the children are
    created with the user's own rights: a team leader splits his team's
    target among its current members, never more.

    Split by history (last year's share, seasonality), a child without any
    (a newcomer, a month that never sold) is flagged in the preview, and the
    user chooses what it gets: an equal share, or nothing. The shares are
    shown as percentages, the history itself stays internal.

    From the forecast, each child is suggested its own statistical forecast
    for its period (the latest finished forecast run of the target's
    company) × the stretch factor the manager sets, and the preview shows,
    next to each amount, the suggestion, last year's actual and the
    forecast's 80 % interval. A child with nothing forecast is suggested,
    as the user chooses, the mean of the others' forecasts × the stretch
    (the weight an equal share gets in the other history methods) or 0.
    The children always add up to the target; which of the two gives way
    depends on whether the target's amount is still open:

    - a draft target, not split yet and not part of a confirmed split, is
      planned from the forecast: applying sets each child to its suggested
      amount and the target to their sum, and says so in its chatter;
    - otherwise (confirmed, already split another way, or split from a
      confirmed target) its amount is committed: the children share it in
      proportion to their suggested amounts, and the preview compares it
      with the forecast × the stretch (see ``_kept_amount_reason``).
    """

    _name = "salesperf.target.split"
    _description = "Split a Sales Target"

    target_id = fields.Many2one("salesperf.target", required=True, ondelete="cascade")
    split_by = fields.Selection(
        [("owner", "Teams / Salespeople"), ("period", "Quarters / Months")],
        required=True,
        default="owner",
    )
    method = fields.Selection(
        [
            ("equal", "Equal Shares"),
            ("history", "Share of Last Year"),
            ("seasonal", "Seasonality (last 3 years)"),
            ("forecast", "From the Forecast"),
            ("manual", "Manual Percentages"),
            ("manual_amount", "Manual Amounts"),
        ],
        required=True,
        default="equal",
    )
    without_history = fields.Selection(
        [
            ("equal", "An equal share of the target, as in an equal split"),
            ("zero", "Nothing (0): the others share the whole target"),
        ],
        string="No History: Each Gets",
        required=True,
        default="equal",
        help="What a team, salesperson or month without any sales in the reference "
        "period (or, from the forecast, with nothing forecast for its period) gets, "
        "while the others are weighed by their history or forecast. From the forecast, "
        "an equal share is a suggestion of the mean of the others' forecasts × the "
        "stretch, and nothing is 0.",
    )
    stretch = fields.Float(
        default=1.0,
        help="How far above (or below) its statistical forecast each target should "
        "be, e.g. 1.10 for 10 % above it; above 0. Each one is suggested its forecast "
        "× the stretch. A draft target (not split yet) is set to the sum of the "
        "suggestions; a confirmed one keeps its amount, shared in proportion to them, "
        "and the preview compares it with the forecast × the stretch.",
    )
    line_ids = fields.One2many("salesperf.target.split.line", "split_id", string="Preview")
    note = fields.Char(readonly=True)
    target_scope = fields.Selection(related="target_id.scope")
    is_monetary = fields.Boolean(related="target_id.is_monetary")
    currency_id = fields.Many2one(related="target_id.amount_currency_id")
    total = fields.Float(compute="_compute_total", digits=(16, 2))
    without_history_count = fields.Integer(compute="_compute_without_history_count")
    can_choose_without_history = fields.Boolean(compute="_compute_without_history_count")

    @api.depends("line_ids.amount")
    def _compute_total(self):
        for split in self:
            split.total = sum(split.line_ids.mapped("amount"))

    @api.depends("method", "line_ids.has_history")
    def _compute_without_history_count(self):
        for split in self:
            missing = len(split.line_ids.filtered(lambda line: not line.has_history))
            split.without_history_count = missing if split.method in HISTORY_METHODS else 0
            # a choice only when some have history and some have none
            split.can_choose_without_history = 0 < split.without_history_count < len(split.line_ids)

    @api.onchange("split_by", "method")
    def _onchange_method(self):
        """Another split needs another preview: the old one is cleared, so
        that nothing is applied that the user has not seen."""
        self.line_ids = [fields.Command.clear()]
        self.note = False

    @api.onchange("without_history")
    def _onchange_without_history(self):
        """The preview follows the choice at once."""
        if self.line_ids and self.method in HISTORY_METHODS:
            self._update_shares()
            if self.method == "forecast":
                # a draft target's new sum, from the forecast
                self.note = self._stretch_error() or self._preview_note()

    @api.onchange("stretch")
    def _onchange_stretch(self):
        """The suggested amounts, and a draft target's amounts with them,
        follow the stretch at once; a bad stretch is told, not computed."""
        if self.line_ids and self.method == "forecast":
            error = self._stretch_error()
            if not error:
                self._update_shares()
            self.note = error or self._preview_note()

    # ------------------------------------------------------------
    # PREVIEW
    # ------------------------------------------------------------

    def action_preview(self):
        """Fill the preview lines; nothing is written to the targets."""
        self.ensure_one()
        self.target_id.check_access("write")
        children = self._child_specs()
        forecasts = self._forecast_per_child(children) if self.method == "forecast" else None
        weights, note = self._weights(children, forecasts)
        missing = missing_history(weights)
        figures = self._forecast_figures(children, forecasts)
        self.line_ids = [fields.Command.clear()] + [
            fields.Command.create(
                {
                    **spec,
                    **child_figures,
                    "weight": weight,
                    "has_history": self.method not in HISTORY_METHODS or not is_missing,
                }
            )
            for spec, child_figures, weight, is_missing in zip(
                children, figures, weights, missing, strict=True
            )
        ]
        self._update_shares()
        self.note = note or self._preview_note()
        return self._reopen()

    def _update_shares(self):
        """Each line's share (a percentage), amount and, from the forecast,
        suggested amount, from the weights and the choice for children
        without history; manual splits start equal."""
        raw_weights = self.line_ids.mapped("weight")
        weights = self._effective_weights(raw_weights)
        suggested = self._suggested_amounts(raw_weights)
        amounts = self._amounts(weights, suggested)
        for line, share, amount, suggestion in zip(
            self.line_ids, shares(weights), amounts, suggested or [0.0] * len(weights), strict=True
        ):
            line.share = share
            line.amount = amount
            line.suggested_amount = suggestion

    def _amounts(self, weights, suggested):
        """The children's amounts: the suggested ones where they set the
        target (see ``_kept_amount_reason``), else the target split in
        proportion to ``weights``."""
        if suggested is not None and not self._kept_amount_reason():
            return suggested
        return self._split_target(weights)

    def _effective_weights(self, weights):
        """The weights the amounts follow, from each child's raw weight (see
        ``_weights``): the history, where some child has any, with the choice
        for those without; otherwise equal shares."""
        if self.method in HISTORY_METHODS:
            return history_weights(weights, self.without_history) or [1] * len(weights)
        return weights

    def _split_target(self, weights):
        """The target's amount split in proportion to ``weights``; what the
        engine refuses (no weight above 0, a negative one) is told to the user
        rather than raised as a Python error."""
        try:
            return split_amount(self.target_id.amount, weights, self._rounding())
        except ValueError as error:
            raise UserError(_("This split cannot be computed: %s", error)) from error

    def _preview_note(self):
        """What the preview tells the user: from the forecast, the target
        against the forecast × the stretch; who has no history or forecast."""
        notes = [self._forecast_note(), self._without_history_note()]
        return " ".join(filter(None, notes)) or False

    def _without_history_note(self):
        if not self.can_choose_without_history:
            return False
        if self.method == "forecast" and not self._kept_amount_reason():
            return _(
                "%(count)s of %(total)s have nothing forecast for their period: choose "
                "below whether each is suggested the mean of the others' forecasts × the "
                "stretch, or nothing (0).",
                count=self.without_history_count,
                total=len(self.line_ids),
            )
        if self.method == "forecast":
            return _(
                "%(count)s of %(total)s have nothing forecast for their period: choose "
                "below whether they get an equal share of the target or nothing.",
                count=self.without_history_count,
                total=len(self.line_ids),
            )
        return _(
            "%(count)s of %(total)s have no history to weigh them by: choose below "
            "whether they get an equal share of the target or nothing.",
            count=self.without_history_count,
            total=len(self.line_ids),
        )

    def _rounding(self):
        """Counts split in whole units, amounts in the currency's rounding, or
        in cents when the target itself is not a multiple of it."""
        target = self.target_id
        if not target.is_monetary:
            return 1
        rounding = target.currency_id.rounding
        if Fraction(str(target.amount)) % Fraction(str(rounding)):
            return 0.01
        return rounding

    def _child_specs(self):
        """One dict of child target values (owner and period) per child."""
        target = self.target_id
        base = {"team_id": target.team_id.id, "user_id": target.user_id.id}
        if self.split_by == "period":
            if target.period_kind not in CHILD_PERIOD:
                raise UserError(_("A monthly target cannot be split over time."))
            kind, months = CHILD_PERIOD[target.period_kind]
            starts = []
            start = target.date_from
            while start <= target.date_to:
                starts.append(start)
                start += relativedelta(months=months)
            return [
                {**base, "scope": target.scope, "period_kind": kind, "date_from": day}
                for day in starts
            ]
        if target.scope == "company":
            teams = self.env["crm.team"].search([("company_id", "=", target.company_id.id)])
            if not teams:
                raise UserError(_("Company %s has no sales team.", target.company_id.name))
            return [
                {
                    "scope": "team",
                    "team_id": team.id,
                    "user_id": False,
                    "period_kind": target.period_kind,
                    "date_from": target.date_from,
                }
                for team in teams
            ]
        if target.scope == "team":
            members = target.team_id.member_ids.filtered(
                lambda user: target.company_id in user.company_ids
            )
            if not members:
                raise UserError(_("Sales team %s has no member.", target.team_id.name))
            return [
                {
                    "scope": "user",
                    "team_id": target.team_id.id,
                    "user_id": user.id,
                    "period_kind": target.period_kind,
                    "date_from": target.date_from,
                }
                for user in members
            ]
        raise UserError(_("A salesperson's target can only be split over time."))

    def _weights(self, children, forecasts=None):
        """``(weights, note)``: each child's raw weight (its history for the
        history methods, its forecast for the period from the forecast, 0
        where it has none; 1 otherwise), and a note for the user when there
        is something to say.

        :param forecasts: from the forecast, the children's forecasts when
            the caller has them already (see ``_forecast_per_child``).
        """
        equal = [1] * len(children)
        if self.method == "equal":
            return equal, False
        if self.method == "manual":
            return equal, _("Enter each line's percentage (they must add up to 100 %), then apply.")
        if self.method == "manual_amount":
            return equal, _(
                "Enter each line's amount (they must add up to the target), then apply."
            )
        if self.method == "forecast":
            if forecasts is None:
                forecasts = self._forecast_per_child(children)
            weights = [forecast.point for forecast in forecasts]
            if history_weights(weights) is None:
                return weights, _(
                    "Nothing is forecast for any of them over this period: equal shares instead."
                )
            return weights, False
        if self.method == "history":
            weights = self._last_year_per_child(children)
        else:
            if self.split_by != "period":
                raise UserError(_("Seasonality splits a target over months or quarters."))
            weights = self._seasonal_weights(children)
        if history_weights(weights) is None:
            return weights, _("No sales history for this split: equal shares instead.")
        return weights, False

    def _last_year_per_child(self, children):
        """The target's metric for each child over its period one year
        earlier: one KPI computation per distinct period and scope (all the
        people of a team share one), not one per child."""
        return self._measure_per_child(
            children, lambda child: same_period_last_year(self._child_period(child))
        )

    def _measure_per_child(self, children, period_of):
        """The target's metric for each child over ``period_of(child)`` (0
        where that is ``None``): one KPI computation per distinct period and
        scope, not one per child."""
        target = self.target_id
        company = target.company_id
        # sudo: the split's history is the whole scope's (a leader with "own
        # documents" rights still splits by his people's sales); the caller
        # checked that the user may manage the target
        kpi = self.env["salesperf.kpi"].sudo()
        measures = {}
        values = []
        for child in children:
            period = period_of(child)
            if period is None:
                values.append(0.0)
                continue
            key = (period.start, period.end, child["scope"])
            if key not in measures:
                measures[key] = kpi._compute_measures(
                    period, SCOPE_DIMENSION[child["scope"]], company, measures={target.metric}
                )
            entity = {
                "company": company.id,
                "team": child["team_id"],
                "user": child["user_id"],
            }[child["scope"]]
            values.append(measures[key].get((entity, company.id), {}).get(target.metric, 0))
        return values

    def _child_period(self, child):
        """The period of a child spec."""
        start = child["date_from"]
        kind = child["period_kind"]
        return Period(start, self._period_end(kind, start), kind)

    # ------------------------------------------------------------
    # FROM THE FORECAST
    # ------------------------------------------------------------

    def _stretch_error(self):
        """What is wrong with the stretch factor, or ``False``."""
        if not (math.isfinite(self.stretch) and self.stretch > 0):
            return _(
                "The stretch factor must be a number above 0 (1.10 for 10 %% above the "
                "forecast), not %(stretch)s.",
                stretch=self.stretch,
            )
        return False

    def _forecast_per_child(self, children):
        """Each child's forecast for its period, as an
        ``engine.targets.PeriodForecast`` (see ``period_forecast``).

        From the latest finished forecast run of the target's company: the
        monthly forecasts of the child's own series (a salesperson's
        ``user:<id>``, a team's ``team:<id>``, the company's ``company``) over
        the months of its period, added up; their 80 % intervals combined as
        if the monthly errors were independent (the root of the sum of the
        squared half-widths). Months before the run's first month are already
        history: they count at their actual revenue, without uncertainty. A
        series that was not forecast (no sale in its last year) counts 0.

        :raises UserError: a stretch factor of 0 or less, a target on another
            metric than revenue, no finished forecast run for the company, a
            period the run does not reach.
        """
        target = self.target_id
        company = target.company_id
        stretch_error = self._stretch_error()
        if stretch_error:
            raise UserError(stretch_error)
        if target.metric != "revenue":
            raise UserError(
                _(
                    "The forecast is of revenue: a target of %(metric)s cannot be split from it. "
                    "Choose another method.",
                    metric=dict(self.target_id._fields["metric"]._description_selection(self.env))[
                        target.metric
                    ],
                )
            )
        run = self.env["salesperf.forecast.run"]._latest_done(company)
        if not run:
            raise UserError(
                _(
                    "%(company)s has no finished forecast yet: run the forecasts first "
                    "(Sales Performance administrators start them from the forecast chart; "
                    "the scheduled run makes one every month), then split the target from it.",
                    company=company.name,
                )
            )
        # the run's dates only: who may split a target need not read runs
        run_info = run.sudo()
        first = run_info.date_start
        last = first + relativedelta(months=run_info.horizon - 1)
        months = [self._child_months(child) for child in children]
        beyond = max(month for child_months in months for month in child_months)
        if beyond > last:
            raise UserError(
                _(
                    "The latest forecast of %(company)s covers %(first)s to %(last)s: it does "
                    "not reach %(month)s. Wait for the next forecast run or choose another "
                    "method.",
                    company=company.name,
                    first=first.strftime("%m/%Y"),
                    last=last.strftime("%m/%Y"),
                    month=beyond.strftime("%m/%Y"),
                )
            )
        keys = [self._series_key(child) for child in children]
        forecast_months = {month for child_months in months for month in child_months}
        # sudo: a split weighs the whole scope's forecast, the same for
        # whoever may manage the target (the lines' record rules are for
        # browsing them); the caller checked that the user may manage the
        # target, and only the target's company's lines are read
        rows = (
            self.env["salesperf.forecast.line"]
            .sudo()
            ._read_group(
                [
                    ("run_id", "=", run.id),
                    ("company_id", "=", company.id),
                    ("series_key", "in", list(set(keys))),
                    ("date", "in", sorted(month for month in forecast_months if month >= first)),
                ],
                ["series_key", "date:month"],
                ["forecast:sum", "lo80:sum", "hi80:sum"],
            )
        )
        by_month = {(key, month): (point, low, high) for key, month, point, low, high in rows}
        known = self._measure_per_child(
            children,
            lambda child: (
                Period(
                    child["date_from"],
                    min(self._child_period(child).end, first - timedelta(days=1)),
                )
                if child["date_from"] < first
                else None
            ),
        )
        return [
            period_forecast(
                [
                    by_month[key, month]
                    for month in child_months
                    if month >= first and (key, month) in by_month
                ],
                known=child_known,
            )
            for key, child_months, child_known in zip(keys, months, known, strict=True)
        ]

    def _run_label(self):
        """Which forecast the split is made from, for the user."""
        run = self.env["salesperf.forecast.run"]._latest_done(self.target_id.company_id)
        # the run's dates only, as in _forecast_per_child
        return _(
            "Forecast from %(month)s",
            month=run.sudo().date_start.strftime("%m/%Y") if run else "",
        )

    def _child_months(self, child):
        """First days of the months of a child's period."""
        count = {"month": 1, "quarter": 3, "year": 12}[child["period_kind"]]
        return [child["date_from"] + relativedelta(months=index) for index in range(count)]

    def _series_key(self, child):
        """The forecast series of a child spec: its owner's, at its scope."""
        if child["scope"] == "company":
            return "company"
        if child["scope"] == "team":
            return f"team:{child['team_id'] or 0}"
        return f"user:{child['user_id'] or 0}"

    def _forecast_figures(self, children, forecasts):
        """What the preview shows next to each amount from the forecast: last
        year's actual and the forecast with its 80 % interval; nothing for
        the other methods."""
        if forecasts is None:
            return [{} for _child in children]
        last_year = self._last_year_per_child(children)
        return [
            {
                "last_year_amount": actual,
                "forecast_amount": forecast.point,
                "forecast_lo80": forecast.lo80,
                "forecast_hi80": forecast.hi80,
            }
            for actual, forecast in zip(last_year, forecasts, strict=True)
        ]

    def _suggested_amounts(self, weights):
        """From the forecast, each child's suggested amount: its forecast for
        the period (its raw weight) × the stretch, rounded to the currency;
        for a child with nothing forecast, the mean of the others' forecasts
        × the stretch, or 0, as the user chose (``history_weights``).
        ``None`` for the other methods, a bad stretch (told elsewhere), or
        when nothing is forecast for anyone."""
        if self.method != "forecast" or self._stretch_error():
            return None
        forecasts = history_weights(weights, self.without_history)
        if forecasts is None:
            return None
        currency = self.target_id.currency_id
        stretch = Fraction(str(self.stretch))
        # exact product, rounded once, at the edge
        return [currency.round(float(forecast * stretch)) for forecast in forecasts]

    def _kept_amount_reason(self):
        """Why a split from the forecast keeps the target's amount (its
        children then share it in proportion to their suggested amounts), or
        ``False`` when applying sets the target to their sum.

        A target's amount is committed when it is confirmed, when it is
        already split (its other children must keep adding up to it), or
        when it is itself a child of a confirmed target (whose children must
        keep adding up to it); only a draft target free of all three is
        planned from the forecast."""
        target = self.target_id
        if target.state == "confirmed":
            return _("it is confirmed")
        if target.child_ids:
            return _(
                "it is already split into %(count)s targets, which must keep adding up to it",
                count=len(target.child_ids),
            )
        # sudo: only the state of the target it was split from (never shown),
        # which decides whether this amount is committed, even when the user
        # may not read that target (a team leader splitting his team's
        # target); the caller checked that the user may manage this one
        if target.parent_id.sudo().state == "confirmed":
            return _("it is part of a confirmed split, whose parts must keep adding up")
        return False

    def _forecast_note(self):
        """From the preview: the forecast × the stretch, and what applying
        does with the target's amount (sets it, or keeps it and compares)."""
        if self.method != "forecast" or not self.line_ids or self._stretch_error():
            return False
        forecast = sum(self.line_ids.mapped("forecast_amount"))
        if not forecast > 0:
            return False
        target = self.target_id
        values = {
            "run": self._run_label(),
            "forecast": target._format_amount(forecast),
            "stretch": formatLang(self.env, self.stretch, digits=2),
            "suggested": target._format_amount(forecast * self.stretch),
            "target": target._format_amount(target.amount),
        }
        reason = self._kept_amount_reason()
        if not reason:
            return _(
                "%(run)s: %(forecast)s for the period; at ×%(stretch)s: %(suggested)s. The "
                "target is a draft: applying sets each one to its suggested amount and the "
                "target, now %(target)s, to their sum, %(total)s.",
                total=target._format_amount(sum(self.line_ids.mapped("suggested_amount"))),
                **values,
            )
        return _(
            "%(run)s: %(forecast)s for the period; at ×%(stretch)s: %(suggested)s. The "
            "target, %(target)s, is %(ratio)s × the forecast; %(reason)s, so its amount "
            "stays and is split in proportion to each one's suggested amount.",
            ratio=formatLang(self.env, target.amount / forecast, digits=2),
            reason=reason,
            **values,
        )

    @api.model
    def _period_end(self, kind, start):
        months = {"month": 1, "quarter": 3, "year": 12}[kind]
        return start + relativedelta(months=months) - timedelta(days=1)

    def _seasonal_weights(self, children):
        """Weight of each child period from the owner's last three years of
        revenue, 0 for a period that never sold."""
        target = self.target_id
        start = target.date_from - relativedelta(years=3)
        domain = [
            ("company_id", "=", target.company_id.id),
            ("date", ">=", start),
            ("date", "<", target.date_from),
        ]
        if target.scope == "team":
            domain.append(("team_id", "=", target.team_id.id))
        elif target.scope == "user":
            domain.append(("user_id", "=", target.user_id.id))
        history = {
            (month.year, month.month): revenue
            # sudo: as in _last_year_per_child, after the caller's check
            for month, revenue in self.env["salesperf.sale.fact"]
            .sudo()
            ._read_group(domain, ["date:month"], ["revenue:sum"])
        }
        per_month = seasonal_weights(history, range(1, 13)) or [0] * 12
        weights = []
        for child in children:
            first = child["date_from"]
            months = {"month": 1, "quarter": 3}[child["period_kind"]]
            weights.append(
                sum(per_month[(first.month - 1 + offset) % 12] for offset in range(months))
            )
        return weights

    # ------------------------------------------------------------
    # APPLY
    # ------------------------------------------------------------

    def action_apply(self):
        """Create the children as draft targets split from the parent.

        The preview lines are the client's copy of the split: their owners,
        periods and weights are recomputed here from the target, the method
        and the choice for children without history, as the preview computed
        them, and the lines are only checked against them (see
        ``_lines_matching``). Only the manual methods take the user's input
        from the lines, their percentages or amounts, once checked. Nothing
        is written before every check passed.

        From the forecast, a draft target not split yet is set to the sum of
        its children's suggested amounts, in the same savepoint as the
        children (see ``_kept_amount_reason``).
        """
        self.ensure_one()
        if not self.line_ids:
            raise UserError(_("Preview the split before applying it."))
        target = self.target_id
        target.check_access("write")
        specs = self._child_specs()
        # from the forecast, the stretch and the run are checked here too,
        # before anything is written
        weights, _note = self._weights(specs)
        lines = self._lines_matching(specs, weights)
        if self.method == "manual":
            amounts = self._split_target(self._checked_shares(lines))
        elif self.method == "manual_amount":
            amounts = self._checked_amounts(lines)
        else:
            # from the server's weights, the choice for children without
            # history and the stretch, never from the amounts the client
            # sends back
            suggested = self._suggested_amounts(weights)
            amounts = self._amounts(self._effective_weights(weights), suggested)
        sets_target = self.method == "forecast" and amounts is suggested
        old_amount = target.amount
        # one savepoint: the children and the target's new amount, or nothing
        with self.env.cr.savepoint():
            children = self.env["salesperf.target"].create(
                [
                    {
                        **spec,
                        "company_id": target.company_id.id,
                        "metric": target.metric,
                        "amount": amount,
                        "parent_id": target.id,
                    }
                    for spec, amount in zip(specs, amounts, strict=True)
                ]
            )
            if sets_target:
                # exact decimal sum of the rounded children: they add up to it
                target.amount = float(sum(Fraction(str(amount)) for amount in amounts))
        if sets_target:
            target.message_post(body=self._set_from_forecast_message(weights, amounts, old_amount))
        method = dict(self._fields["method"]._description_selection(self.env))[self.method]
        missing = sum(missing_history(weights))
        if self.method == "forecast":
            method = _(
                "%(method)s: %(run)s, stretch ×%(stretch)s",
                method=method,
                run=self._run_label(),
                stretch=formatLang(self.env, self.stretch, digits=2),
            )
        if self.method in HISTORY_METHODS and 0 < missing < len(weights):
            choice = dict(self._fields["without_history"]._description_selection(self.env))
            if self.method == "forecast":
                method = _(
                    "%(method)s; without forecast: %(choice)s",
                    method=method,
                    choice=choice[self.without_history].lower(),
                )
            else:
                method = _(
                    "%(method)s; without history: %(choice)s",
                    method=method,
                    choice=choice[self.without_history].lower(),
                )
        target.message_post(
            body=_(
                "Split into %(count)s targets (%(method)s): %(children)s.",
                count=len(children),
                method=method,
                children="; ".join(
                    f"{line._label()}: {target._format_amount(child.amount)}"
                    for line, child in zip(lines, children, strict=True)
                ),
            )
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Split Targets"),
            "res_model": "salesperf.target",
            "view_mode": "list,kanban,form",
            "mobile_view_mode": "kanban",
            "domain": [("id", "in", children.ids)],
        }

    def _set_from_forecast_message(self, forecasts, amounts, old_amount):
        """The chatter note of a target set from the forecast × the stretch:
        the forecast, the stretch, what those without forecast were given,
        and the old and new amounts; from the server's ``forecasts`` (raw
        weights) and the children's ``amounts``, never from the lines."""
        target = self.target_id
        forecast = sum(forecasts)
        message = _(
            "Target set from the forecast (%(run)s) × the stretch: %(forecast)s × "
            "%(stretch)s = %(suggested)s; with the suggested amounts rounded, %(new)s "
            "(was %(old)s).",
            run=self._run_label(),
            forecast=target._format_amount(forecast),
            stretch=formatLang(self.env, self.stretch, digits=2),
            suggested=target._format_amount(forecast * self.stretch),
            new=target._format_amount(target.amount),
            old=target._format_amount(old_amount),
        )
        without = [
            amount
            for amount, is_missing in zip(amounts, missing_history(forecasts), strict=True)
            if is_missing
        ]
        extra = sum(without)
        if extra:
            message = _(
                "%(message)s Of it, %(extra)s for %(count)s without forecast (the mean "
                "of the others' forecasts × the stretch).",
                message=message,
                extra=target._format_amount(extra),
                count=len(without),
            )
        return message

    def _lines_matching(self, specs, weights):
        """The preview lines in the order of ``specs``, one per child, each
        with the same owner, period and weight as the server computes now.

        Otherwise what would be applied is not what the user saw: the team's
        members, the history or the lines themselves changed since the
        preview (a line is an ordinary record the client writes to), and the
        user is asked to preview again.
        """
        lines_by_key = {line._child_key(): line for line in self.line_ids}
        lines = [lines_by_key.get(tuple(spec[name] for name in CHILD_KEY)) for spec in specs]
        if (
            len(lines_by_key) != len(self.line_ids)
            or len(self.line_ids) != len(specs)
            or None in lines
            # exact: the preview stored the very weights computed here
            or any(line.weight != weight for line, weight in zip(lines, weights, strict=True))
        ):
            raise UserError(
                _(
                    "The preview no longer matches this split: its teams, salespeople, "
                    "periods, their history or their forecast changed since. Preview it "
                    "again before applying it."
                )
            )
        return self.line_ids.browse([line.id for line in lines])

    def _checked_shares(self, lines):
        """The manual shares of ``lines`` (ratios shown as percentages), each
        a finite number of 0 or more, adding up to 100 %."""
        ratios = lines.mapped("share")
        for line, ratio in zip(lines, ratios, strict=True):
            if not (math.isfinite(ratio) and ratio >= 0):
                # shown exactly as entered (0.07 is 7 %, not 7.000000000000001 %)
                percent = float(Fraction(str(ratio)) * 100) if math.isfinite(ratio) else ratio
                raise UserError(
                    _(
                        "Line %(line)s: the percentage must be a number of 0 or more, "
                        "not %(percent)s %%.",
                        line=line._label(),
                        percent=percent,
                    )
                )
        # exact sum of the shares as entered (decimal, not binary)
        total = sum(Fraction(str(ratio)) for ratio in ratios)
        if total != 1:
            raise UserError(
                _("The percentages add up to %s %%, not 100 %%.", float(total * 100)),
            )
        return ratios

    def _checked_amounts(self, lines):
        """The manual amounts of ``lines``, each a finite number of 0 or more
        (whole for counts), adding up to the target."""
        target = self.target_id
        amounts = lines.mapped("amount")
        for line, amount in zip(lines, amounts, strict=True):
            if not (math.isfinite(amount) and amount >= 0):
                raise UserError(
                    _(
                        "Line %(line)s: the amount must be a number of 0 or more, not %(amount)s.",
                        line=line._label(),
                        amount=amount,
                    )
                )
            if not target.is_monetary and amount != int(amount):
                raise UserError(
                    _(
                        "Line %(line)s: %(amount)s is not a whole number; this target counts.",
                        line=line._label(),
                        amount=amount,
                    )
                )
        # compared exactly (decimal, not binary), never after rounding the sum
        total = sum(Fraction(str(amount)) for amount in amounts)
        if total != Fraction(str(target.amount)):
            raise UserError(
                _(
                    "The amounts add up to %(total)s, not to the target's %(target)s.",
                    total=float(total),
                    target=target.amount,
                )
            )
        return amounts

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Split Target"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }


class SalesperfTargetSplitLine(models.TransientModel):
    _name = "salesperf.target.split.line"
    _description = "Sales Target Split Preview Line"
    _order = "date_from, id"

    split_id = fields.Many2one("salesperf.target.split", required=True, ondelete="cascade")
    scope = fields.Selection(
        [("company", "Company"), ("team", "Sales Team"), ("user", "Salesperson")], required=True
    )
    team_id = fields.Many2one("crm.team", string="Sales Team")
    user_id = fields.Many2one("res.users", string="Salesperson")
    period_kind = fields.Selection(PERIOD_KINDS, string="Period")
    date_from = fields.Date(string="Period Start")
    weight = fields.Float(
        help="What the line's share is computed from (its history, or 1 for an "
        "equal split); kept exact, never shown.",
    )
    has_history = fields.Boolean(
        default=True,
        help="False when the line has no history to weigh it by (split by last "
        "year's share or seasonality).",
    )
    history_status = fields.Selection(
        [("found", "History"), ("missing", "No history"), ("no_forecast", "No forecast")],
        string="History",
        compute="_compute_history_status",
    )
    share = fields.Float(
        digits=(16, 4),  # SHARE_ROUNDING: a percentage with 2 decimals
        help="Share of the target, in %; typed in for manual percentages.",
    )
    amount = fields.Float(string="Target", digits=(16, 2))
    currency_id = fields.Many2one(related="split_id.currency_id")
    suggested_amount = fields.Float(
        string="Suggested",
        digits=(16, 2),
        help="From the forecast: the forecast for the period × the stretch; with "
        "nothing forecast, the mean of the others' forecasts × the stretch, or 0, as "
        "chosen. A draft target not split yet is set to the sum of these; a confirmed "
        "one is shared in proportion to them.",
    )
    last_year_amount = fields.Float(
        string="Last Year",
        digits=(16, 2),
        help="Revenue of the same owner over the same period one year earlier.",
    )
    forecast_amount = fields.Float(
        string="Forecast",
        digits=(16, 2),
        help="The statistical forecast of the owner's revenue over the period (the "
        "latest forecast run): the sum of its monthly forecasts; months before the "
        "run's first month count at their actual revenue.",
    )
    forecast_lo80 = fields.Float(
        string="80 % Low",
        digits=(16, 2),
        help="Low end of the forecast's 80 % interval for the period. Over several "
        "months, the monthly half-widths are combined as the square root of the sum "
        "of their squares, which assumes independent monthly errors (if they are "
        "correlated, the true interval is wider).",
    )
    forecast_hi80 = fields.Float(
        string="80 % High",
        digits=(16, 2),
        help="High end of the forecast's 80 % interval for the period, combined as the low end is.",
    )

    @api.depends("has_history", "split_id.method")
    def _compute_history_status(self):
        for line in self:
            if line.has_history:
                line.history_status = "found"
            elif line.split_id.method == "forecast":
                line.history_status = "no_forecast"
            else:
                line.history_status = "missing"

    @api.model_create_multi
    def create(self, vals_list):
        check_finite(self, vals_list, FINITE_LINE_FIELDS)
        return super().create(vals_list)

    def write(self, vals):
        check_finite(self, [vals], FINITE_LINE_FIELDS)
        return super().write(vals)

    def _child_key(self):
        """The line's owner and period, as ``CHILD_KEY`` of a child spec."""
        self.ensure_one()
        return (self.scope, self.team_id.id, self.user_id.id, self.period_kind, self.date_from)

    def _label(self):
        """How the user recognises the line: its owner and period start."""
        self.ensure_one()
        owner = self.user_id or self.team_id
        return " · ".join(filter(None, (owner.name, str(self.date_from or ""))))
