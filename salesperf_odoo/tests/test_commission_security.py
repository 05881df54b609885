# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Who may see and do what with commissions, tried as the people who use
them: salespeople and team leaders with "own documents" rights, a Commission
Manager, users of another company; in the ORM and over JSON-RPC."""

from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.base.models.ir_qweb import QWebException

from .common import SalesperfCommon, SalesperfRpcCase

FEBRUARY = date(2025, 2, 1)
MARCH = date(2025, 3, 1)
COMMISSION_MANAGER = "salesperf_odoo.group_salesperf_commission_manager"


class SalesperfCommissionSecurityCommon(SalesperfCommon):
    """Sam leads North (Sonia and Sam); Tom is in South, which nobody leads;
    Fiona is a Commission Manager of the test company only. One flat 10 %
    plan on ordered revenue for the three salespeople, statements of
    February and March computed as the superuser:

    - Sonia: February 2 × 100 = 200 → 20.00; March 1 × 40 = 40 → 4.00
    - Sam:   February 1 × 100 = 100 → 10.00
    - Tom:   February 3 × 40 = 120 → 12.00

    A second company where nobody of the first works: Olga sells there on
    a 5 % tier plan (with a product rate and a bonus); her February order
    (1 × 100, credited to her alone by a split line) gives 100 × 5 % = 5.00.
    Sam's and Tom's February statements are confirmed and each of them
    has disputed its line; Olga's too.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team_north.user_id = cls.sam
        cls.fiona = new_test_user(
            cls.env,
            login="fiona",
            name="Fiona",
            groups=f"sales_team.group_sale_salesman,{COMMISSION_MANAGER}",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.Statement = cls.env["salesperf.commission.statement"]
        cls.Line = cls.env["salesperf.commission.line"]
        cls.Dispute = cls.env["salesperf.commission.dispute"]
        cls.plan = cls.env["salesperf.commission.plan"].create(
            {
                "name": "Flat 10",
                "company_id": cls.company.id,
                "state": "active",
                "rate": 10.0,
                "assignment_ids": [
                    Command.create({"user_id": user.id, "date_from": date(2025, 1, 1)})
                    for user in (cls.sonia, cls.sam, cls.tom)
                ],
            }
        )
        cls._create_order(
            cls.sonia, cls.customer_a, date(2025, 2, 10), [(cls.product_x, 2, 100.0, 40.0)]
        )
        cls._create_order(
            cls.sam, cls.customer_b, date(2025, 2, 11), [(cls.product_x, 1, 100.0, 40.0)]
        )
        cls._create_order(
            cls.tom, cls.customer_c, date(2025, 2, 12), [(cls.product_y, 3, 40.0, 25.0)]
        )
        cls._create_order(
            cls.sonia, cls.customer_b, date(2025, 3, 3), [(cls.product_y, 1, 40.0, 25.0)]
        )
        cls.Statement._compute_period(cls.company, FEBRUARY)
        cls.Statement._compute_period(cls.company, MARCH)
        cls.sonia_feb = cls._statement(cls.sonia, FEBRUARY)
        cls.sonia_mar = cls._statement(cls.sonia, MARCH)
        cls.sam_feb = cls._statement(cls.sam, FEBRUARY)
        cls.sam_mar = cls._statement(cls.sam, MARCH)
        cls.tom_feb = cls._statement(cls.tom, FEBRUARY)
        cls.sonia_line = cls.sonia_feb.line_ids
        cls.sam_line = cls.sam_feb.line_ids
        cls.tom_line = cls.tom_feb.line_ids
        # disputes are raised on confirmed statements
        (cls.sam_feb | cls.tom_feb).write({"state": "confirmed"})
        cls.sam_dispute = cls.Dispute.with_user(cls.sam).create(
            {"line_id": cls.sam_line.id, "reason": "The order was bigger."}
        )
        cls.tom_dispute = cls.Dispute.with_user(cls.tom).create(
            {"line_id": cls.tom_line.id, "reason": "Where is my bonus?"}
        )
        cls._setup_company_2()

    @classmethod
    def _setup_company_2(cls):
        cls.company_2 = cls.env["res.company"].create(
            {"name": "Salesperf Other Company", "currency_id": cls.currency_xsa.id}
        )
        cls.company_2.partner_id.tz = "UTC"
        cls.olga = new_test_user(
            cls.env,
            login="olga",
            name="Olga",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company_2.id,
            company_ids=[Command.set(cls.company_2.ids)],
        )
        cls.team_2 = cls.env["crm.team"].create(
            {
                "name": "Other",
                "company_id": cls.company_2.id,
                "member_ids": [Command.set(cls.olga.ids)],
            }
        )
        cls.plan_2 = cls.env["salesperf.commission.plan"].create(
            {
                "name": "Tiers 5",
                "company_id": cls.company_2.id,
                "state": "active",
                "tier_basis": "amount",
                "tier_ids": [Command.create({"lower": 0.0, "is_open": True, "rate": 5.0})],
                "rate_ids": [
                    Command.create({"kind": "product", "product_id": cls.product_y.id, "rate": 7.0})
                ],
                "bonus_ids": [
                    Command.create({"name": "Target", "condition": "target_reached", "amount": 50})
                ],
                "assignment_ids": [
                    Command.create({"user_id": cls.olga.id, "date_from": date(2025, 1, 1)})
                ],
            }
        )
        cls.order_2 = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer_a.id,
                "user_id": cls.olga.id,
                "team_id": cls.team_2.id,
                "company_id": cls.company_2.id,
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
                "salesperf_split_ids": [Command.create({"user_id": cls.olga.id, "share": 100.0})],
            }
        )
        cls.order_2.action_confirm()
        cls.order_2.date_order = "2025-02-10 10:00:00"
        cls.Statement._compute_period(cls.company_2, FEBRUARY)
        cls.olga_feb = cls._statement(cls.olga, FEBRUARY, cls.company_2)
        cls.olga_feb.state = "confirmed"
        cls.olga_dispute = cls.Dispute.with_user(cls.olga).create(
            {"line_id": cls.olga_feb.line_ids.id, "reason": "Check the split."}
        )

    @classmethod
    def _statement(cls, user, day, company=None):
        return cls.Statement.search(
            [
                ("company_id", "=", (company or cls.company).id),
                ("user_id", "=", user.id),
                ("date_from", "=", day),
            ]
        )

    def _set_state(self, statement, state):
        statement.sudo().write({"state": state})
        self.env.invalidate_all()

    def setUp(self):
        super().setUp()
        # what the superuser read while setting up must not answer for the
        # users under test: each of their reads goes to the database
        self.env.invalidate_all()

    def _dispute_count(self):
        return self.Dispute.search_count([])


