# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date, datetime

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, freeze_time, new_test_user, tagged
from odoo.tools import SQL, mute_logger

from ..models.salesperf_forecast_submission import SUBMIT
from .common import SalesperfCommon, SalesperfRpcCase

NOW = "2025-05-20 10:00:00"
MAY = date(2025, 5, 1)
Q2 = date(2025, 4, 1)


class ForecastSubmissionCommon(SalesperfCommon):
    """The common company, with a leader for North (Lea, who belongs to no
    team), an administrator of Sales Performance (Ada, in both companies)
    and a second company whose salesperson Olga sells in team West.

    Team North: Sonia and Sam; team South: Tom; Lena sees all documents."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.env["res.company"].create({"name": "Salesperf Second Company"})
        cls.company_2.partner_id.tz = "UTC"
        cls.lea = new_test_user(
            cls.env,
            login="lea",
            name="Lea",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.team_north.user_id = cls.lea
        cls.ada = new_test_user(
            cls.env,
            login="ada",
            name="Ada",
            groups="sales_team.group_sale_salesman,salesperf_odoo.group_salesperf_manager",
            company_id=cls.company.id,
            company_ids=[Command.set((cls.company | cls.company_2).ids)],
        )
        cls.olga = new_test_user(
            cls.env,
            login="olga",
            name="Olga",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company_2.id,
            company_ids=[Command.set(cls.company_2.ids)],
        )
        cls.team_west = cls.env["crm.team"].create(
            {
                "name": "West",
                "company_id": cls.company_2.id,
                "member_ids": [Command.set(cls.olga.ids)],
            }
        )
        cls.Submission = cls.env["salesperf.forecast.submission"]

    def _submit(self, user, commit, best_case, kind="month", company=None, note=False):
        return self.Submission.with_user(user)._submit(
            company or self.company, kind, commit, best_case, note
        )

    def _adjust(self, user, submission, commit, best_case, note="Pipeline reviewed together"):
        return submission.with_user(user)._adjust(commit, best_case, note)

    def _submissions(self, user=None):
        submissions = self.Submission.with_user(user) if user else self.Submission
        return submissions.search([])


@tagged("post_install", "-at_install")
class TestForecastSubmit(ForecastSubmissionCommon):
    @freeze_time(NOW)
    def test_submit_from_the_form(self):
        with Form(self.env["salesperf.forecast.submit"].with_user(self.sonia)) as form:
            self.assertEqual((form.period_kind, form.date_from), ("month", MAY))
            self.assertEqual(form.date_to, date(2025, 5, 31))
            form.commit_amount = 1000.0
            form.best_case_amount = 1500.0
            form.note = "Acme signs this month"
        action = form.record.action_submit()
        submission = self.Submission.browse(action["res_id"])
        self.assertRecordValues(
            submission,
            [
                {
                    "company_id": self.company.id,
                    "user_id": self.sonia.id,
                    "team_id": self.team_north.id,
                    "period_kind": "month",
                    "date_from": MAY,
                    "date_to": date(2025, 5, 31),
                    "commit_amount": 1000.0,
                    "best_case_amount": 1500.0,
                    "forecast_commit": 1000.0,
                    "state": "submitted",
                    "submitted_on": datetime(2025, 5, 20, 10, 0),
                    "name": "Sonia · 2025-05",
                }
            ],
        )
        self.assertRecordValues(
            submission.revision_ids,
            [
                {
                    "kind": "submitted",
                    "commit_amount": 1000.0,
                    "best_case_amount": 1500.0,
                    "note": "Acme signs this month",
                    "author_id": self.sonia.id,
                }
            ],
        )
        # the quarter is its own submission, starting on the quarter's first day
        with Form(self.env["salesperf.forecast.submit"].with_user(self.sonia)) as form:
            form.period_kind = "quarter"
            self.assertEqual((form.date_from, form.date_to), (Q2, date(2025, 6, 30)))
            form.commit_amount = 3000.0
            form.best_case_amount = 4000.0
        quarter = self.Submission.browse(form.record.action_submit()["res_id"])
        self.assertEqual((quarter.period_kind, quarter.date_from), ("quarter", Q2))
        self.assertEqual(self._submissions(self.sonia), submission | quarter)

    @freeze_time(NOW)
    def test_resubmit_updates_and_keeps_history(self):
        first = self._submit(self.sonia, 1000.0, 1500.0)
        # the end of that request: its chatter is written
        self.env.flush_all()
        self.env.cr.precommit.run()
        with freeze_time("2025-05-22 09:00:00"):
            # the form starts from the numbers already submitted
            with Form(self.env["salesperf.forecast.submit"].with_user(self.sonia)) as form:
                self.assertEqual((form.commit_amount, form.best_case_amount), (1000.0, 1500.0))
                form.commit_amount = 1200.0
                form.best_case_amount = 1600.0
            second = self.Submission.browse(form.record.action_submit()["res_id"])
        self.assertEqual(second, first)
        self.assertRecordValues(
            first,
            [
                {
                    "commit_amount": 1200.0,
                    "best_case_amount": 1600.0,
                    "state": "submitted",
                    "submitted_on": datetime(2025, 5, 22, 9, 0),
                }
            ],
        )
        # newest first, as the form reads them
        self.env.invalidate_all()
        self.assertEqual(
            [(r.kind, r.commit_amount, r.best_case_amount) for r in first.revision_ids],
            [("submitted", 1200.0, 1600.0), ("submitted", 1000.0, 1500.0)],
        )
        # and the chatter tracks the change of the commit
        self.env.flush_all()
        self.env.cr.precommit.run()
        tracked = first.sudo().message_ids.tracking_value_ids.filtered(
            lambda value: value.field_id.name == "commit_amount"
        )
        self.assertEqual(
            sorted((v.old_value_float, v.new_value_float) for v in tracked),
            [(1000.0, 1200.0)],
        )

    @freeze_time(NOW)
    def test_bad_amounts_write_nothing(self):
        for commit, best_case, message in [
            (-1.0, 10.0, "cannot be negative"),
            (500.0, 499.99, "cannot be below the commit"),
            (float("nan"), 10.0, "must be a number"),
            (10.0, float("inf"), "must be a number"),
        ]:
            with (
                self.subTest(commit=commit, best_case=best_case),
                self.assertRaisesRegex(ValidationError, message),
            ):
                self._submit(self.sonia, commit, best_case)
        self.assertFalse(self.Submission.search([("company_id", "=", self.company.id)]))
        self.assertFalse(
            self.env["salesperf.forecast.submission.revision"].search(
                [("company_id", "=", self.company.id)]
            )
        )
        # a bad resubmission leaves the submitted numbers and history as they were
        submission = self._submit(self.sonia, 100.0, 100.0)
        with self.assertRaisesRegex(ValidationError, "cannot be below the commit"):
            self._submit(self.sonia, 300.0, 200.0)
        self.assertRecordValues(submission, [{"commit_amount": 100.0, "best_case_amount": 100.0}])
        self.assertEqual(len(submission.revision_ids), 1)
        # best case equal to the commit, and 0, are fine
        self._submit(self.sonia, 0.0, 0.0)
        self.assertEqual(submission.commit_amount, 0.0)

    def test_period_in_company_time_zone(self):
        self.company.partner_id.tz = "Pacific/Auckland"
        # 30 June 13:00 UTC is 1 July 01:00 in Auckland (UTC+12): July, Q3
        with freeze_time("2025-06-30 13:00:00"):
            month = self._submit(self.sonia, 10.0, 20.0)
            quarter = self._submit(self.sonia, 30.0, 40.0, kind="quarter")
        self.assertEqual(month.date_from, date(2025, 7, 1))
        self.assertEqual(quarter.date_from, date(2025, 7, 1))
        self.assertEqual(quarter.date_to, date(2025, 9, 30))

    @freeze_time(NOW)
    def test_one_submission_per_period_in_the_database(self):
        submission = self._submit(self.sonia, 10.0, 20.0)
        # the unique index holds even for a row written behind the ORM
        with (
            self.assertRaises(IntegrityError),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(
                SQL(
                    """INSERT INTO salesperf_forecast_submission
                           (company_id, user_id, period_kind, date_from, state)
                           VALUES (%s, %s, 'month', %s, 'draft')""",
                    self.company.id,
                    self.sonia.id,
                    MAY,
                )
            )
        # a concurrent submission that got past the search meets the index:
        # a clear message, nothing written
        with (
            self.assertRaisesRegex(ValidationError, "one per salesperson, company and period"),
            mute_logger("odoo.sql_db"),
        ):
            self.Submission.with_context(salesperf_forecast_submission=SUBMIT).create(
                {
                    "company_id": self.company.id,
                    "user_id": self.sonia.id,
                    "period_kind": "month",
                    "date_from": MAY,
                    "state": "submitted",
                    "commit_amount": 1.0,
                    "best_case_amount": 2.0,
                }
            )
        self.assertEqual(self.Submission.search([("user_id", "=", self.sonia.id)]), submission)
        # another salesperson, another period kind or another company is another row
        self._submit(self.sam, 10.0, 20.0)
        self._submit(self.sonia, 10.0, 20.0, kind="quarter")
        self.assertEqual(len(self.Submission.search([("company_id", "=", self.company.id)])), 3)

    @freeze_time(NOW)
    def test_submissions_change_only_through_the_flows(self):
        submission = self._submit(self.sonia, 10.0, 20.0)
        Submission = self.Submission.with_user(self.sonia)
        with self.assertRaisesRegex(AccessError, "Submit Forecast"):
            Submission.create(
                {
                    "company_id": self.company.id,
                    "user_id": self.sonia.id,
                    "period_kind": "quarter",
                    "date_from": Q2,
                    "commit_amount": 5.0,
                    "best_case_amount": 5.0,
                }
            )
        refused = (
            {"commit_amount": 5.0},
            {"date_from": date(2025, 4, 1)},
            {"adjusted_commit": 1.0},
            {"state": "adjusted"},
            {"user_id": self.sam.id},
            # stored computed fields and the rest of the record too: only
            # the chatter's and activities' fields change directly
            {"forecast_commit": 1_000_000.0},
            {"date_to": date(2025, 12, 31)},
            {"name": "Sonia · 2025-12"},
            {"team_id": self.team_south.id},
            {"submitted_on": datetime(2025, 5, 1)},
            {"reminded_on": date(2025, 5, 4)},
            {"manager_note": "Approved"},
        )
        for vals in refused:
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                submission.with_user(self.sonia).write(vals)
        # administrators too go through Adjust, and so does the superuser
        with self.assertRaises(AccessError):
            submission.with_user(self.ada).write({"adjusted_commit": 1.0, "state": "adjusted"})
        for vals in ({"forecast_commit": 1.0}, {"revision_ids": [Command.clear()]}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                submission.sudo().write(vals)
        submission.invalidate_recordset()
        self.assertRecordValues(
            submission,
            [
                {
                    "commit_amount": 10.0,
                    "adjusted_commit": 0.0,
                    "forecast_commit": 10.0,
                    "date_to": date(2025, 5, 31),
                    "name": "Sonia · 2025-05",
                    "team_id": self.team_north.id,
                    "reminded_on": False,
                    "state": "submitted",
                }
            ],
        )
        self.assertEqual(len(submission.revision_ids), 1)
        # the chatter's and activities' fields are open to a direct write
        direct = self.Submission._direct_write_fields()
        self.assertLessEqual({"activity_ids", "message_follower_ids", "message_ids"}, direct)
        self.assertFalse(direct & {"forecast_commit", "name", "date_to", "create_uid", "id"})
        submission.with_user(self.sonia).write(
            {
                "activity_ids": [
                    Command.create(
                        {
                            "res_model_id": self.env["ir.model"]._get_id(self.Submission._name),
                            "user_id": self.sonia.id,
                            "summary": "Call the buyer",
                        }
                    )
                ]
            }
        )
        self.assertEqual(submission.activity_ids.summary, "Call the buyer")

    def test_only_the_current_period(self):
        with freeze_time("2025-04-30 10:00:00"):
            april = self._submit(self.sonia, 10.0, 20.0)
        with freeze_time(NOW):
            self.assertFalse(april.with_user(self.sonia).can_submit)
            may = self._submit(self.sonia, 30.0, 40.0)
            self.assertTrue(may.with_user(self.sonia).can_submit)
            self.assertFalse(may.with_user(self.sam).can_submit)
            self.assertEqual(
                self.Submission.with_user(self.sonia).search([("is_current", "=", True)]), may
            )
        self.assertNotEqual(april, may)
        self.assertEqual((april.date_from, april.commit_amount), (date(2025, 4, 1), 10.0))


@tagged("post_install", "-at_install")
class TestForecastAdjust(ForecastSubmissionCommon):
    @freeze_time(NOW)
    def test_leader_adjusts_with_a_note(self):
        submission = self._submit(self.sonia, 1000.0, 1500.0)
        self.assertTrue(submission.with_user(self.lea).can_adjust)
        self.assertFalse(submission.with_user(self.sonia).can_adjust)
        action = submission.with_user(self.lea).action_open_adjust()
        with Form(
            self.env[action["res_model"]].with_user(self.lea).with_context(**action["context"])
        ) as form:
            # starts from the submitted numbers
            self.assertEqual((form.adjusted_commit, form.adjusted_best_case), (1000.0, 1500.0))
            form.adjusted_commit = 900.0
            form.adjusted_best_case = 1400.0
            form.note = "Bolt slips to June"
        form.record.action_apply()
        self.assertRecordValues(
            submission,
            [
                {
                    "state": "adjusted",
                    "commit_amount": 1000.0,
                    "best_case_amount": 1500.0,
                    "adjusted_commit": 900.0,
                    "adjusted_best_case": 1400.0,
                    "forecast_commit": 900.0,
                    "manager_note": "Bolt slips to June",
                    "adjusted_by": self.lea.id,
                    "adjusted_on": datetime(2025, 5, 20, 10, 0),
                }
            ],
        )
        self.assertEqual(
            [
                (r.kind, r.commit_amount, r.best_case_amount, r.note, r.author_id)
                for r in submission.revision_ids.sorted("id")
            ],
            [
                ("submitted", 1000.0, 1500.0, False, self.sonia),
                ("adjusted", 900.0, 1400.0, "Bolt slips to June", self.lea),
            ],
        )
        note = submission.message_ids.filtered(lambda m: "Bolt slips to June" in (m.body or ""))
        self.assertEqual(note.author_id, self.lea.partner_id)
        self.assertIn(self.sonia.partner_id, note.partner_ids)
        # Sonia reads the adjustment and its history, and cannot submit again
        self.assertEqual(
            submission.with_user(self.sonia).revision_ids.mapped("kind"), ["adjusted", "submitted"]
        )
        with self.assertRaisesRegex(UserError, "adjusted by Lea"):
            self._submit(self.sonia, 2000.0, 2500.0)
        self.assertEqual(submission.commit_amount, 1000.0)
        # the leader adjusts again: the history keeps both
        self._adjust(self.lea, submission, 950.0, 1400.0, "Acme confirmed")
        self.assertEqual(submission.adjusted_commit, 950.0)
        self.assertEqual(len(submission.revision_ids), 3)

    @freeze_time(NOW)
    def test_adjustment_needs_a_note_and_sane_numbers(self):
        submission = self._submit(self.sonia, 1000.0, 1500.0)
        with self.assertRaisesRegex(UserError, "needs a note"):
            self._adjust(self.lea, submission, 900.0, 1400.0, note="   ")
        with self.assertRaisesRegex(ValidationError, "cannot be below the commit"):
            self._adjust(self.lea, submission, 900.0, 800.0)
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self._adjust(self.lea, submission, -5.0, 800.0)
        self.assertRecordValues(
            submission, [{"state": "submitted", "adjusted_commit": 0.0, "manager_note": False}]
        )
        self.assertEqual(len(submission.revision_ids), 1)
        # the wizard refuses to save without a note
        with (
            self.assertRaises(AssertionError),
            Form(
                self.env["salesperf.forecast.adjust"]
                .with_user(self.lea)
                .with_context(default_submission_id=submission.id)
            ),
        ):
            pass

    @freeze_time(NOW)
    def test_who_cannot_adjust(self):
        sonia = self._submit(self.sonia, 1000.0, 1500.0)
        tom = self._submit(self.tom, 700.0, 900.0)
        lea = self._submit(self.lea, 50.0, 60.0)
        for user, submission, message in [
            # her own, through the wizard as the form would
            (self.sonia, sonia, "never its own salesperson"),
            # a teammate cannot even read it
            (self.sam, sonia, "salesperf.forecast.submission"),
            # "All Documents" reads, does not adjust
            (self.lena, sonia, "never its own salesperson"),
            # a leader outside her team
            (self.lea, tom, "salesperf.forecast.submission"),
            # a leader never adjusts her own
            (self.lea, lea, "never its own salesperson"),
        ]:
            with self.subTest(user=user.login, submission=submission.name):
                # the wizard is refused as soon as it is made
                with self.assertRaisesRegex(AccessError, message):
                    self.env["salesperf.forecast.adjust"].with_user(user).create(
                        {
                            "submission_id": submission.id,
                            "adjusted_commit": 1.0,
                            "adjusted_best_case": 2.0,
                            "note": "Lower",
                        }
                    )
                with self.assertRaisesRegex(AccessError, message):
                    submission.with_user(user)._adjust(1.0, 2.0, "Lower")
                with self.assertRaises(AccessError):
                    submission.with_user(user).action_open_adjust()
        self.assertEqual(
            self.Submission.browse((sonia | tom | lea).ids).mapped("state"), ["submitted"] * 3
        )
        self.assertFalse(
            self.env["salesperf.forecast.submission.revision"].search(
                [("kind", "=", "adjusted"), ("submission_id", "in", (sonia | tom | lea).ids)]
            )
        )
        self.assertFalse(
            self.env["salesperf.forecast.adjust"].search(
                [("submission_id", "in", (sonia | tom | lea).ids)]
            )
        )
        # applying checks again: a wizard made while Lea led North is
        # refused once she no longer does
        wizard = (
            self.env["salesperf.forecast.adjust"]
            .with_user(self.lea)
            .create({"submission_id": sonia.id, "note": "Lower"})
        )
        self.team_north.user_id = False
        with self.assertRaises(AccessError):
            wizard.action_apply()
        self.assertEqual(sonia.state, "submitted")
        # an administrator adjusts anyone's but her own
        self._adjust(self.ada, tom, 600.0, 900.0)
        self.assertEqual((tom.state, tom.adjusted_by), ("adjusted", self.ada))

    @freeze_time(NOW)
    def test_leader_follows_the_team_members(self):
        tom = self._submit(self.tom, 700.0, 900.0)
        self.assertFalse(tom.with_user(self.lea).can_adjust)
        # Tom joins North: his leader now reads and adjusts his forecast
        self.team_north.member_ids = [Command.link(self.tom.id)]
        self.env.invalidate_all()
        self.assertIn(tom, self._submissions(self.lea))
        self._adjust(self.lea, tom, 650.0, 900.0)
        self.assertEqual(tom.adjusted_commit, 650.0)

    @freeze_time(NOW)
    def test_draft_is_not_adjusted(self):
        self.env["salesperf.forecast.submission"]._cron_remind_submissions()
        draft = self.Submission.search(
            [("user_id", "=", self.sonia.id), ("period_kind", "=", "month")]
        )
        self.assertEqual(draft.state, "draft")
        with self.assertRaisesRegex(UserError, "has not submitted"):
            self._adjust(self.lea, draft, 1.0, 2.0)


@tagged("post_install", "-at_install")
class TestForecastSubmissionRules(ForecastSubmissionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time(NOW):
            Submission = cls.env["salesperf.forecast.submission"]
            cls.sub_sonia = Submission.with_user(cls.sonia)._submit(
                cls.company, "month", 10.0, 20.0
            )
            cls.sub_sam = Submission.with_user(cls.sam)._submit(cls.company, "month", 30.0, 40.0)
            cls.sub_tom = Submission.with_user(cls.tom)._submit(cls.company, "month", 50.0, 60.0)
            cls.sub_olga = Submission.with_user(cls.olga)._submit(
                cls.company_2, "month", 70.0, 80.0
            )
        cls.ours = cls.sub_sonia | cls.sub_sam | cls.sub_tom

    def test_salesperson_reads_her_own_only(self):
        self.assertEqual(self._submissions(self.sonia), self.sub_sonia)
        self.assertFalse(
            self.Submission.with_user(self.sonia).search([("user_id", "=", self.sam.id)])
        )
        with self.assertRaises(AccessError):
            self.sub_sam.with_user(self.sonia).read(["commit_amount"])
        with self.assertRaises(AccessError):
            self.sub_olga.with_user(self.sonia).read(["commit_amount"])
        # the history as well
        Revision = self.env["salesperf.forecast.submission.revision"].with_user(self.sonia)
        self.assertEqual(Revision.search([]).submission_id, self.sub_sonia)
        with self.assertRaises(AccessError):
            self.sub_sam.revision_ids.with_user(self.sonia).read(["commit_amount"])
        # and nobody writes history directly
        with self.assertRaises(AccessError):
            Revision.create(
                {
                    "submission_id": self.sub_sonia.id,
                    "kind": "adjusted",
                    "commit_amount": 1.0,
                    "author_id": self.sonia.id,
                }
            )

    def test_salesperson_of_the_other_company(self):
        self.assertEqual(self._submissions(self.olga), self.sub_olga)
        with self.assertRaises(AccessError):
            self.sub_sonia.with_user(self.olga).read(["commit_amount"])

    def test_team_leader_reads_her_team(self):
        self.assertEqual(self._submissions(self.lea), self.sub_sonia | self.sub_sam)
        with self.assertRaises(AccessError):
            self.sub_tom.with_user(self.lea).read(["commit_amount"])
        # and cannot write them but through Adjust
        with self.assertRaises(AccessError):
            self.sub_sonia.with_user(self.lea).write({"manager_note": "x"})

    def test_all_documents_read_all_write_nothing(self):
        self.assertEqual(self._submissions(self.lena), self.ours)
        with self.assertRaises(AccessError):
            self.sub_sonia.with_user(self.lena).write({"commit_amount": 1.0})

    def test_administrator_within_allowed_companies(self):
        self.assertEqual(self._submissions(self.ada), self.ours | self.sub_olga)
        first_only = self.Submission.with_user(self.ada).with_context(
            allowed_company_ids=self.company.ids
        )
        self.assertEqual(first_only.search([]), self.ours)
        with self.assertRaises(AccessError):
            self.sub_olga.with_user(self.ada).with_context(
                allowed_company_ids=self.company.ids
            )._adjust(1.0, 2.0, "note")
        self.assertEqual(self.sub_olga.state, "submitted")

    def test_salesperson_cannot_submit_for_another_company(self):
        with self.assertRaises(AccessError), freeze_time(NOW):
            self._submit(self.sonia, 1.0, 2.0, company=self.company_2)
        self.assertFalse(
            self.Submission.search(
                [("company_id", "=", self.company_2.id), ("user_id", "=", self.sonia.id)]
            )
        )

    def test_salesperson_filters(self):
        with freeze_time(NOW):
            Submission = self.Submission.with_user(self.lea)
            action = self.env.ref("salesperf_odoo.salesperf_forecast_submission_action")
            self.assertEqual(action.res_model, Submission._name)
            self.assertEqual(
                Submission.search([("team_id.user_id", "=", self.lea.id)]),
                self.sub_sonia | self.sub_sam,
            )
            self.assertEqual(
                Submission.search([("state", "=", "submitted"), ("user_id", "!=", self.lea.id)]),
                self.sub_sonia | self.sub_sam,
            )
            self.assertEqual(
                Submission.search([("is_current", "=", True), ("period_kind", "=", "month")]),
                self.sub_sonia | self.sub_sam,
            )
            self.assertFalse(
                Submission.search([("is_current", "=", True), ("period_kind", "=", "quarter")])
            )
        with freeze_time("2025-06-02 10:00:00"):
            self.assertFalse(Submission.search([("is_current", "=", True)]))
            self.assertEqual(
                Submission.search([("is_current", "=", False)]), self.sub_sonia | self.sub_sam
            )


@tagged("post_install", "-at_install")
class TestForecastRollup(ForecastSubmissionCommon):
    """May 2025 (and Q2) of team North, seen by its leader Lea."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Target = cls.env["salesperf.target"]
        Target.create(
            [
                {
                    "scope": "user",
                    "user_id": cls.sonia.id,
                    "company_id": cls.company.id,
                    "period_kind": "month",
                    "date_from": date(2025, 4, 1),
                    "amount": 1500.0,
                },
                {
                    "scope": "user",
                    "user_id": cls.sonia.id,
                    "company_id": cls.company.id,
                    "period_kind": "month",
                    "date_from": MAY,
                    "amount": 2000.0,
                },
                {
                    "scope": "team",
                    "team_id": cls.team_north.id,
                    "company_id": cls.company.id,
                    "period_kind": "month",
                    "date_from": MAY,
                    "amount": 5000.0,
                },
                {
                    "scope": "team",
                    "team_id": cls.team_north.id,
                    "company_id": cls.company.id,
                    "period_kind": "quarter",
                    "date_from": Q2,
                    "amount": 12000.0,
                },
                # another metric is not the revenue target
                {
                    "scope": "user",
                    "user_id": cls.sam.id,
                    "company_id": cls.company.id,
                    "metric": "margin",
                    "period_kind": "month",
                    "date_from": MAY,
                    "amount": 999.0,
                },
            ]
        )
        # closed month: April's confirmed sales count as the actual
        cls._create_order(
            cls.sonia, cls.customer_a, date(2025, 4, 10), [(cls.product_x, 3, 100.0, 0.0)]
        )
        cls._create_order(
            cls.sam, cls.customer_b, date(2025, 4, 11), [(cls.product_y, 2, 40.0, 0.0)]
        )
        # the current month's sales so far (500) are below its forecast (1,200)
        cls._create_order(
            cls.sonia, cls.customer_a, date(2025, 5, 5), [(cls.product_x, 5, 100.0, 0.0)]
        )
        Run = cls.env["salesperf.forecast.run"]
        older, latest, queued = Run.create(
            [
                {"company_id": cls.company.id, "state": "done", "date_start": date(2025, 4, 1)},
                {"company_id": cls.company.id, "state": "done", "date_start": MAY},
                {"company_id": cls.company.id, "state": "queued", "date_start": MAY},
            ]
        )
        cls.latest_run = latest

        def line(run, level, key, user, month, amount, team=None):
            return {
                "run_id": run.id,
                "company_id": cls.company.id,
                "currency_id": cls.company.currency_id.id,
                "level": level,
                "series_key": key,
                "user_id": user.id if user else False,
                "team_id": team.id if team else False,
                "date": month,
                "forecast": amount,
            }

        def cell(run, team, user, month, amount):
            key = f"team:{team.id}:user:{user.id}"
            return line(run, "cell", key, user, month, amount, team)

        june, july = date(2025, 6, 1), date(2025, 7, 1)
        north, south = cls.team_north, cls.team_south
        cls.env["salesperf.forecast.line"].create(
            [
                # each member's series within the team (level "cell")
                cell(latest, north, cls.sonia, MAY, 1200.0),
                cell(latest, north, cls.sonia, june, 1300.0),
                cell(latest, north, cls.sonia, july, 1400.0),
                cell(latest, north, cls.sam, MAY, 700.0),
                cell(latest, north, cls.sam, june, 800.0),
                cell(latest, south, cls.tom, MAY, 3333.0),
                # other levels, runs and states are not the member's forecast
                # in the team: level "user" is the salesperson in every team
                line(latest, "user", f"user:{cls.sonia.id}", cls.sonia, MAY, 5555.0),
                line(latest, "team", f"team:{north.id}", None, MAY, 8888.0, north),
                cell(older, north, cls.sonia, MAY, 9999.0),
                cell(queued, north, cls.sonia, MAY, 7777.0),
            ]
        )
        Lead = cls.env["crm.lead"]

        def opportunity(user, deadline, revenue, probability, team=None):
            return {
                "name": f"{user.name} {deadline}",
                "type": "opportunity",
                "user_id": user.id,
                "team_id": (team or cls.team_north).id,
                "company_id": cls.company.id,
                "date_deadline": deadline,
                "expected_revenue": revenue,
                "probability": probability,
            }

        Lead.create(
            [
                opportunity(cls.sonia, date(2025, 5, 25), 1000.0, 40.0),
                opportunity(cls.sonia, date(2025, 6, 30), 2000.0, 50.0),
                opportunity(cls.sam, date(2025, 5, 10), 500.0, 20.0),
                # outside the quarter, at 0 % (omitted) or another's
                opportunity(cls.sonia, date(2025, 7, 1), 4000.0, 50.0),
                opportunity(cls.sam, date(2025, 5, 12), 900.0, 0.0),
                opportunity(cls.tom, date(2025, 5, 12), 900.0, 50.0, cls.team_south),
            ]
        )
        with freeze_time(NOW):
            cls.month_sonia = cls.Submission.with_user(cls.sonia)._submit(
                cls.company, "month", 1000.0, 1500.0
            )
            cls.month_sonia.with_user(cls.lea)._adjust(900.0, 1400.0, "Bolt slips")
            cls.Submission.with_user(cls.sam)._submit(cls.company, "month", 500.0, 800.0)
            cls.Submission.with_user(cls.sonia)._submit(cls.company, "quarter", 3000.0, 4000.0)

    def _rollup(self, user, kind="month", team=None):
        rollup = (
            self.env["salesperf.forecast.rollup"]
            .with_user(user)
            .create({"team_id": (team or self.team_north).id, "period_kind": kind})
        )
        rollup.action_compute()
        return rollup

    def _line(self, rollup, user):
        return rollup.line_ids.filtered(lambda line: line.user_id == user)

    @freeze_time(NOW)
    def test_month_rollup(self):
        rollup = self._rollup(self.lea)
        self.assertEqual((rollup.date_from, rollup.date_to), (MAY, date(2025, 5, 31)))
        self.assertEqual(rollup.run_id, self.latest_run)
        self.assertEqual(rollup.line_ids.user_id, self.sonia | self.sam)
        self.assertRecordValues(
            self._line(rollup, self.sonia),
            [
                {
                    "state": "adjusted",
                    "commit_amount": 1000.0,
                    "best_case_amount": 1500.0,
                    "adjusted_commit": 900.0,
                    "adjusted_best_case": 1400.0,
                    "forecast_commit": 900.0,
                    # May of the latest done run, her series in North:
                    # max(1,200 forecast, 5 × 100 sold so far)
                    "statistical": 1200.0,
                    # 1,000 × 40 %
                    "pipeline_weighted": 400.0,
                    # no stage history: the opportunity's own probability
                    "pipeline_calibrated": 400.0,
                    "target": 2000.0,
                    "has_target": True,
                    # 2,000 − 900 adjusted
                    "gap": 1100.0,
                }
            ],
        )
        self.assertRecordValues(
            self._line(rollup, self.sam),
            [
                {
                    "state": "submitted",
                    "commit_amount": 500.0,
                    "best_case_amount": 800.0,
                    "adjusted_commit": 0.0,
                    "forecast_commit": 500.0,
                    "statistical": 700.0,
                    # 500 × 20 %; the opportunity at 0 % is omitted
                    "pipeline_weighted": 100.0,
                    "has_target": False,
                    "gap": 0.0,
                }
            ],
        )
        self.assertRecordValues(
            rollup,
            [
                {
                    "own_only": False,
                    # 1,000 + 500, 1,500 + 800
                    "commit_amount": 1500.0,
                    "best_case_amount": 2300.0,
                    "adjusted_commit": 900.0,
                    "adjusted_best_case": 1400.0,
                    # 900 + 500
                    "forecast_commit": 1400.0,
                    # 1,200 + 700
                    "statistical": 1900.0,
                    # 400 + 100
                    "pipeline_weighted": 500.0,
                    # the team's own target, minus 1,400
                    "target": 5000.0,
                    "has_target": True,
                    "gap": 3600.0,
                }
            ],
        )

    @freeze_time(NOW)
    def test_quarter_rollup(self):
        rollup = self._rollup(self.lea, kind="quarter")
        self.assertEqual((rollup.date_from, rollup.date_to), (Q2, date(2025, 6, 30)))
        self.assertRecordValues(
            self._line(rollup, self.sonia),
            [
                {
                    "state": "submitted",
                    "forecast_commit": 3000.0,
                    # April's actual 3 × 100 + May 1,200 + June 1,300
                    "statistical": 2800.0,
                    # 1,000 × 40 % + 2,000 × 50 %
                    "pipeline_weighted": 1400.0,
                    # no quarter target: April 1,500 + May 2,000
                    "target": 3500.0,
                    # 3,500 − 3,000
                    "gap": 500.0,
                }
            ],
        )
        self.assertRecordValues(
            self._line(rollup, self.sam),
            [
                {
                    "state": "draft",
                    "forecast_commit": 0.0,
                    # April's actual 2 × 40 + May 700 + June 800
                    "statistical": 1580.0,
                    "pipeline_weighted": 100.0,
                    "has_target": False,
                }
            ],
        )
        # 12,000 − (3,000 + 0)
        self.assertRecordValues(
            rollup,
            [{"statistical": 4380.0, "target": 12000.0, "gap": 9000.0, "forecast_commit": 3000.0}],
        )

    @freeze_time(NOW)
    def test_rollup_without_team_target_sums_the_members(self):
        self.env["salesperf.target"].search([("team_id", "=", self.team_north.id)]).unlink()
        rollup = self._rollup(self.lea)
        # only Sonia has a target: 2,000 − (900 + 500)
        self.assertRecordValues(rollup, [{"target": 2000.0, "gap": 600.0}])

    @freeze_time(NOW)
    def test_who_opens_which_rollup(self):
        # "All Documents" and administrators open any team of their companies
        self.assertEqual(self._rollup(self.lena, team=self.team_south).line_ids.user_id, self.tom)
        self.assertEqual(self._rollup(self.ada).line_ids.user_id, self.sonia | self.sam)
        # a member sees her own line only
        rollup = self._rollup(self.sam)
        self.assertTrue(rollup.own_only)
        self.assertEqual(rollup.line_ids.user_id, self.sam)
        # the team's target is not hers: her own (none)
        self.assertRecordValues(rollup, [{"forecast_commit": 500.0, "has_target": False}])
        # anyone else is refused
        for user, team in [
            (self.tom, self.team_north),
            (self.lea, self.team_south),
            (self.olga, self.team_north),
        ]:
            with self.subTest(user=user.login, team=team.name), self.assertRaises(AccessError):
                self._rollup(user, team=team)
        # the company comes from the client too: never one the user may not use
        with self.assertRaises(AccessError):
            rollup = (
                self.env["salesperf.forecast.rollup"]
                .with_user(self.lena)
                .create({"team_id": self.team_west.id, "company_id": self.company_2.id})
            )
            rollup.action_compute()

    @freeze_time(NOW)
    def test_open_and_adjust_from_the_rollup(self):
        action = self.env["salesperf.forecast.rollup"].with_user(self.lea).action_open()
        rollup = self.env["salesperf.forecast.rollup"].with_user(self.lea).browse(action["res_id"])
        self.assertEqual(rollup.team_id, self.team_north)
        sam_line = self._line(rollup, self.sam)
        adjust = sam_line.action_adjust()
        self.assertEqual(adjust["res_model"], "salesperf.forecast.adjust")
        # Sam opens his own line's adjustment: refused
        own = self._rollup(self.sam)
        with self.assertRaises(AccessError):
            self._line(own, self.sam).action_adjust()

    def _latest_lines(self, *values):
        """Forecast lines of the latest run: ``(level, key, team, user,
        month, amount)`` tuples."""
        return self.env["salesperf.forecast.line"].create(
            [
                {
                    "run_id": self.latest_run.id,
                    "company_id": self.company.id,
                    "currency_id": self.company.currency_id.id,
                    "level": level,
                    "series_key": key,
                    "team_id": team.id if team else False,
                    "user_id": user.id if user else False,
                    "date": month,
                    "forecast": amount,
                }
                for level, key, team, user, month, amount in values
            ]
        )

    @freeze_time(NOW)
    def test_member_of_two_teams(self):
        """Sam sells in North and in South: each team's roll-up counts his
        forecast, sales and pipeline in that team only, and South's total
        is South's reconciled forecast."""
        self.env["ir.config_parameter"].sudo().set_param("sales_team.membership_multi", True)
        self.env["crm.team.member"].create(
            {"crm_team_id": self.team_south.id, "user_id": self.sam.id}
        )
        north, south, sam = self.team_north, self.team_south, self.sam
        south_cell = f"team:{south.id}:user:{sam.id}"
        self._latest_lines(
            ("cell", south_cell, south, sam, MAY, 400.0),
            ("cell", south_cell, south, sam, date(2025, 6, 1), 450.0),
            # his series in every team: North's 700 + South's 400
            ("user", f"user:{sam.id}", None, sam, MAY, 1100.0),
            # South reconciled: Tom's 3,333 + Sam's 400
            ("team", f"team:{south.id}", south, None, MAY, 3733.0),
        )
        # April in South: 1 × 250 (North's April of Sam is 2 × 40)
        order = self._create_order(
            sam, self.customer_b, date(2025, 4, 15), [(self.product_y, 1, 250.0, 0.0)]
        )
        order.team_id = south
        self.env["crm.lead"].create(
            {
                "name": "Sam in South",
                "type": "opportunity",
                "user_id": sam.id,
                "team_id": south.id,
                "company_id": self.company.id,
                "date_deadline": date(2025, 5, 15),
                "expected_revenue": 1000.0,
                "probability": 50.0,
            }
        )
        self.env.flush_all()
        south_month = self._rollup(self.lena, team=south)
        self.assertEqual(south_month.line_ids.user_id, self.tom | sam)
        # max(400 forecast, 0 sold in May); 1,000 × 50 % in South
        self.assertRecordValues(
            self._line(south_month, sam),
            [{"statistical": 400.0, "pipeline_weighted": 500.0}],
        )
        # Tom's 3,333 + Sam's 400: South's reconciled forecast of May
        team_line = self.env["salesperf.forecast.line"].search(
            [("run_id", "=", self.latest_run.id), ("series_key", "=", f"team:{south.id}")]
        )
        self.assertEqual(south_month.statistical, team_line.forecast)
        self.assertEqual(south_month.statistical, 3733.0)
        # North: his North cell only (700, not 1,100), his North pipeline (500 × 20 %)
        north_month = self._rollup(self.lea)
        self.assertRecordValues(
            self._line(north_month, sam), [{"statistical": 700.0, "pipeline_weighted": 100.0}]
        )
        self.assertEqual(north_month.team_id, north)
        # Q2: April's actual in the team + May + June
        # South: 250 + 400 + 450; North: 2 × 40 + 700 + 800
        self.assertEqual(
            self._line(self._rollup(self.lena, kind="quarter", team=south), sam).statistical,
            1100.0,
        )
        self.assertEqual(
            self._line(self._rollup(self.lea, kind="quarter"), sam).statistical, 1580.0
        )
        # May's sales in South pass its forecast: max(400, 2 × 300 sold)
        order = self._create_order(
            sam, self.customer_b, date(2025, 5, 8), [(self.product_y, 2, 300.0, 0.0)]
        )
        order.team_id = south
        self.env.flush_all()
        self.assertEqual(self._line(self._rollup(self.lena, team=south), sam).statistical, 600.0)
        # and not in North's: still 700
        self.assertEqual(self._line(self._rollup(self.lea), sam).statistical, 700.0)

    @freeze_time(NOW)
    def test_current_month_counts_its_sales_when_above_the_forecast(self):
        # Sonia's May so far: 5 × 100 + 8 × 100 = 1,300, above May's forecast of 1,200
        self._create_order(
            self.sonia, self.customer_a, date(2025, 5, 15), [(self.product_x, 8, 100.0, 0.0)]
        )
        self.env.flush_all()
        self.assertEqual(self._line(self._rollup(self.lea), self.sonia).statistical, 1300.0)
        # Q2: April's 300 + May's 1,300 + June's 1,300
        self.assertEqual(
            self._line(self._rollup(self.lea, kind="quarter"), self.sonia).statistical, 2900.0
        )

    @freeze_time(NOW)
    def test_overdue_opportunities_count_in_the_current_month(self):
        def opportunity(deadline, revenue, probability):
            return {
                "name": f"Sonia {deadline}",
                "type": "opportunity",
                "user_id": self.sonia.id,
                "team_id": self.team_north.id,
                "company_id": self.company.id,
                "date_deadline": deadline,
                "expected_revenue": revenue,
                "probability": probability,
            }

        self.env["crm.lead"].create(
            [
                # overdue: expected in April, and in March (before the quarter)
                opportunity(date(2025, 4, 20), 1000.0, 30.0),
                opportunity(date(2025, 3, 31), 500.0, 10.0),
                # no expected closing: not in a period's forecast
                opportunity(False, 800.0, 50.0),
            ]
        )
        self.env.flush_all()
        # May: 1,000 × 40 % + the overdue 1,000 × 30 % + 500 × 10 %
        self.assertEqual(self._line(self._rollup(self.lea), self.sonia).pipeline_weighted, 750.0)
        # Q2: + June's 2,000 × 50 %
        self.assertEqual(
            self._line(self._rollup(self.lea, kind="quarter"), self.sonia).pipeline_weighted,
            1750.0,
        )

    @freeze_time(NOW)
    def test_screens_are_their_creators_only(self):
        """Transient screens are not restricted to their creator by Odoo 18:
        the record rules do it. Sam reads none of the others'."""
        rollup = self._rollup(self.lea)
        submit = (
            self.env["salesperf.forecast.submit"]
            .with_user(self.sonia)
            .create({"period_kind": "month", "commit_amount": 4321.0, "best_case_amount": 5000.0})
        )
        sam_month = self.Submission.search(
            [("user_id", "=", self.sam.id), ("period_kind", "=", "month")]
        )
        adjust = (
            self.env["salesperf.forecast.adjust"]
            .with_user(self.lea)
            .create(
                {
                    "submission_id": sam_month.id,
                    "adjusted_commit": 450.0,
                    "adjusted_best_case": 700.0,
                    "note": "Too hopeful",
                }
            )
        )
        team_target = self.env["salesperf.target"].search(
            [("team_id", "=", self.team_north.id), ("period_kind", "=", "month")]
        )
        split = (
            self.env["salesperf.target.split"]
            .with_user(self.ada)
            .create({"target_id": team_target.id, "split_by": "owner", "method": "equal"})
        )
        split.action_preview()
        screens = [rollup, rollup.line_ids, submit, adjust, split, split.line_ids]
        for records in screens:
            with self.subTest(model=records._name):
                self.assertTrue(records)
                creator = records.create_uid
                self.assertNotEqual(creator, self.sam)
                # the creator reads them
                self.assertEqual(
                    self.env[records._name].with_user(creator).search([("id", "in", records.ids)]),
                    records,
                )
                Model = self.env[records._name].with_user(self.sam)
                self.assertEqual(Model.search_read([("id", "in", records.ids)], ["id"]), [])
                with self.assertRaises(AccessError):
                    records.with_user(self.sam).read(["id"])

    @freeze_time(NOW)
    def test_adjust_wizard_shows_only_what_the_user_may_adjust(self):
        sam_month = self.Submission.search(
            [("user_id", "=", self.sam.id), ("period_kind", "=", "month")]
        )
        Adjust = self.env["salesperf.forecast.adjust"]
        # Sonia (a teammate), Tom (another team) and Lena (reads every
        # submission, adjusts none) neither open nor create one on Sam's
        for user in (self.sonia, self.tom, self.lena):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    Adjust.with_user(user).with_context(
                        default_submission_id=sam_month.id
                    ).default_get(["submission_id", "commit_amount", "best_case_amount"])
                with self.assertRaises(AccessError):
                    Adjust.with_user(user).create(
                        {"submission_id": sam_month.id, "note": "Just looking"}
                    )
        self.assertFalse(Adjust.search([("submission_id", "=", sam_month.id)]))
        # Lea, his team's leader, opens it on his figures
        wizard = Adjust.with_user(self.lea).create(
            {"submission_id": sam_month.id, "note": "Too hopeful"}
        )
        self.assertRecordValues(
            wizard, [{"user_id": self.sam.id, "commit_amount": 500.0, "best_case_amount": 800.0}]
        )
        # no longer his leader, she reads his figures no more, even on her
        # own wizard: they are read with her rights, not as superuser
        self.team_north.user_id = False
        self.env.invalidate_all()
        for name in ("user_id", "commit_amount", "best_case_amount"):
            with self.subTest(field=name), self.assertRaises(AccessError):
                wizard.with_user(self.lea).read([name])


