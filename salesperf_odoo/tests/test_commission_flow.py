# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import threading
import time
import unittest
from datetime import date
from functools import partial

from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules import module as odoo_module
from odoo.modules.registry import Registry
from odoo.service.model import retrying
from odoo.tests import BaseCase, get_db_name, new_test_user, tagged
from odoo.tools import SQL, mute_logger

from .test_commission_statement import FEB, JAN, CommissionCommon


@tagged("post_install", "-at_install")
class TestCommissionFlow(CommissionCommon):
    """Approval workflow, disputes, refused plans and the database's own
    guard against two live statements of one period."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._plan([cls.sonia, cls.sam], name="Sales", rate=5.0)
        cls.order = cls._create_order(
            cls.sonia, cls.customer_a, date(2025, 1, 10), [(cls.product_x, 10, 100.0, 0.0)]
        )
        cls._create_order(
            cls.sam, cls.customer_b, date(2025, 1, 12), [(cls.product_x, 4, 100.0, 0.0)]
        )

    def _state_tracking(self, statement):
        """``[(old, new, author)]`` of the statement's tracked state changes."""
        self.env.flush_all()
        self.env.cr.flush()
        values = statement.sudo().message_ids.tracking_value_ids.filtered(
            lambda value: value.field_id.name == "state"
        )
        return [
            (value.old_value_char, value.new_value_char, value.mail_message_id.author_id)
            for value in values.sorted("id")
        ]

    # ------------------------------------------------------------
    # WORKFLOW
    # ------------------------------------------------------------

    def test_workflow_and_chatter(self):
        self._compute(JAN)
        statement = self._statement(self.sonia, JAN)
        # 1,000 × 5 %
        self.assertEqual((statement.state, statement.total_amount), ("draft", 50.0))
        # the salesperson cannot confirm her own statement, nor Tom of another team
        for user in (self.sonia, self.tom):
            with self.subTest(user=user.name), self.assertRaises(AccessError):
                statement.with_user(user).action_confirm()
        # her team leader confirms and approves, one step at a time
        statement.with_user(self.leo).action_confirm()
        self._state_tracking(statement)
        with self._refused(UserError, "is Confirmed: it cannot be set to Approved"):
            statement.with_user(self.finance).action_approve()
        statement.with_user(self.leo).action_approve_manager()
        self._state_tracking(statement)
        # only Finance approves finally and marks paid
        with self._refused(AccessError, "Only a Commission Manager does this"):
            statement.with_user(self.leo).action_approve()
        statement.with_user(self.finance).action_approve()
        self._state_tracking(statement)
        with self.assertRaises(AccessError):
            statement.with_user(self.leo).action_mark_paid()
        statement.with_user(self.finance).action_mark_paid()
        self.assertEqual(statement.state, "paid")
        with self._refused(UserError, "is Paid: it cannot be set to Cancelled"):
            statement.with_user(self.finance).action_cancel()
        leo, fiona = self.leo.partner_id, self.finance.partner_id
        self.assertEqual(
            self._state_tracking(statement),
            [
                ("Draft", "Confirmed", leo),
                ("Confirmed", "Approved by Manager", leo),
                ("Approved by Manager", "Approved", fiona),
                ("Approved", "Paid", fiona),
            ],
        )
        self.assertEqual(statement.total_amount, 50.0)

    def test_who_sees_which_statement(self):
        self._compute(JAN)
        statements = self.Statement.search([("company_id", "=", self.company.id)])
        self.assertEqual(statements.user_id, self.sonia | self.sam)

        def visible(user):
            return self.Statement.with_user(user).search([("company_id", "=", self.company.id)])

        # a salesperson sees her own; the leader of North both; Tom of South none
        self.assertEqual(visible(self.sonia).user_id, self.sonia)
        self.assertEqual(visible(self.leo).user_id, self.sonia | self.sam)
        self.assertFalse(visible(self.tom))
        self.assertEqual(visible(self.finance), statements)
        lines = self.env["salesperf.commission.line"].with_user(self.sam).search([])
        self.assertEqual(lines.statement_id.user_id, self.sam)
        # nobody but Finance writes a statement directly
        with self.assertRaises(AccessError):
            visible(self.sonia).write({"state": "approved"})
        with self.assertRaises(AccessError):
            self.Statement.with_user(self.leo)._compute_period(self.company, JAN)

    # ------------------------------------------------------------
    # DISPUTES
    # ------------------------------------------------------------

    def test_dispute_blocks_final_approval_until_resolved(self):
        self._compute(JAN)
        statement = self._statement(self.sonia, JAN)
        line = statement.line_ids
        Dispute = self.env["salesperf.commission.dispute"]
        # a draft still changes at each computation: nothing to dispute yet
        with self._refused(UserError, "still a draft"):
            Dispute.with_user(self.sonia).create({"line_id": line.id, "reason": "Too low"})
        statement.with_user(self.leo).action_confirm()
        with self._refused(UserError, "Say why you dispute this line"):
            Dispute.with_user(self.sonia).create({"line_id": line.id, "reason": "  "})
        # only the statement's salesperson disputes it: Sam (same team) and
        # Tom (another team) cannot even read Sonia's line
        for user in (self.sam, self.tom):
            with self.subTest(user=user.name), self.assertRaises(AccessError):
                Dispute.with_user(user).create({"line_id": line.id, "reason": "Not mine"})
        self.assertFalse(Dispute.search([("statement_id", "=", statement.id)]))
        dispute = Dispute.with_user(self.sonia).create(
            {"line_id": line.id, "reason": "The discount was agreed after the order"}
        )
        self.assertEqual(
            (dispute.state, dispute.statement_id, dispute.user_id), ("open", statement, self.sonia)
        )
        self.assertEqual(statement.open_dispute_count, 1)
        self.assertTrue(line.has_open_dispute)
        raised = statement.message_ids.filtered(lambda m: "disputes the line" in (m.body or ""))
        self.assertIn(f"Sonia disputes the line {self.order.name}", raised.body)
        self.assertIn("The discount was agreed after the order", raised.body)
        # her team leader is told
        self.assertIn(self.leo.partner_id, raised.partner_ids)
        statement.with_user(self.leo).action_approve_manager()
        with self._refused(UserError, "has open disputes: resolve them"):
            statement.with_user(self.finance).action_approve()
        self.assertEqual(statement.state, "approved_manager")
        # Sam is no leader; an answer is needed
        with self.assertRaises(AccessError):
            dispute.with_user(self.sam).action_resolve("No")
        with self._refused(UserError, "needs an answer"):
            dispute.with_user(self.leo).action_resolve(" ")
        dispute.with_user(self.leo).action_resolve("The discount lowers March's statement")
        self.assertRecordValues(
            dispute,
            [
                {
                    "state": "resolved",
                    "answer": "The discount lowers March's statement",
                    "resolved_by_id": self.leo.id,
                }
            ],
        )
        answered = statement.message_ids.filtered(lambda m: "resolved by Leo" in (m.body or ""))
        self.assertIn(self.sonia.partner_id, answered.partner_ids)
        with self._refused(UserError, "already resolved"):
            dispute.with_user(self.leo).action_resolve("Again")
        self.assertEqual(statement.open_dispute_count, 0)
        statement.with_user(self.finance).action_approve()
        statement.with_user(self.finance).action_mark_paid()
        self.assertEqual(statement.state, "paid")
        with self._refused(UserError, "is paid or cancelled"):
            Dispute.with_user(self.sonia).create({"line_id": line.id, "reason": "Still"})

    def test_reset_to_draft_needs_resolved_disputes(self):
        self._compute(JAN)
        statement = self._statement(self.sonia, JAN)
        statement.with_user(self.leo).action_confirm()
        self.env["salesperf.commission.dispute"].with_user(self.sonia).create(
            {"line_id": statement.line_ids.id, "reason": "Too low"}
        )
        # recomputing the draft would delete the disputed line with its dispute
        with self._refused(UserError, "open disputes"):
            statement.with_user(self.finance).action_reset_to_draft()
        self.assertEqual(statement.state, "confirmed")
        statement.dispute_ids.with_user(self.leo).action_resolve("Recomputed")
        statement.with_user(self.finance).action_reset_to_draft()
        self.assertEqual(statement.state, "draft")

    # ------------------------------------------------------------
    # CANCELLING AND RESETTING
    # ------------------------------------------------------------

    def test_one_live_statement_per_period_in_the_database(self):
        self._compute(JAN)
        statement = self._statement(self.sonia, JAN)
        copy_query = SQL(
            """INSERT INTO salesperf_commission_statement
                (company_id, user_id, date_from, date_to, period_kind, state)
            SELECT company_id, user_id, date_from, date_to, period_kind, %s
            FROM salesperf_commission_statement WHERE id = %s""",
            "draft",
            statement.id,
        )
        with mute_logger("odoo.sql_db"), self.assertRaises(pg_errors.UniqueViolation) as refused:
            self.env.cr.execute(copy_query)
        self.assertEqual(
            refused.exception.diag.constraint_name, "salesperf_commission_statement_period_unique"
        )
        # cancelled statements do not count
        statement.with_user(self.finance).action_cancel()
        self._compute(JAN)
        live = self._statement(self.sonia, JAN)
        self.assertNotEqual(live, statement)
        self.assertEqual((live.state, live.total_amount), ("draft", 50.0))
        # the cancelled one cannot come back beside it
        with self._refused(UserError, "already has a statement"):
            statement.with_user(self.finance).action_reset_to_draft()
        self.assertEqual(statement.state, "cancel")
        live.with_user(self.finance).action_cancel()
        statement.with_user(self.finance).action_reset_to_draft()
        self.assertEqual(statement.state, "draft")

    def test_a_corrected_statement_stays_closed(self):
        self._compute(JAN)
        january = self._statement(self.sonia, JAN)
        january.with_user(self.leo).action_confirm()
        self.order._action_cancel()
        self._compute(FEB)
        february = self._statement(self.sonia, FEB)
        # January's 1,000 × 5 % = 50 taken back in February
        self.assertEqual(self._lines(february), [("adjustment", "flat", -1000.0, 0.0, -50.0)])
        self.assertEqual(february.line_ids.corrected_statement_id, january)
        # January back to draft and recomputed would take it back a second time
        for action in ("action_reset_to_draft", "action_cancel"):
            with self.subTest(action=action):
                with self._refused(UserError, "Later statements adjust this one"):
                    getattr(january.with_user(self.finance), action)()
                self.assertEqual(january.state, "confirmed")
        february.with_user(self.finance).action_cancel()
        january.with_user(self.finance).action_reset_to_draft()
        self._compute(JAN)
        self.assertEqual((january.state, january.total_amount), ("draft", 0.0))

    # ------------------------------------------------------------
    # INVALID PLANS
    # ------------------------------------------------------------

    def test_invalid_plans_are_refused(self):
        Plan = self.env["salesperf.commission.plan"].with_user(self.finance)
        cases = [
            (
                "Overlap",
                {"tier_basis": "amount"},
                ((0.0, 1000.0, 5.0), (500.0, None, 8.0)),
                "Commission plan Overlap: Tiers 0–1,000 and 500– overlap.",
            ),
            (
                "Gap",
                {"tier_basis": "amount"},
                ((0.0, 1000.0, 5.0), (1500.0, None, 8.0)),
                "Commission plan Gap: Gap between tiers 0–1,000 and 1,500–.",
            ),
            (
                "Negative",
                {"rate": -2.0},
                (),
                "Commission plan Negative: The commission rate cannot be negative.",
            ),
            (
                "Negative tier",
                {"tier_basis": "attainment"},
                ((0.0, 100.0, 5.0), (100.0, None, -1.0)),
                "Commission plan Negative tier: The rate of tier 100%– cannot be negative.",
            ),
            (
                "Open middle",
                {"tier_basis": "amount"},
                ((0.0, None, 5.0), (1000.0, None, 8.0)),
                "Commission plan Open middle: Only the last tier can be open-ended, not 0–.",
            ),
        ]
        for name, values, tiers, message in cases:
            with self.subTest(plan=name):
                with self.assertRaises(ValidationError) as refused:
                    self._plan(name=name, tiers=tiers, **values)
                self.assertEqual(str(refused.exception), message)
                self.assertFalse(Plan.search([("name", "=", name)]))
        # a valid plan edited into gapped tiers: refused, its tiers unchanged
        plan = self._plan(
            name="Tiered", tier_basis="amount", tiers=((0.0, 1000.0, 5.0), (1000.0, None, 8.0))
        ).with_user(self.finance)
        low = plan.tier_ids.sorted("lower")[0]
        with self._refused(ValidationError, "Gap between tiers 0–900 and 1,000–"):
            plan.write({"tier_ids": [Command.update(low.id, {"upper": 900.0})]})
        self.assertEqual(low.upper, 1000.0)
        # ... and the same through the tiers themselves, checked once all
        # of a request's lines are written (at the flush that ends it)
        Tier = self.env["salesperf.commission.tier"].with_user(self.finance)
        with self._refused(ValidationError, "Gap between tiers 0–900 and 1,000–"):
            low.with_user(self.finance).write({"upper": 900.0})
            self.env.flush_all()
        with self._refused(ValidationError, "Tiers 0–1,000 and 500–600 overlap"):
            Tier.create({"plan_id": plan.id, "lower": 500.0, "upper": 600.0, "rate": 6.0})
            self.env.flush_all()
        self.assertEqual(len(plan.tier_ids), 2)
        # a bound moved in two steps is never refused half-way
        high = plan.tier_ids.sorted("lower")[1]
        plan.write(
            {
                "tier_ids": [
                    Command.update(low.id, {"upper": 500.0}),
                    Command.update(high.id, {"lower": 500.0}),
                ]
            }
        )
        low.with_user(self.finance).write({"upper": 400.0})
        high.with_user(self.finance).write({"lower": 400.0})
        self.env.flush_all()
        self.assertEqual(
            [(t.lower, t.upper, t.is_open) for t in plan.tier_ids.sorted("lower")],
            [(0.0, 400.0, False), (400.0, 0.0, True)],
        )
        with self._refused(ValidationError, "A category rate needs a category"):
            plan.write({"rate_ids": [Command.create({"kind": "category", "rate": 3.0})]})

    def test_rules_of_a_used_plan_are_frozen_everywhere(self):
        plan = self._plan(
            [self.tom],
            name="Tiered",
            tier_basis="amount",
            tiers=((0.0, 1000.0, 5.0), (1000.0, None, 8.0)),
            bonus_ids=[Command.create({"condition": "new_customer", "amount": 10.0})],
        ).with_user(self.finance)
        self._compute(JAN)
        self._statement(self.tom, JAN).with_user(self.finance).action_confirm()
        tier = plan.tier_ids.sorted("lower")[1].with_user(self.finance)
        message = "has been used by statements past draft"
        with self._refused(UserError, message):
            plan.write({"tier_ids": [Command.update(tier.id, {"rate": 9.0})]})
        with self._refused(UserError, message):
            tier.write({"rate": 9.0})
        with self._refused(UserError, message):
            tier.unlink()
        with self._refused(UserError, message):
            tier.create({"plan_id": plan.id, "lower": 5000.0, "is_open": True, "rate": 9.0})
        with self._refused(UserError, message):
            plan.bonus_ids.with_user(self.finance).write({"amount": 99.0})
        with self._refused(UserError, message):
            self.env["salesperf.commission.rate"].with_user(self.finance).create(
                {"plan_id": plan.id, "kind": "product", "product_id": self.product_x.id}
            )
        self.assertEqual(tier.rate, 8.0)
        self.assertEqual(plan.bonus_ids.amount, 10.0)
        # what does not decide the pay stays editable
        plan.write({"name": "Tiered 2025"})

    def test_one_plan_per_person_on_any_day(self):
        Assignment = self.env["salesperf.commission.assignment"]
        other = self._plan(name="Other", rate=7.0)
        message = (
            "Sonia already has a commission plan in Salesperf Test Company on some of these "
            "dates: one plan per person on any day."
        )
        # Sonia is on "Sales" from 1 January with no end
        for date_from, date_to in ((date(2025, 3, 1), False), (date(2024, 6, 1), JAN)):
            with self.subTest(date_from=date_from), self.assertRaises(ValidationError) as refused:
                self._assign(other, self.sonia, date_from, date_to)
            self.assertEqual(str(refused.exception), message)
        self.assertEqual(len(Assignment.search([("user_id", "=", self.sonia.id)])), 1)
        # once "Sales" ends on 28 February, "Other" may start on 1 March
        sales = self.plan.assignment_ids.filtered(lambda a: a.user_id == self.sonia)
        sales.with_user(self.finance).date_to = date(2025, 2, 28)
        self._assign(other, self.sonia, date(2025, 3, 1))
        with self.assertRaises(ValidationError):
            sales.with_user(self.finance).date_to = date(2025, 3, 1)
        self.assertEqual(
            Assignment.search([("user_id", "=", self.sonia.id)]).mapped("date_from"),
            [JAN, date(2025, 3, 1)],
        )

    def test_split_shares_must_total_100(self):
        with self._refused(ValidationError, "total 90 %: they must total exactly 100"):
            self.order.with_user(self.lena).write(
                {
                    "salesperf_split_ids": [
                        Command.create({"user_id": self.sonia.id, "share": 60.0}),
                        Command.create({"user_id": self.sam.id, "share": 30.0}),
                    ]
                }
            )
        self.assertFalse(self.order.salesperf_split_ids)
        self._compute(JAN)
        # no split written: Sonia has the whole 1,000 × 5 %
        self.assertEqual(self._statement(self.sonia, JAN).total_amount, 50.0)


