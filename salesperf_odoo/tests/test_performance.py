# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date, datetime

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from .common import SalesperfCommon

Q1 = [("date", ">=", "2025-01-01"), ("date", "<", "2025-04-01")]
JANUARY = [("date", ">=", "2025-01-01"), ("date", "<", "2025-02-01")]
FEBRUARY = [("date", ">=", "2025-02-01"), ("date", "<", "2025-03-01")]


@tagged("post_install", "-at_install")
class TestPerformance(SalesperfCommon):
    """The analysis of the common company (time zone UTC), Q1 2025.

    Orders (unit price × quantity, cost), all in the company currency:

    - Sonia, Acme (its contact), 10 Jan: 2 × 100, cost 60: revenue 200, margin 80
    - Sonia, Bolt, 20 Jan: 5 × 40, cost 25: revenue 200, margin 75
    - Sonia, Acme, 5 Feb: 1 × 100, cost 60: revenue 100, margin 40
    - Sam, Acme, 14 Feb: 3 × 100, cost 50: revenue 300, margin 150
    - Tom (South), Core, 15 Jan: 10 × 40, cost 30: revenue 400, margin 100

    Opportunities of Sonia: won 1,000 closed 31 Jan, lost closed 10 Feb, won
    500 closed 20 Feb; open 2,000 at 30 % expected 15 Mar.

    Confirmed revenue targets: Sonia January 500 and Q1 900; Sam January
    1,000; team North the year 2025, 3,650. Tom's January target of 1,000 is
    a draft. Sam leads North.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the analysis reads the current company's rows only
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=cls.company.ids))
        cls.team_north.user_id = cls.sam
        x, y = cls.product_x, cls.product_y
        cls.order_sonia_jan_a = cls._create_order(
            cls.sonia, cls.contact_a, date(2025, 1, 10), [(x, 2, 100.0, 60.0)]
        )
        cls.order_sonia_jan_b = cls._create_order(
            cls.sonia, cls.customer_b, date(2025, 1, 20), [(y, 5, 40.0, 25.0)]
        )
        cls.order_sonia_feb = cls._create_order(
            cls.sonia, cls.customer_a, date(2025, 2, 5), [(x, 1, 100.0, 60.0)]
        )
        cls.order_sam_feb = cls._create_order(
            cls.sam, cls.customer_a, date(2025, 2, 14), [(x, 3, 100.0, 50.0)]
        )
        cls.order_tom_jan = cls._create_order(
            cls.tom, cls.customer_c, date(2025, 1, 15), [(y, 10, 40.0, 30.0)]
        )
        cls.won_jan, cls.lost_feb, cls.won_feb, cls.open_mar = cls._create_opportunities(
            cls.company,
            cls.sonia,
            cls.team_north,
            [
                ("Won in January", 1000.0, "won", datetime(2025, 1, 31, 23, 30)),
                ("Lost in February", 800.0, "lost", datetime(2025, 2, 10, 9, 0)),
                ("Won in February", 500.0, "won", datetime(2025, 2, 20, 9, 0)),
                ("Open for March", 2000.0, "open", date(2025, 3, 15)),
            ],
        )
        Target = cls.env["salesperf.target"]
        cls.targets = Target.create(
            [
                cls._target("user", cls.sonia, "month", date(2025, 1, 1), 500.0),
                cls._target("user", cls.sonia, "quarter", date(2025, 1, 1), 900.0),
                cls._target("user", cls.sam, "month", date(2025, 1, 1), 1000.0),
                cls._target("team", cls.team_north, "year", date(2025, 1, 1), 3650.0),
            ]
        )
        cls.draft_target = Target.create(
            dict(cls._target("user", cls.tom, "month", date(2025, 1, 1), 1000.0), state="draft")
        )

    @classmethod
    def _target(cls, scope, owner, kind, start, amount, metric="revenue", company=None):
        return {
            "scope": scope,
            "user_id": owner.id if scope == "user" else False,
            "team_id": owner.id if scope == "team" else False,
            "company_id": (company or cls.company).id,
            "metric": metric,
            "period_kind": kind,
            "date_from": start,
            "amount": amount,
            "state": "confirmed",
        }

    @classmethod
    def _create_opportunities(cls, company, user, team, specs):
        """Opportunities ``(name, expected revenue, won/lost/open, closing)``:
        closing is the UTC close time of won and lost ones, the expected
        closing day of open ones (at 30 %)."""
        leads = cls.env["crm.lead"].create(
            [
                {
                    "name": name,
                    "type": "opportunity",
                    "user_id": user.id,
                    "team_id": team.id,
                    "company_id": company.id,
                    "expected_revenue": amount,
                    "probability": 30.0,
                    "date_deadline": closing if outcome == "open" else False,
                }
                for name, amount, outcome, closing in specs
            ]
        )
        for lead, (_name, _amount, outcome, closing) in zip(leads, specs, strict=True):
            if outcome == "won":
                lead.write({"probability": 100.0})
            elif outcome == "lost":
                lead.write({"active": False, "probability": 0.0})
            if outcome != "open":
                # winning or losing stamps the current time: date it afterwards
                lead.date_closed = closing
        return leads

    def _groups(self, domain, groupby, aggregates, user=None, level="user"):
        model = self.env["salesperf.performance"]
        if user:
            model = model.with_user(user)
        return model._read_group(
            [("level", "=", level), ("company_id", "=", self.company.id), *domain],
            groupby,
            aggregates,
        )

    # ------------------------------------------------------------
    # figures
    # ------------------------------------------------------------

    def test_sales_at_each_level(self):
        aggregates = ["revenue:sum", "margin:sum", "orders:sum", "new_customers:sum"]
        by_user = {
            (user, month): values
            for user, month, *values in self._groups(Q1, ["user_id", "date:month"], aggregates)
        }
        # Sonia in January: 200 + 200 revenue, 80 + 75 margin, 2 orders, and
        # Acme and Bolt both buy for the first time
        self.assertEqual(by_user[self.sonia, date(2025, 1, 1)], [400.0, 155.0, 2, 2])
        # Sonia in February: Acme bought in January already, so not new
        self.assertEqual(by_user[self.sonia, date(2025, 2, 1)], [100.0, 40.0, 1, 0])
        # Sam in February: Acme again, not new (first purchase 10 Jan, Sonia's)
        self.assertEqual(by_user[self.sam, date(2025, 2, 1)], [300.0, 150.0, 1, 0])
        self.assertEqual(by_user[self.tom, date(2025, 1, 1)], [400.0, 100.0, 1, 1])
        by_team = {
            (team, month): values
            for team, month, *values in self._groups(
                Q1, ["team_id", "date:month"], aggregates, level="team"
            )
        }
        # North in January is Sonia's; in February 100 + 300, 40 + 150, 2 orders
        self.assertEqual(by_team[self.team_north, date(2025, 1, 1)], [400.0, 155.0, 2, 2])
        self.assertEqual(by_team[self.team_north, date(2025, 2, 1)], [400.0, 190.0, 2, 0])
        self.assertEqual(by_team[self.team_south, date(2025, 1, 1)], [400.0, 100.0, 1, 1])
        [company_q1] = self._groups(Q1, [], aggregates, level="company")
        # 200 + 200 + 100 + 300 + 400 = 1,200 revenue; 80 + 75 + 40 + 150 +
        # 100 = 445 margin; 5 orders; Acme, Bolt and Core are new: 3
        self.assertEqual(list(company_q1), [1200.0, 445.0, 5, 3])

    def test_ratios_are_computed_from_the_group_sums(self):
        [(margin_percent, average_order, win_rate, cycle)] = self._groups(
            [*Q1, ("user_id", "=", self.sonia.id)],
            [],
            [
                "margin_percent:avg",
                "average_order_value:avg",
                "win_rate:avg",
                "average_cycle_days:avg",
            ],
        )
        # (155 + 40) / (400 + 100) = 39 %, not the mean of 38.75 % and 40 %
        self.assertAlmostEqual(margin_percent, 39.0)
        # 500 / 3 orders
        self.assertAlmostEqual(average_order, 500.0 / 3)
        # 2 won / (2 won + 1 lost), not the mean of January's 100 % and February's 50 %
        self.assertAlmostEqual(win_rate, 200.0 / 3)
        self.assertAlmostEqual(cycle, (self.won_jan.day_close + self.won_feb.day_close) / 2)
        [(won, won_value, lost, pipeline, weighted)] = self._groups(
            [*Q1, ("user_id", "=", self.sonia.id)],
            [],
            [
                "won_count:sum",
                "won_value:sum",
                "lost_count:sum",
                "pipeline_value:sum",
                "weighted_pipeline:sum",
            ],
        )
        # 1,000 + 500 won; the open 2,000 at 30 % weighs 600
        self.assertEqual((won, won_value, lost, pipeline, weighted), (2, 1500.0, 1, 2000.0, 600.0))
        # Sales Analysis: the same margin % from the facts
        [(fact_margin_percent,)] = self.env["salesperf.sale.fact"]._read_group(
            [("company_id", "=", self.company.id), ("user_id", "=", self.sonia.id)],
            [],
            ["margin_percent:avg"],
        )
        self.assertAlmostEqual(fact_margin_percent, 39.0)

    def test_targets_spread_and_attainment(self):
        rows = {
            month: values
            for month, *values in self._groups(
                [("user_id", "=", self.sonia.id), *Q1],
                ["date:month"],
                ["revenue_target:sum", "revenue_target_actual:sum", "revenue_attainment:avg"],
            )
        }
        # January has its own target (500): the quarter target counts only in
        # February (900 × 28 / 90 = 280) and March (900 × 31 / 90 = 310)
        self.assertAlmostEqual(rows[date(2025, 1, 1)][0], 500.0)
        self.assertAlmostEqual(rows[date(2025, 2, 1)][0], 280.0)
        self.assertAlmostEqual(rows[date(2025, 3, 1)][0], 310.0)
        # January: 400 of 500 = 80 %
        self.assertAlmostEqual(rows[date(2025, 1, 1)][2], 80.0)
        [(target, actual, attainment, gap)] = self._groups(
            [("user_id", "=", self.sonia.id), *Q1],
            [],
            [
                "revenue_target:sum",
                "revenue_target_actual:sum",
                "revenue_attainment:avg",
                "revenue_gap:avg",
            ],
        )
        # 500 + 280 + 310 = 1,090; actual 400 + 100 + 0 = 500; 500 / 1,090
        self.assertAlmostEqual(target, 1090.0)
        self.assertAlmostEqual(actual, 500.0)
        self.assertAlmostEqual(attainment, 500.0 / 1090.0 * 100)
        self.assertAlmostEqual(gap, 590.0)
        # Sam: a January target of 1,000 and no January sale; his February
        # 300 has no target, so it is not set against January's: 0 %
        [(sam_target, sam_actual, sam_attainment)] = self._groups(
            [("user_id", "=", self.sam.id), *Q1],
            [],
            ["revenue_target:sum", "revenue_target_actual:sum", "revenue_attainment:avg"],
        )
        self.assertEqual((sam_target, sam_actual, sam_attainment), (1000.0, 0.0, 0.0))
        # Tom's target is a draft: no target
        [(tom_target, tom_attainment)] = self._groups(
            [("user_id", "=", self.tom.id), *Q1],
            [],
            ["revenue_target:sum", "revenue_attainment:avg"],
        )
        self.assertEqual((tom_target, tom_attainment), (0.0, False))
        # North's year target, 3,650 over 365 days: 310 + 280 + 310 = 900 in
        # Q1, against 400 + 400 of sales: 88.9 %
        [(team_target, team_attainment)] = self._groups(
            [("team_id", "=", self.team_north.id), *Q1],
            [],
            ["revenue_target:sum", "revenue_attainment:avg"],
            level="team",
        )
        self.assertAlmostEqual(team_target, 900.0)
        self.assertAlmostEqual(team_attainment, 800.0 / 900.0 * 100)

    def test_list_rows_read_their_own_ratios(self):
        row = self.env["salesperf.performance"].search(
            [
                ("level", "=", "user"),
                ("user_id", "=", self.sonia.id),
                ("date", "=", "2025-01-01"),
            ]
        )
        # one row: Sonia's January in North; 155 / 400 = 38.75 %
        self.assertEqual(len(row), 1)
        self.assertRecordValues(
            row,
            [
                {
                    "team_id": self.team_north.id,
                    "revenue": 400.0,
                    "margin_percent": 38.75,
                    "revenue_target": 500.0,
                    "revenue_attainment": 80.0,
                    "won_count": 1,
                }
            ],
        )
        # the list opens a row with the domain of its own values, as a cell
        _action, facts = self._details(
            [
                ("team_id", "=", row.team_id.id),
                ("user_id", "=", row.user_id.id),
                ("date", ">=", "2025-01-01"),
                ("date", "<", "2025-02-01"),
            ],
            "revenue",
        )
        self.assertEqual(
            set(facts.mapped("order_name")),
            {self.order_sonia_jan_a.name, self.order_sonia_jan_b.name},
        )

    def test_row_ids_are_bigint(self):
        """A row id is a source id × 8 (slot), × 4 (level): 32 times a sale
        fact's id, itself 10 times its line's. Integer arithmetic overflows
        from the 6.7 millionth line (2^31 / 320 ≈ 6.71 M)."""
        Performance = self.env["salesperf.performance"]
        # 2^31 / 8 = 268,435,456: × 8 + 1 = 2,147,483,649, past 2^31 - 1
        code = Performance._performance_code(SQL("source.id"), "sale")
        self.env.cr.execute(SQL("SELECT %s FROM (VALUES (268435456)) source(id)", code))
        self.assertEqual(self.env.cr.fetchone()[0], 268435456 * 8 + 1)
        for model in (Performance, self.env["salesperf.sale.fact"]):
            with self.subTest(model=model._name):
                self.env.cr.execute(
                    SQL("SELECT pg_typeof(id)::text FROM (%s) row LIMIT 1", model._table_query)
                )
                self.assertEqual(self.env.cr.fetchone()[0], "bigint")

    def test_a_new_customer_counts_once_at_each_level(self):
        """Dune buys from Sonia (North) on 3 March and from Sam (North) and
        Tom (South) on 10 March: one new customer, on Sonia's row and North's
        (the first sold line's), whatever the grouping."""
        dune = self.env["res.partner"].create({"name": "Dune", "is_company": True})
        x = self.product_x
        self._create_order(self.sonia, dune, datetime(2025, 3, 3, 9, 0), [(x, 1, 100.0, 60.0)])
        self._create_order(self.sam, dune, datetime(2025, 3, 10, 9, 0), [(x, 1, 100.0, 60.0)])
        self._create_order(self.tom, dune, datetime(2025, 3, 10, 9, 0), [(x, 1, 100.0, 60.0)])
        march = [("date", "=", "2025-03-01")]
        by_user = dict(self._groups(march, ["user_id"], ["new_customers:sum"]))
        # Sonia 1, Sam 0, Tom 0: 1 in all, not 3
        self.assertEqual(by_user, {self.sonia: 1, self.sam: 0, self.tom: 0})
        [(user_total,)] = self._groups(march, [], ["new_customers:sum"])
        self.assertEqual(user_total, 1)
        by_team = dict(self._groups(march, ["team_id"], ["new_customers:sum"], level="team"))
        # North 1, South 0: 1, not 2
        self.assertEqual(by_team, {self.team_north: 1, self.team_south: 0})
        [(company_total,)] = self._groups(march, [], ["new_customers:sum"], level="company")
        self.assertEqual(company_total, 1)

    def test_having_on_an_aggregate_computes_its_column(self):
        # Sonia won one opportunity in January and one in February, none in
        # March (its open 2,000 makes a March group): January's 200 + 200
        # and February's 100 remain, March's 0 does not
        groups = self.env["salesperf.performance"]._read_group(
            [("level", "=", "user"), ("user_id", "=", self.sonia.id), *Q1],
            ["date:month"],
            ["revenue:sum", "pipeline_value:sum"],
            having=[("won_count:sum", ">", 0)],
        )
        self.assertEqual(
            {month: revenue for month, revenue, _pipeline in groups},
            {date(2025, 1, 1): 400.0, date(2025, 2, 1): 100.0},
        )

    def test_a_target_counts_in_the_team_it_sits_in(self):
        """Sonia's January target of 500 has no team: it sits in North, her
        team. A January sale of hers in South (50) is not set against it."""
        order = self._create_order(
            self.sonia, self.customer_b, date(2025, 1, 25), [(self.product_y, 1, 50.0, 20.0)]
        )
        order.team_id = self.team_south
        by_team = {
            team: values
            for team, *values in self._groups(
                [("user_id", "=", self.sonia.id), *JANUARY],
                ["team_id"],
                ["revenue:sum", "revenue_target:sum", "revenue_target_actual:sum"],
            )
        }
        # North: 400 of 500; South: 50 of no target, so no actual
        self.assertEqual(by_team[self.team_north], [400.0, 500.0, 400.0])
        self.assertEqual(by_team[self.team_south], [50.0, 0.0, 0.0])
        [(attainment,)] = self._groups(
            [("user_id", "=", self.sonia.id), *JANUARY], [], ["revenue_attainment:avg"]
        )
        # 400 / 500 = 80 %, not (400 + 50) / 500 = 90 %
        self.assertAlmostEqual(attainment, 80.0)
        # the target opens from North's cell, not from South's
        cell = [("user_id", "=", self.sonia.id), *JANUARY]
        _action, targets = self._details(
            [("team_id", "=", self.team_north.id), *cell], "revenue_target"
        )
        # January's target and the quarter's (it covers January too)
        self.assertEqual(targets, self.targets[:2])
        _action, targets = self._details(
            [("team_id", "=", self.team_south.id), *cell], "revenue_target"
        )
        self.assertFalse(targets)

    # ------------------------------------------------------------
    # rights
    # ------------------------------------------------------------

    def _visible(self, user, level):
        rows = (
            self.env["salesperf.performance"]
            .with_user(user)
            .search([("level", "=", level), ("company_id", "=", self.company.id), *Q1])
        )
        return set(rows.mapped("user_id").ids if level == "user" else rows.mapped("team_id").ids)

    def test_a_salesperson_sees_only_their_own_rows(self):
        self.assertEqual(self._visible(self.sonia, "user"), {self.sonia.id})
        self.assertEqual(self._visible(self.sonia, "team"), set())
        self.assertEqual(self._visible(self.sonia, "company"), set())
        # the figures of her rows are hers, whatever Sam sold to Acme
        [(revenue,)] = self._groups(Q1, [], ["revenue:sum"], user=self.sonia)
        self.assertEqual(revenue, 500.0)

    def test_a_team_leader_sees_his_team_and_its_members(self):
        self.assertEqual(self._visible(self.sam, "user"), {self.sonia.id, self.sam.id})
        self.assertEqual(self._visible(self.sam, "team"), {self.team_north.id})
        self.assertEqual(self._visible(self.sam, "company"), set())
        # the team's row is the whole team's: 800 of revenue in Q1
        [(revenue,)] = self._groups(Q1, [], ["revenue:sum"], user=self.sam, level="team")
        self.assertEqual(revenue, 800.0)

    def test_all_documents_sees_every_level(self):
        self.assertEqual(
            self._visible(self.lena, "user"), {self.sonia.id, self.sam.id, self.tom.id}
        )
        self.assertEqual(self._visible(self.lena, "team"), {self.team_north.id, self.team_south.id})
        rows = (
            self.env["salesperf.performance"]
            .with_user(self.lena)
            .search([("level", "=", "company"), *Q1])
        )
        self.assertEqual(rows.company_id, self.company)

    # ------------------------------------------------------------
    # drill-down
    # ------------------------------------------------------------

    def _details(self, domain, measure, user=None, level="user"):
        model = self.env["salesperf.performance"]
        if user:
            model = model.with_user(user)
        action = model.action_open_details(
            [("level", "=", level), ("company_id", "=", self.company.id), *domain], measure
        )
        records = (
            self.env[action["res_model"]]
            .with_user(user or self.env.user)
            .with_context(**action["context"])
            .search(action["domain"])
        )
        return action, records

    def test_drill_down_opens_the_records_behind_a_figure(self):
        action, facts = self._details(
            [("user_id", "=", self.sonia.id), *JANUARY], "revenue", user=self.sam
        )
        self.assertEqual(action["res_model"], "salesperf.sale.fact")
        # the source's own rules apply: Sam (own documents) sees none of Sonia's lines
        self.assertFalse(facts)
        _action, facts = self._details(
            [("user_id", "=", self.sonia.id), *JANUARY], "margin_percent"
        )
        self.assertEqual(
            set(facts.mapped("order_name")),
            {self.order_sonia_jan_a.name, self.order_sonia_jan_b.name},
        )
        # a quarter grouping on the team level: every line of the team
        _action, facts = self._details(
            [("team_id", "=", self.team_north.id), ("user_id", "=", False), *Q1],
            "orders",
            level="team",
        )
        self.assertEqual(len(facts), 4)
        # a team's rows have no salesperson: a salesperson's cell is empty
        _action, facts = self._details(
            [("team_id", "=", self.team_north.id), ("user_id", "=", self.sonia.id), *Q1],
            "revenue",
            level="team",
        )
        self.assertFalse(facts)
        action, leads = self._details([("user_id", "=", self.sonia.id), *JANUARY], "won_count")
        self.assertEqual(action["res_model"], "crm.lead")
        self.assertEqual(leads, self.won_jan)
        _action, leads = self._details([("user_id", "=", self.sonia.id), *FEBRUARY], "win_rate")
        self.assertEqual(leads, self.lost_feb | self.won_feb)
        _action, leads = self._details([("date", "=", "2025-03-01")], "pipeline_value")
        self.assertEqual(leads, self.open_mar)
        action, targets = self._details(
            [("user_id", "=", self.sonia.id), *FEBRUARY], "revenue_attainment"
        )
        self.assertEqual(action["res_model"], "salesperf.target")
        # February lies in the quarter target, not in January's
        self.assertEqual(targets, self.targets[1])
        # a month given with "in", and a day that starts no month: none
        _action, facts = self._details([("date", "in", ["2025-02-01", "2025-02-15"])], "revenue")
        self.assertEqual(
            set(facts.mapped("order_name")), {self.order_sonia_feb.name, self.order_sam_feb.name}
        )

    def test_drill_down_refuses_what_it_cannot_translate(self):
        Performance = self.env["salesperf.performance"]
        for domain, measure in [
            ([("level", "=", "user"), ("revenue", ">", 100)], "revenue"),
            ([("user_id", "=", self.sonia.id)], "revenue"),
            ([("level", "=", "user"), ("date", "ilike", "2025")], "revenue"),
            ([("level", "=", "user")], "__count"),
            # a level that is not a string, as a JSON client may send
            ([("level", "=", ["user"])], "revenue"),
        ]:
            with self.subTest(domain=domain, measure=measure), self.assertRaises(UserError):
                Performance.action_open_details(domain, measure)

    def test_drill_down_of_a_json_domain(self):
        """A domain from the web client has lists for leaves, TRUE_LEAF too."""
        _action, facts = self._details(
            [["user_id", "=", self.sonia.id], [1, "=", 1], *map(list, JANUARY)], "revenue"
        )
        self.assertEqual(
            set(facts.mapped("order_name")),
            {self.order_sonia_jan_a.name, self.order_sonia_jan_b.name},
        )


@tagged("post_install", "-at_install")
class TestPerformanceTimeZones(SalesperfCommon):
    """Two companies far apart, one order and one won opportunity each at
    the same UTC instants:

    - 31 Jan 2025 12:00 UTC is 1 Feb 01:00 in Auckland (UTC+13 in summer),
      31 Jan 04:00 in Los Angeles (UTC-8);
    - 1 Mar 2025 05:00 UTC is 1 Mar 18:00 in Auckland, 28 Feb 21:00 in Los
      Angeles.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.auckland, cls.los_angeles = cls.env["res.company"].create(
            [
                {"name": "Salesperf Auckland", "currency_id": cls.currency_xsa.id},
                {"name": "Salesperf Los Angeles", "currency_id": cls.currency_xsb.id},
            ]
        )
        cls.auckland.partner_id.tz = "Pacific/Auckland"
        cls.los_angeles.partner_id.tz = "America/Los_Angeles"
        cls.reader = new_test_user(
            cls.env,
            login="tz_reader",
            groups="sales_team.group_sale_salesman_all_leads",
            company_id=cls.auckland.id,
            company_ids=[Command.set((cls.auckland | cls.los_angeles).ids)],
        )
        cls.orders = {}
        cls.leads = {}
        for company in cls.auckland | cls.los_angeles:
            team = cls.env["crm.team"].create({"name": company.name, "company_id": company.id})
            pricelist = cls.env["product.pricelist"].create(
                {
                    "name": company.name,
                    "currency_id": company.currency_id.id,
                    "company_id": company.id,
                }
            )
            for moment in (datetime(2025, 1, 31, 12, 0), datetime(2025, 3, 1, 5, 0)):
                order = cls.env["sale.order"].create(
                    {
                        "partner_id": cls.customer_a.id,
                        "user_id": cls.reader.id,
                        "team_id": team.id,
                        "company_id": company.id,
                        "pricelist_id": pricelist.id,
                        "order_line": [
                            Command.create(
                                {
                                    "product_id": cls.product_x.id,
                                    "product_uom_qty": 1,
                                    "price_unit": 100.0,
                                    "tax_id": False,
                                }
                            )
                        ],
                    }
                )
                order.action_confirm()
                order.date_order = moment
                cls.orders[company, moment] = order
                lead = cls.env["crm.lead"].create(
                    {
                        "name": f"{company.name} {moment}",
                        "type": "opportunity",
                        "user_id": cls.reader.id,
                        "team_id": team.id,
                        "company_id": company.id,
                        "expected_revenue": 1000.0,
                        "probability": 100.0,
                    }
                )
                lead.date_closed = moment
                cls.leads[company, moment] = lead

    def _by_month(self, company):
        return {
            month: (revenue, won)
            for month, revenue, won in self.env["salesperf.performance"]
            .with_user(self.reader)
            .with_company(company)
            ._read_group(
                [("level", "=", "company")],
                ["date:month"],
                ["revenue:sum", "won_count:sum"],
            )
        }

    def test_months_are_the_companies_own(self):
        # Auckland: February and March; Los Angeles: January and February
        self.assertEqual(
            self._by_month(self.auckland),
            {date(2025, 2, 1): (100.0, 1), date(2025, 3, 1): (100.0, 1)},
        )
        self.assertEqual(
            self._by_month(self.los_angeles),
            {date(2025, 1, 1): (100.0, 1), date(2025, 2, 1): (100.0, 1)},
        )

    def test_drill_down_bounds_each_company_in_its_time_zone(self):
        # Auckland's February lead closed 31 Jan UTC; Los Angeles' on 1 Mar UTC
        for company, moment in [
            (self.auckland, datetime(2025, 1, 31, 12, 0)),
            (self.los_angeles, datetime(2025, 3, 1, 5, 0)),
        ]:
            action = (
                self.env["salesperf.performance"]
                .with_user(self.reader)
                .with_company(company)
                .action_open_details([("level", "=", "company"), *FEBRUARY], "won_value")
            )
            leads = (
                self.env["crm.lead"]
                .with_user(self.reader)
                .with_context(allowed_company_ids=(self.auckland | self.los_angeles).ids)
                .search(action["domain"])
            )
            self.assertEqual(leads, self.leads[company, moment])

    def test_only_the_current_company(self):
        """Auckland counts in XSA, Los Angeles in XSB: with both allowed, the
        rows, their total and their currency are the current company's."""
        both = (self.auckland | self.los_angeles).ids
        Performance = self.env["salesperf.performance"].with_user(self.reader)
        for company, currency in [
            (self.auckland, self.currency_xsa),
            (self.los_angeles, self.currency_xsb),
        ]:
            model = Performance.with_context(
                allowed_company_ids=[company.id, *(set(both) - {company.id})]
            )
            with self.subTest(company=company.name):
                rows = model.search([])
                self.assertEqual(rows.company_id, company)
                self.assertEqual(rows.currency_id, currency)
                # even when the domain asks for both companies
                [(revenue,)] = model._read_group(
                    [("level", "=", "company"), ("company_id", "in", both)], [], ["revenue:sum"]
                )
                # the company's two orders of 100, not the 400 of both
                self.assertEqual(revenue, 200.0)
