# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import datetime, time, timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.salesperf_odoo.engine.periods import period_containing

PIPELINE_URL = "/odoo/action-crm.crm_lead_action_pipeline"


class PipelinePanelTourCommon(HttpCase):
    """The goals panel of the CRM pipeline, with data relative to today (a
    tour cannot freeze the browser's clock): every order is dated today, so
    it counts in the current month and quarter whatever the day.

    A company of its own (currency § after the amount, rate 1.0, time zone
    UTC); team "Panel Team" led by Sam, with Sonia and Tina.

    - Sonia's two orders today: 7 × 100 + 5 × 100 = 1,200 of revenue, 2 orders.
    - Sonia's open opportunity "Panel Big Deal": 26,400 at 50 %, closing today,
      weighted 13,200, counted in the rest of the month and of the quarter.
    - Sam's "Panel Small Deal" closes in more than a year: outside both periods.

    Targets, and what the panel shows (gap = target - actual, 0 once
    reached; coverage = weighted pipeline / gap):

    - Sonia, month, revenue 1,000: 1,200 / 1,000, 120 %, reached. Ahead on any
      day: the expected-to-date is at most the target, so actual / expected
      ≥ 1.2 ≥ 1.10, the "ahead" threshold (or nothing expected yet and
      actual > 0: ahead too). No coverage: no gap.
    - Sonia, month, orders 5: 2 / 5, 3 to go, no coverage (not monetary).
    - Sonia, quarter, revenue 10,000: 1,200 / 10,000, 8,800 to go,
      coverage 13,200 / 8,800 = 1.5.
    - Panel Team, month, revenue 2,000: the team's orders are Sonia's,
      1,200 / 2,000, 800 to go, coverage 13,200 / 800 = 16.5.
    - Tina: no target.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.currency = cls.env["res.currency"].create(
            {"name": "XPG", "symbol": "§", "position": "after", "rounding": 0.01}
        )
        cls.company = cls.env["res.company"].create(
            {"name": "Salesperf Panel Company", "currency_id": cls.currency.id}
        )
        cls.company.partner_id.tz = "UTC"

        def salesperson(login, name):
            return new_test_user(
                cls.env,
                login=login,
                name=name,
                groups="sales_team.group_sale_salesman",
                company_id=cls.company.id,
                company_ids=[Command.set(cls.company.ids)],
                tz="UTC",
            )

        cls.sonia = salesperson("sonia_panel", "Sonia Panel")
        cls.sam = salesperson("sam_panel", "Sam Panel")
        cls.tina = salesperson("tina_panel", "Tina Panel")
        cls.team = cls.env["crm.team"].create(
            {
                "name": "Panel Team",
                "company_id": cls.company.id,
                "user_id": cls.sam.id,
                "member_ids": [Command.set((cls.sonia | cls.sam | cls.tina).ids)],
            }
        )
        cls.today = fields.Date.context_today(cls.env["res.users"].with_user(cls.sonia))
        cls.pricelist = cls.env["product.pricelist"].create(
            {"name": "XPG", "currency_id": cls.currency.id, "company_id": cls.company.id}
        )
        cls.customer = cls.env["res.partner"].create({"name": "Panel Customer"})
        cls.product = cls.env["product.product"].create(
            {"name": "Panel Widget", "list_price": 100.0, "taxes_id": False}
        )
        for quantity in (7, 5):
            order = cls.env["sale.order"].create(
                {
                    "partner_id": cls.customer.id,
                    "user_id": cls.sonia.id,
                    "team_id": cls.team.id,
                    "company_id": cls.company.id,
                    "pricelist_id": cls.pricelist.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": cls.product.id,
                                "product_uom_qty": quantity,
                                "price_unit": 100.0,
                                "tax_id": False,
                            }
                        )
                    ],
                }
            )
            order.action_confirm()
            # confirming stamps the current time: date it today at 10:00 UTC
            order.date_order = datetime.combine(cls.today, time(10))
        cls.env["crm.lead"].create(
            [
                {
                    "name": "Panel Big Deal",
                    "type": "opportunity",
                    "user_id": cls.sonia.id,
                    "team_id": cls.team.id,
                    "company_id": cls.company.id,
                    "expected_revenue": 26400.0,
                    "probability": 50.0,
                    "date_deadline": cls.today,
                },
                {
                    "name": "Panel Small Deal",
                    "type": "opportunity",
                    "user_id": cls.sam.id,
                    "team_id": cls.team.id,
                    "company_id": cls.company.id,
                    "expected_revenue": 1000.0,
                    "probability": 10.0,
                    "date_deadline": cls.today + timedelta(days=400),
                },
            ]
        )
        month = period_containing("month", cls.today).start
        quarter = period_containing("quarter", cls.today).start
        cls.env["salesperf.target"].create(
            [
                {
                    "scope": scope,
                    "user_id": user.id,
                    "team_id": team.id,
                    "metric": metric,
                    "period_kind": kind,
                    "date_from": start,
                    "amount": amount,
                    "company_id": cls.company.id,
                }
                for scope, user, team, metric, kind, start, amount in [
                    ("user", cls.sonia, cls.env["crm.team"], "revenue", "month", month, 1000.0),
                    ("user", cls.sonia, cls.env["crm.team"], "orders", "month", month, 5.0),
                    ("user", cls.sonia, cls.env["crm.team"], "revenue", "quarter", quarter, 10000),
                    ("team", cls.env["res.users"], cls.team, "revenue", "month", month, 2000.0),
                ]
            ]
        )

    def _assert_server_figures(self):
        """The figures the tours look for, straight from the server: a wrong
        figure fails here with its value rather than as a tour timeout."""
        Target = self.env["salesperf.target"]
        month, quarter = Target.with_user(self.sonia).get_pipeline_panel()["periods"]
        revenue, orders = (
            next(goal for goal in month["goals"] if goal["metric"] == metric)
            for metric in ("revenue", "orders")
        )
        self.assertEqual(
            (revenue["actual"], revenue["gap"], revenue["status"]), (1200.0, 0.0, "ahead")
        )
        self.assertAlmostEqual(revenue["attainment"], 120.0)
        self.assertEqual((orders["actual"], orders["gap"], orders["coverage"]), (2.0, 3.0, False))
        [quarter_revenue] = quarter["goals"]
        self.assertEqual((quarter_revenue["actual"], quarter_revenue["gap"]), (1200.0, 8800.0))
        self.assertAlmostEqual(quarter_revenue["coverage"], 1.5)
        leader = Target.with_user(self.sam).get_pipeline_panel()
        self.assertEqual(leader["title"], "Panel Team")
        self.assertEqual(
            {member["name"] for member in leader["members"]}, {"Sonia Panel", "Tina Panel"}
        )
        [team_revenue] = leader["periods"][0]["goals"]
        self.assertEqual((team_revenue["actual"], team_revenue["gap"]), (1200.0, 800.0))
        self.assertAlmostEqual(team_revenue["coverage"], 16.5)
        self.assertEqual(leader["periods"][1]["goals"], [])

    def _run_tours(self):
        self._assert_server_figures()
        self.start_tour(PIPELINE_URL, "salesperf_pipeline_goals_tour", login="sonia_panel")
        self.start_tour(PIPELINE_URL, "salesperf_pipeline_goals_leader_tour", login="sam_panel")


@tagged("post_install", "-at_install")
class TestPipelinePanelTour(PipelinePanelTourCommon):
    def test_pipeline_panel_tours(self):
        self._run_tours()

    def test_only_the_pipeline_kanban_gets_the_panel(self):
        """The forecast (a primary child of the pipeline kanban) and the leads
        kanban keep their own views."""
        expected = {
            "crm.crm_case_kanban_view_leads": 'js_class="salesperf_crm_kanban"',
            "crm.crm_lead_view_kanban_forecast": 'js_class="forecast_kanban"',
            "crm.view_crm_lead_kanban": 'js_class="crm_kanban"',
        }
        Lead = self.env["crm.lead"]
        for xmlid, js_class in expected.items():
            with self.subTest(view=xmlid):
                view = self.env.ref(xmlid)
                arch = Lead.get_views([(view.id, "kanban")])["views"]["kanban"]["arch"]
                self.assertIn(js_class, arch)


@tagged("post_install", "-at_install")
class TestPipelinePanelTourMobile(PipelinePanelTourCommon):
    """The same tours at phone width: the cards wrap, the selector works."""

    browser_size = "375x667"
    touch_enabled = True

    def test_pipeline_panel_tours_on_phone(self):
        self._run_tours()
