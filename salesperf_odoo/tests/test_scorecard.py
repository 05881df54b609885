# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date
from unittest.mock import patch

from psycopg2 import errors as pg_errors

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, freeze_time, new_test_user, tagged
from odoo.tools import mute_logger

from ..engine.periods import period_containing
from ..models import salesperf_scorecard as scorecard_module
from .test_commission_statement import JAN, CommissionCommon

JAN_PERIOD = period_containing("month", JAN)
FEB = date(2025, 2, 1)


class ScorecardCommon(CommissionCommon):
    """January 2025 in the test company (UTC), team North (Sonia, Sam, led
    by Leo) and South (Tom); Ada administers Sales Performance.

    The template: revenue attainment 60 % (cap 120 %) against each person's
    confirmed revenue target, orders 40 % (cap 100 %) against a fixed 4 a
    month; bands A ≥ 90, B ≥ 75, C ≥ 60, D ≥ 0. Sales of January:

    - Sonia, target 1,000: orders of 500 (Acme) and 300 (Bolt): 800, 2 orders;
    - Sam, target 2,000: one order of 2,500 (Core);
    - Tom, target 500: nothing.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ada = new_test_user(
            cls.env,
            login="ada",
            name="Ada",
            groups="sales_team.group_sale_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        # only the rules of these tests: the default ones would add theirs
        cls.env["salesperf.scorecard.suggestion.rule"].search([]).active = False
        cls.template = (
            cls.env["salesperf.scorecard.template"]
            .with_user(cls.ada)
            .create(
                {
                    "name": "Test scorecard",
                    "company_id": cls.company.id,
                    "line_ids": [
                        Command.create(
                            {
                                "kpi": "revenue_attainment",
                                "weight": 60.0,
                                "cap": 120.0,
                                "target_source": "target",
                            }
                        ),
                        Command.create(
                            {
                                "kpi": "orders",
                                "weight": 40.0,
                                "cap": 100.0,
                                "target_source": "fixed",
                                "fixed_target": 4.0,
                            }
                        ),
                    ],
                    "band_ids": [
                        Command.create({"name": name, "min_score": score})
                        for name, score in (("A", 90.0), ("B", 75.0), ("C", 60.0), ("D", 0.0))
                    ],
                }
            )
        )
        cls.band = {band.name: band for band in cls.template.band_ids}
        cls._target(cls.sonia, JAN, 1000.0)
        cls._target(cls.sam, JAN, 2000.0)
        cls._create_order(cls.sonia, cls.customer_a, JAN, [(cls.product_x, 1, 500.0, 0.0)])
        cls._create_order(cls.sonia, cls.customer_b, JAN, [(cls.product_x, 1, 300.0, 0.0)])
        cls._create_order(cls.sam, cls.customer_c, JAN, [(cls.product_x, 1, 2500.0, 0.0)])

    def _score(self, user, period=JAN_PERIOD):
        return (
            self.env["salesperf.scorecard"]
            .with_user(user)
            ._compute_scorecards(self.company, period)
        )

    def _cards(self, user=None):
        Scorecard = self.env["salesperf.scorecard"]
        if user:
            Scorecard = Scorecard.with_user(user)
        return Scorecard.search([("company_id", "=", self.company.id)])

    def _card(self, user):
        return self._cards().filtered(lambda card: card.user_id == user)


@tagged("post_install", "-at_install")
class TestScorecard(ScorecardCommon):
    def test_score_and_band_by_hand(self):
        self._target(self.tom, JAN, 500.0)
        result = self._score(self.ada)
        self.assertEqual(result, {"written": 3, "locked": 0, "skipped": {}})
        sonia, sam, tom = (self._card(user) for user in (self.sonia, self.sam, self.tom))
        # Sonia: 800 / 1,000 = 80 points × 60 % = 48; 2 / 4 orders = 50 × 40 % = 20
        # → 68: C (60 ≤ 68 < 75)
        self.assertEqual(
            [
                (line.kpi, line.actual, line.target, line.score, line.weighted)
                for line in sonia.line_ids
            ],
            [("revenue_attainment", 800.0, 1000.0, 80.0, 48.0), ("orders", 2.0, 4.0, 50.0, 20.0)],
        )
        self.assertAlmostEqual(sonia.score, 68.0)
        self.assertEqual(sonia.band_id, self.band["C"])
        # shown in their units: an amount with its currency, a count without decimals
        revenue_line, orders_line = sonia.line_ids
        self.assertIn("800.00", revenue_line.actual_display)
        self.assertIn(self.company.currency_id.symbol, revenue_line.actual_display)
        self.assertEqual((orders_line.actual_display, orders_line.target_display), ("2", "4"))
        # Sam: 2,500 / 2,000 = 125, capped at 120 × 60 % = 72; 1 / 4 = 25 × 40 % = 10 → 82: B
        self.assertAlmostEqual(sam.score, 82.0)
        self.assertEqual(sam.band_id, self.band["B"])
        self.assertEqual(sam.line_ids[0].score, 120.0)
        # Tom sold nothing: 0 → D
        self.assertEqual((tom.score, tom.band_id), (0.0, self.band["D"]))
        self.assertEqual((sonia.team_id, tom.team_id), (self.team_north, self.team_south))
        self.assertEqual(sonia.state, "draft")

    def test_compute_from_the_wizard_as_a_team_leader(self):
        wizard = Form(self.env["salesperf.scorecard.compute"].with_user(self.leo))
        wizard.period_kind = "month"
        wizard.date_start = date(2025, 1, 17)  # any day of January
        action = wizard.save().action_compute()
        cards = self.env["salesperf.scorecard"].search(action["domain"])
        self.assertEqual(cards.user_id, self.sonia | self.sam)
        self.assertEqual(set(cards.mapped("date_start")), {JAN})
        # every view of the scorecards opens for him
        views = (
            self.env["salesperf.scorecard"]
            .with_user(self.leo)
            .get_views([(False, kind) for kind in ("list", "form", "kanban", "pivot", "graph")])
        )
        self.assertEqual(len(views["views"]), 5)

    def test_weights_must_total_100(self):
        Template = self.env["salesperf.scorecard.template"].with_user(self.ada)
        with self._refused(ValidationError, "total 90.00 %; they must total 100 %"):
            Template.create(
                {
                    "name": "Short",
                    "company_id": self.company.id,
                    "team_id": self.team_south.id,
                    "line_ids": [
                        Command.create({"kpi": "revenue_attainment", "weight": 50.0}),
                        Command.create(
                            {
                                "kpi": "orders",
                                "weight": 40.0,
                                "target_source": "fixed",
                                "fixed_target": 4.0,
                            }
                        ),
                    ],
                }
            )
        # two weights moved in one save: 60 / 40 → 70 / 30 is accepted
        first, second = self.template.line_ids
        self.template.with_user(self.ada).write(
            {
                "line_ids": [
                    Command.update(first.id, {"weight": 70.0}),
                    Command.update(second.id, {"weight": 30.0}),
                ]
            }
        )
        self.assertEqual(self.template.total_weight, 100.0)
        # a fixed target is needed where no salesperson target exists
        with self._refused(ValidationError, "Win rate has no salesperson targets"):
            self.template.with_user(self.ada).write(
                {
                    "line_ids": [
                        Command.update(second.id, {"kpi": "win_rate", "target_source": "target"})
                    ]
                }
            )

    def test_missing_target_lists_who_and_writes_nothing(self):
        # Tom has no revenue target for January
        with self._refused(UserError, r"no target.*Tom: Revenue attainment"):
            self._score(self.ada)
        self.assertFalse(self._cards())

    def _run_cron(self, day="2025-02-10"):
        """The daily computation on ``day`` (10 February 2025: January is
        the last closed month); the warnings it logs about the test company
        (read from the module's logger calls, whatever the log handlers)."""
        with (
            freeze_time(f"{day} 12:00:00"),
            patch.object(scorecard_module._logger, "warning") as warning,
        ):
            self.env["salesperf.scorecard"]._cron_compute_last_month()
        messages = [call.args[0] % call.args[1:] for call in warning.call_args_list]
        return [message for message in messages if self.company.name in message]

    def test_scheduled_computation_scores_who_can_be_scored(self):
        # Tom has no revenue target for January: the wizard refuses (above),
        # the scheduled computation scores Sonia and Sam and leaves him out
        warnings = self._run_cron()
        self.assertEqual(len(warnings), 1)
        self.assertIn("Tom: no target for Revenue attainment", warnings[0])
        self.assertNotIn("Sonia", warnings[0])
        self.assertNotIn("Sam", warnings[0])
        self.assertEqual(self._cards().user_id, self.sonia | self.sam)
        self.assertFalse(self._card(self.tom))
        # the same scores as the wizard's, computed by hand above:
        # Sonia 800 / 1,000 → 80 × 60 % = 48 + 2 / 4 → 50 × 40 % = 20 = 68 (C);
        # Sam 2,500 / 2,000 → 125 capped 120 × 60 % = 72 + 1 / 4 → 25 × 40 % = 10 = 82 (B)
        sonia, sam = self._card(self.sonia), self._card(self.sam)
        self.assertEqual((sonia.score, sonia.band_id), (68.0, self.band["C"]))
        self.assertEqual((sam.score, sam.band_id), (82.0, self.band["B"]))
        self.assertEqual(len(sonia.line_ids), 2)
        # once Tom's target is set, the next run scores him too, with no
        # warning: nothing sold → 0 (D)
        self._target(self.tom, JAN, 500.0)
        self.assertFalse(self._run_cron())
        tom = self._card(self.tom)
        self.assertEqual((tom.score, tom.band_id), (0.0, self.band["D"]))
        self.assertEqual(len(self._cards()), 3)

    def test_scheduled_computation_without_any_target_writes_nothing(self):
        # February: Sonia sells 400, nobody has a target: nobody is scored
        self._create_order(self.sonia, self.customer_a, FEB, [(self.product_x, 1, 400.0, 0.0)])
        warnings = self._run_cron("2025-03-10")
        self.assertEqual(len(warnings), 1)
        for name in ("Sam", "Sonia", "Tom"):
            self.assertIn(f"{name}: no target for Revenue attainment", warnings[0])
        self.assertFalse(self._cards())
        self.assertFalse(
            self.env["salesperf.scorecard.line"].search([("company_id", "=", self.company.id)])
        )
        # with targets, but North's own template only: Tom (South) has none,
        # he is named, the others scored. Sonia 400 / 500 → 80 × 60 % = 48
        # + 1 / 4 → 25 × 40 % = 10 = 58 (D, below C's 60)
        self._target(self.sonia, FEB, 500.0)
        self._target(self.sam, FEB, 500.0)
        self._target(self.tom, FEB, 500.0)
        self.template.copy({"name": "North scorecard", "team_id": self.team_north.id})
        self.template.active = False
        warnings = self._run_cron("2025-03-10")
        self.assertEqual(len(warnings), 1)
        self.assertIn("Tom: no scorecard template", warnings[0])
        self.assertEqual(self._cards().user_id, self.sonia | self.sam)
        self.assertAlmostEqual(self._card(self.sonia).score, 58.0)

    def test_empty_period_is_refused_and_writes_nothing(self):
        with self._refused(UserError, "Nothing was sold, won, lost or done"):
            self._score(self.ada, period_containing("month", date(2024, 6, 1)))
        self.assertFalse(self._cards())
        with self._refused(UserError, "has not started"):
            self._score(self.ada, period_containing("year", date(2099, 1, 1)))

    def test_team_template_wins_over_the_company_one(self):
        team_template = self.template.copy(
            {"name": "North scorecard", "team_id": self.team_north.id}
        )
        self._score(self.leo)
        self.assertEqual(self._card(self.sonia).template_id, team_template)
        self.assertEqual(self._card(self.sam).template_id, team_template)

    def test_leader_locks_with_a_comment_never_their_own(self):
        self._score(self.leo)
        sonia = self._card(self.sonia)
        # Sonia cannot close her own
        sonia_as_sonia = sonia.with_user(self.sonia)
        with self._refused(UserError, "your own scorecard"):
            sonia_as_sonia.action_lock()
        # nor can Leo without a comment
        sonia_as_leo = sonia.with_user(self.leo)
        with self._refused(UserError, "write your comment"):
            sonia_as_leo.action_lock()
        sonia_as_leo.manager_comment = "Good start; more orders next month."
        sonia_as_leo.action_lock()
        self.assertEqual((sonia.state, sonia.locked_by_id), ("locked", self.leo))
        # a leader of the team who is also scored cannot close his own either
        self.team_north.member_ids |= self.leo
        self._target(self.leo, JAN, 100.0)
        self._score(self.leo)
        leo_card = self._card(self.leo).with_user(self.leo)
        leo_card.manager_comment = "Mine"
        with self._refused(UserError, "your own scorecard"):
            leo_card.action_lock()

    def test_only_a_manager_of_the_person_locks(self):
        self._target(self.tom, JAN, 500.0)
        self._score(self.ada)
        tom = self._card(self.tom)
        tom.with_user(self.ada).manager_comment = "Noted"
        # Leo leads North, not South: he does not even see Tom's scorecard
        with self.assertRaises(AccessError):
            tom.with_user(self.leo).action_lock()
        tom.with_user(self.ada).action_lock()
        self.assertEqual(tom.state, "locked")

    def test_locked_is_never_recomputed_or_edited(self):
        self._score(self.leo)
        sonia = self._card(self.sonia).with_user(self.leo)
        sonia.manager_comment = "Closed"
        sonia.action_lock()
        with self._refused(UserError, "locked"):
            sonia.action_recompute()
        with self._refused(UserError, "is locked"):
            sonia.manager_comment = "Changed afterwards"
        with self._refused(UserError, "cannot be deleted"):
            sonia.with_user(self.ada).unlink()
        # a new computation of the period keeps it as it was, updates Sam's
        self._create_order(self.sonia, self.customer_a, JAN, [(self.product_x, 1, 200.0, 0.0)])
        self.assertEqual(self._score(self.leo), {"written": 1, "locked": 1, "skipped": {}})
        self.assertAlmostEqual(sonia.score, 68.0)
        self.assertEqual(sonia.manager_comment, "Closed")

    def test_used_template_and_ratings_are_kept(self):
        self._score(self.leo)
        with self._refused(UserError, "archive it instead"):
            self.template.with_user(self.ada).unlink()
        # Sonia is rated C (68): her rating stays, and so does the unused A
        # while a plan pays on it
        with self._refused(UserError, "cannot be deleted"):
            self.band["C"].with_user(self.ada).unlink()
        self._plan(
            [self.sonia],
            rate=10.0,
            scorecard_mode="multiplier",
            scorecard_factor_ids=[Command.create({"band_id": self.band["A"].id, "factor": 1.1})],
        )
        with self._refused(UserError, "cannot be deleted"):
            self.band["A"].with_user(self.ada).unlink()
        self.assertTrue(self.template.exists() and self.band["A"].exists())

    def test_draft_recomputes(self):
        self._score(self.leo)
        sonia = self._card(self.sonia)
        self._create_order(self.sonia, self.customer_a, JAN, [(self.product_x, 1, 200.0, 0.0)])
        sonia.with_user(self.leo).action_recompute()
        # 1,000 / 1,000 = 100 × 60 % = 60; 3 / 4 = 75 × 40 % = 30 → 90: A
        self.assertAlmostEqual(sonia.score, 90.0)
        self.assertEqual(sonia.band_id, self.band["A"])
        self.assertEqual(len(sonia.line_ids), 2)

    def test_who_sees_and_computes_what(self):
        self._target(self.tom, JAN, 500.0)
        self._score(self.ada)
        all_cards = self._cards()
        self.assertEqual(len(all_cards), 3)
        # a salesperson: their own only, lines and suggestions too
        self.assertEqual(self._cards(self.sonia).user_id, self.sonia)
        self.assertEqual(
            self.env["salesperf.scorecard.line"]
            .with_user(self.sonia)
            .search([("company_id", "=", self.company.id)])
            .scorecard_id.user_id,
            self.sonia,
        )
        # a team leader: his team's members
        self.assertEqual(self._cards(self.leo).user_id, self.sonia | self.sam)
        # "All Documents": every one, read only
        self.assertEqual(self._cards(self.lena), all_cards)
        with self.assertRaises(AccessError):
            self._card(self.tom).with_user(self.lena).manager_comment = "Not mine to say"
        # a salesperson cannot edit her own nor compute anyone's
        with self.assertRaises(AccessError):
            self._card(self.sonia).with_user(self.sonia).manager_comment = "Great month"
        with self._refused(AccessError, "Only team leaders"):
            self._score(self.sonia)

    def test_figures_are_never_written_by_hand(self):
        self._score(self.leo)
        sonia = self._card(self.sonia).with_user(self.leo)
        # Leo writes his comment on his member's scorecard, never her figures
        sonia.manager_comment = "Fine"
        for values in ({"score": 100.0}, {"band_id": self.band["A"].id}):
            with self._refused(AccessError, "only the manager's comment"):
                sonia.write(values)
        with self._refused(AccessError, "only the manager's comment"):
            sonia.line_ids[0].score = 120.0
        with self._refused(AccessError, "only the manager's comment"):
            self.env["salesperf.scorecard.line"].with_user(self.leo).create(
                {"scorecard_id": sonia.id, "kpi": "orders", "score": 100.0}
            )
        with self._refused(AccessError, "only the manager's comment"):
            sonia.line_ids.unlink()
        with self._refused(AccessError, "only the manager's comment"):
            self.env["salesperf.scorecard"].with_user(self.leo).create(
                {
                    "user_id": self.sonia.id,
                    "company_id": self.company.id,
                    "period_kind": "quarter",
                    "date_start": JAN,
                    "date_end": date(2025, 3, 31),
                    "template_id": self.template.id,
                    "score": 100.0,
                }
            )
        self.assertAlmostEqual(sonia.score, 68.0)
        self.assertEqual(len(sonia.line_ids), 2)

    def test_leader_scores_his_members_whole_figures(self):
        # Leo reads only his own documents, yet his members' scores count
        # their own sales: 82 for Sam as computed by hand above
        self._score(self.leo)
        self.assertEqual(self._cards().user_id, self.sonia | self.sam)
        self.assertAlmostEqual(self._card(self.sam).score, 82.0)

    def test_multi_company(self):
        other = self.env["res.company"].create({"name": "Other Scorecard Company"})
        template = self.template.with_env(self.env).copy({"company_id": other.id})
        foreign = self.env["salesperf.scorecard"].create(
            {
                "user_id": self.sonia.id,
                "company_id": other.id,
                "period_kind": "month",
                "date_start": JAN,
                "date_end": date(2025, 1, 31),
                "template_id": template.id,
            }
        )
        Scorecard = self.env["salesperf.scorecard"].with_user(self.ada)
        # Ada works in the test company only: not the other's
        self.assertFalse(Scorecard.search([("id", "=", foreign.id)]))
        # once allowed in it, and working in it, she sees it
        self.ada.company_ids |= other
        with_other = Scorecard.with_context(allowed_company_ids=[self.company.id, other.id])
        self.assertEqual(with_other.search([("id", "=", foreign.id)]), foreign)
        self.ada.company_ids -= other
        # nor computes there without being allowed in it
        with self._refused(AccessError, "cannot compute the scorecards of Other"):
            Scorecard._compute_scorecards(other, JAN_PERIOD)

    @mute_logger("odoo.sql_db")  # the refused duplicate
    def test_one_scorecard_per_person_period_and_template_in_the_database(self):
        self._score(self.leo)
        sonia = self._card(self.sonia)
        with self.assertRaises(pg_errors.UniqueViolation), self.env.cr.savepoint():
            self.env["salesperf.scorecard"].create(
                {
                    "user_id": self.sonia.id,
                    "company_id": self.company.id,
                    "period_kind": "month",
                    "date_start": JAN,
                    "date_end": sonia.date_end,
                    "template_id": self.template.id,
                }
            )
            self.env.flush_all()

    def test_suggestions_with_their_figures(self):
        Rule = self.env["salesperf.scorecard.suggestion.rule"]
        rule = Rule.create(
            {
                "kpi": "average_order_value",
                "condition": "median",
                "threshold": 20.0,
                "text": "AOV %(actual)s, team median %(median)s, %(lag)s behind.",
            }
        )
        with self._refused(ValidationError, "unknown placeholder"):
            Rule.create({"kpi": "win_rate", "condition": "median", "text": "%(nope)s"})
        self._score(self.leo)
        sonia, sam = self._card(self.sonia), self._card(self.sam)
        # Sonia 800 / 2 = 400 a order, Sam 2,500: team median (400 + 2,500) / 2 = 1,450;
        # Sonia (1,450 − 400) / 1,450 = 72.41 % behind ≥ 20 %; Sam is above it
        self.assertEqual(len(sonia.suggestion_ids), 1)
        suggestion = sonia.suggestion_ids
        self.assertEqual(suggestion.rule_id, rule)
        # (the lag is stored with one decimal: 72.4)
        self.assertAlmostEqual(suggestion.lag, 72.4, places=1)
        self.assertIn("400.00", suggestion.text)
        self.assertIn("1,450.00", suggestion.text)
        self.assertIn("72.4 % behind", suggestion.text)
        self.assertIn("Team median:", suggestion.figures)
        self.assertFalse(sam.suggestion_ids)

    def test_period_report_lists_the_scorecards_the_reader_may_read(self):
        self._score(self.leo)
        sonia = self._card(self.sonia).with_user(self.leo)
        sonia.manager_comment = "More orders next month."
        sonia.action_lock()
        Report = self.env["salesperf.period.report"]
        rows = Report.with_user(self.leo)._report_data(
            "team", JAN_PERIOD, self.company, team=self.team_north
        )["scorecards"]
        # best score first: Sam 82 (B), Sonia 68 (C), as computed by hand above
        self.assertEqual(
            [(row["name"], row["score"], row["band"], row["state_label"]) for row in rows],
            [("Sam", 82.0, "B", "Draft"), ("Sonia", 68.0, "C", "Locked")],
        )
        self.assertEqual(rows[1]["comment"], "More orders next month.")
        # Sonia's own report: her scorecard only
        rows = Report.with_user(self.sonia)._report_data(
            "user", JAN_PERIOD, self.company, user=self.sonia
        )["scorecards"]
        self.assertEqual([row["user_id"] for row in rows], [self.sonia.id])
        # no scorecard in February: no section
        feb = period_containing("month", date(2025, 2, 1))
        self._create_order(self.sonia, self.customer_a, feb.start, [(self.product_x, 1, 10.0, 0.0)])
        self.assertIsNone(
            Report.with_user(self.sonia)._report_data("user", feb, self.company, user=self.sonia)[
                "scorecards"
            ]
        )


@tagged("post_install", "-at_install")
class TestScorecardCommission(ScorecardCommon):
    """The plan's scorecard option on January's statements: 10 % flat."""

    def _scorecard_plan(self, **values):
        return self._plan([self.sonia, self.sam, self.tom], rate=10.0, **values)

    def test_condition_minimum_rating(self):
        self._score(self.leo)
        self._scorecard_plan(scorecard_mode="condition", scorecard_min_band_id=self.band["B"].id)
        self._compute(JAN)
        sonia, sam = (self._statement(user, JAN) for user in (self.sonia, self.sam))
        # Sonia 68 < B's 75: nothing on her 500 and 300
        self.assertEqual(
            self._lines(sonia),
            [
                ("commission", "scorecard", 500.0, 0.0, 0.0),
                ("commission", "scorecard", 300.0, 0.0, 0.0),
            ],
        )
        self.assertIn("below the minimum rating B", sonia.note)
        self.assertEqual(sonia.scorecard_id, self._card(self.sonia))
        # Sam 82 ≥ 75: 2,500 × 10 % = 250
        self.assertEqual(self._lines(sam), [("commission", "flat", 2500.0, 10.0, 250.0)])

    def test_multiplier_per_rating(self):
        self._score(self.leo)
        self._create_order(self.tom, self.customer_a, JAN, [(self.product_x, 1, 100.0, 0.0)])
        factors = {"A": 1.1, "B": 1.0, "C": 0.9, "D": 0.8}
        self._scorecard_plan(
            scorecard_mode="multiplier",
            scorecard_factor_ids=[
                Command.create({"band_id": self.band[name].id, "factor": factor})
                for name, factor in factors.items()
            ],
            cap=240.0,
        )
        self._compute(JAN)
        sonia, sam, tom = (self._statement(user, JAN) for user in (self.sonia, self.sam, self.tom))
        # Sonia C × 0.9: 500 × 10 % = 50 × 0.9 = 45; 300 × 10 % = 30 × 0.9 = 27 → 72
        self.assertEqual(
            self._lines(sonia),
            [("commission", "flat", 500.0, 9.0, 45.0), ("commission", "flat", 300.0, 9.0, 27.0)],
        )
        self.assertEqual(sonia.total_amount, 72.0)
        # Sam B × 1.0: 250, capped at 240 as before: −10
        self.assertEqual(sam.total_amount, 240.0)
        # Tom has no scorecard (Leo scored North only): 100 × 10 % = 10, with a note
        self.assertEqual(tom.total_amount, 10.0)
        self.assertIn("No scorecard of Tom", tom.note)
        self.assertFalse(tom.scorecard_id)

    def test_multiplier_above_the_cap_adds_a_cap_line(self):
        self._score(self.leo)
        # Sam rated B gets 1.2 here: 250 × 1.2 = 300 > cap 280 → a cap line of −20
        self._scorecard_plan(
            scorecard_mode="multiplier",
            scorecard_factor_ids=[Command.create({"band_id": self.band["B"].id, "factor": 1.2})],
            cap=280.0,
        )
        self._compute(JAN)
        sam = self._statement(self.sam, JAN)
        self.assertEqual(
            self._lines(sam),
            [("cap", "cap", 300.0, 0.0, -20.0), ("commission", "flat", 2500.0, 12.0, 300.0)],
        )
        self.assertEqual(sam.total_amount, 280.0)
        # Sonia rated C has no factor: paid as computed, with a note: 80
        sonia = self._statement(self.sonia, JAN)
        self.assertEqual(sonia.total_amount, 80.0)
        self.assertIn("No factor for the rating C", sonia.note)
