# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Who may do what with targets, milestones, rankings and their wizards,
tried as the people who use them: salespeople and team leaders with "own
documents" rights, in the ORM and over JSON-RPC."""

import math
from datetime import date

from psycopg2 import errors as pg_errors

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import mute_logger

from .common import SalesperfRpcCase
from .test_target import SalesperfTargetCommon


class SalesperfAuthorityCommon(SalesperfTargetCommon):
    """On top of the target fixtures (Sam leads North: Sonia and Sam; Tom is
    in South, which nobody leads; Lena sees all documents; Director is a
    Sales administrator): a second company, where nobody of the first works."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.env["res.company"].create(
            {"name": "Salesperf Other Company", "currency_id": cls.currency_xsa.id}
        )
        cls.olga = new_test_user(
            cls.env,
            login="olga",
            name="Olga",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company_2.id,
            company_ids=[Command.set(cls.company_2.ids)],
        )

    def _values(self, **values):
        return {
            "scope": "user",
            "user_id": self.sonia.id,
            "metric": "revenue",
            "period_kind": "month",
            "date_from": date(2025, 3, 1),
            "amount": 1000.0,
            "company_id": self.company.id,
            **values,
        }

    def _count(self):
        return self.Target.search_count([("company_id", "=", self.company.id)])


@tagged("post_install", "-at_install")
class TestTeamLeaderAuthority(SalesperfAuthorityCommon):
    def test_leader_cannot_create_targets_outside_his_team(self):
        Target = self.Target.with_user(self.sam)
        for label, values in [
            # naming his own team does not make Tom (South) one of his people
            ("other team's salesperson", {"user_id": self.tom.id, "team_id": self.team_north.id}),
            ("company target", {"scope": "company", "user_id": False}),
            (
                "company target naming his team",
                {"scope": "company", "user_id": False, "team_id": self.team_north.id},
            ),
            ("other team", {"scope": "team", "user_id": False, "team_id": self.team_south.id}),
            # his member, but labelled with a team he does not lead
            ("member under another team", {"team_id": self.team_south.id}),
        ]:
            with (
                self.subTest(label),
                self.assertRaises(AccessError),
                self.env.cr.savepoint(),
            ):
                Target.create(self._values(**values))
        self.assertEqual(self._count(), 0, "nothing may be left half-written")
        # his team and its current members are his to manage
        Target.create(self._values(team_id=self.team_north.id))
        Target.create(self._values(scope="team", user_id=False, team_id=self.team_north.id))
        self.assertEqual(self._count(), 2)

    def test_leader_reads_no_figure_outside_his_team(self):
        company = self.Target.create(self._values(scope="company", user_id=False, amount=5000))
        tom = self.Target.create(self._values(user_id=self.tom.id))
        sonia = self.Target.create(self._values())
        visible = self.Target.with_user(self.sam).search([("company_id", "=", self.company.id)])
        self.assertEqual(visible, sonia)
        for target in company | tom:
            with self.assertRaises(AccessError):
                target.with_user(self.sam).read(["actual"])
        # his member's actual is her whole March: 400 + 100 = 500, though Sam
        # with "own documents" rights cannot read her orders
        self.assertAlmostEqual(sonia.with_user(self.sam).actual, 500.0)

    def test_leader_cannot_move_a_target_out_of_his_team(self):
        target = self.Target.create(self._values())
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            target.with_user(self.sam).write({"user_id": self.tom.id})
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            target.with_user(self.sam).write({"scope": "company", "user_id": False})
        self.assertEqual((target.scope, target.user_id), ("user", self.sonia))

    def test_a_member_who_left_is_no_longer_managed(self):
        target = self.Target.create(self._values())
        target.with_user(self.sam).write({"amount": 1100.0})
        self.team_north.member_ids = [Command.unlink(self.sonia.id)]
        with self.assertRaises(AccessError):
            target.with_user(self.sam).write({"amount": 1200.0})
        self.assertEqual(target.amount, 1100.0)

    def test_leader_splits_only_among_his_current_members(self):
        team = self.Target.create(
            self._values(scope="team", user_id=False, team_id=self.team_north.id, amount=900)
        )
        split = self._split(team, "owner", "history", user=self.sam, without_history="zero")
        # last March: Sonia 300, Sam 0; the history is the whole team's, not
        # only what Sam may read (his own: none, an equal split instead):
        # 900 × 300 / 300 = 900 to Sonia, 0 to Sam, who has none
        self.assertEqual(
            {(line.user_id, line.amount) for line in split.line_ids},
            {(self.sonia, 900.0), (self.sam, 0.0)},
        )
        split.action_apply()
        self.assertEqual(team.child_ids.user_id, self.sonia | self.sam)
        # South's target is not his to split
        south = self.Target.create(
            self._values(scope="team", user_id=False, team_id=self.team_south.id, amount=900)
        )
        with self.assertRaises(AccessError):
            self._split(south, "owner", "equal", user=self.sam)

    def test_salesperson_cannot_revise_or_split_his_own_target(self):
        target = self.Target.create(self._values())
        target.action_confirm()
        with self.assertRaises(AccessError):
            target.with_user(self.sonia)._revise(5.0, "I wish")
        with self.assertRaises(AccessError):
            self._split(target, "owner", "equal", user=self.sonia)
        self.assertEqual(target.amount, 1000.0)
        self.assertFalse(target.with_user(self.sonia).can_manage)
        self.assertTrue(target.with_user(self.sam).can_manage)


@tagged("post_install", "-at_install")
class TestTargetLock(SalesperfAuthorityCommon):
    def test_no_context_key_or_state_opens_the_lock(self):
        target = self.Target.create(self._values())
        target.action_confirm()
        leader = target.with_user(self.sam)
        for label, context, values in [
            ("old revision flag", {"salesperf_target_revision": True}, {"amount": 1.0}),
            ("back to draft", {}, {"state": "draft"}),
            ("draft and amount at once", {}, {"state": "draft", "amount": 1.0}),
        ]:
            with (
                self.subTest(label),
                self.assertRaisesRegex(UserError, "Confirmed targets are locked"),
                self.env.cr.savepoint(),
            ):
                leader.with_context(**context).write(values)
        self.assertEqual((target.state, target.amount), ("confirmed", 1000.0))

    def test_back_to_draft_is_for_administrators_with_a_reason(self):
        target = self.Target.create(self._values())
        target.action_confirm()
        with self.assertRaises(AccessError):
            target.with_user(self.sam)._reset_to_draft("Wrong month")
        with self.assertRaisesRegex(UserError, "needs a reason"):
            target.with_user(self.manager)._reset_to_draft(" ")
        self.assertEqual(target.state, "confirmed")
        wizard = (
            self.env["salesperf.target.revision"]
            .with_user(self.manager)
            .create({"target_id": target.id, "mode": "reset", "reason": "Wrong month"})
        )
        wizard.action_apply()
        self.assertEqual(target.state, "draft")
        self.assertIn("Wrong month", target.message_ids[0].body)

    def test_revision_screen_is_its_creators_only(self):
        # the reason typed in a revision stays with who typed it: another
        # user of the same rights neither finds nor reads the screen
        target = self.Target.create(self._values())
        wizard = (
            self.env["salesperf.target.revision"]
            .with_user(self.manager)
            .create({"target_id": target.id, "mode": "reset", "reason": "Confidential"})
        )
        other = self.manager.copy({"login": "other_manager"})
        Revision = self.env["salesperf.target.revision"].with_user(other)
        self.assertFalse(Revision.search([("id", "=", wizard.id)]))
        with self.assertRaises(AccessError):
            Revision.browse(wizard.id).read(["reason"])
        self.assertEqual(wizard.with_user(self.manager).reason, "Confidential")


@tagged("post_install", "-at_install")
class TestTargetUniqueness(SalesperfAuthorityCommon):
    @mute_logger("odoo.sql_db")  # the refused duplicates
    def test_one_target_per_owner_whatever_the_team(self):
        self.Target.create(self._values(team_id=self.team_north.id))
        for label, values in [
            ("empty team", {"team_id": False}),
            ("another team", {"team_id": self.team_south.id}),
        ]:
            with (
                self.subTest(label),
                self.assertRaisesRegex(ValidationError, "one target per owner"),
                self.env.cr.savepoint(),
            ):
                self.Target.create(self._values(**values))
        company = self.Target.create(self._values(scope="company", user_id=False))
        with (
            self.assertRaisesRegex(ValidationError, "one target per owner"),
            self.env.cr.savepoint(),
        ):
            self.Target.create(
                self._values(scope="company", user_id=False, team_id=self.team_north.id)
            )
        # another metric, period or salesperson is another target: 1 + 1 + 3
        self.Target.create(self._values(metric="margin"))
        self.Target.create(self._values(date_from=date(2025, 4, 1)))
        self.Target.create(self._values(user_id=self.sam.id))
        self.assertEqual(self._count(), 5)
        self.assertTrue(company.exists())

    @mute_logger("odoo.sql_db")
    def test_the_database_refuses_a_duplicate(self):
        """Two users creating the same target at once both pass the Python
        check; the unique index lets only one in. Simulated by writing the
        second row past the ORM."""
        target = self.Target.create(self._values())
        self.env.flush_all()
        with self.assertRaises(pg_errors.UniqueViolation), self.env.cr.savepoint():
            self.env.cr.execute(
                """INSERT INTO salesperf_target
                    (scope, company_id, user_id, team_id, metric, period_kind, date_from,
                     amount, state)
                SELECT scope, company_id, user_id, %s, metric, period_kind, date_from,
                     amount, state
                FROM salesperf_target WHERE id = %s""",
                [self.team_south.id, target.id],
            )
        self.assertEqual(self._count(), 1)


@tagged("post_install", "-at_install")
class TestBadInput(SalesperfAuthorityCommon):
    def test_amounts_must_be_finite_non_negative_and_whole_for_counts(self):
        for label, values, message in [
            ("negative", {"amount": -5.0}, "must be a number of 0 or more, not -5.0"),
            ("NaN", {"amount": math.nan}, "Target must be a number, not nan"),
            ("infinite", {"amount": math.inf}, "Target must be a number, not inf"),
            ("10.5 orders", {"metric": "orders", "amount": 10.5}, "10.5 is not a whole number"),
        ]:
            with (
                self.subTest(label),
                self.assertRaisesRegex(ValidationError, message),
                self.env.cr.savepoint(),
            ):
                self.Target.create(self._values(**values))
        self.assertEqual(self._count(), 0)
        # a revision goes through the same checks
        target = self.Target.create(self._values(metric="orders", amount=10))
        target.action_confirm()
        with self.assertRaisesRegex(ValidationError, "not a whole number"), self.env.cr.savepoint():
            target._revise(10.5, "Half an order")
        self.assertEqual(target.amount, 10)

    def test_default_percentages_always_add_up_to_100(self):
        for members in (3, 6, 7, 17):
            with self.subTest(members=members):
                sellers = self.env["res.users"].concat(
                    *(
                        new_test_user(
                            self.env,
                            login=f"seller_{members}_{index}",
                            groups="sales_team.group_sale_salesman",
                            company_id=self.company.id,
                            company_ids=[Command.set(self.company.ids)],
                        )
                        for index in range(members)
                    )
                )
                team = self.env["crm.team"].create(
                    {
                        "name": f"Team of {members}",
                        "company_id": self.company.id,
                        "member_ids": [Command.set(sellers.ids)],
                    }
                )
                parent = self.Target.create(
                    self._values(scope="team", user_id=False, team_id=team.id, amount=1000)
                )
                split = self._split(parent, "owner", "manual")
                # e.g. 3: 33.34 + 33.33 + 33.33 = 100 % (ratios at 4 decimals)
                self.assertEqual(round(sum(split.line_ids.mapped("share")), 4), 1.0)
                split.action_apply()
                self.assertEqual(len(parent.child_ids), members)
                # children add up to the parent to the cent
                self.assertEqual(round(sum(parent.child_ids.mapped("amount")), 2), 1000.0)

    def test_split_refuses_negative_nan_and_fractional_lines_by_name(self):
        parent = self.Target.create(
            self._values(scope="team", user_id=False, team_id=self.team_north.id, amount=10)
        )
        split = self._split(parent, "owner", "manual")
        sonia_line = split.line_ids.filtered(lambda line: line.user_id == self.sonia)
        sam_line = split.line_ids - sonia_line
        sonia_line.share, sam_line.share = 1.5, -0.5  # 150 % and -50 %
        with self.assertRaisesRegex(UserError, "Line Sam · 2025-03-01: the percentage .* not -50"):
            split.action_apply()
        split.method = "manual_amount"
        sonia_line.amount, sam_line.amount = 12.0, -2.0
        with self.assertRaisesRegex(UserError, "Line Sam · 2025-03-01: the amount .* not -2.0"):
            split.action_apply()
        for value in (math.inf, math.nan):
            # as the client would send them
            with self.assertRaisesRegex(ValidationError, f"Target must be a number, not {value}"):
                sonia_line.write({"amount": value})
            with self.assertRaisesRegex(ValidationError, f"Share must be a number, not {value}"):
                sonia_line.write({"share": value})
        orders = self.Target.create(
            self._values(
                scope="team",
                user_id=False,
                team_id=self.team_north.id,
                metric="orders",
                amount=11,
            )
        )
        split = self._split(orders, "owner", "manual_amount")
        split.line_ids[0].amount, split.line_ids[1].amount = 5.5, 5.5
        with self.assertRaisesRegex(UserError, "5.5 is not a whole number"):
            split.action_apply()
        self.assertFalse(parent.child_ids | orders.child_ids)


@tagged("post_install", "-at_install")
class TestMilestoneTrust(SalesperfAuthorityCommon):
    def _notifications(self, target):
        return target.message_ids.filtered(lambda m: "% of the target" in (m.body or ""))

    @freeze_time("2025-03-25 12:00:00")
    def test_100_percent_is_never_announced_at_99_96(self):
        # Sonia sold 500 in March; 500 / 500.2 = 99.96 %, shown as 100.0 %
        target = self.Target.create(self._values(amount=500.2))
        target.action_confirm()
        self.assertEqual(target.attainment, 100.0)  # the displayed rounding
        self.Target._cron_notify_milestones()
        self.assertEqual(
            self.env["salesperf.target.milestone"]
            .search([("target_id", "=", target.id)])
            .mapped("threshold"),
            [50, 90],
        )
        self.assertIn("reached 90 %", self._notifications(target).body)

    @freeze_time("2025-03-25 12:00:00")
    def test_salespeople_see_only_their_own_milestones(self):
        sonia = self.Target.create(self._values(amount=500))  # 500 / 500 = 100 %
        sam = self.Target.create(self._values(user_id=self.sam.id, amount=400))  # 100 %
        tom = self.Target.create(self._values(user_id=self.tom.id, amount=100))  # 100 %
        (sonia | sam | tom).action_confirm()
        self.Target._cron_notify_milestones()
        Milestone = self.env["salesperf.target.milestone"]
        domain = [("company_id", "=", self.company.id)]
        self.assertEqual(len(Milestone.search(domain)), 9)  # 3 targets × 3 thresholds
        self.assertEqual(Milestone.with_user(self.sonia).search(domain).target_id, sonia)
        self.assertEqual(Milestone.with_user(self.tom).search(domain).target_id, tom)
        # Sam leads North: Sonia and himself, not Tom
        self.assertEqual(Milestone.with_user(self.sam).search(domain).target_id, sonia | sam)
        self.assertEqual(Milestone.with_user(self.lena).search(domain).target_id, sonia | sam | tom)


@tagged("post_install", "-at_install")
class TestRankingScope(SalesperfAuthorityCommon):
    def test_no_ranking_of_a_company_outside_ones_own(self):
        # Lena sees all documents, but only in the first company
        ranking = (
            self.env["salesperf.ranking"]
            .with_user(self.lena)
            .create({"reference_date": date(2025, 3, 10), "company_id": self.company_2.id})
        )
        with self.assertRaisesRegex(AccessError, "not one of your allowed companies"):
            ranking.action_compute()
        self.assertFalse(ranking.line_ids)

    def test_no_ranking_of_another_companys_team(self):
        team_2 = self.env["crm.team"].create(
            {
                "name": "Elsewhere",
                "company_id": self.company_2.id,
                "member_ids": [(4, self.olga.id)],
            }
        )
        ranking = (
            self.env["salesperf.ranking"]
            .with_user(self.lena)
            .create({"reference_date": date(2025, 3, 10), "team_id": team_2.id})
        )
        with self.assertRaisesRegex(AccessError, "does not belong to"):
            ranking.action_compute()

    def test_kpi_review_of_a_company_outside_ones_own(self):
        Review = self.env["salesperf.kpi.review"].with_user(self.lena)
        with self.assertRaises(AccessError):
            Review.create({"company_ids": [Command.set(self.company_2.ids)]}).action_compute()
        # naming it next to her own company does not help either
        with self.assertRaises(AccessError):
            Review.create(
                {"company_ids": [Command.set((self.company | self.company_2).ids)]}
            ).action_compute()


@tagged("post_install", "-at_install")
class TestAuthorityOverJsonRpc(SalesperfRpcCase, SalesperfAuthorityCommon):
    """The same rules when the web client (or anyone) calls the server."""

    def assertRpcError(self, answer, error, message):
        self.assertIsInstance(answer, tuple, "the call should have failed")
        self.assertEqual(answer[0], f"odoo.exceptions.{error}", answer)
        self.assertRegex(answer[1], message)

    @mute_logger("odoo.sql_db")  # the refused duplicates
    def test_lock_and_rights_hold_over_rpc(self):
        target = self.Target.create(self._values())
        target.action_confirm()
        tom = self.Target.create(self._values(user_id=self.tom.id))
        self.authenticate("sam", "sam")
        answer = self._call(
            "salesperf.target",
            "write",
            [target.ids, {"amount": 1.0}],
            {"context": {"salesperf_target_revision": True}},
        )
        self.assertRpcError(answer, "UserError", "Confirmed targets are locked")
        answer = self._call(
            "salesperf.target",
            "create",
            [self._values(scope="company", user_id=False, date_from="2025-03-01")],
        )
        self.assertRpcError(answer, "AccessError", "create")
        answer = self._call("salesperf.target", "read", [tom.ids, ["actual"]])
        self.assertRpcError(answer, "AccessError", "read")
        # a duplicate gets the clear message of the unique index
        answer = self._call(
            "salesperf.target", "create", [self._values(team_id=False, date_from="2025-03-01")]
        )
        self.assertRpcError(answer, "ValidationError", "one target per owner")
        self.assertEqual((target.amount, self._count()), (1000.0, 2))

    def test_wizards_check_rights_over_rpc(self):
        south = self.Target.create(
            self._values(scope="team", user_id=False, team_id=self.team_south.id, amount=900)
        )
        self.authenticate("sam", "sam")
        split_id = self._call(
            "salesperf.target.split",
            "create",
            [{"target_id": south.id, "split_by": "owner", "method": "equal"}],
        )
        answer = self._call("salesperf.target.split", "action_preview", [[split_id]])
        self.assertRpcError(answer, "AccessError", "write")
        self.authenticate("lena", "lena")
        ranking_id = self._call(
            "salesperf.ranking",
            "create",
            [{"reference_date": "2025-03-10", "company_id": self.company_2.id}],
        )
        answer = self._call("salesperf.ranking", "action_compute", [[ranking_id]])
        self.assertRpcError(answer, "AccessError", "not one of your allowed companies")
        # nor by naming the company in the context
        answer = self._call(
            "salesperf.ranking",
            "action_compute",
            [[ranking_id]],
            {"context": {"allowed_company_ids": [self.company_2.id]}},
        )
        self.assertRpcError(answer, "AccessError", "unauthorized or invalid companies")
        self.assertFalse(south.child_ids)
