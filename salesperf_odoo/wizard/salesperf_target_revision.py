# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import api, fields, models

from ..models.salesperf_target import check_finite


class SalesperfTargetRevision(models.TransientModel):
    """Change a confirmed target, or take it back to draft, with the reason
    kept in its chatter. The target checks who may do it."""

    _name = "salesperf.target.revision"
    _description = "Revise a Sales Target"

    target_id = fields.Many2one("salesperf.target", required=True, ondelete="cascade")
    mode = fields.Selection(
        [("revise", "Revise the Amount"), ("reset", "Back to Draft")],
        required=True,
        default="revise",
    )
    current_amount = fields.Float(
        string="Current Target", related="target_id.amount", digits=(16, 2)
    )
    amount = fields.Float(string="New Target", digits=(16, 2))
    currency_id = fields.Many2one(related="target_id.amount_currency_id")
    reason = fields.Text(required=True)

    @api.model_create_multi
    def create(self, vals_list):
        check_finite(self, vals_list, ["amount"])
        return super().create(vals_list)

    def write(self, vals):
        check_finite(self, [vals], ["amount"])
        return super().write(vals)

    def action_apply(self):
        self.ensure_one()
        if self.mode == "reset":
            self.target_id._reset_to_draft(self.reason)
        else:
            self.target_id._revise(self.amount, self.reason)
        return {"type": "ir.actions.act_window_close"}
