# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date, datetime

from odoo import Command
from odoo.tests import tagged

from .common import SalesperfCommon


@tagged("post_install", "-at_install")
class TestSaleFact(SalesperfCommon):
    def test_one_fact_per_confirmed_sold_line(self):
        order = self._create_order(
            self.sonia,
            self.contact_a,
            date(2025, 3, 10),
            [(self.product_x, 2, 100.0, 60.0), (self.product_y, 5, 40.0, 25.0)],
        )
        order.order_line = [
            Command.create({"display_type": "line_section", "name": "Extras"}),
            Command.create({"display_type": "line_note", "name": "Delivered on Monday"}),
            Command.create(
                {
                    "product_id": self.product_x.id,
                    "is_downpayment": True,
                    "price_unit": 50.0,
                    "product_uom_qty": 0.0,
                    "tax_id": False,
                }
            ),
        ]
        self._create_order(
            self.sonia,
            self.customer_b,
            date(2025, 3, 11),
            [(self.product_x, 1, 100.0, 60.0)],
            state="draft",
        )
        self._create_order(
            self.sonia,
            self.customer_b,
            date(2025, 3, 12),
            [(self.product_x, 1, 100.0, 60.0)],
            state="cancel",
        )

        facts = self._facts()
        # Only the two product lines of the confirmed order: no section, note,
        # down payment, quotation or cancelled order.
        self.assertEqual(len(facts), 2)
        self.assertEqual(set(facts.mapped("res_id")), set(order.order_line[:2].ids))
        fact_x = facts.filtered(lambda f: f.product_id == self.product_x)
        fact_y = facts.filtered(lambda f: f.product_id == self.product_y)
        # X: 2 × 100 = 200 revenue, (100 - 60) × 2 = 80 margin
        self.assertRecordValues(
            fact_x,
            [
                {
                    "revenue": 200.0,
                    "margin": 80.0,
                    "quantity": 2.0,
                    "date": date(2025, 3, 10),
                    "channel": "direct",
                    "source": "sale",
                    "user_id": self.sonia.id,
                    "team_id": self.team_north.id,
                    "partner_id": self.contact_a.id,
                    "commercial_partner_id": self.customer_a.id,
                    "categ_id": self.category.id,
                    "currency_id": self.currency_xsa.id,
                    "order_name": order.name,
                    "order_reference": f"sale.order,{order.id}",
                }
            ],
        )
        # Y: 5 × 40 = 200 revenue, (40 - 25) × 5 = 75 margin
        self.assertRecordValues(fact_y, [{"revenue": 200.0, "margin": 75.0, "quantity": 5.0}])

    def test_foreign_currency_converted_at_order_date_rate(self):
        lines = [(self.product_x, 3, 100.0, 50.0)]
        february = self._create_order(
            self.sonia, self.customer_b, date(2025, 2, 15), lines, pricelist=self.pricelist_xsb
        )
        march = self._create_order(
            self.sonia, self.customer_b, date(2025, 3, 10), lines, pricelist=self.pricelist_xsb
        )
        self.assertEqual(february.currency_id, self.currency_xsb)
        facts = self._facts()
        # 15 Feb: rate 2.0 (set 1 Jan) → 3 × 100 = 300 XSB / 2 = 150 XSA;
        #         margin (100 - 50) × 3 = 150 XSB / 2 = 75 XSA
        # 10 Mar: rate 4.0 (set 1 Mar) → 300 / 4 = 75 XSA; margin 150 / 4 = 37.5 XSA
        self.assertRecordValues(
            facts.sorted("date"),
            [
                {
                    "date": date(2025, 2, 15),
                    "revenue": 150.0,
                    "margin": 75.0,
                    "order_reference": f"sale.order,{february.id}",
                },
                {
                    "date": date(2025, 3, 10),
                    "revenue": 75.0,
                    "margin": 37.5,
                    "order_reference": f"sale.order,{march.id}",
                },
            ],
        )

    def test_date_is_the_company_local_day(self):
        self.company.partner_id.tz = "Asia/Shanghai"  # UTC+8, no daylight saving
        # 31 Jan 20:00 UTC is 1 Feb 04:00 in Shanghai
        self._create_order(
            self.sonia,
            self.customer_b,
            datetime(2025, 1, 31, 20, 0),
            [(self.product_x, 1, 100.0, 60.0)],
        )
        self.assertEqual(self._facts().date, date(2025, 2, 1))

    def test_open_source_document(self):
        order = self._create_order(
            self.sonia, self.customer_b, date(2025, 3, 10), [(self.product_x, 1, 100.0, 60.0)]
        )
        action = self._facts().action_open_source()
        self.assertEqual((action["res_model"], action["res_id"]), ("sale.order", order.id))

    def test_no_point_of_sale_source_without_point_of_sale(self):
        if "pos.order" in self.env:
            self.skipTest("point_of_sale is installed here: TestPosFact covers this database")
        query = str(self.env["salesperf.sale.fact"]._table_query)
        self.assertNotIn("pos_order", query)
        self.assertFalse(self.env["salesperf.sale.fact"].search_count([("source", "=", "pos")]))
