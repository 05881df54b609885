# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, freeze_time, new_test_user, tagged
from odoo.tools import mute_logger

from .test_kpi import SalesperfKpiCommon


class SalesperfTargetCommon(SalesperfKpiCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="director",
            name="Director",
            groups="sales_team.group_sale_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        # Sam leads North (Sonia and Sam); nobody leads South
        cls.team_north.user_id = cls.sam
        cls.Target = cls.env["salesperf.target"]

    def _target(self, **values):
        return self.Target.create(
            {
                "scope": "user",
                "user_id": self.sonia.id,
                "metric": "revenue",
                "period_kind": "month",
                "date_from": date(2025, 3, 1),
                "amount": 1000.0,
                "company_id": self.company.id,
                **values,
            }
        )

    def _split(self, target, split_by, method, user=None, **values):
        wizard = self.env["salesperf.target.split"]
        if user:
            wizard = wizard.with_user(user)
        split = wizard.create(
            {"target_id": target.id, "split_by": split_by, "method": method, **values}
        )
        split.action_preview()
        return split


@tagged("post_install", "-at_install")
class TestTarget(SalesperfTargetCommon):
    @mute_logger("odoo.sql_db")  # the refused duplicate
    def test_bad_targets_are_refused_and_nothing_is_written(self):
        self._target()
        for values, message in [
            ({}, "There is already a target"),
            ({"user_id": self.tom.id, "amount": -5.0}, "must be a number of 0 or more"),
            ({"user_id": self.tom.id, "date_from": date(2025, 3, 2)}, "first day of its period"),
            ({"scope": "team", "user_id": False}, "needs a sales team"),
        ]:
            with (
                self.subTest(message),
                self.assertRaisesRegex(ValidationError, message),
                self.env.cr.savepoint(),
            ):
                self._target(**values)
        self.assertEqual(self.Target.search_count([("company_id", "=", self.company.id)]), 1)

    def test_confirmed_target_changes_only_through_a_tracked_revision(self):
        target = self._target()
        target.action_confirm()
        with self.assertRaisesRegex(UserError, "Confirmed targets are locked"):
            target.amount = 2000.0
        wizard = Form(
            self.env["salesperf.target.revision"].with_context(
                default_target_id=target.id, default_amount=target.amount
            )
        )
        wizard.amount = 1200.0
        wizard.reason = "Key account moved to Sonia"
        wizard.save().action_apply()
        self.assertEqual(target.amount, 1200.0)
        self.assertIn("Key account moved to Sonia", target.message_ids[0].body)
        # in the company currency (§, after the amount), formatted
        self.assertIn(
            "from 1,000.00&nbsp;§ to 1,200.00&nbsp;§",
            target.message_ids[0].body,
        )
        with self.assertRaisesRegex(UserError, "needs a reason"):
            target._revise(1300.0, "  ")
        self.assertEqual(target.amount, 1200.0)

    @freeze_time("2025-03-14 12:00:00")
    def test_attainment_and_pacing(self):
        target = self._target()
        # March 2025 has 21 working days (3-7, 10-14, 17-21, 24-28, 31);
        # 10 of them up to Friday 14 March included.
        # Sonia's March revenue: 400 + 100 = 500 (20 March order counted: facts
        # are what was confirmed, whatever today is).
        self.assertAlmostEqual(target.actual, 500.0)
        self.assertAlmostEqual(target.attainment, 50.0)  # 500 / 1000 × 100
        self.assertAlmostEqual(target.gap, 500.0)  # 1000 - 500
        self.assertAlmostEqual(target.expected_to_date, 1000 * 10 / 21, places=2)  # 476.19
        self.assertAlmostEqual(target.run_rate, 500 * 21 / 10)  # 1050
        # 500 / 476.19 = 1.05: between 0.95 and 1.10
        self.assertEqual(target.pacing_status, "on_track")
        # L1 (1000 at 30 % = 300) closes on 25 March, after today: 300 / 500 = 0.6
        self.assertAlmostEqual(target.coverage, 0.6)
        self.company.salesperf_pace_on_track = 1.06  # 1.05 is now below on track
        target.invalidate_recordset()
        self.assertEqual(target.pacing_status, "at_risk")

    def test_counts_and_other_scopes(self):
        orders = self._target(metric="orders", amount=4)
        team = self._target(scope="team", team_id=self.team_north.id, user_id=False, amount=1800)
        company = self._target(scope="company", user_id=False, metric="won_count", amount=4)
        self.assertEqual(orders.actual, 2)  # Sonia's 2 March orders
        self.assertAlmostEqual(team.actual, 900.0)  # Sonia 500 + Sam 400
        self.assertEqual(company.actual, 2)  # L3 and L4 won in March
        self.assertAlmostEqual(company.attainment, 50.0)  # 2 / 4 × 100
        # the pipeline is expected revenue: it covers no margin gap
        margin = self._target(metric="margin", amount=1000)
        self.assertAlmostEqual(margin.actual, 195.0)  # 155 + 40
        self.assertEqual(margin.coverage, 0.0)

    def test_query_count_does_not_grow_with_salespeople(self):
        def assert_query_count(targets):
            self.env.flush_all()
            self.env.invalidate_all()
            # revenue needs only the sales facts (1 grouped read), + 1 for the
            # remaining pipeline, + 8 to read the targets, the company, its
            # address (its time zone: today) and its calendar: the same 10 for
            # 2 targets as for 6
            with self.assertQueryCount(__system__=10):
                targets.mapped("pacing_status")

        assert_query_count(self._target() | self._target(user_id=self.sam.id))
        more = self.env["res.users"]
        for login in ("ava", "ben", "cid"):
            more |= new_test_user(
                self.env,
                login=login,
                groups="sales_team.group_sale_salesman",
                company_id=self.company.id,
                company_ids=[Command.set(self.company.ids)],
            )
            self._create_order(
                more[-1], self.customer_b, date(2025, 3, 3), [(self.product_x, 1, 9.0, 1.0)]
            )
        targets = self.Target.search([("company_id", "=", self.company.id)])
        assert_query_count(
            targets
            | self._target(user_id=self.tom.id)
            | more.mapped(lambda user: self._target(user_id=user.id))
        )

    def test_mismatch_between_parent_and_children(self):
        parent = self._target(scope="team", team_id=self.team_north.id, user_id=False)
        self._target(amount=600.0, parent_id=parent.id)
        self._target(user_id=self.sam.id, amount=500.0, parent_id=parent.id)
        # children 600 + 500 = 1100 against 1000
        self.assertAlmostEqual(parent.owner_children_amount, 1100.0)
        self.assertAlmostEqual(parent.owner_mismatch, 100.0)
        # not split over time
        self.assertFalse(parent.is_split_by_period)
        self.assertEqual(parent.period_mismatch, 0.0)


@tagged("post_install", "-at_install")
class TestTargetSplit(SalesperfTargetCommon):
    def test_equal_split_over_team_members_sums_to_the_cent(self):
        third = new_test_user(
            self.env,
            login="nina",
            name="Nina",
            groups="sales_team.group_sale_salesman",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self.team_north.member_ids = [Command.link(third.id)]
        parent = self._target(scope="team", team_id=self.team_north.id, user_id=False, amount=100)
        split = self._split(parent, "owner", "equal")
        # 100.00 / 3 = 33.333: 3333 cents each, 1 cent left for the first listed
        self.assertEqual(split.line_ids.mapped("amount"), [33.34, 33.33, 33.33])
        self.assertEqual(set(split.line_ids.user_id.ids), set((self.sonia | self.sam | third).ids))
        children_before = self.Target.search_count([])
        action = split.action_apply()
        children = self.Target.browse(action["domain"][0][2])
        self.assertEqual(self.Target.search_count([]), children_before + 3)
        self.assertEqual(round(sum(children.mapped("amount")), 2), 100.0)
        self.assertEqual(set(children.mapped("state")), {"draft"})
        self.assertEqual(children.parent_id, parent)
        self.assertEqual(parent.owner_mismatch, 0.0)

    def test_history_split_company_to_teams(self):
        parent = self._target(
            scope="company",
            user_id=False,
            period_kind="year",
            date_from=date(2025, 1, 1),
            amount=5000,
        )
        split = self._split(parent, "owner", "history", without_history="zero")
        by_team = dict(zip(split.line_ids.team_id, split.line_ids.mapped("amount"), strict=True))
        # 2024 revenue: North 300 (March) + 100 (November) = 400, South 0 → 100 % North
        self.assertEqual(by_team, {self.team_north: 5000.0, self.team_south: 0.0})
        south = split.line_ids.filtered(lambda line: line.team_id == self.team_south)
        self.assertEqual(south.history_status, "missing")
        self.assertIn("1 of 2 have no history", split.note)

    def test_seasonal_split_of_a_year_into_quarters(self):
        parent = self._target(
            scope="company",
            user_id=False,
            period_kind="year",
            date_from=date(2025, 1, 1),
            amount=1200,
        )
        split = self._split(parent, "period", "seasonal", without_history="zero")
        # 2022-2024 revenue by quarter: Q1 300 (March 2024), Q2 0, Q3 0, Q4 100
        # (November 2024) → 1200 × 3/4 = 900, 0, 0, 1200 × 1/4 = 300
        self.assertEqual(split.line_ids.mapped("amount"), [900.0, 0.0, 0.0, 300.0])
        self.assertEqual(split.line_ids.mapped("has_history"), [True, False, False, True])
        self.assertEqual(
            split.line_ids.mapped("date_from"),
            [date(2025, 1, 1), date(2025, 4, 1), date(2025, 7, 1), date(2025, 10, 1)],
        )
        self.assertEqual(set(split.line_ids.mapped("period_kind")), {"quarter"})

    def test_split_without_history_falls_back_to_equal_and_says_so(self):
        parent = self._target(
            scope="company",
            user_id=False,
            period_kind="year",
            date_from=date(2021, 1, 1),
            amount=1000,
        )
        split = self._split(parent, "period", "history", without_history="zero")
        # no sales in 2020: 4 equal quarters of 250, whatever the choice
        self.assertEqual(split.line_ids.mapped("amount"), [250.0] * 4)
        self.assertEqual(split.line_ids.mapped("share"), [0.25] * 4)
        self.assertIn("equal shares instead", split.note)
        self.assertFalse(split.can_choose_without_history)

    def test_manual_percentages_must_add_up_to_100(self):
        parent = self._target(scope="team", team_id=self.team_north.id, user_id=False)
        split = self._split(parent, "owner", "manual")
        # shown as 50 % each to start with
        self.assertEqual(split.line_ids.mapped("share"), [0.5, 0.5])
        split.line_ids[0].share, split.line_ids[1].share = 0.7, 0.2
        count = self.Target.search_count([])
        with self.assertRaisesRegex(UserError, "add up to 90.0 %, not 100 %"):
            split.action_apply()
        self.assertEqual(self.Target.search_count([]), count)
        split.line_ids[1].share = 0.3
        children = self.Target.browse(split.action_apply()["domain"][0][2])
        # 1000 × 70 % = 700 and × 30 % = 300, in line order
        self.assertEqual(children.mapped("amount"), [700.0, 300.0])

    def test_manual_amounts_must_add_up_to_the_target(self):
        parent = self._target(scope="team", team_id=self.team_north.id, user_id=False)
        split = self._split(parent, "owner", "manual_amount")
        split.line_ids[0].amount, split.line_ids[1].amount = 600.0, 399.99
        count = self.Target.search_count([])
        # 600 + 399.99 = 999.99: one cent short of 1000
        with self.assertRaisesRegex(UserError, "add up to 999.99, not to the target's 1000.0"):
            split.action_apply()
        self.assertEqual(self.Target.search_count([]), count)
        split.line_ids[1].amount = 400.0
        children = self.Target.browse(split.action_apply()["domain"][0][2])
        self.assertEqual(children.mapped("amount"), [600.0, 400.0])

    def test_monthly_salesperson_target_cannot_be_split(self):
        with self.assertRaisesRegex(UserError, "only be split over time"):
            self._split(self._target(), "owner", "equal")
        with self.assertRaisesRegex(UserError, "cannot be split over time"):
            self._split(self._target(user_id=self.tom.id), "period", "equal")


@tagged("post_install", "-at_install")
class TestTargetSecurity(SalesperfTargetCommon):
    def test_salesperson_reads_own_targets_and_never_edits(self):
        own = self._target()
        other = self._target(user_id=self.tom.id)
        visible = self.Target.with_user(self.sonia).search([("company_id", "=", self.company.id)])
        self.assertEqual(visible, own)
        with self.assertRaises(AccessError):
            other.with_user(self.sonia).read(["amount"])
        with self.assertRaises(AccessError):
            own.with_user(self.sonia).write({"amount": 1.0})
        with self.assertRaises(AccessError):
            self.Target.with_user(self.tom).create(
                {
                    "scope": "user",
                    "user_id": self.tom.id,
                    "metric": "revenue",
                    "date_from": date(2025, 4, 1),
                    "amount": 5.0,
                    "company_id": self.company.id,
                }
            )

    def test_team_leader_manages_only_his_team(self):
        sonia_target = self._target()
        tom_target = self._target(user_id=self.tom.id)
        sonia_target.with_user(self.sam).write({"amount": 1500.0})
        self.assertEqual(sonia_target.amount, 1500.0)
        with self.assertRaises(AccessError):
            tom_target.with_user(self.sam).write({"amount": 1.0})
        created = self.Target.with_user(self.sam).create(
            {
                "scope": "team",
                "team_id": self.team_north.id,
                "metric": "orders",
                "date_from": date(2025, 3, 1),
                "amount": 9,
                "company_id": self.company.id,
            }
        )
        self.assertEqual(created.team_id, self.team_north)

    def test_manager_manages_all_and_all_documents_users_read_all(self):
        tom_target = self._target(user_id=self.tom.id)
        tom_target.with_user(self.manager).write({"amount": 2.0})
        self.assertEqual(tom_target.with_user(self.lena).read(["amount"])[0]["amount"], 2.0)
        with self.assertRaises(AccessError):
            tom_target.with_user(self.lena).write({"amount": 3.0})


@tagged("post_install", "-at_install")
class TestTeamTarget(SalesperfTargetCommon):
    @freeze_time("2025-03-14 12:00:00")
    def test_team_card_and_invoiced_target_follow_each_other(self):
        north = self.team_north
        target = self._target(scope="team", team_id=north.id, user_id=False, amount=1800)
        # target → Odoo's monthly invoicing target
        self.assertEqual(north.invoiced_target, 1800)
        # the card: Sonia 500 + Sam 400 = 900 of 1800 = 50 %; expected by the
        # 14th: 1800 × 10 / 21 = 857.14, 900 / 857.14 = 1.05: on track
        self.assertEqual(north.salesperf_target_id, target)
        self.assertAlmostEqual(north.salesperf_attainment, 50.0)
        self.assertEqual(north.salesperf_pacing_status, "on_track")
        # Odoo's dashboard edits the invoicing target → the target follows
        north.update_invoiced_target(2000)
        self.assertEqual(target.amount, 2000)
        # once confirmed, the change is a revision with its reason in the chatter
        target.action_confirm()
        north.update_invoiced_target(2500)
        self.assertEqual(target.amount, 2500)
        self.assertIn("Invoicing target changed", target.message_ids[0].body)
        # a team without a target gets one for the month
        self.team_south.update_invoiced_target(700)
        created = self.team_south.salesperf_target_id
        self.assertRecordValues(
            created,
            [
                {
                    "scope": "team",
                    "metric": "revenue",
                    "period_kind": "month",
                    "date_from": date(2025, 3, 1),
                    "amount": 700.0,
                    "state": "draft",
                }
            ],
        )

    @freeze_time("2025-03-14 12:00:00")
    def test_team_leader_sets_the_team_target_without_team_rights(self):
        self.Target.with_user(self.sam).create(
            {
                "scope": "team",
                "team_id": self.team_north.id,
                "metric": "revenue",
                "date_from": date(2025, 3, 1),
                "amount": 1234.0,
                "company_id": self.company.id,
            }
        )
        self.assertEqual(self.team_north.invoiced_target, 1234.0)


@tagged("post_install", "-at_install")
class TestRanking(SalesperfTargetCommon):
    def _ranking(self, user, **values):
        ranking = (
            self.env["salesperf.ranking"]
            .with_user(user)
            .create({"reference_date": date(2025, 3, 10), "company_id": self.company.id, **values})
        )
        ranking.action_compute()
        return {line.user_id: line for line in ranking.line_ids}, ranking

    def test_ranking_by_amount_with_change_since_last_month(self):
        lines, _ranking = self._ranking(self.lena, rank_by="amount")
        # March: Sonia 500, Sam 400, Tom 100, Lena 0
        self.assertEqual(
            [(lines[u].rank, lines[u].amount) for u in (self.sonia, self.sam, self.tom)],
            [(1, 500.0), (2, 400.0), (3, 100.0)],
        )
        # February: Sonia 200 (1st), Sam, Tom and Lena 0 (all 2nd)
        self.assertEqual(lines[self.sonia].rank_change, 0)  # 1 → 1
        self.assertEqual(lines[self.sam].rank_change, 0)  # 2 → 2
        self.assertEqual(lines[self.tom].rank_change, -1)  # 2 → 3

    def test_ranking_by_attainment_in_a_team(self):
        self._target()  # Sonia 1000: 500 / 1000 = 50 %
        self._target(user_id=self.sam.id, amount=400)  # Sam 400 / 400 = 100 %
        lines, _ranking = self._ranking(self.lena, team_id=self.team_north.id)
        self.assertEqual(set(lines), {self.sonia, self.sam})
        self.assertEqual((lines[self.sam].rank, lines[self.sam].attainment), (1, 100.0))
        self.assertEqual((lines[self.sonia].rank, lines[self.sonia].attainment), (2, 50.0))
        # no targets in February: nobody was ranked, so nobody gained places
        self.assertTrue(lines[self.sam].is_new)

    def test_salespeople_see_only_ranks_and_percentages_when_amounts_are_hidden(self):
        self._target()
        self.company.salesperf_ranking_show_amounts = False
        lines, ranking = self._ranking(self.sonia)
        self.assertTrue(ranking.amounts_hidden)
        self.assertEqual(lines[self.sonia].attainment, 50.0)
        self.assertEqual({line.amount for line in lines.values()}, {0.0})
        self.assertEqual({line.target for line in lines.values()}, {0.0})
        # an all-documents user still sees the amounts
        lines, ranking = self._ranking(self.lena, rank_by="amount")
        self.assertFalse(ranking.amounts_hidden)
        self.assertEqual(lines[self.sam].amount, 400.0)


@tagged("post_install", "-at_install")
class TestMilestones(SalesperfTargetCommon):
    def _notifications(self, target):
        return target.message_ids.filtered(lambda m: "% of the target" in (m.body or ""))

    @freeze_time("2025-03-25 12:00:00")
    def test_each_milestone_is_announced_once(self):
        target = self._target()  # Sonia, March, 1000; 500 sold
        target.action_confirm()
        Target = self.env["salesperf.target"]
        Target._cron_notify_milestones()
        # 500 / 1000 = 50 %: one message, to Sonia and her leader Sam
        messages = self._notifications(target)
        self.assertEqual(len(messages), 1)
        self.assertIn("reached 50 %", messages.body)
        # formatted in the company currency (§ after the amount)
        self.assertIn("500.00&nbsp;§ of 1,000.00&nbsp;§", messages.body)
        self.assertEqual(messages.partner_ids, (self.sonia | self.sam).partner_id)
        Target._cron_notify_milestones()  # safe to run twice
        self.assertEqual(len(self._notifications(target)), 1)
        # 450 more: 950 / 1000 = 95 % crosses 90 %
        self._create_order(
            self.sonia, self.customer_b, date(2025, 3, 24), [(self.product_x, 9, 50.0, 10.0)]
        )
        Target._cron_notify_milestones()
        Target._cron_notify_milestones()
        messages = self._notifications(target)
        self.assertEqual(len(messages), 2)
        self.assertIn("reached 90 %", messages[0].body)
        self.assertEqual(
            self.env["salesperf.target.milestone"]
            .search([("target_id", "=", target.id)])
            .mapped("threshold"),
            [50, 90],
        )

    @freeze_time("2025-03-25 12:00:00")
    def test_draft_targets_and_other_periods_are_left_alone(self):
        draft = self._target()
        past = self._target(date_from=date(2025, 2, 1), amount=100)  # February: 200 / 100
        past.action_confirm()
        self.env["salesperf.target"]._cron_notify_milestones()
        self.assertFalse(self._notifications(draft) | self._notifications(past))
