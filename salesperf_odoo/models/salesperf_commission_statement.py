# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import logging
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from psycopg2 import errors as pg_errors

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_date

from ..engine import commission as engine
from ..engine.periods import period_containing

_logger = logging.getLogger(__name__)

STATES = [
    ("draft", "Draft"),
    ("confirmed", "Confirmed"),
    ("approved_manager", "Approved by Manager"),
    ("approved", "Approved"),
    ("paid", "Paid"),
    ("cancel", "Cancelled"),
]
#: States whose statements never change again: later corrections of their
#: period become adjustment lines of the next open statement.
CLOSED_STATES = ("confirmed", "approved_manager", "approved", "paid")
LINE_KINDS = [
    ("commission", "Commission"),
    ("bonus", "Bonus"),
    ("override", "Team Override"),
    ("cap", "Cap"),
    ("adjustment", "Adjustment"),
]
COMMISSION_MANAGER = "salesperf_odoo.group_salesperf_commission_manager"
#: How far back a computation looks for changes in closed periods.
ADJUSTMENT_LOOKBACK_MONTHS = 12
#: Differences below half a cent are rounding, not corrections.
HALF_CENT = Decimal("0.005")
#: The statement totals, sums of the lines per kind.
AMOUNT_FIELDS = (
    "commission_amount",
    "bonus_amount",
    "override_amount",
    "cap_amount",
    "adjustment_amount",
    "clawback_amount",
    "total_amount",
)
#: The columns of a computed line and their SQL types, for the bulk insert.
LINE_COLUMNS = (
    ("statement_id", "int[]"),
    ("company_id", "int[]"),
    ("user_id", "int[]"),
    ("plan_id", "int[]"),
    ("kind", "varchar[]"),
    ("rule", "varchar[]"),
    ("line_key", "varchar[]"),
    ("is_manual", "bool[]"),
    ("source_model", "varchar[]"),
    ("source_id", "int[]"),
    ("document", "varchar[]"),
    ("origin", "varchar[]"),
    ("date", "date[]"),
    ("product_id", "int[]"),
    ("partner_id", "int[]"),
    ("base", "numeric[]"),
    ("rate", "float8[]"),
    ("amount", "numeric[]"),
    ("note", "varchar[]"),
    ("corrected_statement_id", "int[]"),
    ("corrected_line_id", "int[]"),
    ("reversed_statement_id", "int[]"),
)


