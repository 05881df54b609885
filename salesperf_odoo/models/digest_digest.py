# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import timedelta

import pytz

from odoo import _, fields, models
from odoo.exceptions import AccessError

from ..engine.periods import Period, period_containing
from .salesperf_kpi import ALL_DOCUMENTS_GROUP

#: Finest first: a day takes its share of the finest company target covering it.
TARGET_KINDS = ("month", "quarter", "year")


class DigestDigest(models.Model):
    """Sales Performance KPIs in Odoo's periodic digest: the company's revenue
    against its revenue target, the attainment, the pipeline coverage of what
    is left of the month's target and the new customers.

    Each value is measured over the whole days of the digest's time frame in
    the company's time zone: from the day its start falls on to the day
    before its end (the last 7 days are the 7 days before today). The
    company's revenue target of a day is its share of the finest confirmed
    company revenue target covering it: a month's target divided by the
    month's days, else a quarter's or a year's.
    """

    _inherit = "digest.digest"

    kpi_salesperf_revenue_target = fields.Boolean(
        string="Revenue against Target",
        help="The company's revenue minus its revenue target for the same days: positive "
        "ahead of the target, negative behind it.",
    )
    kpi_salesperf_revenue_target_value = fields.Monetary(
        compute="_compute_kpi_salesperf_revenue_target_value"
    )
    kpi_salesperf_attainment = fields.Boolean(
        string="Target Attainment (%)",
        help="The company's revenue as a percentage of its revenue target for the same days.",
    )
    kpi_salesperf_attainment_value = fields.Float(compute="_compute_kpi_salesperf_attainment_value")
    kpi_salesperf_pipeline_coverage = fields.Boolean(
        string="Pipeline Coverage",
        help="The weighted open pipeline expected to close by the end of the month, divided "
        "by what is left of the month's revenue target.",
    )
    kpi_salesperf_pipeline_coverage_value = fields.Float(
        compute="_compute_kpi_salesperf_pipeline_coverage_value"
    )
    kpi_salesperf_new_customers = fields.Boolean(
        string="New Customers",
        help="Customers whose first purchase from the company was in the period.",
    )
    kpi_salesperf_new_customers_value = fields.Integer(
        compute="_compute_kpi_salesperf_new_customers_value"
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    def _compute_kpi_salesperf_revenue_target_value(self):
        for digest, company, period in self._salesperf_kpi_periods():
            revenue = self._salesperf_revenue(period, company)
            target = self._salesperf_prorated_target(period, company)
            digest.kpi_salesperf_revenue_target_value = revenue - target

    def _compute_kpi_salesperf_attainment_value(self):
        for digest, company, period in self._salesperf_kpi_periods():
            target = self._salesperf_prorated_target(period, company)
            revenue = self._salesperf_revenue(period, company)
            digest.kpi_salesperf_attainment_value = revenue / target * 100 if target else 0.0

    def _compute_kpi_salesperf_pipeline_coverage_value(self):
        """Weighted open pipeline expected to close from the time frame's end
        to the end of its month, divided by the month's target minus the
        month's revenue before that day (0 once the target is reached)."""
        for digest, company, period in self._salesperf_kpi_periods():
            day = period.end + timedelta(days=1) if period else self._salesperf_end_day(company)
            month = period_containing("month", day)
            target = self._salesperf_prorated_target(month, company)
            done = 0.0
            if day > month.start:
                done = self._salesperf_revenue(
                    Period(month.start, day - timedelta(days=1)), company
                )
            remaining = target - done
            pipeline = (
                self.env["salesperf.target"]
                ._remaining_pipeline(month, "company", company, day)
                .get((company.id, company.id), 0.0)
            )
            digest.kpi_salesperf_pipeline_coverage_value = (
                pipeline / remaining if remaining > 0 else 0.0
            )

    def _compute_kpi_salesperf_new_customers_value(self):
        kpi = self.env["salesperf.kpi"]
        for digest, company, period in self._salesperf_kpi_periods():
            new_customers = 0
            if period:
                measures = kpi._compute_measures(
                    period, "company", company, measures={"new_customers"}
                )
                new_customers = measures.get((company.id, company.id), {}).get("new_customers", 0)
            digest.kpi_salesperf_new_customers_value = new_customers

    # ------------------------------------------------------------
    # TOOLS
    # ------------------------------------------------------------

    def _salesperf_kpi_periods(self):
        """``(digest, company, period)`` per digest: the whole days of the
        time frame in the company's time zone, ``None`` when it holds no
        whole day.

        Company figures are for who reads every document of Sales: for the
        others they would be their own documents' only, so the digest leaves
        these KPIs out of their email (it skips a KPI raising AccessError).
        """
        if not self.env.su and not self.env.user.has_group(ALL_DOCUMENTS_GROUP):
            raise AccessError(
                _("Only users who see all sales documents get the company's sales figures.")
            )
        for digest in self:
            company = digest.company_id or self.env.company
            yield digest, company, self._salesperf_days(company)

    def _salesperf_local_day(self, moment, company):
        """The company's day of a time frame bound (a UTC datetime, naive or aware)."""
        if moment.tzinfo is None:
            moment = pytz.UTC.localize(moment)
        return moment.astimezone(company._salesperf_tz()).date()

    def _salesperf_end_day(self, company):
        end = self.env.context.get("end_datetime")
        return self._salesperf_local_day(end, company) if end else company._salesperf_today()

    def _salesperf_days(self, company):
        start = self.env.context.get("start_datetime")
        end = self.env.context.get("end_datetime")
        if not start or not end:
            # outside a digest's computation: yesterday
            today = company._salesperf_today()
            return Period(today - timedelta(days=1), today - timedelta(days=1))
        first = self._salesperf_local_day(start, company)
        last = self._salesperf_local_day(end, company) - timedelta(days=1)
        return Period(first, last) if first <= last else None

    def _salesperf_revenue(self, period, company):
        if not period:
            return 0.0
        measures = self.env["salesperf.kpi"]._compute_measures(
            period, "company", company, measures={"revenue"}
        )
        return measures.get((company.id, company.id), {}).get("revenue", 0.0)

    def _salesperf_prorated_target(self, period, company):
        """The company's revenue target for the days of ``period``: each
        day's share of the finest confirmed company revenue target covering
        it (the target divided by its period's days), summed unrounded."""
        if not period:
            return 0.0
        targets = self.env["salesperf.target"].search_fetch(
            [
                ("scope", "=", "company"),
                ("company_id", "=", company.id),
                ("metric", "=", "revenue"),
                ("state", "=", "confirmed"),
                ("date_from", "<=", period.end),
                ("date_to", ">=", period.start),
            ],
            ["period_kind", "date_from", "date_to", "amount"],
        )
        by_period = {(target.period_kind, target.date_from): target for target in targets}
        total = 0.0
        day = period.start
        while day <= period.end:
            for kind in TARGET_KINDS:
                containing = period_containing(kind, day)
                target = by_period.get((kind, containing.start))
                if target:
                    total += target.amount / containing.days
                    break
            day += timedelta(days=1)
        return total

    def _compute_kpis_actions(self, company, user):
        res = super()._compute_kpis_actions(company, user)
        menu = self.env.ref("salesperf_odoo.salesperf_menu_root").id
        targets = f"salesperf_odoo.salesperf_target_action?menu_id={menu}"
        res["kpi_salesperf_revenue_target"] = targets
        res["kpi_salesperf_attainment"] = targets
        res["kpi_salesperf_pipeline_coverage"] = (
            f"salesperf_odoo.salesperf_pipeline_forecast_action?menu_id={menu}"
        )
        res["kpi_salesperf_new_customers"] = (
            f"salesperf_odoo.salesperf_performance_action_company?menu_id={menu}"
        )
        return res
