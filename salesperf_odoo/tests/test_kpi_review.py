# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date, datetime

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, TransactionCase, freeze_time, new_test_user, tagged

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

    @freeze_time("2025-03-17 12:00:00")
    def test_pipeline_details_of_a_period_in_progress_cover_the_whole_period(self):
        review = self._review(self.sonia)
        pipeline = review.line_ids.filtered(lambda line: line.kpi == "pipeline_value")
        # L1 expected to close on 25 March, after today, counts: all of March
        self.assertEqual(pipeline.value, 1000.0)
        action = pipeline.action_open_details()
        self.assertEqual(action["name"], "Open pipeline · Sonia · March 2025")
        leads = self.env["crm.lead"].with_user(self.sonia).search(action["domain"])
        self.assertEqual(leads.mapped("name"), ["L1"])

    def test_my_kpis_leave_out_unassigned_documents(self):
        # an unassigned order of 15 March: Sonia may read it (own-documents
        # rules let her read unassigned orders), but it is not hers
        order = self._create_order(
            self.sam, self.customer_b, date(2025, 3, 15), [(self.product_x, 1, 100.0, 60.0)]
        )
        order.user_id = False
        facts = (
            self.env["salesperf.sale.fact"]
            .with_user(self.sonia)
            .search([("user_id", "=", False), ("company_id", "=", self.company.id)])
        )
        self.assertEqual(len(facts), 1)
        review = self._review(self.sonia)
        # her 19 KPIs, and no second, unlabelled set for the unassigned order
        self.assertEqual(len(review.line_ids), len(KPI_CODES))
        self.assertEqual(review.line_ids.user_id, self.sonia)
        revenue = review.line_ids.filtered(lambda line: line.kpi == "revenue")
        self.assertEqual(revenue.value, 500.0)  # 400 + 100, not the unassigned 100
        # who sees every document reviews the unassigned order under no one
        unassigned = self._review(self.lena).line_ids.filtered(
            lambda line: not line.user_id and line.kpi == "revenue"
        )
        self.assertEqual(unassigned.value, 100.0)

    @freeze_time("2024-02-29 12:00:00")
    def test_only_whole_periods_are_called_full_periods(self):
        # 29 February 2024: February is whole, but it is compared with 1–29
        # January (31 days) and with February 2023 (28 days)
        review = self._review(self.sonia, reference_date=date(2024, 2, 29))
        self.assertEqual(
            review.comparison_note,
            "Feb 1 – 29, 2024, the 29 days so far, compared with the same days of the "
            "previous period (Jan 1 – 29, 2024) and of last year (Feb 1 – 28, 2023).",
        )
        self.assertEqual(review.display_name, "My KPIs, Feb 1 – 29, 2024")
        # full periods on request: then they are
        review.comparison_mode = "full"
        self.assertEqual(
            review.comparison_note,
            "February 2024 compared with January 2024 and February 2023, full periods.",
        )
        self.assertEqual(review.display_name, "My KPIs, February 2024")

    @freeze_time("2025-03-31 12:00:00")
    def test_last_day_of_a_quarter_against_cut_quarters(self):
        # Q1 2025 = 31 + 28 + 31 = 90 days; day 90 of Q4 2024 is 29 December
        # (31 + 30 + 29), of Q1 2024 (leap) 30 March (31 + 29 + 30)
        review = self._review(self.lena, period_kind="quarter", reference_date=date(2025, 3, 31))
        self.assertEqual(
            review.comparison_note,
            "Jan 1 – Mar 31, 2025, the 90 days so far, compared with the same days of the "
            "previous period (Oct 1 – Dec 29, 2024) and of last year (Jan 1 – Mar 30, 2024).",
        )
        self.assertEqual(review.display_name, "KPIs by Salesperson, Jan 1 – Mar 31, 2025")

    def test_line_details_keep_the_dimension_they_were_computed_with(self):
        review = self._review(self.lena)
        revenue = review.line_ids.filtered(
            lambda line: line.user_id == self.sonia and line.kpi == "revenue"
        )
        # the reader switches to teams without computing again
        review.dimension = "team"
        action = revenue.action_open_details()
        self.assertEqual(action["name"], "Revenue · Sonia · March 2025")
        facts = self.env["salesperf.sale.fact"].with_user(self.lena).search(action["domain"])
        self.assertAlmostEqual(sum(facts.mapped("revenue")), 500.0)  # 400 + 100

    def test_review_lines_are_their_creators_only(self):
        # Lena (all documents) reviews the team figures
        review = self._review(self.lena, dimension="team")
        self.assertTrue(review.line_ids)
        for model, records, values in (
            ("salesperf.kpi.review", review, {"comparison_mode": "full"}),
            ("salesperf.kpi.review.line", review.line_ids, {"value": 1.0}),
        ):
            as_sonia = self.env[model].with_user(self.sonia)
            self.assertFalse(as_sonia.search_read([("id", "in", records.ids)], ["id"]))
            self.assertFalse(as_sonia.search_read([], ["id"]))  # nor any other user's
            with self.assertRaises(AccessError):
                records.with_user(self.sonia).read(["id"])
            with self.assertRaises(AccessError):
                records.with_user(self.sonia).write(values)
        # Lena still reads and recomputes her own review
        self.assertEqual(review.with_user(self.lena).line_ids, review.line_ids)


