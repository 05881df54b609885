# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date

from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import SalesperfCommon

FIELDS = [
    "name",
    "date",
    "user_id",
    "product_id",
    "quantity",
    "price_subtotal",
    "cost",
    "currency_id",
    "is_refund",
    "partner_id",
]
HEADER = ",".join(FIELDS)


@tagged("post_install", "-at_install")
class TestExternalSaleImport(SalesperfCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clerk = new_test_user(
            cls.env,
            login="clerk",
            name="Clerk",
            groups="base.group_user,salesperf_odoo.group_salesperf_manager",
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )

    def _import(self, rows):
        """Import CSV ``rows`` as the clerk, like the Import button does."""
        content = "\n".join([HEADER, *rows]).encode()
        wizard = (
            self.env["base_import.import"]
            .with_user(self.clerk)
            .create(
                {
                    "res_model": "salesperf.external.sale",
                    "file": content,
                    "file_type": "text/csv",
                    "file_name": "shop.csv",
                }
            )
        )
        options = {
            "has_headers": True,
            "separator": ",",
            "quoting": '"',
            "encoding": "utf-8",
            "date_format": "%Y-%m-%d",
            "float_decimal_separator": ".",
            "float_thousand_separator": "",
            "import_skip_records": [],
            "import_set_empty_fields": [],
            "fallback_values": {},
            "name_create_enabled_fields": {},
        }
        return wizard.execute_import(FIELDS, FIELDS, options)

    def _imported(self):
        return self.env["salesperf.external.sale"].search([("company_id", "=", self.company.id)])

    def test_valid_file_becomes_facts_in_company_currency(self):
        result = self._import(
            [
                "SHOP-1,2025-03-05,Sonia,Widget X,2,250,100,XSB,0,Bolt",
                "SHOP-1,2025-03-05,Sonia,Widget Y,1,40,10,XSA,0,Bolt",
                "SHOP-2,2025-03-06,Tom,Widget X,-1,-100,-60,XSA,1,Core",
            ]
        )
        self.assertEqual(result["messages"], [])
        lines = self._imported()
        self.assertEqual(len(lines), 3)
        self.assertEqual(lines.team_id, self.team_north | self.team_south)
        facts = self._facts(domain=[("source", "=", "external")])
        # Row 1: 250 XSB at 4.0 (rate of 1 Mar) = 62.5 XSA; margin (250 - 100) / 4 = 37.5
        # Row 2: 40 XSA; margin 40 - 10 = 30
        # Row 3: refund: -100 XSA, margin -(100 - 60) = -40, quantity -1
        self.assertRecordValues(
            facts.sorted(lambda f: (f.date, f.product_id.name)),
            [
                {
                    "date": date(2025, 3, 5),
                    "revenue": 62.5,
                    "margin": 37.5,
                    "quantity": 2.0,
                    "user_id": self.sonia.id,
                    "team_id": self.team_north.id,
                    "channel": "other",
                },
                {
                    "date": date(2025, 3, 5),
                    "revenue": 40.0,
                    "margin": 30.0,
                    "quantity": 1.0,
                    "user_id": self.sonia.id,
                    "team_id": self.team_north.id,
                    "channel": "other",
                },
                {
                    "date": date(2025, 3, 6),
                    "revenue": -100.0,
                    "margin": -40.0,
                    "quantity": -1.0,
                    "user_id": self.tom.id,
                    "team_id": self.team_south.id,
                    "channel": "other",
                },
            ],
        )
        # SHOP-1 has two lines: 2 distinct orders in all
        self.assertEqual(len(set(facts.mapped("order_reference"))), 2)

    @mute_logger("odoo.sql_db")  # the importer's first, batched insert fails on NOT NULL
    def test_file_with_errors_imports_nothing_and_reports_each_row(self):
        result = self._import(
            [
                "OK-1,2025-03-05,Sonia,Widget X,1,100,50,XSA,0,Bolt",
                "BAD-2,2025-03-05,Nobody,Widget X,1,100,50,XSA,0,Bolt",
                "BAD-3,2025-03-05,Sonia,Gizmo,1,100,50,XSA,0,Bolt",
                "BAD-4,2025-03-05,Sonia,Widget X,1,100,50,ZZZ,0,Bolt",
                "BAD-5,,Sonia,Widget X,1,100,50,XSA,0,Bolt",
                "BAD-6,2025-03-05,Sonia,Widget X,-3,100,50,XSA,0,Bolt",
            ]
        )
        by_row = {}
        for message in result["messages"]:
            self.assertEqual(message["type"], "error")
            by_row.setdefault(message["record"], []).append(message["message"])
        # every bad row is reported (0-based record index 1 to 5), the good one is not
        self.assertEqual(sorted(by_row), [1, 2, 3, 4, 5], result["messages"])
        for row, expected in [
            (1, "No matching record found for name 'Nobody' in field 'Salesperson'"),
            (2, "No matching record found for name 'Gizmo' in field 'Product'"),
            (3, "No matching record found for name 'ZZZ' in field 'Currency'"),
            (4, "Missing required value for the field 'Order Date'"),
            (5, "Line BAD-6 has a negative quantity (-3.0) but is not a refund"),
        ]:
            self.assertTrue(any(expected in text for text in by_row[row]), (row, by_row[row]))
        self.assertFalse(self._imported(), "a file with errors must import nothing")
        self.assertFalse(self._facts(domain=[("source", "=", "external")]))

    def test_negative_quantity_needs_refund(self):
        values = {
            "name": "X-1",
            "date": "2025-03-05",
            "user_id": self.sonia.id,
            "product_id": self.product_x.id,
            "quantity": -2,
            "price_subtotal": 10,
            "company_id": self.company.id,
        }
        # the savepoint rolls back like the failed request would
        with self.assertRaisesRegex(ValidationError, "negative quantity"), self.env.cr.savepoint():
            self.env["salesperf.external.sale"].with_user(self.clerk).create(values)
        self.assertFalse(self._imported())
        self.env["salesperf.external.sale"].with_user(self.clerk).create(
            dict(values, is_refund=True)
        )
        self.assertEqual(len(self._imported()), 1)

    def test_salesperson_of_another_company_is_refused(self):
        stranger = new_test_user(self.env, login="stranger", groups="base.group_user")
        with (
            self.assertRaisesRegex(ValidationError, "does not work for company"),
            self.env.cr.savepoint(),
        ):
            self.env["salesperf.external.sale"].create(
                {
                    "name": "X-2",
                    "date": "2025-03-05",
                    "user_id": stranger.id,
                    "product_id": self.product_x.id,
                    "quantity": 1,
                    "price_subtotal": 10,
                    "company_id": self.company.id,
                }
            )