@tagged("post_install", "-at_install")
class TestCommissionSalesperson(SalesperfCommissionSecurityCommon):
    """Sonia, salesperson with "own documents" rights: reads her own
    statements, disputes her own lines, and changes nothing else."""

    def test_fixtures(self):
        """The statements the other tests rely on, computed by hand."""
        # 2 × 100 × 10 % = 20; 1 × 40 × 10 % = 4; 1 × 100 × 10 % = 10;
        # 3 × 40 × 10 % = 12; Olga: 1 × 100 × 5 % = 5
        self.assertEqual(
            [
                (s.user_id, s.state, s.total_amount, len(s.line_ids))
                for s in self.sonia_feb
                | self.sonia_mar
                | self.sam_feb
                | self.tom_feb
                | self.olga_feb
            ],
            [
                (self.sonia, "draft", 20.0, 1),
                (self.sonia, "draft", 4.0, 1),
                (self.sam, "confirmed", 10.0, 1),
                (self.tom, "confirmed", 12.0, 1),
                (self.olga, "confirmed", 5.0, 1),
            ],
        )
        self.assertEqual(self.olga_feb.company_id, self.company_2)
        self.assertEqual(self.sam_feb.open_dispute_count, 1)

    def test_reads_only_her_own(self):
        own = self.sonia_feb.with_user(self.sonia)
        self.assertEqual(own.read(["total_amount"])[0]["total_amount"], 20.0)
        self.assertEqual(own.line_ids.mapped("amount"), [20.0])
        Statement = self.Statement.with_user(self.sonia)
        self.assertEqual(Statement.search([]), self.sonia_feb | self.sonia_mar)
        # her filter does not widen what she sees
        self.assertEqual(
            Statement.search([("user_id", "in", (self.sam | self.tom).ids)]), Statement.browse()
        )
        self.assertEqual(
            self.Line.with_user(self.sonia).search([]),
            self.sonia_feb.line_ids | self.sonia_mar.line_ids,
        )
        self.assertFalse(self.Dispute.with_user(self.sonia).search([]))
        self.assertEqual(
            self.env["salesperf.commission.assignment"].with_user(self.sonia).search([]).user_id,
            self.sonia,
        )
        # grouped reads count only hers: 20 + 4
        groups = Statement._read_group([], [], ["total_amount:sum", "__count"])
        self.assertEqual(groups, [(24.0, 2)])

    def test_cannot_read_another_statement(self):
        for label, records, fname in [
            ("statement", self.sam_feb, "total_amount"),
            ("other team's statement", self.tom_feb, "total_amount"),
            ("line", self.sam_line, "amount"),
            ("dispute", self.sam_dispute, "reason"),
        ]:
            with self.subTest(label):
                with self.assertRaises(AccessError):
                    records.with_user(self.sonia).read([fname])
                with self.assertRaises(AccessError):
                    records.with_user(self.sonia).web_read({fname: {}})
        # nor through her own statement's relations
        with self.assertRaises(AccessError):
            self.Statement.with_user(self.sonia).browse(self.sam_feb.id).line_ids.mapped("amount")
        # nor printed
        with self.assertRaisesRegex(QWebException, "read' access"):
            self.env["ir.actions.report"].with_user(self.sonia)._render_qweb_html(
                "salesperf_odoo.action_report_commission_statement", self.sam_feb.ids
            )

    def test_changes_nothing(self):
        own = self.sonia_feb.with_user(self.sonia)
        line = self.sonia_line.with_user(self.sonia)
        for label, call in [
            ("write statement", lambda: own.write({"state": "paid"})),
            ("write statement note", lambda: own.write({"note": "mine"})),
            ("unlink statement", own.unlink),
            ("copy statement", own.copy),
            ("write line", lambda: line.write({"amount": 1000.0})),
            ("unlink line", line.unlink),
            (
                "create line",
                lambda: self.Line.with_user(self.sonia).create(
                    {"statement_id": self.sonia_feb.id, "kind": "adjustment", "amount": 50.0}
                ),
            ),
            (
                "create statement",
                lambda: self.Statement.with_user(self.sonia).create(
                    {
                        "company_id": self.company.id,
                        "user_id": self.sonia.id,
                        "date_from": date(2025, 4, 1),
                        "date_to": date(2025, 4, 30),
                    }
                ),
            ),
        ]:
            with self.subTest(label), self.assertRaises(AccessError):
                call()
        self.env.invalidate_all()
        self.assertEqual(
            (self.sonia_feb.state, self.sonia_feb.total_amount, self.sonia_line.amount),
            ("draft", 20.0, 20.0),
        )

    def test_cannot_move_her_own_statement(self):
        own = self.sonia_feb.with_user(self.sonia)
        for action, from_state in [
            ("action_confirm", "draft"),
            ("action_approve_manager", "confirmed"),
            ("action_approve", "approved_manager"),
            ("action_mark_paid", "approved"),
            ("action_cancel", "draft"),
            ("action_reset_to_draft", "confirmed"),
            ("action_recompute", "draft"),
            ("action_correct", "paid"),
        ]:
            # from a state the action would leave: only her rights stop it
            self._set_state(self.sonia_feb, from_state)
            with self.subTest(action), self.assertRaises(AccessError):
                getattr(own, action)()
            self.assertEqual(self.sonia_feb.state, from_state, action)
        with self.assertRaises(AccessError):
            own._add_correction(5.0, "I deserve more")
        with self.assertRaises(AccessError):
            self.env["salesperf.commission.correction"].with_user(self.sonia).create(
                {"statement_id": self.sonia_feb.id, "amount": 5.0, "reason": "more"}
            )
        self.assertFalse(self.sonia_mar.line_ids.filtered("is_manual"))

    def test_cannot_compute(self):
        with self.assertRaises(AccessError):
            self.env["salesperf.commission.compute"].with_user(self.sonia).create(
                {"company_id": self.company.id, "date": FEBRUARY}
            )
        wizard = self.env["salesperf.commission.compute"].create(
            {"company_id": self.company.id, "date": FEBRUARY}
        )
        for action in ("action_preview", "action_compute"):
            with self.subTest(action), self.assertRaises(AccessError):
                getattr(wizard.with_user(self.sonia), action)()
        Statement = self.Statement.with_user(self.sonia)
        with self.assertRaises(AccessError):
            Statement._compute_period(self.company, FEBRUARY)
        with self.assertRaises(AccessError):
            Statement._preview_period(self.company, FEBRUARY)
        # a context naming every company grants nothing
        with self.assertRaises(AccessError):
            Statement.with_context(allowed_company_ids=self.company.ids)._compute_period(
                self.company, FEBRUARY
            )

    def test_disputes_her_own_line_only(self):
        self._set_state(self.sonia_feb, "confirmed")
        before = self._dispute_count()
        for label, line in [
            ("teammate's line", self.sam_line),
            ("other team's line", self.tom_line),
            ("other company's line", self.olga_feb.line_ids),
        ]:
            with self.subTest(label), self.assertRaises(AccessError):
                self.Dispute.with_user(self.sonia).create({"line_id": line.id, "reason": "Mine!"})
        # the web client's way: the line comes as a default of the context
        with self.assertRaises(AccessError):
            self.Dispute.with_user(self.sonia).with_context(
                default_line_id=self.sam_line.id
            ).create({"reason": "Mine!"})
        self.assertEqual(self._dispute_count(), before, "no dispute may be left behind")
        dispute = (
            self.Dispute.with_user(self.sonia)
            .with_context(default_line_id=self.sonia_line.id)
            .create({"reason": "The order had three widgets."})
        )
        self.assertEqual(
            (dispute.line_id, dispute.statement_id, dispute.user_id, dispute.state),
            (self.sonia_line, self.sonia_feb, self.sonia, "open"),
        )
        self.assertEqual(self.Dispute.with_user(self.sonia).search([]), dispute)
        self.assertEqual(self.sonia_feb.open_dispute_count, 1)
        self.assertIn("three widgets", self.sonia_feb.message_ids[0].body)
        # her leader is told
        self.assertIn(self.sam.partner_id, self.sonia_feb.message_ids[0].partner_ids)

    def test_cannot_forge_a_dispute(self):
        self._set_state(self.sonia_feb, "confirmed")
        before = self._dispute_count()
        Dispute = self.Dispute.with_user(self.sonia)
        for label, values, context in [
            ("resolved", {"state": "resolved"}, {}),
            ("answered by her leader", {"answer": "Agreed.", "resolved_by_id": self.sam.id}, {}),
            ("resolved on", {"resolved_on": "2025-03-01 10:00:00"}, {}),
            ("resolved through the context", {}, {"default_state": "resolved"}),
            ("answered through the context", {}, {"default_answer": "Agreed."}),
        ]:
            with self.subTest(label), self.assertRaises(AccessError):
                Dispute.with_context(**context).create(
                    {"line_id": self.sonia_line.id, "reason": "Forged", **values}
                )
        self.assertEqual(self._dispute_count(), before)
        # naming another statement or company does not move the dispute there
        dispute = Dispute.create(
            {
                "line_id": self.sonia_line.id,
                "reason": "Elsewhere",
                "statement_id": self.sam_feb.id,
                "user_id": self.sam.id,
                "company_id": self.company_2.id,
            }
        )
        self.assertEqual(
            (dispute.statement_id, dispute.user_id, dispute.company_id),
            (self.sonia_feb, self.sonia, self.company),
        )
        self.assertEqual(self.sam_feb.open_dispute_count, 1, "only Sam's own dispute")

    def test_cannot_resolve_her_dispute(self):
        self._set_state(self.sonia_feb, "confirmed")
        dispute = self.Dispute.with_user(self.sonia).create(
            {"line_id": self.sonia_line.id, "reason": "Too little."}
        )
        with self.assertRaises(AccessError):
            dispute.action_resolve("Fine by me.")
        with self.assertRaises(AccessError):
            dispute.write({"state": "resolved"})
        with self.assertRaises(AccessError):
            dispute.unlink()
        wizard = self.env["salesperf.commission.dispute.resolve"].with_user(self.sonia)
        with self.assertRaises(AccessError):
            wizard.create({"dispute_id": dispute.id, "answer": "Fine by me."}).action_resolve()
        self.assertEqual((dispute.state, dispute.answer), ("open", False))

    def test_cannot_split_her_order(self):
        order = self.env["sale.order"].search(
            [("company_id", "=", self.company.id), ("user_id", "=", self.sonia.id)], limit=1
        )
        with self.assertRaises(AccessError):
            order.with_user(self.sonia).write(
                {"salesperf_split_ids": [Command.create({"user_id": self.sonia.id})]}
            )
        with self.assertRaises(AccessError):
            self.env["salesperf.commission.split"].with_user(self.sonia).create(
                {"order_id": order.id, "user_id": self.sonia.id, "share": 100.0}
            )
        self.assertFalse(order.salesperf_split_ids)

    def test_plans_of_her_company_only(self):
        Plan = self.env["salesperf.commission.plan"].with_user(self.sonia)
        self.assertEqual(
            Plan.search([("company_id", "in", (self.company | self.company_2).ids)]), self.plan
        )
        with self.assertRaises(AccessError):
            self.plan_2.with_user(self.sonia).read(["name"])
        with self.assertRaises(AccessError):
            self.plan.with_user(self.sonia).write({"name": "Mine"})
        for model, records in [
            ("salesperf.commission.tier", self.plan_2.tier_ids),
            ("salesperf.commission.rate", self.plan_2.rate_ids),
            ("salesperf.commission.bonus", self.plan_2.bonus_ids),
        ]:
            with self.subTest(model):
                self.assertFalse(
                    self.env[model].with_user(self.sonia).search([("id", "in", records.ids)])
                )
                with self.assertRaises(AccessError):
                    records.with_user(self.sonia).read(
                        ["rate" if "bonus" not in model else "amount"]
                    )


