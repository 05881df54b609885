# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import base64
import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .common import SalesperfCommon, SalesperfRpcCase

STATEMENT = "salesperf.commission.statement"
EXPORT = "salesperf.commission.export"


def cents(value):
    """An amount to the cent, as a Decimal (from a float cell or field)."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


class CommissionExportCommon(SalesperfCommon):
    """Statements made from real orders, 10 % of the revenue ordered.

    Company 1 (XSA): Sonia and Sam; company 2 (XSB): Ugo.

    - Sonia, January: 3 × 100.00 + 2 × 40.25 = 380.50 → 30.00 + 8.05 = 38.05;
      confirmed, then an order of 50.00 dated 25 January arrives late.
    - Sam, January: 1 × 99.99 → 9.999 → 10.00.
    - Sonia, February: 2 × 100.00 → 20.00, plus the late January order
      (+5.00) and a manual clawback of January (−12.34) as adjustments:
      20.00 + 5.00 − 12.34 = 12.66.
    - Sam, February: nothing → 0.00.
    - Ugo, January (XSB): 4 × 125.00 = 500.00 → 50.00.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.env["res.company"].create(
            {"name": "Salesperf Second Company", "currency_id": cls.currency_xsb.id}
        )
        cls.company_2.partner_id.tz = "UTC"
        cls.ugo = new_test_user(
            cls.env,
            login="ugo",
            groups="sales_team.group_sale_salesman",
            name="Ugo",
            company_id=cls.company_2.id,
            company_ids=[Command.set(cls.company_2.ids)],
        )
        finance = "sales_team.group_sale_salesman,salesperf_odoo.group_salesperf_commission_manager"
        cls.finn = new_test_user(
            cls.env,
            login="finn",
            groups=finance,
            name="Finn",
            company_id=cls.company.id,
            company_ids=[Command.set((cls.company | cls.company_2).ids)],
        )
        # a Commission Manager of the first company only
        cls.fay = new_test_user(
            cls.env,
            login="fay",
            groups=finance,
            name="Fay",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.sonia.salesperf_payroll_ref = "EMP-001"
        cls.sam.salesperf_payroll_ref = "EMP-002"
        cls.ugo.salesperf_payroll_ref = "EMP-003"

        Plan = cls.env["salesperf.commission.plan"]
        plan, plan_2 = Plan.create(
            [
                {"name": "Flat 10 %", "company_id": company.id, "rate": 10.0}
                for company in (cls.company, cls.company_2)
            ]
        )
        (plan | plan_2).action_activate()
        cls.env["salesperf.commission.assignment"].create(
            [
                {"plan_id": plan.id, "user_id": user.id, "date_from": date(2025, 1, 1)}
                for user in (cls.sonia, cls.sam)
            ]
            + [{"plan_id": plan_2.id, "user_id": cls.ugo.id, "date_from": date(2025, 1, 1)}]
        )
        x, y = cls.product_x, cls.product_y
        cls._create_order(cls.sonia, cls.customer_a, date(2025, 1, 10), [(x, 3, 100.0, 60.0)])
        cls._create_order(cls.sonia, cls.customer_b, date(2025, 1, 20), [(y, 2, 40.25, 20.0)])
        cls._create_order(cls.sam, cls.customer_c, date(2025, 1, 15), [(x, 1, 99.99, 60.0)])
        cls._create_order(cls.sonia, cls.customer_a, date(2025, 2, 5), [(x, 2, 100.0, 60.0)])
        cls._create_order_2(date(2025, 1, 12), [(x, 4, 125.0, 60.0)])

        Statement = cls.env[STATEMENT]
        Statement._compute_period(cls.company, date(2025, 1, 15))
        Statement._compute_period(cls.company_2, date(2025, 1, 15))
        cls.sonia_jan = cls._statement(cls.sonia, 1)
        cls.sonia_jan.action_confirm()
        cls.late_order = cls._create_order(
            cls.sonia, cls.customer_c, date(2025, 1, 25), [(y, 1, 50.0, 20.0)]
        )
        Statement._compute_period(cls.company, date(2025, 2, 15))
        cls.sonia_jan._add_correction(-12.34, "Returned goods")
        cls.sam_jan = cls._statement(cls.sam, 1)
        cls.sonia_feb = cls._statement(cls.sonia, 2)
        cls.sam_feb = cls._statement(cls.sam, 2)
        cls.ugo_jan = cls._statement(cls.ugo, 1)
        cls.statements = cls.sonia_jan | cls.sam_jan | cls.sonia_feb | cls.sam_feb | cls.ugo_jan

    @classmethod
    def _statement(cls, user, month):
        return cls.env[STATEMENT].search(
            [("user_id", "=", user.id), ("date_from", "=", date(2025, month, 1))]
        )

    @classmethod
    def _create_order_2(cls, order_date, lines):
        pricelist = cls.env["product.pricelist"].create(
            {"name": "XSB 2", "currency_id": cls.currency_xsb.id, "company_id": cls.company_2.id}
        )
        team = cls.env["crm.team"].create(
            {
                "name": "East",
                "company_id": cls.company_2.id,
                "member_ids": [Command.set(cls.ugo.ids)],
            }
        )
        order = (
            cls.env["sale.order"]
            .with_company(cls.company_2)
            .create(
                {
                    "partner_id": cls.customer_a.id,
                    "user_id": cls.ugo.id,
                    "team_id": team.id,
                    "company_id": cls.company_2.id,
                    "pricelist_id": pricelist.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "product_uom_qty": quantity,
                                "price_unit": price,
                                "purchase_price": cost,
                                "tax_id": False,
                            }
                        )
                        for product, quantity, price, cost in lines
                    ],
                }
            )
        )
        order.action_confirm()
        order.date_order = f"{order_date} 10:00:00"
        return order

    def _export(self, statements, file_format="xlsx", user=None):
        """Export through the wizard's form, opened from the statement list."""
        Export = self.env[EXPORT].with_user(user or self.finn)
        form = Form(
            Export.with_context(active_model=STATEMENT, active_ids=statements.ids),
            view="salesperf_odoo.salesperf_commission_export_view_form",
        )
        form.file_format = file_format
        wizard = form.save()
        action = wizard.action_export()
        return wizard, action


