# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import logging
import math

from psycopg2 import errors as pg_errors

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression

from ..engine.periods import period_containing

_logger = logging.getLogger(__name__)

SUBMISSION_KINDS = [("month", "Month"), ("quarter", "Quarter")]
SUBMISSION_STATES = [
    ("draft", "Not Submitted"),
    ("submitted", "Submitted"),
    ("adjusted", "Adjusted"),
]
#: Open the submission's fields to the submit, adjust and reminder flows,
#: and to them only: objects, not values, so no client can send them in a
#: context.
SUBMIT = object()
ADJUST = object()
REMIND = object()
#: What each flow may write; nothing else writes these fields.
SUBMIT_FIELDS = {"team_id", "commit_amount", "best_case_amount", "state", "submitted_on"}
ADJUST_FIELDS = {
    "adjusted_commit",
    "adjusted_best_case",
    "manager_note",
    "state",
    "adjusted_by",
    "adjusted_on",
}
#: What the reminder writes: the day it reminded, so once per period.
REMIND_FIELDS = {"reminded_on"}
#: Models whose fields a direct write may change (followers, messages,
#: activities); every other field only through the flows above.
DIRECT_WRITE_MODELS = ("mail.thread", "mail.activity.mixin")
UNIQUE_INDEX = "user_period_unique"
ADMINISTRATOR = "salesperf_odoo.group_salesperf_manager"
TODO = "mail.mail_activity_data_todo"


def check_forecast_amounts(commit, best_case):
    """A commit and a best case a forecast may hold: finite numbers with
    best case ≥ commit ≥ 0, compared as given (never rounded first)."""
    for amount in (commit, best_case):
        if not isinstance(amount, (int, float)) or not math.isfinite(amount):
            raise ValidationError(
                _("A forecast amount must be a number, not %(amount)s.", amount=amount)
            )
    if commit < 0:
        raise ValidationError(
            _("The commit cannot be negative (%(commit)s): enter 0 or more.", commit=commit)
        )
    if best_case < commit:
        raise ValidationError(
            _(
                "The best case (%(best_case)s) cannot be below the commit (%(commit)s): "
                "the best case is what could close on top of what is committed.",
                best_case=best_case,
                commit=commit,
            )
        )