@tagged("post_install", "-at_install")
class TestCommissionTeamLeader(SalesperfCommissionSecurityCommon):
    """Sam, with "own documents" rights, leads North: he reads and approves
    (manager step) his members' statements, never his own, never Tom's."""

    def test_reads_his_members_statements(self):
        Statement = self.Statement.with_user(self.sam)
        mine = self.sonia_feb | self.sonia_mar | self.sam_feb | self.sam_mar
        self.assertEqual(Statement.search([]), mine)
        self.assertEqual(self.Line.with_user(self.sam).search([]), mine.line_ids)
        self.assertEqual(self.Dispute.with_user(self.sam).search([]), self.sam_dispute)
        self.assertEqual(self.sonia_feb.with_user(self.sam).total_amount, 20.0)

    def test_approves_his_member_as_manager_only(self):
        statement = self.sonia_feb.with_user(self.sam)
        self.assertTrue(statement.can_approve_manager)
        self.assertFalse(statement.is_commission_manager)
        statement.action_confirm()
        statement.action_approve_manager()
        self.assertEqual(self.sonia_feb.state, "approved_manager")
        for action in ("action_approve", "action_cancel", "action_correct"):
            with self.subTest(action), self.assertRaises(AccessError):
                getattr(statement, action)()
        self._set_state(self.sonia_feb, "approved")
        with self.assertRaises(AccessError):
            statement.action_mark_paid()
        self._set_state(self.sonia_feb, "confirmed")
        with self.assertRaises(AccessError):
            statement.action_reset_to_draft()
        self.assertEqual(self.sonia_feb.state, "confirmed")
        with self.assertRaises(AccessError):
            statement.write({"state": "approved"})
        with self.assertRaises(AccessError):
            statement.line_ids.write({"amount": 0.0})

    def test_never_his_own_statement(self):
        own = self.sam_feb.with_user(self.sam)
        self.assertFalse(own.can_approve_manager)
        with self.assertRaises(AccessError):
            own.action_confirm()
        self._set_state(self.sam_feb, "confirmed")
        with self.assertRaises(AccessError):
            own.action_approve_manager()
        with self.assertRaises(AccessError):
            self.sam_dispute.with_user(self.sam).action_resolve("Granted to myself.")
        self.assertEqual((self.sam_feb.state, self.sam_dispute.state), ("confirmed", "open"))

    def test_nothing_outside_his_teams(self):
        contexts = [
            {},
            {"allowed_company_ids": self.company.ids},
            {"team_id": self.team_south.id, "default_team_id": self.team_south.id},
            {"active_id": self.tom_feb.id, "active_ids": self.tom_feb.ids},
        ]
        for context in contexts:
            tom = self.tom_feb.with_user(self.sam).with_context(**context)
            with self.subTest(context=context):
                self.assertNotIn(
                    self.tom_feb,
                    self.Statement.with_user(self.sam).with_context(**context).search([]),
                )
                with self.assertRaises(AccessError):
                    tom.read(["total_amount"])
                self._set_state(self.tom_feb, "draft")
                with self.assertRaises(AccessError):
                    tom.action_confirm()
                self._set_state(self.tom_feb, "confirmed")
                with self.assertRaises(AccessError):
                    tom.action_approve_manager()
                with self.assertRaises(AccessError):
                    self.tom_dispute.with_user(self.sam).with_context(**context).action_resolve(
                        "No."
                    )
        # a context naming a company he does not belong to is refused outright
        with self.assertRaises(AccessError):
            self.Statement.with_user(self.sam).with_context(
                allowed_company_ids=(self.company | self.company_2).ids
            ).search([])
        self.assertEqual((self.tom_feb.state, self.tom_dispute.state), ("confirmed", "open"))

    def test_resolves_his_members_disputes_only(self):
        self._set_state(self.sonia_feb, "confirmed")
        dispute = self.Dispute.with_user(self.sonia).create(
            {"line_id": self.sonia_line.id, "reason": "Too little."}
        )
        # he does not raise disputes for his members
        with self.assertRaises(AccessError):
            self.Dispute.with_user(self.sam).create(
                {"line_id": self.sonia_line.id, "reason": "On her behalf."}
            )
        self.env["salesperf.commission.dispute.resolve"].with_user(self.sam).create(
            {"dispute_id": dispute.id, "answer": "The third widget was cancelled."}
        ).action_resolve()
        self.assertEqual((dispute.state, dispute.resolved_by_id), ("resolved", self.sam))
        self.assertEqual(self.sonia_feb.open_dispute_count, 0)

    def test_rights_follow_the_teams_now(self):
        """Sonia leaves North: Sam no longer reads nor approves her statements."""
        self.team_north.member_ids = [Command.unlink(self.sonia.id)]
        self.team_south.member_ids = [Command.link(self.sonia.id)]
        statement = self.sonia_feb.with_user(self.sam)
        self.assertNotIn(self.sonia_feb, self.Statement.with_user(self.sam).search([]))
        with self.assertRaises(AccessError):
            statement.read(["total_amount"])
        with self.assertRaises(AccessError):
            statement.action_confirm()
        self.assertEqual(self.sonia_feb.state, "draft")


