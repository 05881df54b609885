# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.salesperf_odoo.engine.kpi import KPI_CODES

from .test_kpi import MARCH, SalesperfKpiCommon


@tagged("post_install", "-at_install")
class TestKpiDetails(SalesperfKpiCommon):
    """What a KPI value opens: the records it counts, as the user may read them."""

    def _details(self, kpi_code, dimension, entity, user, company=None):
        return (
            self.env["salesperf.kpi"]
            .with_user(user)
            ._action_kpi_details(
                kpi_code, MARCH, dimension, entity.id, (company or self.company).id
            )
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
        # 2 orders (10 and 20 March), as the KPI counts: one group each
        self.assertEqual(self._group_count(orders, self.sonia), 2)

    def test_order_details_have_one_group_per_order_counted(self):
        # an order imported on 12 March under the name of Sonia's 10 March
        # sales order: another order for the KPI (distinct references)
        march_10 = self.env["sale.order"].search(
            [
                ("user_id", "=", self.sonia.id),
                ("date_order", ">=", "2025-03-10"),
                ("date_order", "<", "2025-03-11"),
            ]
        )
        self.assertEqual(len(march_10), 1)
        self.env["salesperf.external.sale"].create(
            {
                "name": march_10.name,
                "date": date(2025, 3, 12),
                "company_id": self.company.id,
                "user_id": self.sonia.id,
                "product_id": self.product_x.id,
                "quantity": 1.0,
                "currency_id": self.currency_xsa.id,
                "price_subtotal": 100.0,
            }
        )
        kpis = self._kpis()[(self.sonia.id, self.company.id)]
        # 10 March, 20 March and the imported one: 3
        self.assertEqual(kpis["orders"], 3)
        orders = self._details("orders", "user", self.sonia, self.sonia)
        self.assertEqual(self._group_count(orders, self.sonia), kpis["orders"])

    def _group_count(self, action, user):
        """Number of innermost groups of the action's list, as its group_by
        makes them."""
        facts = self.env[action["res_model"]].with_user(user)
        return len(facts._read_group(action["domain"], action["context"]["group_by"]))

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
        # open today, whatever the period: the title names no period
        self.assertEqual(
            completeness["name"], "Data completeness (opportunities open today) · Sonia"
        )
        activities = self._details("activities_done", "user", self.sonia, self.sonia)
        # 3 March and 28 March; the February one is out
        self.assertEqual(len(self._records(activities, self.sonia)), 2)

    def test_salesperson_sees_only_her_own_records(self):
        # the company's revenue is 1000; Sonia may read only her own 500, and
        # the title does not call them the company's
        action = self._details("revenue", "company", self.company, self.sonia)
        self.assertEqual(
            action["name"], "Revenue · Salesperf Test Company (your documents) · March 2025"
        )
        self.assertAlmostEqual(sum(self._records(action, self.sonia).mapped("revenue")), 500.0)
        lost = self._details("lost_count", "company", self.company, self.sonia)
        self.assertEqual(self._records(lost, self.sonia).mapped("name"), ["L5"])
        # North's revenue is 900 (Sonia 500 + Sam 400): hers only, said so
        team = self._details("revenue", "team", self.team_north, self.sonia)
        self.assertEqual(team["name"], "Revenue · North (your documents) · March 2025")
        self.assertAlmostEqual(sum(self._records(team, self.sonia).mapped("revenue")), 500.0)

    def test_team_leader_with_own_documents_opens_his_team_target(self):
        # Sam leads North but reads only his own documents: his team's target
        # (read through the leaders' rule) opens his own records, labelled so
        self.team_north.user_id = self.sam
        target = self.env["salesperf.target"].create(
            {
                "scope": "team",
                "team_id": self.team_north.id,
                "metric": "revenue",
                "period_kind": "month",
                "date_from": date(2025, 3, 1),
                "amount": 2000.0,
                "company_id": self.company.id,
            }
        )
        action = target.with_user(self.sam).action_view_actual()
        self.assertEqual(action["name"], "Revenue · North (your documents) · March 2025")
        # Sam's 15 March order: 10 × 40 = 400 (Sonia's 500 are not his to read)
        self.assertAlmostEqual(sum(self._records(action, self.sam).mapped("revenue")), 400.0)

    def test_company_outside_the_allowed_ones_is_refused(self):
        other = self.env["res.company"].create({"name": "Salesperf Other Company"})
        self.lena.company_ids = [Command.link(other.id)]
        for kpi_code in ("revenue", "new_customers", "lost_count"):
            # Sonia is not allowed in the other company
            with self.subTest(kpi_code), self.assertRaises(AccessError):
                self._details(kpi_code, "user", self.sonia, self.sonia, company=other)
            # Lena may work in it, but not with only her current company allowed
            with self.subTest(kpi_code), self.assertRaises(AccessError):
                self.env["salesperf.kpi"].with_user(self.lena).with_context(
                    allowed_company_ids=self.company.ids
                )._action_kpi_details(kpi_code, MARCH, "user", self.sonia.id, other)
        # in her allowed companies, the other company's list opens (empty)
        action = (
            self.env["salesperf.kpi"]
            .with_user(self.lena)
            .with_context(allowed_company_ids=(self.company | other).ids)
            ._action_kpi_details("revenue", MARCH, "user", self.sonia.id, other)
        )
        self.assertFalse(self._records(action, self.lena))

    def test_leader_sees_the_team_and_the_company(self):
        action = self._details("revenue", "team", self.team_north, self.lena)
        self.assertEqual(action["name"], "Revenue · North · March 2025")
        # Sonia 500 + Sam 400 = 900, as the team's KPI
        self.assertAlmostEqual(sum(self._records(action, self.lena).mapped("revenue")), 900.0)
        lost = self._details("lost_count", "company", self.company, self.lena)
        # L5 (Sonia) and L6 (Tom): the company's 2 lost opportunities
        self.assertEqual(sorted(self._records(lost, self.lena).mapped("name")), ["L5", "L6"])

    def test_every_kpi_has_details_and_unknown_ones_are_refused(self):
        # (model, records) Sonia's March KPIs count, read by Lena:
        expected = {
            # sold lines: 10 March X and Y, 20 March X
            **dict.fromkeys(
                (
                    "revenue",
                    "margin",
                    "margin_percent",
                    "quantity",
                    "orders",
                    "average_order_value",
                    "customers",
                    "repeat_purchase_rate",
                ),
                ("salesperf.sale.fact", 3),
            ),
            # no invoice in these data: the invoice facts list nothing
            "invoiced_revenue": ("salesperf.invoice.fact", 0),
            # Bolt's line of 20 March; Acme's two lines of 10 March
            "new_customers": ("salesperf.sale.fact", 1),
            "returning_customers": ("salesperf.sale.fact", 2),
            # L1 closing 25 March
            "pipeline_value": ("crm.lead", 1),
            "weighted_pipeline": ("crm.lead", 1),
            # won L3 and L4; lost L5; 2 won + 1 lost
            "won_count": ("crm.lead", 2),
            "won_value": ("crm.lead", 2),
            "average_cycle_days": ("crm.lead", 2),
            "lost_count": ("crm.lead", 1),
            "win_rate": ("crm.lead", 3),
            # 3 and 28 March
            "activities_done": ("salesperf.activity.fact", 2),
            # L1 and L2, open today
            "data_completeness": ("crm.lead", 2),
            # no month of these data has been reviewed: no forecast scored
            "forecast_mase": ("salesperf.forecast.accuracy", 0),
            "forecast_bias": ("salesperf.forecast.accuracy", 0),
            # no customer has been scored in these data (the customer scores'
            # details are checked in test_customer_insight_panel)
            "active_customers": ("salesperf.customer.score", 0),
            "churned_customers": ("salesperf.customer.score", 0),
            "value_at_risk": ("salesperf.customer.score", 0),
        }
        self.assertEqual(set(expected), set(KPI_CODES))
        for kpi_code, (model, count) in expected.items():
            with self.subTest(kpi_code):
                action = self._details(kpi_code, "user", self.sonia, self.lena)
                self.assertEqual(action["type"], "ir.actions.act_window")
                self.assertFalse(action["context"]["create"])
                self.assertEqual(action["res_model"], model)
                self.assertEqual(len(self._records(action, self.lena)), count)
        with self.assertRaises(UserError):
            self._details("profit", "user", self.sonia, self.sonia)
        with self.assertRaises(UserError):
            self._details("revenue", "region", self.sonia, self.sonia)
