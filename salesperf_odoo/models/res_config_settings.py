# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    salesperf_ranking_show_amounts = fields.Boolean(
        related="company_id.salesperf_ranking_show_amounts", readonly=False
    )
    salesperf_pace_ahead = fields.Float(related="company_id.salesperf_pace_ahead", readonly=False)
    salesperf_pace_on_track = fields.Float(
        related="company_id.salesperf_pace_on_track", readonly=False
    )
    salesperf_pace_at_risk = fields.Float(
        related="company_id.salesperf_pace_at_risk", readonly=False
    )
    salesperf_forecast_reminder_day = fields.Integer(
        related="company_id.salesperf_forecast_reminder_day", readonly=False
    )
    salesperf_digest_weekday = fields.Selection(
        related="company_id.salesperf_digest_weekday", readonly=False
    )
    salesperf_digest_hour = fields.Integer(
        related="company_id.salesperf_digest_hour", readonly=False
    )
    salesperf_rfm_bands = fields.Integer(related="company_id.salesperf_rfm_bands", readonly=False)
    salesperf_churn_threshold = fields.Float(
        related="company_id.salesperf_churn_threshold", readonly=False
    )
    salesperf_churn_days = fields.Integer(related="company_id.salesperf_churn_days", readonly=False)
    salesperf_clv_months = fields.Integer(related="company_id.salesperf_clv_months", readonly=False)
    salesperf_clv_discount = fields.Float(
        related="company_id.salesperf_clv_discount", readonly=False
    )
