# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import base64
import io
import re
from datetime import timedelta

from odoo import _, api, fields, models

from ..engine.periods import period_containing
from ..engine.report_xlsx import write_period_report
from ..models.salesperf_kpi import ALL_DOCUMENTS_GROUP
from ..models.salesperf_report_schedule import PERIOD_REPORT_ACTION, REPORT_SCOPES
from ..models.salesperf_target import PERIOD_KINDS
from ..report.salesperf_period_report import MANAGER_GROUP


class SalesperfPeriodReportWizard(models.TransientModel):
    """Print the sales performance report of a month, quarter or year, for
    the company, a sales team or a salesperson, as a PDF or an Excel
    workbook. Both render the same figures (``salesperf.period.report``),
    which checks who may report on what: the choices below are only what
    the client sends."""

    _name = "salesperf.period.report.wizard"
    _description = "Sales Performance Period Report"

    period_kind = fields.Selection(PERIOD_KINDS, string="Period", required=True, default="month")
    reference_date = fields.Date(
        string="Any Day In Period",
        required=True,
        default=lambda self: self._default_reference_date(),
        help="By default the last closed month.",
    )
    date_from = fields.Date(compute="_compute_dates")
    date_to = fields.Date(compute="_compute_dates")
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
    )
    scope = fields.Selection(
        REPORT_SCOPES,
        string="Report On",
        required=True,
        default=lambda self: self._default_scope(),
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        default=lambda self: self._default_team_id(),
        domain="[('company_id', 'in', [company_id, False])]",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        default=lambda self: self.env.user,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
    )
    is_own_only = fields.Boolean(
        compute="_compute_is_own_only",
        help="The user reports only on themselves: neither all documents nor a team to lead.",
    )
    file_data = fields.Binary(string="File", attachment=False, readonly=True)
    file_name = fields.Char(readonly=True)

    # ------------------------------------------------------------
    # DEFAULTS AND COMPUTES
    # ------------------------------------------------------------

    @api.model
    def _default_reference_date(self):
        """The last day of the last closed month, in the company's time zone."""
        return self.env.company._salesperf_month_start() - timedelta(days=1)

    @api.model
    def _sees_whole_company(self):
        user = self.env.user
        return user.has_group(ALL_DOCUMENTS_GROUP) or user.has_group(MANAGER_GROUP)

    @api.model
    def _led_teams(self):
        return self.env["crm.team"].search([("user_id", "=", self.env.uid)])

    @api.model
    def _default_scope(self):
        if self._sees_whole_company():
            return "company"
        return "team" if self._led_teams() else "user"

    @api.model
    def _default_team_id(self):
        return self._led_teams()[:1] or self.env.user.sale_team_id

    @api.depends("company_id")
    @api.depends_context("uid")
    def _compute_is_own_only(self):
        own_only = not self._sees_whole_company() and not self._led_teams()
        for wizard in self:
            wizard.is_own_only = own_only

    @api.depends("period_kind", "reference_date")
    def _compute_dates(self):
        for wizard in self:
            if wizard.period_kind and wizard.reference_date:
                period = wizard._get_period()
                wizard.date_from, wizard.date_to = period.start, period.end
            else:
                wizard.date_from = wizard.date_to = False

    @api.onchange("scope")
    def _onchange_scope(self):
        if self.scope == "user" and not self.user_id:
            self.user_id = self.env.user

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_print_pdf(self):
        """The PDF, through Odoo's report engine; the figures are checked
        (rights, empty period) before the report is queued for printing."""
        self.ensure_one()
        self._report_data()
        return self.env.ref(PERIOD_REPORT_ACTION).report_action(self)

    def action_export_xlsx(self):
        """Write the Excel workbook, keep it on the wizard and download it."""
        self.ensure_one()
        content, file_name = self._xlsx_content()
        self.write({"file_data": base64.b64encode(content), "file_name": file_name})
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/file_data/{file_name}?download=true",
            "target": "download",
        }

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _get_period(self):
        self.ensure_one()
        return period_containing(self.period_kind, self.reference_date)

    def _report_data(self):
        """The report's figures for the wizard's choices, checked by the
        report model against who the user is."""
        self.ensure_one()
        return self.env["salesperf.period.report"]._report_data(
            self.scope,
            self._get_period(),
            self.company_id,
            team=self.team_id if self.scope == "team" else None,
            user=self.user_id if self.scope == "user" else None,
        )

    def _xlsx_content(self, data=None):
        """``(workbook bytes, file name)`` of the report."""
        data = data or self._report_data()
        output = io.BytesIO()
        write_period_report(data, output)
        return output.getvalue(), self._file_name(data, "xlsx")

    @api.model
    def _file_name(self, data, extension):
        stem = re.sub(r"[^\w\- ]+", "", f"{data['scope']['name']} {data['period']['label']}")
        title = _("Sales Performance")
        return f"{title} - {stem.strip()}.{extension}"
