# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""The goals panel of the CRM pipeline for every role: whose goals each user
may choose, what the server refuses whatever the client sends, drafts, the
records behind a goal, the folded state, and a query count that does not
grow with the goals or the people."""

from datetime import date

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import SalesperfRpcCase
from .test_target import SalesperfTargetCommon


class PipelinePanelCommon(SalesperfTargetCommon):
    """On top of the KPI fixtures of March 2025 (Sam leads North: Sonia and
    Sam; Tom is in South, which nobody leads; Lena has "All Documents";
    Director is a Sales administrator), these targets of March 2025 and Q1:

    ============  =======  ========  =========  ==========================
    owner         metric   period    amount     state
    ============  =======  ========  =========  ==========================
    company       revenue  March     3000       confirmed
    North         revenue  March     2000       confirmed
    North         orders   March     5          draft
    South         revenue  March      800       confirmed
    Sonia         revenue  March     1000       confirmed
    Sonia         orders   March     4          draft
    Sonia         revenue  Q1        3000       confirmed
    Sam           revenue  March      600       confirmed
    Tom           revenue  March      200       confirmed
    ============  =======  ========  =========  ==========================

    March's revenue: Sonia 400 (10th) + 100 (20th) = 500, Sam 400, Tom 100
    (400 XSB at rate 4); North 500 + 400 = 900; the company 900 + 100 = 1000.
    Q1 for Sonia: 200 in February + 500 = 700. March's orders of North:
    Sonia 2 + Sam 1 = 3.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        march, q1 = date(2025, 3, 1), date(2025, 1, 1)
        team_north, team_south = cls.team_north, cls.team_south
        rows = [
            ("company", None, None, "revenue", "month", march, 3000, True),
            ("team", None, team_north, "revenue", "month", march, 2000, True),
            ("team", None, team_north, "orders", "month", march, 5, False),
            ("team", None, team_south, "revenue", "month", march, 800, True),
            ("user", cls.sonia, team_north, "revenue", "month", march, 1000, True),
            ("user", cls.sonia, team_north, "orders", "month", march, 4, False),
            ("user", cls.sonia, team_north, "revenue", "quarter", q1, 3000, True),
            ("user", cls.sam, team_north, "revenue", "month", march, 600, True),
            ("user", cls.tom, team_south, "revenue", "month", march, 200, True),
        ]
        targets = cls.env["salesperf.target"].create(
            [
                {
                    "scope": scope,
                    "user_id": user.id if user else False,
                    "team_id": team.id if team else False,
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
        (
            cls.company_revenue,
            cls.north_revenue,
            cls.north_orders,
            cls.south_revenue,
            cls.sonia_revenue,
            cls.sonia_orders,
            cls.sonia_quarter,
            cls.sam_revenue,
            cls.tom_revenue,
        ) = targets

    def _panel(self, user, **kwargs):
        return self.Target.with_user(user).get_pipeline_panel(**kwargs)

    def _goals(self, panel, kind="month"):
        """``{(metric, draft): (actual, target)}`` of one period of a panel."""
        [period] = [period for period in panel["periods"] if period["kind"] == kind]
        return {
            (goal["metric"], goal["draft"]): (goal["actual"], goal["target"])
            for goal in period["goals"]
        }

    def _choices(self, panel):
        return {(choice["scope"], choice["id"]) for choice in panel["choices"]}


@tagged("post_install", "-at_install")
@freeze_time("2025-03-14 12:00:00")
class TestPipelinePanel(PipelinePanelCommon):
    def test_salesperson_sees_her_confirmed_goals_only(self):
        panel = self._panel(self.sonia)
        self.assertEqual((panel["title"], panel["choices"]), ("Sonia", []))
        self.assertEqual(panel["choice"], {"scope": "user", "id": self.sonia.id})
        # her draft orders target is not hers to see yet
        self.assertEqual(self._goals(panel), {("revenue", False): (500.0, 1000.0)})
        self.assertEqual(self._goals(panel, "quarter"), {("revenue", False): (700.0, 3000.0)})
        [revenue] = panel["periods"][0]["goals"]
        # 500 / 1000 = 50 %, 500 to go, in the company's currency
        self.assertAlmostEqual(revenue["attainment"], 50.0)
        self.assertEqual(revenue["gap"], 500.0)
        currency = panel["currencies"][revenue["currency_id"]]
        self.assertEqual((revenue["currency_id"], currency["symbol"]), (self.currency_xsa.id, "§"))
        self.assertEqual(revenue["company"], self.company.name)

    def test_salesperson_may_choose_nobody_else(self):
        for scope, owner in [
            ("user", self.sam.id),  # a teammate
            ("user", self.tom.id),
            ("team", self.team_north.id),  # her own team
            ("company", False),
        ]:
            with self.subTest(scope=scope, owner=owner), self.assertRaises(AccessError):
                self._panel(self.sonia, scope=scope, owner_id=owner)
        # her own goals, asked for by name, are hers
        panel = self._panel(self.sonia, scope="user", owner_id=self.sonia.id)
        self.assertEqual(panel["title"], "Sonia")

    def test_leader_chooses_herself_her_team_or_a_member(self):
        panel = self._panel(self.sam)
        self.assertEqual(panel["title"], "North")
        self.assertEqual(panel["default"], {"scope": "team", "id": self.team_north.id})
        self.assertEqual(
            self._choices(panel),
            {("team", self.team_north.id), ("user", self.sam.id), ("user", self.sonia.id)},
        )
        # North: 900 of 2000; the draft orders target is his to prepare: shown, marked
        self.assertEqual(
            self._goals(panel),
            {("revenue", False): (900.0, 2000.0), ("orders", True): (3.0, 5.0)},
        )
        sonia = self._panel(self.sam, scope="user", owner_id=self.sonia.id)
        self.assertEqual(sonia["title"], "Sonia")
        self.assertEqual(
            self._goals(sonia),
            {("revenue", False): (500.0, 1000.0), ("orders", True): (2.0, 4.0)},
        )
        himself = self._panel(self.sam, scope="user", owner_id=self.sam.id)
        self.assertEqual(self._goals(himself), {("revenue", False): (400.0, 600.0)})

    def test_leader_may_choose_nothing_outside_his_teams(self):
        for scope, owner in [
            ("team", self.team_south.id),
            ("user", self.tom.id),
            ("company", False),
        ]:
            with self.subTest(scope=scope), self.assertRaises(AccessError):
                self._panel(self.sam, scope=scope, owner_id=owner)

    def test_all_documents_director_sees_the_company_and_chooses_anyone(self):
        panel = self._panel(self.lena)
        self.assertEqual(panel["default"], {"scope": "company", "id": False})
        self.assertEqual(panel["title"], self.company.name)
        # the company: 500 + 400 + 100 = 1000 of 3000
        self.assertEqual(self._goals(panel), {("revenue", False): (1000.0, 3000.0)})
        self.assertLessEqual(
            {
                ("company", False),
                ("team", self.team_north.id),
                ("team", self.team_south.id),
                ("user", self.lena.id),
                ("user", self.sonia.id),
                ("user", self.sam.id),
                ("user", self.tom.id),
            },
            self._choices(panel),
        )
        south = self._panel(self.lena, scope="team", owner_id=self.team_south.id)
        self.assertEqual(self._goals(south), {("revenue", False): (100.0, 800.0)})
        # she reads all targets but manages none: North's draft stays hidden
        north = self._panel(self.lena, scope="team", owner_id=self.team_north.id)
        self.assertEqual(self._goals(north), {("revenue", False): (900.0, 2000.0)})
        tom = self._panel(self.lena, scope="user", owner_id=self.tom.id)
        self.assertEqual(self._goals(tom), {("revenue", False): (100.0, 200.0)})

    def test_administrator_sees_drafts_marked(self):
        north = self._panel(self.manager, scope="team", owner_id=self.team_north.id)
        self.assertEqual(
            self._goals(north),
            {("revenue", False): (900.0, 2000.0), ("orders", True): (3.0, 5.0)},
        )

    def test_no_team_of_another_company(self):
        company_2 = self.env["res.company"].create({"name": "Salesperf Panel Other"})
        other_team = self.env["crm.team"].create({"name": "Elsewhere", "company_id": company_2.id})
        self.assertNotIn(("team", other_team.id), self._choices(self._panel(self.lena)))
        with self.assertRaises(AccessError):
            self._panel(self.lena, scope="team", owner_id=other_team.id)

    def test_a_goal_opens_the_records_it_counts(self):
        action = self.sonia_revenue.with_user(self.sonia).action_view_actual()
        self.assertEqual(action["res_model"], "salesperf.sale.fact")
        lines = self.env["salesperf.sale.fact"].with_user(self.sonia).search(action["domain"])
        # March: the 10th's order (X and Y lines, 200 + 200) and the 20th's (100)
        self.assertEqual(len(lines), 3)
        self.assertAlmostEqual(sum(lines.mapped("revenue")), 500.0)
        with self.assertRaises(AccessError):
            self.tom_revenue.with_user(self.sonia).action_view_actual()
        # the team leader opens his member's goal; the rows he sees are his rights'
        action = self.sonia_revenue.with_user(self.sam).action_view_actual()
        self.assertIn(("user_id", "=", self.sonia.id), action["domain"])

    def test_salesperson_sees_her_own_commission_only(self):
        """A flat 10 % plan on sales ordered: March's statements pay Sonia
        500 × 10 % = 50.00 and Sam 400 × 10 % = 40.00. Each sees their own
        in the panel; a leader looking at his team's or a member's
        goals sees no commission, nor does a director."""
        plan = self.env["salesperf.commission.plan"].create(
            {
                "name": "Flat 10",
                "company_id": self.company.id,
                "rate": 10,
                "assignment_ids": [
                    Command.create({"user_id": user.id, "date_from": date(2025, 1, 1)})
                    for user in (self.sonia, self.sam)
                ],
            }
        )
        plan.action_activate()
        self.env["salesperf.commission.statement"]._compute_period(self.company, date(2025, 3, 1))

        commission = self._panel(self.sonia)["commission"]
        self.assertAlmostEqual(commission["amount"], 50.0, places=2)
        self.assertEqual(commission["currency_id"], self.company.currency_id.id)
        # Sam leads North: his panel opens on the team's goals, no commission
        self.assertFalse(self._panel(self.sam)["commission"])
        own = self._panel(self.sam, scope="user", owner_id=self.sam.id)["commission"]
        self.assertAlmostEqual(own["amount"], 40.0, places=2)
        self.assertFalse(self._panel(self.sam, scope="user", owner_id=self.sonia.id)["commission"])
        self.assertFalse(self._panel(self.lena, scope="user", owner_id=self.sonia.id)["commission"])
        self.assertFalse(self._panel(self.tom)["commission"])

    def test_folded_is_remembered_per_user(self):
        self.assertFalse(self._panel(self.sonia)["folded"])
        settings_id = self._panel(self.sonia)["settings_id"]
        self.env["res.users.settings"].with_user(self.sonia).browse(
            settings_id
        ).set_res_users_settings({"salesperf_pipeline_goals_folded": True})
        self.assertTrue(self._panel(self.sonia)["folded"])
        self.assertFalse(self._panel(self.sam)["folded"])

    def test_query_count_does_not_grow_with_goals_or_people(self):
        """The leader's panel and his member's, each with goals in both
        periods; then again with a new member and more goals in the same
        periods: the same number of queries. (Each period shown costs its own
        KPI queries, one per family of measures: revenue, margin and orders
        are read together; the count is pinned with both periods shown.)"""
        north = {"scope": "team", "user_id": False, "team_id": self.team_north.id}
        quarter = {"period_kind": "quarter", "date_from": date(2025, 1, 1)}
        self._target(**north, **quarter, amount=4000)

        def goal_counts():
            counts = []
            for scope, kwargs in [
                ("team", {}),
                ("user", {"scope": "user", "owner_id": self.sonia.id}),
            ]:
                Target = self.Target.with_user(self.sam)
                # warm the caches of rules and groups, with no record in cache
                self.env.invalidate_all()
                Target.get_pipeline_panel(**kwargs)
                self.env.invalidate_all()
                with self.assertQueryCount(PANEL_QUERIES[scope]):
                    panel = Target.get_pipeline_panel(**kwargs)
                counts.append(sum(len(period["goals"]) for period in panel["periods"]))
            return counts

        # North: revenue and draft orders in March, revenue in Q1; Sonia the same
        self.assertEqual(goal_counts(), [3, 3])
        newcomer = new_test_user(
            self.env,
            login="nina",
            name="Nina",
            groups="sales_team.group_sale_salesman",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self.team_north.member_ids = [Command.link(newcomer.id)]
        self._target(user_id=newcomer.id, team_id=self.team_north.id)
        self._target(**north, metric="margin", amount=500)
        self._target(**north, **quarter, metric="orders", amount=12)
        self._target(metric="margin", amount=300)
        self._target(**quarter, metric="orders", amount=8)
        self.assertEqual(goal_counts(), [5, 5])


#: Queries of a team leader's panel showing both periods, per scope shown
#: (see test_query_count_does_not_grow_with_goals_or_people): his choices
#: (teams, members), the targets and which of them he manages, each period's
#: sales facts and open pipeline, each period's working days (the company
#: calendar's attendances and leaves, elapsed and whole period), his settings
#: and the currencies, the latest forecast of the revenue goals (one grouped
#: read of the forecast lines). A member's goals also check her team
#: membership (the record rule of her targets). The customers of the choice
#: add one query here, where nobody is scored (see
#: test_customer_insight_panel for the customer lists' own count).
PANEL_QUERIES = {"team": 28, "user": 31}


@tagged("post_install", "-at_install")
class TestPipelinePanelOverJsonRpc(SalesperfRpcCase, PipelinePanelCommon):
    """What the web client sends chooses among what the user is offered, and
    grants nothing more."""

    def assertRefused(self, answer):
        self.assertIsInstance(answer, tuple, "the call should have failed")
        self.assertEqual(answer[0], "odoo.exceptions.AccessError", answer)

    def _panel(self, scope, owner_id):
        return self._call(
            "salesperf.target",
            "get_pipeline_panel",
            [],
            {"scope": scope, "owner_id": owner_id},
        )

    def test_choices_are_checked_on_the_server(self):
        self.authenticate("sonia", "sonia")
        self.assertRefused(self._panel("team", self.team_north.id))
        self.assertRefused(self._panel("user", self.tom.id))
        self.assertRefused(self._panel("company", False))
        self.assertRefused(
            self._call("salesperf.target", "action_view_actual", [self.tom_revenue.ids])
        )
        # nor is another user's folded state hers to change
        sam_settings = self.env["res.users.settings"]._find_or_create_for_user(self.sam)
        self.assertRefused(
            self._call(
                "res.users.settings",
                "set_res_users_settings",
                [sam_settings.ids],
                {"new_settings": {"salesperf_pipeline_goals_folded": True}},
            )
        )
        self.assertFalse(sam_settings.salesperf_pipeline_goals_folded)
        self.authenticate("sam", "sam")
        self.assertRefused(self._panel("team", self.team_south.id))
        self.assertRefused(self._panel("user", self.tom.id))
        self.assertRefused(self._panel("company", False))
        self.assertEqual(self._panel("user", self.sonia.id)["title"], "Sonia")
