# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import timedelta
from fractions import Fraction

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..engine.periods import Period, same_period_last_year
from ..engine.targets import history_weights, seasonal_weights, split_amount
from ..models.salesperf_target import PERIOD_KINDS, SCOPE_DIMENSION, check_finite

#: Precision of the manual percentages (the preview line's weight digits).
PERCENT_ROUNDING = 0.0001
#: What a target of each scope splits into, by owner.
CHILD_SCOPE = {"company": "team", "team": "user"}
#: What a target of each period kind splits into, over time.
CHILD_PERIOD = {"year": ("quarter", 3), "quarter": ("month", 1)}


class SalesperfTargetSplit(models.TransientModel):
    """Split a target top-down, with a preview before anything is written.

    Children add up to the parent exactly, to the currency's rounding (the
    largest remainder rule of ``engine.targets.split_amount``). Only who may
    manage the target splits it (its record rules), and the children are
    created with the user's own rights: a team leader splits his team's
    target among its current members, never more.
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
            ("manual", "Manual Percentages"),
            ("manual_amount", "Manual Amounts"),
        ],
        required=True,
        default="equal",
    )
    line_ids = fields.One2many("salesperf.target.split.line", "split_id", string="Preview")
    note = fields.Char(readonly=True)
    total = fields.Float(compute="_compute_total", digits=(16, 2))

    @api.depends("line_ids.amount")
    def _compute_total(self):
        for split in self:
            split.total = sum(split.line_ids.mapped("amount"))

    # ------------------------------------------------------------
    # PREVIEW
    # ------------------------------------------------------------

    def action_preview(self):
        """Fill the preview lines; nothing is written to the targets."""
        self.ensure_one()
        self.target_id.check_access("write")
        children = self._child_specs()
        weights, note = self._weights(children)
        amounts = split_amount(self.target_id.amount, weights, self._rounding())
        self.line_ids = [fields.Command.clear()] + [
            fields.Command.create({**spec, "weight": weight, "amount": amount})
            for spec, weight, amount in zip(children, weights, amounts, strict=True)
        ]
        self.note = note
        return self._reopen()

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

    def _weights(self, children):
        """``(weights, note)``: the method's weights, or equal shares and why."""
        equal = [1] * len(children)
        if self.method == "equal":
            return equal, False
        if self.method == "manual":
            # equal percentages that add up to exactly 100 at the field's
            # precision (3 lines: 33.3334, 33.3333, 33.3333)
            return split_amount(100, equal, PERCENT_ROUNDING), _(
                "Enter each line's percentage (they must add up to 100), then apply."
            )
        if self.method == "manual_amount":
            return equal, _(
                "Enter each line's amount (they must add up to the target), then apply."
            )
        if self.method == "history":
            weights = history_weights(self._last_year_per_child(children))
        else:
            if self.split_by != "period":
                raise UserError(_("Seasonality splits a target over months or quarters."))
            weights = self._seasonal_weights(children)
        if weights is None:
            return equal, _("No sales history for this split: equal shares instead.")
        return weights, False

    def _last_year_per_child(self, children):
        """The target's metric for each child over its period one year earlier."""
        target = self.target_id
        # sudo: the split's history is the whole scope's (a leader with "own
        # documents" rights still splits by his people's sales); the caller
        # checked that the user may manage the target
        kpi = self.env["salesperf.kpi"].sudo()
        values = []
        for child in children:
            start = child["date_from"]
            child_period = Period(
                start, self._period_end(child["period_kind"], start), child["period_kind"]
            )
            last_year = same_period_last_year(child_period)
            dimension = SCOPE_DIMENSION[child["scope"]]
            measures = kpi._compute_measures(last_year, dimension, target.company_id)
            entity = {
                "company": target.company_id.id,
                "team": child["team_id"],
                "user": child["user_id"],
            }[child["scope"]]
            values.append(measures.get((entity, target.company_id.id), {}).get(target.metric, 0))
        return values

    @api.model
    def _period_end(self, kind, start):
        months = {"month": 1, "quarter": 3, "year": 12}[kind]
        return start + relativedelta(months=months) - timedelta(days=1)

    def _seasonal_weights(self, children):
        """Weights of each child period from the owner's last three years of revenue."""
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
        per_month = seasonal_weights(history, range(1, 13))
        if per_month is None:
            return None
        weights = []
        for child in children:
            first = child["date_from"]
            months = {"month": 1, "quarter": 3}[child["period_kind"]]
            weights.append(
                sum(per_month[(first.month - 1 + offset) % 12] for offset in range(months))
            )
        return weights if any(weights) else None

    # ------------------------------------------------------------
    # APPLY
    # ------------------------------------------------------------

    def action_apply(self):
        """Create the children as draft targets split from the parent."""
        self.ensure_one()
        if not self.line_ids:
            raise UserError(_("Preview the split before applying it."))
        target = self.target_id
        target.check_access("write")
        if self.method == "manual":
            amounts = split_amount(target.amount, self._checked_percents(), self._rounding())
        elif self.method == "manual_amount":
            amounts = self._checked_amounts()
        else:
            amounts = self.line_ids.mapped("amount")
        children = self.env["salesperf.target"].create(
            [
                {
                    "scope": line.scope,
                    "team_id": line.team_id.id,
                    "user_id": line.user_id.id,
                    "period_kind": line.period_kind,
                    "date_from": line.date_from,
                    "company_id": target.company_id.id,
                    "metric": target.metric,
                    "amount": amount,
                    "parent_id": target.id,
                }
                for line, amount in zip(self.line_ids, amounts, strict=True)
            ]
        )
        target.message_post(
            body=_(
                "Split into %(count)s targets (%(method)s).",
                count=len(children),
                method=dict(self._fields["method"]._description_selection(self.env))[self.method],
            )
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Split Targets"),
            "res_model": "salesperf.target",
            "view_mode": "list,form",
            "domain": [("id", "in", children.ids)],
        }

    def _checked_percents(self):
        """The manual percentages, each 0 or more, adding up to 100 (lines
        refuse NaN and infinite numbers themselves)."""
        percents = self.line_ids.mapped("weight")
        for line, percent in zip(self.line_ids, percents, strict=True):
            if percent < 0:
                raise UserError(
                    _(
                        "Line %(line)s: the percentage must be a number of 0 or more, "
                        "not %(percent)s.",
                        line=line._label(),
                        percent=percent,
                    )
                )
        # exact sum of the percentages as entered (decimal, not binary)
        total = sum(Fraction(str(percent)) for percent in percents)
        if total != 100:
            raise UserError(
                _("The percentages add up to %s %%, not 100 %%.", float(total)),
            )
        return percents

    def _checked_amounts(self):
        """The manual amounts, each 0 or more (whole for counts), adding up
        to the target."""
        target = self.target_id
        amounts = self.line_ids.mapped("amount")
        for line, amount in zip(self.line_ids, amounts, strict=True):
            if amount < 0:
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
        string="Weight / %",
        digits=(16, 4),  # PERCENT_ROUNDING
        help="Share of the parent; a percentage for manual splits.",
    )
    amount = fields.Float(string="Target", digits=(16, 2))

    @api.model_create_multi
    def create(self, vals_list):
        check_finite(self, vals_list, ["weight", "amount"])
        return super().create(vals_list)

    def write(self, vals):
        check_finite(self, [vals], ["weight", "amount"])
        return super().write(vals)

    def _label(self):
        """How the user recognises the line: its owner and period start."""
        self.ensure_one()
        owner = self.user_id or self.team_id
        return " · ".join(filter(None, (owner.name, str(self.date_from or ""))))
