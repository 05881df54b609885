# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import time as clock
from datetime import datetime, time, timedelta
from unittest.mock import patch

from odoo import Command, api, fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.salesperf_odoo.engine.periods import period_containing

from .common import SalesperfTourCase

PIPELINE_URL = "/odoo/action-crm.crm_lead_action_pipeline"


class PipelinePanelTourCommon(SalesperfTourCase):
    """The goals panel of the CRM pipeline, with data relative to today (a
    tour cannot freeze the browser's clock): every order is dated today, so
    it counts in the current month and quarter whatever the day.

    A company of its own (currency § after the amount, rate 1.0, time zone
    UTC); team "Panel Team" led by Sam, with Sonia and Tina. Sonia and Tina
    are salespeople with their own documents; Sam, as team leaders often
    are, and Dora, a director who leads no team, see all documents.

    - Sonia's two orders today: 7 × 100 + 5 × 100 = 1,200 of revenue, 2 orders.
    - Sonia's open opportunity "Panel Big Deal": 26,400 at 50 %, closing today,
      weighted 13,200, counted in the rest of the month and of the quarter.
    - Sam's "Panel Small Deal" closes in more than a year: outside both periods.

    Confirmed targets, and what the panel shows (gap = target - actual, 0 once
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
    - The company, month, revenue 5,000: 1,200 / 5,000.
    - Sam and Tina: no target.

    Drafts, shown to Sam who manages them, hidden from Sonia and Dora: the
    team's orders of the month (10) and Sonia's won opportunities (3).
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

        def salesperson(login, name, groups="sales_team.group_sale_salesman"):
            return new_test_user(
                cls.env,
                login=login,
                name=name,
                groups=groups,
                company_id=cls.company.id,
                company_ids=[Command.set(cls.company.ids)],
                tz="UTC",
            )

        cls.sonia = salesperson("sonia_panel", "Sonia Panel")
        all_documents = "sales_team.group_sale_salesman_all_leads"
        cls.sam = salesperson("sam_panel", "Sam Panel", all_documents)
        cls.tina = salesperson("tina_panel", "Tina Panel")
        cls.dora = salesperson("dora_panel", "Dora Panel", all_documents)
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
        no_user, no_team = cls.env["res.users"], cls.env["crm.team"]
        rows = [
            ("user", cls.sonia, no_team, "revenue", "month", month, 1000.0, True),
            ("user", cls.sonia, no_team, "orders", "month", month, 5.0, True),
            ("user", cls.sonia, no_team, "revenue", "quarter", quarter, 10000.0, True),
            ("user", cls.sonia, no_team, "won_count", "month", month, 3.0, False),
            ("team", no_user, cls.team, "revenue", "month", month, 2000.0, True),
            ("team", no_user, cls.team, "orders", "month", month, 10.0, False),
            ("company", no_user, no_team, "revenue", "month", month, 5000.0, True),
        ]
        targets = cls.env["salesperf.target"].create(
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
                for scope, user, team, metric, kind, start, amount, _confirmed in rows
            ]
        )
        targets.browse(
            [target.id for target, row in zip(targets, rows, strict=True) if row[-1]]
        ).action_confirm()

    def _assert_server_figures(self):
        """The figures the tours look for, straight from the server: a wrong
        figure fails here with its value rather than as a tour timeout."""
        Target = self.env["salesperf.target"]

        def goals(panel, kind):
            [period] = [period for period in panel["periods"] if period["kind"] == kind]
            return {goal["metric"]: goal for goal in period["goals"]}

        sonia = Target.with_user(self.sonia).get_pipeline_panel()
        month, quarter = goals(sonia, "month"), goals(sonia, "quarter")
        self.assertEqual(set(month), {"revenue", "orders"}, "her draft is hidden")
        revenue, orders = month["revenue"], month["orders"]
        self.assertEqual(
            (revenue["actual"], revenue["gap"], revenue["status"]), (1200.0, 0.0, "ahead")
        )
        self.assertAlmostEqual(revenue["attainment"], 120.0)
        self.assertEqual((orders["actual"], orders["gap"], orders["coverage"]), (2.0, 3.0, False))
        self.assertEqual(
            (quarter["revenue"]["actual"], quarter["revenue"]["gap"]), (1200.0, 8800.0)
        )
        self.assertAlmostEqual(quarter["revenue"]["coverage"], 1.5)
        leader = Target.with_user(self.sam).get_pipeline_panel()
        self.assertEqual(leader["title"], "Panel Team")
        self.assertLessEqual(
            {"Panel Team", "Sam Panel", "Sonia Panel", "Tina Panel"},
            {choice["name"] for choice in leader["choices"]},
        )
        team = goals(leader, "month")
        self.assertEqual((team["revenue"]["actual"], team["revenue"]["gap"]), (1200.0, 800.0))
        self.assertAlmostEqual(team["revenue"]["coverage"], 16.5)
        self.assertTrue(team["orders"]["draft"])
        self.assertEqual(goals(leader, "quarter"), {})
        director = Target.with_user(self.dora).get_pipeline_panel()
        self.assertEqual(director["title"], self.company.name)
        self.assertEqual(goals(director, "month")["revenue"]["actual"], 1200.0)

    def _run_tours(self):
        self._assert_server_figures()
        Target = type(self.env["salesperf.target"])
        fetches = []
        fetch = Target.get_pipeline_panel

        @api.model
        def counted(model, *args, **kwargs):
            fetches.append(kwargs)
            return fetch(model, *args, **kwargs)

        with patch.object(Target, "get_pipeline_panel", counted):
            self.start_tour(PIPELINE_URL, "salesperf_pipeline_goals_tour", login="sonia_panel")
        # three page loads (the first, and a reload after folding and after
        # unfolding), one fetch each
        self.assertEqual(len(fetches), 3)
        self.start_tour(PIPELINE_URL, "salesperf_pipeline_goals_leader_tour", login="sam_panel")
        self.start_tour(PIPELINE_URL, "salesperf_pipeline_goals_director_tour", login="dora_panel")


@tagged("post_install", "-at_install")
class TestPipelinePanelTour(PipelinePanelTourCommon):
    def test_pipeline_panel_tours(self):
        self._run_tours()

    def test_the_board_never_waits_for_the_panel(self):
        """A slow panel shows after the columns; a failing one leaves them be."""
        Target = type(self.env["salesperf.target"])
        fetch = Target.get_pipeline_panel

        @api.model
        def slow(model, *args, **kwargs):
            clock.sleep(2)
            return fetch(model, *args, **kwargs)

        with patch.object(Target, "get_pipeline_panel", slow):
            self.start_tour(PIPELINE_URL, "salesperf_pipeline_goals_slow_tour", login="sonia_panel")
        failures = []

        @api.model
        def failing(model, *args, **kwargs):
            failures.append(kwargs)
            raise UserError(model.env._("The goals are out of order."))

        with patch.object(Target, "get_pipeline_panel", failing):
            self.start_tour(
                PIPELINE_URL, "salesperf_pipeline_goals_failing_tour", login="sonia_panel"
            )
        self.assertTrue(failures)

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
