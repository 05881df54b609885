# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import api, fields, models

#: Forecasting methods a line may name (codes of ``engine.forecast.METHODS``).
FORECAST_METHODS = [
    ("mean", "Mean"),
    ("naive", "Naive"),
    ("snaive", "Seasonal naive"),
    ("ses", "Simple exponential smoothing"),
    ("theta", "Theta"),
    ("damped", "Damped trend"),
    ("damped_seasonal", "Damped trend, seasonal"),
    ("arima", "ARIMA"),
    ("croston_sba", "Croston (SBA)"),
    ("combination", "Combination"),
]

FORECAST_LEVELS = [
    ("company", "Company"),
    ("team", "Sales Team"),
    ("user", "Salesperson"),
    ("cell", "Salesperson in a Team"),
    ("category", "Product Category"),
    ("customer", "Customer"),
]


class SalesperfForecastRun(models.Model):
    """One statistical forecast of every revenue series of a company.

    Queued by a manager or by the scheduled action, computed by the
    scheduled action in batches of series, reconciled once every series has
    its base forecast.
    """

    _name = "salesperf.forecast.run"
    _description = "Sales Forecast Run"
    _order = "date_start desc, id desc"

    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        "res.users",
        string="Requested By",
        default=lambda self: self.env.user,
        help="Who asked for the run; empty when the scheduled action queued it.",
    )
    state = fields.Selection(
        [("queued", "Queued"), ("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        required=True,
        default="queued",
        index=True,
    )
    date_start = fields.Date(
        string="First Forecast Month",
        required=True,
        help="First day of the company's month when the run was queued (h = 1).",
    )
    horizon = fields.Integer(default=18, required=True, help="Months forecast, from the first.")
    history_from = fields.Date(
        string="History From", readonly=True, help="First month of history read."
    )
    history_to = fields.Date(
        string="History To", readonly=True, help="Last closed month of history read."
    )
    series_total = fields.Integer(string="Series", readonly=True)
    series_done = fields.Integer(string="Series Forecast", readonly=True)
    series_data = fields.Json(
        readonly=True,
        prefetch=False,
        copy=False,
        help="The monthly revenue of every series, read once when the run starts, "
        "so that every batch forecasts the same history.",
    )
    date_done = fields.Datetime(string="Finished On", readonly=True)
    error_message = fields.Text(readonly=True)
    line_ids = fields.One2many("salesperf.forecast.line", "run_id", string="Lines", readonly=True)

    @api.model
    def _latest_done(self, company):
        """The latest finished run of ``company`` (an empty recordset if none)."""
        return self.search(
            [("company_id", "=", company.id), ("state", "=", "done")],
            order="date_start desc, id desc",
            limit=1,
        )


class SalesperfForecastLine(models.Model):
    """The forecast of one series for one month of a run."""

    _name = "salesperf.forecast.line"
    _description = "Sales Forecast Line"
    _order = "run_id desc, level, series_key, date"

    run_id = fields.Many2one(
        "salesperf.forecast.run", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, index=True)
    currency_id = fields.Many2one("res.currency", string="Company Currency", required=True)
    level = fields.Selection(FORECAST_LEVELS, required=True, index=True)
    series_key = fields.Char(
        required=True,
        index=True,
        help='Which series: "company", "team:3", "user:7", "team:3:user:7", "categ:5", '
        '"partner:9" (0 for a missing team or salesperson).',
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", index=True)
    user_id = fields.Many2one("res.users", string="Salesperson", index=True)
    categ_id = fields.Many2one("product.category", string="Product Category")
    partner_id = fields.Many2one("res.partner", string="Customer")
    date = fields.Date(string="Month", required=True, help="First day of the month forecast.")
    forecast = fields.Monetary(help="Untaxed revenue forecast, after reconciliation.")
    base_forecast = fields.Monetary(help="The series' own forecast, before reconciliation.")
    lo80 = fields.Monetary(string="80 % Low")
    hi80 = fields.Monetary(string="80 % High")
    lo95 = fields.Monetary(string="95 % Low")
    hi95 = fields.Monetary(string="95 % High")
    method = fields.Selection(FORECAST_METHODS)
    backtest_mase = fields.Float(
        string="Backtest MASE",
        help="Rolling-origin error of the chosen method, scaled by the seasonal naive "
        "in-sample error (below 1 beats it); empty when the history is too short.",
    )
    scale = fields.Float(help="In-sample mean absolute error of the seasonal naive method.")
    history_months = fields.Integer(help="Closed months of history the series had.")
    pipeline_weighted = fields.Monetary(
        help="Open opportunities expected to close that month, at expected revenue × "
        "probability, when the run was made."
    )
    pipeline_calibrated = fields.Monetary(
        help="The same opportunities at the win rate of their stage in the team's history."
    )
