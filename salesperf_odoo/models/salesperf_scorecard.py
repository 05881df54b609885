# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import logging
from collections import defaultdict
from datetime import timedelta

from psycopg2 import errors as pg_errors

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools.misc import formatLang

from ..engine import scorecard as engine
from ..engine.kpi import KPI_DEFINITIONS, derive_kpis
from ..engine.periods import period_containing
from .salesperf_target import METRICS, PERIOD_KINDS

_logger = logging.getLogger(__name__)

#: KPIs a scorecard can weigh: every KPI with a direction (a neutral one,
#: such as the open pipeline, is neither good nor bad), and the attainment
#: of each target metric.
SCORED_KPIS = [(kpi.code, kpi.label) for kpi in KPI_DEFINITIONS if kpi.direction != "neutral"] + [
    (f"{code}_attainment", f"{label} attainment") for code, label in METRICS
]
#: The KPI each attainment line measures, against the person's target.
ATTAINMENT_METRICS = {f"{code}_attainment": code for code, _label in METRICS}
KPI_UNITS = {kpi.code: kpi.unit for kpi in KPI_DEFINITIONS}
LOWER_IS_BETTER = {kpi.code for kpi in KPI_DEFINITIONS if kpi.direction == "down"}
#: A fixed target on a line is per month for the KPIs that add up over time
#: (money, counts): a quarter's is three times it, a year's twelve times.
ADDITIVE_UNITS = ("monetary", "count", "quantity")
PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}
#: KPIs the suggestion rules can look at (plus the pipeline coverage).
SUGGESTION_KPIS = [(kpi.code, kpi.label) for kpi in KPI_DEFINITIONS]
CONDITIONS = [
    ("median", "Below the team median"),
    ("target", "Below target"),
    ("coverage", "Pipeline coverage below factor"),
]
STATES = [("draft", "Draft"), ("locked", "Locked")]
#: Open scorecards to their own flows, and only to them: objects, not
#: values, so no client can send them in a context. ``COMPUTING`` writes the
#: scores, lines and suggestions; ``LOCKING`` closes a period.
COMPUTING = object()
LOCKING = object()
#: Fields the mail thread writes on a locked scorecard (attachments).
MAIL_FIELDS = {"message_main_attachment_id"}
#: What a manager writes by hand; everything else is computed.
EDITABLE_FIELDS = {"manager_comment"}


def _check_computing(records):
    """Scores, KPI lines and suggestions are written by the computation
    only: a team leader may write his members' scorecards (their comment),
    never their figures, whatever a client sends."""
    if records.env.su or records.env.context.get("salesperf_scorecard") is COMPUTING:
        return
    raise AccessError(
        records.env._(
            "Scorecards are computed (Compute Scorecards): only the manager's comment is "
            "written by hand."
        )
    )


ADMIN_GROUP = "salesperf_odoo.group_salesperf_manager"


def _period(kind, start):
    return period_containing(kind, start)


