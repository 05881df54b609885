# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from odoo.addons.salesperf_odoo.engine.kpi import KPI_CODES

from .test_kpi import SalesperfKpiCommon


@tagged("post_install", "-at_install")
class TestKpiReview(SalesperfKpiCommon):
    def _review(self, user, **values):
        review_form = Form(self.env["salesperf.kpi.review"].with_user(user))
        review_form.period_kind = values.get("period_kind", "month")
        review_form.reference_date = values.get("reference_date", date(2025, 3, 17))
        review_form.dimension = values.get("dimension", "user")
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
        self.assertEqual(review.display_name, "KPIs by Salesperson, 03/01/2025 – 03/31/2025")
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
        action = self.env["salesperf.kpi.review"].with_user(self.sonia).action_open("team")
        review = self.env["salesperf.kpi.review"].browse(action["res_id"])
        self.assertEqual(review.dimension, "team")
        self.assertLessEqual(review.date_from, date.today())
        self.assertGreaterEqual(review.date_to, date.today())