@tagged("post_install", "-at_install")
class TestCommissionExport(CommissionExportCommon):
    def test_statements_as_computed(self):
        """The data under test, by hand (see the class docstring)."""
        self.assertEqual(self.sonia_jan.state, "confirmed")
        self.assertEqual(
            [cents(s.total_amount) for s in self.statements],
            [cents(v) for v in ("38.05", "10.00", "12.66", "0", "50.00")],
        )
        self.assertEqual(cents(self.sonia_feb.adjustment_amount), cents("-7.34"))
        self.assertEqual(cents(self.sonia_feb.clawback_amount), cents("-12.34"))

    def test_workbook_equals_statements(self):
        wizard, action = self._export(self.statements)
        self.assertEqual(wizard.file_name, "commissions_2025-01_2025-02.xlsx")
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertEqual(
            action["url"],
            f"/web/content/{EXPORT}/{wizard.id}/file_data/commissions_2025-01_2025-02.xlsx"
            "?download=true",
        )
        content = base64.b64decode(wizard.file_data)
        book = openpyxl.load_workbook(io.BytesIO(content))
        cached = openpyxl.load_workbook(io.BytesIO(content), data_only=True)
        self.assertEqual(book.sheetnames, ["Summary", "Lines", "Adjustments"])

        summary = book["Summary"]
        header = [cell.value for cell in summary[1]]
        col = {label: openpyxl.utils.get_column_letter(header.index(label) + 1) for label in header}
        # XSA first, by period then salesperson; then XSB; then one total per currency
        expected = [
            (self.sam_jan, "10.00", "Draft"),
            (self.sonia_jan, "38.05", "Confirmed"),
            (self.sam_feb, "0.00", "Draft"),
            (self.sonia_feb, "12.66", "Draft"),
            (self.ugo_jan, "50.00", "Draft"),
        ]
        self.assertEqual(summary.max_row, 1 + 5 + 2)
        fields = {
            "Commissionable Amount": "base_amount",
            "Commission": "commission_amount",
            "Bonuses": "bonus_amount",
            "Team Override": "override_amount",
            "Cap": "cap_amount",
            "Adjustments": "adjustment_amount",
            "of which Clawbacks": "clawback_amount",
            "Total Payable": "total_amount",
        }
        for row, (statement, total, status) in enumerate(expected, start=2):
            cell = {label: summary[f"{letter}{row}"].value for label, letter in col.items()}
            self.assertEqual(cell["Statement"], statement.name)
            self.assertEqual(cents(cell["Total Payable"]), cents(total))
            for label, field in fields.items():
                self.assertEqual(cents(cell[label] or 0), cents(statement[field]), label)
            self.assertEqual(cell["Status"], status)
            self.assertEqual(cell["Currency"], statement.currency_id.name)
            self.assertEqual(cell["Payroll Reference"], statement.user_id.salesperf_payroll_ref)
            self.assertEqual(cell["Period Start"].date(), statement.date_from)
            self.assertEqual(cell["Plan"], "Flat 10 %")
        # Sonia's February: 20.00 commission, +5.00 − 12.34 adjustments
        self.assertEqual(cents(summary[f"{col['Adjustments']}5"].value), cents("-7.34"))
        self.assertEqual(cents(summary[f"{col['of which Clawbacks']}5"].value), cents("-12.34"))

        total = col["Total Payable"]
        self.assertEqual(summary["A7"].value, "Total XSA")
        self.assertEqual(summary[f"{total}7"].value, f"=SUBTOTAL(9,{total}2:{total}5)")
        self.assertEqual(summary["A8"].value, "Total XSB")
        self.assertEqual(summary[f"{total}8"].value, f"=SUBTOTAL(9,{total}6:{total}6)")
        # the cells the XSA formula adds: 10.00 + 38.05 + 0.00 + 12.66 = 60.71,
        # the sum of the XSA statements, also the formula's stored value
        xsa = sum(cents(summary[f"{total}{row}"].value) for row in range(2, 6))
        self.assertEqual(xsa, cents("60.71"))
        self.assertEqual(xsa, cents(sum((self.statements - self.ugo_jan).mapped("total_amount"))))
        self.assertEqual(cents(cached["Summary"][f"{total}7"].value), cents("60.71"))
        self.assertEqual(cents(cached["Summary"][f"{total}8"].value), cents("50.00"))
        self.assertEqual(summary[f"{total}2"].number_format, '#,##0.00 "§"')
        self.assertEqual(summary[f"{total}6"].number_format, '#,##0.00 "¤"')
        self.assertEqual(summary.freeze_panes, "C2")
        self.assertEqual(summary.auto_filter.ref, f"A1:{openpyxl.utils.get_column_letter(19)}6")

        lines = book["Lines"]
        header = [cell.value for cell in lines[1]]
        amount = openpyxl.utils.get_column_letter(header.index("Amount") + 1)
        document = openpyxl.utils.get_column_letter(header.index("Document") + 1)
        source = openpyxl.utils.get_column_letter(header.index("Source Model") + 1)

        def column(label):
            return openpyxl.utils.get_column_letter(header.index(label) + 1)

        db_lines = self.statements.line_ids
        # 1 (Sam Jan) + 2 (Sonia Jan) + 3 (Sonia Feb) + 0 (Sam Feb) + 1 (Ugo): 7
        self.assertEqual(len(db_lines), 7)
        self.assertEqual(lines.max_row, 1 + 7 + 2)
        self.assertEqual(lines["A9"].value, "Total XSA")
        self.assertEqual(lines[f"{amount}9"].value, f"=SUBTOTAL(9,{amount}2:{amount}7)")
        # 10.00 + 30.00 + 8.05 + 5.00 − 12.34 + 20.00 = 60.71
        xsa_lines = sum(cents(lines[f"{amount}{row}"].value) for row in range(2, 8))
        self.assertEqual(xsa_lines, cents("60.71"))
        self.assertEqual(cents(lines[f"{amount}8"].value), cents("50.00"))
        # every line once, with its source: the same documents and amounts as
        # the statements' lines
        self.assertEqual(
            sorted(
                (lines[f"{document}{row}"].value, cents(lines[f"{amount}{row}"].value))
                for row in range(2, 9)
            ),
            sorted((line.document, cents(line.amount)) for line in db_lines),
        )
        # Sam's January line: Widget X sold to Core
        self.assertEqual(lines[f"{source}2"].value, "sale.order.line")
        self.assertEqual(lines[f"{column('Product')}2"].value, "Widget X")
        self.assertEqual(lines[f"{column('Customer')}2"].value, "Core")
        self.assertEqual(lines[f"{column('Rate')}2"].value, 0.1)
        self.assertEqual(lines[f"{column('Rule')}2"].value, "Plan rate")

        adjustments = book["Adjustments"]
        header = [cell.value for cell in adjustments[1]]
        get = {
            label: openpyxl.utils.get_column_letter(index + 1) for index, label in enumerate(header)
        }
        self.assertEqual(adjustments.max_row, 1 + 2 + 1)
        # by date: the late order (25 January) before the manual correction (31 January)
        self.assertEqual(cents(adjustments[f"{get['Amount']}2"].value), cents("5.00"))
        self.assertEqual(adjustments[f"{get['Document']}2"].value, self.late_order.name)
        self.assertEqual(adjustments[f"{get['Manual Correction']}2"].value, "No")
        self.assertEqual(cents(adjustments[f"{get['Amount']}3"].value), cents("-12.34"))
        self.assertEqual(adjustments[f"{get['Explanation']}3"].value, "Returned goods")
        self.assertEqual(adjustments[f"{get['Manual Correction']}3"].value, "Yes")
        for row in (2, 3):
            self.assertEqual(
                adjustments[f"{get['Corrects Statement']}{row}"].value, self.sonia_jan.name
            )
            self.assertEqual(adjustments[f"{get['Statement']}{row}"].value, self.sonia_feb.name)
        amount = get["Amount"]
        self.assertEqual(adjustments[f"{amount}4"].value, f"=SUBTOTAL(9,{amount}2:{amount}3)")

    def test_one_month_file_name(self):
        wizard, _action = self._export(self.sonia_feb | self.sam_feb)
        self.assertEqual(wizard.file_name, "commissions_2025-02.xlsx")

    def test_payroll_csv(self):
        wizard, _action = self._export(self.sonia_feb | self.sonia_jan | self.ugo_jan, "csv")
        self.assertEqual(wizard.file_name, "commissions_payroll_2025-01_2025-02.csv")
        rows = list(csv.reader(io.StringIO(base64.b64decode(wizard.file_data).decode("utf-8"))))
        self.assertEqual(
            rows[0],
            [
                "payroll_ref",
                "salesperson",
                "login",
                "company",
                "period_start",
                "period_end",
                "currency",
                "total_payable",
                "statement",
                "statement_id",
                "status",
            ],
        )
        self.assertEqual(
            rows[1:],
            [
                [
                    "EMP-001",
                    "Sonia",
                    "sonia",
                    "Salesperf Test Company",
                    "2025-01-01",
                    "2025-01-31",
                    "XSA",
                    "38.05",
                    self.sonia_jan.name,
                    str(self.sonia_jan.id),
                    "confirmed",
                ],
                [
                    "EMP-001",
                    "Sonia",
                    "sonia",
                    "Salesperf Test Company",
                    "2025-02-01",
                    "2025-02-28",
                    "XSA",
                    "12.66",
                    self.sonia_feb.name,
                    str(self.sonia_feb.id),
                    "draft",
                ],
                [
                    "EMP-003",
                    "Ugo",
                    "ugo",
                    "Salesperf Second Company",
                    "2025-01-01",
                    "2025-01-31",
                    "XSB",
                    "50.00",
                    self.ugo_jan.name,
                    str(self.ugo_jan.id),
                    "draft",
                ],
            ],
        )

    def test_payroll_csv_refused_without_references(self):
        self.sam.salesperf_payroll_ref = False
        self.ugo.salesperf_payroll_ref = "  "
        Export = self.env[EXPORT].with_user(self.finn)
        wizard = Export.create(
            {"statement_ids": [Command.set(self.statements.ids)], "file_format": "csv"}
        )
        with self.assertRaisesRegex(UserError, "no payroll reference: Sam, Ugo\\."):
            wizard.action_export()
        self.assertFalse(wizard.file_data)
        # the workbook does not need them
        wizard.file_format = "xlsx"
        wizard.action_export()
        self.assertTrue(wizard.file_data)

    def test_cancelled_statements_refused(self):
        self.sam_feb.action_cancel()
        wizard = (
            self.env[EXPORT]
            .with_user(self.finn)
            .create({"statement_ids": [Command.set(self.statements.ids)]})
        )
        with self.assertRaisesRegex(UserError, "Cancelled statements are not exported: Sam"):
            wizard.action_export()
        self.assertFalse(wizard.file_data)

    def test_only_allowed_companies(self):
        # Fay works in the first company only
        wizard = (
            self.env[EXPORT]
            .with_user(self.fay)
            .create({"statement_ids": [Command.set(self.statements.ids)]})
        )
        with self.assertRaisesRegex(AccessError, "1 of the selected statements"):
            wizard.action_export()
        self.assertFalse(wizard.file_data)
        # Finn, with only the first company switched on
        wizard = (
            self.env[EXPORT]
            .with_user(self.finn)
            .with_context(allowed_company_ids=self.company.ids)
            .create({"statement_ids": [Command.set(self.statements.ids)]})
        )
        with self.assertRaisesRegex(AccessError, "1 of the selected statements"):
            wizard.action_export()
        # the statements of her company are exported
        wizard, _action = self._export(self.sonia_jan | self.sam_jan, user=self.fay)
        summary = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)))["Summary"]
        self.assertEqual(summary.max_row, 1 + 2 + 1)

    def test_salesperson_cannot_export(self):
        Export = self.env[EXPORT].with_user(self.sonia)
        with self.assertRaises(AccessError):
            Export.create({"statement_ids": [Command.set(self.sonia_jan.ids)]})
        wizard = (
            self.env[EXPORT]
            .with_user(self.finn)
            .create({"statement_ids": [Command.set(self.sonia_jan.ids)]})
        )
        with self.assertRaisesRegex(AccessError, "Only a Commission Manager"):
            wizard.with_user(self.sonia).action_export()

    def test_queries_do_not_grow_with_lines(self):
        """The lines are read by one cursor, whatever their number: exporting
        7 lines or 12 takes as many queries."""
        wizard = (
            self.env[EXPORT]
            .with_user(self.finn)
            .create({"statement_ids": [Command.set(self.statements.ids)]})
        )
        self.assertEqual(len(self.statements.line_ids), 7)
        queries = self._count_export_queries(wizard)
        for amount in (1, 2, 3, 4, 5):
            self.sonia_jan._add_correction(amount, "More")
        self.assertEqual(len(self.statements.line_ids), 12)
        self.assertEqual(self._count_export_queries(wizard), queries)

    def _count_export_queries(self, wizard):
        """Queries of an export, once the caches of rights and translations are warm."""
        self.env.invalidate_all()
        wizard._write_file(io.BytesIO())
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        wizard._write_file(io.BytesIO())
        return self.env.cr.sql_log_count - before


