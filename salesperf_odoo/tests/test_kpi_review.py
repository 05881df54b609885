# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date, datetime

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, freeze_time, tagged

from odoo.addons.salesperf_odoo.engine.kpi import KPI_CODES

from .test_kpi import SalesperfKpiCommon


@tagged("post_install", "-at_install")
class TestKpiReview(SalesperfKpiCommon):
    def _review(self, user, **values):
        review_form = Form(self.env["salesperf.kpi.review"].with_user(user))
        review_form.period_kind = values.get("period_kind", "month")
        review_form.reference_date = values.get("reference_date", date(2025, 3, 17))
        if "dimension" in values:
            review_form.dimension = values["dimension"]
        if "comparison_mode" in values:
            review_form.comparison_mode = values["comparison_mode"]
        review = review_form.save()
        review.action_compute()
        return review

    def test_review_lines_as_salesperson(self):
        review = self._review(self.sonia)
        self.assertEqual((review.date_from, review.date_to), (date(2025, 3, 1), date(2025, 3, 31)))
        # one line per KPI, for Sonia only
        self.assertEqual(review.line_ids.user_id, self.sonia)
        self.assertEqual(review.line_ids.mapped("kpi"), list(KPI_CODES))
        revenue = review.line_ids.filtered(lambda line: line.kpi == "revenue")
        # March 500, February 200: +150 %; March 2024 300: +66.7 %
        self.assertRecordValues(
            revenue,
            [
                {
                    "value": 500.0,
                    "previous_value": 200.0,
                    "last_year_value": 300.0,
                    "previous_change": 150.0,
                }
            ],
        )
        # 200 / 300 × 100 = 66.67, kept to one decimal
        self.assertEqual(revenue.last_year_change, 66.7)
        self.assertIn("500.00", revenue.value_display)
        self.assertEqual(revenue.previous_change_display, "+150.0 %")
        # March 2025 is over (whatever today is after it): full periods, and
        # Sonia, who sees only her own documents, reads her own KPIs
        self.assertEqual(review.display_name, "My KPIs, March 2025")
        self.assertEqual(
            review.comparison_note,
            "March 2025 compared with February 2025 and March 2024, full periods.",
        )
        action = review.action_analyse()
        self.assertEqual(action["domain"], [("review_id", "=", review.id)])
        self.assertEqual(action["context"], {"group_by": ["user_id"]})

    def test_undefined_ratio_is_shown_as_not_applicable(self):
        review = self._review(self.lena, reference_date=date(2025, 2, 3))
        sam_aov = review.line_ids.filtered(
            lambda line: line.user_id == self.sam and line.kpi == "average_order_value"
        )
        # Sam has no order in February... and none in January: no line at all
        self.assertFalse(sam_aov)
        tom_aov = review.line_ids.filtered(
            lambda line: line.user_id == self.tom and line.kpi == "average_order_value"
        )
        # Tom: no order in February (not applicable), 100 in January (previous)
        self.assertEqual(tom_aov.value_display, "–")
        self.assertFalse(tom_aov.is_defined)
        self.assertTrue(tom_aov.previous_defined)
        # no change can be computed against a value that is not applicable
        self.assertEqual(tom_aov.previous_change_display, "–")

    def test_quarter_and_custom_periods(self):
        review = self._review(self.lena, period_kind="quarter", dimension="company")
        self.assertEqual((review.date_from, review.date_to), (date(2025, 1, 1), date(2025, 3, 31)))
        revenue = review.line_ids.filtered(lambda line: line.kpi == "revenue")
        # Q1 2025: 100 (Jan) + 200 (Feb) + 1000 (Mar) = 1300
        self.assertAlmostEqual(revenue.value, 1300.0)
        with self.assertRaises(ValidationError):
            review.write(
                {"period_kind": "custom", "date_from": "2025-03-10", "date_to": "2025-03-01"}
            )

    def test_open_action_computes_current_month(self):
        action = self.env["salesperf.kpi.review"].with_user(self.lena).action_open("team")
        review = self.env["salesperf.kpi.review"].browse(action["res_id"])
        self.assertEqual(review.dimension, "team")
        self.assertEqual(action["name"], review.display_name)
        self.assertTrue(review.display_name.startswith("KPIs by Sales Team, "))
        self.assertLessEqual(review.date_from, date.today())
        self.assertGreaterEqual(review.date_to, date.today())

    @freeze_time("2025-03-17 12:00:00")
    def test_period_in_progress_is_compared_like_for_like(self):
        review = self._review(self.sonia)
        # 17 March: 1–17 March against 1–17 February and 1–17 March 2024
        self.assertEqual(review.display_name, "My KPIs, Mar 1 – 17, 2025")
        self.assertEqual(
            review.comparison_note,
            "Mar 1 – 17, 2025, the 17 days so far, compared with the same days of the "
            "previous period (Feb 1 – 17, 2025) and of last year (Mar 1 – 17, 2024).",
        )
        revenue = review.line_ids.filtered(lambda line: line.kpi == "revenue")
        # Sonia's 10 March order (400) counts, the 20 March one (100) not yet;
        # 10 February 200; 12 March 2024 300: +100 % and +33.3 %
        self.assertRecordValues(
            revenue,
            [{"value": 400.0, "previous_value": 200.0, "last_year_value": 300.0}],
        )
        self.assertEqual(revenue.previous_change_display, "+100.0 %")
        self.assertEqual(revenue.last_year_change_display, "+33.3 %")  # 100 / 300
        # the choice of full periods: all of March, February and March 2024
        review.comparison_mode = "full"
        review.action_compute()
        revenue = review.line_ids.filtered(lambda line: line.kpi == "revenue")
        self.assertEqual((revenue.value, revenue.previous_value), (500.0, 200.0))
        self.assertEqual(review.display_name, "My KPIs, March 2025")

    def test_change_colour_follows_the_kpi_direction(self):
        # Sonia loses L8 on 25 March and L9 on 20 February
        lost_8, lost_9 = self._create_leads([{"name": "L8"}, {"name": "L9"}])
        (lost_8 | lost_9).action_set_lost()
        lost_8.date_closed = datetime(2025, 3, 25, 10, 0)
        lost_9.date_closed = datetime(2025, 2, 20, 10, 0)
        review = self._review(self.sonia)
        tones = {line.kpi: (line.previous_tone, line.last_year_tone) for line in review.line_ids}
        # revenue 500 against 200 (February) and 300 (March 2024): up, better
        self.assertEqual(tones["revenue"], ("good", "good"))
        # lost opportunities L5 and L8 against L9 in February: +100 %, worse
        lost = review.line_ids.filtered(lambda line: line.kpi == "lost_count")
        self.assertEqual((lost.value, lost.previous_value), (2.0, 1.0))
        self.assertEqual(lost.previous_change_display, "+100.0 %")
        self.assertEqual(lost.previous_tone, "bad")
        # win rate 2 / (2 + 2) = 50 % against 0 / (0 + 1) = 0 % in February:
        # no relative change from 0, shown "–" and not coloured
        win_rate = review.line_ids.filtered(lambda line: line.kpi == "win_rate")
        self.assertEqual((win_rate.value, win_rate.previous_change_display), (50.0, "–"))
        self.assertEqual(win_rate.previous_tone, "neutral")
        # the open pipeline (1000 in March, none in March 2024): not judged
        self.assertEqual(tones["pipeline_value"], ("neutral", "neutral"))
        # no cycle in February to compare with: neutral, not green
        self.assertEqual(tones["average_cycle_days"], ("neutral", "neutral"))

    def test_team_and_company_only_for_who_sees_all_documents(self):
        Review = self.env["salesperf.kpi.review"].with_user(self.sonia)
        # whatever the client sends, a reader of her own documents gets no team
        # or company figures (they would be hers, under the team's name)
        for dimension in ("team", "company"):
            with self.assertRaisesRegex(UserError, "only your own documents"):
                Review.create({"dimension": dimension}).action_compute()
            with self.assertRaisesRegex(UserError, "only your own documents"):
                Review.action_open(dimension)
        # the form does not offer her the choice
        with self.assertRaises(AssertionError):
            Form(Review).dimension = "team"
        # a leader who sees all documents reviews the team's own figures
        review = self._review(self.lena, dimension="team")
        north = review.line_ids.filtered(
            lambda line: line.team_id == self.team_north and line.kpi == "revenue"
        )
        self.assertEqual(north.value, 900.0)  # Sonia 500 + Sam 400
        self.assertEqual(review.display_name, "KPIs by Sales Team, March 2025")

    def test_line_details_open_what_the_kpi_counts(self):
        review = self._review(self.sonia)
        revenue = review.line_ids.filtered(lambda line: line.kpi == "revenue")
        action = revenue.action_open_details()
        self.assertEqual(action["name"], "Revenue · Sonia · March 2025")
        facts = self.env["salesperf.sale.fact"].with_user(self.sonia).search(action["domain"])
        self.assertAlmostEqual(sum(facts.mapped("revenue")), revenue.value)  # 500
        team_review = self._review(self.lena, dimension="team")
        won = team_review.line_ids.filtered(
            lambda line: line.team_id == self.team_north and line.kpi == "won_count"
        )
        action = won.action_open_details()
        leads = self.env["crm.lead"].with_user(self.lena).search(action["domain"])
        self.assertEqual(len(leads), won.value)  # L3 and L4
        self.assertEqual(sorted(leads.mapped("name")), ["L3", "L4"])

    @freeze_time("2025-03-17 12:00:00")
    def test_details_of_a_period_in_progress_stop_today(self):
        review = self._review(self.sonia)
        revenue = review.line_ids.filtered(lambda line: line.kpi == "revenue")
        action = revenue.action_open_details()
        self.assertEqual(action["name"], "Revenue · Sonia · Mar 1 – 17, 2025")
        facts = self.env["salesperf.sale.fact"].with_user(self.sonia).search(action["domain"])
        self.assertAlmostEqual(sum(facts.mapped("revenue")), 400.0)  # 10 March only
