# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..engine import commission as engine
from ..engine.periods import period_containing

COMMISSION_MANAGER = "salesperf_odoo.group_salesperf_commission_manager"
CURRENT_SOURCES = [
    ("statement", "Statement"),
    ("computed", "Computed"),
    ("none", "Not comparable"),
]


def _decimal(value):
    return Decimal(str(value or 0))


class SalesperfCommissionWhatif(models.TransientModel):
    """A candidate plan applied to a past period's sales, salesperson by
    salesperson, next to what their current plan costs for that period.

    For every salesperson with a plan in use in the period, the current
    cost is their statement's total (without the adjustments of earlier
    periods it carries) when there is one, else the period computed now
    under their plan; the candidate's cost is the same period's credited
    sales read on the candidate's basis and measure and computed under its
    rules, over the days the salesperson had a plan. Nothing is written but
    these transient lines: no statement, no assignment.
    """

    _name = "salesperf.commission.whatif"
    _description = "Commission Plan What-if"

    plan_id = fields.Many2one(
        "salesperf.commission.plan",
        string="Candidate Plan",
        required=True,
        ondelete="cascade",
        help="The plan to try, usually a draft: it is applied to the period's sales as if "
        "every salesperson with a plan had been on it.",
    )
    company_id = fields.Many2one(related="plan_id.company_id")
    currency_id = fields.Many2one(related="plan_id.company_id.currency_id")
    date = fields.Date(
        string="Period Of",
        required=True,
        default=lambda self: self._default_date(),
        help="Any day of a past period: the candidate's period (month or quarter) containing it "
        "is compared.",
    )
    date_from = fields.Date(string="Period Start", readonly=True)
    date_to = fields.Date(string="Period End", readonly=True)
    line_ids = fields.One2many("salesperf.commission.whatif.line", "wizard_id", readonly=True)
    computed = fields.Boolean(readonly=True)
    current_total = fields.Monetary(string="Current Cost", readonly=True)
    candidate_total = fields.Monetary(string="Candidate Cost", readonly=True)
    difference = fields.Monetary(readonly=True)
    difference_percent = fields.Float(string="Difference (%)", readonly=True, digits=(16, 2))

    @api.model
    def _default_date(self):
        """The last day of the company's previous month."""
        return self.env.company._salesperf_month_start() - timedelta(days=1)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_compute(self):
        self.ensure_one()
        self._check_rights()
        plan, company = self.plan_id, self.plan_id.company_id
        try:
            engine.validate_plan(plan._commission_spec())
        except engine.PlanError as error:
            raise UserError(
                _("Commission plan %(plan)s: %(error)s", plan=plan.name, error=str(error))
            ) from error
        period = period_containing(plan.period_kind, self.date)
        if period.start > company._salesperf_today():
            raise UserError(
                _(
                    "The period from %(start)s to %(end)s has not started: a what-if applies "
                    "the plan to sales already made.",
                    start=period.start,
                    end=period.end,
                )
            )
        rows = self._whatif_rows(plan, company, period)
        current = sum((row["current_amount"] for row in rows if row["comparable"]), Decimal(0))
        candidate = sum((row["candidate_amount"] for row in rows if row["comparable"]), Decimal(0))
        self.write(
            {
                "date_from": period.start,
                "date_to": period.end,
                "computed": True,
                "current_total": float(current),
                "candidate_total": float(candidate),
                "difference": float(candidate - current),
                "difference_percent": float((candidate - current) * 100 / current)
                if current
                else 0.0,
                "line_ids": [Command.clear()]
                + [Command.create(self._line_values(row)) for row in rows],
            }
        )
        return self._reopen()

    def _check_rights(self):
        """Commission managers only, on a plan of one of their companies:
        checked on who asks, whatever the client sends."""
        if not self.env.user.has_group(COMMISSION_MANAGER):
            raise AccessError(_("Only a Commission Manager tries plans on past periods."))
        if self.plan_id.company_id not in self.env.companies:
            raise AccessError(
                _(
                    "%(company)s is not one of your allowed companies.",
                    company=self.plan_id.company_id.name,
                )
            )

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("What-if"),
        }

    # ------------------------------------------------------------
    # COMPUTATION
    # ------------------------------------------------------------

    @api.model
    def _whatif_rows(self, plan, company, period):
        """One row per salesperson with a plan in use in ``period``:
        ``{"user", "current_plan", "current_source", "current_amount",
        "candidate_amount", "candidate_base", "comparable", "note"}``
        (amounts in ``Decimal``)."""
        current = self._whatif_current(company, period)
        spans = self._whatif_spans(company, period)
        candidate = self._whatif_candidate(plan, company, period, spans)
        rows = []
        for user in sorted(set(current) | set(spans), key=lambda user: (user.name or "", user.id)):
            row = current.get(user) or {
                "user": user,
                "current_plan": self.env["salesperf.commission.plan"],
                "current_source": "none",
                "current_amount": Decimal(0),
                "comparable": False,
                "note": "",
            }
            row["user"] = user
            row["candidate_amount"], row["candidate_base"], notes = candidate.get(
                user, (Decimal(0), Decimal(0), [])
            )
            if not row["comparable"] and not row["note"]:
                row["note"] = _("No current plan over this period.")
            row["note"] = "\n".join([row["note"], *notes]).strip()
            rows.append(row)
        return rows

    @api.model
    def _whatif_current(self, company, period):
        """``{user: row}``: what each salesperson's current plans cost over
        ``period``: their statements' totals less the adjustments of other
        periods, else the periods computed now. A plan whose period does
        not fit inside ``period`` (a quarter against a month) is not
        comparable."""
        Statement = self.env["salesperf.commission.statement"]
        days = [period.start]
        if period.kind == "quarter":
            days = [period.start.replace(month=period.start.month + step) for step in range(3)]
        seen = set()
        result = {}
        for day in days:
            for prepared in Statement._prepare_period(company, day, expected=True):
                user, own = prepared["user"], prepared["period"]
                if (user, own.start, own.end) in seen:
                    continue
                seen.add((user, own.start, own.end))
                row = result.setdefault(
                    user,
                    {
                        "current_plan": prepared["plan"],
                        "current_source": None,
                        "current_amount": Decimal(0),
                        "comparable": True,
                        "note": "",
                    },
                )
                row["current_plan"] = prepared["plan"]
                if not (period.start <= own.start and own.end <= period.end):
                    row.update(
                        comparable=False,
                        current_source="none",
                        note=_(
                            "The current plan pays from %(start)s to %(end)s: not comparable "
                            "with this period.",
                            start=own.start,
                            end=own.end,
                        ),
                    )
                    continue
                statement = prepared["statement"]
                if statement:
                    amount = _decimal(statement.total_amount) - _decimal(
                        statement.adjustment_amount
                    )
                    source = "statement"
                else:
                    amount = sum(
                        (_decimal(line["amount"]) for line in prepared["lines"]), Decimal(0)
                    )
                    source = "computed"
                row["current_amount"] += amount
                if row["current_source"] not in (None, source, "none"):
                    source = "computed"  # some periods of statements, some computed
                if row["current_source"] != "none":
                    row["current_source"] = source
        return result

    @api.model
    def _whatif_spans(self, company, period):
        """``{user: [(start, end), ...]}``: the days of ``period`` each
        salesperson had a plan in use, touching spans merged."""
        assignments = (
            self.env["salesperf.commission.assignment"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("plan_id.state", "in", ("active", "closed")),
                    ("date_from", "<=", period.end),
                    "|",
                    ("date_to", "=", False),
                    ("date_to", ">=", period.start),
                ],
                order="user_id, date_from",
            )
        )
        spans = defaultdict(list)
        for assignment in assignments:
            start = max(period.start, assignment.date_from)
            end = min(period.end, assignment.date_to or period.end)
            user_spans = spans[assignment.user_id.sudo(False)]
            if user_spans and user_spans[-1][1] + timedelta(days=1) >= start:
                user_spans[-1] = (user_spans[-1][0], max(user_spans[-1][1], end))
            else:
                user_spans.append((start, end))
        return spans

    @api.model
    def _whatif_candidate(self, plan, company, period, spans):
        """``{user: (total payable, base, notes)}`` under ``plan`` over each
        salesperson's spans, from the credited lines of its basis and measure."""
        Statement = self.env["salesperf.commission.statement"]
        segments = {
            (period, user): [(plan, start, end) for start, end in user_spans]
            for user, user_spans in spans.items()
        }
        sources = Statement._read_sources(company, segments)
        targets = Statement._read_targets(company, segments)
        result = {}
        for (row_period, user), user_segments in segments.items():
            row = {
                "user": user,
                "period": row_period,
                "plan": plan,
                "statement": Statement,
                "status": "new",
                "lines": [],
                "reason": "",
            }
            Statement._prepare_row(row, user_segments, sources, targets)
            total = sum((_decimal(line["amount"]) for line in row["lines"]), Decimal(0))
            notes = [row["values"]["note"]] if row["values"]["note"] else []
            result[user] = (total, _decimal(row["values"]["base_amount"]), notes)
        return result

    @api.model
    def _line_values(self, row):
        current, candidate = row["current_amount"], row["candidate_amount"]
        difference = candidate - current
        return {
            "user_id": row["user"].id,
            "current_plan_id": row["current_plan"].id,
            "current_source": row["current_source"],
            "current_amount": float(current),
            "candidate_amount": float(candidate),
            "candidate_base": float(row["candidate_base"]),
            "difference": float(difference) if row["comparable"] else 0.0,
            "difference_percent": float(difference * 100 / current)
            if row["comparable"] and current
            else 0.0,
            "comparable": row["comparable"],
            "note": row["note"] or False,
        }


class SalesperfCommissionWhatifLine(models.TransientModel):
    _name = "salesperf.commission.whatif.line"
    _description = "Commission Plan What-if Line"
    _order = "wizard_id, id"

    wizard_id = fields.Many2one("salesperf.commission.whatif", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    user_id = fields.Many2one("res.users", string="Salesperson")
    current_plan_id = fields.Many2one("salesperf.commission.plan")
    current_source = fields.Selection(
        CURRENT_SOURCES,
        string="Current Cost From",
        help="Statement: the period's statement total, without the adjustments of earlier "
        "periods. Computed: the period computed now under the current plan.",
    )
    current_amount = fields.Monetary(string="Current Cost")
    candidate_amount = fields.Monetary(string="Candidate Cost")
    candidate_base = fields.Monetary(
        string="Commissionable Amount",
        help="The period's credited sales on the candidate's basis and measure.",
    )
    difference = fields.Monetary()
    difference_percent = fields.Float(string="Difference (%)", digits=(16, 2))
    comparable = fields.Boolean()
    note = fields.Char()
