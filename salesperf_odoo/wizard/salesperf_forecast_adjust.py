# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import api, fields, models


class SalesperfForecastAdjust(models.TransientModel):
    """A manager adjusts a salesperson's submitted forecast, with a note
    kept in its history. The submission checks who may do it: when the
    wizard is opened (:meth:`default_get`), created and applied. Its
    submission's figures are read with the user's own rights
    (``related_sudo=False``), never as superuser: a wizard made on a
    submission the user may not adjust shows nothing."""

    _name = "salesperf.forecast.adjust"
    _description = "Adjust a Forecast"

    submission_id = fields.Many2one(
        "salesperf.forecast.submission", required=True, ondelete="cascade"
    )
    user_id = fields.Many2one(related="submission_id.user_id", related_sudo=False)
    currency_id = fields.Many2one(related="submission_id.currency_id", related_sudo=False)
    commit_amount = fields.Monetary(
        string="Submitted Commit", related="submission_id.commit_amount", related_sudo=False
    )
    best_case_amount = fields.Monetary(
        string="Submitted Best Case",
        related="submission_id.best_case_amount",
        related_sudo=False,
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

    @api.model
    def default_get(self, fields_list):
        """Refuse to open the wizard on a submission the user may not adjust."""
        values = super().default_get(fields_list)
        if values.get("submission_id"):
            self._submissions([values["submission_id"]])._check_can_adjust()
        return values

    @api.model_create_multi
    def create(self, vals_list):
        """Checked before anything is written: only on submissions the user
        may adjust (the defaults are checked by :meth:`default_get`)."""
        self._submissions([vals.get("submission_id") for vals in vals_list])._check_can_adjust()
        return super().create(vals_list)

    @api.model
    def _submissions(self, ids):
        return self.env["salesperf.forecast.submission"].browse(
            sorted({submission_id for submission_id in ids if isinstance(submission_id, int)})
        )

    def action_apply(self):
        self.ensure_one()
        self.submission_id._adjust(self.adjusted_commit, self.adjusted_best_case, self.note)
        return {"type": "ir.actions.act_window_close"}
