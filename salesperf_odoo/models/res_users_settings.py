# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import fields, models


class ResUsersSettings(models.Model):
    _inherit = "res.users.settings"

    salesperf_pipeline_goals_folded = fields.Boolean(
        string="Pipeline Goals Folded",
        help="Whether the goals panel above the CRM pipeline is folded to one line.",
    )
