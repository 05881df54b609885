# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date, datetime

from odoo import Command
from odoo.tests import TransactionCase, freeze_time, new_test_user, tagged

from odoo.addons.salesperf_odoo.engine.periods import period_containing

NOVEMBER = period_containing("month", date(2026, 11, 1))


@tagged("post_install", "-at_install")
class TestTimezones(TransactionCase):
    """Two companies far apart, each measured in its own time zone.

    - Auckland (Pacific/Auckland): in November 2026 New Zealand keeps
      daylight time, UTC+13. Its November runs from 31 Oct 11:00 UTC to
      30 Nov 11:00 UTC.
    - Los Angeles (America/Los_Angeles): daylight time (UTC-7) ends on
      Sunday 1 November 2026 at 2:00, then UTC-8. Its November runs from
      1 Nov 07:00 UTC to 1 Dec 08:00 UTC.

    Both have a Monday-to-Friday calendar (8-12, 13-17) in their own time
    zone: November 2026 has 21 working days (2-6, 9-13, 16-20, 23-27, 30).
    Aroha sells for Auckland, Lani for Los Angeles; Mere manages both.

    Opportunities closed (UTC → local day), those of November marked ✓:

    Auckland, Aroha
      W1 won  1000  31 Oct 12:30 → 1 Nov 01:30 ✓  created 1 Oct 12:30: 30 days
      W2 won  2000  10 Nov 00:00 → 10 Nov 13:00 ✓  created 5 Nov 00:00: 5 days
      W3 won   400  30 Nov 11:30 → 1 Dec 00:30
      L1 lost       31 Oct 11:00 → 1 Nov 00:00 ✓
      L2 lost       30 Nov 10:59 → 30 Nov 23:59 ✓
    Los Angeles, Lani
      W4 won   100  1 Nov 05:00 → 31 Oct 22:00
      W5 won   200  10 Nov 00:00 → 9 Nov 16:00 ✓  created 5 Nov 00:00: 5 days
      W6 won   400  1 Dec 07:30 → 30 Nov 23:30 ✓  created 10 Nov 07:30: 21 days
      L3 lost       1 Nov 06:59 → 31 Oct 23:59
      L4 lost       20 Nov 12:00 → 20 Nov 04:00 ✓
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.auckland = cls._company("Salesperf Auckland", "Pacific/Auckland", "base.NZD")
        cls.los_angeles = cls._company("Salesperf Los Angeles", "America/Los_Angeles", "base.USD")
        cls.companies = cls.auckland | cls.los_angeles
        cls.aroha = cls._user("aroha", cls.auckland)
        cls.lani = cls._user("lani", cls.los_angeles)
        cls.mere = cls._user("mere", cls.auckland, "sales_team.group_sale_manager")

        cls._close(
            cls.aroha,
            [
                (1000.0, datetime(2026, 10, 1, 12, 30), datetime(2026, 10, 31, 12, 30)),
                (2000.0, datetime(2026, 11, 5, 0, 0), datetime(2026, 11, 10, 0, 0)),
                (400.0, datetime(2026, 11, 1, 0, 0), datetime(2026, 11, 30, 11, 30)),
                (50.0, None, datetime(2026, 10, 31, 11, 0)),
                (60.0, None, datetime(2026, 11, 30, 10, 59)),
            ],
        )
        cls._close(
            cls.lani,
            [
                (100.0, datetime(2026, 10, 20, 0, 0), datetime(2026, 11, 1, 5, 0)),
                (200.0, datetime(2026, 11, 5, 0, 0), datetime(2026, 11, 10, 0, 0)),
                (400.0, datetime(2026, 11, 10, 7, 30), datetime(2026, 12, 1, 7, 30)),
                (70.0, None, datetime(2026, 11, 1, 6, 59)),
                (80.0, None, datetime(2026, 11, 20, 12, 0)),
            ],
        )

    @classmethod
    def _company(cls, name, tz, currency_xmlid):
        company = cls.env["res.company"].create(
            {"name": name, "currency_id": cls.env.ref(currency_xmlid).id}
        )
        company.partner_id.tz = tz
        # Odoo's default calendar: Monday to Friday, 8-12 and 13-17
        company.resource_calendar_id = cls.env["resource.calendar"].create(
            {"name": f"{name} 40 hours/week", "tz": tz, "company_id": company.id}
        )
        return company

    @classmethod
    def _user(cls, login, company, groups="sales_team.group_sale_salesman"):
        return new_test_user(
            cls.env,
            login=login,
            groups=groups,
            name=login.capitalize(),
            tz="UTC",
            company_id=company.id,
            company_ids=[Command.set(cls.companies.ids)],
        )

    @classmethod
    def _close(cls, user, rows):
        """Opportunities of ``user`` closed at the given UTC times.

        ``rows`` are ``(expected revenue, created, closed)``: won when
        ``created`` is set, lost otherwise.
        """
        leads = cls.env["crm.lead"].create(
            [
                {
                    "name": f"{user.name} {index}",
                    "type": "opportunity",
                    "user_id": user.id,
                    "company_id": user.company_id.id,
                    "expected_revenue": expected,
                }
                for index, (expected, _created, _closed) in enumerate(rows)
            ]
        )
        won = leads.browse(
            [
                lead.id
                for lead, (_expected, created, _closed) in zip(leads, rows, strict=True)
                if created
            ]
        )
        won.action_set_won()
        (leads - won).action_set_lost()
        leads.flush_recordset()
        for lead, (_expected, created, closed) in zip(leads, rows, strict=True):
            if created:
                # the ORM stamps create_date with the transaction time; the
                # sales cycle needs a creation in the past
                cls.env.cr.execute(
                    "UPDATE crm_lead SET create_date = %s WHERE id = %s", (created, lead.id)
                )
                lead.invalidate_recordset(["create_date"])
            # marking won or lost stamps the current time: date it afterwards
            lead.date_closed = closed
        return leads

    def _measures(self, dimension, current_company):
        """November's measures of both companies, ``current_company`` first
        among the allowed ones (the environment's current company)."""
        other = self.companies - current_company
        kpi = (
            self.env["salesperf.kpi"]
            .with_user(self.mere)
            .with_context(allowed_company_ids=[current_company.id, other.id])
        )
        self.assertEqual(kpi.env.company, current_company)
        return kpi._compute_measures(NOVEMBER, dimension, self.companies)

    # ------------------------------------------------------------
    # WON AND LOST OPPORTUNITIES
    # ------------------------------------------------------------

    def test_closed_opportunities_in_each_company_time_zone(self):
        auckland, los_angeles = self.auckland.id, self.los_angeles.id
        for current_company in (self.auckland, self.los_angeles):
            for dimension, keys in [
                ("user", ((self.aroha.id, auckland), (self.lani.id, los_angeles))),
                ("company", ((auckland, auckland), (los_angeles, los_angeles))),
            ]:
                with self.subTest(current=current_company.name, dimension=dimension):
                    measures = self._measures(dimension, current_company)
                    auckland_row, los_angeles_row = (measures[key] for key in keys)
                    # Auckland: W1 + W2 won = 1000 + 2000 = 3000; L1 and L2 lost;
                    # cycles 30 + 5 = 35 days over 2 opportunities
                    self.assertEqual(auckland_row["won_count"], 2)
                    self.assertAlmostEqual(auckland_row["won_value"], 3000.0)
                    self.assertEqual(auckland_row["lost_count"], 2)
                    self.assertEqual(auckland_row["cycle_days_total"], 35)
                    self.assertEqual(auckland_row["cycle_count"], 2)
                    # Los Angeles: W5 + W6 won = 200 + 400 = 600; L4 lost;
                    # cycles 5 + 21 = 26 days over 2 opportunities
                    self.assertEqual(los_angeles_row["won_count"], 2)
                    self.assertAlmostEqual(los_angeles_row["won_value"], 600.0)
                    self.assertEqual(los_angeles_row["lost_count"], 1)
                    self.assertEqual(los_angeles_row["cycle_days_total"], 26)
                    self.assertEqual(los_angeles_row["cycle_count"], 2)

    def test_closed_opportunities_read_once_whatever_the_companies(self):
        kpi = (
            self.env["salesperf.kpi"]
            .with_user(self.mere)
            .with_context(allowed_company_ids=self.companies.ids)
        )
        # once for the caches of the access rules
        kpi._measure_closed_opportunities(NOVEMBER, "user", self.companies)
        for companies in (self.auckland, self.companies):
            with self.subTest(companies=companies.mapped("name")):
                self.env.flush_all()
                self.env.invalidate_all()
                # the companies and their partners for the time zones 2
                # + won 1 + lost 1 = 4, whatever the number of companies
                with self.assertQueryCount(4):
                    kpi._measure_closed_opportunities(NOVEMBER, "user", companies)

    # ------------------------------------------------------------
    # WORKING DAYS
    # ------------------------------------------------------------

    def test_working_days_between_local_midnights(self):
        for company in self.companies:
            with self.subTest(company=company.name):
                # 21 working days in November (see the class docstring); up to
                # Friday 13 included: 2-6 and 9-13 = 10; up to Sunday 1: none
                self.assertEqual(
                    company._salesperf_working_days(NOVEMBER, date(2026, 11, 13)), (10, 21)
                )
                self.assertEqual(
                    company._salesperf_working_days(NOVEMBER, date(2026, 11, 1)), (0, 21)
                )
                self.assertEqual(
                    company._salesperf_working_days(NOVEMBER, date(2026, 12, 5)), (21, 21)
                )

    def test_working_days_with_a_public_holiday(self):
        # A public holiday on Wednesday 11 November, the whole local day of
        # each calendar: Auckland 10 Nov 11:00 → 11 Nov 10:59:59 UTC, Los
        # Angeles 11 Nov 08:00 → 12 Nov 07:59:59 UTC
        for company, start, end in [
            (self.auckland, datetime(2026, 11, 10, 11, 0), datetime(2026, 11, 11, 10, 59, 59)),
            (self.los_angeles, datetime(2026, 11, 11, 8, 0), datetime(2026, 11, 12, 7, 59, 59)),
        ]:
            self.env["resource.calendar.leaves"].create(
                {
                    "name": "Public holiday",
                    "calendar_id": company.resource_calendar_id.id,
                    "date_from": start,
                    "date_to": end,
                }
            )
        for company in self.companies:
            with self.subTest(company=company.name):
                # 21 - 1 = 20 in November; up to Friday 13: 10 - 1 = 9
                self.assertEqual(
                    company._salesperf_working_days(NOVEMBER, date(2026, 11, 13)), (9, 20)
                )
                # up to Tuesday 10, the day before: 2-6, 9-10 = 7
                self.assertEqual(
                    company._salesperf_working_days(NOVEMBER, date(2026, 11, 10)), (7, 20)
                )

    # ------------------------------------------------------------
    # TARGETS
    # ------------------------------------------------------------

    @freeze_time("2026-11-13 00:00:00")
    def test_target_pacing_in_each_company_time_zone(self):
        targets = (
            self.env["salesperf.target"]
            .with_user(self.mere)
            .with_context(allowed_company_ids=self.companies.ids)
            .create(
                [
                    {
                        "scope": "company",
                        "company_id": company.id,
                        "metric": "won_value",
                        "period_kind": "month",
                        "date_from": date(2026, 11, 1),
                        "amount": 2100.0,
                    }
                    for company in self.companies
                ]
            )
        )
        auckland, los_angeles = targets
        # Won values of November (see the class docstring): Auckland 3000,
        # Los Angeles 600
        self.assertAlmostEqual(auckland.actual, 3000.0)
        self.assertAlmostEqual(auckland.attainment, 3000 / 2100 * 100, places=1)  # 142.9
        self.assertAlmostEqual(los_angeles.actual, 600.0)
        self.assertAlmostEqual(los_angeles.attainment, 600 / 2100 * 100, places=1)  # 28.6
        # 13 Nov 00:00 UTC is Friday 13 at 13:00 in Auckland: 10 of the 21
        # working days are elapsed, 2100 × 10 / 21 = 1000
        self.assertAlmostEqual(auckland.expected_to_date, 1000.0, places=2)
        self.assertAlmostEqual(auckland.run_rate, 3000 * 21 / 10, places=2)  # 6300
        self.assertEqual(auckland.pacing_status, "ahead")  # 3000 / 1000 = 3 ≥ 1.10
        # ... and Thursday 12 at 16:00 in Los Angeles: 9 of 21 elapsed,
        # 2100 × 9 / 21 = 900.
        # (up to the user's today, 13 Nov in UTC, it would get 10 days: 1000)
        self.assertAlmostEqual(los_angeles.expected_to_date, 900.0, places=2)
        self.assertAlmostEqual(los_angeles.run_rate, 600 * 21 / 9, places=2)  # 1400
        self.assertEqual(los_angeles.pacing_status, "behind")  # 600 / 900 = 0.67 < 0.80

    @freeze_time("2026-11-30 12:00:00")
    def test_current_period_is_the_companys(self):
        # 30 Nov 12:00 UTC is 1 Dec 01:00 in Auckland, 30 Nov 04:00 in Los
        # Angeles: the ranking and the KPI review open on each company's month
        for company, day, start in [
            (self.auckland, date(2026, 12, 1), date(2026, 12, 1)),
            (self.los_angeles, date(2026, 11, 30), date(2026, 11, 1)),
        ]:
            env = self.env(user=self.mere, context={"allowed_company_ids": company.ids})
            ranking = env["salesperf.ranking"].create({})
            review = env["salesperf.kpi.review"].create({})
            self.assertEqual((ranking.reference_date, ranking.date_from), (day, start))
            self.assertEqual((review.reference_date, review.date_from), (day, start))
            self.assertEqual(company._salesperf_month_start(), start)