@tagged("post_install", "-at_install")
class TestKpiReviewTimeZones(TransactionCase):
    """Two companies whose today differs: each compared on its own days.

    At 20 Nov 2026 12:00 UTC it is 21 Nov 01:00 in Auckland (UTC+13) and
    20 Nov 04:00 in Los Angeles (UTC-8). November in progress is compared
    like for like: Auckland 1–21 Nov against 1–21 Oct and 1–21 Nov 2025,
    Los Angeles 1–20 Nov against 1–20 Oct and 1–20 Nov 2025.

    Imported sales (local dates), in each company's currency:
      Auckland     21 Oct 400, 21 Nov 100
      Los Angeles  20 Oct 200, 21 Oct 300, 21 Nov 50
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.auckland = cls._company("Salesperf Auckland", "Pacific/Auckland", "base.NZD")
        cls.los_angeles = cls._company("Salesperf Los Angeles", "America/Los_Angeles", "base.USD")
        cls.companies = cls.auckland | cls.los_angeles
        cls.director = new_test_user(
            cls.env,
            login="director",
            name="Director",
            groups="sales_team.group_sale_manager",
            tz="UTC",
            company_id=cls.auckland.id,
            company_ids=[Command.set(cls.companies.ids)],
        )
        product = cls.env["product.product"].create({"name": "Widget", "list_price": 1.0})
        cls.env["salesperf.external.sale"].create(
            [
                {
                    "name": f"{company.name} {day}",
                    "date": day,
                    "company_id": company.id,
                    "user_id": cls.director.id,
                    "product_id": product.id,
                    "quantity": 1.0,
                    "currency_id": company.currency_id.id,
                    "price_subtotal": amount,
                }
                for company, day, amount in [
                    (cls.auckland, date(2026, 10, 21), 400.0),
                    (cls.auckland, date(2026, 11, 21), 100.0),
                    (cls.los_angeles, date(2026, 10, 20), 200.0),
                    (cls.los_angeles, date(2026, 10, 21), 300.0),
                    (cls.los_angeles, date(2026, 11, 21), 50.0),
                ]
            ]
        )

    @classmethod
    def _company(cls, name, tz, currency_xmlid):
        company = cls.env["res.company"].create(
            {"name": name, "currency_id": cls.env.ref(currency_xmlid).id}
        )
        company.partner_id.tz = tz
        return company

    @freeze_time("2026-11-20 12:00:00")
    def test_each_company_compared_on_its_own_days(self):
        env = self.env(user=self.director, context={"allowed_company_ids": self.companies.ids})
        review = env["salesperf.kpi.review"].create(
            {
                "dimension": "company",
                "reference_date": date(2026, 11, 20),
                "company_ids": [Command.set(self.companies.ids)],
            }
        )
        self.assertEqual(
            review.comparison_note,
            "Salesperf Auckland: Nov 1 – 21, 2026, the 21 days so far, compared with the "
            "same days of the previous period (Oct 1 – 21, 2026) and of last year "
            "(Nov 1 – 21, 2025). Salesperf Los Angeles: Nov 1 – 20, 2026, the 20 days so "
            "far, compared with the same days of the previous period (Oct 1 – 20, 2026) "
            "and of last year (Nov 1 – 20, 2025).",
        )
        self.assertEqual(review.display_name, "KPIs by Company, Nov 1 – 21, 2026")
        review.action_compute()
        revenue = {line.company_id: line for line in review.line_ids if line.kpi == "revenue"}
        # Auckland: 21 Nov 100 (its today) against 21 Oct 400
        self.assertEqual(
            (revenue[self.auckland].value, revenue[self.auckland].previous_value), (100.0, 400.0)
        )
        # Los Angeles: nothing by 20 Nov (21 Nov is its tomorrow) against
        # 20 Oct 200 (21 Oct, 300, is after its 20 days)
        self.assertEqual(
            (revenue[self.los_angeles].value, revenue[self.los_angeles].previous_value),
            (0.0, 200.0),
        )
        # each line opens its company's own days
        self.assertEqual(
            (revenue[self.auckland].period_end, revenue[self.los_angeles].period_end),
            (date(2026, 11, 21), date(2026, 11, 20)),
        )
        action = revenue[self.los_angeles].with_env(env).action_open_details()
        self.assertEqual(action["name"], "Revenue · Salesperf Los Angeles · Nov 1 – 20, 2026")
