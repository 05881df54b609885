# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from contextlib import contextmanager
from datetime import date

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import SalesperfAccountingCommon

JAN = date(2025, 1, 1)
FEB = date(2025, 2, 1)
MAR = date(2025, 3, 1)
APR = date(2025, 4, 1)


class CommissionCommon(SalesperfAccountingCommon):
    """Commission plans, statements and the documents they are computed from.

    On top of :class:`SalesperfAccountingCommon` (a chart of accounts, invoices
    and payments): Fiona the Commission Manager and Leo,
    leader of team North (Sonia and Sam).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.finance = new_test_user(
            cls.env,
            login="fiona",
            name="Fiona",
            groups="sales_team.group_sale_salesman,"
            "salesperf_odoo.group_salesperf_commission_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.leo = new_test_user(
            cls.env,
            login="leo",
            name="Leo",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.team_north.user_id = cls.leo
        cls.Statement = cls.env["salesperf.commission.statement"]

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    @classmethod
    def _plan(cls, users=(), date_from=JAN, date_to=False, tiers=(), **values):
        """An active plan (made by Fiona) assigned to ``users`` from ``date_from``.

        ``tiers`` are ``(lower, upper or None, rate)``.
        """
        plan = (
            cls.env["salesperf.commission.plan"]
            .with_user(cls.finance)
            .create(
                {
                    "name": values.pop("name", "Plan"),
                    "company_id": cls.company.id,
                    "tier_ids": [
                        Command.create(
                            {
                                "lower": lower,
                                "upper": upper or 0.0,
                                "is_open": upper is None,
                                "rate": rate,
                            }
                        )
                        for lower, upper, rate in tiers
                    ],
                    **values,
                }
            )
        )
        plan.action_activate()
        for user in users:
            cls._assign(plan, user, date_from, date_to)
        return plan.with_env(cls.env)

    @classmethod
    def _assign(cls, plan, user, date_from=JAN, date_to=False):
        return (
            cls.env["salesperf.commission.assignment"]
            .with_user(cls.finance)
            .create(
                {
                    "plan_id": plan.id,
                    "user_id": user.id,
                    "date_from": date_from,
                    "date_to": date_to,
                }
            )
        )

    @classmethod
    def _target(cls, user, month, amount, state="confirmed"):
        return cls.env["salesperf.target"].create(
            {
                "scope": "user",
                "user_id": user.id,
                "company_id": cls.company.id,
                "metric": "revenue",
                "period_kind": "month",
                "date_from": month,
                "amount": amount,
                "state": state,
            }
        )

    @contextmanager
    def _refused(self, exception, pattern):
        """Like ``assertRaisesRegex``, but through Odoo's ``assertRaises``,
        which rolls back what the refused call wrote, as a failed request does."""
        with self.assertRaises(exception) as refused:
            yield refused
        self.assertRegex(str(refused.exception), pattern)

    def _compute(self, day, users=None):
        """Compute the period of ``day`` as Fiona; the rows written."""
        return self.Statement.with_user(self.finance)._compute_period(
            self.company, day, users=users
        )

    def _statement(self, user, month):
        return self.Statement.search(
            [
                ("company_id", "=", self.company.id),
                ("user_id", "=", user.id),
                ("date_from", "=", month),
                ("state", "!=", "cancel"),
            ]
        )

    def _lines(self, statement, kinds=None):
        """``(kind, rule, base, rate, amount)`` of the lines, by kind, date and id."""
        return [
            (line.kind, line.rule, line.base, round(line.rate, 4), line.amount)
            for line in statement.line_ids.sorted(lambda line: (line.kind, line.date, line.id))
            if kinds is None or line.kind in kinds
        ]

    def _approve(self, statement):
        """Draft to Approved: the team leader (or Fiona) then Fiona."""
        statement = statement.with_user(self.finance)
        statement.action_confirm()
        statement.action_approve_manager()
        statement.action_approve()
        return statement


@tagged("post_install", "-at_install")
class TestCommissionStatement(CommissionCommon):
    """Statements computed from real orders, invoices and payments; every
    expected figure is worked out by hand in the comments (XSA, 2 decimals)."""

    # ------------------------------------------------------------
    # TIERS
    # ------------------------------------------------------------

    def test_attainment_tiers_graduated_and_retroactive_around_100(self):
        tiers = ((0.0, 100.0, 5.0), (100.0, None, 10.0))
        bonus = [Command.create({"condition": "target_reached", "amount": 250.0})]
        self._plan(
            [self.sonia],
            name="Graduated",
            tier_basis="attainment",
            tier_mode="graduated",
            tiers=tiers,
            bonus_ids=bonus,
        )
        self._plan(
            [self.sam],
            name="Retroactive",
            tier_basis="attainment",
            tier_mode="retroactive",
            tiers=tiers,
            bonus_ids=bonus,
        )
        # each month: a target of 10,000 and two orders of 6,000 and of
        # 4,000.00 (January: exactly 100 %), 3,999.99 (February: one cent
        # below) or 4,000.01 (March: one cent above)
        second_line = {JAN: 4000.00, FEB: 3999.99, MAR: 4000.01}
        for user in self.sonia | self.sam:
            for month, amount in second_line.items():
                self._target(user, month, 10000.0)
                self._create_order(
                    user, self.customer_a, month.replace(day=5), [(self.product_x, 1, 6000.0, 0.0)]
                )
                self._create_order(
                    user, self.customer_b, month.replace(day=9), [(self.product_x, 1, amount, 0.0)]
                )
        expected = {
            # graduated: 5 % up to 10,000, 10 % above
            # Jan: 6,000 × 5 % = 300; 4,000 × 5 % = 200; 100 % reached: bonus 250
            (self.sonia, JAN): ([300.0, 200.0], 250.0, 750.0),
            # Feb: 300; 3,999.99 × 5 % = 199.9995 → 200.00; 99.9999 %: no bonus
            (self.sonia, FEB): ([300.0, 200.0], 0.0, 500.0),
            # Mar: 300; 4,000 × 5 % + 0.01 × 10 % = 200.001 → 200.00; bonus 250
            (self.sonia, MAR): ([300.0, 200.0], 250.0, 750.0),
            # retroactive: the band the total reached pays every line
            # Jan: 10,000 is in the 100 %– band: 600 + 400 = 1,000; bonus 250
            (self.sam, JAN): ([600.0, 400.0], 250.0, 1250.0),
            # Feb: 9,999.99 stays in 0–100 %: 6,000 × 5 % = 300 and 199.9995 → 200
            (self.sam, FEB): ([300.0, 200.0], 0.0, 500.0),
            # Mar: 10 %: 600 and 4,000.01 × 10 % = 400.001 → 400.00; bonus 250
            (self.sam, MAR): ([600.0, 400.0], 250.0, 1250.0),
        }
        for month in (JAN, FEB, MAR):
            self._compute(month)
        for (user, month), (commissions, bonus_amount, total) in expected.items():
            with self.subTest(user=user.name, month=month):
                statement = self._statement(user, month)
                lines = statement.line_ids.filtered(lambda line: line.kind == "commission")
                self.assertEqual(lines.sorted("date").mapped("amount"), commissions)
                self.assertEqual(set(lines.mapped("rule")), {"tier"})
                self.assertEqual(statement.bonus_amount, bonus_amount)
                self.assertEqual(statement.total_amount, total)
                self.assertEqual(statement.target_amount, 10000.0)
                self.assertEqual(
                    statement.base_amount, 6000.0 + second_line[month], "two orders of the month"
                )
        # the line crossing the target names both bands
        crossing = self._statement(self.sonia, MAR).line_ids.filtered(
            lambda line: line.kind == "commission"
        )
        self.assertEqual(
            crossing.sorted("date")[1].note,
            "5% on 4,000.00 in 0%–100% band; 10% on 0.01 in 100%– band",
        )
        self.assertIn(
            "10%: 100%– band reached by the total 10,000.00",
            self._statement(self.sam, JAN).line_ids.mapped("note"),
        )

    def test_draft_target_is_no_target(self):
        self._plan(
            [self.sonia],
            tier_basis="attainment",
            tiers=((0.0, 100.0, 5.0), (100.0, None, 10.0)),
        )
        self._target(self.sonia, JAN, 1000.0, state="draft")
        self._create_order(self.sonia, self.customer_a, JAN, [(self.product_x, 10, 100.0, 0.0)])
        self._compute(JAN)
        statement = self._statement(self.sonia, JAN)
        # only confirmed targets count: without one, attainment tiers pay nothing
        self.assertEqual((statement.target_amount, statement.total_amount), (0.0, 0.0))
        self.assertEqual(statement.base_amount, 1000.0)
        self.assertIn("No target: attainment tiers pay nothing", statement.note)

    def test_quarter_without_its_own_target_sums_its_months(self):
        self._plan(
            [self.sonia],
            period_kind="quarter",
            tier_basis="attainment",
            tiers=((0.0, 100.0, 5.0), (100.0, None, 10.0)),
        )
        # no Q1 target: January 600 + February 400 (+ March none) = 1,000
        self._target(self.sonia, JAN, 600.0)
        self._target(self.sonia, FEB, 400.0)
        self._target(self.sonia, MAR, 5000.0, state="draft")
        self._create_order(self.sonia, self.customer_a, FEB, [(self.product_x, 12, 100.0, 0.0)])
        self._compute(JAN)
        statement = self._statement(self.sonia, JAN)
        self.assertEqual(statement.date_to, date(2025, 3, 31))
        # 1,200 against 1,000 = 120 %: 1,000 × 5 % + 200 × 10 % = 50 + 20 = 70
        self.assertEqual(
            (statement.target_amount, statement.attainment, statement.total_amount),
            (1000.0, 120.0, 70.0),
        )

    # ------------------------------------------------------------
    # THRESHOLD, CAP, OVERRIDES, BONUSES
    # ------------------------------------------------------------

    def test_threshold_and_cap(self):
        self._plan(
            [self.sonia],
            rate=10.0,
            threshold=1000.0,
            cap=150.0,
            bonus_ids=[Command.create({"condition": "new_customer", "amount": 30.0})],
        )
        self._create_order(self.sonia, self.customer_a, JAN, [(self.product_x, 1, 999.99, 0.0)])
        self._create_order(self.sonia, self.customer_a, FEB, [(self.product_x, 1, 1000.0, 0.0)])
        self._create_order(self.sonia, self.customer_a, MAR, [(self.product_x, 2, 1000.0, 0.0)])
        for month in (JAN, FEB, MAR):
            self._compute(month)
        jan, feb, mar = (self._statement(self.sonia, month) for month in (JAN, FEB, MAR))
        # January: 999.99 < 1,000: nothing on the sale; Acme's first order
        # still earns the new customer bonus of 30 (bonuses are not gated)
        self.assertEqual(
            self._lines(jan),
            [
                ("bonus", "bonus_new_customer", 30.0, 100.0, 30.0),
                ("commission", "threshold", 999.99, 0.0, 0.0),
            ],
        )
        self.assertEqual(
            jan.line_ids.filtered(lambda line: line.kind == "commission").note,
            "Below the threshold of 1,000.00 (total 999.99): nothing paid",
        )
        self.assertEqual(jan.total_amount, 30.0)
        # February: exactly 1,000 pays: 1,000 × 10 % = 100 (Acme is no longer new)
        self.assertEqual(self._lines(feb), [("commission", "flat", 1000.0, 10.0, 100.0)])
        self.assertEqual(feb.total_amount, 100.0)
        # March: 2,000 × 10 % = 200, capped at 150: a cap line of −50
        self.assertEqual(
            self._lines(mar),
            [("cap", "cap", 200.0, 0.0, -50.0), ("commission", "flat", 2000.0, 10.0, 200.0)],
        )
        self.assertEqual(
            (mar.commission_amount, mar.cap_amount, mar.total_amount), (200.0, -50.0, 150.0)
        )

    def test_category_and_product_overrides_priority(self):
        Category = self.env["product.category"]
        gear = Category.create({"name": "Gear"})
        widgets = Category.create({"name": "Widgets", "parent_id": gear.id})
        gadgets = Category.create({"name": "Gadgets", "parent_id": gear.id})
        tools = Category.create({"name": "Tools"})
        star, widget, gadget, tool = self.env["product.product"].create(
            [
                {"name": name, "categ_id": category.id, "taxes_id": False}
                for name, category in (
                    ("Star widget", widgets),
                    ("Widget", widgets),
                    ("Gadget", gadgets),
                    ("Tool", tools),
                )
            ]
        )
        self._plan(
            [self.sonia],
            tier_basis="amount",
            tiers=((0.0, 1000.0, 5.0), (1000.0, None, 6.0)),
            rate_ids=[
                Command.create({"kind": "category", "categ_id": gear.id, "rate": 7.0}),
                Command.create({"kind": "category", "categ_id": widgets.id, "rate": 8.0}),
                Command.create({"kind": "product", "product_id": star.id, "rate": 12.0}),
            ],
        )
        self._create_order(
            self.sonia,
            self.customer_a,
            date(2025, 1, 10),
            [(star, 1, 100.0, 0.0), (widget, 1, 200.0, 0.0), (gadget, 1, 300.0, 0.0)],
        )
        self._create_order(self.sonia, self.customer_b, date(2025, 1, 20), [(tool, 1, 1000.0, 0.0)])
        self._compute(JAN)
        statement = self._statement(self.sonia, JAN)
        by_product = {line.product_id: line for line in statement.line_ids}
        expected = {
            # its own product rate beats its category's: 100 × 12 % = 12
            star: ("product", 12.0, 12.0),
            # its category (8 %) beats the parent's (7 %): 200 × 8 % = 16
            widget: ("category", 8.0, 16.0),
            # no rate of its own category: the parent's 7 %: 300 × 7 % = 21
            gadget: ("category", 7.0, 21.0),
            # plan tiers, the 600 overridden above counting in the measure:
            # 600 → 1,600: 400 × 5 % + 600 × 6 % = 20 + 36 = 56 (effective 5.6 %)
            tool: ("tier", 5.6, 56.0),
        }
        self.assertEqual(
            {
                product: (line.rule, round(line.rate, 4), line.amount)
                for product, line in by_product.items()
            },
            expected,
        )
        self.assertEqual(by_product[gadget].note, "Parent category rate 7% on 300.00")
        # 12 + 16 + 21 + 56
        self.assertEqual(statement.total_amount, 105.0)

    def test_bonuses_new_customer_product_and_target(self):
        self._plan(
            [self.sonia],
            rate=2.0,
            bonus_ids=[
                Command.create({"condition": "new_customer", "amount": 50.0}),
                Command.create(
                    {"condition": "product", "product_id": self.product_x.id, "amount": 20.0}
                ),
                Command.create(
                    {"condition": "target_reached", "amount": 100.0, "name": "Target met"}
                ),
            ],
        )
        self._target(self.sonia, JAN, 900.0)
        # Core bought in December: not a new customer in January
        self._create_order(
            self.sonia, self.customer_c, date(2024, 12, 15), [(self.product_y, 1, 40.0, 0.0)]
        )
        first = self._create_order(
            self.sonia,
            self.customer_a,
            date(2025, 1, 3),
            [(self.product_x, 1, 100.0, 0.0), (self.product_y, 1, 40.0, 0.0)],
        )
        second = self._create_order(
            self.sonia, self.contact_a, date(2025, 1, 8), [(self.product_x, 2, 100.0, 0.0)]
        )
        self._create_order(
            self.sonia, self.customer_c, date(2025, 1, 9), [(self.product_y, 10, 40.0, 0.0)]
        )
        fourth = self._create_order(
            self.sonia, self.customer_b, date(2025, 1, 12), [(self.product_y, 5, 40.0, 0.0)]
        )
        self._compute(JAN)
        statement = self._statement(self.sonia, JAN)
        bonuses = statement.line_ids.filtered(lambda line: line.kind == "bonus")
        self.assertEqual(
            sorted((line.rule, line.document or "", line.amount) for line in bonuses),
            sorted(
                [
                    # Acme (first order on 3 January; its contact's order is
                    # Acme again) and Bolt are new: 50 each; Core is not
                    ("bonus_new_customer", first.name, 50.0),
                    ("bonus_new_customer", fourth.name, 50.0),
                    # one per order with Widget X: the first and the second
                    ("bonus_product", first.name, 20.0),
                    ("bonus_product", second.name, 20.0),
                    # 140 + 200 + 400 + 200 = 940 ≥ 900: target reached
                    ("bonus_target", "", 100.0),
                ]
            ),
        )
        self.assertEqual(
            bonuses.filtered(lambda line: line.rule == "bonus_target").note, "Target met"
        )
        # commission 940 × 2 % = 18.80; bonuses 50 + 50 + 20 + 20 + 100 = 240
        self.assertEqual(statement.base_amount, 940.0)
        # 940 / 900 × 100 = 104.44 %
        self.assertAlmostEqual(statement.attainment, 104.44, places=2)
        self.assertEqual(
            (statement.commission_amount, statement.bonus_amount, statement.total_amount),
            (18.8, 240.0, 258.8),
        )

    def test_split_credit_60_40(self):
        self._plan(
            [self.sonia, self.sam],
            rate=5.0,
            bonus_ids=[Command.create({"condition": "new_customer", "amount": 50.0})],
        )
        order = self._create_order(
            self.sonia, self.customer_a, date(2025, 1, 15), [(self.product_x, 10, 100.0, 0.0)]
        )
        order.with_user(self.lena).write(
            {
                "salesperf_split_ids": [
                    Command.create({"user_id": self.sonia.id, "share": 60.0}),
                    Command.create({"user_id": self.sam.id, "share": 40.0}),
                ]
            }
        )
        self._compute(JAN)
        sonia, sam = self._statement(self.sonia, JAN), self._statement(self.sam, JAN)
        # 1,000 split 60 / 40: Sonia 600 × 5 % = 30 and 60 % of the new
        # customer bonus of 50 = 30; Sam 400 × 5 % = 20 and 40 % of 50 = 20
        self.assertEqual(
            self._lines(sonia),
            [
                ("bonus", "bonus_new_customer", 50.0, 60.0, 30.0),
                ("commission", "flat", 600.0, 5.0, 30.0),
            ],
        )
        self.assertEqual(
            self._lines(sam),
            [
                ("bonus", "bonus_new_customer", 50.0, 40.0, 20.0),
                ("commission", "flat", 400.0, 5.0, 20.0),
            ],
        )
        self.assertEqual((sonia.total_amount, sam.total_amount), (60.0, 40.0))
        # both lines point to the same order line
        self.assertEqual(
            (sonia | sam)
            .line_ids.filtered(lambda line: line.kind == "commission")
            .mapped("source_id"),
            order.order_line.ids * 2,
        )

    def test_manager_override_excludes_own_sales(self):
        self._plan([self.leo], name="Leader", rate=5.0, manager_rate=2.0)
        self._plan([self.sonia, self.sam, self.tom], name="Sales", rate=5.0)
        self._create_order(self.sonia, self.customer_a, JAN, [(self.product_x, 10, 100.0, 0.0)])
        self._create_order(self.sam, self.customer_b, JAN, [(self.product_x, 5, 100.0, 0.0)])
        self._create_order(self.leo, self.customer_c, JAN, [(self.product_x, 2, 100.0, 0.0)])
        # South is not Leo's team
        self._create_order(self.tom, self.customer_c, JAN, [(self.product_x, 3, 100.0, 0.0)])
        self._compute(JAN)
        statement = self._statement(self.leo, JAN)
        # own sale: 200 × 5 % = 10; North without Leo's own 200: (1,000 +
        # 500) × 2 % = 30; Tom's 300 in South does not count
        self.assertEqual(
            self._lines(statement),
            [
                ("commission", "flat", 200.0, 5.0, 10.0),
                ("override", "manager_override", 1500.0, 2.0, 30.0),
            ],
        )
        override = statement.line_ids.filtered(lambda line: line.kind == "override")
        self.assertEqual(
            (override.source_model, override.source_id, override.document),
            ("crm.team", self.team_north.id, "North"),
        )
        self.assertEqual((statement.override_amount, statement.total_amount), (30.0, 40.0))
        # the members' own statements are unaffected: 1,000 × 5 % and 500 × 5 %
        self.assertEqual(self._statement(self.sonia, JAN).total_amount, 50.0)
        self.assertEqual(self._statement(self.sam, JAN).total_amount, 25.0)

    # ------------------------------------------------------------
    # BASES: REFUNDS, CANCELLATIONS, PAYMENTS, CURRENCIES
    # ------------------------------------------------------------

    def test_credit_note_after_approval_is_a_negative_line_of_the_later_statement(self):
        self._plan([self.sonia], basis="invoiced", rate=5.0)
        order = self._create_order(
            self.sonia, self.customer_a, date(2025, 1, 5), [(self.product_x, 10, 100.0, 0.0)]
        )
        invoice = self._invoice(order, date(2025, 1, 10))
        self._compute(JAN)
        january = self._approve(self._statement(self.sonia, JAN))
        # 1,000 invoiced × 5 % = 50
        self.assertEqual((january.state, january.total_amount), ("approved", 50.0))
        refund = self._credit_note(order.order_line, 2, date(2025, 2, 12))
        self._compute(FEB)
        self._compute(JAN)
        february = self._statement(self.sonia, FEB)
        # the credit note of 2 × 100 is dated in February: −200 × 5 % = −10
        self.assertEqual(self._lines(february), [("commission", "flat", -200.0, 5.0, -10.0)])
        line = february.line_ids
        self.assertEqual((line.document, line.source_model), (refund.name, "account.move.line"))
        self.assertEqual(line.source_id, refund.invoice_line_ids.id)
        self.assertFalse(line.corrected_statement_id)
        self.assertEqual(february.total_amount, -10.0)
        # January keeps what it paid: its invoice did not change
        self.assertEqual(self._lines(january), [("commission", "flat", 1000.0, 5.0, 50.0)])
        self.assertEqual(january.line_ids.document, invoice.name)

    def test_order_cancelled_after_approval_is_clawed_back_once(self):
        self._plan([self.sonia], rate=5.0)
        self._create_order(
            self.sonia, self.customer_a, date(2025, 1, 5), [(self.product_x, 10, 100.0, 0.0)]
        )
        cancelled = self._create_order(
            self.sonia, self.customer_b, date(2025, 1, 20), [(self.product_x, 4, 100.0, 0.0)]
        )
        self._compute(JAN)
        january = self._approve(self._statement(self.sonia, JAN))
        # (1,000 + 400) × 5 % = 70
        self.assertEqual(january.total_amount, 70.0)
        cancelled_line = january.line_ids.filtered(
            lambda line: line.source_id == cancelled.order_line.id
        )
        cancelled._action_cancel()
        self._create_order(
            self.sonia, self.customer_a, date(2025, 2, 3), [(self.product_x, 6, 100.0, 0.0)]
        )
        for _again in range(2):
            self._compute(FEB)
            february = self._statement(self.sonia, FEB)
            # February: 600 × 5 % = 30, and January's 400 × 5 % = 20 taken back
            self.assertEqual(
                self._lines(february),
                [
                    ("adjustment", "flat", -400.0, 0.0, -20.0),
                    ("commission", "flat", 600.0, 5.0, 30.0),
                ],
            )
            adjustment = february.line_ids.filtered(lambda line: line.kind == "adjustment")
            self.assertEqual(adjustment.corrected_statement_id, january)
            self.assertEqual(adjustment.corrected_line_id, cancelled_line)
            self.assertEqual(adjustment.document, cancelled.name)
            self.assertIn(f"Correction of {january.name}", adjustment.note)
            self.assertEqual(
                (february.adjustment_amount, february.clawback_amount, february.total_amount),
                (-20.0, -20.0, 10.0),
            )
        # January itself never changes
        self.assertEqual((january.state, january.total_amount), ("approved", 70.0))
        # once February is approved, March owes nothing more for January
        self._approve(february)
        self._compute(MAR)
        march = self._statement(self.sonia, MAR)
        self.assertFalse(march.line_ids)
        self.assertEqual(march.total_amount, 0.0)

    def test_partial_payments_on_the_collected_basis(self):
        self._plan([self.sonia], basis="collected", rate=5.0)
        order = self._create_order(
            self.sonia, self.customer_a, date(2025, 2, 10), [(self.product_x, 10, 100.0, 0.0)]
        )
        invoice = self._invoice(order, date(2025, 2, 20))
        first = self._pay(invoice, 400.0, date(2025, 2, 25))
        second = self._pay(invoice, 600.0, date(2025, 3, 15))
        for month in (JAN, FEB, MAR):
            self._compute(month)
        # nothing collected in January (Sonia's statement says so)
        january = self._statement(self.sonia, JAN)
        self.assertFalse(january.line_ids)
        self.assertIn("Nothing credited to Sonia", january.note)
        # 40 % of the 1,000 invoice paid on 25 February: 400 × 5 % = 20;
        # the other 60 % on 15 March: 600 × 5 % = 30
        for month, payment, base, amount in (
            (FEB, first, 400.0, 20.0),
            (MAR, second, 600.0, 30.0),
        ):
            statement = self._statement(self.sonia, month)
            self.assertEqual(self._lines(statement), [("commission", "flat", base, 5.0, amount)])
            line = statement.line_ids
            self.assertEqual(line.document, payment.move_id.name)
            self.assertEqual(line.date, payment.date)
            self.assertEqual(line.source_model, "account.partial.reconcile")

    def test_foreign_currency_invoice_at_its_date_rate(self):
        self._plan([self.sonia], basis="invoiced", rate=5.0)
        february_order = self._create_order(
            self.sonia,
            self.customer_a,
            date(2025, 2, 10),
            [(self.product_x, 3, 100.0, 0.0)],
            pricelist=self.pricelist_xsb,
        )
        march_order = self._create_order(
            self.sonia,
            self.customer_b,
            date(2025, 2, 11),
            [(self.product_x, 1, 100.0, 0.0)],
            pricelist=self.pricelist_xsb,
        )
        self._invoice(february_order, date(2025, 2, 20))
        self._invoice(march_order, date(2025, 3, 10))
        self._compute(FEB)
        self._compute(MAR)
        february = self._statement(self.sonia, FEB)
        march = self._statement(self.sonia, MAR)
        # 300 XSB on 20 February at rate 2 = 150 XSA × 5 % = 7.50
        self.assertEqual(self._lines(february), [("commission", "flat", 150.0, 5.0, 7.5)])
        # 100 XSB on 10 March at rate 4 = 25 XSA × 5 % = 1.25
        self.assertEqual(self._lines(march), [("commission", "flat", 25.0, 5.0, 1.25)])
        self.assertEqual(february.currency_id, self.currency_xsa)

    def test_amounts_in_the_statement_company_currency(self):
        # a company whose currency has no decimals, computed from another
        # company (the superuser's current one, whose currency has cents)
        whole = self.env["res.currency"].create(
            {"name": "XSW", "symbol": "W", "rounding": 1.0, "active": True}
        )
        company = self.env["res.company"].create({"name": "Whole Co", "currency_id": whole.id})
        self.assertNotEqual(self.env.company, company)
        self.assertEqual(self.env.company.currency_id.decimal_places, 2)
        kai = new_test_user(
            self.env,
            login="kai",
            name="Kai",
            groups="sales_team.group_sale_salesman",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )
        plan = self.env["salesperf.commission.plan"].create(
            {"name": "Whole", "company_id": company.id, "rate": 2.5, "cap": 1.0}
        )
        plan.action_activate()
        self.env["salesperf.commission.assignment"].create(
            {"plan_id": plan.id, "user_id": kai.id, "date_from": JAN}
        )
        pricelist = self.env["product.pricelist"].create(
            {"name": "XSW", "currency_id": whole.id, "company_id": company.id}
        )
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer_a.id,
                "user_id": kai.id,
                "company_id": company.id,
                "pricelist_id": pricelist.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": 1,
                            "price_unit": 24.0,
                            "tax_id": False,
                        }
                    )
                    for product in self.product_x | self.product_y
                ],
            }
        )
        order.action_confirm()
        order.date_order = "2025-01-10 10:00:00"
        self.Statement._compute_period(company, JAN)
        statement = self.Statement.search([("user_id", "=", kai.id)])
        # each line 24 × 2.5 % = 0.6 → 1 (no decimals); earned 2 > cap 1:
        # a cap line of −1, total 1 (in cents, 0.60 + 0.60 − 0.20 would be
        # stored 1 + 1 − 0 = 2, above the cap)
        self.assertEqual(
            sorted((line.kind, line.amount) for line in statement.line_ids),
            [("cap", -1.0), ("commission", 1.0), ("commission", 1.0)],
        )
        self.assertEqual((statement.currency_id, statement.total_amount), (whole, 1.0))

    # ------------------------------------------------------------
    # PLAN CHANGES
    # ------------------------------------------------------------

    def test_new_version_from_a_month_keeps_past_statements(self):
        plan = self._plan([self.sonia], rate=5.0)
        self._create_order(
            self.sonia, self.customer_a, date(2025, 1, 10), [(self.product_x, 10, 100.0, 0.0)]
        )
        self._create_order(
            self.sonia, self.customer_a, date(2025, 2, 10), [(self.product_x, 10, 100.0, 0.0)]
        )
        self._compute(JAN)
        january = self._statement(self.sonia, JAN).with_user(self.finance)
        january.action_confirm()
        plan = plan.with_user(self.finance)
        with self._refused(UserError, "first day of a month, e.g. 2025-02-01"):
            plan._new_version(date(2025, 2, 15))
        with self._refused(UserError, "Statements past draft from 2025-01-01"):
            plan._new_version(JAN)
        # the rules of a version a confirmed statement used are frozen
        with self._refused(UserError, "has been used by statements past draft"):
            plan.write({"rate": 9.0})
        new = plan._new_version(FEB)
        new.write({"rate": 8.0})
        self.assertEqual((plan.state, new.state, new.version), ("closed", "active", 2))
        self.assertEqual(new.previous_version_id, plan)
        self.assertEqual(
            [(a.plan_id, a.date_from, a.date_to) for a in (plan | new).assignment_ids],
            [(plan, JAN, date(2025, 1, 31)), (new, FEB, False)],
        )
        self._compute(FEB)
        rows = self._compute(JAN)
        # February: 1,000 × 8 % = 80 under version 2
        february = self._statement(self.sonia, FEB)
        self.assertEqual((february.plan_id, february.total_amount), (new, 80.0))
        # January, past draft, is left alone: 1,000 × 5 %
        self.assertEqual([row["status"] for row in rows], ["frozen"])
        self.assertEqual((january.plan_id, january.total_amount), (plan, 50.0))
        self.assertEqual(self._lines(january), [("commission", "flat", 1000.0, 5.0, 50.0)])

    def test_plan_change_mid_month_two_segments_prorated_target(self):
        first = self._plan(
            [self.sam],
            name="Until mid-March",
            date_to=date(2025, 3, 15),
            rate=5.0,
            bonus_ids=[Command.create({"condition": "target_reached", "amount": 100.0})],
        )
        second = self._plan(
            [self.sam],
            name="From mid-March",
            date_from=date(2025, 3, 16),
            rate=10.0,
            bonus_ids=[Command.create({"condition": "target_reached", "amount": 100.0})],
        )
        self._target(self.sam, MAR, 3100.0)
        self._create_order(
            self.sam, self.customer_a, date(2025, 3, 10), [(self.product_x, 15, 100.0, 0.0)]
        )
        self._create_order(
            self.sam, self.customer_b, date(2025, 3, 20), [(self.product_x, 16, 100.0, 0.0)]
        )
        self._compute(MAR)
        statement = self._statement(self.sam, MAR)
        # the target of 3,100 prorated by calendar days: 1–15 March is
        # 3,100 × 15 / 31 = 1,500 and 16–31 March 3,100 × 16 / 31 = 1,600.
        # 1–15: 1,500 × 5 % = 75, 100 % of 1,500: bonus 100;
        # 16–31: 1,600 × 10 % = 160, 100 % of 1,600: bonus 100
        self.assertEqual(
            sorted(
                (line.plan_id.name, line.kind, line.base, line.amount)
                for line in statement.line_ids
            ),
            [
                ("From mid-March", "bonus", 100.0, 100.0),
                ("From mid-March", "commission", 1600.0, 160.0),
                ("Until mid-March", "bonus", 100.0, 100.0),
                ("Until mid-March", "commission", 1500.0, 75.0),
            ],
        )
        # 75 + 100 + 160 + 100; attainment on the whole month: 3,100 / 3,100
        self.assertEqual(statement.total_amount, 435.0)
        self.assertEqual((statement.base_amount, statement.attainment), (3100.0, 100.0))
        self.assertEqual(statement.plan_id, second)
        self.assertIn("Until mid-March (version 1) from 2025-03-01 to 2025-03-15.", statement.note)
        self.assertIn("From mid-March (version 1) from 2025-03-16 to 2025-03-31.", statement.note)
        # approved, the month owes nothing more: April has no correction
        self._approve(statement)
        self._compute(APR)
        april = self._statement(self.sam, APR)
        # both versions paid lines of an approved statement: both are frozen
        self.assertTrue(first.is_used)
        for plan in first | second:
            with self.subTest(plan=plan.name), self._refused(UserError, "has been used"):
                plan.with_user(self.finance).write({"rate": 6.0})
        self.assertEqual(self._lines(april), [])
        self.assertEqual(april.total_amount, 0.0)

    def test_manager_override_follows_plan_segments(self):
        self._plan(
            [self.leo], name="Leader A", date_to=date(2025, 3, 15), rate=0.0, manager_rate=2.0
        )
        self._plan(
            [self.leo], name="Leader B", date_from=date(2025, 3, 16), rate=0.0, manager_rate=3.0
        )
        self._create_order(
            self.sonia, self.customer_a, date(2025, 3, 10), [(self.product_x, 10, 100.0, 0.0)]
        )
        self._create_order(
            self.sonia, self.customer_b, date(2025, 3, 20), [(self.product_x, 20, 100.0, 0.0)]
        )
        self._compute(MAR)
        statement = self._statement(self.leo, MAR)
        # each plan's override on the team's sales of its own days: 1,000
        # on 10 March × 2 % = 20; 2,000 on 20 March × 3 % = 60
        self.assertEqual(
            sorted(
                (line.plan_id.name, line.base, line.amount)
                for line in statement.line_ids
                if line.kind == "override"
            ),
            [("Leader A", 1000.0, 20.0), ("Leader B", 2000.0, 60.0)],
        )
        self.assertEqual(statement.total_amount, 80.0)
        # approved, the month owes nothing more: April has no correction
        self._approve(statement)
        self._compute(APR)
        april = self._statement(self.leo, APR)
        self.assertFalse(april.line_ids.filtered(lambda line: line.kind == "adjustment"))
        self.assertEqual(april.total_amount, 0.0)

    # ------------------------------------------------------------
    # RECOMPUTING
    # ------------------------------------------------------------

    def test_only_drafts_are_recomputed(self):
        self._plan([self.sonia, self.tom], rate=5.0)
        self._create_order(
            self.sonia, self.customer_a, date(2025, 1, 5), [(self.product_x, 10, 100.0, 0.0)]
        )
        self._compute(JAN)
        statement = self._statement(self.sonia, JAN)
        self.assertEqual(statement.total_amount, 50.0)
        # a draft follows the sales: 1,000 + 500 = 1,500 × 5 % = 75
        self._create_order(
            self.sonia, self.customer_a, date(2025, 1, 6), [(self.product_x, 5, 100.0, 0.0)]
        )
        self._compute(JAN)
        self.assertEqual(self._statement(self.sonia, JAN), statement, "the same statement")
        self.assertEqual(statement.total_amount, 75.0)
        # Tom sold nothing: his statement says why
        tom = self._statement(self.tom, JAN)
        self.assertFalse(tom.line_ids)
        self.assertEqual(
            tom.note,
            "Nothing credited to Tom from 2025-01-01 to 2025-01-31 on the basis “Sales ordered”.",
        )
        # confirmed, it no longer changes, however often computed
        statement.with_user(self.leo).action_confirm()
        lines_before = self._lines(statement)
        line_ids = statement.line_ids.ids
        self._create_order(
            self.sonia, self.customer_a, date(2025, 1, 7), [(self.product_x, 2, 100.0, 0.0)]
        )
        rows = self._compute(JAN)
        self.assertEqual(
            {row["user"]: row["status"] for row in rows},
            {self.sonia: "frozen", self.tom: "recompute"},
        )
        self.assertIn(
            "no longer changes", next(r["reason"] for r in rows if r["user"] == self.sonia)
        )
        self.assertEqual(self._lines(statement), lines_before)
        self.assertEqual(statement.line_ids.ids, line_ids)
        self.assertEqual(statement.total_amount, 75.0)
        with self._refused(UserError, "Only a draft statement is recomputed"):
            statement.with_user(self.finance).action_recompute()
        statement.with_user(self.leo).action_approve_manager()
        statement.with_user(self.finance).action_approve()
        self._compute(JAN)
        self.assertEqual((statement.state, statement.total_amount), ("approved", 75.0))
        # the late January sale is paid by the next open statement: 200 × 5 % = 10
        self._compute(FEB)
        february = self._statement(self.sonia, FEB)
        self.assertEqual(self._lines(february), [("adjustment", "flat", 200.0, 0.0, 10.0)])
        self.assertIn("new in that period", february.line_ids.note)
        self.assertEqual(february.line_ids.corrected_statement_id, statement)
        self.assertFalse(february.line_ids.corrected_line_id)

    def test_preview_says_what_will_happen(self):
        self._plan([self.sonia, self.tom], rate=5.0)
        self._create_order(
            self.sonia, self.customer_a, date(2025, 1, 5), [(self.product_x, 10, 100.0, 0.0)]
        )
        wizard = (
            self.env["salesperf.commission.compute"]
            .with_user(self.finance)
            .create({"company_id": self.company.id, "date": date(2025, 1, 31)})
        )
        wizard.action_preview()
        self.assertFalse(self.Statement.search([("company_id", "=", self.company.id)]))
        self.assertEqual(
            sorted(
                (line.user_id.name, line.status, line.total_amount, line.reason or "")
                for line in wizard.line_ids
            ),
            [
                ("Sonia", "new", 50.0, ""),
                (
                    "Tom",
                    "new",
                    0.0,
                    (
                        "Nothing credited to Tom from 2025-01-01 to 2025-01-31 on the basis "
                        "“Sales ordered”."
                    ),
                ),
            ],
        )
        action = wizard.action_compute()
        statements = self.Statement.search(action["domain"])
        self.assertEqual(statements.user_id, self.sonia | self.tom)
        self.assertEqual(set(statements.mapped("state")), {"draft"})

    def test_manual_correction_is_kept_and_never_recomputed(self):
        self._plan([self.sonia], rate=5.0)
        self._create_order(
            self.sonia, self.customer_a, date(2025, 1, 5), [(self.product_x, 10, 100.0, 0.0)]
        )
        self._compute(JAN)
        january = self._approve(self._statement(self.sonia, JAN))
        with self._refused(UserError, "no open statement after January 2025"):
            january._add_correction(-15.0, "Discount granted after the sale")
        self._compute(FEB)
        with self._refused(UserError, "A correction needs a reason"):
            january._add_correction(-15.0, " ")
        line = january._add_correction(-15.0, "Discount granted after the sale")
        february = self._statement(self.sonia, FEB)
        self.assertEqual(line.statement_id, february)
        self._compute(FEB)
        self._compute(FEB)
        # the manual line stays, and is no computed difference to post again
        self.assertEqual(self._lines(february), [("adjustment", "adjust", 0.0, 0.0, -15.0)])
        self.assertEqual(february.line_ids.corrected_statement_id, january)
        self.assertEqual(february.total_amount, -15.0)