@tagged("post_install", "-at_install")
class TestForecastReminder(ForecastSubmissionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ursula = new_test_user(
            cls.env,
            login="ursula",
            name="Ursula",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.env["crm.team"].create(
            {
                "name": "Closed",
                "company_id": cls.company.id,
                "member_ids": [Command.set(cls.ursula.ids)],
                "active": False,
            }
        )
        cls.company_2.salesperf_forecast_reminder_day = 10

    def _remind(self):
        self.Submission._cron_remind_submissions()

    def _reminders(self, kind=None):
        domain = [("company_id", "in", (self.company | self.company_2).ids)]
        if kind:
            domain.append(("period_kind", "=", kind))
        ours = self.Submission.search(domain)
        return self.env["mail.activity"].search(
            [("res_model", "=", self.Submission._name), ("res_id", "in", ours.ids)]
        )

    def test_reminder_after_the_day_once(self):
        self.assertEqual(self.company.salesperf_forecast_reminder_day, 3)
        with freeze_time("2025-05-02 10:00:00"):
            self._submit(self.sonia, 10.0, 20.0)
            self._submit(self.sam, 10.0, 20.0, kind="quarter")
        # by the end of the 3rd: nobody is reminded of May yet
        with freeze_time("2025-05-03 23:00:00"):
            self._remind()
        self.assertFalse(self._reminders("month"))
        with freeze_time("2025-05-04 06:00:00"):
            self._remind()
            self._remind()
        reminders = self._reminders("month")
        # Sonia submitted her month; Sam only his quarter; Tom nothing;
        # Ursula's team is archived; Lena and Lea belong to no team; Olga's
        # company reminds on the 10th
        self.assertEqual(reminders.user_id, self.sam | self.tom)
        self.assertEqual(len(reminders), 2)
        sam_todo = reminders.filtered(lambda a: a.user_id == self.sam)
        self.assertRecordValues(
            sam_todo,
            [
                {
                    "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                    "date_deadline": date(2025, 5, 4),
                    "summary": "Submit your forecast of May 2025",
                }
            ],
        )
        draft = self.Submission.browse(sam_todo.res_id)
        self.assertRecordValues(
            draft,
            [
                {
                    "user_id": self.sam.id,
                    "team_id": self.team_north.id,
                    "period_kind": "month",
                    "date_from": MAY,
                    "state": "draft",
                    "reminded_on": date(2025, 5, 4),
                }
            ],
        )
        # Sam opens his draft from the To-Do and submits: the To-Do is done,
        # none comes again
        self.assertIn(draft, self._submissions(self.sam))
        with freeze_time("2025-05-05 09:00:00"):
            submitted = self._submit(self.sam, 30.0, 40.0)
            self.assertEqual(submitted, draft)
            self._remind()
        self.assertEqual(self._reminders("month").user_id, self.tom)
        self.assertEqual(draft.state, "submitted")
        # the second company's day comes
        with freeze_time("2025-05-11 06:00:00"):
            self._remind()
        self.assertEqual(self._reminders("month").user_id, self.tom | self.olga)

    def test_reminder_day_in_company_time_zone(self):
        self.company.partner_id.tz = "Pacific/Auckland"
        # 3 May 11:00 UTC is 23:00 on the 3rd in Auckland (UTC+12): not yet
        with freeze_time("2025-05-03 11:00:00"):
            self._remind()
        self.assertFalse(self._reminders("month").filtered(lambda a: a.user_id == self.sonia))
        # 13:00 UTC is already the 4th there
        with freeze_time("2025-05-03 13:00:00"):
            self._remind()
        todo = self._reminders("month").filtered(lambda a: a.user_id == self.sonia)
        self.assertEqual(todo.date_deadline, date(2025, 5, 4))

    def test_reminder_day_setting(self):
        settings = self.env["res.config.settings"].with_company(self.company).create({})
        self.assertEqual(settings.salesperf_forecast_reminder_day, 3)
        settings.salesperf_forecast_reminder_day = 5
        settings.execute()
        self.assertEqual(self.company.salesperf_forecast_reminder_day, 5)
        for day in (0, 29, -1):
            with (
                self.subTest(day=day),
                self.assertRaisesRegex(ValidationError, "from 1 to 28"),
                self.env.cr.savepoint(),
            ):
                self.company.salesperf_forecast_reminder_day = day
        self.company.invalidate_recordset()
        self.assertEqual(self.company.salesperf_forecast_reminder_day, 5)
        with freeze_time("2025-05-05 10:00:00"):
            self._remind()
        self.assertFalse(self._reminders("month").filtered(lambda a: a.user_id == self.sonia))
        cron = self.env.ref("salesperf_odoo.ir_cron_salesperf_forecast_reminder")
        self.assertEqual(cron.code, "model._cron_remind_submissions()")
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "days"))

    def test_quarter_reminder_once_per_quarter(self):
        """Day 3 of the quarter's first month is the last day to submit the
        quarter (3 April for Q2); one reminder per salesperson and quarter."""
        with freeze_time("2025-04-02 10:00:00"):
            self._submit(self.sonia, 10.0, 20.0, kind="quarter")
        with freeze_time("2025-04-03 23:00:00"):
            self._remind()
        self.assertFalse(self._reminders("quarter"))
        with freeze_time("2025-04-04 06:00:00"):
            self._remind()
            self._remind()
        quarter = self._reminders("quarter")
        # Sonia submitted her quarter; Olga's company reminds on the 10th
        self.assertEqual(quarter.user_id, self.sam | self.tom)
        self.assertEqual(len(quarter), 2)
        self.assertEqual(set(quarter.mapped("summary")), {"Submit your forecast of Q2 2025"})
        self.assertRecordValues(
            self.Submission.browse(quarter.mapped("res_id")),
            [
                {"period_kind": "quarter", "date_from": Q2, "reminded_on": date(2025, 4, 4)},
                {"period_kind": "quarter", "date_from": Q2, "reminded_on": date(2025, 4, 4)},
            ],
        )
        # April's month reminders come the same day, to all three
        self.assertEqual(self._reminders("month").user_id, self.sonia | self.sam | self.tom)
        # Tom marks his To-Do done without submitting: none comes again
        # this quarter, though his quarter is still not submitted
        sam_todo = quarter.filtered(lambda a: a.user_id == self.sam)
        quarter.filtered(lambda a: a.user_id == self.tom).with_user(self.tom).action_done()
        with freeze_time("2025-05-04 06:00:00"):
            self._remind()
        # in May, Olga's day of Q2 is past: her first and only Q2 reminder
        q2 = self._reminders("quarter")
        self.assertEqual(q2.user_id, self.sam | self.olga)
        self.assertIn(sam_todo, q2)
        # the next quarter reminds anew
        with freeze_time("2025-07-04 06:00:00"):
            self._remind()
        q3 = self._reminders("quarter") - q2
        self.assertEqual(q3.user_id, self.sonia | self.sam | self.tom)
        self.assertEqual(set(q3.mapped("summary")), {"Submit your forecast of Q3 2025"})
        self.assertEqual(
            set(self.Submission.browse(q3.mapped("res_id")).mapped("date_from")),
            {date(2025, 7, 1)},
        )


