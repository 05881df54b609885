# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import logging
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.misc import format_date

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
#: Fields that only a revision may change once a target is confirmed.
LOCKED_FIELDS = {
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


class SalesperfTarget(models.Model):
    """A goal on one metric, for a company, a team or a salesperson, over a
    month, a quarter or a year. Confirmed targets are locked: they change
    only through a revision, whose reason stays in the chatter."""

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
        default=lambda self: fields.Date.context_today(self).replace(day=1),
        tracking=True,
    )
    date_to = fields.Date(string="Period End", compute="_compute_date_to", store=True)
    amount = fields.Float(string="Target", required=True, digits=(16, 2), tracking=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    is_monetary = fields.Boolean(compute="_compute_is_monetary")
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
    children_amount = fields.Float(
        string="Sum of Children", compute="_compute_children_amount", digits=(16, 2)
    )
    mismatch = fields.Float(
        compute="_compute_children_amount",
        digits=(16, 2),
        help="Sum of the children's targets minus this target: where the split and "
        "the people's own commitments disagree.",
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

    @api.depends("metric")
    def _compute_is_monetary(self):
        for target in self:
            target.is_monetary = target.metric in MONETARY_METRICS

    @api.depends("child_ids.amount", "amount")
    def _compute_children_amount(self):
        for target in self:
            target.children_amount = sum(target.child_ids.mapped("amount"))
            target.mismatch = target.children_amount - target.amount if target.child_ids else 0.0

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_pacing(self):
        """Actuals from the KPI service: one computation per period and
        dimension among the targets, whatever the number of lines or people."""
        today = fields.Date.context_today(self)
        # sudo: a target's actual measures its whole scope. Who may see a
        # target at all is decided by the targets' own rules; a team leader
        # with "own documents" rights still needs his team's total.
        kpi = self.env["salesperf.kpi"].sudo()
        groups = defaultdict(lambda: self.browse())
        for target in self:
            if target.date_from and target.date_to and target.scope:
                groups[(target.date_from, target.date_to, target.scope)] |= target
        (self - sum(groups.values(), self.browse())).update(self._empty_pacing())
        for (date_from, date_to, scope), targets in groups.items():
            period = Period(date_from, date_to, targets[:1].period_kind)
            dimension = SCOPE_DIMENSION[scope]
            measures = kpi._compute_measures(
                period, dimension, targets.company_id, measures=set(targets.mapped("metric"))
            )
            pipeline = self.sudo()._remaining_pipeline(period, dimension, targets.company_id, today)
            working_days = {
                company: company._salesperf_working_days(period, today)
                for company in targets.company_id
            }
            for target in targets:
                key = (target._entity_id(), target.company_id.id)
                elapsed, total = working_days[target.company_id]
                result = pace(
                    target.amount,
                    measures.get(key, {}).get(target.metric, 0.0),
                    elapsed,
                    total,
                    target.company_id._salesperf_pacing_thresholds(),
                    pipeline.get(key, 0.0) if target.metric in PIPELINE_METRICS else 0.0,
                )
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

    @api.constrains("amount")
    def _check_amount(self):
        for target in self:
            if target.amount < 0:
                raise ValidationError(
                    _("Target %(target)s cannot be negative.", target=target.name)
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
        for target in self:
            domain = [
                ("id", "!=", target.id),
                ("scope", "=", target.scope),
                ("company_id", "=", target.company_id.id),
                ("team_id", "=", target.team_id.id),
                ("user_id", "=", target.user_id.id),
                ("metric", "=", target.metric),
                ("period_kind", "=", target.period_kind),
                ("date_from", "=", target.date_from),
            ]
            # sudo: a duplicate is one whoever can read it (a team leader
            # must not create a second target for a person he cannot see)
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

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        targets = super().create(vals_list)
        targets._sync_team_invoiced_target()
        return targets

    def write(self, vals):
        if (
            LOCKED_FIELDS & set(vals)
            and not self.env.context.get("salesperf_target_revision")
            and self.filtered(lambda t: t.state == "confirmed")
        ):
            raise UserError(
                _(
                    "Confirmed targets are locked: use Revise to change them, "
                    "with a reason kept in the chatter."
                )
            )
        res = super().write(vals)
        if {"amount", "metric", "scope", "team_id", "period_kind", "date_from"} & set(vals):
            self._sync_team_invoiced_target()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_confirmed(self):
        if self.filtered(lambda t: t.state == "confirmed"):
            raise UserError(_("Confirmed targets cannot be deleted; reset them to draft first."))

    # ------------------------------------------------------------
    # ODOO'S TEAM INVOICING TARGET
    # ------------------------------------------------------------

    @api.model
    def _current_team_revenue_targets(self, teams):
        """``{team id: target}``: each team's revenue target of the current month."""
        start = fields.Date.context_today(self).replace(day=1)
        targets = self.search(
            [
                ("scope", "=", "team"),
                ("team_id", "in", teams.ids),
                ("metric", "=", "revenue"),
                ("period_kind", "=", "month"),
                ("date_from", "=", start),
            ]
        )
        return {target.team_id.id: target for target in targets}

    def _sync_team_invoiced_target(self):
        """Keep Odoo's ``crm.team.invoiced_target`` (this month's team target
        on its dashboard) equal to the team's revenue target of the month."""
        if self.env.context.get("salesperf_target_sync"):
            return
        start = fields.Date.context_today(self).replace(day=1)
        for target in self.filtered(
            lambda t: (
                t.scope == "team"
                and t.metric == "revenue"
                and t.period_kind == "month"
                and t.date_from == start
            )
        ):
            # sudo: whoever may set the team's target (a team leader) keeps
            # Odoo's copy of it in step, though he may not edit the team
            target.team_id.sudo().with_context(
                salesperf_target_sync=True
            ).invoiced_target = target.amount

    # ------------------------------------------------------------
    # CRM PIPELINE PANEL
    # ------------------------------------------------------------

    @api.model
    def get_pipeline_panel(self, user_id=False):
        """Goals of the current month and quarter for the CRM pipeline panel.

        A salesperson gets their own targets. A team leader gets their team's
        by default and may pass ``user_id`` to see one of their people. What
        the caller may read is left to the access rules: asking for someone
        else returns only what those rules let through.

        :returns: ``{"title", "user_id", "members": [{"id", "name"}],
            "periods": [{"label", "goals": [{"metric", "label", "target",
            "actual", "attainment", "gap", "status", "status_label",
            "coverage", "monetary"}]}], "currency": {"symbol", "position",
            "digits"}}``
        """
        user = self.env.user
        led_teams = self.env["crm.team"].search([("user_id", "=", user.id)])
        members = led_teams.member_ids - user
        domain = [("company_id", "in", self.env.companies.ids)]
        if user_id and user_id != user.id:
            subject = members.filtered(lambda member: member.id == user_id)
            if not subject:
                raise AccessError(_("You can only look at the goals of your own team."))
            domain.append(("user_id", "=", subject.id))
            title = subject.name
        elif led_teams:
            domain += [("scope", "=", "team"), ("team_id", "in", led_teams.ids)]
            title = ", ".join(led_teams.mapped("name"))
        else:
            domain += [("scope", "=", "user"), ("user_id", "=", user.id)]
            title = user.name
        today = fields.Date.context_today(self)
        periods = []
        statuses = dict(self._fields["pacing_status"]._description_selection(self.env))
        metrics = dict(self._fields["metric"]._description_selection(self.env))
        for kind in ("month", "quarter"):
            period = period_containing(kind, today)
            targets = self.search(
                [*domain, ("period_kind", "=", kind), ("date_from", "=", period.start)],
                order="metric",
            )
            periods.append(
                {
                    "label": self._panel_period_label(kind, period.start),
                    "goals": [
                        {
                            "metric": target.metric,
                            "label": metrics[target.metric],
                            "target": target.amount,
                            "actual": target.actual,
                            "attainment": target.attainment,
                            "gap": target.gap,
                            "status": target.pacing_status,
                            "status_label": statuses.get(target.pacing_status, ""),
                            "coverage": target.coverage
                            if target.metric in PIPELINE_METRICS
                            else False,
                            "monetary": target.is_monetary,
                        }
                        for target in targets
                    ],
                }
            )
        currency = self.env.company.currency_id
        return {
            "title": title,
            "user_id": user_id or user.id,
            "members": [{"id": member.id, "name": member.name} for member in members],
            "periods": periods,
            "currency": {
                "symbol": currency.symbol,
                "position": currency.position,
                "digits": currency.decimal_places,
            },
        }

    @api.model
    def _panel_period_label(self, kind, start):
        if kind == "quarter":
            return _("Q%(quarter)s %(year)s", quarter=(start.month - 1) // 3 + 1, year=start.year)
        return format_date(self.env, start, date_format="MMMM y")

    # ------------------------------------------------------------
    # MILESTONES
    # ------------------------------------------------------------

    @api.model
    def _cron_notify_milestones(self):
        """Tell salespeople (and their team leader) when their confirmed sales
        cross 50, 90 and 100 % of a confirmed target of the current period.

        One message per target and run, for the highest threshold newly
        crossed; every crossed threshold is recorded, so running the action
        again announces nothing twice.
        """
        today = fields.Date.context_today(self)
        targets = self.search(
            [
                ("state", "=", "confirmed"),
                ("scope", "=", "user"),
                ("date_from", "<=", today),
                ("date_to", ">=", today),
            ]
        )
        # measure now, not from values computed earlier in this transaction
        targets.invalidate_recordset(list(self._empty_pacing()))
        announced = {
            (milestone.target_id.id, milestone.threshold)
            for milestone in self.env["salesperf.target.milestone"].search(
                [("target_id", "in", targets.ids)]
            )
        }
        new_milestones = []
        for target in targets:
            crossed = [
                threshold
                for threshold in MILESTONES
                if target.attainment >= threshold and (target.id, threshold) not in announced
            ]
            if not crossed:
                continue
            new_milestones += [{"target_id": target.id, "threshold": t} for t in crossed]
            target._announce_milestone(max(crossed))
        self.env["salesperf.target.milestone"].create(new_milestones)
        _logger.info("Sales targets: %s milestone(s) announced", len(new_milestones))

    def _announce_milestone(self, threshold):
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
                actual=round(self.actual, 2),
                amount=self.amount,
            ),
            partner_ids=partners.ids,
            message_type="notification",
            subtype_xmlid="mail.mt_note",
        )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_confirm(self):
        self.write({"state": "confirmed"})

    def action_reset_to_draft(self):
        self.with_context(salesperf_target_revision=True).write({"state": "draft"})

    def action_revise(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Revise Target"),
            "res_model": "salesperf.target.revision",
            "view_mode": "form",
            "target": "new",
            "context": {"default_target_id": self.id, "default_amount": self.amount},
        }

    def _revise(self, amount, reason):
        """Change a confirmed target's amount and keep why in the chatter."""
        self.ensure_one()
        if not (reason or "").strip():
            raise UserError(_("A revision needs a reason."))
        old = self.amount
        self.with_context(salesperf_target_revision=True).write({"amount": amount})
        self.message_post(
            body=_(
                "Target revised from %(old)s to %(new)s. Reason: %(reason)s",
                old=old,
                new=amount,
                reason=reason,
            )
        )
