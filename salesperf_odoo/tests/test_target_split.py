# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""The split preview (shares in %, children without history flagged and the
user's choice for them), applying exactly what was previewed, the mismatch of
each kind of split, the target views by right and the drill-down from a
target to what it counts."""

from datetime import date

from lxml import etree

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .test_target import SalesperfTargetCommon


class SalesperfTargetSplitCommon(SalesperfTargetCommon):
    """On top of the target fixtures: Nina joins North, and Sam sold 100 in
    March 2024. North's history for March 2025 (last March): Sonia 300, Sam
    100, Nina nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.nina = new_test_user(
            cls.env,
            login="nina",
            name="Nina",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.team_north.member_ids = [Command.link(cls.nina.id)]
        cls._create_order(
            cls.sam, cls.customer_c, date(2024, 3, 18), [(cls.product_x, 1, 100.0, 60.0)]
        )

    def _north(self, **values):
        return self._target(scope="team", team_id=self.team_north.id, user_id=False, **values)

    def _by_user(self, split, field):
        return {line.user_id: line[field] for line in split.line_ids}


@tagged("post_install", "-at_install")
class TestSplitWithoutHistory(SalesperfTargetSplitCommon):
    def test_newcomer_is_flagged_and_gets_an_equal_share_by_default(self):
        split = self._split(self._north(amount=900), "owner", "history")
        self.assertEqual(split.without_history, "equal")
        self.assertEqual(
            self._by_user(split, "history_status"),
            {self.sonia: "found", self.sam: "found", self.nina: "missing"},
        )
        self.assertTrue(split.can_choose_without_history)
        self.assertIn("1 of 3 have no history", split.note)
        # Nina weighs the mean of the others' history, (300 + 100) / 2 = 200,
        # so her share is that of an equal split: 200 / 600 = 1/3.
        # 900 × 300/600 = 450, × 100/600 = 150, × 200/600 = 300
        self.assertEqual(
            self._by_user(split, "amount"), {self.sonia: 450.0, self.sam: 150.0, self.nina: 300.0}
        )
        # 50 %, 16.67 %, 33.33 %: 2 decimals adding up to 100 %, never the
        # raw history (300, 100) as a "weight"
        self.assertEqual(
            self._by_user(split, "share"), {self.sonia: 0.5, self.sam: 0.1667, self.nina: 0.3333}
        )
        children = self.Target.browse(split.action_apply()["domain"][0][2])
        self.assertEqual(
            {child.user_id: child.amount for child in children},
            {self.sonia: 450.0, self.sam: 150.0, self.nina: 300.0},
        )

    def test_choosing_nothing_for_the_newcomer_updates_the_preview_and_the_children(self):
        split = self._split(self._north(amount=900), "owner", "history")
        with Form(split) as form:
            form.without_history = "zero"
            # the preview follows at once: 900 × 300/400 = 675 (75 %),
            # × 100/400 = 225 (25 %), 0 for Nina
            preview = {}
            for index in range(len(form.line_ids)):
                with form.line_ids.edit(index) as line:
                    preview[line.user_id] = (line.amount, line.share)
            self.assertEqual(
                preview,
                {self.sonia: (675.0, 0.75), self.sam: (225.0, 0.25), self.nina: (0.0, 0.0)},
            )
        self.assertEqual(split.without_history, "zero")
        children = self.Target.browse(split.action_apply()["domain"][0][2])
        self.assertEqual(
            {child.user_id: child.amount for child in children},
            {self.sonia: 675.0, self.sam: 225.0, self.nina: 0.0},
        )
        self.assertIn("without history: nothing", split.target_id.message_ids[0].body)

    def test_apply_recomputes_from_the_choice_not_from_the_sent_amounts(self):
        split = self._split(self._north(amount=900), "owner", "history")
        # the preview was made with an equal share; the user then picks
        # "nothing", and a client sends back stale (or forged) amounts
        split.without_history = "zero"
        split.line_ids.filtered(lambda line: line.user_id == self.nina).amount = 900.0
        children = self.Target.browse(split.action_apply()["domain"][0][2])
        # 900 × 300/400 = 675, × 100/400 = 225, Nina 0, as chosen
        self.assertEqual(
            {child.user_id: child.amount for child in children},
            {self.sonia: 675.0, self.sam: 225.0, self.nina: 0.0},
        )
        self.assertEqual(split.target_id.owner_mismatch, 0.0)

    def test_months_without_history_in_a_seasonal_split(self):
        # North's Q1 2025 by its months of 2022-2024: January 0, February 0
        # (Sonia's February order is of 2025), March 2024: Sonia 300 + Sam 100
        quarter = self._north(period_kind="quarter", date_from=date(2025, 1, 1), amount=3000)
        split = self._split(quarter, "period", "seasonal")
        self.assertEqual(split.line_ids.mapped("has_history"), [False, False, True])
        # equal share: January and February weigh the mean of the known, 400:
        # 3000 / 3 = 1000 each
        self.assertEqual(split.line_ids.mapped("amount"), [1000.0, 1000.0, 1000.0])
        split.without_history = "zero"
        children = self.Target.browse(split.action_apply()["domain"][0][2])
        # nothing for January and February: March gets the whole 3000
        self.assertEqual(children.sorted("date_from").mapped("amount"), [0.0, 0.0, 3000.0])

    def test_changing_the_method_clears_the_preview(self):
        split = self._split(self._north(amount=900), "owner", "equal")
        with Form(split) as form:
            form.method = "history"
            self.assertEqual(len(form.line_ids), 0)
            self.assertFalse(form.note)


@tagged("post_install", "-at_install")
class TestSplitApplyAsPreviewed(SalesperfTargetSplitCommon):
    """Apply recomputes owners, periods and weights on the server; the preview
    lines, which the client may write anything to, are only checked against
    them. All as Sam, North's leader, who may split North's targets."""

    def _assert_refused(self, split, message):
        count = self.Target.search_count([])
        with self.assertRaisesRegex(UserError, message):
            split.action_apply()
        self.assertEqual(self.Target.search_count([]), count)
        self.assertFalse(split.target_id.child_ids)

    def test_an_honest_apply_creates_what_was_previewed(self):
        split = self._split(self._north(amount=900), "owner", "history", user=self.sam)
        preview = self._by_user(split, "amount")
        # as in the preview: 900 × 300/600 = 450, × 100/600 = 150, Nina × 200/600 = 300
        self.assertEqual(preview, {self.sonia: 450.0, self.sam: 150.0, self.nina: 300.0})
        children = self.Target.browse(split.action_apply()["domain"][0][2])
        self.assertEqual({child.user_id: child.amount for child in children}, preview)
        self.assertEqual(set(children.mapped("scope")), {"user"})
        self.assertEqual(children.team_id, self.team_north)
        self.assertEqual(set(children.mapped("date_from")), {date(2025, 3, 1)})

    def test_forged_weights_are_refused(self):
        forgeries = [
            # Nina "had" 9,000 last March: she would take most of the target
            ("history", {self.nina: 9000.0}),
            # history weights all 0: the engine would refuse to split
            ("history", {self.sonia: 0.0, self.sam: 0.0}),
            # an equal split with no weight above 0, or a negative one
            ("equal", {self.sonia: 0.0, self.sam: 0.0, self.nina: 0.0}),
            ("equal", {self.sonia: -1.0}),
        ]
        for method, weights in forgeries:
            with self.subTest(method=method, weights=weights):
                split = self._split(self._north(amount=900), "owner", method, user=self.sam)
                for line in split.line_ids:
                    if line.user_id in weights:
                        line.weight = weights[line.user_id]
                self._assert_refused(split, "Preview it again")
                split.target_id.unlink()
        # previewed again, the weights are the server's: 450, 150, 300 as above
        split = self._split(self._north(amount=900), "owner", "history", user=self.sam)
        children = self.Target.browse(split.action_apply()["domain"][0][2])
        self.assertEqual(
            {child.user_id: child.amount for child in children},
            {self.sonia: 450.0, self.sam: 150.0, self.nina: 300.0},
        )

    def test_forged_owner_period_or_lines_are_refused(self):
        def give_ninas_line_to_tom(split):
            # Tom is in South: no child of North's target for him
            split.line_ids.filtered(lambda line: line.user_id == self.nina).user_id = self.tom

        def twice_sonia(split):
            split.line_ids.filtered(lambda line: line.user_id == self.nina).user_id = self.sonia

        def drop_a_line(split):
            split.line_ids[-1].unlink()

        def move_to_april(split):
            split.line_ids[0].date_from = date(2025, 4, 1)

        for forge in (give_ninas_line_to_tom, twice_sonia, drop_a_line, move_to_april):
            with self.subTest(forge=forge.__name__):
                split = self._split(self._north(amount=900), "owner", "equal", user=self.sam)
                forge(split)
                self._assert_refused(split, "Preview it again")
                split.target_id.unlink()
        # over time too: January's line moved to April
        quarter = self._north(period_kind="quarter", date_from=date(2025, 1, 1), amount=3000)
        split = self._split(quarter, "period", "equal", user=self.sam)
        split.line_ids[0].date_from = date(2025, 4, 1)
        self._assert_refused(split, "Preview it again")

    def test_history_grown_since_the_preview_asks_to_preview_again(self):
        split = self._split(self._north(amount=900), "owner", "history", user=self.sam)
        # Nina's first sale is dated last March after the preview: the split
        # would no longer be the one shown (900 × 300/600 = 450 for Sonia
        # then, 900 × 300/450 = 600 now)
        self._create_order(
            self.nina, self.customer_c, date(2024, 3, 20), [(self.product_x, 1, 50.0, 30.0)]
        )
        self._assert_refused(split, "Preview it again")

    def test_manual_input_is_checked_before_anything_is_written(self):
        north = self._north(amount=900)
        split = self._split(north, "owner", "manual", user=self.sam)
        split.line_ids.share = 0.0
        # 0 % + 0 % + 0 % = 0 %
        self._assert_refused(split, r"add up to 0.0 %, not 100 %")
        split.line_ids[0].share = -0.5
        self._assert_refused(split, r"must be a number of 0 or more, not -50.0 %")
        split = self._split(north, "owner", "manual_amount", user=self.sam)
        split.line_ids.amount = 0.0
        # 0 + 0 + 0 = 0, not 900
        self._assert_refused(split, "add up to 0.0, not to the target's 900.0")
        # the user's amounts are the input, the owners still the server's:
        # 900 = 500 + 400 + 0, in the preview's order
        split.line_ids[0].amount, split.line_ids[1].amount = 500.0, 400.0
        expected = {split.line_ids[0].user_id: 500.0, split.line_ids[1].user_id: 400.0,
                    split.line_ids[2].user_id: 0.0}  # fmt: skip
        children = self.Target.browse(split.action_apply()["domain"][0][2])
        self.assertEqual({child.user_id: child.amount for child in children}, expected)


@tagged("post_install", "-at_install")
class TestSplitMismatch(SalesperfTargetSplitCommon):
    def test_a_team_quarter_split_among_people_and_over_months_shows_no_false_mismatch(self):
        quarter = self._north(period_kind="quarter", date_from=date(2025, 1, 1), amount=3000)
        self._split(quarter, "owner", "equal").action_apply()
        self._split(quarter, "period", "equal").action_apply()
        # 3 people × 1000 and 3 months × 1000: 6 children, 6000 in all, yet
        # each kind adds up to the 3000 of the quarter
        self.assertEqual(len(quarter.child_ids), 6)
        self.assertRecordValues(
            quarter,
            [
                {
                    "is_split_by_owner": True,
                    "owner_children_amount": 3000.0,
                    "owner_mismatch": 0.0,
                    "is_split_by_period": True,
                    "period_children_amount": 3000.0,
                    "period_mismatch": 0.0,
                }
            ],
        )
        # March raised by 150: over time 3150 - 3000 = 150; among people, still 0
        march = quarter.child_ids.filtered(lambda child: child.date_from == date(2025, 3, 1))
        march.amount = 1150.0
        self.assertEqual((quarter.period_mismatch, quarter.owner_mismatch), (150.0, 0.0))

    def test_mismatch_is_exact(self):
        # 0.1 + 0.2 is 0.30000000000000004 in binary floats: no mismatch here
        parent = self._north(period_kind="quarter", date_from=date(2025, 1, 1), amount=0.3)
        self._target(user_id=self.sonia.id, period_kind="quarter", date_from=date(2025, 1, 1),
                     amount=0.1, parent_id=parent.id)  # fmt: skip
        self._target(user_id=self.sam.id, period_kind="quarter", date_from=date(2025, 1, 1),
                     amount=0.2, parent_id=parent.id)  # fmt: skip
        self.assertEqual(parent.owner_mismatch, 0.0)

    def test_a_child_of_another_owner_and_another_period_is_refused(self):
        quarter = self._north(period_kind="quarter", date_from=date(2025, 1, 1), amount=3000)
        # Sonia's March under North's quarter: neither the same period nor
        # the same owner, so neither kind of split could compare it
        with self.assertRaisesRegex(ValidationError, "either among teams or salespeople"):
            self._target(parent_id=quarter.id)


@tagged("post_install", "-at_install")
class TestTargetViewsByRight(SalesperfTargetSplitCommon):
    def _arch(self, user, view_type):
        views = self.Target.with_user(user).get_views([(False, view_type)])
        return etree.fromstring(views["views"][view_type]["arch"])

    def test_new_and_delete_only_for_who_may_create_targets(self):
        # Sonia first, then Sam and the director: no view cached for one
        # serves the other
        for user, may_create in [(self.sonia, False), (self.sam, True), (self.manager, True)]:
            for view_type in ("list", "form"):
                with self.subTest(user=user.name, view_type=view_type):
                    arch = self._arch(user, view_type)
                    self.assertEqual(arch.get("create") != "0", may_create)
                    self.assertEqual(arch.get("delete") != "0", may_create)
        # Sam stops leading North: he may create no target any more
        self.team_north.user_id = False
        self.assertEqual(self._arch(self.sam, "list").get("create"), "0")

    def test_reset_to_draft_only_for_administrators(self):
        def buttons(user):
            return {node.get("name") for node in self._arch(user, "form").iter("button")}

        self.assertNotIn("action_reset_to_draft", buttons(self.sonia))
        self.assertNotIn("action_reset_to_draft", buttons(self.sam))
        self.assertIn("action_reset_to_draft", buttons(self.manager))
        # Revise and Split follow can_manage, computed from the record rules
        form = self._arch(self.sonia, "form")
        revise = form.xpath("//button[@name='action_revise']")[0]
        self.assertIn("not can_manage", revise.get("invisible"))

    def test_salesperson_sees_her_own_target_read_only(self):
        """Her target, a draft, opens without fields to edit: saving would be
        refused by the record rules."""
        target = self._target()
        self.assertFalse(target.with_user(self.sonia).can_manage)
        self.assertTrue(target.with_user(self.sam).can_manage)
        amount = self._arch(self.sonia, "form").xpath("//field[@name='amount']")[0]
        self.assertIn("not can_manage", amount.get("readonly"))


@tagged("post_install", "-at_install")
class TestTargetDrillDown(SalesperfTargetSplitCommon):
    def test_actual_opens_the_lines_it_counts(self):
        target = self._target()  # Sonia, March 2025, revenue
        action = target.with_user(self.sonia).action_view_actual()
        self.assertEqual(action["res_model"], "salesperf.sale.fact")
        lines = self.env["salesperf.sale.fact"].with_user(self.sonia).search(action["domain"])
        # Sonia's March lines: 2 × 100 + 5 × 40 (10 March) + 1 × 100 (20 March)
        # = 500, her target's actual
        self.assertEqual(sum(lines.mapped("revenue")), 500.0)
        self.assertEqual(target.actual, 500.0)

    def test_actual_of_a_target_the_user_may_not_read_is_refused(self):
        tom = self._target(user_id=self.tom.id)
        with self.assertRaises(AccessError):
            tom.with_user(self.sonia).action_view_actual()