@tagged("post_install", "-at_install")
class TestCommissionConcurrency(BaseCase):
    """Two transactions computing the same period at once: committed data in
    the database's main company, removed afterwards."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        if odoo_module.current_test:
            # Odoo's own runner (--test-tags) runs the tests inside the server
            # that is loading the modules: the threads' transactions wait on
            # locks it holds until the run ends. pytest-odoo runs these tests.
            raise unittest.SkipTest(
                "needs two transactions of their own, which Odoo's test runner cannot "
                "give while it loads the modules (run by pytest-odoo)"
            )
        cls.addClassCleanup(cls._remove_data)
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            user = new_test_user(
                env,
                login="salesperf_concurrency_rita",
                name="Rita Concurrency",
                groups="sales_team.group_sale_salesman",
                company_id=company.id,
                company_ids=[Command.set(company.ids)],
            )
            plan = env["salesperf.commission.plan"].create(
                {"name": "Concurrency plan", "company_id": company.id, "rate": 5.0}
            )
            plan.action_activate()
            env["salesperf.commission.assignment"].create(
                {"plan_id": plan.id, "user_id": user.id, "date_from": JAN}
            )
            partner = env["res.partner"].create({"name": "Concurrency customer"})
            product = env["product.product"].create(
                # a service: no stock move to clean up where stock is installed
                {
                    "name": "Concurrency widget",
                    "type": "service",
                    "list_price": 100.0,
                    "taxes_id": False,
                }
            )
            order = env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "user_id": user.id,
                    "company_id": company.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "product_uom_qty": 3,
                                "price_unit": 100.0,
                                "tax_id": False,
                            }
                        )
                    ],
                }
            )
            order.action_confirm()
            order.date_order = "2025-01-15 10:00:00"
            cls.ids = {
                "company": company.id,
                "user": user.id,
                "partner_user": user.partner_id.id,
                "plan": plan.id,
                "partner": partner.id,
                "product": product.id,
                "order": order.id,
            }

    @classmethod
    def _remove_data(cls):
        ids = getattr(cls, "ids", None)
        if not ids:
            return
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["salesperf.commission.statement"].search([("user_id", "=", ids["user"])]).unlink()
            order = env["sale.order"].browse(ids["order"])
            order._action_cancel()
            order.unlink()
            env["product.product"].browse(ids["product"]).product_tmpl_id.unlink()
            env["salesperf.commission.plan"].browse(ids["plan"]).unlink()
            env["res.users"].browse(ids["user"]).unlink()
            env["res.partner"].browse([ids["partner"], ids["partner_user"]]).unlink()

    def setUp(self):
        super().setUp()
        self.addCleanup(self._remove_statements)

    def _remove_statements(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["salesperf.commission.statement"].search(
                [("user_id", "=", self.ids["user"])]
            ).unlink()

    def _compute(self, env):
        return env["salesperf.commission.statement"]._compute_period(
            env["res.company"].browse(self.ids["company"]),
            JAN,
            users=env["res.users"].browse(self.ids["user"]),
        )

    def _live_statements(self):
        """``[(state, total, line count)]`` of the live January statements."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            statements = env["salesperf.commission.statement"].search(
                [("user_id", "=", self.ids["user"]), ("state", "!=", "cancel")]
            )
            return [(s.state, s.total_amount, len(s.line_ids)) for s in statements]

    def _in_thread(self, target):
        """Run ``target`` in a thread; ``(thread, outcome)``, the outcome a
        list filled with the result or the exception once the thread ends."""
        outcome = []

        def run():
            try:
                outcome.append(target())
            except Exception as error:  # noqa: BLE001 - the test looks at it
                outcome.append(error)

        thread = threading.Thread(target=run)
        thread.start()
        return thread, outcome

    @mute_logger("odoo.sql_db")
    def test_two_computations_at_once_make_one_statement(self):
        barrier = threading.Barrier(2, timeout=30)

        def compute():
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                # both transactions see the database before either computes
                cr.execute("SELECT 1")
                barrier.wait()
                try:
                    self._compute(env)
                except UserError as error:
                    return str(error)
                return "computed"

        threads = [self._in_thread(compute) for _index in range(2)]
        for thread, _outcome in threads:
            thread.join(60)
        outcomes = sorted(outcome[0] for _thread, outcome in threads)
        self.assertEqual(
            outcomes,
            [
                (
                    "Another user computed statements of this period at the same time: "
                    "nothing was changed. Compute again to update them."
                ),
                "computed",
            ],
        )
        # 3 × 100 × 5 % = 15, once
        self.assertEqual(self._live_statements(), [("draft", 15.0, 1)])

    @mute_logger("odoo.sql_db")
    def test_second_computation_waits_for_the_first(self):
        with self.registry.cursor() as first_cr, self.registry.cursor() as watch_cr:
            self._compute(api.Environment(first_cr, SUPERUSER_ID, {}))

            def second():
                with self.registry.cursor() as cr:
                    try:
                        self._compute(api.Environment(cr, SUPERUSER_ID, {}))
                    except UserError as error:
                        return str(error)
                    return "computed"

            thread, outcome = self._in_thread(second)
            # the second one waits for the first's lock on the company's computations
            deadline = time.monotonic() + 30
            waiting = 0
            while not waiting and time.monotonic() < deadline:
                watch_cr.execute(
                    """SELECT count(*) FROM pg_locks
                    JOIN pg_database ON pg_database.oid = pg_locks.database
                    WHERE locktype = 'advisory' AND NOT granted
                      AND pg_database.datname = current_database()"""
                )
                waiting = watch_cr.fetchone()[0]
                watch_cr.rollback()
                time.sleep(0.05)
            self.assertEqual(waiting, 1)
            self.assertTrue(thread.is_alive())
            first_cr.commit()
            thread.join(60)
        # it started before the first committed: it changes nothing and says why
        self.assertIn("Another user computed statements of this period", outcome[0])
        self.assertEqual(self._live_statements(), [("draft", 15.0, 1)])

    @mute_logger("odoo.sql_db", "odoo.service.model")
    def test_two_recomputations_of_one_draft(self):
        with self.registry.cursor() as cr:
            self._compute(api.Environment(cr, SUPERUSER_ID, {}))
        barrier = threading.Barrier(2, timeout=30)

        def recompute():
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                cr.execute("SELECT 1")
                barrier.wait()
                # as a request does: retried after a serialization failure
                retrying(partial(self._compute, env), env)
                return "computed"

        threads = [self._in_thread(recompute) for _index in range(2)]
        for thread, _outcome in threads:
            thread.join(60)
        self.assertEqual([outcome for _thread, outcome in threads], [["computed"]] * 2)
        self.assertEqual(self._live_statements(), [("draft", 15.0, 1)])
