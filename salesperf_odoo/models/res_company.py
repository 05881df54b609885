# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import datetime, time, timedelta

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

#: Days of the week as ``date.weekday()`` numbers them, Monday first.
WEEKDAYS = [
    ("0", "Monday"),
    ("1", "Tuesday"),
    ("2", "Wednesday"),
    ("3", "Thursday"),
    ("4", "Friday"),
    ("5", "Saturday"),
    ("6", "Sunday"),
]


class ResCompany(models.Model):
    _inherit = "res.company"

    salesperf_ranking_show_amounts = fields.Boolean(
        string="Show Amounts in Ranking",
        default=True,
        help="When off, salespeople see only ranks and percentages of others, not amounts.",
    )
    salesperf_pace_ahead = fields.Float(
        string="Ahead From",
        default=1.10,
        help="Actual / expected-to-date from which a target is ahead.",
    )
    salesperf_pace_on_track = fields.Float(string="On Track From", default=0.95)
    salesperf_pace_at_risk = fields.Float(
        string="At Risk From", default=0.80, help="Below this ratio a target is behind."
    )
    salesperf_forecast_reminder_day = fields.Integer(
        string="Forecast Reminder Day",
        default=3,
        help="Salespeople who have not submitted their forecast of the month by the end of "
        "this day of the month (1 to 28, in the company's time zone) get a To-Do activity "
        "the next day; the same day of a quarter's first month for the quarter's forecast.",
    )
    salesperf_digest_weekday = fields.Selection(
        WEEKDAYS,
        string="Weekly Digest Day",
        required=True,
        default="0",
        help="The day of the week on which each salesperson gets their weekly performance "
        "email, in their own time zone.",
    )
    salesperf_digest_hour = fields.Integer(
        string="Weekly Digest Hour",
        default=8,
        help="The hour (0 to 23) from which the weekly performance email goes out on its "
        "day, in each recipient's own time zone.",
    )
    salesperf_rfm_bands = fields.Integer(
        string="RFM Score Bands",
        default=5,
        help="Recency, frequency and monetary value are each scored 1 to this number by "
        "quantiles of the company's customers (2 to 10).",
    )
    salesperf_churn_threshold = fields.Float(
        string="At Risk Below",
        default=0.3,
        help="A customer whose probability of still being active (BG/NBD) falls below this "
        "share is at risk, as is one later than twice their usual interval.",
    )
    salesperf_churn_days = fields.Integer(
        string="Churned After (days)",
        default=365,
        help="A customer without a purchase for more days than this counts as churned.",
    )
    salesperf_clv_months = fields.Integer(
        string="Lifetime Value Horizon (months)",
        default=12,
        help="Months of expected purchases counted in a customer's lifetime value.",
    )
    salesperf_clv_discount = fields.Float(
        string="Monthly Discount Rate",
        default=0.01,
        help="Each month's expected purchases are discounted by this rate per month "
        "(0.01 = 1 % a month) in the lifetime value.",
    )

    @api.constrains("salesperf_pace_ahead", "salesperf_pace_on_track", "salesperf_pace_at_risk")
    def _check_salesperf_pacing_thresholds(self):
        for company in self:
            ahead, on_track, at_risk = company._salesperf_pacing_thresholds()
            if not ahead >= on_track >= at_risk >= 0:
                raise ValidationError(
                    _("Pacing thresholds must decrease: ahead ≥ on track ≥ at risk ≥ 0.")
                )

    @api.constrains("salesperf_forecast_reminder_day")
    def _check_salesperf_forecast_reminder_day(self):
        for company in self:
            if not 1 <= company.salesperf_forecast_reminder_day <= 28:
                raise ValidationError(
                    _(
                        "The forecast reminder day is a day of the month from 1 to 28, "
                        "not %(day)s.",
                        day=company.salesperf_forecast_reminder_day,
                    )
                )

    @api.constrains(
        "salesperf_rfm_bands",
        "salesperf_churn_threshold",
        "salesperf_churn_days",
        "salesperf_clv_months",
        "salesperf_clv_discount",
    )
    def _check_salesperf_customer_settings(self):
        for company in self:
            if not 2 <= company.salesperf_rfm_bands <= 10:
                raise ValidationError(_("RFM scores need 2 to 10 bands."))
            if not 0 < company.salesperf_churn_threshold < 1:
                raise ValidationError(
                    _("The at-risk probability must lie strictly between 0 and 1.")
                )
            if company.salesperf_churn_days < 1 or company.salesperf_clv_months < 1:
                raise ValidationError(
                    _("The churn delay and the lifetime value horizon must be at least 1.")
                )
            if not 0 <= company.salesperf_clv_discount < 1:
                raise ValidationError(
                    _("The monthly discount rate must be at least 0 and below 1 (100 %).")
                )

    @api.constrains("salesperf_digest_hour")
    def _check_salesperf_digest_hour(self):
        for company in self:
            if not 0 <= company.salesperf_digest_hour <= 23:
                raise ValidationError(
                    _(
                        "The weekly digest hour is an hour of the day from 0 to 23, not %(hour)s.",
                        hour=company.salesperf_digest_hour,
                    )
                )

    def _salesperf_pacing_thresholds(self):
        self.ensure_one()
        return (
            self.salesperf_pace_ahead,
            self.salesperf_pace_on_track,
            self.salesperf_pace_at_risk,
        )

    def _salesperf_tz(self):
        """The company's time zone (its address'), UTC when unset: the one
        every date of the company is bucketed in."""
        self.ensure_one()
        return pytz.timezone(self.partner_id.tz or "UTC")

    def _salesperf_today(self):
        """Today's date in the company's time zone, whoever asks."""
        self.ensure_one()
        return datetime.now(pytz.UTC).astimezone(self._salesperf_tz()).date()

    def _salesperf_month_start(self):
        """First day of the company's current month."""
        return self._salesperf_today().replace(day=1)

    def _salesperf_working_days(self, period, today):
        """(elapsed, total) working days of ``period`` in the company calendar.

        Elapsed counts the days up to ``today`` (a day of the company, see
        :meth:`_salesperf_today`) included. Each day runs from midnight to
        midnight in the calendar's own time zone, so that a day's attendances
        and public holidays are counted whole, wherever the calendar is.
        Without a calendar, Monday to Friday are working days.
        """
        self.ensure_one()
        calendar = self.resource_calendar_id
        tz = pytz.timezone(calendar.tz or "UTC") if calendar else None

        def local_midnight(day):
            return tz.localize(datetime.combine(day, time.min))

        def count(start, end):
            if end < start:
                return 0
            if not calendar:
                return sum(
                    (start + timedelta(days=offset)).weekday() < 5
                    for offset in range((end - start).days + 1)
                )
            return calendar.get_work_duration_data(
                local_midnight(start),
                local_midnight(end + timedelta(days=1)),
                compute_leaves=True,
            )["days"]

        return count(period.start, min(today, period.end)), count(period.start, period.end)