@tagged("post_install", "-at_install")
class TestCommissionManager(SalesperfCommissionSecurityCommon):
    """Fiona, Commission Manager of the test company only: approves
    finally, marks paid, corrects and computes there, nowhere else."""

    def test_approves_pays_and_corrects(self):
        self.sonia_feb.with_user(self.sam).action_confirm()
        self.sonia_feb.with_user(self.sam).action_approve_manager()
        statement = self.sonia_feb.with_user(self.fiona)
        self.assertTrue(statement.is_commission_manager)
        statement.action_approve()
        statement.action_mark_paid()
        self.assertEqual(self.sonia_feb.state, "paid")
        action = statement.action_correct()
        self.assertEqual(action["res_model"], "salesperf.commission.correction")
        self.env["salesperf.commission.correction"].with_user(self.fiona).with_context(
            **action["context"]
        ).create({"amount": 5.0, "reason": "Third widget delivered late"}).action_apply()
        # March: 4.00 computed + 5.00 corrected
        self.assertEqual(self.sonia_mar.total_amount, 9.0)
        self.assertEqual(
            self.sonia_mar.line_ids.filtered("is_manual").corrected_statement_id, self.sonia_feb
        )
        # what her salesperson then reads
        self.assertEqual(self.sonia_mar.with_user(self.sonia).total_amount, 9.0)

    def test_computes_his_company(self):
        self._create_order(
            self.sonia, self.customer_c, date(2025, 2, 20), [(self.product_x, 1, 100.0, 40.0)]
        )
        wizard = (
            self.env["salesperf.commission.compute"]
            .with_user(self.fiona)
            .create({"date": FEBRUARY})
        )
        self.assertEqual(wizard.company_id, self.company)
        wizard.action_preview()
        self.assertEqual(
            {line.user_id: line.status for line in wizard.line_ids},
            {self.sonia: "recompute", self.sam: "frozen", self.tom: "frozen"},
        )
        # Sonia: (200 + 100) × 10 % = 30
        self.assertEqual(
            wizard.line_ids.filtered(lambda line: line.user_id == self.sonia).total_amount, 30.0
        )
        wizard.action_compute()
        self.assertEqual(self.sonia_feb.total_amount, 30.0)
        self.assertEqual(self.tom_feb.total_amount, 12.0, "a confirmed statement never changes")
        self._create_order(
            self.sonia, self.customer_c, date(2025, 2, 21), [(self.product_y, 1, 40.0, 25.0)]
        )
        self.sonia_feb.with_user(self.fiona).action_recompute()
        # (200 + 100 + 40) × 10 % = 34
        self.assertEqual(self.sonia_feb.total_amount, 34.0)

    def test_nothing_of_another_company(self):
        self._set_state(self.olga_feb, "approved_manager")
        statement = self.olga_feb.with_user(self.fiona)
        Statement = self.Statement.with_user(self.fiona)
        self.assertNotIn(self.olga_feb, Statement.search([]))
        for label, call in [
            ("read", lambda: statement.read(["total_amount"])),
            ("approve", statement.action_approve),
            ("cancel", statement.action_cancel),
            ("correct", lambda: statement._add_correction(5.0, "Bonus")),
            ("write", lambda: statement.write({"state": "paid"})),
            ("line", lambda: self.olga_feb.line_ids.with_user(self.fiona).write({"amount": 0})),
            ("dispute", lambda: self.olga_dispute.with_user(self.fiona).action_resolve("No.")),
            ("compute", lambda: Statement._compute_period(self.company_2, FEBRUARY)),
            ("preview", lambda: Statement._preview_period(self.company_2, FEBRUARY)),
        ]:
            with self.subTest(label), self.assertRaises(AccessError):
                call()
        # naming a company he does not belong to in the context grants nothing
        with self.assertRaises(AccessError):
            Statement.with_context(allowed_company_ids=self.company_2.ids).search([])
        with self.assertRaises(AccessError):
            statement.with_context(allowed_company_ids=self.company_2.ids).action_approve()
        with self.assertRaises(AccessError):
            Statement.with_context(
                allowed_company_ids=(self.company | self.company_2).ids
            )._compute_period(self.company_2, FEBRUARY)
        # nor does the compute wizard
        wizard = self.env["salesperf.commission.compute"].with_user(self.fiona)
        with self.assertRaises(UserError):
            wizard.create({"company_id": self.company_2.id, "date": FEBRUARY}).action_compute()
        self.assertEqual(
            (self.olga_feb.state, self.olga_feb.total_amount), ("approved_manager", 5.0)
        )
        self.assertEqual(len(self.olga_feb.line_ids), 1)

    def test_another_company_not_allowed_now(self):
        """Fiona also belongs to the second company: its statements are hers
        only while it is one of her allowed companies."""
        self.fiona.company_ids = [Command.link(self.company_2.id)]
        # (her dispute answered: only rights may stop the approval)
        self.olga_dispute.sudo().write({"state": "resolved", "answer": "Checked."})
        self._set_state(self.olga_feb, "approved_manager")
        only_first = self.Statement.with_user(self.fiona).with_context(
            allowed_company_ids=self.company.ids
        )
        self.assertNotIn(self.olga_feb, only_first.search([]))
        with self.assertRaises(AccessError):
            only_first.browse(self.olga_feb.id).action_approve()
        with self.assertRaises(AccessError):
            only_first._compute_period(self.company_2, FEBRUARY)
        self.assertEqual(self.olga_feb.state, "approved_manager")
        both = only_first.with_context(allowed_company_ids=(self.company | self.company_2).ids)
        self.assertIn(self.olga_feb, both.search([]))
        both.browse(self.olga_feb.id).action_approve()
        self.assertEqual(self.olga_feb.state, "approved")

    def test_exports_his_company_only(self):
        Export = self.env["salesperf.commission.export"]
        with self.assertRaises(AccessError):
            Export.with_user(self.sonia).create(
                {"statement_ids": [Command.set(self.sonia_feb.ids)]}
            )
        export = Export.with_user(self.fiona).create(
            {"statement_ids": [Command.set((self.sonia_feb | self.olga_feb).ids)]}
        )
        with self.assertRaises(AccessError):
            export.action_export()
        self.assertFalse(export.file_data)
        export.statement_ids = [Command.set(self.sonia_feb.ids)]
        export.action_export()
        self.assertTrue(export.file_data)
        # the file is his: another company's Commission Manager never reads it
        greta = new_test_user(
            self.env,
            login="greta",
            name="Greta",
            groups=f"sales_team.group_sale_salesman,{COMMISSION_MANAGER}",
            company_id=self.company_2.id,
            company_ids=[Command.set(self.company_2.ids)],
        )
        with self.assertRaises(AccessError):
            export.with_user(greta).read(["file_data"])

    def test_preview_of_another_manager_is_not_his(self):
        """Another company's Commission Manager previews her period: its
        lines name her salespeople and amounts, never Fiona's to read."""
        greta = new_test_user(
            self.env,
            login="greta",
            name="Greta",
            groups=f"sales_team.group_sale_salesman,{COMMISSION_MANAGER}",
            company_id=self.company_2.id,
            company_ids=[Command.set(self.company_2.ids)],
        )
        wizard = (
            self.env["salesperf.commission.compute"].with_user(greta).create({"date": FEBRUARY})
        )
        wizard.action_preview()
        self.assertEqual(wizard.line_ids.mapped("total_amount"), [5.0])
        with self.assertRaises(AccessError):
            wizard.line_ids.with_user(self.fiona).read(["total_amount"])
        with self.assertRaises(AccessError):
            wizard.with_user(self.fiona).read(["company_id"])
        self.assertFalse(
            self.env["salesperf.commission.compute.line"]
            .with_user(self.fiona)
            .search([("id", "in", wizard.line_ids.ids)])
        )