class SalesperfForecastSubmission(models.Model):
    """A salesperson's own forecast of the current month or quarter: what they
    commit to close and their best case, and their manager's adjustment of it
    with a note. Every submission and adjustment is kept as a revision.

    Who may do what (record rules of ``security/ir_rules.xml`` and the checks
    of :meth:`_submit` and :meth:`_adjust`, from who the user is):

    - a salesperson reads their own submissions, and submits (again) the
      current period's until their manager adjusts it;
    - the leader of a team reads the submissions of the team and of its
      current members, and adjusts those of others;
    - an administrator of Sales Performance reads and adjusts every
      submission of their allowed companies; "All Documents" users read them.
    """

    _name = "salesperf.forecast.submission"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Forecast Submission"
    _order = "date_from desc, period_kind, user_id, id"

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        "res.users", string="Salesperson", required=True, index=True, readonly=True
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        index=True,
        readonly=True,
        help="The salesperson's sales team in the company when they last submitted.",
    )
    period_kind = fields.Selection(SUBMISSION_KINDS, string="Period", required=True, readonly=True)
    date_from = fields.Date(
        string="Period Start",
        required=True,
        readonly=True,
        help="First day of the month or quarter, in the company's time zone.",
    )
    date_to = fields.Date(string="Period End", compute="_compute_date_to", store=True)
    commit_amount = fields.Monetary(
        string="Commit",
        readonly=True,
        tracking=True,
        help="Untaxed sales the salesperson commits to confirm in the period.",
    )
    best_case_amount = fields.Monetary(
        string="Best Case",
        readonly=True,
        tracking=True,
        help="Untaxed sales that could be confirmed in the period if the open deals go well.",
    )
    adjusted_commit = fields.Monetary(readonly=True, tracking=True)
    adjusted_best_case = fields.Monetary(readonly=True, tracking=True)
    forecast_commit = fields.Monetary(
        string="Commit Used",
        compute="_compute_forecast_commit",
        store=True,
        help="The manager's adjusted commit once adjusted, the submitted commit before.",
    )
    manager_note = fields.Text(readonly=True)
    state = fields.Selection(
        SUBMISSION_STATES, required=True, default="draft", readonly=True, tracking=True
    )
    submitted_on = fields.Datetime(readonly=True)
    adjusted_by = fields.Many2one("res.users", readonly=True)
    adjusted_on = fields.Datetime(readonly=True)
    revision_ids = fields.One2many(
        "salesperf.forecast.submission.revision", "submission_id", string="History"
    )
    is_current = fields.Boolean(
        string="Current Period",
        compute="_compute_is_current",
        search="_search_is_current",
        help="Whether the period is the company's current month or quarter.",
    )
    reminded_on = fields.Date(
        readonly=True,
        help="When the salesperson was reminded to submit this forecast: once per period.",
    )
    can_submit = fields.Boolean(compute="_compute_can_submit")
    can_adjust = fields.Boolean(compute="_compute_can_adjust")

    _sql_constraints = [
        (
            UNIQUE_INDEX,
            "unique(company_id, user_id, period_kind, date_from)",
            (
                "There is already a forecast submission of this salesperson for this period: "
                "one per salesperson, company and period."
            ),
        )
    ]

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("user_id", "period_kind", "date_from")
    def _compute_name(self):
        for submission in self:
            submission.name = " · ".join(
                part for part in (submission.user_id.name, submission._period_label()) if part
            )

    def _period_label(self):
        self.ensure_one()
        if not self.date_from:
            return ""
        if self.period_kind == "quarter":
            return f"{self.date_from.year} Q{(self.date_from.month - 1) // 3 + 1}"
        return self.date_from.strftime("%Y-%m")

    @api.depends("period_kind", "date_from")
    def _compute_date_to(self):
        for submission in self:
            submission.date_to = (
                period_containing(submission.period_kind, submission.date_from).end
                if submission.period_kind and submission.date_from
                else False
            )

    @api.depends("state", "commit_amount", "adjusted_commit")
    def _compute_forecast_commit(self):
        for submission in self:
            submission.forecast_commit = (
                submission.adjusted_commit
                if submission.state == "adjusted"
                else submission.commit_amount
            )

    def _compute_is_current(self):
        for submission in self:
            submission.is_current = bool(
                submission.date_from
                and submission.date_from
                == submission._current_period_start(submission.company_id, submission.period_kind)
            )

    def _search_is_current(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Unsupported search on the current period."))
        domain = expression.OR(
            [
                [
                    ("company_id", "=", company.id),
                    ("period_kind", "=", kind),
                    ("date_from", "=", self._current_period_start(company, kind)),
                ]
                for company in self.env.companies
                for kind, _label in SUBMISSION_KINDS
            ]
        )
        if (operator == "=") != value:
            return ["!", *domain]
        return domain

    @api.depends("user_id", "state", "date_from")
    @api.depends_context("uid")
    def _compute_can_submit(self):
        for submission in self:
            submission.can_submit = (
                submission.user_id == self.env.user
                and submission.state != "adjusted"
                and submission.is_current
            )

    @api.depends("user_id", "team_id", "state")
    @api.depends_context("uid")
    def _compute_can_adjust(self):
        adjustable = self._origin._adjustable_by_user()
        for submission in self:
            submission.can_adjust = (
                submission.state in ("submitted", "adjusted") and submission._origin in adjustable
            )

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("commit_amount", "best_case_amount", "adjusted_commit", "adjusted_best_case")
    def _check_amounts(self):
        for submission in self.filtered(lambda s: s.state != "draft"):
            check_forecast_amounts(submission.commit_amount, submission.best_case_amount)
            if submission.state == "adjusted":
                check_forecast_amounts(submission.adjusted_commit, submission.adjusted_best_case)

    @api.constrains("period_kind", "date_from")
    def _check_period_start(self):
        kinds = dict(self._fields["period_kind"]._description_selection(self.env))
        for submission in self:
            start = period_containing(submission.period_kind, submission.date_from).start
            if submission.date_from != start:
                raise ValidationError(
                    _(
                        "A forecast of a %(kind)s starts on the first day of its period "
                        "(%(start)s), not on %(day)s.",
                        # the period's name in the user's language
                        kind=kinds[submission.period_kind].lower(),
                        start=start,
                        day=submission.date_from,
                    )
                )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        """Submissions come from :meth:`_submit` (a salesperson's own) and the
        reminder (a draft to submit), never from a client's ``create``."""
        if self.env.context.get("salesperf_forecast_submission") not in (SUBMIT, REMIND):
            raise AccessError(
                _("Forecasts are submitted with Submit Forecast, not created directly.")
            )
        try:
            # a savepoint, so that a duplicate caught by the unique index (a
            # concurrent transaction) leaves nothing written
            with self.env.cr.savepoint(flush=False):
                submissions = super().create(vals_list)
                submissions.flush_recordset()
        except pg_errors.UniqueViolation as error:
            if error.diag.constraint_name != f"{self._table}_{UNIQUE_INDEX}":
                raise
            raise ValidationError(
                _(
                    "There is already a forecast submission of this salesperson for this "
                    "period: one per salesperson, company and period. Submit again to "
                    "change it."
                )
            ) from error
        return submissions

    def write(self, vals):
        """Only the chatter's and activities' fields change directly; the
        figures, the period and the salesperson only through the submit,
        adjust and reminder flows (each its own fields), for everybody,
        superuser included: a whitelist, so that no field is left open,
        stored computed ones included."""
        token = self.env.context.get("salesperf_forecast_submission")
        allowed = {SUBMIT: SUBMIT_FIELDS, ADJUST: ADJUST_FIELDS, REMIND: REMIND_FIELDS}.get(
            token, set()
        )
        if refused := set(vals) - allowed - self._direct_write_fields():
            raise AccessError(
                _(
                    "A forecast submission changes only through Submit Forecast (its "
                    "salesperson) and Adjust (their manager), never directly: %(fields)s.",
                    fields=", ".join(
                        self._fields[name]._description_string(self.env) for name in sorted(refused)
                    ),
                )
            )
        return super().write(vals)

    @api.model
    def _direct_write_fields(self):
        """Fields a direct write may change: those of the chatter and the
        activities (mail.thread, mail.activity.mixin), never the log
        columns."""
        names = set()
        for model in DIRECT_WRITE_MODELS:
            names.update(self.env[model]._fields)
        return names - set(models.MAGIC_COLUMNS) - {"display_name"}

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_open_submit(self):
        """Submit (again) this period's forecast."""
        self.ensure_one()
        return self.env["salesperf.forecast.submit"]._action_open(self.company_id, self.period_kind)

    def action_open_adjust(self):
        self.ensure_one()
        self._check_can_adjust()
        return {
            "type": "ir.actions.act_window",
            "name": _("Adjust Forecast"),
            "res_model": "salesperf.forecast.adjust",
            "view_mode": "form",
            "target": "new",
            "context": {"default_submission_id": self.id},
        }

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    @api.model
    def _current_period_start(self, company, kind):
        """First day of ``company``'s current month or quarter (its time zone)."""
        return period_containing(kind, company._salesperf_today()).start

    @api.model
    def _user_teams(self, users, company):
        """``{user: team}``: each user's sales team in ``company``, their oldest
        active membership of an active team of the company (or of no
        company), as Odoo picks the main team of a user; an empty team for
        users in none. One query whatever the number of users."""
        memberships = (
            self.env["crm.team.member"]
            .sudo()
            .search(
                [
                    ("user_id", "in", users.ids),
                    ("crm_team_id.active", "=", True),
                    ("crm_team_id.company_id", "in", [company.id, False]),
                ],
                order="create_date desc, id desc",
            )
        )
        # the oldest membership comes last and wins
        teams = {membership.user_id: membership.crm_team_id for membership in memberships}
        return {user: teams.get(user, self.env["crm.team"]) for user in users}

    @api.model
    def _submit(self, company, kind, commit, best_case, note=False):
        """The current user submits (again) their forecast of ``company``'s
        current ``kind`` period. Checked first, then written as the user
        (their record rules apply); a revision keeps every submission."""
        check_forecast_amounts(commit, best_case)
        if kind not in dict(SUBMISSION_KINDS):
            raise UserError(_("A forecast is submitted for a month or a quarter."))
        if company not in self.env.companies:
            raise AccessError(
                _(
                    "You cannot submit a forecast in %(company)s: it is not one of your "
                    "allowed companies.",
                    company=company.sudo().name,
                )
            )
        user = self.env.user
        date_from = self._current_period_start(company, kind)
        submission = self.search(
            [
                ("company_id", "=", company.id),
                ("user_id", "=", user.id),
                ("period_kind", "=", kind),
                ("date_from", "=", date_from),
            ]
        )
        if submission.state == "adjusted":
            raise UserError(
                _(
                    "Your forecast %(forecast)s was adjusted by %(manager)s on %(date)s: it "
                    "can no longer be submitted again. Ask them to adjust it.",
                    forecast=submission.name,
                    manager=submission.adjusted_by.name,
                    date=fields.Date.to_string(submission.adjusted_on.date()),
                )
            )
        vals = {
            "team_id": self._user_teams(user, company)[user].id,
            "commit_amount": commit,
            "best_case_amount": best_case,
            "state": "submitted",
            "submitted_on": fields.Datetime.now(),
        }
        if submission:
            submission.with_context(salesperf_forecast_submission=SUBMIT).write(vals)
        else:
            submission = self.with_context(salesperf_forecast_submission=SUBMIT).create(
                {
                    "company_id": company.id,
                    "user_id": user.id,
                    "period_kind": kind,
                    "date_from": date_from,
                    **vals,
                }
            )
            submission = submission.with_context(salesperf_forecast_submission=None)
        submission._add_revision("submitted", commit, best_case, note)
        # the reminder is answered
        submission.activity_feedback([TODO], user_id=user.id, feedback=_("Forecast submitted."))
        return submission

    def _adjustable_by_user(self):
        """The submissions of ``self`` the current user may adjust: never their
        own; an administrator's of their allowed companies, a team leader's of
        the teams they lead and of those teams' current members."""
        user = self.env.user
        others = self.filtered(lambda s: s.user_id != user)
        if not others:
            return others
        administered = self.browse()
        if user.has_group(ADMINISTRATOR):
            administered = others.filtered(lambda s: s.company_id in self.env.companies)
        members = (
            self.env["crm.team.member"]
            .sudo()
            .search(
                [
                    ("user_id", "in", others.user_id.ids),
                    ("crm_team_id.active", "=", True),
                    ("crm_team_id.user_id", "=", user.id),
                ]
            )
            .user_id
        )
        led = others.filtered(lambda s: s.user_id in members or s.team_id.user_id == user)
        return administered | led

    def _check_can_adjust(self):
        """:class:`AccessError` unless the current user may read and adjust
        every submission of ``self``."""
        self.check_access("read")
        if refused := self - self._adjustable_by_user():
            raise AccessError(
                _(
                    "Only the salesperson's team leader or a Sales Performance administrator "
                    "adjusts a forecast, never its own salesperson: %(forecasts)s.",
                    forecasts=", ".join(refused.mapped("name")),
                )
            )

    def _adjust(self, commit, best_case, note):
        """The current user adjusts this submitted forecast with a note.

        Checked first from who the user is (:meth:`_check_can_adjust`), then
        written with sudo: a team leader adjusts his members' forecasts
        without the right to write them otherwise.
        """
        self.ensure_one()
        self._check_can_adjust()
        check_forecast_amounts(commit, best_case)
        if not (note or "").strip():
            raise UserError(_("An adjustment needs a note saying why."))
        if self.state == "draft":
            raise UserError(
                _(
                    "%(user)s has not submitted the forecast %(forecast)s yet: only a "
                    "submitted forecast is adjusted.",
                    user=self.user_id.name,
                    forecast=self.name,
                )
            )
        # sudo: checked just above (the leader of the salesperson's team, or
        # an administrator, on a submission they may read)
        self.sudo().with_context(salesperf_forecast_submission=ADJUST).write(
            {
                "adjusted_commit": commit,
                "adjusted_best_case": best_case,
                "manager_note": note,
                "state": "adjusted",
                "adjusted_by": self.env.uid,
                "adjusted_on": fields.Datetime.now(),
            }
        )
        self._add_revision("adjusted", commit, best_case, note)
        self.sudo().message_post(
            body=_(
                "Forecast adjusted by %(manager)s: commit %(commit)s, best case "
                "%(best_case)s. Note: %(note)s",
                manager=self.env.user.name,
                commit=self._format_amount(commit),
                best_case=self._format_amount(best_case),
                note=note,
            ),
            partner_ids=self.user_id.partner_id.ids,
            author_id=self.env.user.partner_id.id,
            subtype_xmlid="mail.mt_note",
        )
        return True

    def _add_revision(self, kind, commit, best_case, note):
        self.ensure_one()
        # sudo: the history is written by the submit and adjust flows only,
        # each of which has just checked the user's right to do it; nobody
        # writes a revision directly
        self.env["salesperf.forecast.submission.revision"].sudo().create(
            {
                "submission_id": self.id,
                "kind": kind,
                "commit_amount": commit,
                "best_case_amount": best_case,
                "note": note or False,
                "author_id": self.env.uid,
            }
        )

    def _format_amount(self, amount):
        self.ensure_one()
        return self.currency_id.format(amount)

    # ------------------------------------------------------------
    # REMINDER
    # ------------------------------------------------------------

    @api.model
    def _cron_remind_submissions(self):
        """Remind whoever has not submitted by each company's reminder day.

        The rule, per company and in its time zone, with ``N`` its reminder
        day (1 to 28): once day ``N`` of a month is over, every salesperson
        of its active teams who has not submitted their forecast of that
        month gets a To-Do on that month's submission (a draft made for it
        if need be); likewise for the quarter, once day ``N`` of the
        quarter's first month is over (e.g. with ``N`` = 3, from 4 April on
        for the second quarter). One reminder per salesperson and period:
        never a second one, even once the first is done or deleted.
        """
        reminded = 0
        for company in self.env["res.company"].search([]):
            today = company._salesperf_today()
            for kind, _label in SUBMISSION_KINDS:
                if today > self._reminder_date(company, kind, today):
                    reminded += self._remind_company(company, today, kind)
        _logger.info("Forecast submissions: %s reminder(s) scheduled", reminded)

    @api.model
    def _reminder_date(self, company, kind, today):
        """The last day to submit the ``kind`` period containing ``today``
        before the reminder: day N of the period's first month."""
        start = period_containing(kind, today).start
        return start.replace(day=company.salesperf_forecast_reminder_day)

    @api.model
    def _forecasting_salespeople(self, company):
        """Active internal users who are active members of an active team of
        ``company`` (or of a team of no company, if they work for it)."""
        members = (
            self.env["crm.team.member"]
            .sudo()
            .search(
                [
                    ("active", "=", True),
                    ("crm_team_id.active", "=", True),
                    ("crm_team_id.company_id", "in", [company.id, False]),
                    ("user_id.active", "=", True),
                    ("user_id.share", "=", False),
                    ("user_id.company_ids", "in", company.ids),
                ]
            )
        )
        return members.user_id

    @api.model
    def _remind_company(self, company, today, kind="month"):
        """Remind ``company``'s salespeople who have not submitted their
        forecast of the ``kind`` period containing ``today``, and were not
        reminded of it yet. Returns the number of reminders."""
        users = self._forecasting_salespeople(company)
        if not users:
            return 0
        period = period_containing(kind, today)
        Submission = self.sudo().with_context(salesperf_forecast_submission=REMIND)
        submissions = Submission.search(
            [
                ("company_id", "=", company.id),
                ("user_id", "in", users.ids),
                ("period_kind", "=", kind),
                ("date_from", "=", period.start),
            ]
        )
        by_user = {submission.user_id: submission for submission in submissions}
        missing = users.filtered(lambda user: user not in by_user)
        if missing:
            teams = self._user_teams(missing, company)
            by_user.update(
                zip(
                    missing,
                    Submission.create(
                        [
                            {
                                "company_id": company.id,
                                "user_id": user.id,
                                "team_id": teams[user].id,
                                "period_kind": kind,
                                "date_from": period.start,
                            }
                            for user in missing
                        ]
                    ),
                    strict=True,
                )
            )
        # once per period: a draft already reminded is not reminded again
        drafts = Submission.browse(
            [
                submission.id
                for submission in by_user.values()
                if submission.state == "draft" and not submission.reminded_on
            ]
        )
        if not drafts:
            return 0
        todo = self.env.ref(TODO)
        model_id = self.env["ir.model"]._get_id(self._name)
        activities = []
        for draft in drafts:
            env = self.with_context(lang=draft.user_id.lang or self.env.lang).env
            label = env["salesperf.kpi"]._period_label(period)
            activities.append(
                {
                    "res_model_id": model_id,
                    "res_id": draft.id,
                    "activity_type_id": todo.id,
                    "automated": True,
                    "user_id": draft.user_id.id,
                    "date_deadline": today,
                    "summary": env._("Submit your forecast of %(period)s", period=label),
                    "note": env._(
                        "Enter your commit and best case for %(period)s with Submit "
                        "Forecast; your manager sees them in the team's roll-up.",
                        period=label,
                    ),
                }
            )
        self.env["mail.activity"].sudo().create(activities)
        drafts.write({"reminded_on": today})
        return len(activities)


class SalesperfForecastSubmissionRevision(models.Model):
    """One submission or adjustment of a forecast, as it was made."""

    _name = "salesperf.forecast.submission.revision"
    _description = "Forecast Submission History"
    _order = "date desc, id desc"

    submission_id = fields.Many2one(
        "salesperf.forecast.submission", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="submission_id.company_id", store=True, index=True)
    user_id = fields.Many2one(
        related="submission_id.user_id", string="Salesperson", store=True, index=True
    )
    team_id = fields.Many2one(related="submission_id.team_id", string="Sales Team", store=True)
    currency_id = fields.Many2one(related="submission_id.currency_id")
    kind = fields.Selection(
        [("submitted", "Submitted"), ("adjusted", "Adjusted")], required=True, readonly=True
    )
    commit_amount = fields.Monetary(string="Commit", readonly=True)
    best_case_amount = fields.Monetary(string="Best Case", readonly=True)
    note = fields.Text(readonly=True)
    author_id = fields.Many2one("res.users", string="By", required=True, readonly=True)
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
