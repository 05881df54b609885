# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import logging
import math
from collections import defaultdict
from datetime import timedelta
from fractions import Fraction

from psycopg2 import errors as pg_errors

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.misc import formatLang

from ..engine.periods import Period, period_containing
from ..engine.targets import pace
from .salesperf_target_milestone import MILESTONES

_logger = logging.getLogger(__name__)

#: Metrics a target can be set on, each measured by the KPI of the same code.
METRICS = [
    ("revenue", "Revenue"),
    ("margin", "Margin"),
    ("orders", "Orders"),
    ("new_customers", "New customers"),
    ("won_count", "Won opportunities"),
    ("won_value", "Won value"),
    ("activities_done", "Activities completed"),
]
MONETARY_METRICS = ("revenue", "margin", "won_value")
PERIOD_KINDS = [("month", "Month"), ("quarter", "Quarter"), ("year", "Year")]
PACING_STATUSES = [
    ("ahead", "Ahead"),
    ("on_track", "On Track"),
    ("at_risk", "At Risk"),
    ("behind", "Behind"),
]
#: Metrics the open pipeline (expected revenue) can cover; not margin.
PIPELINE_METRICS = ("revenue", "won_value")
SCOPE_DIMENSION = {"company": "company", "team": "team", "user": "user"}
#: Fields that only a revision (or going back to draft) may change once a
#: target is confirmed.
LOCKED_FIELDS = {
    "state",
    "scope",
    "company_id",
    "team_id",
    "user_id",
    "metric",
    "period_kind",
    "date_from",
    "amount",
    "parent_id",
}
#: Opens the lock of confirmed targets for the revision flows, and only for
#: them: an object, not a value, so no client can send it in a context.
REVISION = object()
#: The unique indexes of targets, one per kind of owner: ``(name, owner
#: column or None, scope)``. Declared as index-backed SQL constraints so that a
#: violation reads as the constraint's message.
UNIQUE_INDEXES = [
    ("user_period_unique", "user_id", "user"),
    ("team_period_unique", "team_id", "team"),
    ("company_period_unique", None, "company"),
]


def check_finite(model, vals_list, field_names):
    """Refuse NaN and infinite numbers before the ORM rounds them (which
    fails with a raw Python error): a clear message naming field and value."""
    for vals in vals_list:
        for name in field_names:
            value = vals.get(name)
            if isinstance(value, (int, float)) and not math.isfinite(value):
                raise ValidationError(
                    _(
                        "%(field)s must be a number, not %(value)s.",
                        field=model._fields[name]._description_string(model.env),
                        value=value,
                    )
                )


