# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import _, api, fields, models

from ..engine.periods import period_containing
from ..models.salesperf_forecast_submission import SUBMISSION_KINDS, SUBMISSION_STATES


class SalesperfForecastSubmit(models.TransientModel):
    """A salesperson enters their own commit and best case of the current
    month or quarter; submitting again replaces the numbers and keeps the
    earlier ones in the history."""

    _name = "salesperf.forecast.submit"
    _description = "Submit a Forecast"

    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    period_kind = fields.Selection(
        SUBMISSION_KINDS, string="Period", required=True, default="month"
    )
    date_from = fields.Date(string="Period Start", compute="_compute_period")
    date_to = fields.Date(string="Period End", compute="_compute_period")
    submission_id = fields.Many2one(
        "salesperf.forecast.submission", string="Current Submission", compute="_compute_period"
    )
    state = fields.Selection(SUBMISSION_STATES, compute="_compute_period")
    adjusted_commit = fields.Monetary(related="submission_id.adjusted_commit")
    adjusted_best_case = fields.Monetary(related="submission_id.adjusted_best_case")
    manager_note = fields.Text(related="submission_id.manager_note")
    commit_amount = fields.Monetary(
        string="Commit", help="Untaxed sales you commit to confirm in the period."
    )
    best_case_amount = fields.Monetary(
        string="Best Case",
        help="Untaxed sales you could confirm in the period if your open deals go well: "
        "at least the commit.",
    )
    note = fields.Text(string="Comment")

    @api.depends("company_id", "period_kind")
    @api.depends_context("uid")
    def _compute_period(self):
        Submission = self.env["salesperf.forecast.submission"]
        for wizard in self:
            if not (wizard.company_id and wizard.period_kind):
                wizard.update(
                    {"date_from": False, "date_to": False, "submission_id": False, "state": False}
                )
                continue
            start = Submission._current_period_start(wizard.company_id, wizard.period_kind)
            submission = Submission.search(
                [
                    ("company_id", "=", wizard.company_id.id),
                    ("user_id", "=", self.env.uid),
                    ("period_kind", "=", wizard.period_kind),
                    ("date_from", "=", start),
                ]
            )
            wizard.date_from = start
            wizard.date_to = period_containing(wizard.period_kind, start).end
            wizard.submission_id = submission
            wizard.state = submission.state or "draft"

    @api.onchange("company_id", "period_kind")
    def _onchange_period(self):
        """Start from the numbers already submitted for the period."""
        self.commit_amount = self.submission_id.commit_amount
        self.best_case_amount = self.submission_id.best_case_amount

    @api.model
    def _action_open(self, company, kind):
        return {
            "type": "ir.actions.act_window",
            "name": _("Submit Forecast"),
            "res_model": self._name,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_company_id": company.id, "default_period_kind": kind},
        }

    def action_submit(self):
        self.ensure_one()
        submission = self.env["salesperf.forecast.submission"]._submit(
            self.company_id,
            self.period_kind,
            self.commit_amount,
            self.best_case_amount,
            self.note,
        )
        return {
            "type": "ir.actions.act_window",
            "name": submission.name,
            "res_model": submission._name,
            "res_id": submission.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }
