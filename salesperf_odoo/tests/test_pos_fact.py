# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Point of Sale lines among the facts.

Runs only where ``point_of_sale`` is installed (the test command builds a
second database with it); elsewhere the class is skipped as a whole and
``TestSaleFact.test_no_point_of_sale_source_without_point_of_sale`` runs.
"""

import unittest

from odoo.modules.registry import Registry
from odoo.tests import tagged
from odoo.tests.common import get_db_name

from odoo.addons.point_of_sale.tests.common import TestPoSCommon


@tagged("post_install", "-at_install")
class TestPosFact(TestPoSCommon):
    @classmethod
    def setUpClass(cls):
        # before any set-up: the Point of Sale fixtures need its models
        if "pos.order" not in Registry(get_db_name()):
            raise unittest.SkipTest("point_of_sale is not installed in this database")
        super().setUpClass()

    def setUp(self):
        super().setUp()
        self.config = self.basic_config

    def test_paid_pos_lines_are_facts(self):
        product = self.create_product("Salesperf POS Widget", self.categ_basic, 150.0, 90.0)
        customer = self.env["res.partner"].create({"name": "POS Customer"})
        self.open_new_session()
        orders = self._create_orders(
            [
                {
                    "pos_order_lines_ui_args": [(product, 2)],
                    "customer": customer,
                    "payments": [(self.cash_pm1, 300.0)],
                    "uuid": "00100-010-0001",
                },
            ]
        )
        order = orders["00100-010-0001"]
        self.assertIn(order.state, ("paid", "done", "invoiced"))
        facts = self.env["salesperf.sale.fact"].search(
            [("order_reference", "=", f"pos.order,{order.id}")]
        )
        # 2 × 150 = 300 revenue (no tax); cost 2 × 90 = 180, margin 300 - 180 = 120
        self.assertRecordValues(
            facts,
            [
                {
                    "source": "pos",
                    "channel": "pos",
                    "res_model": "pos.order.line",
                    "res_id": order.lines.id,
                    "revenue": 300.0,
                    "margin": 120.0,
                    "quantity": 2.0,
                    "product_id": product.id,
                    "commercial_partner_id": customer.id,
                    "user_id": order.user_id.id,
                    "company_id": order.company_id.id,
                }
            ],
        )
        self.assertIn("pos_order_line", str(self.env["salesperf.sale.fact"]._table_query))