class SalesperfCommissionStatement(models.Model):
    """What one salesperson earned in one period, frozen once confirmed.

    Statements are made by :meth:`_compute_period` (the "Compute Commissions"
    wizard and a scheduled action): only drafts are recomputed; a statement
    past draft never changes, and whatever later changes its period (a
    cancelled order, a refund, a late payment, a correction) becomes an
    adjustment line of the salesperson's next open statement. One statement
    per salesperson, company and period, in the database (a partial unique
    index), whoever computes and however often.
    """

    _name = "salesperf.commission.statement"
    _description = "Commission Statement"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_from desc, user_id"
    _check_company_auto = True
    # salespeople and leaders comment on the statements they may read; the
    # statement itself is written only by its workflow methods (as superuser,
    # after checking who asks): nobody holds write access to it
    _mail_post_access = "read"

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    user_id = fields.Many2one(
        "res.users", string="Salesperson", required=True, readonly=True, index=True
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    plan_id = fields.Many2one("salesperf.commission.plan", readonly=True)
    basis = fields.Selection(related="plan_id.basis")
    measure = fields.Selection(related="plan_id.measure")
    period_kind = fields.Selection(
        [("month", "Month"), ("quarter", "Quarter")], string="Period", readonly=True
    )
    date_from = fields.Date(string="Period Start", required=True, readonly=True)
    date_to = fields.Date(string="Period End", required=True, readonly=True)
    state = fields.Selection(
        STATES, default="draft", required=True, readonly=True, tracking=True, index=True
    )
    line_ids = fields.One2many("salesperf.commission.line", "statement_id", string="Lines")
    base_amount = fields.Monetary(
        string="Commissionable Amount",
        readonly=True,
        help="Sum of the credited sales (revenue or margin) of the period, before any rule.",
    )
    target_amount = fields.Monetary(string="Target", readonly=True)
    attainment = fields.Float(string="Attainment (%)", readonly=True, digits=(16, 2))
    commission_amount = fields.Monetary(string="Commission", compute="_compute_amounts", store=True)
    bonus_amount = fields.Monetary(string="Bonuses", compute="_compute_amounts", store=True)
    override_amount = fields.Monetary(
        string="Team Override", compute="_compute_amounts", store=True
    )
    cap_amount = fields.Monetary(string="Cap", compute="_compute_amounts", store=True)
    adjustment_amount = fields.Monetary(
        string="Adjustments", compute="_compute_amounts", store=True
    )
    clawback_amount = fields.Monetary(
        string="Clawbacks",
        compute="_compute_amounts",
        store=True,
        help="The negative adjustments: what earlier statements paid too much.",
    )
    total_amount = fields.Monetary(
        string="Total Payable", compute="_compute_amounts", store=True, tracking=True
    )
    note = fields.Text(string="Notes", readonly=True, help="What the computation noticed.")
    computed_on = fields.Datetime(readonly=True)
    dispute_ids = fields.One2many("salesperf.commission.dispute", "statement_id")
    open_dispute_count = fields.Integer(compute="_compute_open_dispute_count")
    can_approve_manager = fields.Boolean(compute="_compute_can")
    is_mine = fields.Boolean(compute="_compute_can", help="The current user's own statement.")
    is_commission_manager = fields.Boolean(compute="_compute_can")

    _sql_constraints = [
        (
            "period_unique",
            "",  # a partial unique index, made by init()
            "There is already a statement for this salesperson and period.",
        )
    ]

    def init(self):
        """One live statement per salesperson, company and period."""
        self.env.cr.execute(
            SQL(
                """CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s
                (company_id, user_id, date_from, date_to) WHERE state <> 'cancel'""",
                SQL.identifier(f"{self._table}_period_unique"),
                SQL.identifier(self._table),
            )
        )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("user_id", "date_from", "period_kind")
    def _compute_name(self):
        for statement in self:
            if not statement.date_from:
                statement.name = False
                continue
            statement.name = _(
                "%(user)s – %(period)s",
                user=statement.user_id.name,
                period=statement._period_label(),
            )

    def _period_label(self):
        self.ensure_one()
        if self.period_kind == "quarter":
            return f"Q{(self.date_from.month - 1) // 3 + 1} {self.date_from.year}"
        return format_date(self.env, self.date_from, date_format="MMMM y")

    @api.depends("line_ids.amount", "line_ids.kind")
    def _compute_amounts(self):
        """Sums of the lines per kind, in two grouped reads for all the
        statements (as superuser: a total is the whole statement's)."""
        sums = defaultdict(float)
        clawbacks = defaultdict(float)
        if self.ids:
            Line = self.env["salesperf.commission.line"].sudo()
            for statement, kind, amount in Line._read_group(
                [("statement_id", "in", self.ids)], ["statement_id", "kind"], ["amount:sum"]
            ):
                sums[statement.id, kind] = amount
            for statement, amount in Line._read_group(
                [("statement_id", "in", self.ids), ("kind", "=", "adjustment"), ("amount", "<", 0)],
                ["statement_id"],
                ["amount:sum"],
            ):
                clawbacks[statement.id] = amount
        for statement in self:
            if not statement.id:  # a new record: its lines are in memory
                for line in statement.line_ids:
                    sums[None, line.kind] += line.amount
                    if line.kind == "adjustment" and line.amount < 0:
                        clawbacks[None] += line.amount
            key = statement.id or None
            kinds = {kind: sums[key, kind] for kind, _label in LINE_KINDS}
            statement.commission_amount = kinds["commission"]
            statement.bonus_amount = kinds["bonus"]
            statement.override_amount = kinds["override"]
            statement.cap_amount = kinds["cap"]
            statement.adjustment_amount = kinds["adjustment"]
            statement.clawback_amount = clawbacks[key]
            statement.total_amount = sum(kinds.values())

    @api.depends("dispute_ids.state")
    def _compute_open_dispute_count(self):
        for statement in self:
            statement.open_dispute_count = len(
                statement.dispute_ids.filtered(lambda d: d.state == "open")
            )

    @api.depends_context("uid")
    def _compute_can(self):
        is_manager = self.env.user.has_group(COMMISSION_MANAGER)
        for statement in self:
            statement.is_commission_manager = is_manager
            statement.can_approve_manager = is_manager or statement._is_led_by(self.env.user)
            statement.is_mine = statement.user_id == self.env.user

    def _is_led_by(self, user):
        """Whether ``user`` leads a sales team of this statement's salesperson
        (read from the teams, never from the statement's own team field)."""
        self.ensure_one()
        teams = self.env["crm.team"].sudo().search([("user_id", "=", user.id)])
        return self.user_id in teams.member_ids and self.user_id != user

    def _dispute_followers(self):
        """Partners told of a dispute: the leaders of the salesperson's teams."""
        self.ensure_one()
        teams = self.env["crm.team"].sudo().search([("member_ids", "in", self.user_id.ids)])
        return teams.user_id.partner_id - self.user_id.partner_id

    # ------------------------------------------------------------
    # WORKFLOW
    # ------------------------------------------------------------

    def _check_commission_manager(self):
        if not (self.env.su or self.env.user.has_group(COMMISSION_MANAGER)):
            raise AccessError(_("Only a Commission Manager does this."))

    def _set_state(self, state, allowed_from):
        for statement in self:
            if statement.state not in allowed_from:
                raise UserError(
                    _(
                        "%(statement)s is %(state)s: it cannot be set to %(new)s.",
                        statement=statement.name,
                        state=dict(STATES)[statement.state],
                        new=dict(STATES)[state],
                    )
                )
        # rights were checked by the caller: salespeople and team leaders
        # have no write access to statements themselves
        self.sudo().write({"state": state})

    def action_confirm(self):
        for statement in self:
            if not statement.can_approve_manager:
                raise AccessError(
                    _("Only the team leader or a Commission Manager confirms a statement.")
                )
        self._set_state("confirmed", ("draft",))

    def action_approve_manager(self):
        for statement in self:
            if not statement.can_approve_manager:
                raise AccessError(
                    _(
                        "Only a leader of %(user)s's team or a Commission Manager approves "
                        "this statement.",
                        user=statement.user_id.name,
                    )
                )
        self._set_state("approved_manager", ("confirmed",))

    def action_approve(self):
        self._check_commission_manager()
        disputed = self.filtered("open_dispute_count")
        if disputed:
            raise UserError(
                _(
                    "%(statement)s has open disputes: resolve them before the final approval.",
                    statement=disputed[0].name,
                )
            )
        self._set_state("approved", ("approved_manager",))

    def action_mark_paid(self):
        self._check_commission_manager()
        self._set_state("paid", ("approved",))

    def action_cancel(self):
        self._check_commission_manager()
        self._check_not_adjusted()
        self._set_state("cancel", ("draft", "confirmed", "approved_manager"))

    def action_reset_to_draft(self):
        self._check_commission_manager()
        # recomputed as a draft, the statement would itself take back what
        # a later statement's adjustment already took back
        self._check_not_adjusted()
        disputed = self.filtered("open_dispute_count")
        if disputed:
            # recomputing the draft replaces its lines, disputed ones included
            raise UserError(
                _(
                    "%(statement)s has open disputes: answer them before taking it back to draft.",
                    statement=disputed[0].name,
                )
            )
        self._check_period_free()
        self._set_state("draft", ("confirmed", "cancel"))

    def _check_period_free(self):
        """Refuse to bring cancelled statements back beside a live one of
        their salesperson and period (the unique index would refuse it at
        the end of the request, with no clear message)."""
        cancelled = self.filtered(lambda s: s.state == "cancel")
        if not cancelled:
            return
        keys = [(s.company_id.id, s.user_id.id, s.date_from, s.date_to) for s in cancelled]
        # sudo: the index counts every live statement, whichever companies
        # the user has selected; only whether one exists leaves this search
        live = self.sudo().search(
            [
                ("company_id", "in", cancelled.company_id.ids),
                ("user_id", "in", cancelled.user_id.ids),
                ("date_from", "in", [key[2] for key in keys]),
                ("state", "!=", "cancel"),
                ("id", "not in", self.ids),
            ]
        )
        taken = {(s.company_id.id, s.user_id.id, s.date_from, s.date_to) for s in live}
        seen = set()
        for statement, key in zip(cancelled, keys, strict=True):
            if key in taken or key in seen:
                raise UserError(
                    _(
                        "%(user)s already has a statement for %(period)s: cancel it before "
                        "taking %(statement)s back to draft.",
                        user=statement.user_id.name,
                        period=statement._period_label(),
                        statement=statement.name,
                    )
                )
            seen.add(key)

    def _check_not_adjusted(self):
        """Refuse when a live statement holds adjustments of these."""
        adjusted = self.env["salesperf.commission.line"].search_count(
            [
                ("corrected_statement_id", "in", self.ids),
                ("statement_id.state", "!=", "cancel"),
            ],
            limit=1,
        )
        if adjusted:
            raise UserError(
                _("Later statements adjust this one: cancel those adjustments' statements first.")
            )

    def action_recompute(self):
        """Recompute these draft statements from the current sales."""
        self._check_commission_manager()
        for statement in self:
            if statement.state != "draft":
                raise UserError(_("Only a draft statement is recomputed."))
        for (company, day), statements in self.grouped(
            lambda s: (s.company_id, s.date_from)
        ).items():
            self._compute_period(company, day, users=statements.user_id)
        return True

    def action_print(self):
        return self.env.ref("salesperf_odoo.action_report_commission_statement").report_action(self)

    # ------------------------------------------------------------
    # COMPUTATION
    # ------------------------------------------------------------

    @api.model
    def _compute_period(self, company, day, users=None):
        """Create or recompute the statements of the period containing ``day``.

        Every plan period kind in use gives its own period (the month, or the
        quarter, of ``day``). Returns the preview rows written (see
        :meth:`_prepare_period`).
        """
        self._check_commission_manager()
        if company not in self.env.companies and not self.env.su:
            raise AccessError(_("You cannot compute the statements of %s.", company.name))
        self.env.cr.execute(
            SQL(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                f"salesperf_commission_statement,{company.id}",
            )
        )
        rows = self._prepare_period(company, day, users=users)
        try:
            with self.env.cr.savepoint():
                self._write_period(company, rows)
        except pg_errors.UniqueViolation as error:
            raise UserError(
                _(
                    "Another user computed statements of this period at the same time: "
                    "nothing was changed. Compute again to update them."
                )
            ) from error
        return rows

    @api.model
    def _preview_period(self, company, day):
        """The rows :meth:`_compute_period` would write, without writing."""
        self._check_commission_manager()
        if company not in self.env.companies and not self.env.su:
            raise AccessError(_("You cannot compute the statements of %s.", company.name))
        return self._prepare_period(company, day)

    def action_correct(self):
        self.ensure_one()
        self._check_commission_manager()
        return {
            "type": "ir.actions.act_window",
            "name": _("Correct %(statement)s", statement=self.name),
            "res_model": "salesperf.commission.correction",
            "view_mode": "form",
            "target": "new",
            "context": {"default_statement_id": self.id},
        }

    def _add_correction(self, amount, reason):
        """Post a manual correction of this closed statement to the
        salesperson's next open statement."""
        self.ensure_one()
        self._check_commission_manager()
        if not (reason or "").strip():
            raise UserError(_("A correction needs a reason."))
        if not amount:
            raise UserError(_("A correction needs an amount."))
        if self.state not in CLOSED_STATES:
            raise UserError(_("A draft statement is recomputed or edited, not corrected."))
        target = self.sudo().search(
            [
                ("company_id", "=", self.company_id.id),
                ("user_id", "=", self.user_id.id),
                ("state", "=", "draft"),
                ("date_from", ">", self.date_to),
            ],
            order="date_from",
            limit=1,
        )
        if not target:
            raise UserError(
                _(
                    "%(user)s has no open statement after %(period)s: compute the next period "
                    "first.",
                    user=self.user_id.name,
                    period=self._period_label(),
                )
            )
        line = (
            self.env["salesperf.commission.line"]
            .sudo()
            .create(
                {
                    "statement_id": target.id,
                    "kind": "adjustment",
                    "rule": "adjust",
                    "is_manual": True,
                    "line_key": f"manual:{self.id}",
                    "plan_id": self.plan_id.id,
                    "amount": amount,
                    "note": reason,
                    "document": self.name,
                    "date": self.date_to,
                    "corrected_statement_id": self.id,
                }
            )
        )
        message = _(
            "Manual correction of %(statement)s: %(amount)s. Reason: %(reason)s",
            statement=self.name,
            amount=amount,
            reason=reason,
        )
        target.message_post(body=message)
        self.message_post(body=message)
        return line

    @api.model
    def _assignment_segments(self, company, day, users=None):
        """``{(period, user): [(plan, start, end), ...]}`` of the active plans
        assigned in the period of ``day`` of each plan's period kind."""
        periods = {kind: period_containing(kind, day) for kind in ("month", "quarter")}
        domain = [
            ("company_id", "=", company.id),
            ("plan_id.state", "in", ("active", "closed")),
            ("date_from", "<=", max(p.end for p in periods.values())),
            "|",
            ("date_to", "=", False),
            ("date_to", ">=", min(p.start for p in periods.values())),
        ]
        if users is not None:
            domain.append(("user_id", "in", users.ids))
        segments = defaultdict(list)
        for assignment in self.env["salesperf.commission.assignment"].sudo().search(domain):
            period = periods[assignment.plan_id.period_kind]
            start = max(period.start, assignment.date_from)
            end = min(period.end, assignment.date_to or period.end)
            if start <= end:
                segments[period, assignment.user_id].append((assignment.plan_id, start, end))
        for value in segments.values():
            value.sort(key=lambda segment: segment[1])
        return segments

    @api.model
    def _prepare_period(self, company, day, users=None, expected=False):
        """What computing the period of ``day`` would write, without writing.

        One row per salesperson with a plan in the period: ``{"user", "period",
        "plan", "statement" (existing or empty), "status" ("new", "recompute"
        or "frozen"), "values" (header), "lines" (line values), "reason"}``.
        With ``expected``, closed statements are computed too (what they would
        pay now) and no adjustment is added: the comparison of adjustments.
        """
        segments = self._assignment_segments(company, day, users)
        sources = self._read_sources(company, segments)
        targets = self._read_targets(company, segments)
        existing = self._existing_statements(company, segments)
        rows = []
        for (period, user), user_segments in sorted(
            segments.items(), key=lambda item: (item[0][0].start, item[0][1].name or "")
        ):
            statement = existing.get((period.start, period.end, user.id), self.browse())
            row = {
                "user": user,
                "period": period,
                "plan": user_segments[-1][0],
                "statement": statement,
                "status": "new" if not statement else "recompute",
                "lines": [],
                "reason": "",
            }
            if statement and statement.state != "draft" and not expected:
                row["status"] = "frozen"
                row["reason"] = _(
                    "%(state)s: it no longer changes; corrections of its period go to the "
                    "next open statement.",
                    state=dict(STATES)[statement.state],
                )
                rows.append(row)
                continue
            self._prepare_row(row, user_segments, sources, targets)
            rows.append(row)
        if not expected:
            self._link_refunds(company, rows)
            self._prepare_adjustments(company, rows)
        for row in rows:
            if row["status"] != "frozen" and not row["lines"] and not row["reason"]:
                row["reason"] = self._empty_reason(row)
                row["values"]["note"] = row["reason"]
        return rows

    def _prepare_row(self, row, user_segments, sources, targets):
        period, user = row["period"], row["user"]
        target = targets.get((period.start, period.end, user.id, row["plan"].measure))
        base_total = Decimal(0)
        notes = []
        # numbered over the whole statement: two segments may each have a
        # line of the same rule (a target bonus, a team override, a cap),
        # and every line needs its own key for later corrections
        occurrences = defaultdict(int)
        for plan, start, end in user_segments:
            source_lines = [
                line
                for line in sources[period, plan.basis, plan.measure].get(user.id, [])
                if start <= line["date"] <= end
            ]
            segment_target = None
            if target is not None:
                # a plan in force for part of the period gets the calendar-day
                # share of the period's target
                segment_target = target * Decimal((end - start).days + 1) / Decimal(period.days)
            team_bases = self._team_bases(
                plan, user, sources[period, plan.basis, plan.measure], start, end
            )
            result = engine.compute_commission(
                plan._commission_spec(),
                [self._engine_line(line) for line in source_lines],
                target=segment_target,
                team_bases=team_bases,
                # the statement's company, not the current one of whoever computes
                digits=row["plan"].company_id.currency_id.decimal_places,
            )
            by_key = {line["key"]: line for line in source_lines}
            by_order = {}
            for line in source_lines:
                by_order.setdefault(line["order_key"], line)
            for result_line in result.lines:
                values = self._line_values(result_line, plan, by_key, by_order, end)
                if result_line.kind == "commission":
                    values["line_key"] = f"commission:{result_line.key}"
                else:
                    prefix = f"{result_line.kind}:{result_line.rule}:{result_line.key}"
                    occurrences[prefix] += 1
                    values["line_key"] = f"{prefix}:{occurrences[prefix]}"
                row["lines"].append(values)
            base_total += result.base_total
            notes.extend(result.warnings)
            if len(user_segments) > 1:
                notes.append(
                    _(
                        "%(plan)s (version %(version)s) from %(start)s to %(end)s.",
                        plan=plan.name,
                        version=plan.version,
                        start=start,
                        end=end,
                    )
                )
        row["values"] = {
            "company_id": row["plan"].company_id.id,
            "user_id": user.id,
            "team_id": user.sale_team_id.id,
            "plan_id": row["plan"].id,
            "period_kind": period.kind,
            "date_from": period.start,
            "date_to": period.end,
            "base_amount": float(base_total),
            "target_amount": float(target or 0),
            "attainment": float(base_total / target * 100) if target else 0.0,
            "note": "\n".join(dict.fromkeys(notes)) or False,
            "computed_on": fields.Datetime.now(),
        }

    @api.model
    def _link_refunds(self, company, rows):
        """Link each credit note line (invoiced basis) to the earlier
        statement of the same salesperson that paid on the invoice it
        reverses: the refund is a clawback of that statement, paid back in
        this one."""
        wanted = {
            (row["user"].id, values["origin"])
            for row in rows
            for values in row["lines"]
            if values.get("origin") and values["base"] < 0
        }
        if not wanted:
            return
        paid = (
            self.env["salesperf.commission.line"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("user_id", "in", list({user_id for user_id, _origin in wanted})),
                    ("document", "in", list({origin for _user_id, origin in wanted})),
                    ("kind", "=", "commission"),
                    ("statement_id.state", "!=", "cancel"),
                ],
                order="date desc, id desc",
            )
        )
        by_origin = {}
        for line in paid:
            by_origin.setdefault((line.user_id.id, line.document), line.statement_id)
        for row in rows:
            for values in row["lines"]:
                statement = by_origin.get((row["user"].id, values.get("origin")))
                if values["base"] < 0 and statement and statement.date_from < row["period"].start:
                    values["reversed_statement_id"] = statement.id
                    values["note"] = _(
                        "%(note)s Credit note of %(invoice)s, paid in %(statement)s.",
                        note=values["note"] or "",
                        invoice=values["origin"],
                        statement=statement.name,
                    ).strip()

    @api.model
    def _engine_line(self, line):
        return engine.SourceLine(
            key=line["key"],
            date=line["date"],
            base=Decimal(str(line["amount"])),
            share=Decimal(str(line.get("share", 1))),
            product_id=line.get("product_id") or None,
            category_ids=tuple(line.get("category_ids") or ()),
            order_key=line.get("order_key") or None,
            partner_id=line.get("partner_id") or None,
            is_new_customer=bool(line.get("is_new_customer")),
        )

    @api.model
    def _team_bases(self, plan, user, user_sources, date_from, date_to):
        """``[(team key, base)]`` of the teams ``user`` leads, for the manager
        override: their members' credited sales dated in ``[date_from,
        date_to]`` (the days ``plan`` is the leader's), the leader's own
        excluded."""
        if not plan.manager_rate:
            return []
        teams = self.env["crm.team"].sudo().search([("user_id", "=", user.id)])
        bases = []
        for team in teams:
            total = sum(
                (
                    Decimal(str(line["amount"]))
                    for user_id, lines in user_sources.items()
                    if user_id != user.id
                    for line in lines
                    if line.get("team_id") == team.id and date_from <= line["date"] <= date_to
                ),
                Decimal(0),
            )
            bases.append((f"crm.team,{team.id}", total))
        return bases

    @api.model
    def _line_values(self, result_line, plan, by_key, by_order, end):
        source = by_key.get(result_line.key) or by_order.get(result_line.key) or {}
        values = {
            "kind": result_line.kind,
            "rule": result_line.rule,
            "plan_id": plan.id,
            "base": float(result_line.base),
            "rate": float(result_line.rate),
            "amount": float(result_line.amount),
            "note": result_line.note,
            "source_model": source.get("source_model"),
            "source_id": source.get("source_id"),
            "document": source.get("document"),
            "origin": source.get("origin") or False,
            "date": source.get("date") or end,
            "product_id": source.get("product_id"),
            "partner_id": source.get("partner_id"),
        }
        if result_line.kind == "override" and result_line.key:
            values["source_model"], team_id = result_line.key.split(",")
            values["source_id"] = int(team_id)
            values["document"] = self.env["crm.team"].sudo().browse(int(team_id)).name
        return values

    @api.model
    def _read_sources(self, company, segments):
        """``{(period, basis, measure): {user_id: [source dict]}}``, one read
        per period, basis and measure for every salesperson at once."""
        wanted = defaultdict(set)
        everyone = set()
        for (period, user), user_segments in segments.items():
            for plan, _start, _end in user_segments:
                wanted[period, plan.basis, plan.measure].add(user.id)
                if plan.manager_rate:
                    everyone.add((period, plan.basis, plan.measure))
        source_model = self.env["salesperf.commission.source"].sudo()
        sources = {}
        for key, user_ids in wanted.items():
            period, basis, measure = key
            users = None if key in everyone else self.env["res.users"].browse(sorted(user_ids))
            sources[key] = source_model._commission_sources(
                company, period.start, period.end, basis, measure, users=users
            )
        categories = {
            line["categ_id"]
            for by_user in sources.values()
            for lines in by_user.values()
            for line in lines
            if line.get("categ_id")
        }
        parents = source_model._commission_category_parents(sorted(categories))
        for by_user in sources.values():
            for lines in by_user.values():
                for line in lines:
                    line["category_ids"] = parents.get(line.get("categ_id"), ())
        return defaultdict(dict, sources)

    @api.model
    def _read_targets(self, company, segments):
        """``{(start, end, user_id, metric): Decimal}``: each salesperson's
        confirmed target of the period, or the sum of their confirmed monthly
        targets inside it."""
        if not segments:
            return {}
        periods = {period for period, _user in segments}
        user_ids = {user.id for _period, user in segments}
        targets = (
            self.env["salesperf.target"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("scope", "=", "user"),
                    ("user_id", "in", sorted(user_ids)),
                    ("metric", "in", ("revenue", "margin")),
                    ("state", "=", "confirmed"),
                    ("period_kind", "in", ("month", "quarter")),
                    ("date_from", ">=", min(p.start for p in periods)),
                    ("date_from", "<=", max(p.end for p in periods)),
                ]
            )
        )
        # one pass over the targets: each period's own target, and the
        # months of a quarter that has none
        exact = {}
        monthly = defaultdict(list)
        for target in targets:
            amount = Decimal(str(target.amount))
            key = (target.user_id.id, target.metric)
            exact[(*key, target.period_kind, target.date_from)] = amount
            if target.period_kind == "month":
                monthly[key].append((target.date_from, amount))
        result = {}
        for period, user in segments:
            for metric in ("revenue", "margin"):
                amount = exact.get((user.id, metric, period.kind, period.start))
                if amount is None and period.kind == "quarter":
                    months = [
                        month_amount
                        for day, month_amount in monthly[user.id, metric]
                        if period.start <= day <= period.end
                    ]
                    amount = sum(months, Decimal(0)) if months else None
                if amount is not None:
                    result[period.start, period.end, user.id, metric] = amount
        return result

    @api.model
    def _existing_statements(self, company, segments):
        if not segments:
            return {}
        periods = {period for period, _user in segments}
        statements = self.sudo().search(
            [
                ("company_id", "=", company.id),
                ("user_id", "in", sorted({user.id for _period, user in segments})),
                ("date_from", "in", sorted({p.start for p in periods})),
                ("state", "!=", "cancel"),
            ]
        )
        return {(s.date_from, s.date_to, s.user_id.id): s for s in statements}

    @api.model
    def _empty_reason(self, row):
        plan = row["plan"]
        basis = dict(plan._fields["basis"].selection)[plan.basis]
        return _(
            "Nothing credited to %(user)s from %(start)s to %(end)s on the basis “%(basis)s”.",
            basis=basis,
            user=row["user"].name,
            start=row["period"].start,
            end=row["period"].end,
        )

    # ------------------------------------------------------------
    # ADJUSTMENTS OF CLOSED PERIODS
    # ------------------------------------------------------------

    @api.model
    def _prepare_adjustments(self, company, rows):
        """Add to each open row the corrections of its salesperson's closed
        statements of earlier periods: what their period's sources give now,
        less what those statements and earlier adjustments already paid."""
        open_rows = {
            row["user"].id: row for row in rows if row["status"] != "frozen" and row.get("values")
        }
        if not open_rows:
            return
        earliest = min(row["period"].start for row in open_rows.values())
        closed = self.sudo().search(
            [
                ("company_id", "=", company.id),
                ("user_id", "in", list(open_rows)),
                ("state", "in", CLOSED_STATES),
                ("date_to", "<", earliest),
                ("date_from", ">=", earliest - timedelta(days=31 * ADJUSTMENT_LOOKBACK_MONTHS)),
            ]
        )
        if not closed:
            return
        # the drafts about to be recomputed lose their computed adjustments:
        # they do not count as paid
        recomputed = [row["statement"].id for row in open_rows.values() if row["statement"]]
        recorded = self._recorded_amounts(closed, recomputed)
        for date_from, statements in closed.grouped("date_from").items():
            expected = {
                (row["user"].id, row["period"].start, row["period"].end): row
                for row in self._prepare_period(
                    company, date_from, users=statements.user_id, expected=True
                )
            }
            for statement in statements.sorted("id"):
                row = open_rows[statement.user_id.id]
                if row["period"].start <= statement.date_from:
                    continue
                now = expected.get((statement.user_id.id, statement.date_from, statement.date_to))
                self._adjustment_lines(row, statement, now, recorded[statement.id])

    @api.model
    def _recorded_amounts(self, statements, recomputed_ids=()):
        """``{statement id: {line key: (base, amount, line)}}`` of what was
        paid for each computed line of ``statements``, computed adjustments
        included but for those of the drafts ``recomputed_ids``. Manual
        corrections are decisions, not figures to recompute: never counted."""
        recorded = defaultdict(dict)
        lines = (
            self.env["salesperf.commission.line"]
            .sudo()
            .search(
                [
                    ("is_manual", "=", False),
                    "|",
                    ("statement_id", "in", statements.ids),
                    "&",
                    "&",
                    ("corrected_statement_id", "in", statements.ids),
                    ("statement_id.state", "!=", "cancel"),
                    ("statement_id", "not in", list(recomputed_ids)),
                ]
            )
        )
        for line in lines:
            statement_id = (line.corrected_statement_id or line.statement_id).id
            base, amount, original = recorded[statement_id].get(
                line.line_key, (Decimal(0), Decimal(0), line)
            )
            recorded[statement_id][line.line_key] = (
                base + Decimal(str(line.base)),
                amount + Decimal(str(line.amount)),
                original if original.kind != "adjustment" else line,
            )
        return recorded

    @api.model
    def _adjustment_lines(self, row, statement, now, recorded):
        expected = {values["line_key"]: values for values in (now or {}).get("lines", [])}
        for key in sorted(set(expected) | set(recorded)):
            new = expected.get(key)
            new_amount = Decimal(str(new["amount"])) if new else Decimal(0)
            new_base = Decimal(str(new["base"])) if new else Decimal(0)
            old_base, old_amount, old_line = recorded.get(key, (Decimal(0), Decimal(0), None))
            delta = new_amount - old_amount
            if abs(delta) < HALF_CENT:
                continue
            if not new:
                why = _("no longer counts (order cancelled, line removed or credited)")
            elif not old_line:
                why = _("new in that period (late payment, invoice or order)")
            else:
                why = _("changed (refund, price, quantity or tier moved)")
            source = new or {}
            row["lines"].append(
                {
                    "kind": "adjustment",
                    "rule": (new or {}).get("rule") or (old_line.rule if old_line else "adjust"),
                    "line_key": key,
                    "plan_id": statement.plan_id.id,
                    "base": float(new_base - old_base),
                    "rate": 0.0,
                    "amount": float(delta),
                    "note": _(
                        "Correction of %(statement)s: %(why)s.",
                        statement=statement.name,
                        why=why,
                    ),
                    "source_model": source.get("source_model")
                    or (old_line.source_model if old_line else False),
                    "source_id": source.get("source_id")
                    or (old_line.source_id if old_line else False),
                    "document": source.get("document")
                    or (old_line.document if old_line else False),
                    "date": source.get("date") or statement.date_to,
                    "product_id": source.get("product_id")
                    or (old_line.product_id.id if old_line else False),
                    "partner_id": source.get("partner_id")
                    or (old_line.partner_id.id if old_line else False),
                    "corrected_statement_id": statement.id,
                    "corrected_line_id": old_line.id
                    if old_line and old_line.kind != "adjustment"
                    else False,
                }
            )

    # ------------------------------------------------------------
    # WRITING
    # ------------------------------------------------------------

    @api.model
    def _write_period(self, company, rows):
        """Write the prepared rows: new statements, and drafts' lines replaced
        (manual adjustments kept).

        Statements go through the ORM (a few per hundred salespeople); their
        lines, as many as the period's sales, are deleted and inserted with
        one SQL statement each, so that the number of queries does not grow
        with the lines. Lines are written once and never edited: nothing of
        the ORM's create (defaults, computes, constraints) applies to them
        but what is written here."""
        to_create = [row for row in rows if row["status"] == "new" and row.get("values")]
        to_update = [row for row in rows if row["status"] == "recompute"]
        drafts = self.browse([row["statement"].id for row in to_update]).sudo()
        if drafts:
            self.env["salesperf.commission.line"].flush_model()
            self.env.cr.execute(
                SQL(
                    """DELETE FROM salesperf_commission_line
                    WHERE statement_id IN %s AND is_manual IS NOT TRUE""",
                    tuple(drafts.ids),
                )
            )
            for row in to_update:
                row["statement"].sudo().write(row["values"])
        created = (
            self.sudo()
            .with_context(mail_create_nolog=True, mail_create_nosubscribe=True)
            .create([row["values"] for row in to_create])
        )
        for row, statement in zip(to_create, created, strict=True):
            row["statement"] = statement
        statements = drafts | created
        count = self._insert_lines(company, to_create + to_update)
        self.env["salesperf.commission.line"].invalidate_model()
        statements.invalidate_recordset(["line_ids"])
        for fname in AMOUNT_FIELDS:
            self.env.add_to_compute(self._fields[fname], statements)
        statements.flush_recordset()
        _logger.info(
            "Commission statements of %s: %d created, %d recomputed, %d lines",
            company.name,
            len(to_create),
            len(to_update),
            count,
        )

    @api.model
    def _insert_lines(self, company, rows):
        """Insert the lines of ``rows`` in one ``INSERT ... SELECT unnest``."""
        currency = company.currency_id
        columns = {name: [] for name, _type in LINE_COLUMNS}
        for row in rows:
            statement = row["statement"]
            for values in row["lines"]:
                line = dict(
                    values,
                    statement_id=statement.id,
                    company_id=company.id,
                    user_id=statement.user_id.id,
                    base=currency.round(values.get("base") or 0.0),
                    amount=currency.round(values.get("amount") or 0.0),
                    is_manual=False,
                )
                for name, sql_type in LINE_COLUMNS:
                    value = line.get(name)
                    # the ORM's "no value" is False; SQL's is NULL
                    if value is False and sql_type != "bool[]":
                        value = None
                    columns[name].append(value)
        count = len(columns["statement_id"])
        if not count:
            return 0
        self.env.cr.execute(
            SQL(
                """INSERT INTO salesperf_commission_line (%(names)s,
                    create_uid, create_date, write_uid, write_date)
                SELECT *, %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
                FROM unnest(%(arrays)s)""",
                names=SQL(", ").join(SQL.identifier(name) for name, _type in LINE_COLUMNS),
                uid=self.env.uid,
                arrays=SQL(", ").join(
                    SQL("%s::%s", columns[name], SQL(sql_type)) for name, sql_type in LINE_COLUMNS
                ),
            )
        )
        return count

    @api.model
    def _cron_compute_open_periods(self):
        """Scheduled: keep every company's drafts of the current and the
        previous month (and quarter) up to date."""
        for company in self.env["res.company"].search([]):
            today = company._salesperf_today()
            for day in (today.replace(day=1) - timedelta(days=1), today):
                # one company's or period's failure must not stop the others
                try:
                    with self.env.cr.savepoint():
                        self.sudo()._compute_period(company, day)
                except (UserError, ValidationError):
                    _logger.exception(
                        "Commission statements of %s around %s not computed", company.name, day
                    )


