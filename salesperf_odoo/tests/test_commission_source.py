# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date, datetime

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.salesperf_odoo.engine.periods import period_containing

from .common import SalesperfAccountingCommon

JANUARY = period_containing("month", date(2025, 1, 1))
FEBRUARY = period_containing("month", date(2025, 2, 1))
MARCH = period_containing("month", date(2025, 3, 1))


@tagged("post_install", "-at_install")
class TestCommissionSource(SalesperfAccountingCommon):
    """Credited lines of the three bases, computed by hand.

    Company currency XSA; XSB is worth 1/2 XSA in January and February
    (rate 2) and 1/4 XSA from 1 March (rate 4).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the cost of lines invoiced without a sale order (company-dependent)
        cls.product_y.with_company(cls.company).standard_price = 25.0

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _sources(self, period, basis, measure="revenue", users=None):
        return self.env["salesperf.commission.source"]._commission_sources(
            self.company, period.start, period.end, basis, measure, users=users
        )

    def _amounts(self, sources):
        """``{(user, key): amount}`` of the credited lines."""
        return {
            (user_id, line["key"]): line["amount"]
            for user_id, lines in sources.items()
            for line in lines
        }

    def _partial(self, invoice, payment):
        """The reconciliation of ``invoice`` with ``payment``."""
        return (invoice.line_ids.matched_credit_ids | invoice.line_ids.matched_debit_ids).filtered(
            lambda part: payment.move_id.line_ids & (part.debit_move_id | part.credit_move_id)
        )

    # ------------------------------------------------------------
    # ORDERED
    # ------------------------------------------------------------

    def test_ordered_foreign_currency_and_new_customer(self):
        order = self._create_order(
            self.sonia,
            self.customer_a,
            date(2025, 2, 10),
            [(self.product_x, 3, 100.0, 40.0)],
            pricelist=self.pricelist_xsb,
        )
        later = self._create_order(
            self.sonia, self.contact_a, date(2025, 3, 12), [(self.product_y, 2, 40.0, 25.0)]
        )
        feb = self._sources(FEBRUARY, "ordered")
        self.assertEqual(list(feb), [self.sonia.id])
        (line,) = feb[self.sonia.id]
        # 3 × 100 XSB at rate 2 = 150 XSA; margin 3 × (100 − 40) = 180 XSB = 90 XSA
        self.assertAlmostEqual(line["amount"], 150.0)
        self.assertAlmostEqual(
            self._sources(FEBRUARY, "ordered", "margin")[self.sonia.id][0]["amount"], 90.0
        )
        self.assertEqual(line["key"], f"sale.order.line,{order.order_line.id}")
        self.assertEqual(
            (line["source_model"], line["source_id"]), ("sale.order.line", order.order_line.id)
        )
        self.assertEqual(line["document"], order.name)
        self.assertEqual(line["date"], date(2025, 2, 10))
        self.assertEqual(line["share"], 1.0)
        self.assertEqual(line["product_id"], self.product_x.id)
        self.assertEqual(line["categ_id"], self.category.id)
        self.assertEqual(line["partner_id"], self.customer_a.id)
        self.assertEqual(line["team_id"], self.team_north.id)
        self.assertEqual(line["order_key"], f"sale.order,{order.id}")
        # Acme's first order is this one: new in February, no more in March
        # (the March order, to a contact of Acme, counts for the company Acme)
        self.assertTrue(line["is_new_customer"])
        (march_line,) = self._sources(MARCH, "ordered")[self.sonia.id]
        self.assertEqual(march_line["key"], f"sale.order.line,{later.order_line.id}")
        self.assertEqual(march_line["partner_id"], self.customer_a.id)
        self.assertFalse(march_line["is_new_customer"])
        # 2 × 40 XSA
        self.assertAlmostEqual(march_line["amount"], 80.0)
        # users narrows the salespeople; quotations never count
        self._create_order(
            self.sam,
            self.customer_b,
            date(2025, 2, 11),
            [(self.product_x, 1, 100.0, 40.0)],
            state="draft",
        )
        self.assertEqual(self._sources(FEBRUARY, "ordered", users=self.sam), {})
        self.assertEqual(
            list(self._sources(FEBRUARY, "ordered", users=self.sonia)), [self.sonia.id]
        )

    def test_ordered_company_time_zone_boundary(self):
        # 23:30 on 31 January in New York (UTC−5) is 04:30 on 1 February UTC
        self.company.partner_id.tz = "America/New_York"
        order = self._create_order(
            self.tom,
            self.customer_c,
            datetime(2025, 2, 1, 4, 30),
            [(self.product_y, 1, 40.0, 25.0)],
        )
        (line,) = self._sources(JANUARY, "ordered")[self.tom.id]
        self.assertEqual(line["source_id"], order.order_line.id)
        self.assertEqual(line["date"], date(2025, 1, 31))
        self.assertEqual(self._sources(FEBRUARY, "ordered"), {})

    # ------------------------------------------------------------
    # SPLITS
    # ------------------------------------------------------------

    def test_split_order_credits_each_share(self):
        order = self._create_order(
            self.sonia, self.customer_b, date(2025, 3, 3), [(self.product_x, 2, 100.0, 30.0)]
        )
        order.with_user(self.lena).write(
            {
                "salesperf_split_ids": [
                    Command.create({"user_id": self.sonia.id, "share": 60.0}),
                    Command.create({"user_id": self.sam.id, "share": 40.0}),
                ]
            }
        )
        key = f"sale.order.line,{order.order_line.id}"
        # revenue 2 × 100 = 200: Sonia 60 % = 120, Sam 40 % = 80
        self.assertEqual(
            self._amounts(self._sources(MARCH, "ordered")),
            {(self.sonia.id, key): 120.0, (self.sam.id, key): 80.0},
        )
        # margin 2 × (100 − 30) = 140: 84 and 56
        margins = self._sources(MARCH, "ordered", "margin")
        self.assertAlmostEqual(margins[self.sonia.id][0]["amount"], 84.0)
        self.assertAlmostEqual(margins[self.sam.id][0]["amount"], 56.0)
        self.assertAlmostEqual(margins[self.sam.id][0]["share"], 0.4)
        # Sam alone: his share only
        self.assertEqual(list(self._sources(MARCH, "ordered", users=self.sam)), [self.sam.id])
        # the order's invoice is split alike: 200 invoiced on 20 March
        invoice = self._invoice(order, date(2025, 3, 20))
        invoice_key = f"account.move.line,{invoice.invoice_line_ids.id}"
        self.assertEqual(
            self._amounts(self._sources(MARCH, "invoiced")),
            {(self.sonia.id, invoice_key): 120.0, (self.sam.id, invoice_key): 80.0},
        )
        # 60 / 40 edited into 50 / 50 in one save: never refused half-way
        sonia_split, sam_split = order.salesperf_split_ids.sorted("share", reverse=True)
        order.with_user(self.lena).write(
            {
                "salesperf_split_ids": [
                    Command.update(sonia_split.id, {"share": 50.0}),
                    Command.update(sam_split.id, {"share": 50.0}),
                ]
            }
        )
        self.env.flush_all()
        self.assertEqual(order.salesperf_split_ids.mapped("share"), [50.0, 50.0])

    def test_split_shares_must_total_100(self):
        order = self._create_order(
            self.sonia, self.customer_b, date(2025, 3, 3), [(self.product_x, 1, 100.0, 30.0)]
        )
        # the request fails and its transaction, split lines included, is rolled back
        with self.assertRaises(ValidationError) as refused:
            order.write(
                {
                    "salesperf_split_ids": [
                        Command.create({"user_id": self.sonia.id, "share": 60.0}),
                        Command.create({"user_id": self.sam.id, "share": 30.0}),
                    ]
                }
            )
        self.assertIn(f"order {order.name} total 90 %", str(refused.exception))
        self.assertFalse(
            self.env["salesperf.commission.split"].search([("order_id", "=", order.id)])
        )
        # lines created one by one outside the order: refused once written
        with self.assertRaises(ValidationError) as refused:
            self.env["salesperf.commission.split"].create(
                {"order_id": order.id, "user_id": self.sonia.id, "share": 60.0}
            )
            self.env.flush_all()
        self.assertIn(f"order {order.name} total 60 %", str(refused.exception))
        self.assertFalse(
            self.env["salesperf.commission.split"].search([("order_id", "=", order.id)])
        )
        # 33.33 + 33.33 + 33.34 is 100
        order.write(
            {
                "salesperf_split_ids": [
                    Command.create({"user_id": user.id, "share": share})
                    for user, share in ((self.sonia, 33.33), (self.sam, 33.33), (self.tom, 33.34))
                ]
            }
        )
        self.env.flush_all()
        self.assertEqual(len(order.salesperf_split_ids), 3)
        # taking one salesperson out leaves 33.33 + 33.33 = 66.66 %: refused
        with self.assertRaises(ValidationError) as refused:
            order.salesperf_split_ids.filtered(lambda split: split.user_id == self.tom).unlink()
            self.env.flush_all()
        self.assertIn("total 66.66 %", str(refused.exception))
        self.assertEqual(len(order.salesperf_split_ids), 3)
        # no split at all is allowed: the salesperson has it all
        order.salesperf_split_ids.unlink()
        self.env.flush_all()
        (line,) = self._sources(MARCH, "ordered")[self.sonia.id]
        self.assertEqual((line["share"], line["amount"]), (1.0, 100.0))

    @mute_logger("odoo.sql_db")
    def test_split_line_constraints_and_rights(self):
        order = self._create_order(
            self.sonia, self.customer_b, date(2025, 3, 3), [(self.product_x, 1, 100.0, 30.0)]
        )
        splits = self.env["salesperf.commission.split"]
        for share in (0.0, -10.0, 120.0):
            with self.subTest(share=share), self.assertRaises(IntegrityError):
                splits.create({"order_id": order.id, "user_id": self.sonia.id, "share": share})
                self.env.flush_all()
        with self.assertRaises(IntegrityError):
            splits.create(
                [
                    {"order_id": order.id, "user_id": self.sonia.id, "share": 50.0},
                    {"order_id": order.id, "user_id": self.sonia.id, "share": 50.0},
                ]
            )
            self.env.flush_all()
        # the salesperson of the order reads the split but may not change it
        split = splits.create({"order_id": order.id, "user_id": self.sonia.id, "share": 100.0})
        self.env.flush_all()
        self.assertEqual(split.with_user(self.sonia).share, 100.0)
        self.assertFalse(order.with_user(self.sonia).salesperf_can_edit_split)
        self.assertTrue(order.with_user(self.lena).salesperf_can_edit_split)
        with self.assertRaises(AccessError):
            split.with_user(self.sonia).write({"user_id": self.sam.id})
        with self.assertRaises(AccessError):
            order.with_user(self.sonia).write(
                {"salesperf_split_ids": [Command.update(split.id, {"user_id": self.sam.id})]}
            )
        # Tom, of another team, neither on the order nor in the split, does not see it
        self.assertFalse(splits.with_user(self.tom).search([("order_id", "=", order.id)]))

    # ------------------------------------------------------------
    # INVOICED
    # ------------------------------------------------------------

    def test_invoiced_foreign_currency_and_credit_note(self):
        order = self._create_order(
            self.sonia,
            self.customer_a,
            date(2025, 2, 10),
            [(self.product_x, 3, 100.0, 40.0)],
            pricelist=self.pricelist_xsb,
        )
        invoice = self._invoice(order, date(2025, 2, 20))
        refund = self._credit_note(order.order_line, 1, date(2025, 3, 10))
        fact_model = self.env["salesperf.invoice.fact"]
        invoice_fact = fact_model.search([("move_id", "=", invoice.id)])
        refund_fact = fact_model.search([("move_id", "=", refund.id)])
        # invoice: 3 × 100 XSB at the rate of 20 February (2) = 150 XSA; cost
        # 40 XSB at the order's rate (2) = 20 XSA × 3 = 60; margin 150 − 60 = 90
        self.assertRecordValues(
            invoice_fact,
            [
                {
                    "date": date(2025, 2, 20),
                    "move_type": "out_invoice",
                    "user_id": self.sonia.id,
                    "team_id": self.team_north.id,
                    "commercial_partner_id": self.customer_a.id,
                    "categ_id": self.category.id,
                    "order_id": order.id,
                    "sale_line_id": order.order_line.id,
                    "quantity": 3.0,
                    "revenue": 150.0,
                    "margin": 90.0,
                    "margin_percent": 60.0,
                }
            ],
        )
        # credit note: −1 × 100 XSB at the rate of 10 March (4) = −25 XSA;
        # cost −1 × 20 XSA; margin −25 − (−20) = −5
        self.assertRecordValues(
            refund_fact,
            [{"date": date(2025, 3, 10), "quantity": -1.0, "revenue": -25.0, "margin": -5.0}],
        )
        (feb_line,) = self._sources(FEBRUARY, "invoiced")[self.sonia.id]
        self.assertEqual(feb_line["key"], f"account.move.line,{invoice.invoice_line_ids.id}")
        self.assertEqual(feb_line["document"], invoice.name)
        self.assertEqual(feb_line["order_key"], f"account.move,{invoice.id}")
        self.assertAlmostEqual(feb_line["amount"], 150.0)
        self.assertTrue(feb_line["is_new_customer"])
        (mar_line,) = self._sources(MARCH, "invoiced", "margin")[self.sonia.id]
        self.assertEqual(mar_line["key"], f"account.move.line,{refund.invoice_line_ids.id}")
        self.assertAlmostEqual(mar_line["amount"], -5.0)
        self.assertAlmostEqual(mar_line["revenue"], -25.0)
        # Acme's first invoice was in February
        self.assertFalse(mar_line["is_new_customer"])

    def test_invoice_without_order_costs_the_standard_price(self):
        invoice = (
            self.env["account.move"]
            .with_company(self.company)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer_c.id,
                    "invoice_date": date(2025, 3, 4),
                    "invoice_user_id": self.tom.id,
                    "currency_id": self.currency_xsa.id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": self.product_y.id,
                                "quantity": 4,
                                "price_unit": 40.0,
                                "tax_ids": False,
                            }
                        )
                    ],
                }
            )
        )
        invoice.action_post()
        # 4 × 40 = 160; cost 4 × 25 (standard price) = 100; margin 60
        self.assertRecordValues(
            self.env["salesperf.invoice.fact"].search([("move_id", "=", invoice.id)]),
            [{"user_id": self.tom.id, "order_id": False, "revenue": 160.0, "margin": 60.0}],
        )
        (line,) = self._sources(MARCH, "invoiced", "margin")[self.tom.id]
        self.assertAlmostEqual(line["amount"], 60.0)

    def test_invoice_facts_equal_the_invoiced_revenue_kpi(self):
        order = self._create_order(
            self.sonia,
            self.customer_a,
            date(2025, 2, 10),
            [(self.product_x, 3, 100.0, 40.0)],
            pricelist=self.pricelist_xsb,
        )
        self._invoice(order, date(2025, 2, 20))
        self._credit_note(order.order_line, 1, date(2025, 3, 10))
        tom_order = self._create_order(
            self.tom, self.customer_c, date(2025, 3, 1), [(self.product_y, 5, 40.0, 25.0)]
        )
        self._invoice(tom_order, date(2025, 3, 2))
        kpi = self.env["salesperf.kpi"]
        # February: Sonia 150; March: Sonia −25, Tom 5 × 40 = 200
        expected = {
            FEBRUARY: {(self.sonia.id, self.company.id): 150.0},
            MARCH: {(self.sonia.id, self.company.id): -25.0, (self.tom.id, self.company.id): 200.0},
        }
        facts = self.env["salesperf.invoice.fact"]
        for period, by_user in expected.items():
            with self.subTest(period=period):
                kpis = kpi._compute_kpis(period, "user", self.company)
                self.assertEqual(
                    {
                        key: values["invoiced_revenue"]
                        for key, values in kpis.items()
                        if values["invoiced_revenue"]
                    },
                    by_user,
                )
                fact_sums = {
                    (user.id, company.id): revenue
                    for user, company, revenue in facts._read_group(
                        [
                            ("date", ">=", period.start),
                            ("date", "<=", period.end),
                            ("company_id", "=", self.company.id),
                        ],
                        ["user_id", "company_id"],
                        ["revenue:sum"],
                    )
                }
                self.assertEqual(fact_sums, by_user)
        # a salesperson reads only their own invoice facts; Lena all of them
        self.assertEqual(
            set(facts.with_user(self.tom).search([("company_id", "=", self.company.id)]).user_id),
            {self.tom},
        )
        self.assertEqual(
            set(facts.with_user(self.lena).search([("company_id", "=", self.company.id)]).user_id),
            {self.sonia, self.tom},
        )
        details = kpi._action_kpi_details(
            "invoiced_revenue", MARCH, "user", self.tom.id, self.company
        )
        self.assertEqual(details["res_model"], "salesperf.invoice.fact")
        self.assertEqual(len(facts.with_user(self.lena).search(details["domain"])), 1)

    # ------------------------------------------------------------
    # COLLECTED
    # ------------------------------------------------------------

    def test_collected_partial_payments(self):
        order = self._create_order(
            self.sonia,
            self.customer_a,
            date(2025, 2, 10),
            [(self.product_x, 3, 100.0, 40.0)],
            pricelist=self.pricelist_xsb,
        )
        invoice = self._invoice(order, date(2025, 2, 20))
        # 40 % then 60 % of the 300 XSB
        first = self._pay(invoice, 120.0, date(2025, 2, 25))
        second = self._pay(invoice, 180.0, date(2025, 3, 15))
        self.assertEqual(invoice.payment_state, "paid")
        line_id = invoice.invoice_line_ids.id
        first_key, second_key = (
            f"account.partial.reconcile,{self._partial(invoice, payment).id},"
            f"account.move.line,{line_id}"
            for payment in (first, second)
        )
        # the invoice booked 150 XSA (margin 90): 40 % is 60 (margin 36) on
        # 25 February; 60 % is 90 (margin 54) on 15 March, although the 180
        # XSB of March are worth 45 XSA at that day's rate: the part of the
        # invoice paid is what counts
        self.assertEqual(
            self._amounts(self._sources(FEBRUARY, "collected")), {(self.sonia.id, first_key): 60.0}
        )
        (march,) = self._sources(MARCH, "collected", "margin")[self.sonia.id]
        self.assertEqual(march["key"], second_key)
        self.assertEqual(march["source_model"], "account.partial.reconcile")
        self.assertEqual(march["date"], date(2025, 3, 15))
        self.assertEqual(march["document"], second.move_id.name)
        self.assertEqual(march["origin"], invoice.name)
        self.assertAlmostEqual(march["amount"], 54.0)
        self.assertAlmostEqual(march["revenue"], 90.0)
        # nothing collected in January, before the invoice
        self.assertEqual(self._sources(JANUARY, "collected"), {})

    def test_credit_note_reconciled_with_invoice_is_no_payment(self):
        order = self._create_order(
            self.sonia, self.customer_b, date(2025, 3, 2), [(self.product_x, 3, 100.0, 40.0)]
        )
        invoice = self._invoice(order, date(2025, 3, 3))
        refund = self._credit_note(order.order_line, 1, date(2025, 3, 5))
        (invoice | refund).line_ids.filtered(
            lambda line: line.account_type == "asset_receivable"
        ).reconcile()
        payment = self._pay(invoice, 200.0, date(2025, 3, 20))
        self.assertEqual(invoice.payment_state, "paid")
        # the credit note settles 100 of the 300 XSA but pays nothing: only
        # the payment of 200 counts: 300 × 200 / 300 = 200 on 20 March
        sources = self._sources(MARCH, "collected")
        self.assertEqual(
            [(line["document"], line["date"], line["amount"]) for line in sources[self.sonia.id]],
            [(payment.move_id.name, date(2025, 3, 20), 200.0)],
        )

    # ------------------------------------------------------------
    # SCALE
    # ------------------------------------------------------------

    def test_one_query_whatever_the_number_of_lines(self):
        def assert_one_query(basis):
            self.env.flush_all()
            self.env.invalidate_all()
            with self.assertQueryCount(__system__=1):
                return self._sources(MARCH, basis)

        x, y = self.product_x, self.product_y
        order = self._create_order(
            self.sonia, self.customer_a, date(2025, 3, 3), [(x, 1, 100.0, 30.0)]
        )
        self._pay(self._invoice(order, date(2025, 3, 4)), 100.0, date(2025, 3, 5))
        for basis in ("ordered", "invoiced", "collected"):
            with self.subTest(basis=basis):
                self.assertEqual(len(assert_one_query(basis)[self.sonia.id]), 1)
        for user in (self.sonia, self.sam, self.tom):
            order = self._create_order(
                user, self.customer_b, date(2025, 3, 10), [(x, 2, 100.0, 30.0), (y, 3, 40.0, 25.0)]
            )
            self._pay(self._invoice(order, date(2025, 3, 11)), 320.0, date(2025, 3, 12))
        for basis in ("ordered", "invoiced", "collected"):
            with self.subTest(basis=basis):
                # Sonia 1 + 2 lines, Sam and Tom 2 each
                self.assertEqual(
                    [len(lines) for lines in assert_one_query(basis).values()], [3, 2, 2]
                )
