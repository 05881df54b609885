# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date, datetime

from odoo.tests import freeze_time, tagged

from odoo.addons.salesperf_odoo.engine.periods import Period, period_containing

from .common import SalesperfCommon

MARCH = period_containing("month", date(2025, 3, 1))


class SalesperfKpiCommon(SalesperfCommon):
    """March 2025, hand-built (company currency XSA, company time zone UTC).

    Orders (revenue / margin in XSA):
      2024-03-12 Sonia → Acme  X 3×100 cost 60     300 / 120  (last year)
      2024-11-20 Sonia → Acme  X 1×100 cost 60     100 /  40  (Acme's 1st)
      2025-01-15 Tom   → Core  X 1×100 cost 60     100 /  40  (Core's 1st)
      2025-02-10 Sonia → Acme  Y 5×40 cost 25      200 /  75  (previous month)
      2025-03-05 Tom   → Bolt  X 4×100 XSB cost 50 at rate 4: 100 / 50 (Bolt's 1st)
      2025-03-10 Sonia → Acme  X 2×100 cost 60 + Y 5×40 cost 25: 400 / 155
      2025-03-15 Sam   → Core  Y 10×40 cost 25     400 / 150
      2025-03-20 Sonia → Bolt  X 1×100 cost 60     100 /  40
    Opportunities of Sonia: open L1 (1000 at 30 %, closing 25 Mar, complete),
    open L2 (2000 at 50 %, closing 10 Apr, no contact: incomplete), won L3
    (3000, created 1 Feb, won 11 Mar: 38 days), won L4 (1000, created 1 Mar,
    won 21 Mar: 20 days), lost L5 (15 Mar); a plain lead L7 (not counted).
    Tom: lost L6 (18 Mar). Activities done: Sonia 2 in March, 1 in February;
    Tom 1 in March.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        order = cls._create_order
        x, y = cls.product_x, cls.product_y
        order(cls.sonia, cls.customer_a, date(2024, 3, 12), [(x, 3, 100.0, 60.0)])
        order(cls.sonia, cls.customer_a, date(2024, 11, 20), [(x, 1, 100.0, 60.0)])
        order(cls.tom, cls.customer_c, date(2025, 1, 15), [(x, 1, 100.0, 60.0)])
        order(cls.sonia, cls.customer_a, date(2025, 2, 10), [(y, 5, 40.0, 25.0)])
        order(
            cls.tom,
            cls.customer_b,
            date(2025, 3, 5),
            [(x, 4, 100.0, 50.0)],
            pricelist=cls.pricelist_xsb,
        )
        order(
            cls.sonia, cls.contact_a, date(2025, 3, 10), [(x, 2, 100.0, 60.0), (y, 5, 40.0, 25.0)]
        )
        order(cls.sam, cls.customer_c, date(2025, 3, 15), [(y, 10, 40.0, 25.0)])
        order(cls.sonia, cls.customer_b, date(2025, 3, 20), [(x, 1, 100.0, 60.0)])

        cls.lead_open, cls.lead_later = cls._create_leads(
            [
                {
                    "name": "L1",
                    "expected_revenue": 1000.0,
                    "probability": 30.0,
                    "date_deadline": "2025-03-25",
                    "email_from": "buyer@example.com",
                    "country_id": cls.country.id,
                },
                {
                    "name": "L2",
                    "expected_revenue": 2000.0,
                    "probability": 50.0,
                    "date_deadline": "2025-04-10",
                },
            ]
        )
        cls._create_leads(
            [
                {
                    "name": "L7",
                    "type": "lead",
                    "expected_revenue": 500.0,
                    "date_deadline": "2025-03-12",
                }
            ]
        )
        won_3, won_4, lost_5 = cls._create_leads(
            [
                {"name": "L3", "expected_revenue": 3000.0},
                {"name": "L4", "expected_revenue": 1000.0},
                {"name": "L5", "expected_revenue": 700.0},
            ]
        )
        (lost_6,) = cls._create_leads([{"name": "L6", "expected_revenue": 900.0}], cls.tom)
        cls._backdate_creation(won_3, datetime(2025, 2, 1, 10, 0))
        cls._backdate_creation(won_4, datetime(2025, 3, 1, 10, 0))
        (won_3 | won_4).action_set_won()
        (lost_5 | lost_6).action_set_lost()
        for lead, closed in [
            (won_3, datetime(2025, 3, 11, 10, 0)),
            (won_4, datetime(2025, 3, 21, 10, 0)),
            (lost_5, datetime(2025, 3, 15, 10, 0)),
            (lost_6, datetime(2025, 3, 18, 10, 0)),
        ]:
            lead.date_closed = closed

        cls._done_activity(cls.sonia, cls.lead_open, datetime(2025, 3, 3, 9, 0))
        cls._done_activity(cls.sonia, cls.lead_open, datetime(2025, 3, 28, 9, 0))
        cls._done_activity(cls.sonia, cls.lead_later, datetime(2025, 2, 14, 9, 0))
        cls._done_activity(cls.tom, lost_6.with_context(active_test=False), datetime(2025, 3, 4))

    @classmethod
    def _create_leads(cls, values_list, user=None):
        user = user or cls.sonia
        team = cls.team_south if user == cls.tom else cls.team_north
        return cls.env["crm.lead"].create(
            [
                {
                    "type": "opportunity",
                    "user_id": user.id,
                    "team_id": team.id,
                    "company_id": cls.company.id,
                    **values,
                }
                for values in values_list
            ]
        )

    @classmethod
    def _backdate_creation(cls, lead, created):
        # The ORM stamps create_date with the transaction time; the sales
        # cycle needs a creation in the past.
        lead.flush_recordset()
        cls.env.cr.execute("UPDATE crm_lead SET create_date = %s WHERE id = %s", (created, lead.id))
        lead.invalidate_recordset(["create_date"])

    @classmethod
    def _done_activity(cls, user, lead, done_at):
        activity = cls.env["mail.activity"].create(
            {
                "res_model_id": cls.env["ir.model"]._get_id("crm.lead"),
                "res_id": lead.id,
                "activity_type_id": cls.env.ref("mail.mail_activity_data_call").id,
                "user_id": user.id,
                "summary": "Call",
            }
        )
        messages_before = lead.message_ids
        activity.with_user(user).action_feedback(feedback="Done")
        (lead.message_ids - messages_before).filtered("mail_activity_type_id").date = done_at

    def _kpis(self, dimension="user", period=MARCH, user=None):
        kpi = self.env["salesperf.kpi"]
        if user:
            kpi = kpi.with_user(user)
        return kpi._compute_kpis(period, dimension, self.company)


@tagged("post_install", "-at_install")
class TestKpi(SalesperfKpiCommon):
    def test_sales_kpis_per_salesperson(self):
        kpis = self._kpis()
        sonia = kpis[(self.sonia.id, self.company.id)]
        # revenue 400 + 100 = 500; margin 155 + 40 = 195; 2 orders; quantity 2 + 5 + 1 = 8
        self.assertAlmostEqual(sonia["revenue"], 500.0)
        self.assertAlmostEqual(sonia["margin"], 195.0)
        self.assertAlmostEqual(sonia["margin_percent"], 39.0)  # 195 / 500 × 100
        self.assertEqual(sonia["orders"], 2)
        self.assertAlmostEqual(sonia["average_order_value"], 250.0)  # 500 / 2
        self.assertAlmostEqual(sonia["quantity"], 8.0)
        # Acme (first bought 2024-03-12) returns; Bolt's first purchase is 5 March (Tom's)
        self.assertEqual(
            (sonia["customers"], sonia["new_customers"], sonia["returning_customers"]), (2, 1, 1)
        )
        self.assertAlmostEqual(sonia["repeat_purchase_rate"], 50.0)  # 1 / 2 × 100
        tom = kpis[(self.tom.id, self.company.id)]
        # XSB order: 4 × 100 = 400 XSB / 4 = 100 XSA; margin 4 × 50 / 4 = 50
        self.assertAlmostEqual(tom["revenue"], 100.0)
        self.assertAlmostEqual(tom["margin"], 50.0)
        self.assertEqual((tom["customers"], tom["new_customers"]), (1, 1))
        sam = kpis[(self.sam.id, self.company.id)]
        # Core bought from Tom in January: returning for Sam
        self.assertEqual(
            (sam["customers"], sam["new_customers"], sam["returning_customers"]), (1, 0, 1)
        )

    def test_crm_and_activity_kpis(self):
        sonia = self._kpis()[(self.sonia.id, self.company.id)]
        # Only L1 closes in March: 1000, weighted 1000 × 30 / 100 = 300 (L7 is a lead)
        self.assertAlmostEqual(sonia["pipeline_value"], 1000.0)
        self.assertAlmostEqual(sonia["weighted_pipeline"], 300.0)
        # Won L3 (3000) and L4 (1000), lost L5
        self.assertEqual((sonia["won_count"], sonia["lost_count"]), (2, 1))
        self.assertAlmostEqual(sonia["won_value"], 4000.0)
        self.assertAlmostEqual(sonia["win_rate"], 2 / 3 * 100)  # 2 / (2 + 1)
        # L3: 1 Feb → 11 Mar = 27 + 11 = 38 days; L4: 1 → 21 Mar = 20 days; (38 + 20) / 2
        self.assertAlmostEqual(sonia["average_cycle_days"], 29.0)
        self.assertEqual(sonia["activities_done"], 2)  # the February one is not in March
        # customers Acme (complete) and Bolt (no country); open L1 (complete) and
        # L2 (no email or phone, no country): 2 of 4 records → 50 %
        self.assertAlmostEqual(sonia["data_completeness"], 50.0)
        tom = self._kpis()[(self.tom.id, self.company.id)]
        self.assertEqual((tom["won_count"], tom["lost_count"], tom["win_rate"]), (0, 1, 0.0))
        self.assertEqual(tom["activities_done"], 1)

    def test_team_and_company_kpis(self):
        teams = self._kpis("team")
        north = teams[(self.team_north.id, self.company.id)]
        # Sonia 500 + Sam 400 = 900; margin 195 + 150 = 345; 3 orders
        self.assertAlmostEqual(north["revenue"], 900.0)
        self.assertAlmostEqual(north["margin"], 345.0)
        self.assertEqual(north["orders"], 3)
        # Acme (returning), Bolt (new), Core (returning)
        self.assertEqual(
            (north["customers"], north["new_customers"], north["returning_customers"]), (3, 1, 2)
        )
        company = self._kpis("company")[(self.company.id, self.company.id)]
        # 900 + Tom's 100 = 1000; margin 345 + 50 = 395; 4 orders; Bolt counted once
        self.assertAlmostEqual(company["revenue"], 1000.0)
        self.assertAlmostEqual(company["margin"], 395.0)
        self.assertEqual((company["orders"], company["customers"]), (4, 3))
        self.assertEqual((company["won_count"], company["lost_count"]), (2, 2))
        self.assertAlmostEqual(company["win_rate"], 50.0)  # 2 / (2 + 2)

    def test_comparison_with_previous_period_and_last_year(self):
        comparison = self.env["salesperf.kpi"]._compute_kpi_comparison(MARCH, "user", self.company)
        sonia = comparison[(self.sonia.id, self.company.id)]
        # February 2025: 200; March 2024: 300
        self.assertAlmostEqual(sonia["previous"]["revenue"], 200.0)
        self.assertAlmostEqual(sonia["last_year"]["revenue"], 300.0)
        self.assertEqual(sonia["previous"]["activities_done"], 1)
        # Sam sold nothing in February: empty measures, ratios not applicable
        sam = comparison[(self.sam.id, self.company.id)]
        self.assertEqual(sam["previous"]["revenue"], 0)
        self.assertIsNone(sam["previous"]["average_order_value"])

    @freeze_time("2025-03-17 12:00:00")
    def test_comparison_of_a_period_in_progress(self):
        compute = self.env["salesperf.kpi"]._compute_kpi_comparison
        # 17 March, company in UTC: 1–17 March against 1–17 February and 1–17 March 2024
        sonia = compute(MARCH, "user", self.company)[(self.sonia.id, self.company.id)]
        # 10 March 400 (the 20 March order, 100, is not counted yet); 10 Feb 200; 12 Mar 2024 300
        self.assertEqual(
            (sonia["current"]["revenue"], sonia["previous"]["revenue"]), (400.0, 200.0)
        )
        self.assertEqual(sonia["last_year"]["revenue"], 300.0)
        # won L3 (11 March) but not yet L4 (21 March)
        self.assertEqual(sonia["current"]["won_count"], 1)
        # full periods: all of March (400 + 100)
        sonia = compute(MARCH, "user", self.company, "full")[(self.sonia.id, self.company.id)]
        self.assertEqual((sonia["current"]["revenue"], sonia["current"]["won_count"]), (500.0, 2))

    @freeze_time("2025-03-17 12:00:00")
    def test_pipeline_of_a_period_in_progress_covers_the_whole_periods(self):
        # L10, still open, was expected to close on 20 February: after the
        # 17 days compared, but in February
        self._create_leads(
            [
                {
                    "name": "L10",
                    "expected_revenue": 400.0,
                    "probability": 50.0,
                    "date_deadline": "2025-02-20",
                }
            ]
        )
        comparison = self.env["salesperf.kpi"]._compute_kpi_comparison(MARCH, "user", self.company)
        sonia = comparison[(self.sonia.id, self.company.id)]
        # the days compared are 1–17 (revenue 400 of the 10 March order)...
        self.assertEqual(sonia["current"]["revenue"], 400.0)
        # ... but the pipeline is what is expected to close in all of March:
        # L1 (25 March) 1000, weighted 1000 × 30 / 100 = 300; L2 closes in April
        self.assertEqual(
            (sonia["current"]["pipeline_value"], sonia["current"]["weighted_pipeline"]),
            (1000.0, 300.0),
        )
        # and in all of February: L10 400, weighted 400 × 50 / 100 = 200
        self.assertEqual(
            (sonia["previous"]["pipeline_value"], sonia["previous"]["weighted_pipeline"]),
            (400.0, 200.0),
        )
        # March 2024: nothing expected to close
        self.assertEqual(sonia["last_year"]["pipeline_value"], 0.0)

    def test_custom_period(self):
        period = Period(date(2025, 3, 5), date(2025, 3, 10))
        company = self._kpis("company", period)[(self.company.id, self.company.id)]
        # 5 March (100) and 10 March (400) only
        self.assertAlmostEqual(company["revenue"], 500.0)
        self.assertEqual(company["orders"], 2)

    def test_query_count_does_not_grow_with_order_lines(self):
        def assert_query_count():
            self.env.flush_all()
            self.env.invalidate_all()
            # sales 1 + invoiced 1 + customers 3 (pairs, first purchases,
            # complete ones) + pipeline 1 + won 1 + lost 1 + activities 1
            # + open opportunities 2 + completeness rules 2 × 2 (search,
            # read) + company and its partner for the time zone 2 + scored
            # forecasts 1 + customer scores 1 = 19 whatever the number of
            # lines
            with self.assertQueryCount(__system__=19):
                self._kpis()

        assert_query_count()
        for day in range(1, 21):
            self._create_order(
                self.sam,
                self.customer_b,
                date(2025, 3, day),
                [(self.product_x, 1, 100.0, 60.0), (self.product_y, 2, 40.0, 25.0)],
            )
        assert_query_count()
