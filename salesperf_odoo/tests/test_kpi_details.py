# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.salesperf_odoo.engine.kpi import KPI_CODES

from .test_kpi import MARCH, SalesperfKpiCommon


@tagged("post_install", "-at_install")
class TestKpiDetails(SalesperfKpiCommon):
    """What a KPI value opens: the records it counts, as the user may read them."""

    def _details(self, kpi_code, dimension, entity, user):
        return (
            self.env["salesperf.kpi"]
            .with_user(user)
            ._action_kpi_details(kpi_code, MARCH, dimension, entity.id, self.company)
        )

    def _records(self, action, user):
        """The records the action's list shows to ``user``."""
        context = {
            key: value for key, value in action["context"].items() if key in ("active_test",)
        }
        return (
            self.env[action["res_model"]]
            .with_user(user)
            .with_context(**context)
            .search(action["domain"])
        )

    def test_sales_details_of_a_salesperson(self):
        action = self._details("revenue", "user", self.sonia, self.sonia)
        self.assertEqual(action["name"], "Revenue · Sonia · March 2025")
        self.assertEqual(action["res_model"], "salesperf.sale.fact")
        lines = self._records(action, self.sonia)
        # the KPI: 400 (10 March, two lines) + 100 (20 March) = 500, 3 lines
        self.assertEqual(len(lines), 3)
        self.assertAlmostEqual(sum(lines.mapped("revenue")), 500.0)
        self.assertAlmostEqual(sum(lines.mapped("margin")), 195.0)  # 155 + 40
        orders = self._details("orders", "user", self.sonia, self.sonia)
        self.assertEqual(orders["context"]["group_by"], ["order_name"])
        # 2 orders, as the KPI counts
        self.assertEqual(len(set(self._records(orders, self.sonia).mapped("order_name"))), 2)

    def test_customer_details(self):
        def customers(kpi_code):
            action = self._details(kpi_code, "user", self.sonia, self.sonia)
            return self._records(action, self.sonia).commercial_partner_id

        # Acme bought first on 2024-03-12 (returning), Bolt on 5 March (new)
        self.assertEqual(customers("customers"), self.customer_a | self.customer_b)
        self.assertEqual(customers("new_customers"), self.customer_b)
        self.assertEqual(customers("returning_customers"), self.customer_a)

    def test_opportunity_and_activity_details(self):
        def names(kpi_code):
            action = self._details(kpi_code, "user", self.sonia, self.sonia)
            self.assertIn("March 2025", action["name"])
            return sorted(self._records(action, self.sonia).mapped("name"))

        # the KPI counts pipeline L1 only (L2 closes in April, L7 is a lead)
        self.assertEqual(names("pipeline_value"), ["L1"])
        self.assertEqual(names("won_value"), ["L3", "L4"])
        self.assertEqual(names("average_cycle_days"), ["L3", "L4"])
        # lost L5 is archived: the action shows archived records
        self.assertEqual(names("lost_count"), ["L5"])
        self.assertEqual(names("win_rate"), ["L3", "L4", "L5"])  # 2 won + 1 lost
        # data completeness: the opportunities open now, named as such
        self.assertEqual(names("data_completeness"), ["L1", "L2"])
        completeness = self._details("data_completeness", "user", self.sonia, self.sonia)
        self.assertEqual(
            completeness["name"], "Data completeness (open opportunities) · Sonia · March 2025"
        )
        activities = self._details("activities_done", "user", self.sonia, self.sonia)
        # 3 March and 28 March; the February one is out
        self.assertEqual(len(self._records(activities, self.sonia)), 2)

    def test_salesperson_sees_only_her_own_records(self):
        # the company's revenue is 1000; Sonia may read only her own 500
        action = self._details("revenue", "company", self.company, self.sonia)
        self.assertAlmostEqual(sum(self._records(action, self.sonia).mapped("revenue")), 500.0)
        lost = self._details("lost_count", "company", self.company, self.sonia)
        self.assertEqual(self._records(lost, self.sonia).mapped("name"), ["L5"])

    def test_leader_sees_the_team_and_the_company(self):
        action = self._details("revenue", "team", self.team_north, self.lena)
        self.assertEqual(action["name"], "Revenue · North · March 2025")
        # Sonia 500 + Sam 400 = 900, as the team's KPI
        self.assertAlmostEqual(sum(self._records(action, self.lena).mapped("revenue")), 900.0)
        lost = self._details("lost_count", "company", self.company, self.lena)
        # L5 (Sonia) and L6 (Tom): the company's 2 lost opportunities
        self.assertEqual(sorted(self._records(lost, self.lena).mapped("name")), ["L5", "L6"])

    def test_every_kpi_has_details_and_unknown_ones_are_refused(self):
        for kpi_code in KPI_CODES:
            action = self._details(kpi_code, "user", self.sonia, self.lena)
            self.assertEqual(action["type"], "ir.actions.act_window")
            self.assertFalse(action["context"]["create"])
        with self.assertRaises(UserError):
            self._details("profit", "user", self.sonia, self.sonia)
        with self.assertRaises(UserError):
            self._details("revenue", "region", self.sonia, self.sonia)