@tagged("post_install", "-at_install")
class TestForecastSubmissionOverJsonRpc(SalesperfRpcCase, ForecastSubmissionCommon):
    """The web client's calls: what Sonia sends never adjusts her forecast."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Submission = cls.env["salesperf.forecast.submission"]
        cls.sub_sonia = Submission.with_user(cls.sonia)._submit(cls.company, "month", 10.0, 20.0)
        cls.sub_sam = Submission.with_user(cls.sam)._submit(cls.company, "month", 30.0, 40.0)

    def _call(self, model, method, args, kwargs=None):
        try:
            return super()._call(model, method, args, kwargs)
        except KeyError:
            return None

    def assertRpcError(self, answer, error, message=None):
        self.assertIsInstance(answer, tuple, f"the call should have failed: {answer}")
        self.assertEqual(answer[0], f"odoo.exceptions.{error}", answer)
        if message:
            self.assertRegex(answer[1], message)

    def test_salesperson_cannot_adjust_over_rpc(self):
        self.authenticate("sonia", "sonia")
        answer = self._call(
            "salesperf.forecast.adjust",
            "create",
            [
                {
                    "submission_id": self.sub_sonia.id,
                    "adjusted_commit": 1000.0,
                    "adjusted_best_case": 2000.0,
                    "note": "I say so",
                }
            ],
        )
        self.assertRpcError(answer, "AccessError", "never its own salesperson")
        self.assertFalse(
            self.env["salesperf.forecast.adjust"].search(
                [("submission_id", "=", self.sub_sonia.id)]
            )
        )
        for method, args in [
            ("write", [self.sub_sonia.ids, {"adjusted_commit": 1000.0, "state": "adjusted"}]),
            ("write", [self.sub_sonia.ids, {"commit_amount": 1000.0}]),
            ("action_open_adjust", [self.sub_sonia.ids]),
            ("_adjust", [self.sub_sonia.ids, 1000.0, 2000.0, "x"]),
            ("read", [self.sub_sam.ids, ["commit_amount"]]),
        ]:
            with self.subTest(method=method, args=args):
                self.assertRpcError(
                    self._call("salesperf.forecast.submission", method, args), "AccessError"
                )
        # context keys sent by the client open nothing
        answer = self._call(
            "salesperf.forecast.submission",
            "write",
            [self.sub_sonia.ids, {"adjusted_commit": 1000.0}],
            {"context": {"salesperf_forecast_submission": "adjust"}},
        )
        self.assertRpcError(answer, "AccessError")
        self.env.invalidate_all()
        self.assertRecordValues(
            self.sub_sonia,
            [{"state": "submitted", "commit_amount": 10.0, "adjusted_commit": 0.0}],
        )
        self.assertEqual(self.sub_sonia.revision_ids.mapped("kind"), ["submitted"])

    def test_leader_adjusts_over_rpc(self):
        self.authenticate("lea", "lea")
        wizard_id = self._call(
            "salesperf.forecast.adjust",
            "create",
            [
                {
                    "submission_id": self.sub_sonia.id,
                    "adjusted_commit": 8.0,
                    "adjusted_best_case": 15.0,
                    "note": "Acme waits",
                }
            ],
        )
        self._call("salesperf.forecast.adjust", "action_apply", [[wizard_id]])
        self.env.invalidate_all()
        self.assertRecordValues(
            self.sub_sonia,
            [{"state": "adjusted", "adjusted_commit": 8.0, "adjusted_by": self.lea.id}],
        )

    def test_salesperson_submits_over_rpc(self):
        self.authenticate("sonia", "sonia")
        wizard_id = self._call(
            "salesperf.forecast.submit",
            "create",
            [{"period_kind": "month", "commit_amount": 12.0, "best_case_amount": 11.0}],
        )
        answer = self._call("salesperf.forecast.submit", "action_submit", [[wizard_id]])
        self.assertRpcError(answer, "ValidationError", "cannot be below the commit")
        wizard_id = self._call(
            "salesperf.forecast.submit",
            "create",
            [{"period_kind": "month", "commit_amount": 12.0, "best_case_amount": 18.0}],
        )
        answer = self._call("salesperf.forecast.submit", "action_submit", [[wizard_id]])
        self.assertEqual(answer["res_id"], self.sub_sonia.id)
        self.env.invalidate_all()
        self.assertEqual(self.sub_sonia.commit_amount, 12.0)
        self.assertEqual(len(self.sub_sonia.revision_ids), 2)
