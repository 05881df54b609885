# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import fields, models

#: Shares of a target whose crossing is announced, in %.
MILESTONES = (50, 90, 100)


class SalesperfTargetMilestone(models.Model):
    """A milestone of a target that has been announced: at most one per
    target and threshold, so the scheduled action can run any number of
    times."""

    _name = "salesperf.target.milestone"
    _description = "Announced Target Milestone"
    _order = "target_id, threshold"

    target_id = fields.Many2one("salesperf.target", required=True, index=True, ondelete="cascade")
    threshold = fields.Integer(required=True, help="Share of the target reached, in %.")
    company_id = fields.Many2one(related="target_id.company_id", store=True)

    _sql_constraints = [
        (
            "target_threshold_unique",
            "UNIQUE(target_id, threshold)",
            "A milestone is announced once per target.",
        ),
    ]