@tagged("post_install", "-at_install")
class TestPayrollReference(SalesperfCommon):
    def test_who_sets_payroll_references(self):
        finn = new_test_user(
            self.env,
            login="finn",
            groups="sales_team.group_sale_salesman,salesperf_odoo.group_salesperf_commission_manager",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        # finance sets it, though it cannot edit users otherwise
        self.sam.with_user(finn).salesperf_payroll_ref = "EMP-002"
        self.assertEqual(self.sam.salesperf_payroll_ref, "EMP-002")
        with self.assertRaises(AccessError):
            self.sam.with_user(finn).write({"salesperf_payroll_ref": "X", "name": "Samuel"})
        # a salesperson neither reads nor sets it, not even their own
        with self.assertRaises(AccessError):
            self.sam.with_user(self.sam).salesperf_payroll_ref = "X"
        with self.assertRaises(AccessError):
            self.sam.with_user(self.sam).read(["salesperf_payroll_ref"])
        with self.assertRaises(AccessError):
            self.tom.with_user(self.sam).write({"salesperf_payroll_ref": "X"})
        self.assertEqual(self.sam.salesperf_payroll_ref, "EMP-002")
        # a user administrator sets it like any field of a user
        admin = new_test_user(self.env, login="ada", groups="base.group_erp_manager")
        self.tom.with_user(admin).salesperf_payroll_ref = "EMP-003"
        self.assertEqual(self.tom.salesperf_payroll_ref, "EMP-003")


@tagged("post_install", "-at_install")
class TestCommissionExportOverJsonRpc(SalesperfRpcCase, CommissionExportCommon):
    def assertRpcError(self, answer, error, message):
        self.assertIsInstance(answer, tuple, "the call should have failed")
        self.assertEqual(answer[0], f"odoo.exceptions.{error}", answer)
        self.assertRegex(answer[1], message)

    def test_rights_over_rpc(self):
        values = {"statement_ids": [[6, 0, self.statements.ids]], "file_format": "xlsx"}
        self.authenticate("sonia", "sonia")
        answer = self._call(EXPORT, "create", [values])
        self.assertRpcError(answer, "AccessError", "create")

        self.authenticate("finn", "finn")
        wizard_id = self._call(EXPORT, "create", [values])
        self.assertIsInstance(wizard_id, int)
        # the companies switched on count, whatever ids are sent
        answer = self._call(
            EXPORT,
            "action_export",
            [[wizard_id]],
            {"context": {"allowed_company_ids": [self.company.id]}},
        )
        self.assertRpcError(answer, "AccessError", "1 of the selected statements")
        action = self._call(EXPORT, "action_export", [[wizard_id]])
        response = self.url_open(action["url"])
        self.assertEqual(response.status_code, 200)
        self.assertIn("commissions_2025-01_2025-02.xlsx", response.headers["Content-Disposition"])
        summary = openpyxl.load_workbook(io.BytesIO(response.content))["Summary"]
        self.assertEqual(summary.max_row, 1 + 5 + 2)

        # the salesperson can neither run finance's wizard nor download its file
        self.authenticate("sonia", "sonia")
        answer = self._call(EXPORT, "action_export", [[wizard_id]])
        self.assertRpcError(answer, "AccessError", "Commission Manager|not allowed")
        self.assertEqual(self.url_open(action["url"]).status_code, 404)