class SalesperfTarget(models.Model):
    """A goal on one metric, for a company, a team or a salesperson, over a
    month, a quarter or a year. Confirmed targets are locked: they change
    only through a revision, whose reason stays in the chatter.

    Who may do what (the record rules of ``security/ir_rules.xml``, which
    look at real team membership, never at a field the user fills in):

    - an administrator of Sales Performance creates, reads, changes, splits
      and deletes every target of their allowed companies, and alone takes a
      confirmed target back to draft;
    - a team leader does the same for the targets of the teams they lead
      and of those teams' current members, never for a company target nor
      another team's;
    - a salesperson reads their own targets; with "All Documents" in Sales,
      every target of their allowed companies.
    """

    _name = "salesperf.target"
    _inherit = "mail.thread"
    _description = "Sales Target"
    _order = "date_from desc, scope, id"

    name = fields.Char(compute="_compute_name", store=True)
    scope = fields.Selection(
        [("company", "Company"), ("team", "Sales Team"), ("user", "Salesperson")],
        required=True,
        default="user",
        tracking=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", index=True, tracking=True)
    user_id = fields.Many2one("res.users", string="Salesperson", index=True, tracking=True)
    metric = fields.Selection(METRICS, required=True, default="revenue", tracking=True)
    period_kind = fields.Selection(
        PERIOD_KINDS,
        string="Period",
        required=True,
        default="month",
    )
    date_from = fields.Date(
        string="Period Start",
        required=True,
        default=lambda self: self.env.company._salesperf_today().replace(day=1),
        tracking=True,
    )
    date_to = fields.Date(string="Period End", compute="_compute_date_to", store=True)
    amount = fields.Float(string="Target", required=True, digits=(16, 2), tracking=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    is_monetary = fields.Boolean(compute="_compute_is_monetary")
    amount_currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_is_monetary",
        help="The company currency for a target on money, none for a count: "
        "the amounts show with or without a currency.",
    )
    can_manage = fields.Boolean(
        compute="_compute_can_manage",
        help="Whether the current user may change, split and revise this target.",
    )
    state = fields.Selection(
        [("draft", "Draft"), ("confirmed", "Confirmed")],
        required=True,
        default="draft",
        tracking=True,
        copy=False,
    )
    parent_id = fields.Many2one(
        "salesperf.target", string="Split From", index=True, ondelete="set null", copy=False
    )
    child_ids = fields.One2many("salesperf.target", "parent_id", string="Split Into")
    # A target split both among people and over time has two sets of
    # children, each of which should add up to it: each is compared alone.
    is_split_by_owner = fields.Boolean(compute="_compute_children_amount")
    owner_children_amount = fields.Float(
        string="Sum of Teams / Salespeople",
        compute="_compute_children_amount",
        digits=(16, 2),
        help="Sum of the targets split from this one over the same period among "
        "narrower owners (teams or salespeople).",
    )
    owner_mismatch = fields.Float(
        string="Mismatch among Teams / Salespeople",
        compute="_compute_children_amount",
        digits=(16, 2),
        help="Sum of the teams' or salespeople's targets minus this target: where "
        "the split and the people's own commitments disagree.",
    )
    is_split_by_period = fields.Boolean(compute="_compute_children_amount")
    period_children_amount = fields.Float(
        string="Sum of Quarters / Months",
        compute="_compute_children_amount",
        digits=(16, 2),
        help="Sum of the targets split from this one for the same owner over "
        "shorter periods (quarters or months).",
    )
    period_mismatch = fields.Float(
        string="Mismatch over Time",
        compute="_compute_children_amount",
        digits=(16, 2),
        help="Sum of the quarters' or months' targets minus this target.",
    )
    actual = fields.Float(compute="_compute_pacing", digits=(16, 2))
    attainment = fields.Float(string="Attainment (%)", compute="_compute_pacing", digits=(16, 1))
    gap = fields.Float(compute="_compute_pacing", digits=(16, 2))
    expected_to_date = fields.Float(compute="_compute_pacing", digits=(16, 2))
    run_rate = fields.Float(string="Run-rate Projection", compute="_compute_pacing", digits=(16, 2))
    pacing_status = fields.Selection(
        PACING_STATUSES,
        compute="_compute_pacing",
    )
    coverage = fields.Float(
        string="Pipeline Coverage",
        compute="_compute_pacing",
        digits=(16, 2),
        help="Weighted open pipeline expected to close in the rest of the period, "
        "divided by the gap.",
    )

    _sql_constraints = [
        (
            name,
            "",  # a partial unique index, made by init()
            (
                "There is already a target for this owner, metric and period: "
                "one target per owner, metric and period."
            ),
        )
        for name, _column, _scope in UNIQUE_INDEXES
    ]

    def init(self):
        """One target per owner, metric, period kind and start, in the
        database: the salesperson for a salesperson target, the team for a
        team target, the company for a company target."""
        for name, column, scope in UNIQUE_INDEXES:
            self.env.cr.execute(
                SQL(
                    "CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (%s) WHERE scope = %s",
                    SQL.identifier(f"{self._table}_{name}"),
                    SQL.identifier(self._table),
                    SQL(", ").join(
                        SQL.identifier(key)
                        for key in ("company_id", column, "metric", "period_kind", "date_from")
                        if key
                    ),
                    scope,
                )
            )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("scope", "company_id", "team_id", "user_id", "metric", "period_kind", "date_from")
    def _compute_name(self):
        metrics = dict(METRICS)
        for target in self:
            owner = {
                "company": target.company_id,
                "team": target.team_id,
                "user": target.user_id,
            }[target.scope or "company"]
            target.name = " · ".join(
                part
                for part in (
                    metrics.get(target.metric, ""),
                    owner.name or "",
                    target._period_label(),
                )
                if part
            )

    def _period_label(self):
        if not self.date_from:
            return ""
        if self.period_kind == "year":
            return str(self.date_from.year)
        if self.period_kind == "quarter":
            return f"{self.date_from.year} Q{(self.date_from.month - 1) // 3 + 1}"
        return self.date_from.strftime("%Y-%m")

    @api.depends("period_kind", "date_from")
    def _compute_date_to(self):
        for target in self:
            target.date_to = (
                period_containing(target.period_kind, target.date_from).end
                if target.period_kind and target.date_from
                else False
            )

    @api.depends("metric", "company_id")
    def _compute_is_monetary(self):
        for target in self:
            target.is_monetary = target.metric in MONETARY_METRICS
            target.amount_currency_id = target.currency_id if target.is_monetary else False

    @api.depends_context("uid")
    def _compute_can_manage(self):
        manageable = self._origin._filtered_access("write")
        for target in self:
            target.can_manage = target._origin in manageable

    @api.depends(
        "amount",
        "scope",
        "team_id",
        "user_id",
        "period_kind",
        "date_from",
        "child_ids.amount",
        "child_ids.period_kind",
        "child_ids.date_from",
    )
    def _compute_children_amount(self):
        """Compare each kind of split with the target on its own: children
        over the same period among narrower owners (the people's split), and
        children of the same owner over shorter periods (the split over
        time). Summed exactly (decimal, not binary): a split to the cent shows
        no mismatch of a binary rounding error."""
        for target in self:
            by_owner = target.child_ids.filtered(
                lambda child, target=target: (
                    (child.period_kind, child.date_from) == (target.period_kind, target.date_from)
                )
            )
            over_time = target.child_ids - by_owner
            amount = Fraction(str(target.amount))
            for kind, children in (("owner", by_owner), ("period", over_time)):
                total = sum(Fraction(str(child.amount)) for child in children)
                target[f"is_split_by_{kind}"] = bool(children)
                target[f"{kind}_children_amount"] = float(total)
                target[f"{kind}_mismatch"] = float(total - amount) if children else 0.0

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_pacing(self):
        pacing = self._salesperf_pacing()
        for target in self:
            result = pacing.get(target._origin.id)
            if not result:
                target.update(self._empty_pacing())
                continue
            target.update(
                {
                    "actual": result.actual,
                    "attainment": result.attainment or 0.0,
                    "gap": result.gap,
                    "expected_to_date": result.expected_to_date,
                    "run_rate": result.run_rate or 0.0,
                    "pacing_status": result.status,
                    "coverage": result.coverage or 0.0,
                }
            )

    def _salesperf_pacing(self):
        """``{target id: engine.targets.Pacing}``, exact (unrounded) values of
        the targets the user may read, each on its company's today.

        Actuals come from the KPI service: one computation per period, scope
        and company among the targets, whatever the number of lines or
        people.
        """
        # the explicit check before sudo: only targets the user may read
        # (record rules: their own, their teams' or all, within their allowed
        # companies), and each of them measures its whole scope: a team
        # leader with "own documents" rights still needs his team's total
        targets = self._origin.filtered("id")._filtered_access("read")
        kpi = self.env["salesperf.kpi"].sudo()
        groups = defaultdict(lambda: self.browse())
        for target in targets:
            if target.date_from and target.date_to and target.scope:
                key = (target.date_from, target.date_to, target.scope, target.company_id)
                groups[key] |= target
        result = {}
        for (date_from, date_to, scope, company), group in groups.items():
            period = Period(date_from, date_to, group[:1].period_kind)
            today = company._salesperf_today()
            dimension = SCOPE_DIMENSION[scope]
            measures = kpi._compute_measures(
                period, dimension, company, measures=set(group.mapped("metric"))
            )
            pipeline = self.sudo()._remaining_pipeline(period, dimension, company, today)
            elapsed, total = company._salesperf_working_days(period, today)
            thresholds = company._salesperf_pacing_thresholds()
            for target in group:
                key = (target._entity_id(), company.id)
                result[target.id] = pace(
                    target.amount,
                    measures.get(key, {}).get(target.metric, 0.0),
                    elapsed,
                    total,
                    thresholds,
                    pipeline.get(key, 0.0) if target.metric in PIPELINE_METRICS else 0.0,
                )
        return result

    @api.model
    def _empty_pacing(self):
        return dict.fromkeys(
            ("actual", "attainment", "gap", "expected_to_date", "run_rate", "coverage"), 0.0
        ) | {"pacing_status": False}

    def _entity_id(self):
        self.ensure_one()
        return {
            "company": self.company_id,
            "team": self.team_id,
            "user": self.user_id,
        }[self.scope].id

    @api.model
    def _remaining_pipeline(self, period, dimension, companies, today):
        """Weighted open pipeline expected to close from today to the period end."""
        start = max(today, period.start)
        if start > period.end:
            return {}
        kpi = self.env["salesperf.kpi"]
        domain = [
            *kpi._opportunity_domain(companies),
            ("probability", "<", 100),
            ("date_deadline", ">=", start),
            ("date_deadline", "<=", period.end),
        ]
        return {
            key: weighted
            for key, _extra, (weighted,) in kpi._grouped(
                self.env["crm.lead"], domain, dimension, ["prorated_revenue:sum"]
            )
        }

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("amount", "metric")
    def _check_amount(self):
        for target in self:
            amount = target.amount
            if amount < 0:
                raise ValidationError(
                    _(
                        "Target %(target)s: the amount must be a number of 0 or more, "
                        "not %(amount)s.",
                        target=target.name,
                        amount=amount,
                    )
                )
            if not target.is_monetary and amount != int(amount):
                raise ValidationError(
                    _(
                        "Target %(target)s counts whole %(metric)s: %(amount)s is not "
                        "a whole number.",
                        target=target.name,
                        metric=dict(METRICS)[target.metric].lower(),
                        amount=amount,
                    )
                )

    @api.constrains("scope", "team_id", "user_id", "company_id")
    def _check_owner(self):
        for target in self:
            if target.scope == "team" and not target.team_id:
                raise ValidationError(_("A sales team target needs a sales team."))
            if target.scope == "user" and not target.user_id:
                raise ValidationError(_("A salesperson target needs a salesperson."))
            if target.team_id.company_id and target.team_id.company_id != target.company_id:
                raise ValidationError(
                    _("Sales team %(team)s belongs to another company.", team=target.team_id.name)
                )
            if target.user_id and target.company_id not in target.user_id.company_ids:
                raise ValidationError(
                    _(
                        "Salesperson %(user)s does not work for %(company)s.",
                        user=target.user_id.name,
                        company=target.company_id.name,
                    )
                )

    @api.constrains("period_kind", "date_from")
    def _check_period_start(self):
        for target in self:
            start = period_containing(target.period_kind, target.date_from).start
            if target.date_from != start:
                raise ValidationError(
                    _(
                        "A %(kind)s target starts on the first day of its period "
                        "(%(start)s), not on %(day)s.",
                        kind=target.period_kind,
                        start=start,
                        day=target.date_from,
                    )
                )

    @api.constrains(
        "scope", "company_id", "team_id", "user_id", "metric", "period_kind", "date_from"
    )
    def _check_duplicate(self):
        """The unique indexes' rule, with the target named (the indexes also
        hold against concurrent transactions)."""
        for target in self:
            domain = [
                ("id", "!=", target.id),
                ("scope", "=", target.scope),
                ("company_id", "=", target.company_id.id),
                ("metric", "=", target.metric),
                ("period_kind", "=", target.period_kind),
                ("date_from", "=", target.date_from),
            ]
            if target.scope != "company":
                owner = "user_id" if target.scope == "user" else "team_id"
                domain.append((owner, "=", target[owner].id))
            # sudo: a duplicate is one whoever can read it (a team leader
            # must not create a second target for a person he cannot see);
            # only whether one exists leaves this query
            if self.sudo().search_count(domain, limit=1):
                raise ValidationError(
                    _(
                        "There is already a target %(target)s: one target per owner, "
                        "metric and period.",
                        target=target.name,
                    )
                )

    @api.constrains("parent_id", "metric", "company_id", "date_from", "date_to")
    def _check_parent(self):
        for target in self.filtered("parent_id"):
            parent = target.parent_id
            if (parent.metric, parent.company_id) != (target.metric, target.company_id):
                raise ValidationError(
                    _("A target is split into targets of the same metric and company.")
                )
            if target.date_from < parent.date_from or target.date_to > parent.date_to:
                raise ValidationError(
                    _(
                        "Target %(target)s lies outside the period of %(parent)s.",
                        target=target.name,
                        parent=parent.name,
                    )
                )
            same_period = (target.period_kind, target.date_from) == (
                parent.period_kind,
                parent.date_from,
            )
            same_owner = (target.scope, target.team_id, target.user_id) == (
                parent.scope,
                parent.team_id,
                parent.user_id,
            )
            if not same_period and not same_owner:
                # each kind of split is compared with its parent on its own
                raise ValidationError(
                    _(
                        "Target %(target)s is split from %(parent)s both to another owner "
                        "and over a shorter period: split a target either among teams or "
                        "salespeople (same period) or over time (same owner).",
                        target=target.name,
                        parent=parent.name,
                    )
                )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        check_finite(self, vals_list, ["amount"])
        try:
            # a savepoint, so that a duplicate caught by the unique indexes
            # (a concurrent transaction) leaves nothing written
            with self.env.cr.savepoint(flush=False):
                targets = super().create(vals_list)
        except pg_errors.UniqueViolation as error:
            names = {f"{self._table}_{name}" for name, _column, _scope in UNIQUE_INDEXES}
            if error.diag.constraint_name not in names:
                raise
            raise ValidationError(
                _(
                    "There is already a target for this owner, metric and period: "
                    "one target per owner, metric and period."
                )
            ) from error
        targets._sync_team_invoiced_target()
        return targets

    def write(self, vals):
        check_finite(self, [vals], ["amount"])
        # Only the revision flows change a confirmed target: they check the
        # user's rights and the reason first. Nothing a client can send (a
        # context value, a state) opens the lock.
        if (
            LOCKED_FIELDS & set(vals)
            and self.env.context.get("salesperf_target_revision") is not REVISION
            and self.filtered(lambda t: t.state == "confirmed")
        ):
            raise UserError(
                _(
                    "Confirmed targets are locked: use Revise to change them, "
                    "with a reason kept in the chatter."
                )
            )
        res = super().write(vals)
        if {"scope", "team_id", "user_id", "company_id"} & set(vals):
            # the rules were checked on the old owner; the new one must be
            # the user's to manage too
            self.check_access("write")
        if {"amount", "metric", "scope", "team_id", "period_kind", "date_from"} & set(vals):
            self._sync_team_invoiced_target()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_confirmed(self):
        if self.filtered(lambda t: t.state == "confirmed"):
            raise UserError(_("Confirmed targets cannot be deleted; reset them to draft first."))

    # ------------------------------------------------------------
    # VIEWS
    # ------------------------------------------------------------

    @api.model
    def _may_create_targets(self):
        """Whether the user may create any target: administrators of Sales
        Performance, and team leaders for their teams and members (the record
        rules decide which). Leadership is data (``crm.team.user_id``), not a
        group, so the views ask here rather than through ``groups``."""
        return self.env.user.has_group("salesperf_odoo.group_salesperf_manager") or bool(
            self.env["crm.team"].search_count([("user_id", "=", self.env.uid)], limit=1)
        )

    @api.model
    def _get_view_cache_key(self, view_id=None, view_type="form", **options):
        """The views depend on whether the user may create targets (see
        ``_get_view``): two users differing there never share a cached view."""
        key = super()._get_view_cache_key(view_id, view_type, **options)
        return (*key, self._may_create_targets())

    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        """No New nor Delete for who may create no target (a salesperson
        reads their own targets): the record rules would refuse them anyway,
        after the user typed a whole target."""
        arch, view = super()._get_view(view_id, view_type, **options)
        if view_type in ("list", "form", "kanban") and not self._may_create_targets():
            arch.set("create", "0")
            arch.set("delete", "0")
        return arch, view

    # ------------------------------------------------------------
    # ODOO'S TEAM INVOICING TARGET
    # ------------------------------------------------------------

    @api.model
    def _current_team_revenue_targets(self, teams):
        """``{team id: target}``: each team's revenue target of the current
        month, the month of the target's company (its time zone)."""
        starts = {company._salesperf_month_start() for company in self.env.companies}
        targets = self.search(
            [
                ("scope", "=", "team"),
                ("team_id", "in", teams.ids),
                ("metric", "=", "revenue"),
                ("period_kind", "=", "month"),
                ("date_from", "in", list(starts)),
            ]
        )
        return {
            target.team_id.id: target
            for target in targets
            if target.date_from == target.company_id._salesperf_month_start()
        }

    def _sync_team_invoiced_target(self):
        """Keep Odoo's ``crm.team.invoiced_target`` (this month's team target
        on its dashboard) equal to the team's revenue target of the month."""
        if self.env.context.get("salesperf_target_sync"):
            return
        for target in self.filtered(
            lambda t: (
                t.scope == "team"
                and t.metric == "revenue"
                and t.period_kind == "month"
                and t.date_from == t.company_id._salesperf_month_start()
            )
        ):
            # sudo: whoever may set the team's target (a team leader) keeps
            # Odoo's copy of it in step, though he may not edit the team
            target.team_id.sudo().with_context(
                salesperf_target_sync=True
            ).invoiced_target = target.amount

    # ------------------------------------------------------------
    # MILESTONES
    # ------------------------------------------------------------

    @api.model
    def _cron_notify_milestones(self):
        """Tell salespeople (and their team leader) when their confirmed sales
        cross 50, 90 and 100 % of a confirmed target of the current period.

        The current period is each company's own (its time zone's today).
        Thresholds compare the exact actual with the target, never a rounded
        attainment: 99.96 % is not 100 %. One message per target and run, for
        the highest threshold newly crossed; every crossed threshold is
        recorded, so running the action again announces nothing twice.
        """
        # every time zone's today lies within a day of UTC's
        utc_today = fields.Date.today()
        targets = self.search(
            [
                ("state", "=", "confirmed"),
                ("scope", "=", "user"),
                ("date_from", "<=", utc_today + timedelta(days=1)),
                ("date_to", ">=", utc_today - timedelta(days=1)),
            ]
        ).filtered(lambda t: t.date_from <= t.company_id._salesperf_today() <= t.date_to)
        pacing = targets._salesperf_pacing()
        announced = {
            (milestone.target_id.id, milestone.threshold)
            for milestone in self.env["salesperf.target.milestone"].search(
                [("target_id", "in", targets.ids)]
            )
        }
        new_milestones = []
        for target in targets:
            result = pacing.get(target.id)
            crossed = [
                threshold
                for threshold in MILESTONES
                if result
                and result.target
                # actual / target >= threshold %, without dividing or rounding
                and result.actual * 100 >= threshold * result.target
                and (target.id, threshold) not in announced
            ]
            if not crossed:
                continue
            new_milestones += [{"target_id": target.id, "threshold": t} for t in crossed]
            target._announce_milestone(max(crossed), result.actual)
        self.env["salesperf.target.milestone"].create(new_milestones)
        _logger.info("Sales targets: %s milestone(s) announced", len(new_milestones))

    def _announce_milestone(self, threshold, actual):
        self.ensure_one()
        leader = self.user_id.sale_team_id.user_id
        partners = (self.user_id | leader).partner_id
        self.message_post(
            body=_(
                "%(user)s reached %(threshold)s %% of the target %(target)s: "
                "%(actual)s of %(amount)s.",
                user=self.user_id.name,
                threshold=threshold,
                target=self.name,
                actual=self._format_amount(actual),
                amount=self._format_amount(self.amount),
            ),
            partner_ids=partners.ids,
            message_type="notification",
            subtype_xmlid="mail.mt_note",
        )

    def _format_amount(self, amount):
        """``amount`` as the user reads it in messages: in the company's
        currency for money ("96,446.98 €"), a whole number for counts, in the
        user's language."""
        self.ensure_one()
        if self.is_monetary:
            return formatLang(self.env, amount, currency_obj=self.currency_id)
        return formatLang(self.env, amount, digits=0)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_view_actual(self):
        """Open what the target's actual counts: the orders, opportunities or
        activities of its owner over its period, as the KPI of the same code
        opens them."""
        self.ensure_one()
        self.check_access("read")
        return self.env["salesperf.kpi"]._action_kpi_details(
            self.metric,
            Period(self.date_from, self.date_to, self.period_kind),
            SCOPE_DIMENSION[self.scope],
            self._entity_id(),
            self.company_id,
        )

    def action_confirm(self):
        self.filtered(lambda t: t.state == "draft").write({"state": "confirmed"})

    def action_revise(self):
        self.ensure_one()
        return self._revision_wizard(_("Revise Target"), "revise")

    def action_reset_to_draft(self):
        self.ensure_one()
        return self._revision_wizard(_("Reset Target to Draft"), "reset")

    def _revision_wizard(self, title, mode):
        return {
            "type": "ir.actions.act_window",
            "name": title,
            "res_model": "salesperf.target.revision",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_target_id": self.id,
                "default_amount": self.amount,
                "default_mode": mode,
            },
        }

    def _check_revision(self, reason):
        """A revision is for who may manage the target, with a reason."""
        self.ensure_one()
        self.check_access("write")
        if not (reason or "").strip():
            raise UserError(_("A revision needs a reason."))
        if self.state != "confirmed":
            raise UserError(_("Only a confirmed target is revised; change a draft directly."))

    def _revise(self, amount, reason):
        """Change a confirmed target's amount and keep why in the chatter."""
        self._check_revision(reason)
        old = self.amount
        self.with_context(salesperf_target_revision=REVISION).write({"amount": amount})
        self.message_post(
            body=_(
                "Target revised from %(old)s to %(new)s. Reason: %(reason)s",
                old=self._format_amount(old),
                new=self._format_amount(amount),
                reason=reason,
            )
        )

    def _reset_to_draft(self, reason):
        """Take a confirmed target back to draft: administrators only, with a
        reason kept in the chatter."""
        self._check_revision(reason)
        if not self.env.user.has_group("salesperf_odoo.group_salesperf_manager"):
            raise AccessError(
                _("Only a Sales Performance administrator takes a confirmed target back to draft.")
            )
        self.with_context(salesperf_target_revision=REVISION).write({"state": "draft"})
        self.message_post(body=_("Target reset to draft. Reason: %(reason)s", reason=reason))
