# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import base64
import io
from datetime import date, datetime, timedelta

import openpyxl
import psycopg2

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import SalesperfCommon

HEADER = (
    "External Reference,Order Reference,Date,Salesperson,Product,Quantity,Untaxed Amount,"
    "Cost,Currency,Refund,Customer,Team,Channel,Origin"
)


@tagged("post_install", "-at_install")
class TestExternalSaleImportWizard(SalesperfCommon):
    """The import wizard: all rows or none, names resolved per column, updates."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env["res.company"].create({"name": "Salesperf Other Company"})
        # an administrator of Sales Performance, and nothing more of Sales, who also
        # works for another company (the test company is their current one)
        cls.importer = new_test_user(
            cls.env,
            login="importer",
            name="Importer",
            groups="base.group_user,salesperf_odoo.group_salesperf_manager",
            company_id=cls.company.id,
            company_ids=[Command.set((cls.company | cls.other_company).ids)],
        )
        cls.product_x.default_code = "WX"
        cls.team_abroad = cls.env["crm.team"].create(
            {"name": "Abroad", "company_id": cls.other_company.id}
        )
        cls.stranger = new_test_user(
            cls.env,
            login="stranger",
            name="Stranger",
            groups="sales_team.group_sale_salesman",
            company_id=cls.other_company.id,
            company_ids=[Command.set(cls.other_company.ids)],
        )

    # ------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------

    def _wizard(self, content, file_name="shop.csv", user=None):
        return (
            self.env["salesperf.external.sale.import"]
            .with_user(user or self.importer)
            .create({"file": base64.b64encode(content), "file_name": file_name})
        )

    def test_import_screen_is_its_creators_only(self):
        # the uploaded file stays with who uploaded it
        wizard = self._wizard(HEADER.encode())
        other = self.importer.copy({"login": "other_importer"})
        Import = self.env["salesperf.external.sale.import"].with_user(other)
        self.assertFalse(Import.search([("id", "=", wizard.id)]))
        with self.assertRaises(AccessError):
            Import.browse(wizard.id).read(["file_name"])
        self.assertEqual(wizard.file_name, "shop.csv")

    def _import_csv(self, rows, header=HEADER):
        wizard = self._wizard("\n".join([header, *rows]).encode())
        wizard.action_import()
        return wizard

    def _lines(self):
        return self.env["salesperf.external.sale"].search(
            [("company_id", "=", self.company.id)], order="id"
        )

    def _errors(self, wizard):
        self.assertEqual(wizard.state, "error")
        return wizard.error_message.split("\n")

    # ------------------------------------------------------------
    # Valid files
    # ------------------------------------------------------------

    def test_csv_import_creates_lines_and_facts_in_company_currency(self):
        wizard = self._import_csv(
            [
                "S-1,SHOP-1,2025-03-05,Sonia,WX,2,250,100,XSB,0,Bolt,,,Web shop",
                "S-2,SHOP-1,2025-03-05,sonia,Widget Y,1,40,10,,no,Bolt,,marketplace,Web shop",
                "S-3,SHOP-2,2025-03-06,Tom,Widget X,-1,-100,-60,XSA,1,Core,North,Direct Sales,",
            ]
        )
        self.assertEqual(wizard.state, "done", wizard.error_message)
        self.assertRecordValues(
            wizard, [{"created_count": 3, "updated_count": 0, "unchanged_count": 0}]
        )
        lines = self._lines()
        self.assertRecordValues(
            lines,
            [
                # Sonia by name, product by internal reference, team from the salesperson
                {
                    "external_ref": "S-1",
                    "name": "SHOP-1",
                    "user_id": self.sonia.id,
                    "team_id": self.team_north.id,
                    "product_id": self.product_x.id,
                    "partner_id": self.customer_b.id,
                    "currency_id": self.currency_xsb.id,
                    "currency_rate": 4.0,  # XSB rate of 2025-03-01
                    "channel": "other",
                    "origin": "Web shop",
                    "create_uid": self.importer.id,
                },
                # Sonia by login, empty currency: the company's
                {
                    "external_ref": "S-2",
                    "name": "SHOP-1",
                    "user_id": self.sonia.id,
                    "team_id": self.team_north.id,
                    "product_id": self.product_y.id,
                    "partner_id": self.customer_b.id,
                    "currency_id": self.currency_xsa.id,
                    "currency_rate": 1.0,
                    "channel": "marketplace",
                    "origin": "Web shop",
                    "create_uid": self.importer.id,
                },
                # a team given explicitly wins over the salesperson's (South)
                {
                    "external_ref": "S-3",
                    "name": "SHOP-2",
                    "user_id": self.tom.id,
                    "team_id": self.team_north.id,
                    "product_id": self.product_x.id,
                    "partner_id": self.customer_c.id,
                    "currency_id": self.currency_xsa.id,
                    "currency_rate": 1.0,
                    "channel": "direct",
                    "origin": False,
                    "create_uid": self.importer.id,
                },
            ],
        )
        self.assertEqual(lines.company_id, self.company)
        facts = self._facts(domain=[("source", "=", "external")])
        # S-1: 250 XSB at 4.0 = 62.5 XSA; margin (250 - 100) / 4 = 37.5
        # S-2: 40 XSA; margin 40 - 10 = 30
        # S-3: refund: -100 XSA, margin -(100 - 60) = -40, quantity -1
        self.assertRecordValues(
            facts.sorted(lambda fact: (fact.date, fact.product_id.name)),
            [
                {"date": date(2025, 3, 5), "revenue": 62.5, "margin": 37.5, "quantity": 2.0},
                {"date": date(2025, 3, 5), "revenue": 40.0, "margin": 30.0, "quantity": 1.0},
                {"date": date(2025, 3, 6), "revenue": -100.0, "margin": -40.0, "quantity": -1.0},
            ],
        )
        # 62.5 + 40 - 100 = 2.5
        self.assertAlmostEqual(sum(facts.mapped("revenue")), 2.5)

    def test_xlsx_import(self):
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.append(HEADER.split(","))
        # real date and number cells, a boolean refund, a number as order reference
        sheet.append(
            ["X-1", 1001, datetime(2025, 2, 10), "tom", "WX", 3, 90.5, 30, "XSB", False, "Acme"]
        )
        sheet.append(
            ["X-2", 1002, "2025-03-10", "Sam", "Widget Y", 1, 20, None, "xsb", True, "Acme"]
        )
        content = io.BytesIO()
        workbook.save(content)
        wizard = self._wizard(content.getvalue(), file_name="shop.xlsx")
        wizard.action_import()
        self.assertEqual(wizard.state, "done", wizard.error_message)
        self.assertRecordValues(
            self._lines(),
            [
                {
                    "external_ref": "X-1",
                    "name": "1001",
                    "date": date(2025, 2, 10),
                    "user_id": self.tom.id,
                    "team_id": self.team_south.id,
                    "quantity": 3.0,
                    "price_subtotal": 90.5,
                    "cost": 30.0,
                    "is_refund": False,
                    "currency_rate": 2.0,  # XSB rate of 2025-01-01
                },
                {
                    "external_ref": "X-2",
                    "name": "1002",
                    "date": date(2025, 3, 10),
                    "user_id": self.sam.id,
                    "team_id": self.team_north.id,
                    "quantity": 1.0,
                    "price_subtotal": 20.0,
                    "cost": 0.0,
                    "is_refund": True,
                    "currency_rate": 4.0,  # XSB rate of 2025-03-01
                },
            ],
        )
        facts = self._facts(domain=[("source", "=", "external")]).sorted("date")
        # 90.5 XSB / 2 = 45.25 XSA; margin (90.5 - 30) / 2 = 30.25
        # refund of 20 XSB / 4 = -5 XSA; margin -(20 - 0) / 4 = -5
        self.assertEqual(facts.mapped("revenue"), [45.25, -5.0])
        self.assertEqual(facts.mapped("margin"), [30.25, -5.0])

    def test_reimport_updates_instead_of_duplicating(self):
        rows = [
            "R-1,SHOP-1,2025-03-05,Sonia,WX,2,100,50,XSA,0,Acme,,,",
            "R-2,SHOP-1,2025-03-05,Sonia,Widget Y,1,40,10,XSA,0,Acme,,,",
            "R-4,SHOP-4,2025-03-05,Tom,WX,1,40,10,XSB,0,,,,",
            "R-5,SHOP-5,2025-03-05,Tom,Widget Y,1,30,10,XSA,0,,,,",
            ",SHOP-9,2025-03-07,Tom,WX,1,10,5,XSA,0,,,,",
        ]
        self._import_csv(rows)
        self.assertEqual(len(self._lines()), 5)
        first_ids = self._lines().filtered("external_ref").ids
        # 3 pieces for 150, now in XSB; R-2 (XSA) and R-4 (XSB): 50 instead of 40;
        # R-5 unchanged; R-3 new; the row without reference cannot be recognised: it is
        # created again
        wizard = self._import_csv(
            [
                "R-1,SHOP-1,2025-03-05,Sonia,WX,3,150,75,XSB,0,Acme,,,",
                "R-2,SHOP-1,2025-03-05,Sonia,Widget Y,1,50,10,XSA,0,Acme,,,",
                "R-4,SHOP-4,2025-03-05,Tom,WX,1,50,10,XSB,0,,,,",
                rows[3],
                rows[4],
                "R-3,SHOP-2,2025-03-06,Tom,Widget Y,1,20,5,XSA,0,,,,",
            ]
        )
        self.assertRecordValues(
            wizard,
            [{"state": "done", "created_count": 2, "updated_count": 3, "unchanged_count": 1}],
        )
        lines = self._lines()
        # 5 lines + R-3 + the second line without reference = 7
        self.assertEqual(len(lines), 7)
        self.assertEqual(lines.filtered("external_ref")[:4].ids, first_ids)
        self.assertRecordValues(
            lines.filtered(lambda line: line.external_ref in ("R-1", "R-2", "R-4")),
            [
                {
                    "quantity": 3.0,
                    "price_subtotal": 150.0,
                    "cost": 75.0,
                    "currency_id": self.currency_xsb.id,
                    "currency_rate": 4.0,
                },
                {
                    "quantity": 1.0,
                    "price_subtotal": 50.0,
                    "cost": 10.0,
                    "currency_id": self.currency_xsa.id,
                    "currency_rate": 1.0,
                },
                {
                    "quantity": 1.0,
                    "price_subtotal": 50.0,
                    "cost": 10.0,
                    "currency_id": self.currency_xsb.id,
                    "currency_rate": 4.0,
                },
            ],
        )
        facts = self._facts(domain=[("source", "=", "external")])
        # R-1 150 XSB / 4 = 37.5; R-2 50; R-4 50 XSB / 4 = 12.5; R-5 30; the two lines
        # without reference 10 + 10; R-3 20: 37.5 + 50 + 12.5 + 30 + 20 + 20 = 170
        self.assertAlmostEqual(sum(facts.mapped("revenue")), 170.0)

    def test_imported_line_is_stored_like_a_created_one(self):
        """The wizard inserts in bulk: what it stores must be what create() stores."""
        self._import_csv(
            ["P-1,SHOP-1,2025-03-05,Sonia,WX,1.23456,10.005,3.3333,XSB,0,Acme,,ecommerce,Web"]
        )
        imported = self._lines()
        created = (
            self.env["salesperf.external.sale"]
            .with_user(self.importer)
            .create(
                {
                    "external_ref": "P-2",
                    "name": "SHOP-1",
                    "date": "2025-03-05",
                    "user_id": self.sonia.id,
                    "product_id": self.product_x.id,
                    "quantity": 1.23456,
                    "price_subtotal": 10.005,
                    "cost": 3.3333,
                    "currency_id": self.currency_xsb.id,
                    "is_refund": False,  # the wizard always gives the flag
                    "partner_id": self.customer_a.id,
                    "channel": "ecommerce",
                    "origin": "Web",
                }
            )
        )
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT * FROM salesperf_external_sale WHERE id IN %s ORDER BY id",
            [(imported.id, created.id)],
        )
        columns = [column.name for column in self.env.cr.description]
        stored = [
            {name: value for name, value in zip(columns, row, strict=True) if name != "id"}
            for row in self.env.cr.fetchall()
        ]
        self.assertEqual(stored[0], dict(stored[1], external_ref="P-1"))
        # amounts rounded to the cent of XSB (half up): 10.005 -> 10.01, 3.3333 -> 3.33;
        # same user and transaction time in the log fields
        self.assertRecordValues(
            imported,
            [
                {
                    "price_subtotal": 10.01,
                    "cost": 3.33,
                    "currency_rate": 4.0,
                    "team_id": self.team_north.id,
                    "company_id": self.company.id,
                    "create_uid": self.importer.id,
                    "write_uid": self.importer.id,
                }
            ],
        )

    def test_currency_rates_are_those_of_odoo(self):
        """Rates asked once per period between two rate dates give Odoo's rate of the day."""
        days = [date(2024, 12, 30) + timedelta(days=n) for n in range(70)]
        keys = [
            (self.company, currency, day)
            for currency in (self.currency_xsa, self.currency_xsb)
            for day in days
        ]
        rates = self.env["salesperf.external.sale"]._currency_rates(keys)
        convert = self.env["res.currency"]._get_conversion_rate
        for company, currency, day in keys:
            expected = convert(company.currency_id, currency, company, day)
            self.assertEqual(rates[company, currency, day], expected, (currency.name, day))
        # by hand, XSB: before its first rate, that first rate (2.0); 2.0 from 2025-01-01,
        # 4.0 from 2025-03-01; XSA is the company currency: 1.0
        self.assertEqual(rates[self.company, self.currency_xsb, date(2024, 12, 30)], 2.0)
        self.assertEqual(rates[self.company, self.currency_xsb, date(2025, 2, 28)], 2.0)
        self.assertEqual(rates[self.company, self.currency_xsb, date(2025, 3, 1)], 4.0)
        self.assertEqual(rates[self.company, self.currency_xsa, date(2025, 3, 1)], 1.0)

    # ------------------------------------------------------------
    # Invalid files: nothing imported, every problem reported
    # ------------------------------------------------------------

    def test_bad_rows_near_the_end_import_nothing_and_are_all_reported(self):
        good = [f"G-{n},SHOP-{n},2025-03-05,Sonia,WX,1,100,50,XSA,0,Acme,,," for n in range(40)]
        bad = [
            "B-1,SHOP-B1,2025-03-05,Nobody,WX,1,100,50,XSA,0,Acme,,,",
            "B-2,SHOP-B2,2025-03-05,Sonia,Gizmo,1,100,50,XSA,0,Acme,,,",
            "B-3,SHOP-B3,2025-03-05,Sonia,WX,1,100,50,ZZZ,0,Acme,,,",
            "B-4,SHOP-B4,05/03/2025,Sonia,WX,1,100,50,XSA,0,Acme,,,",
            "B-5,SHOP-B5,2025-03-05,Sonia,WX,1,1 000,50,XSA,0,Acme,,,",
            "B-6,,2025-03-05,Sonia,WX,1,100,50,XSA,0,Acme,,,",
            "B-7,SHOP-B7,2025-03-05,Sonia,WX,-2,100,50,XSA,0,Acme,,,",
            "B-8,SHOP-B8,2025-03-05,Stranger,WX,1,100,50,XSA,0,Acme,,,",
            "B-9,SHOP-B9,2025-03-05,Sonia,WX,1,100,50,XSA,0,Acme,Abroad,,",
            "B-10,SHOP-B10,2025-03-05,Sonia,WX,1,100,50,XSA,0,Nemo,Nowhere,,",
            "B-11,SHOP-B11,2025-03-05,Sonia,WX,1,100,50,XSA,maybe,Acme,,tv,",
            "B-12,SHOP-B12,2025-03-05,roamer,WX,1,100,50,XSA,0,Acme,,,",
        ]
        # works for both companies, but their team is of the other one
        roamer = new_test_user(
            self.env,
            login="roamer",
            groups="sales_team.group_sale_salesman",
            company_id=self.other_company.id,
            company_ids=[Command.set((self.company | self.other_company).ids)],
        )
        self.team_abroad.member_ids = [Command.set(roamer.ids)]
        # header = line 1, good rows lines 2-39, bad rows 40-51, one more good row 52
        wizard = self._import_csv([*good[:38], *bad, good[38]])
        self.assertEqual(
            self._errors(wizard),
            [
                "Line 40: Salesperson 'Nobody': no internal user has this name or login.",
                (
                    "Line 41: Product 'Gizmo': no product of company Salesperf Test Company "
                    "has this internal reference or name."
                ),
                "Line 42: Currency 'ZZZ' is not a currency code (e.g. EUR).",
                "Line 43: Date '05/03/2025' is not a date (expected YYYY-MM-DD).",
                (
                    "Line 44: Untaxed Amount '1 000' is not a number (expected e.g. 1234.56, "
                    "with a dot and no thousands separator)."
                ),
                "Line 45: Order Reference is required.",
                (
                    "Line 46: Quantity -2 is negative but the row is not a refund: mark it as a "
                    "refund or enter a positive figure."
                ),
                "Line 47: Salesperson 'Stranger' does not work for company Salesperf Test Company.",
                "Line 48: Team 'Abroad' belongs to another company than Salesperf Test Company.",
                (
                    "Line 49: Customer 'Nemo': no contact of company Salesperf Test Company has "
                    "this name or reference."
                ),
                "Line 49: Team 'Nowhere': no sales team has this name.",
                (
                    "Line 50: Refund 'maybe' is neither yes nor no (expected 1 or 0, yes or no, "
                    "true or false)."
                ),
                (
                    "Line 50: Channel 'tv' is not a channel (expected one of: direct, ecommerce, "
                    "marketplace, other, pos)."
                ),
                (
                    "Line 51: the team of salesperson 'roamer' belongs to another company than "
                    "Salesperf Test Company: give a team in a column Team."
                ),
            ],
        )
        self.assertEqual(wizard.error_count, 14)
        self.assertFalse(self._lines(), "a file with errors must import nothing")
        self.assertFalse(self._facts(domain=[("source", "=", "external")]))

    def test_duplicate_external_reference_in_one_file(self):
        wizard = self._import_csv(
            [
                "D-1,SHOP-1,2025-03-05,Sonia,WX,1,100,50,XSA,0,,,,",
                "D-2,SHOP-1,2025-03-05,Sonia,WX,1,100,50,XSA,0,,,,",
                "D-1,SHOP-2,2025-03-06,Sonia,WX,1,100,50,XSA,0,,,,",
            ]
        )
        self.assertEqual(
            self._errors(wizard),
            [
                (
                    "Line 4: External Reference 'D-1' is already on line 2: a line of the source "
                    "system is imported once."
                )
            ],
        )
        self.assertFalse(self._lines())

    def test_nan_and_infinite_amounts_are_refused(self):
        wizard = self._import_csv(
            [
                "N-1,SHOP-1,2025-03-05,Sonia,WX,1,nan,50,XSA,0,,,,",
                "N-2,SHOP-1,2025-03-05,Sonia,WX,inf,100,50,XSA,0,,,,",
                "N-3,SHOP-1,2025-03-05,Sonia,WX,1,100,-Infinity,XSA,1,,,,",
                "N-4,SHOP-1,2025-03-05,Sonia,WX,1,1e999,50,XSA,0,,,,",
            ]
        )
        self.assertEqual(
            self._errors(wizard),
            [
                "Line 2: Untaxed Amount 'nan' is not a finite number.",
                "Line 3: Quantity 'inf' is not a finite number.",
                "Line 4: Cost '-Infinity' is not a finite number.",
                "Line 5: Untaxed Amount '1e999' is not a finite number.",
            ],
        )
        self.assertFalse(self._lines())

    def test_ambiguous_names_and_missing_columns(self):
        self.env["product.product"].create({"name": "Widget Y", "default_code": "WY2"})
        for login in ("twin.1", "twin.2"):
            new_test_user(
                self.env,
                login=login,
                name="Twin",
                groups="sales_team.group_sale_salesman",
                company_id=self.company.id,
                company_ids=[Command.set(self.company.ids)],
            )
        wizard = self._import_csv(
            [
                "A-1,SHOP-1,2025-03-05,Sonia,Widget Y,1,100,50,XSA,0,,,,",
                "A-2,SHOP-1,2025-03-05,Twin,WY2,1,100,50,XSA,0,,,,",
                "A-3,SHOP-1,2025-03-05,twin.2,WY2,1,100,50,XSA,0,,,,",
            ]
        )
        # the login of a twin resolves (line 4)
        self.assertEqual(
            self._errors(wizard),
            [
                (
                    "Line 2: Product 'Widget Y' is the name of several products: give the "
                    "internal reference."
                ),
                "Line 3: Salesperson 'Twin' is the name of several users: give their login.",
            ],
        )
        wizard = self._import_csv(
            ["SHOP-1,2025-03-05,Sonia,1,100"], header="Order Reference,Date,Salesperson,Qty,Amount"
        )
        errors = self._errors(wizard)
        self.assertEqual(
            errors[:5],
            [
                "Line 1: unknown column 'Qty'.",
                "Line 1: unknown column 'Amount'.",
                "Line 1: column 'Product' is missing.",
                "Line 1: column 'Quantity' is missing.",
                "Line 1: column 'Untaxed Amount' is missing.",
            ],
        )
        self.assertIn(
            "Expected columns (* required): External Reference, Order Reference *", errors[5]
        )
        self.assertFalse(self._lines())

    # ------------------------------------------------------------
    # Security and integrity
    # ------------------------------------------------------------

    def test_salesperson_cannot_import(self):
        content = f"{HEADER}\nS-1,SHOP-1,2025-03-05,Sonia,WX,1,100,50,XSA,0,,,,".encode()
        with self.assertRaises(AccessError):
            self._wizard(content, user=self.sonia)
        wizard = self._wizard(content)
        with self.assertRaises(AccessError):
            wizard.with_user(self.sonia).action_import()
        self.assertFalse(self._lines())

    def test_company_is_the_current_one_and_allowed(self):
        content = f"{HEADER}\nS-1,SHOP-1,2025-03-05,Sonia,WX,1,100,50,XSA,0,,,,".encode()
        wizard = self._wizard(content)
        self.assertEqual(wizard.company_id, self.company)
        # a company the importer does not work for, sent by a client, is refused
        main_company = self.env.ref("base.main_company")
        with self.assertRaises(AccessError):
            wizard.with_context(allowed_company_ids=main_company.ids).action_import()
        # with the other company as current company, lines would go there: Sonia and
        # product WX (of no company) are checked against it
        other = self.other_company
        wizard.with_context(allowed_company_ids=(other | self.company).ids).action_import()
        self.assertEqual(
            self._errors(wizard),
            ["Line 2: Salesperson 'Sonia' does not work for company Salesperf Other Company."],
        )
        self.assertFalse(self.env["salesperf.external.sale"].search([]).filtered("external_ref"))

    @mute_logger("odoo.sql_db")
    def test_unique_index_refuses_a_duplicate_reference(self):
        values = {
            "external_ref": "U-1",
            "name": "SHOP-1",
            "date": "2025-03-05",
            "user_id": self.sonia.id,
            "product_id": self.product_x.id,
            "quantity": 1,
            "price_subtotal": 10,
            "company_id": self.company.id,
        }
        Line = self.env["salesperf.external.sale"].with_user(self.importer)
        first = Line.create(values)
        # the ORM without the wizard's check: the index refuses, with a clear message
        with (
            self.assertRaisesRegex(ValidationError, r"already has this external reference"),
            self.env.cr.savepoint(),
        ):
            Line.create(values)
        with self.assertRaisesRegex(ValidationError, "already has"), self.env.cr.savepoint():
            Line.create(dict(values, external_ref="U-2")).write({"external_ref": "U-1"})
        # and so does the database itself, whatever writes to it
        with self.assertRaises(psycopg2.errors.UniqueViolation), self.env.cr.savepoint():
            self.env.cr.execute(
                "INSERT INTO salesperf_external_sale (external_ref, name, date, user_id,"
                " product_id, quantity, price_subtotal, currency_id, company_id, channel)"
                " SELECT external_ref, name, date, user_id, product_id, quantity,"
                " price_subtotal, currency_id, company_id, channel"
                " FROM salesperf_external_sale WHERE id = %s",
                [first.id],
            )
        # lines without reference may repeat; the same reference in another company too
        Line.create([dict(values, external_ref=False), dict(values, external_ref=False)])
        self.env["salesperf.external.sale"].create(
            dict(values, company_id=self.other_company.id, user_id=self.stranger.id)
        )
        self.assertEqual(len(self._lines()), 3)

    # ------------------------------------------------------------
    # Performance
    # ------------------------------------------------------------

    def test_queries_do_not_grow_with_the_number_of_rows(self):
        def rows(count, prefix):
            # the same names, currencies and dates, however many rows
            return [
                f"{prefix}-{n},SHOP-{n},2025-03-0{1 + n % 3},{('Sonia', 'tom')[n % 2]},"
                f"{('WX', 'Widget Y')[n % 2]},1,100,50,{('XSA', 'XSB')[n % 2]},0,"
                f"{('Acme', 'Bolt')[n % 2]},{('North', '')[n % 2]},,"
                for n in range(count)
            ]

        def queries(count, prefix, check_only=False):
            content = "\n".join([HEADER, *rows(count, prefix)]).encode()
            wizard = self._wizard(content)
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            if check_only:
                header, file_rows = wizard._read_file()
                lines, errors = wizard._prepare_lines(header, file_rows, self.company)
                self.assertEqual((len(lines), errors), (count, []))
            else:
                wizard.action_import()
                self.assertEqual(wizard.state, "done", wizard.error_message)
                self.env.flush_all()
            return self.env.cr.sql_log_count - before

        queries(5, "warm-up")  # caches of the registry (access rights, precisions...)
        # checking the file: one search per name column, whatever the number of rows
        self.assertEqual(queries(10, "A", check_only=True), queries(100, "B", check_only=True))
        # the whole import: 100 rows still fit one INSERT
        self.assertEqual(queries(10, "C"), queries(100, "D"))
        self.assertEqual(len(self._lines()), 5 + 10 + 100)