class SalesperfCommissionLine(models.Model):
    """One line of a statement: what it pays, on what, by which rule."""

    _name = "salesperf.commission.line"
    _description = "Commission Statement Line"
    _order = "statement_id, kind, date, id"

    statement_id = fields.Many2one(
        "salesperf.commission.statement", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="statement_id.company_id", store=True, index=True)
    user_id = fields.Many2one(related="statement_id.user_id", store=True, index=True)
    currency_id = fields.Many2one(related="statement_id.currency_id")
    state = fields.Selection(related="statement_id.state")
    plan_id = fields.Many2one("salesperf.commission.plan")
    kind = fields.Selection(LINE_KINDS, required=True, default="adjustment")
    rule = fields.Char(
        string="Rule Code",
        help="The rule that gave the amount: flat, tier, product, category, threshold, bonus_*, "
        "manager_override, cap or adjust.",
    )
    rule_label = fields.Char(string="Rule", compute="_compute_rule_label")
    line_key = fields.Char(
        index=True, help="Identifies the same line across a statement and its corrections."
    )
    is_manual = fields.Boolean(readonly=True)
    source_model = fields.Char(readonly=True)
    source_id = fields.Many2oneReference(
        string="Source Record", model_field="source_model", readonly=True
    )
    document = fields.Char(help="Order, invoice or payment the line comes from.")
    date = fields.Date()
    product_id = fields.Many2one("product.product")
    partner_id = fields.Many2one("res.partner", string="Customer")
    base = fields.Monetary(help="Credited sales the line pays on, in company currency.")
    rate = fields.Float(string="Rate (%)", digits=(16, 4))
    amount = fields.Monetary()
    note = fields.Char(string="Explanation")
    corrected_statement_id = fields.Many2one(
        "salesperf.commission.statement",
        string="Corrects Statement",
        index="btree_not_null",
        ondelete="restrict",
    )
    corrected_line_id = fields.Many2one(
        "salesperf.commission.line", string="Corrects Line", ondelete="set null"
    )
    origin = fields.Char(
        string="Origin Document",
        help="What the document settles: the invoice a payment pays or a credit note reverses.",
    )
    reversed_statement_id = fields.Many2one(
        "salesperf.commission.statement",
        string="Claws Back",
        ondelete="set null",
        help="A credit note's line: the earlier statement that paid on the invoice it reverses.",
    )
    dispute_ids = fields.One2many("salesperf.commission.dispute", "line_id")
    has_open_dispute = fields.Boolean(compute="_compute_has_open_dispute")

    def _compute_rule_label(self):
        labels = {
            "flat": _("Plan rate"),
            "tier": _("Tier"),
            "product": _("Product rate"),
            "category": _("Category rate"),
            "threshold": _("Below threshold"),
            "bonus_new_customer": _("New customer bonus"),
            "bonus_product": _("Product bonus"),
            "bonus_target": _("Target bonus"),
            "manager_override": _("Team leader override"),
            "cap": _("Cap"),
            "adjust": _("Manual correction"),
        }
        for line in self:
            line.rule_label = labels.get(line.rule, line.rule or "")

    @api.depends("dispute_ids.state")
    def _compute_has_open_dispute(self):
        for line in self:
            line.has_open_dispute = any(d.state == "open" for d in line.dispute_ids)

    def action_open_source(self):
        self.ensure_one()
        if not self.source_model or not self.source_id:
            raise UserError(_("This line has no source document."))
        record = self.env[self.source_model].browse(self.source_id).exists()
        if not record:
            raise UserError(_("The source of this line no longer exists."))
        if self.source_model.endswith(".line") and "order_id" in record._fields:
            record = record.order_id
        elif self.source_model == "account.move.line":
            record = record.move_id
        return record._get_records_action()

    def action_dispute(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Dispute a Line"),
            "res_model": "salesperf.commission.dispute",
            "view_mode": "form",
            "target": "new",
            "context": {"default_line_id": self.id},
        }
