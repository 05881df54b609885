# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import logging
from datetime import timedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..engine.periods import period_containing, previous_period
from .salesperf_target import PERIOD_KINDS

_logger = logging.getLogger(__name__)

#: What a period report is about.
REPORT_SCOPES = [("company", "Company"), ("team", "Sales Team"), ("user", "Salesperson")]
PERIOD_REPORT_ACTION = "salesperf_odoo.action_report_salesperf_period"
MAIL_TEMPLATE = "salesperf_odoo.mail_template_salesperf_report_schedule"


class SalesperfReportSchedule(models.Model):
    """Send the period report of a company, a team or a salesperson by email
    once each period has closed, on a chosen day of the next one.

    Each period is sent once: the schedule keeps the start of the last
    period it sent, written before anything is rendered, in the same
    transaction as the emails (a second run of the scheduled action finds
    it sent). A recipient who is a user gets the report rendered as
    themselves, so that their rights hold (a salesperson reading a team's
    schedule gets nothing but a note in the log); a recipient who is only a
    contact gets it rendered as the schedule's sender. Sales Performance
    administrators and "All Documents" users configure schedules.
    """

    _name = "salesperf.report.schedule"
    _inherit = ["mail.thread"]
    _description = "Sales Performance Report Schedule"
    _order = "company_id, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    scope = fields.Selection(
        REPORT_SCOPES, string="Report On", required=True, default="company", tracking=True
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", check_company=True, tracking=True)
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        tracking=True,
    )
    period_kind = fields.Selection(
        PERIOD_KINDS, string="Period", required=True, default="month", tracking=True
    )
    file_format = fields.Selection(
        [("pdf", "PDF"), ("xlsx", "Excel workbook"), ("both", "PDF and Excel workbook")],
        string="Format",
        required=True,
        default="pdf",
    )
    recipient_user_ids = fields.Many2many(
        "res.users",
        "salesperf_report_schedule_user_rel",
        "schedule_id",
        "user_id",
        string="Recipient Users",
        domain="[('share', '=', False)]",
        help="Each gets the report as they may see it themselves.",
    )
    recipient_partner_ids = fields.Many2many(
        "res.partner",
        "salesperf_report_schedule_partner_rel",
        "schedule_id",
        "partner_id",
        string="Other Recipients",
        help="Contacts who are not users: they get the report as the sender sees it.",
    )
    owner_id = fields.Many2one(
        "res.users",
        string="Sent As",
        required=True,
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
        help="Whose rights the report is rendered with for recipients who are not users.",
    )
    send_day = fields.Integer(
        string="Send On Day",
        required=True,
        default=1,
        help="Day of the next period (1 to 28, in the company's time zone) from which the "
        "report of a closed period is sent.",
    )
    last_period_start = fields.Date(
        string="Last Period Sent",
        readonly=True,
        copy=False,
        help="First day of the last period whose report was sent.",
    )
    last_period_label = fields.Char(string="Last Period", compute="_compute_last_period_label")

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("last_period_start", "period_kind")
    @api.depends_context("lang")
    def _compute_last_period_label(self):
        report = self.env["salesperf.period.report"]
        for schedule in self:
            schedule.last_period_label = (
                report._report_period_label(
                    period_containing(schedule.period_kind, schedule.last_period_start)
                )
                if schedule.last_period_start and schedule.period_kind
                else False
            )

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("scope", "team_id", "user_id", "company_id")
    def _check_scope(self):
        for schedule in self:
            if schedule.scope == "team" and not schedule.team_id:
                raise ValidationError(_("A report on a sales team needs the sales team."))
            if schedule.scope == "user" and not schedule.user_id:
                raise ValidationError(_("A report on a salesperson needs the salesperson."))
            if schedule.user_id and schedule.company_id not in schedule.user_id.company_ids:
                raise ValidationError(
                    _(
                        "%(user)s does not work for %(company)s.",
                        user=schedule.user_id.name,
                        company=schedule.company_id.name,
                    )
                )

    @api.constrains("send_day")
    def _check_send_day(self):
        for schedule in self:
            if not 1 <= schedule.send_day <= 28:
                raise ValidationError(
                    _(
                        "The report is sent on a day of the period from 1 to 28, not %(day)s.",
                        day=schedule.send_day,
                    )
                )

    @api.constrains("recipient_user_ids", "recipient_partner_ids")
    def _check_recipients(self):
        for schedule in self:
            if not schedule.recipient_user_ids and not schedule.recipient_partner_ids:
                raise ValidationError(
                    _("Schedule %(name)s needs at least one recipient.", name=schedule.name)
                )

    # ------------------------------------------------------------
    # SENDING
    # ------------------------------------------------------------

    def _due_period(self, today):
        """The closed period to send on ``today`` (the company's day), or
        ``None``: not yet the sending day, or already sent."""
        self.ensure_one()
        current = period_containing(self.period_kind, today)
        if today < current.start + timedelta(days=self.send_day - 1):
            return None
        closed = previous_period(current)
        if self.last_period_start and self.last_period_start >= closed.start:
            return None
        return closed

    @api.model
    def _cron_send_reports(self):
        """Send every active schedule's report of the period just closed,
        once, on or after its sending day in its company's time zone."""
        sent = 0
        for schedule in self.search([]):
            period = schedule._due_period(schedule.company_id._salesperf_today())
            if not period:
                continue
            try:
                # one schedule that fails (a report that cannot be printed)
                # neither stops the others nor counts its period as sent: it
                # is tried again at the next run
                with self.env.cr.savepoint():
                    sent += schedule._send_period(period)
            except Exception:
                _logger.exception(
                    "Sales performance report schedule %s: the report of %s failed",
                    schedule.id,
                    period.start,
                )
        _logger.info("Sales performance report schedules: %s email(s) queued", sent)

    def _send_period(self, period):
        """Mark ``period`` as sent, then render and queue one email per
        recipient; returns the number of emails queued."""
        self.ensure_one()
        # first: whatever fails below, the period is not sent twice
        self.last_period_start = period.start
        label = self.env["salesperf.period.report"]._report_period_label(period)
        readers = [(user, user.partner_id) for user in self.recipient_user_ids] + [
            (self.owner_id, partner) for partner in self.recipient_partner_ids
        ]
        queued = 0
        for reader, partner in readers:
            try:
                files = self._render_files(reader, period)
            except (AccessError, UserError) as error:
                self.message_post(
                    body=_(
                        "The report of %(period)s was not sent to %(recipient)s: %(reason)s",
                        period=label,
                        recipient=partner.display_name,
                        reason=error.args[0] if error.args else str(error),
                    )
                )
                continue
            self._queue_email(partner, files, reader.lang or partner.lang)
            queued += 1
        return queued

    def _render_files(self, reader, period):
        """``[(file name, content)]`` of the report as ``reader`` sees it."""
        self.ensure_one()
        env = (
            self.with_user(reader)
            .with_company(self.company_id)
            .with_context(lang=reader.lang or self.env.lang)
            .env
        )
        if not reader.has_group("salesperf_odoo.group_salesperf_user"):
            raise AccessError(_("%(user)s has no access to Sales Performance.", user=reader.name))
        wizard = env["salesperf.period.report.wizard"].create(
            {
                "period_kind": self.period_kind,
                "reference_date": period.start,
                "company_id": self.company_id.id,
                "scope": self.scope,
                "team_id": self.team_id.id,
                "user_id": self.user_id.id,
            }
        )
        data = wizard._report_data()
        files = []
        if self.file_format in ("pdf", "both"):
            content, extension = env["ir.actions.report"]._render_qweb_pdf(
                PERIOD_REPORT_ACTION, wizard.ids
            )
            files.append((wizard._file_name(data, extension), content))
        if self.file_format in ("xlsx", "both"):
            content, file_name = wizard._xlsx_content(data)
            files.append((file_name, content))
        return files

    def _queue_email(self, partner, files, lang):
        """Queue the schedule's email to ``partner`` with ``files`` attached."""
        self.ensure_one()
        attachments = self.env["ir.attachment"].create(
            [
                {
                    "name": name,
                    "raw": content,
                    "res_model": self._name,
                    "res_id": self.id,
                }
                for name, content in files
            ]
        )
        template = self.env.ref(MAIL_TEMPLATE).with_context(
            lang=lang, salesperf_recipient_name=partner.name
        )
        template.send_mail(
            self.id,
            email_values={
                "recipient_ids": [Command.link(partner.id)],
                "attachment_ids": [Command.link(attachment.id) for attachment in attachments],
            },
            email_layout_xmlid="mail.mail_notification_light",
        )
