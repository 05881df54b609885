# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2 import errors as pg_errors

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.salesperf_odoo.engine.periods import Period

from .common import SalesperfCommon

MAY = date(2025, 5, 1)
APRIL = date(2025, 4, 1)
JUNE = date(2025, 6, 1)
ACCURACY_LOGGER = "odoo.addons.salesperf_odoo.models.salesperf_forecast_accuracy"


class ForecastReviewCommon(SalesperfCommon):
    """Stored forecasts (runs and lines made by hand, not computed) and the
    orders of the months they forecast.

    Team North (Sonia, Sam) is led by Leo, who reads his own documents only;
    Tom's team South has no leader.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.leo = new_test_user(
            cls.env,
            login="leo",
            groups="sales_team.group_sale_salesman",
            name="Leo",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.team_north.user_id = cls.leo

    @classmethod
    def _run(cls, date_start, state="done", company=None):
        return cls.env["salesperf.forecast.run"].create(
            {
                "company_id": (company or cls.company).id,
                "date_start": date_start,
                "state": state,
                "user_id": False,
            }
        )

    @classmethod
    def _line(cls, run, key, month, forecast, scale=10.0, **values):
        level, field_values = {
            "company": ("company", {}),
            "user": ("user", {"user_id": values.pop("user", False)}),
            "team": ("team", {"team_id": values.pop("team", False)}),
            "categ": ("category", {"categ_id": values.pop("categ", False)}),
            "partner": ("customer", {"partner_id": values.pop("partner", False)}),
            "cell": ("cell", values.pop("cell", {})),
        }[key]
        field_values = {name: record.id for name, record in field_values.items() if record}
        if level == "company":
            series_key = "company"
        elif level == "cell":
            series_key = f"team:{field_values['team_id']}:user:{field_values['user_id']}"
        else:
            series_key = f"{key}:{next(iter(field_values.values()), 0)}"
        return cls.env["salesperf.forecast.line"].create(
            {
                "run_id": run.id,
                "company_id": run.company_id.id,
                "currency_id": run.company_id.currency_id.id,
                "level": level,
                "series_key": series_key,
                "date": month,
                "forecast": forecast,
                "base_forecast": forecast,
                "scale": scale,
                **field_values,
                **values,
            }
        )


@tagged("post_install", "-at_install")
class TestForecastAccuracy(ForecastReviewCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # May 2025: Sonia 100, Sam 50 (North 150), Tom 30 (South), company and
        # the widgets category 180; April: Sonia 80
        cls._create_order(
            cls.sonia, cls.customer_a, date(2025, 5, 12), [(cls.product_x, 1, 100, 0)]
        )
        cls._create_order(cls.sam, cls.customer_b, date(2025, 5, 20), [(cls.product_y, 1, 50, 0)])
        cls._create_order(cls.tom, cls.customer_c, date(2025, 5, 31), [(cls.product_y, 1, 30, 0)])
        cls._create_order(cls.sonia, cls.customer_a, date(2025, 4, 2), [(cls.product_x, 1, 80, 0)])
        # June: after the month reviewed
        cls._create_order(cls.sonia, cls.customer_a, date(2025, 6, 1), [(cls.product_x, 1, 500, 0)])

        # lag 1 for May: two done runs of April, the later one counts
        older = cls._run(APRIL)
        cls._line(older, "user", MAY, 999.0, user=cls.sonia)
        cls.run_lag1 = cls._run(APRIL)
        cls._run(APRIL, state="failed")
        cls._line(
            cls.run_lag1,
            "user",
            MAY,
            120.0,
            user=cls.sonia,
            pipeline_weighted=90.0,
            pipeline_calibrated=105.0,
        )
        cls._line(
            cls.run_lag1,
            "team",
            MAY,
            140.0,
            scale=20.0,
            team=cls.team_north,
            pipeline_weighted=100.0,
            pipeline_calibrated=130.0,
        )
        cls._line(cls.run_lag1, "company", MAY, 200.0, scale=25.0)
        cls._line(cls.run_lag1, "categ", MAY, 170.0, categ=cls.category)
        # neither scored: a customer series, a salesperson in a team, another month
        cls._line(cls.run_lag1, "partner", MAY, 10.0, partner=cls.customer_a)
        cls._line(
            cls.run_lag1, "cell", MAY, 10.0, cell={"team_id": cls.team_north, "user_id": cls.sonia}
        )
        cls._line(cls.run_lag1, "user", date(2025, 6, 1), 10.0, user=cls.sonia)
        # made in March: lag 1 for April, lag 2 (not scored) for May
        cls.run_march = cls._run(date(2025, 3, 1))
        cls._line(cls.run_march, "user", APRIL, 50.0, user=cls.sonia)
        cls._line(cls.run_march, "user", MAY, 999.0, user=cls.sonia)
        cls._line(cls.run_march, "user", date(2025, 6, 1), 450.0, user=cls.sonia)
        # lag 3 and lag 6 for May
        cls.run_lag3 = cls._run(date(2025, 2, 1))
        cls._line(cls.run_lag3, "user", MAY, 90.0, user=cls.sonia)
        cls.run_lag6 = cls._run(date(2024, 11, 1))
        cls._line(cls.run_lag6, "user", MAY, 100.0, user=cls.sonia)

        # submissions made during May: Sonia's commit adjusted by Leo, Sam's not
        submissions = cls.env["salesperf.forecast.submission"]
        with freeze_time("2025-05-10 09:00:00"):
            cls.sonia_submission = submissions.with_user(cls.sonia)._submit(
                cls.company, "month", 110.0, 130.0
            )
            submissions.with_user(cls.sam)._submit(cls.company, "month", 60.0, 70.0)
            cls.sonia_submission.with_user(cls.leo)._adjust(95.0, 120.0, "Acme slips to June")

    def _review(self, day="2025-06-03 08:00:00"):
        with freeze_time(day):
            self.env["salesperf.forecast.review"]._cron_review_closed_months()

    def _rows(self, user=None, domain=()):
        accuracy = self.env["salesperf.forecast.accuracy"]
        if user:
            accuracy = accuracy.with_user(user)
        return accuracy.search([("company_id", "=", self.company.id), *domain])

    def _row(self, series_key, source, lag, month=MAY, period_kind="month"):
        rows = self._rows(
            domain=[
                ("series_key", "=", series_key),
                ("source", "=", source),
                ("lag", "=", lag),
                ("date", "=", month),
                ("period_kind", "=", period_kind),
            ]
        )
        self.assertEqual(len(rows), 1, (series_key, source, lag))
        return rows

    def _assert_row(self, row, forecast, actual, error, scale, scaled):
        self.assertAlmostEqual(row.forecast, forecast)
        self.assertAlmostEqual(row.actual, actual)
        self.assertAlmostEqual(row.error, error)
        self.assertAlmostEqual(row.abs_error, abs(error))
        self.assertAlmostEqual(row.scale, scale)
        self.assertAlmostEqual(row.scaled_error, scaled)

    def test_a_closed_month_is_scored_by_hand(self):
        self._review()
        sonia = f"user:{self.sonia.id}"
        # forecast 120, actual 100: error 20, scale 10 -> scaled 2.0
        row = self._row(sonia, "statistical", 1)
        self._assert_row(row, 120.0, 100.0, 20.0, 10.0, 2.0)
        self.assertEqual(row.run_id, self.run_lag1)
        self.assertEqual(
            (row.level, row.user_id, row.team_id), ("user", self.sonia, self.env["crm.team"])
        )
        # pipeline at the calibrated rate 105: 5 / 10 = 0.5; weighted 90: -10 -> 1.0
        self._assert_row(self._row(sonia, "pipeline", 1), 105.0, 100.0, 5.0, 10.0, 0.5)
        self._assert_row(self._row(sonia, "pipeline_weighted", 1), 90.0, 100.0, -10.0, 10.0, 1.0)
        # 3 and 6 months ahead: 90 (-10 -> 1.0) and 100 (0)
        self._assert_row(self._row(sonia, "statistical", 3), 90.0, 100.0, -10.0, 10.0, 1.0)
        self.assertEqual(self._row(sonia, "statistical", 3).run_id, self.run_lag3)
        self._assert_row(self._row(sonia, "statistical", 6), 100.0, 100.0, 0.0, 10.0, 0.0)
        # North: 140 against 100 + 50 = 150: -10, scale 20 -> 0.5
        north = f"team:{self.team_north.id}"
        self._assert_row(self._row(north, "statistical", 1), 140.0, 150.0, -10.0, 20.0, 0.5)
        self._assert_row(self._row(north, "pipeline", 1), 130.0, 150.0, -20.0, 20.0, 1.0)
        # the company: 200 against 180: 20, scale 25 -> 0.8
        self._assert_row(self._row("company", "statistical", 1), 200.0, 180.0, 20.0, 25.0, 0.8)
        # the widgets: 170 against 180: -10 -> 1.0, statistical only
        categ = f"categ:{self.category.id}"
        self._assert_row(self._row(categ, "statistical", 1), 170.0, 180.0, -10.0, 10.0, 1.0)
        self.assertFalse(
            self._rows(domain=[("series_key", "=", categ), ("source", "!=", "statistical")])
        )

    def test_each_lag_and_source_is_picked_from_its_run(self):
        self._review()
        sonia_rows = self._rows(domain=[("series_key", "=", f"user:{self.sonia.id}")])
        # the statistical and both pipeline forecasts 1, 3 and 6 months ahead
        # (the pipeline then stored for May: none, 0), submitted and adjusted;
        # never the lag-2 run's 999 nor the older April run's 999
        self.assertEqual(
            sorted((row.source, row.lag) for row in sonia_rows),
            [
                ("adjusted", 0),
                ("pipeline", 1),
                ("pipeline", 3),
                ("pipeline", 6),
                ("pipeline_weighted", 1),
                ("pipeline_weighted", 3),
                ("pipeline_weighted", 6),
                ("statistical", 1),
                ("statistical", 3),
                ("statistical", 6),
                ("submitted", 0),
            ],
        )
        self.assertEqual(self._row(f"user:{self.sonia.id}", "pipeline", 6).forecast, 0.0)
        self.assertNotIn(999.0, sonia_rows.mapped("forecast"))
        # only May was reviewed; customers, cells and other months are not scored
        self.assertEqual(set(self._rows().mapped("date")), {MAY})
        self.assertEqual(set(self._rows().mapped("level")), {"user", "team", "company", "category"})
        # Tom neither submitted nor has a series
        self.assertFalse(self._rows(domain=[("user_id", "=", self.tom.id)]))

    def test_submitted_and_adjusted_commits_are_scored_at_lag_zero(self):
        self._review()
        sonia = f"user:{self.sonia.id}"
        # submitted 110 against 100: 10; scale of her series in the latest
        # done run up to May (April's): 10 -> 1.0
        submitted = self._row(sonia, "submitted", 0)
        self._assert_row(submitted, 110.0, 100.0, 10.0, 10.0, 1.0)
        self.assertEqual(submitted.submission_id, self.sonia_submission)
        # adjusted by Leo to 95: -5 -> 0.5
        self._assert_row(self._row(sonia, "adjusted", 0), 95.0, 100.0, -5.0, 10.0, 0.5)
        # Sam: 60 against 50, no series of his to scale by: no MASE
        sam = self._row(f"user:{self.sam.id}", "submitted", 0)
        self._assert_row(sam, 60.0, 50.0, 10.0, 0.0, 0.0)
        self.assertFalse(
            self._rows(domain=[("user_id", "=", self.sam.id), ("source", "=", "adjusted")])
        )

    def test_grouped_mase_and_bias(self):
        self._review()
        accuracy = self.env["salesperf.forecast.accuracy"]
        groups = {
            (user.id, source): (mase, bias)
            for user, source, mase, bias in accuracy._read_group(
                [("company_id", "=", self.company.id), ("level", "=", "user")],
                ["user_id", "source"],
                ["mase:avg", "bias_percent:avg"],
            )
        }
        # Sonia's statistical forecasts: MASE (2.0 + 1.0 + 0.0) / 3 = 1.0;
        # bias (20 - 10 + 0) / (100 × 3) × 100 = 3.33 %
        mase, bias = groups[(self.sonia.id, "statistical")]
        self.assertAlmostEqual(mase, 1.0)
        self.assertAlmostEqual(bias, 10 / 300 * 100)
        # Sam's submission has no scale: no MASE (empty, not 0); bias 10 / 50 × 100 = 20 %
        mase, bias = groups[(self.sam.id, "submitted")]
        self.assertIs(mase, False)
        self.assertAlmostEqual(bias, 20.0)
        # both submissions: the MASE of the scaled one only, 1.0; the bias
        # (10 + 10) / (100 + 50) × 100 = 13.33 %
        [(mase, bias)] = accuracy._read_group(
            [
                ("company_id", "=", self.company.id),
                ("source", "=", "submitted"),
                ("level", "=", "user"),
            ],
            [],
            ["mase:avg", "bias_percent:avg"],
        )
        self.assertAlmostEqual(mase, 1.0)
        self.assertAlmostEqual(bias, 20 / 150 * 100)

    def _stored(self, row):
        """The row's score columns as stored: NULL reads None here, where the
        ORM reads 0.0."""
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT scale, scaled_error, mase, bias_percent "
            "FROM salesperf_forecast_accuracy WHERE id = %s",
            [row.id],
        )
        return self.env.cr.fetchone()

    def test_no_scale_or_no_actual_is_stored_empty_not_perfect(self):
        # Lena sold nothing in May; her series had no seasonal-naive error
        self._line(self.run_lag1, "user", MAY, 40.0, scale=0.0, user=self.lena)
        self._review()
        # Sam's submission: 60 against 50, no scale: no MASE, bias 10 / 50 × 100 = 20 %
        sam = self._row(f"user:{self.sam.id}", "submitted", 0)
        scale, scaled_error, mase, bias = self._stored(sam)
        self.assertEqual((scale, scaled_error, mase), (None, None, None))
        self.assertAlmostEqual(bias, 20.0)
        # Lena: 40 against 0, no scale: neither MASE nor bias
        lena = self._row(f"user:{self.lena.id}", "statistical", 1)
        self._assert_row(lena, 40.0, 0.0, 40.0, 0.0, 0.0)
        self.assertEqual(self._stored(lena), (None, None, None, None))
        # Sonia's: 120 against 100, scale 10: 2.0 and 20 / 100 × 100 = 20 %
        sonia = self._row(f"user:{self.sonia.id}", "statistical", 1)
        for stored, expected in zip(self._stored(sonia), (10.0, 2.0, 2.0, 20.0), strict=True):
            self.assertAlmostEqual(stored, expected)
        # grouped: Lena's alone has neither; with Sonia's, MASE 2.0 (hers
        # only, not (2.0 + 0) / 2) and bias (20 + 40) / (100 + 0) × 100 = 60 %
        accuracy = self.env["salesperf.forecast.accuracy"]
        [(mase, bias)] = accuracy._read_group(
            [("id", "=", lena.id)], [], ["mase:avg", "bias_percent:avg"]
        )
        self.assertEqual((mase, bias), (False, False))
        [(mase, bias)] = accuracy._read_group(
            [("id", "in", (lena | sonia).ids)], [], ["mase:avg", "bias_percent:avg"]
        )
        self.assertAlmostEqual(mase, 2.0)
        self.assertAlmostEqual(bias, 60.0)
        # the KPIs count only the rows with a scale: Lena has no forecast MASE
        users = self.env["salesperf.kpi"]._compute_kpis(
            Period(MAY, date(2025, 5, 31), "month"), "user", self.company
        )
        self.assertIsNone(users.get((self.lena.id, self.company.id), {}).get("forecast_mase"))

    def test_submissions_scored_per_team_and_company(self):
        self._review()
        # North: the submissions whose team is North, Sonia's 110 and Sam's 60
        # = 170, against North's 150: 20; North's scale 20 -> 1.0; 20 / 150 × 100
        north = f"team:{self.team_north.id}"
        row = self._row(north, "submitted", 0)
        self._assert_row(row, 170.0, 150.0, 20.0, 20.0, 1.0)
        self.assertEqual(
            (row.level, row.team_id, row.user_id), ("team", self.team_north, self.env["res.users"])
        )
        self.assertFalse(row.submission_id)
        self.assertAlmostEqual(row.bias_percent, 20 / 150 * 100)
        # adjusted: Sonia's 95 as Leo set it, Sam's 60 as submitted = 155: 5 -> 0.25
        self._assert_row(self._row(north, "adjusted", 0), 155.0, 150.0, 5.0, 20.0, 0.25)
        # the company: all submissions, 170 against 180: -10, scale 25 -> 0.4;
        # adjusted 155: -25 -> 1.0
        self._assert_row(self._row("company", "submitted", 0), 170.0, 180.0, -10.0, 25.0, 0.4)
        self._assert_row(self._row("company", "adjusted", 0), 155.0, 180.0, -25.0, 25.0, 1.0)
        # South: nobody submitted, no row
        self.assertFalse(
            self._rows(
                domain=[
                    ("team_id", "=", self.team_south.id),
                    ("source", "in", ("submitted", "adjusted")),
                ]
            )
        )
        # the team leader reads his team's rows, the salesperson her own only
        leo_rows = self._rows(self.leo, [("source", "in", ("submitted", "adjusted"))])
        self.assertIn(self._row(north, "adjusted", 0), leo_rows)
        self.assertEqual(
            set(self._rows(self.sonia, [("source", "=", "submitted")]).mapped("series_key")),
            {f"user:{self.sonia.id}"},
        )

    def test_quarter_submissions_scored_when_the_quarter_closes(self):
        submissions = self.env["salesperf.forecast.submission"]
        with freeze_time("2025-04-10 09:00:00"):
            submissions.with_user(self.sonia)._submit(self.company, "month", 70.0, 90.0)
        with freeze_time("2025-05-12 09:00:00"):
            submissions.with_user(self.sonia)._submit(self.company, "quarter", 300.0, 400.0)
            sam = submissions.with_user(self.sam)._submit(self.company, "quarter", 200.0, 250.0)
            sam.with_user(self.leo)._adjust(150.0, 200.0, "Bolt buys less")
        review = self.env["salesperf.forecast.review"]
        with freeze_time("2025-07-01 08:00:00"):
            # April and May are not a quarter's last month: no quarter row yet
            review._review(self.company, APRIL)
            review._review(self.company, MAY)
            self.assertFalse(self._rows(domain=[("period_kind", "=", "quarter")]))
            review._review(self.company, JUNE)
        quarter = self._rows(domain=[("period_kind", "=", "quarter")])
        self.assertEqual(set(quarter.mapped("date")), {APRIL})
        self.assertEqual(set(quarter.mapped("lag")), {0})
        # the second quarter's actuals: Sonia 80 + 100 + 500 = 680, Sam 50,
        # North 730, the company 680 + 50 + 30 = 760; quarters are not scaled
        sonia_key, sam_key = f"user:{self.sonia.id}", f"user:{self.sam.id}"
        north = f"team:{self.team_north.id}"

        def row(key, source):
            return self._row(key, source, 0, APRIL, "quarter")

        # Sonia: 300 against 680: -380, bias -380 / 680 × 100 = -55.88 %
        sonia = row(sonia_key, "submitted")
        self._assert_row(sonia, 300.0, 680.0, -380.0, 0.0, 0.0)
        self.assertAlmostEqual(sonia.bias_percent, -380 / 680 * 100)
        self.assertEqual(self._stored(sonia)[:3], (None, None, None))
        # Sam: 200 against 50: 150; adjusted 150: 100
        self._assert_row(row(sam_key, "submitted"), 200.0, 50.0, 150.0, 0.0, 0.0)
        self._assert_row(row(sam_key, "adjusted"), 150.0, 50.0, 100.0, 0.0, 0.0)
        # North: 300 + 200 = 500 against 730: -230; adjusted 300 + 150 = 450: -280
        self._assert_row(row(north, "submitted"), 500.0, 730.0, -230.0, 0.0, 0.0)
        self._assert_row(row(north, "adjusted"), 450.0, 730.0, -280.0, 0.0, 0.0)
        # the company: 500 and 450 against 760
        self._assert_row(row("company", "submitted"), 500.0, 760.0, -260.0, 0.0, 0.0)
        self._assert_row(row("company", "adjusted"), 450.0, 760.0, -310.0, 0.0, 0.0)
        self.assertEqual(len(quarter), 7)
        # April's month row of Sonia's submission stays next to the quarter's:
        # 70 against 80, scale 10 -> 1.0
        april = self._row(sonia_key, "submitted", 0, APRIL)
        self._assert_row(april, 70.0, 80.0, -10.0, 10.0, 1.0)
        self.assertEqual(sonia.display_name, "Sonia · 2025 Q2")
        self.assertEqual(april.display_name, "Sonia · 2025-04")
        # scoring June again stores no quarter row twice
        self.assertFalse(self.env["salesperf.forecast.accuracy"]._review_month(self.company, JUNE))

    def test_one_failing_company_leaves_the_others_reviewed(self):
        other = self.env["res.company"].create({"name": "Salesperf Other"})
        other.partner_id.tz = "UTC"
        self._line(self._run(APRIL, company=other), "company", MAY, 10.0)
        # a time zone no longer known (written as an older version stored it):
        # not a ValueError, and the company's months cannot even be listed
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_partner SET tz = 'Mars/Olympus_Mons' WHERE id = %s",
            [self.company.partner_id.id],
        )
        self.company.partner_id.invalidate_recordset(["tz"])
        with self.assertLogs(ACCURACY_LOGGER, "ERROR") as logs:
            self._review()
        self.assertIn(
            f"Forecast review of company {self.company.name} (id {self.company.id})", logs.output[0]
        )
        self.assertFalse(self._rows())
        # the other company was reviewed all the same: 10 against 0
        review = self.env["salesperf.forecast.review"].search([("company_id", "=", other.id)])
        self.assertEqual(review.date, MAY)
        rows = self.env["salesperf.forecast.accuracy"].search([("company_id", "=", other.id)])
        self.assertEqual(set(rows.mapped("forecast")), {10.0, 0.0})
        self.assertEqual(review.accuracy_count, len(rows))

    def test_a_failing_month_is_rolled_back_alone(self):
        """Any error while reviewing a month (here a KeyError) undoes that
        month only; a database error of the transaction is never caught."""
        review_model = type(self.env["salesperf.forecast.review"])
        review_month = review_model._review

        def failing_review(model, company, month):
            reviewed = review_month(model, company, month)
            if company == self.company and month == MAY:
                raise KeyError("a bug found after the month was written")
            return reviewed

        self.env["salesperf.forecast.review"].create(
            {"company_id": self.company.id, "date": date(2025, 3, 1)}
        )
        with (
            patch.object(review_model, "_review", failing_review),
            mute_logger(ACCURACY_LOGGER),
        ):
            self._review()
        # April stays reviewed, May left nothing written
        self.assertEqual(
            self.env["salesperf.forecast.review"]
            .search([("company_id", "=", self.company.id)])
            .mapped("date"),
            [APRIL, date(2025, 3, 1)],
        )
        self.assertEqual(set(self._rows().mapped("date")), {APRIL})

        def conflicting_review(model, company, month):
            raise pg_errors.SerializationFailure("could not serialize access")

        with (
            patch.object(review_model, "_review", conflicting_review),
            self.assertRaises(pg_errors.SerializationFailure),
        ):
            self._review()

    def test_each_month_is_reviewed_once(self):
        self._review()
        rows = self._rows()
        reviews = self.env["salesperf.forecast.review"].search(
            [("company_id", "=", self.company.id)]
        )
        self.assertEqual(reviews.mapped("date"), [MAY])
        self.assertEqual(reviews.accuracy_count, len(rows))
        # a sale added to May afterwards: the month was reviewed, nothing changes
        self._create_order(
            self.sonia, self.customer_a, date(2025, 5, 15), [(self.product_x, 1, 40, 0)]
        )
        self._review("2025-06-20 08:00:00")
        self.assertEqual(self._rows(), rows)
        self.assertAlmostEqual(self._row(f"user:{self.sonia.id}", "statistical", 1).actual, 100.0)
        # scoring the month again directly stores nothing twice either
        self.assertFalse(self.env["salesperf.forecast.accuracy"]._review_month(self.company, MAY))
        # in July, June is reviewed
        self._review("2025-07-01 08:00:00")
        self.assertEqual(
            self.env["salesperf.forecast.review"]
            .search([("company_id", "=", self.company.id)])
            .mapped("date"),
            [date(2025, 6, 1), MAY],
        )
        # June: March's 450 three months ahead against 500 (-50, scale 10 ->
        # 5.0); April's 10 was two months ahead, not a scored lag
        june = self._rows(domain=[("date", "=", date(2025, 6, 1))])
        self.assertEqual(
            sorted((row.source, row.lag) for row in june),
            [("pipeline", 3), ("pipeline_weighted", 3), ("statistical", 3)],
        )
        june = june.filtered(lambda row: row.source == "statistical")
        self.assertEqual(june.run_id, self.run_march)
        self._assert_row(june, 450.0, 500.0, -50.0, 10.0, 5.0)

    def test_months_closed_in_the_company_time_zone(self):
        review = self.env["salesperf.forecast.review"]
        # 31 May 20:00 UTC is already 1 June 08:00 in Auckland: May has closed there
        with freeze_time("2025-05-31 20:00:00"):
            self.assertEqual(review._months_to_review(self.company), [APRIL])
            self.company.partner_id.tz = "Pacific/Auckland"
            self.assertEqual(review._months_to_review(self.company), [MAY])
        # a review left off in February catches up March to May, oldest first
        self.company.partner_id.tz = "UTC"
        review.create({"company_id": self.company.id, "date": date(2025, 2, 1)})
        with freeze_time("2025-06-03 08:00:00"):
            self.assertEqual(review._months_to_review(self.company), [date(2025, 3, 1), APRIL, MAY])

    def test_forecast_kpis_by_hand(self):
        self._review()
        # April too: Sonia's 50 from March against 80: -30, scale 10 -> 3.0
        with freeze_time("2025-06-03 08:00:00"):
            self.env["salesperf.forecast.review"]._review(self.company, APRIL)
        kpi = self.env["salesperf.kpi"]
        may = Period(MAY, date(2025, 5, 31), "month")
        users = kpi._compute_kpis(may, "user", self.company)
        # only the statistical forecasts made a month ahead: 2.0, and 20 / 100 × 100
        self.assertAlmostEqual(users[(self.sonia.id, self.company.id)]["forecast_mase"], 2.0)
        self.assertAlmostEqual(users[(self.sonia.id, self.company.id)]["forecast_bias"], 20.0)
        # Sam has a submission, but no statistical forecast: not applicable
        self.assertIsNone(users.get((self.sam.id, self.company.id), {}).get("forecast_mase"))
        teams = kpi._compute_kpis(may, "team", self.company)
        # North: 0.5, and -10 / 150 × 100 = -6.67 %
        self.assertAlmostEqual(teams[(self.team_north.id, self.company.id)]["forecast_mase"], 0.5)
        self.assertAlmostEqual(
            teams[(self.team_north.id, self.company.id)]["forecast_bias"], -10 / 150 * 100
        )
        companies = kpi._compute_kpis(may, "company", self.company)
        # 0.8, and 20 / 180 × 100 = 11.11 %
        self.assertAlmostEqual(companies[(self.company.id, self.company.id)]["forecast_mase"], 0.8)
        self.assertAlmostEqual(
            companies[(self.company.id, self.company.id)]["forecast_bias"], 20 / 180 * 100
        )
        # the second quarter: April and May, (3.0 + 2.0) / 2 = 2.5 and
        # (-30 + 20) / (80 + 100) × 100 = -5.56 %
        quarter = Period(APRIL, date(2025, 6, 30), "quarter")
        sonia = kpi._compute_kpis(quarter, "user", self.company)[(self.sonia.id, self.company.id)]
        self.assertAlmostEqual(sonia["forecast_mase"], 2.5)
        self.assertAlmostEqual(sonia["forecast_bias"], -10 / 180 * 100)
        # a salesperson measures her own
        own = kpi.with_user(self.sonia)._compute_kpis(quarter, "user", self.company)
        self.assertAlmostEqual(own[(self.sonia.id, self.company.id)]["forecast_mase"], 2.5)
        # the KPI review shows them in their units, MASE lower being better
        review = self.env["salesperf.kpi.review"].create(
            {
                "period_kind": "month",
                "reference_date": MAY,
                "dimension": "user",
                "company_ids": [Command.set(self.company.ids)],
            }
        )
        review.action_compute()
        lines = {
            line.kpi: line
            for line in review.line_ids.filtered(lambda line: line.user_id == self.sonia)
        }
        self.assertEqual(lines["forecast_mase"].value_display, "2.00")
        self.assertEqual(lines["forecast_bias"].value_display, "20.0 %")
        # the details list the rows counted
        action = kpi._action_kpi_details(
            "forecast_mase", quarter, "user", self.sonia.id, self.company
        )
        self.assertEqual(action["res_model"], "salesperf.forecast.accuracy")
        rows = self.env["salesperf.forecast.accuracy"].search(action["domain"])
        self.assertEqual(sorted(rows.mapped("date")), [APRIL, MAY])
        self.assertEqual(set(rows.mapped("source")), {"statistical"})

    def test_performance_analysis_shows_the_forecast_kpis(self):
        self._review()
        performance = self.env["salesperf.performance"].with_company(self.company)
        domain = [("date", "=", MAY)]
        rows = {
            (user.id, team.id): (mase, bias, count)
            for user, team, mase, bias, count in performance._read_group(
                [*domain, ("level", "=", "user")],
                ["user_id", "team_id"],
                ["forecast_mase:avg", "forecast_bias:avg", "forecast_count:sum"],
            )
        }
        # Sonia's series sits with her current team, North: 2.0 and 20 %
        mase, bias, count = rows[(self.sonia.id, self.team_north.id)]
        self.assertAlmostEqual(mase, 2.0)
        self.assertAlmostEqual(bias, 20.0)
        self.assertEqual(count, 1)
        [(mase, bias)] = performance._read_group(
            [*domain, ("level", "=", "team"), ("team_id", "=", self.team_north.id)],
            [],
            ["forecast_mase:avg", "forecast_bias:avg"],
        )
        self.assertAlmostEqual(mase, 0.5)
        self.assertAlmostEqual(bias, -10 / 150 * 100)
        # the figure opens the scored forecasts behind it
        action = performance.action_open_details(
            [("level", "=", "user"), ("date", "=", MAY), ("team_id", "=", self.team_north.id)],
            "forecast_mase",
        )
        self.assertEqual(action["res_model"], "salesperf.forecast.accuracy")
        rows = self.env["salesperf.forecast.accuracy"].search(action["domain"])
        self.assertEqual(rows, self._row(f"user:{self.sonia.id}", "statistical", 1))


@tagged("post_install", "-at_install")
class TestForecastAccuracySecurity(ForecastReviewCommon):
    """Who reads which scores, as themselves over the ORM."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        run = cls._run(APRIL)
        for user in (cls.sonia, cls.sam, cls.tom):
            cls._line(run, "user", MAY, 10.0, user=user)
        cls._line(run, "team", MAY, 10.0, team=cls.team_north)
        cls._line(run, "team", MAY, 10.0, team=cls.team_south)
        cls._line(run, "company", MAY, 10.0)
        cls._line(run, "categ", MAY, 10.0, categ=cls.category)
        cls.env["salesperf.forecast.accuracy"]._review_month(cls.company, MAY)
        # another company's score
        cls.other_company = cls.env["res.company"].create({"name": "Salesperf Other"})
        other_run = cls._run(APRIL, company=cls.other_company)
        cls._line(other_run, "user", MAY, 10.0, user=cls.sonia)
        cls._line(other_run, "company", MAY, 10.0)
        cls.env["salesperf.forecast.accuracy"]._review_month(cls.other_company, MAY)

    def _seen(self, user):
        return {
            (row.level, row.series_key.split(":")[0], (row.user_id or row.team_id).id)
            for row in self.env["salesperf.forecast.accuracy"].with_user(user).search([])
        }

    def test_a_salesperson_reads_her_own_scores(self):
        self.assertEqual(self._seen(self.sonia), {("user", "user", self.sonia.id)})

    def test_a_team_leader_reads_his_team_and_its_members(self):
        self.assertEqual(
            self._seen(self.leo),
            {
                ("user", "user", self.sonia.id),
                ("user", "user", self.sam.id),
                ("team", "team", self.team_north.id),
            },
        )

    def test_all_documents_reads_every_row_of_its_companies(self):
        rows = self.env["salesperf.forecast.accuracy"].with_user(self.lena).search([])
        self.assertEqual(rows.company_id, self.company)
        # 3 salespeople, 2 teams and the company (3 sources each), the category
        self.assertEqual(len(rows), 6 * 3 + 1)
        # allowed in the other company too, she reads its rows there
        self.lena.company_ids |= self.other_company
        rows = (
            self.env["salesperf.forecast.accuracy"]
            .with_user(self.lena)
            .with_context(allowed_company_ids=self.other_company.ids)
            .search([])
        )
        self.assertEqual(rows.company_id, self.other_company)

    def test_nobody_writes_scores(self):
        row = self.env["salesperf.forecast.accuracy"].search(
            [("company_id", "=", self.company.id), ("user_id", "=", self.sonia.id)], limit=1
        )
        for user in (self.sonia, self.leo, self.lena):
            with self.assertRaises(AccessError):
                row.with_user(user).write({"forecast": 1.0})
            with self.assertRaises(AccessError):
                row.with_user(user).unlink()
        with self.assertRaises(AccessError):
            self.env["salesperf.forecast.accuracy"].with_user(self.sonia).create(
                {
                    "company_id": self.company.id,
                    "level": "user",
                    "series_key": f"user:{self.sonia.id}",
                    "user_id": self.sonia.id,
                    "date": APRIL,
                    "source": "statistical",
                    "lag": 1,
                }
            )