class SalesperfScorecardTemplate(models.Model):
    """Weighted KPIs and rating bands a scorecard scores a salesperson on.

    A team's template wins over its company's (the one without a team)."""

    _name = "salesperf.scorecard.template"
    _description = "Scorecard Template"
    _order = "company_id, team_id, name, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        index="btree_not_null",
        domain="[('company_id', 'in', (company_id, False))]",
        help="Scores this team's members; empty: every salesperson of the company "
        "whose team has no template of its own.",
    )
    line_ids = fields.One2many(
        "salesperf.scorecard.template.line", "template_id", string="KPIs", copy=True
    )
    band_ids = fields.One2many(
        "salesperf.scorecard.band", "template_id", string="Rating Bands", copy=True
    )
    total_weight = fields.Float(
        string="Total Weight (%)", compute="_compute_total_weight", store=True, digits=(16, 2)
    )

    @api.depends("line_ids.weight")
    def _compute_total_weight(self):
        for template in self:
            template.total_weight = sum(template.line_ids.mapped("weight"))

    @api.constrains("total_weight", "line_ids")
    def _check_weights(self):
        """Checked once the template and its lines are all written (the
        stored total is recomputed then): editing two weights one after the
        other in a form never fails half-way."""
        for template in self:
            try:
                engine.check_weights(template.line_ids.mapped("weight"))
            except engine.ScorecardError:
                raise ValidationError(
                    _(
                        "Scorecard template %(template)s: the KPI weights total %(total)s %%; "
                        "they must total 100 %%, each above 0.",
                        template=template.name,
                        total=formatLang(self.env, template.total_weight, digits=2),
                    )
                ) from None

    @api.constrains("band_ids")
    def _check_bands(self):
        for template in self:
            try:
                engine.check_bands([(band.id, band.min_score) for band in template.band_ids])
            except engine.ScorecardError:
                raise ValidationError(
                    _(
                        "Scorecard template %(template)s: each rating band starts at its own "
                        "minimum score, 0 or more.",
                        template=template.name,
                    )
                ) from None

    @api.constrains("company_id", "team_id", "active")
    def _check_unique(self):
        for template in self.filtered("active"):
            if template.team_id.company_id and template.team_id.company_id != template.company_id:
                raise ValidationError(
                    _("Sales team %(team)s belongs to another company.", team=template.team_id.name)
                )
            domain = [
                ("id", "!=", template.id),
                ("company_id", "=", template.company_id.id),
                ("team_id", "=", template.team_id.id),
            ]
            if self.search_count(domain, limit=1):
                raise ValidationError(
                    _(
                        "There is already an active scorecard template for %(owner)s: "
                        "archive it first.",
                        owner=template.team_id.name or template.company_id.name,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        """A template that scored someone is archived, never deleted: its
        scorecards would go with it (the database cascades only so that the
        addon can be uninstalled)."""
        scorecards = self.env["salesperf.scorecard"].sudo()
        used = scorecards.search([("template_id", "in", self.ids)], limit=1)
        if used:
            raise UserError(
                _(
                    "Scorecard template %(template)s has scored salespeople: archive it instead "
                    "of deleting it, so that their scorecards are kept.",
                    template=used.template_id.name,
                )
            )


class SalesperfScorecardTemplateLine(models.Model):
    _name = "salesperf.scorecard.template.line"
    _description = "Scorecard Template KPI"
    _order = "template_id, sequence, id"

    template_id = fields.Many2one(
        "salesperf.scorecard.template", required=True, index=True, ondelete="cascade"
    )
    sequence = fields.Integer(default=10)
    kpi = fields.Selection(SCORED_KPIS, string="KPI", required=True)
    weight = fields.Float(string="Weight (%)", required=True, digits=(16, 2))
    cap = fields.Float(
        string="Cap (%)",
        required=True,
        default=120.0,
        digits=(16, 2),
        help="Most a KPI scores, in % of its target (120: a person at 150 % of the "
        "target scores 120 points).",
    )
    target_source = fields.Selection(
        [("target", "Salesperson's target"), ("fixed", "Fixed value")],
        required=True,
        default="target",
        help="Salesperson's target: their confirmed target of this metric for the period. "
        "Fixed value: the value below, per month for money and counts (three times it "
        "for a quarter, twelve for a year).",
    )
    fixed_target = fields.Float(digits=(16, 2))

    @api.constrains("kpi", "target_source", "fixed_target", "cap")
    def _check_target_source(self):
        metrics = dict(METRICS)
        labels = dict(self._fields["kpi"]._description_selection(self.env))
        for line in self:
            metric = ATTAINMENT_METRICS.get(line.kpi, line.kpi)
            if line.target_source == "target" and metric not in metrics:
                raise ValidationError(
                    _(
                        "%(kpi)s has no salesperson targets: give it a fixed target value.",
                        kpi=labels[line.kpi],
                    )
                )
            if line.kpi in ATTAINMENT_METRICS and line.target_source != "target":
                raise ValidationError(
                    _(
                        "%(kpi)s is measured against the salesperson's target.",
                        kpi=labels[line.kpi],
                    )
                )
            if line.target_source == "fixed" and line.fixed_target <= 0:
                raise ValidationError(
                    _("%(kpi)s needs a fixed target above 0.", kpi=labels[line.kpi])
                )
            if line.cap <= 0:
                raise ValidationError(_("%(kpi)s needs a cap above 0 %%.", kpi=labels[line.kpi]))


class SalesperfScorecardBand(models.Model):
    _name = "salesperf.scorecard.band"
    _description = "Scorecard Rating Band"
    _order = "template_id, min_score desc, id"

    template_id = fields.Many2one(
        "salesperf.scorecard.template", required=True, index=True, ondelete="cascade"
    )
    name = fields.Char(string="Label", required=True, translate=True)
    min_score = fields.Float(
        string="Minimum Score",
        digits=(16, 2),
        help="A score at or above it (and below the next band's) gets this band.",
    )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        """A rating given to a scorecard or paid on by a commission plan stays
        (the database cascades to the plans' factors only so that the addon
        can be uninstalled)."""
        scorecards = self.env["salesperf.scorecard"].sudo()
        factors = self.env["salesperf.commission.scorecard.factor"].sudo()
        plans = self.env["salesperf.commission.plan"].sudo()
        used = (
            scorecards.search([("band_id", "in", self.ids)], limit=1).band_id
            or factors.search([("band_id", "in", self.ids)], limit=1).band_id
            or plans.search(
                [("scorecard_min_band_id", "in", self.ids)], limit=1
            ).scorecard_min_band_id
        )
        if used:
            raise UserError(
                _(
                    "Rating %(band)s is given by scorecards or used by a commission plan: it "
                    "cannot be deleted.",
                    band=used.name,
                )
            )


class SalesperfScorecardSuggestionRule(models.Model):
    """One coaching suggestion and when it applies (see
    ``engine.scorecard.select_suggestions``)."""

    _name = "salesperf.scorecard.suggestion.rule"
    _description = "Scorecard Suggestion Rule"
    _order = "sequence, id"

    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", index="btree_not_null", help="Empty: used in every company."
    )
    kpi = fields.Selection(SUGGESTION_KPIS, string="KPI", required=True)
    condition = fields.Selection(CONDITIONS, required=True, default="median")
    threshold = fields.Float(
        required=True,
        default=20.0,
        digits=(16, 2),
        help="Below the team median or the target: by at least this % of it. "
        "Pipeline coverage: the factor of the remaining gap the weighted pipeline "
        "should reach (3 = three times the gap).",
    )
    text = fields.Text(
        string="Suggestion",
        required=True,
        translate=True,
        help="Figures as placeholders: %(kpi)s, %(actual)s, %(median)s, %(target)s, "
        "%(lag)s, %(pipeline)s, %(gap)s, %(factor)s, %(coverage)s.",
    )

    @api.constrains("text", "threshold")
    def _check_text(self):
        for rule in self:
            if rule.threshold <= 0:
                raise ValidationError(_("A suggestion rule's threshold must be above 0."))
            try:
                engine.render(rule.text or "", {})
            except engine.ScorecardError:
                raise ValidationError(
                    _(
                        "The suggestion “%(text)s” uses an unknown placeholder: use only "
                        "%(names)s, written as %%(actual)s, and %%%% for a percent sign.",
                        text=rule.text,
                        names=", ".join(engine.FIGURES),
                    )
                ) from None


class SalesperfScorecard(models.Model):
    """The score of one salesperson over one period, by a template.

    Computed for every salesperson of a period at once
    (:meth:`_compute_scorecards`), from one grouped KPI computation; locked
    with a manager's comment when the period is closed (:meth:`action_lock`),
    after which it never changes.

    Who sees what (``security/ir_rules.xml``, as targets): a salesperson
    reads their own scorecards, "All Documents" users every one, team
    leaders and administrators manage those of their team members / all of
    their allowed companies.
    """

    _name = "salesperf.scorecard"
    _inherit = ["mail.thread"]
    _description = "Performance Scorecard"
    _order = "date_start desc, score desc, id"

    name = fields.Char(compute="_compute_name", store=True)
    user_id = fields.Many2one(
        "res.users", string="Salesperson", required=True, index=True, readonly=True
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", index=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    period_kind = fields.Selection(PERIOD_KINDS, string="Period", required=True, readonly=True)
    date_start = fields.Date(string="Period Start", required=True, readonly=True)
    date_end = fields.Date(string="Period End", required=True, readonly=True)
    template_id = fields.Many2one(
        "salesperf.scorecard.template", required=True, readonly=True, ondelete="cascade"
    )
    score = fields.Float(digits=(16, 1), readonly=True, aggregator="avg")
    band_id = fields.Many2one(
        "salesperf.scorecard.band", string="Rating", readonly=True, ondelete="set null"
    )
    band = fields.Char(
        string="Rating Label",
        related="band_id.name",
        help="The rating band's label in the reader's language.",
    )
    state = fields.Selection(STATES, default="draft", required=True, readonly=True, tracking=True)
    manager_comment = fields.Text(tracking=True)
    locked_by_id = fields.Many2one("res.users", string="Closed By", readonly=True)
    locked_on = fields.Datetime(string="Closed On", readonly=True)
    computed_on = fields.Datetime(readonly=True)
    line_ids = fields.One2many("salesperf.scorecard.line", "scorecard_id", string="KPIs")
    suggestion_ids = fields.One2many(
        "salesperf.scorecard.suggestion", "scorecard_id", string="Suggestions"
    )

    _sql_constraints = [
        (
            "user_period_template_unique",
            "UNIQUE(user_id, company_id, period_kind, date_start, template_id)",
            "There is already a scorecard of this salesperson for this period and template.",
        )
    ]

    @api.depends("user_id", "period_kind", "date_start")
    def _compute_name(self):
        kpi = self.env["salesperf.kpi"]
        for card in self:
            if not (card.period_kind and card.date_start):
                card.name = card.user_id.name or ""
                continue
            label = kpi._period_label(_period(card.period_kind, card.date_start))
            card.name = f"{card.user_id.name} · {label}"

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        _check_computing(self)
        return super().create(vals_list)

    def write(self, vals):
        token = self.env.context.get("salesperf_scorecard")
        changed = set(vals) - MAIL_FIELDS
        if token is not LOCKING and changed - EDITABLE_FIELDS:
            _check_computing(self)
        if token is not LOCKING and changed:
            locked = self.filtered(lambda card: card.state == "locked")
            if locked:
                raise UserError(
                    _(
                        "Scorecard %(scorecard)s is locked: its period was closed and it no "
                        "longer changes.",
                        scorecard=locked[0].name,
                    )
                )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_locked(self):
        if any(card.state == "locked" for card in self):
            raise UserError(_("A locked scorecard is kept: it cannot be deleted."))
        # a draft: replaced by the computation, or deleted by an administrator
        if not self.env.user.has_group(ADMIN_GROUP):
            _check_computing(self)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_recompute(self):
        """Compute again the period of these draft scorecards."""
        locked = self.filtered(lambda card: card.state == "locked")
        if locked:
            raise UserError(
                _(
                    "Scorecard %(scorecard)s is locked: its period was closed, it is not "
                    "computed again.",
                    scorecard=locked[0].name,
                )
            )
        groups = defaultdict(lambda: self.browse())
        for card in self:
            groups[card.company_id, card.period_kind, card.date_start] |= card
        for (company, kind, start), cards in groups.items():
            self._compute_scorecards(company, _period(kind, start), only_users=cards.user_id)
        return True

    def action_lock(self):
        """Close the period of these scorecards: lock them with the manager's
        comment. Only a Sales Performance administrator or the leader of the
        salesperson's team does, never for their own scorecard."""
        for card in self:
            if card.state == "locked":
                raise UserError(
                    _("Scorecard %(scorecard)s is already locked.", scorecard=card.name)
                )
            if card.user_id == self.env.user:
                raise UserError(_("You cannot close your own scorecard: your manager closes it."))
            if not card._can_lock():
                raise AccessError(
                    _(
                        "Only the leader of %(user)s's team or a Sales Performance "
                        "administrator closes their scorecard.",
                        user=card.user_id.name,
                    )
                )
            if not (card.manager_comment or "").strip():
                raise UserError(
                    _(
                        "Scorecard %(scorecard)s: write your comment before closing the period.",
                        scorecard=card.name,
                    )
                )
        self.with_context(salesperf_scorecard=LOCKING).write(
            {"state": "locked", "locked_by_id": self.env.uid, "locked_on": fields.Datetime.now()}
        )
        for card in self:
            card.message_post(
                body=_("Period closed by %(user)s.", user=self.env.user.name),
            )
        return True

    def _can_lock(self):
        """Whether the current user manages this scorecard's salesperson: an
        administrator of its company, or the leader of an active team of the
        company the salesperson is an active member of (read from the teams,
        never from the scorecard's own team field)."""
        self.ensure_one()
        if self.company_id not in self.env.companies:
            return False
        if self.env.user.has_group(ADMIN_GROUP):
            return True
        return bool(
            self.env["crm.team.member"].search_count(
                [
                    ("user_id", "=", self.user_id.id),
                    ("crm_team_id.user_id", "=", self.env.uid),
                    ("crm_team_id.active", "=", True),
                    ("crm_team_id.company_id", "in", (self.company_id.id, False)),
                ],
                limit=1,
            )
        )

    # ------------------------------------------------------------
    # COMPUTING
    # ------------------------------------------------------------

    @api.model
    def _scored_people(self, company):
        """``{user: team}`` of the salespeople the current user scores in
        ``company``: every active member of its active teams for an
        administrator (and the scheduler), those of the teams they lead for a
        team leader; anyone else may not compute.

        :raises AccessError: for a user who leads no team of the company.
        """
        domain = [
            ("crm_team_id.active", "=", True),
            ("crm_team_id.company_id", "in", (company.id, False)),
            ("user_id.company_ids", "in", company.id),
        ]
        if not (self.env.su or self.env.user.has_group(ADMIN_GROUP)):
            domain.append(("crm_team_id.user_id", "=", self.env.uid))
        members = self.env["crm.team.member"].search(domain, order="crm_team_id, id")
        if (
            not members
            and not self.env.su
            and not self.env.user.has_group(ADMIN_GROUP)
            and not self.env["crm.team"].search_count([("user_id", "=", self.env.uid)], limit=1)
        ):
            raise AccessError(
                _("Only team leaders and Sales Performance administrators compute scorecards.")
            )
        people = {}
        for member in members:
            user = member.user_id
            # a person in several teams is scored in their main one when it is here
            if user not in people or user.sale_team_id == member.crm_team_id:
                people[user] = member.crm_team_id
        return people

    @api.model
    def _templates(self, company):
        """``{team id or False: template}`` of the active templates of ``company``."""
        templates = self.env["salesperf.scorecard.template"].search(
            [("company_id", "=", company.id)]
        )
        return {template.team_id.id: template for template in templates}

    @api.model
    def _person_targets(self, company, period, users):
        """``{(user id, metric): amount}`` of the confirmed salesperson targets."""
        return {
            (user.id, metric): amount
            for user, metric, amount in self.env["salesperf.target"]._read_group(
                [
                    ("scope", "=", "user"),
                    ("state", "=", "confirmed"),
                    ("company_id", "=", company.id),
                    ("period_kind", "=", period.kind),
                    ("date_from", "=", period.start),
                    ("user_id", "in", [user.id for user in users]),
                ],
                ["user_id", "metric"],
                ["amount:sum"],
            )
        }

    @api.model
    def _line_target(self, line, user, period, targets):
        """The target of a template line for ``user``, or ``None``."""
        if line.target_source == "target":
            metric = ATTAINMENT_METRICS.get(line.kpi, line.kpi)
            return targets.get((user.id, metric)) or None
        metric = ATTAINMENT_METRICS.get(line.kpi, line.kpi)
        if KPI_UNITS.get(metric) in ADDITIVE_UNITS:
            return line.fixed_target * PERIOD_MONTHS[period.kind]
        return line.fixed_target

    @api.model
    def _compute_scorecards(self, company, period, only_users=None, skip_unscorable=False):
        """Compute (create or update) the draft scorecards of ``period`` in
        ``company`` for every salesperson the current user scores.

        All KPIs come from one grouped computation for all the salespeople
        (``salesperf.kpi._compute_kpis``); nothing is written until every
        person's scorecard could be computed. Locked scorecards are kept.

        :param period: an ``engine.periods.Period`` (month, quarter or year).
        :param only_users: write only these people's scorecards (the team
            medians still count the whole team).
        :param skip_unscorable: the scheduled computation: a person without
            template or without a target a template needs is left out (the
            team medians still count them, their existing scorecard is left
            as it is) instead of stopping everyone's.
        :returns: ``{"written": n, "locked": n, "skipped": {user: reason}}``
        :raises UserError: a period not started, nobody to score, nothing
            measured in the period, a person without template or without a
            target a template needs (listing who; unless ``skip_unscorable``).
        """
        if company not in self.env.companies and not self.env.su:
            raise AccessError(
                _("You cannot compute the scorecards of %(company)s.", company=company.name)
            )
        today = company._salesperf_today()
        if period.start > today:
            raise UserError(
                _(
                    "%(period)s has not started: there is nothing to score yet.",
                    period=self.env["salesperf.kpi"]._period_label(period),
                )
            )
        people = self._scored_people(company)
        if not people:
            raise UserError(
                _(
                    "There is no salesperson to score in %(company)s: add them to a sales team.",
                    company=company.name,
                )
            )
        templates = self._templates(company)
        template_of = {
            user: templates.get(team.id) or templates.get(False) for user, team in people.items()
        }
        skipped = {}
        without = sorted(user.name for user, template in template_of.items() if not template)
        if without and skip_unscorable:
            skipped = dict.fromkeys(
                (user for user, template in template_of.items() if not template),
                _("no scorecard template"),
            )
        elif without:
            raise UserError(
                _(
                    "No scorecard template applies to %(people)s: add one for their team or "
                    "their company.",
                    people=", ".join(without),
                )
            )
        # sudo: a team leader reading "own documents" still scores each
        # member's whole figures (as a target's actual does); the people were
        # checked above (his team members, or all for an administrator), in
        # one of the user's companies.
        kpis = self.env["salesperf.kpi"].sudo()._compute_kpis(period, "user", company)
        if not any((user.id, company.id) in kpis for user in people):
            raise UserError(
                _(
                    "Nothing was sold, won, lost or done by the salespeople in %(period)s: "
                    "there is nothing to score.",
                    period=self.env["salesperf.kpi"]._period_label(period),
                )
            )
        empty = derive_kpis({})
        person_kpis = {user: kpis.get((user.id, company.id), empty) for user in people}
        targets = self._person_targets(company, period, people)
        scores, missing = {}, []
        for user, template in template_of.items():
            if not template:
                scores[user] = []
                continue
            lines, lacking = self._score_lines(template, user, period, person_kpis[user], targets)
            scores[user] = lines
            missing += [(user, label) for label in lacking]
        missing.sort(key=lambda item: (item[0].name, item[1]))
        if missing and skip_unscorable:
            lacking_by_user = defaultdict(list)
            for user, label in missing:
                lacking_by_user[user].append(label)
            for user, labels in lacking_by_user.items():
                skipped[user] = _("no target for %(kpis)s", kpis=", ".join(labels))
        elif missing:
            raise UserError(
                _(
                    "Some KPIs of the scorecards have no target; set them, or give the "
                    "template line a fixed value, then compute again: %(missing)s.",
                    missing="; ".join(f"{user.name}: {label}" for user, label in missing),
                )
            )
        suggestions = self._suggestions(company, period, people, person_kpis, targets, scores)
        written = [
            user
            for user in people
            if (only_users is None or user in only_users) and user not in skipped
        ]
        result = self._write_scorecards(
            company, period, written, people, template_of, scores, suggestions
        )
        result["skipped"] = skipped
        return result

    @api.model
    def _score_lines(self, template, user, period, kpis, targets):
        """``([line values], [labels of KPIs without target])`` of one person."""
        labels = dict(
            self.env["salesperf.scorecard.template.line"]
            ._fields["kpi"]
            ._description_selection(self.env)
        )
        values, lacking = [], []
        for line in template.line_ids:
            target = self._line_target(line, user, period, targets)
            if not target or target <= 0:
                lacking.append(labels[line.kpi])
                continue
            metric = ATTAINMENT_METRICS.get(line.kpi, line.kpi)
            actual = kpis.get(metric)
            score = engine.kpi_score(actual, target, line.cap, metric in LOWER_IS_BETTER)
            values.append(
                {
                    "sequence": line.sequence,
                    "kpi": line.kpi,
                    "actual": actual or 0.0,
                    "has_value": actual is not None,
                    "target": target,
                    "cap": line.cap,
                    "weight": line.weight,
                    "score": score,
                    "weighted": engine.weighted_points(line.weight, score),
                }
            )
        return values, lacking

    @api.model
    def _suggestion_rules(self, company):
        rules = self.env["salesperf.scorecard.suggestion.rule"].search(
            [("company_id", "in", (company.id, False))]
        )
        return rules, [
            engine.SuggestionRule(
                rule.id,
                rule.kpi,
                rule.condition,
                rule.threshold,
                rule.sequence,
                rule.kpi in LOWER_IS_BETTER,
            )
            for rule in rules
        ]

    @api.model
    def _suggestions(self, company, period, people, person_kpis, targets, scores):
        """``{user: [suggestion values]}``: the KPIs where each person lags
        most behind their team's median or their target."""
        rules, specs = self._suggestion_rules(company)
        if not specs:
            return {}
        teams = defaultdict(list)
        for user, team in people.items():
            teams[team].append(user)
        medians = {
            team: {
                code: engine.median(person_kpis[member].get(code) for member in members)
                for code in {spec.kpi for spec in specs}
            }
            for team, members in teams.items()
        }
        today = company._salesperf_today()
        pipeline = {}
        if today <= period.end:
            # sudo: as the KPIs above, the whole open pipeline of the checked people
            pipeline = (
                self.env["salesperf.target"]
                .sudo()
                ._remaining_pipeline(period, "user", company, today)
            )
        by_id = {rule.id: rule for rule in rules}
        result = {}
        for user, team in people.items():
            kpis = person_kpis[user]
            user_targets = {
                line["kpi"]: line["target"]
                for line in scores[user]
                if line["kpi"] not in ATTAINMENT_METRICS
            }
            user_targets.update(
                {metric: amount for (uid, metric), amount in targets.items() if uid == user.id}
            )
            revenue_target = user_targets.get("revenue")
            gap = None
            if revenue_target and today <= period.end:
                gap = revenue_target - (kpis.get("revenue") or 0.0)
            found = engine.select_suggestions(
                specs,
                kpis,
                medians[team],
                user_targets,
                pipeline=pipeline.get((user.id, company.id), 0.0),
                gap=gap,
                team_size=len(teams[team]),
            )
            result[user] = [
                self._suggestion_values(by_id[suggestion.rule], suggestion, user, company, rank)
                for rank, suggestion in enumerate(found, 1)
            ]
        return result

    @api.model
    def _suggestion_values(self, rule, suggestion, user, company, rank):
        """The suggestion's text in the salesperson's language, with its figures."""
        env = self.with_context(lang=user.lang or self.env.lang).env
        labels = dict(rule._fields["kpi"]._description_selection(env))
        figures = {"kpi": labels[suggestion.kpi]}
        for name, value in suggestion.figures.items():
            figures[name] = self._format_figure(env, name, suggestion.kpi, value, company)
        text = engine.render(rule.with_env(env).text, figures)
        captions = {
            "actual": env._("Actual"),
            "median": env._("Team median"),
            "target": env._("Target"),
            "lag": env._("Behind by"),
            "pipeline": env._("Weighted pipeline"),
            "gap": env._("Gap to target"),
            "factor": env._("Coverage wanted"),
            "coverage": env._("Coverage"),
        }
        summary = " · ".join(
            f"{captions[name]}: {figures[name]}" for name in captions if name in figures
        )
        return {
            "sequence": rank,
            "rule_id": rule.id,
            "kpi": suggestion.kpi,
            "lag": suggestion.lag,
            "text": text,
            "figures": summary,
        }

    @api.model
    def _format_figure(self, env, name, kpi, value, company):
        if value is None:
            return "–"
        if name == "lag":
            return f"{formatLang(env, value, digits=1)} %"
        if name in ("factor", "coverage"):
            return f"{formatLang(env, value, digits=1)} ×"
        unit = "monetary" if name in ("pipeline", "gap") else KPI_UNITS.get(kpi)
        if unit == "monetary":
            return formatLang(env, value, currency_obj=company.currency_id)
        if unit == "percent":
            return f"{formatLang(env, value, digits=1)} %"
        if unit in ("days", "ratio"):
            return formatLang(env, value, digits=1)
        return formatLang(env, value, digits=0)

    @api.model
    def _write_scorecards(self, company, period, users, people, template_of, scores, suggestions):
        """Write the draft scorecards of ``users`` in one savepoint."""
        scorecards = self.with_context(salesperf_scorecard=COMPUTING)
        existing = scorecards.search(
            [
                ("company_id", "=", company.id),
                ("period_kind", "=", period.kind),
                ("date_start", "=", period.start),
                ("user_id", "in", [user.id for user in users]),
            ]
        )
        by_key = {(card.user_id, card.template_id): card for card in existing}
        locked = existing.filtered(lambda card: card.state == "locked")
        locked_users = set(locked.user_id)
        now = fields.Datetime.now()
        to_create = []
        written = 0
        try:
            with self.env.cr.savepoint():
                # a person whose template changed: their other draft is replaced
                stale = existing.filtered(
                    lambda card: (
                        card.state == "draft" and card.template_id != template_of[card.user_id]
                    )
                )
                stale.unlink()
                for user in users:
                    if user in locked_users:
                        continue
                    template = template_of[user]
                    lines = scores[user]
                    score = sum(line["weighted"] for line in lines)
                    band_id = (
                        engine.band_for(
                            score, [(band.id, band.min_score) for band in template.band_ids]
                        )
                        if template.band_ids
                        else None
                    )
                    values = {
                        "team_id": people[user].id,
                        "score": score,
                        "band_id": band_id or False,
                        "computed_on": now,
                        "line_ids": [Command.clear()] + [Command.create(line) for line in lines],
                        "suggestion_ids": [Command.clear()]
                        + [Command.create(s) for s in suggestions.get(user, [])],
                    }
                    card = by_key.get((user, template))
                    if card:
                        card.write(values)
                    else:
                        to_create.append(
                            {
                                **values,
                                "user_id": user.id,
                                "company_id": company.id,
                                "period_kind": period.kind,
                                "date_start": period.start,
                                "date_end": period.end,
                                "template_id": template.id,
                            }
                        )
                    written += 1
                if to_create:
                    scorecards.create(to_create)
                self.env.flush_all()
        except pg_errors.UniqueViolation as error:
            raise UserError(
                _(
                    "Another user computed these scorecards at the same time: nothing was "
                    "changed. Compute again to update them."
                )
            ) from error
        return {"written": written, "locked": len(locked_users)}

    @api.model
    def _cron_compute_last_month(self):
        """Scheduled: the scorecards of each company's last closed month,
        where a template and some activity exist. Everyone who can be scored
        is; a person without template or target is left out, named in one
        warning per company. A company's failure is logged and leaves the
        others computed."""
        # sudo: the scheduler scores every company's salespeople
        cards = self.sudo()
        for company in self.env["res.company"].sudo().search([]):
            last_month = period_containing(
                "month", company._salesperf_today().replace(day=1) - timedelta(days=1)
            )
            if not cards._templates(company):
                continue
            try:
                with self.env.cr.savepoint():
                    result = cards._compute_scorecards(company, last_month, skip_unscorable=True)
            except UserError as error:
                _logger.info("Scorecards of %s not computed: %s", company.name, error)
                continue
            _logger.info(
                "Scorecards of %s for %s: %s written, %s locked kept, %s skipped",
                company.name,
                last_month.start,
                result["written"],
                result["locked"],
                len(result["skipped"]),
            )
            if result["skipped"]:
                _logger.warning(
                    "Scorecards of %s for %s: not scored (set their targets or template, "
                    "then compute again): %s",
                    company.name,
                    last_month.start,
                    "; ".join(
                        sorted(
                            f"{user.name}: {reason}" for user, reason in result["skipped"].items()
                        )
                    ),
                )


class SalesperfScorecardComputed(models.AbstractModel):
    """Rows of a scorecard written by its computation only (see
    ``_check_computing``): its KPI lines and suggestions."""

    _name = "salesperf.scorecard.computed"
    _description = "Scorecard Row Written by the Computation"

    @api.model_create_multi
    def create(self, vals_list):
        _check_computing(self)
        return super().create(vals_list)

    def write(self, vals):
        _check_computing(self)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_computing(self):
        _check_computing(self)


class SalesperfScorecardLine(models.Model):
    _name = "salesperf.scorecard.line"
    _inherit = ["salesperf.scorecard.computed"]
    _description = "Scorecard KPI Score"
    _order = "scorecard_id, sequence, id"

    scorecard_id = fields.Many2one(
        "salesperf.scorecard", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="scorecard_id.company_id", store=True)
    sequence = fields.Integer()
    kpi = fields.Selection(SCORED_KPIS, string="KPI", required=True)
    actual = fields.Float(digits=(16, 2))
    has_value = fields.Boolean(
        help="False when the KPI has no value in the period (e.g. no closed opportunity "
        "for a win rate): it scores 0."
    )
    target = fields.Float(digits=(16, 2))
    cap = fields.Float(string="Cap (%)", digits=(16, 2))
    weight = fields.Float(string="Weight (%)", digits=(16, 2))
    score = fields.Float(digits=(16, 1))
    weighted = fields.Float(string="Weighted Score", digits=(16, 2))
    actual_display = fields.Char(
        string="Actual Value",
        compute="_compute_displays",
        help="The actual in its unit: an amount in the company's currency, a percentage, "
        "a count; – when the KPI has no value in the period.",
    )
    target_display = fields.Char(string="Target Value", compute="_compute_displays")

    @api.depends("kpi", "actual", "target", "has_value", "company_id")
    @api.depends_context("lang")
    def _compute_displays(self):
        Scorecard = self.env["salesperf.scorecard"]
        for line in self:
            metric = ATTAINMENT_METRICS.get(line.kpi, line.kpi)
            company = line.company_id or self.env.company
            line.actual_display = Scorecard._format_figure(
                self.env, "actual", metric, line.actual if line.has_value else None, company
            )
            line.target_display = Scorecard._format_figure(
                self.env, "target", metric, line.target, company
            )


class SalesperfScorecardSuggestion(models.Model):
    _name = "salesperf.scorecard.suggestion"
    _inherit = ["salesperf.scorecard.computed"]
    _description = "Scorecard Improvement Suggestion"
    _order = "scorecard_id, sequence, id"

    scorecard_id = fields.Many2one(
        "salesperf.scorecard", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="scorecard_id.company_id", store=True)
    sequence = fields.Integer()
    rule_id = fields.Many2one("salesperf.scorecard.suggestion.rule", ondelete="set null")
    kpi = fields.Selection(SUGGESTION_KPIS, string="KPI")
    lag = fields.Float(string="Behind by (%)", digits=(16, 1))
    text = fields.Text(string="Suggestion")
    figures = fields.Char(help="The figures that triggered the suggestion.")


class SalesperfScorecardCompute(models.TransientModel):
    """Compute the scorecards of a period for the salespeople one scores."""

    _name = "salesperf.scorecard.compute"
    _description = "Compute Scorecards"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    period_kind = fields.Selection(PERIOD_KINDS, string="Period", required=True, default="month")
    date_start = fields.Date(
        string="Any Day of the Period",
        required=True,
        default=lambda self: self.env.company._salesperf_month_start() - timedelta(days=1),
    )

    def action_compute(self):
        self.ensure_one()
        period = _period(self.period_kind, self.date_start)
        result = self.env["salesperf.scorecard"]._compute_scorecards(self.company_id, period)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "salesperf_odoo.salesperf_scorecard_action"
        )
        action["domain"] = [
            ("company_id", "=", self.company_id.id),
            ("period_kind", "=", period.kind),
            ("date_start", "=", period.start),
        ]
        action["context"] = {}
        if result["locked"]:
            action["help"] = _(
                "<p>%(locked)s locked scorecards were kept as they are.</p>",
                locked=result["locked"],
            )
        return action


# ------------------------------------------------------------
# COMMISSION PLANS: the scorecard as a condition or a multiplier
# ------------------------------------------------------------


class _PeriodScorecards(tuple):
    """Ids of the scorecards of the periods being computed, passed down to
    each row in the context: a class of its own, so that no client can send
    one (a JSON context holds no instance of it)."""


#: Plan fields of the scorecard option: frozen with the plan's other rules
#: once a statement past draft used it.
SCORECARD_RULE_FIELDS = {"scorecard_mode", "scorecard_min_band_id", "scorecard_factor_ids"}


class SalesperfCommissionPlan(models.Model):
    _inherit = "salesperf.commission.plan"

    scorecard_mode = fields.Selection(
        [
            ("none", "Not used"),
            ("condition", "Minimum rating"),
            ("multiplier", "Multiplier per rating"),
        ],
        string="Scorecard",
        default="none",
        required=True,
        tracking=True,
        help="Minimum rating: below it, nothing is paid on the sales (bonuses excepted), as "
        "below the threshold. Multiplier per rating: each commission line is multiplied by the "
        "factor of the salesperson's rating. The scorecard of the statement's period is used, "
        "a locked one first; without one, the commission is paid as computed, with a note.",
    )
    scorecard_min_band_id = fields.Many2one(
        "salesperf.scorecard.band",
        string="Minimum Rating",
        domain="[('template_id.company_id', '=', company_id)]",
        help="A score below this band's minimum score pays no commission.",
    )
    scorecard_factor_ids = fields.One2many(
        "salesperf.commission.scorecard.factor",
        "plan_id",
        string="Factors per Rating",
        copy=True,
    )

    @api.constrains("scorecard_mode", "scorecard_min_band_id", "scorecard_factor_ids")
    def _check_scorecard(self):
        for plan in self:
            if plan.scorecard_mode == "condition" and not plan.scorecard_min_band_id:
                raise ValidationError(
                    _("Commission plan %(plan)s: choose the minimum rating.", plan=plan.name)
                )
            if plan.scorecard_mode == "multiplier" and not plan.scorecard_factor_ids:
                raise ValidationError(
                    _("Commission plan %(plan)s: give a factor for each rating.", plan=plan.name)
                )

    def write(self, vals):
        if SCORECARD_RULE_FIELDS & set(vals):
            self._check_rules_editable()
        return super().write(vals)

    def _scorecard_factor(self, card):
        """The factor (Decimal) of ``card``'s rating, or ``None``: the line of
        its band, else of a band with the same label (another template's)."""
        self.ensure_one()
        lines = self.scorecard_factor_ids
        line = (
            lines.filtered(lambda f: f.band_id == card.band_id)[:1]
            or lines.filtered(lambda f: card.band_id and f.band_id.name == card.band_id.name)[:1]
        )
        return engine._decimal(line.factor) if line else None


class SalesperfCommissionScorecardFactor(models.Model):
    _name = "salesperf.commission.scorecard.factor"
    _description = "Commission Factor per Scorecard Rating"
    _order = "plan_id, factor desc, id"

    plan_id = fields.Many2one(
        "salesperf.commission.plan", required=True, index=True, ondelete="cascade"
    )
    band_id = fields.Many2one(
        "salesperf.scorecard.band",
        string="Rating",
        required=True,
        ondelete="cascade",
        domain="[('template_id.company_id', '=', parent.company_id)]",
    )
    factor = fields.Float(required=True, default=1.0, digits=(16, 4))

    @api.constrains("factor")
    def _check_factor(self):
        if any(line.factor < 0 for line in self):
            raise ValidationError(_("A rating's commission factor cannot be negative."))

    def write(self, vals):
        self.plan_id._check_rules_editable()
        return super().write(vals)


class SalesperfCommissionStatement(models.Model):
    _inherit = "salesperf.commission.statement"

    scorecard_id = fields.Many2one(
        "salesperf.scorecard",
        readonly=True,
        help="The salesperson's scorecard of the period the plan's scorecard option used.",
    )

    @api.model
    def _prepare_period(self, company, day, users=None, expected=False):
        # the scorecards of every period and person at once, not one query
        # per salesperson; always set here, so no caller's context is used
        periods = {period_containing(kind, day) for kind in ("month", "quarter")}
        # sudo: the statement's figures depend on the person's scorecard,
        # which the Commission Manager computing them may not read; only the
        # score and rating are used
        cards = (
            self.env["salesperf.scorecard"]
            .sudo()
            .search(
                expression.AND(
                    [
                        [("company_id", "=", company.id)],
                        expression.OR(
                            [
                                [
                                    ("period_kind", "=", period.kind),
                                    ("date_start", "=", period.start),
                                ]
                                for period in periods
                            ]
                        ),
                    ]
                ),
                order="state desc, id desc",
            )
        )
        return super(
            SalesperfCommissionStatement,
            self.with_context(salesperf_scorecard_ids=_PeriodScorecards(cards.ids)),
        )._prepare_period(company, day, users=users, expected=expected)

    def _prepare_row(self, row, user_segments, sources, targets):
        result = super()._prepare_row(row, user_segments, sources, targets)
        plan = row["plan"]
        if plan.scorecard_mode == "none":
            return result
        card = self._statement_scorecard(row["user"], row["period"], plan.company_id)
        notes = [row["values"]["note"]] if row["values"].get("note") else []
        row["values"]["scorecard_id"] = card.id
        if not card:
            notes.append(
                _(
                    "No scorecard of %(user)s for this period: the commission is paid "
                    "without the scorecard's %(option)s.",
                    user=row["user"].name,
                    option=dict(plan._fields["scorecard_mode"]._description_selection(self.env))[
                        plan.scorecard_mode
                    ].lower(),
                )
            )
        else:
            digits = plan.company_id.currency_id.decimal_places
            if plan.scorecard_mode == "condition":
                notes += self._apply_scorecard_condition(row, plan, card)
            else:
                notes += self._apply_scorecard_multiplier(row, plan, card, digits)
            self._apply_scorecard_caps(row, user_segments, digits)
        row["values"]["note"] = "\n".join(dict.fromkeys(notes)) or False
        return result

    def _statement_scorecard(self, user, period, company):
        """The person's scorecard of the statement's period: a locked one
        first, else the latest draft; an empty recordset without one."""
        Scorecard = self.env["salesperf.scorecard"].sudo()
        prefetched = self.env.context.get("salesperf_scorecard_ids")
        if not isinstance(prefetched, _PeriodScorecards):
            # one row alone (an estimate, a what-if): its own query
            return Scorecard.search(
                [
                    ("company_id", "=", company.id),
                    ("user_id", "=", user.id),
                    ("period_kind", "=", period.kind),
                    ("date_start", "=", period.start),
                ],
                order="state desc, id desc",
                limit=1,
            )
        cards = Scorecard.browse(prefetched)
        return cards.filtered(
            lambda card: (
                card.user_id == user
                and card.company_id == company
                and card.period_kind == period.kind
                and card.date_start == period.start
            )
        )[:1]

    def _apply_scorecard_condition(self, row, plan, card):
        band = plan.scorecard_min_band_id
        if card.score >= band.min_score:
            return []
        note = _(
            "Scorecard %(score)s (%(rating)s) below the minimum rating %(minimum)s: nothing paid",
            score=formatLang(self.env, card.score, digits=1),
            rating=card.band_id.name or "–",
            minimum=band.name,
        )
        for line in row["lines"]:
            if line["kind"] in ("commission", "override") and line["rule"] != "threshold":
                line.update(rule="scorecard", rate=0.0, amount=0.0, note=note)
        return [note]

    def _apply_scorecard_multiplier(self, row, plan, card, digits):
        factor = plan._scorecard_factor(card)
        if factor is None:
            return [
                _(
                    "No factor for the rating %(rating)s of the scorecard: the commission is "
                    "paid without multiplier.",
                    rating=card.band_id.name or "–",
                )
            ]
        note = _(
            "× %(factor)s for the scorecard rating %(rating)s",
            factor=formatLang(self.env, float(factor), digits=2),
            rating=card.band_id.name,
        )
        for line in row["lines"]:
            if line["kind"] == "commission" and line["amount"]:
                line["amount"] = float(engine.multiply_amount(line["amount"], factor, digits))
                line["rate"] = float(engine._decimal(line["rate"]) * factor)
                line["note"] = f"{line['note']}; {note}" if line.get("note") else note
        return []

    def _apply_scorecard_caps(self, row, user_segments, digits):
        """Each plan's cap again on the changed lines: its cap line is set
        to bring the plan's lines back to the cap, or dropped under it."""
        for plan, _start, _end in user_segments:
            if not plan.cap:
                continue
            lines = [line for line in row["lines"] if line["plan_id"] == plan.id]
            earned = sum(
                (
                    engine._decimal(line["amount"])
                    for line in lines
                    if line["kind"] in ("commission", "bonus", "override")
                ),
                engine._decimal(0),
            )
            adjustment = engine.cap_adjustment(earned, plan.cap, digits)
            cap_line = next((line for line in lines if line["kind"] == "cap"), None)
            if not adjustment:
                if cap_line:
                    row["lines"].remove(cap_line)
                continue
            if not cap_line:
                count = sum(1 for line in row["lines"] if line["kind"] == "cap")
                cap_line = {
                    "kind": "cap",
                    "rule": "cap",
                    "plan_id": plan.id,
                    "rate": 0.0,
                    "date": row["period"].end,
                    "line_key": f"cap:cap:None:{count + 1}",
                }
                row["lines"].append(cap_line)
            cap_line.update(
                base=float(earned),
                amount=float(adjustment),
                note=f"Capped at {plan.cap:,.{digits}f} (earned {earned:,.{digits}f})",
            )


class SalesperfCommissionLine(models.Model):
    _inherit = "salesperf.commission.line"

    def _compute_rule_label(self):
        result = super()._compute_rule_label()
        for line in self.filtered(lambda line: line.rule == "scorecard"):
            line.rule_label = _("Below the scorecard's minimum rating")
        return result
