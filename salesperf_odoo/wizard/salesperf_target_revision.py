# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import fields, models


class SalesperfTargetRevision(models.TransientModel):
    """Change a confirmed target, with the reason kept in its chatter."""

    _name = "salesperf.target.revision"
    _description = "Revise a Sales Target"

    target_id = fields.Many2one("salesperf.target", required=True, ondelete="cascade")
    amount = fields.Float(string="New Target", required=True, digits=(16, 2))
    reason = fields.Text(required=True)

    def action_apply(self):
        self.ensure_one()
        self.target_id._revise(self.amount, self.reason)
        return {"type": "ir.actions.act_window_close"}