@tagged("post_install", "-at_install")
class TestCommissionMultiCompany(SalesperfCommissionSecurityCommon):
    """Every commission record follows the allowed companies: Fiona and Lena
    belong to both companies; with only the first allowed, nothing of the
    second is found or read; with both, it is (so the rule is what hides)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["account.chart.template"].try_loading(
            "generic_coa", company=cls.company_2, install_demo=False
        )
        invoice = cls.order_2.with_company(cls.company_2)._create_invoices()
        invoice.invoice_date = date(2025, 2, 14)
        invoice.action_post()
        cls.invoice_2 = invoice
        for user in (cls.fiona, cls.lena):
            user.company_ids = [Command.link(cls.company_2.id)]

    def test_every_model_follows_the_allowed_companies(self):
        facts = self.env["salesperf.invoice.fact"].search([("move_id", "=", self.invoice_2.id)])
        self.assertEqual(facts.mapped("revenue"), [100.0])
        plan_records = {
            "salesperf.commission.plan": self.plan_2,
            "salesperf.commission.tier": self.plan_2.tier_ids,
            "salesperf.commission.rate": self.plan_2.rate_ids,
            "salesperf.commission.bonus": self.plan_2.bonus_ids,
        }
        # Fiona (Commission Manager) sees every commission record of her
        # allowed companies; Lena ("All Documents") every split and invoice
        # fact, but no one else's statement
        cases = [
            (
                self.fiona,
                {
                    **plan_records,
                    "salesperf.commission.assignment": self.plan_2.assignment_ids,
                    "salesperf.commission.statement": self.olga_feb,
                    "salesperf.commission.line": self.olga_feb.line_ids,
                    "salesperf.commission.dispute": self.olga_dispute,
                },
            ),
            (
                self.lena,
                {
                    **plan_records,
                    "salesperf.commission.split": self.order_2.salesperf_split_ids,
                    "salesperf.invoice.fact": facts,
                },
            ),
        ]
        for user, records in cases:
            for model, expected in records.items():
                self.assertEqual(len(expected), 1, model)
                with self.subTest(user=user.name, model=model):
                    first = (
                        self.env[model]
                        .with_user(user)
                        .with_context(allowed_company_ids=self.company.ids)
                    )
                    self.assertFalse(first.search([("id", "in", expected.ids)]))
                    with self.assertRaises(AccessError):
                        first.browse(expected.ids).read(["display_name"])
                    both = first.with_context(
                        allowed_company_ids=(self.company | self.company_2).ids
                    )
                    self.assertEqual(both.search([("id", "in", expected.ids)]), expected)
                    self.env.invalidate_all()

    def test_salesperson_of_each_company(self):
        """Olga reads her own statement, split and invoice fact in her
        company, nothing of the first company."""
        facts = self.env["salesperf.invoice.fact"].with_user(self.olga)
        self.assertEqual(facts.search([]).move_id, self.invoice_2)
        self.assertEqual(self.Statement.with_user(self.olga).search([]), self.olga_feb)
        self.assertEqual(
            self.env["salesperf.commission.split"].with_user(self.olga).search([]),
            self.order_2.salesperf_split_ids,
        )
        self.assertEqual(
            self.env["salesperf.commission.plan"].with_user(self.olga).search([]), self.plan_2
        )
        with self.assertRaises(AccessError):
            self.sonia_feb.with_user(self.olga).read(["total_amount"])
        with self.assertRaises(AccessError):
            self.plan.with_user(self.olga).read(["name"])
        with self.assertRaises(AccessError):
            self.Dispute.with_user(self.olga).create({"line_id": self.sonia_line.id, "reason": "x"})


@tagged("post_install", "-at_install")
class TestCommissionSecurityOverJsonRpc(SalesperfRpcCase, SalesperfCommissionSecurityCommon):
    """The same rules when the web client (or anyone) calls the server:
    neither ids, context keys nor company ids sent by the client grant
    anything."""

    def _call(self, model, method, args, kwargs=None):
        try:
            return super()._call(model, method, args, kwargs)
        except KeyError:
            # a method that returns None: the JSON-RPC answer has no result
            return None

    def assertRpcError(self, answer, error, message=None):
        self.assertIsInstance(answer, tuple, f"the call should have failed: {answer}")
        self.assertEqual(answer[0], f"odoo.exceptions.{error}", answer)
        if message:
            self.assertRegex(answer[1], message)

    def _state(self, statement):
        self.env.invalidate_all()
        return statement.state

    def test_salesperson_over_rpc(self):
        self.authenticate("sonia", "sonia")
        model = "salesperf.commission.statement"
        rows = self._call(model, "search_read", [], {"domain": [], "fields": ["total_amount"]})
        self.assertEqual({row["id"] for row in rows}, set((self.sonia_feb | self.sonia_mar).ids))
        self.assertEqual(
            self._call(model, "read", [self.sonia_feb.ids, ["total_amount"]])[0]["total_amount"],
            20.0,
        )
        for method, args, kwargs in [
            ("read", [self.sam_feb.ids, ["total_amount"]], {}),
            ("web_read", [self.sam_feb.ids], {"specification": {"total_amount": {}}}),
            (
                "web_read",
                [self.sonia_feb.ids],
                {"specification": {"line_ids": {"fields": {"amount": {}}}}, "context": {}},
            ),
        ]:
            answer = self._call(model, method, args, kwargs)
            if method == "web_read" and args[0] == self.sonia_feb.ids:
                # her own statement's lines are hers
                self.assertEqual(answer[0]["line_ids"][0]["amount"], 20.0)
                continue
            self.assertRpcError(answer, "AccessError", "salesperf.commission.statement")
        answer = self._call(
            "salesperf.commission.line",
            "read",
            [self.tom_line.ids, ["amount"]],
            {"context": {"allowed_company_ids": self.company.ids, "team_id": self.team_south.id}},
        )
        self.assertRpcError(answer, "AccessError", "salesperf.commission.line")
        for method in ("action_confirm", "action_approve", "action_recompute", "action_correct"):
            answer = self._call(model, method, [self.sonia_feb.ids])
            self.assertRpcError(answer, "AccessError")
        answer = self._call(model, "write", [self.sonia_feb.ids, {"state": "paid"}])
        self.assertRpcError(answer, "AccessError")
        answer = self._call(model, "_compute_period", [[], self.company.id, "2025-02-01"])
        self.assertRpcError(answer, "AccessError", "Private methods")
        answer = self._call("salesperf.commission.compute", "create", [{"date": "2025-02-01"}])
        self.assertRpcError(answer, "AccessError", "salesperf.commission.compute")
        self.assertEqual(self._state(self.sonia_feb), "draft")

    def test_dispute_button_over_rpc(self):
        """The line's Dispute button opens a form whose line comes from the
        context: Sonia disputes her line that way, never another's."""
        self._set_state(self.sonia_feb, "confirmed")
        self.authenticate("sonia", "sonia")
        action = self._call("salesperf.commission.line", "action_dispute", [self.sonia_line.ids])
        answer = self._call(
            "salesperf.commission.dispute",
            "web_save",
            [[], {"reason": "Three widgets, not two."}],
            {"specification": {"state": {}, "statement_id": {}}, "context": action["context"]},
        )
        self.assertEqual(answer[0]["state"], "open")
        self.assertEqual(answer[0]["statement_id"], self.sonia_feb.id)
        dispute_id = answer[0]["id"]
        for context in (
            {"default_line_id": self.sam_line.id},
            {"default_line_id": self.tom_line.id},
        ):
            answer = self._call(
                "salesperf.commission.dispute",
                "web_save",
                [[], {"reason": "Mine too."}],
                {"specification": {"state": {}}, "context": context},
            )
            self.assertRpcError(answer, "AccessError")
        answer = self._call(
            "salesperf.commission.dispute",
            "web_save",
            [[], {"reason": "Solved.", "line_id": self.sonia_line.id}],
            {
                "specification": {},
                "context": {"default_state": "resolved", "default_answer": "Yes"},
            },
        )
        self.assertRpcError(answer, "AccessError")
        answer = self._call(
            "salesperf.commission.dispute", "action_resolve", [[dispute_id], "Granted."]
        )
        self.assertRpcError(answer, "AccessError", "resolves a dispute")
        self.authenticate("sam", "sam")
        self.assertTrue(
            self._call("salesperf.commission.dispute", "action_resolve", [[dispute_id], "Checked."])
        )
        self.env.invalidate_all()
        self.assertEqual(self.Dispute.browse(dispute_id).state, "resolved")
        self.assertEqual(self.Dispute.search_count([("statement_id", "=", self.sonia_feb.id)]), 1)

    def test_team_leader_over_rpc(self):
        self.authenticate("sam", "sam")
        model = "salesperf.commission.statement"
        context = {
            "allowed_company_ids": self.company.ids,
            "team_id": self.team_south.id,
            "default_team_id": self.team_south.id,
            "active_model": model,
            "active_ids": self.tom_feb.ids,
        }
        for method, args in [
            ("read", [self.tom_feb.ids, ["total_amount"]]),
            ("action_confirm", [self.tom_feb.ids]),
            ("action_approve_manager", [self.tom_feb.ids]),
        ]:
            answer = self._call(model, method, args, {"context": context})
            self.assertRpcError(answer, "AccessError")
        rows = self._call(
            model,
            "search_read",
            [],
            {
                "domain": [("team_id", "=", self.team_south.id)],
                "fields": ["id"],
                "context": context,
            },
        )
        self.assertEqual(rows, [])
        answer = self._call(
            "salesperf.commission.dispute",
            "action_resolve",
            [self.tom_dispute.ids, "No."],
            {"context": context},
        )
        self.assertRpcError(answer, "AccessError")
        # his member's statement: the manager step only
        for method in ("action_confirm", "action_approve_manager"):
            answer = self._call(model, method, [self.sonia_feb.ids])
            self.assertNotIsInstance(answer, tuple, answer)
        self.assertEqual(self._state(self.sonia_feb), "approved_manager")
        for method in ("action_approve", "action_mark_paid"):
            answer = self._call(model, method, [self.sonia_feb.ids], {"context": context})
            self.assertRpcError(answer, "AccessError", "Commission Manager")
        self.assertEqual(
            (self._state(self.sonia_feb), self._state(self.tom_feb)),
            ("approved_manager", "confirmed"),
        )

    def test_commission_manager_over_rpc(self):
        self._set_state(self.olga_feb, "approved_manager")
        self._set_state(self.sonia_feb, "approved_manager")
        self.authenticate("fiona", "fiona")
        model = "salesperf.commission.statement"
        for context in (
            {},
            {"allowed_company_ids": self.company_2.ids},
            {"allowed_company_ids": (self.company | self.company_2).ids},
        ):
            for method, args in [
                ("read", [self.olga_feb.ids, ["total_amount"]]),
                ("action_approve", [self.olga_feb.ids]),
            ]:
                answer = self._call(model, method, args, {"context": context})
                self.assertRpcError(answer, "AccessError")
        wizard_id = self._call(
            "salesperf.commission.compute",
            "create",
            [{"date": "2025-02-01", "company_id": self.company_2.id}],
        )
        answer = self._call("salesperf.commission.compute", "action_compute", [[wizard_id]])
        self.assertRpcError(answer, "UserError", "Choose one of your companies")
        self.assertEqual(self._state(self.olga_feb), "approved_manager")
        # his own company's
        self._call(
            model,
            "action_approve",
            [self.sonia_feb.ids],
            {"context": {"allowed_company_ids": self.company.ids}},
        )
        self._call(
            model,
            "action_mark_paid",
            [self.sonia_feb.ids],
            {"context": {"allowed_company_ids": self.company.ids}},
        )
        self.assertEqual(self._state(self.sonia_feb), "paid")

    @mute_logger("odoo.http")
    def test_nothing_private_over_rpc(self):
        self.authenticate("fiona", "fiona")
        for model, method, args in [
            (
                "salesperf.commission.statement",
                "_compute_period",
                [[], self.company.id, "2025-02-01"],
            ),
            ("salesperf.commission.statement", "_add_correction", [self.sonia_feb.ids, 5.0, "x"]),
            (
                "salesperf.commission.statement",
                "_set_state",
                [self.sonia_feb.ids, "paid", ["draft"]],
            ),
        ]:
            answer = self._call(model, method, args)
            self.assertRpcError(answer, "AccessError", "Private methods")
        self.assertEqual(self._state(self.sonia_feb), "draft")
