# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import api, fields, models


class SalesperfForecastAdjust(models.TransientModel):
    """A manager adjusts a salesperson's submitted forecast, with a note
    kept in its history. The submission checks who may do it."""

    _name = "salesperf.forecast.adjust"
    _description = "Adjust a Forecast"

    submission_id = fields.Many2one(
        "salesperf.forecast.submission", required=True, ondelete="cascade"
    )
    user_id = fields.Many2one(related="submission_id.user_id")
    currency_id = fields.Many2one(related="submission_id.currency_id")
    commit_amount = fields.Monetary(
        string="Submitted Commit", related="submission_id.commit_amount"
    )
    best_case_amount = fields.Monetary(
        string="Submitted Best Case", related="submission_id.best_case_amount"
    )
    adjusted_commit = fields.Monetary()
    adjusted_best_case = fields.Monetary()
    note = fields.Text(
        required=True, help="Why the forecast is adjusted; the salesperson reads it."
    )

    @api.onchange("submission_id")
    def _onchange_submission_id(self):
        """Start from the latest numbers: the adjusted ones if any."""
        submission = self.submission_id
        adjusted = submission.state == "adjusted"
        self.adjusted_commit = submission.adjusted_commit if adjusted else submission.commit_amount
        self.adjusted_best_case = (
            submission.adjusted_best_case if adjusted else submission.best_case_amount
        )

    def action_apply(self):
        self.ensure_one()
        self.submission_id._adjust(self.adjusted_commit, self.adjusted_best_case, self.note)
        return {"type": "ir.actions.act_window_close"}
