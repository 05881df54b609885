# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import html2plaintext, mute_logger

from .test_forecast_accuracy import APRIL, MAY, ForecastReviewCommon

NBSP = "\N{NO-BREAK SPACE}"


class AnomalyCommon(ForecastReviewCommon):
    """Tom leads his own team South; Ada administers Sales Performance."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team_south.user_id = cls.tom
        cls.ada = new_test_user(
            cls.env,
            login="ada",
            groups="salesperf_odoo.group_salesperf_manager",
            name="Ada",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def _review(self, day="2025-06-03 08:00:00"):
        with freeze_time(day):
            self.env["salesperf.forecast.review"]._cron_review_closed_months()

    def _anomalies(self, user=None, domain=()):
        anomalies = self.env["salesperf.forecast.anomaly"]
        if user:
            anomalies = anomalies.with_user(user)
        return anomalies.search([("company_id", "=", self.company.id), *domain])

    def _anomaly(self, kind, series_key):
        anomaly = self._anomalies(domain=[("kind", "=", kind), ("series_key", "=", series_key)])
        self.assertEqual(len(anomaly), 1, (kind, series_key))
        return anomaly


@tagged("post_install", "-at_install")
class TestForecastAnomaly(AnomalyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # May 2025: Sonia 100 to Acme, Sam 50 to Bolt, Tom 30 to Core; the
        # widgets category 180
        cls._create_order(
            cls.sonia, cls.customer_a, date(2025, 5, 12), [(cls.product_x, 1, 100, 0)]
        )
        cls._create_order(cls.sam, cls.customer_b, date(2025, 5, 20), [(cls.product_y, 1, 50, 0)])
        cls._create_order(cls.tom, cls.customer_c, date(2025, 5, 31), [(cls.product_y, 1, 30, 0)])
        run = cls._run(APRIL)
        cls.forecast_run = run

        def line(key, forecast, lo95, hi95, **values):
            return cls._line(run, key, MAY, forecast, lo95=lo95, hi95=hi95, **values)

        line("user", 120.0, 105.0, 135.0, user=cls.sonia)  # 100: 5 below
        line("user", 50.0, 40.0, 60.0, user=cls.sam)  # 50: inside
        line("user", 10.0, 5.0, 20.0, user=cls.tom)  # 30: 10 above
        line("team", 150.0, 140.0, 160.0, team=cls.team_north)  # 150: inside
        line("team", 10.0, 0.0, 25.0, team=cls.team_south)  # 30: 5 above
        line("categ", 120.0, 100.0, 150.0, categ=cls.category)  # 180: 30 above
        line("partner", 20.0, 0.0, 50.0, partner=cls.customer_a)  # 100: 50 above
        line("partner", 60.0, 55.0, 65.0, partner=cls.customer_b)  # 50: 5 below
        # not watched: orders without salesperson (0 below 10), the company
        line("user", 15.0, 10.0, 20.0)
        line("company", 10.0, 0.0, 1.0)
        # made in March (two months ahead): not the forecast made a month earlier
        march = cls._run(date(2025, 3, 1))
        cls._line(march, "user", MAY, 0.0, lo95=0.0, hi95=1.0, user=cls.sam)

    def test_outside_the_forecast_band_by_hand(self):
        self._review()
        sonia = self._anomaly("forecast", f"user:{self.sonia.id}")
        # 100 against the interval [105, 135]: 105 - 100 = 5 below, 5 / 105 × 100 = 4.76 %
        self.assertEqual(
            (sonia.level, sonia.user_id, sonia.team_id, sonia.date, sonia.direction),
            ("user", self.sonia, self.team_north, MAY, "below"),
        )
        self.assertAlmostEqual(sonia.actual, 100.0)
        self.assertAlmostEqual(sonia.expected, 120.0)
        self.assertAlmostEqual(sonia.lower, 105.0)
        self.assertAlmostEqual(sonia.upper, 135.0)
        self.assertAlmostEqual(sonia.size, 5.0)
        self.assertAlmostEqual(sonia.size_percent, 5 / 105 * 100)
        self.assertEqual(sonia.run_id, self.forecast_run)
        self.assertEqual(
            sonia.reason,
            f"Revenue of Sonia in May 2025: 100.00{NBSP}§, below the 95 % interval of the "
            f"forecast made a month earlier (forecast 120.00{NBSP}§, interval 105.00{NBSP}§ to "
            f"135.00{NBSP}§), by 5.00{NBSP}§ (4.8 % of the bound).",
        )
        # Tom: 30 - 20 = 10 above, 10 / 20 × 100 = 50 %
        tom = self._anomaly("forecast", f"user:{self.tom.id}")
        self.assertEqual((tom.direction, tom.size, tom.size_percent), ("above", 10.0, 50.0))
        # South: 30 - 25 = 5 above, 20 %; the widgets: 180 - 150 = 30 above, 20 %
        south = self._anomaly("forecast", f"team:{self.team_south.id}")
        self.assertEqual(
            (south.level, south.team_id, south.size, south.size_percent),
            ("team", self.team_south, 5.0, 20.0),
        )
        categ = self._anomaly("forecast", f"categ:{self.category.id}")
        self.assertEqual(
            (categ.level, categ.categ_id, categ.size, categ.size_percent),
            ("category", self.category, 30.0, 20.0),
        )
        # Acme: 100 - 50 = 50 above, 100 %; Bolt: 55 - 50 = 5 below, 5 / 55 × 100 = 9.09 %
        acme = self._anomaly("forecast", f"partner:{self.customer_a.id}")
        self.assertEqual(
            (acme.level, acme.partner_id, acme.size, acme.size_percent),
            ("customer", self.customer_a, 50.0, 100.0),
        )
        bolt = self._anomaly("forecast", f"partner:{self.customer_b.id}")
        self.assertEqual((bolt.direction, bolt.size), ("below", 5.0))
        self.assertAlmostEqual(bolt.size_percent, 5 / 55 * 100)
        # nothing else: Sam and North inside, no salesperson, no company, not March's run
        self.assertEqual(len(self._anomalies()), 6)

    def test_the_manager_gets_one_activity_with_the_figures(self):
        self._review()
        todo = self.env.ref("mail.mail_activity_data_todo")
        expected_managers = {
            # the leader of her team
            f"user:{self.sonia.id}": self.leo,
            # Tom leads his own team: not himself, the administrator
            f"user:{self.tom.id}": self.ada,
            # a team: its leader
            f"team:{self.team_south.id}": self.tom,
            # categories and customers: the administrator
            f"categ:{self.category.id}": self.ada,
            f"partner:{self.customer_a.id}": self.ada,
            f"partner:{self.customer_b.id}": self.ada,
        }
        anomalies = self._anomalies()
        self.assertEqual({a.series_key: a.manager_id for a in anomalies}, expected_managers)
        for anomaly in anomalies:
            activity = anomaly.activity_ids
            self.assertEqual(len(activity), 1, anomaly.series_key)
            self.assertEqual(activity.user_id, anomaly.manager_id)
            self.assertEqual(activity.activity_type_id, todo)
            self.assertEqual(activity.date_deadline, date(2025, 6, 3))
            # the reason, figures included, as the note's text
            self.assertEqual(
                html2plaintext(activity.note).replace(NBSP, " "), anomaly.reason.replace(NBSP, " ")
            )
        # the leader, who reads his own documents only, marks it done
        sonia = self._anomaly("forecast", f"user:{self.sonia.id}")
        sonia.activity_ids.with_user(self.leo).action_feedback(feedback="Acme's order slipped")
        self.assertFalse(sonia.activity_ids)

    def test_without_administrator_a_salesperson_reading_all_documents_is_told(self):
        # Ada leaves: the company has no Sales Performance administrator;
        # Lena's sales rights read all documents, every anomaly included
        self.ada.active = False
        self._review()
        told = {a.series_key: a.manager_id for a in self._anomalies()}
        self.assertEqual(told[f"user:{self.sonia.id}"], self.leo)
        self.assertEqual(told[f"team:{self.team_south.id}"], self.tom)
        for key in (
            f"user:{self.tom.id}",
            f"categ:{self.category.id}",
            f"partner:{self.customer_a.id}",
            f"partner:{self.customer_b.id}",
        ):
            self.assertEqual(told[key], self.lena, key)
        categ = self._anomaly("forecast", f"categ:{self.category.id}")
        self.assertEqual(categ.activity_ids.user_id, self.lena)
        # and she reads what she is told about
        self.assertEqual(categ.with_user(self.lena).reason, categ.reason)

    def test_without_anybody_to_tell_a_warning_is_logged(self):
        # neither an administrator nor anyone reading all documents
        self.ada.active = False
        self.lena.active = False
        with self.assertLogs(
            "odoo.addons.salesperf_odoo.models.salesperf_forecast_anomaly", "WARNING"
        ) as logs:
            self._review()
        # 4 anomalies have no team leader to go to: Tom's own (he leads his
        # team), the category and both customers
        self.assertEqual(len(logs.output), 1)
        self.assertIn(
            f"4 sales anomalies of {self.company.name} (id {self.company.id}), 2025-05",
            logs.output[0],
        )
        anomalies = self._anomalies()
        self.assertEqual(len(anomalies), 6)
        unmanaged = anomalies.filtered(lambda anomaly: not anomaly.manager_id)
        self.assertEqual(len(unmanaged), 4)
        self.assertFalse(unmanaged.activity_ids)
        # the leaders are still told
        self.assertEqual(len((anomalies - unmanaged).activity_ids), 2)

    def test_nothing_is_alerted_twice(self):
        self._review()
        anomalies = self._anomalies()
        activities = self.env["mail.activity"].search(
            [("res_model", "=", "salesperf.forecast.anomaly"), ("res_id", "in", anomalies.ids)]
        )
        self.assertEqual(len(activities), 6)
        # the daily run again, the next day and the day after
        self._review()
        self._review("2025-06-04 08:00:00")
        self.assertEqual(self._anomalies(), anomalies)
        # checking the month again directly raises nothing either
        with freeze_time("2025-06-04 08:00:00"):
            self.assertFalse(
                self.env["salesperf.forecast.anomaly"]._detect_month(self.company, MAY)
            )
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [("res_model", "=", "salesperf.forecast.anomaly"), ("res_id", "in", anomalies.ids)]
            ),
            6,
        )

    def test_unreadable_forecasts_leave_nothing_written(self):
        # a band upside down (95 % low above high): the month is not reviewed
        # at all, neither scored nor alerted, and is tried again the next day
        bad = self._line(self.forecast_run, "user", MAY, 10.0, lo95=30.0, hi95=20.0, user=self.lena)
        with mute_logger("odoo.addons.salesperf_odoo.models.salesperf_forecast_accuracy"):
            self._review()
        self.assertFalse(self._anomalies())
        self.assertFalse(
            self.env["salesperf.forecast.accuracy"].search([("company_id", "=", self.company.id)])
        )
        self.assertFalse(
            self.env["salesperf.forecast.review"].search([("company_id", "=", self.company.id)])
        )
        # once corrected, the next day reviews it
        bad.write({"lo95": 0.0, "hi95": 20.0})
        self._review("2025-06-04 08:00:00")
        self.assertEqual(len(self._anomalies()), 6)

    def test_who_reads_which_anomaly(self):
        self._review()

        def seen(user):
            return set(self._anomalies(user).mapped("series_key"))

        self.assertEqual(seen(self.sonia), {f"user:{self.sonia.id}"})
        # Tom: his own and his team's
        self.assertEqual(seen(self.tom), {f"user:{self.tom.id}", f"team:{self.team_south.id}"})
        # Leo: his member Sonia's (North has none of its own)
        self.assertEqual(seen(self.leo), {f"user:{self.sonia.id}"})
        # all documents and the administrator: everything, categories and customers too
        self.assertEqual(len(self._anomalies(self.lena)), 6)
        self.assertEqual(len(self._anomalies(self.ada)), 6)
        # another company's anomaly stays there
        other = self.env["res.company"].create({"name": "Salesperf Other"})
        self.env["salesperf.forecast.anomaly"].create(
            {
                "company_id": other.id,
                "kind": "margin",
                "level": "user",
                "series_key": f"user:{self.lena.id}",
                "user_id": self.lena.id,
                "date": MAY,
                "direction": "below",
            }
        )
        self.assertEqual(
            self.env["salesperf.forecast.anomaly"].with_user(self.lena).search([]).company_id,
            self.company,
        )
        # nobody writes them
        anomaly = self._anomalies(domain=[("user_id", "=", self.sonia.id)])
        for user in (self.sonia, self.leo, self.lena):
            with self.assertRaises(AccessError):
                anomaly.with_user(user).write({"size": 0.0})
            with self.assertRaises(AccessError):
                anomaly.with_user(user).unlink()


@tagged("post_install", "-at_install")
class TestPercentAnomalies(AnomalyCommon):
    """Discount % and margin % against the salesperson's previous 12 months."""

    SONIA_DISCOUNTS = [10, 12, 11, 13, 9, 10, 11, 12, 10, 11, 12, 11]
    SAM_MARGINS = [30, 32, 31, 33, 29, 30, 31, 32, 30, 31, 32, 31]

    @classmethod
    def _sell(cls, user, day, price, cost, discount=0.0, pricelist=None, state="sale"):
        """One order of one Widget X at ``price`` less ``discount`` %, costing ``cost``."""
        order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer_a.id,
                "user_id": user.id,
                "team_id": (cls.team_south if user == cls.tom else cls.team_north).id,
                "company_id": cls.company.id,
                "pricelist_id": (pricelist or cls.pricelist_xsa).id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": cls.product_x.id,
                            "product_uom_qty": 1,
                            "price_unit": price,
                            "discount": discount,
                            "purchase_price": cost,
                            "tax_id": False,
                        }
                    )
                ],
            }
        )
        if state == "sale":
            order.action_confirm()
        order.date_order = datetime.combine(day, datetime.min.time().replace(hour=10))
        return order

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        first = date(2024, 5, 1)
        # Sonia: list price 100 less her discount, costing 60 % of the
        # discounted price: a margin of 40 % every month, May included
        for index, discount in enumerate([*cls.SONIA_DISCOUNTS, 20]):
            day = first + relativedelta(months=index, days=9)
            cls._sell(cls.sonia, day, 100.0, 0.6 * (100.0 - discount), discount)
        # Sam: no discount; margins of 30 to 33 %, then 20 % in May
        for index, margin in enumerate([*cls.SAM_MARGINS, 20]):
            day = first + relativedelta(months=index, days=14)
            cls._sell(cls.sam, day, 100.0, 100.0 - margin)
        # Tom: 5 months at 10 % and 40 % margin, then 50 % discount: too short to judge
        for index in range(5):
            cls._sell(cls.tom, date(2024, 12, 5) + relativedelta(months=index), 100.0, 54.0, 10.0)
        cls._sell(cls.tom, date(2025, 5, 5), 100.0, 30.0, 50.0)

    def test_discount_beyond_three_robust_deviations(self):
        self._review()
        anomaly = self._anomaly("discount", f"user:{self.sonia.id}")
        # previous 12 months: median 11, MAD 1 -> sigma 1.4826; range
        # 11 ± 3 × 1.4826 = [6.5522, 15.4478]; May 20 % is
        # 20 - 15.4478 = 4.5522 points above, 4.5522 / 15.4478 × 100 = 29.47 %
        self.assertEqual(
            (anomaly.level, anomaly.user_id, anomaly.direction), ("user", self.sonia, "above")
        )
        self.assertAlmostEqual(anomaly.actual, 20.0)
        self.assertAlmostEqual(anomaly.expected, 11.0)
        self.assertAlmostEqual(anomaly.lower, 6.5522, places=4)
        self.assertAlmostEqual(anomaly.upper, 15.4478, places=4)
        self.assertAlmostEqual(anomaly.size, 4.5522, places=4)
        self.assertAlmostEqual(anomaly.size_percent, 4.5522 / 15.4478 * 100, places=3)
        self.assertEqual(anomaly.manager_id, self.leo)
        self.assertEqual(
            anomaly.reason,
            "Discount % of Sonia in May 2025: 20.0 %, above the usual range of the previous 12 "
            "months (median 11.0 %, range 6.6 % to 15.4 %: 3 robust standard deviations), by "
            "4.6 points (29.5 % of the bound).",
        )
        self.assertEqual(len(anomaly.activity_ids), 1)

    def test_margin_beyond_three_robust_deviations(self):
        self._review()
        anomaly = self._anomaly("margin", f"user:{self.sam.id}")
        # median 31, MAD 1: range [26.5522, 35.4478]; May 20 % is
        # 26.5522 - 20 = 6.5522 points below, 6.5522 / 26.5522 × 100 = 24.68 %
        self.assertEqual(anomaly.direction, "below")
        self.assertAlmostEqual(anomaly.actual, 20.0)
        self.assertAlmostEqual(anomaly.expected, 31.0)
        self.assertAlmostEqual(anomaly.size, 6.5522, places=4)
        self.assertAlmostEqual(anomaly.size_percent, 6.5522 / 26.5522 * 100, places=3)
        self.assertEqual(anomaly.manager_id, self.leo)
        # Sonia's steady 40 % margin and Sam's steady 0 % discount are usual;
        # Tom's 5 months of history are too few (6 needed)
        self.assertEqual(
            {(a.kind, a.user_id) for a in self._anomalies()},
            {("discount", self.sonia), ("margin", self.sam)},
        )

    def test_monthly_discount_by_hand(self):
        anomalies = self.env["salesperf.forecast.anomaly"]
        # Lena in May: 100 less 10 % (10) in XSA, and 400 XSB less 30 %
        # (120 XSB) at 4 XSB per XSA: 100 and 30 XSA; (10 + 30) / (100 + 100)
        # × 100 = 20 %. Her quotation at 90 % does not count.
        self._sell(self.lena, date(2025, 5, 3), 100.0, 0.0, 10.0)
        self._sell(self.lena, date(2025, 5, 4), 400.0, 0.0, 30.0, pricelist=self.pricelist_xsb)
        self._sell(self.lena, date(2025, 5, 5), 1000.0, 0.0, 90.0, state="draft")
        discounts = anomalies._monthly_discount(self.company, MAY, MAY)
        self.assertEqual(set(discounts[self.lena.id]), {MAY})
        self.assertAlmostEqual(discounts[self.lena.id][MAY], 20.0)
        # Sonia's May: 20 / 100
        self.assertAlmostEqual(discounts[self.sonia.id][MAY], 20.0)
        # her margin of May: (80 - 48) / 80 × 100 = 40 %
        margins = anomalies._monthly_margin(self.company, MAY, MAY)
        self.assertAlmostEqual(margins[self.sonia.id][MAY], 40.0)
