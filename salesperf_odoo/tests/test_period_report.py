# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import base64
import io
from datetime import date, datetime
from unittest.mock import patch

import openpyxl
from lxml import html

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, freeze_time, new_test_user, tagged
from odoo.tools import mute_logger

from ..engine.periods import period_containing
from .common import SalesperfCommon, SalesperfRpcCase

REPORT = "salesperf_odoo.action_report_salesperf_period"


class PeriodReportCommon(SalesperfCommon):
    """March 2026 (company currency XSA, no rate: 1.0; time zone UTC).

    Orders (revenue / margin in XSA):
      2025-03-10 Sonia → Acme  X 1×100 cost 60            100 /  40  (last year)
      2026-02-10 Sonia → Acme  X 4×100 cost 60            400 / 160  (previous month)
      2026-02-12 Sam   → Bolt  Y 10×40 cost 25            400 / 150  (previous month)
      2026-03-05 Sonia → Acme  X 3×100 cost 60 + Y 5×40 cost 25: 500 / 195
      2026-03-12 Sam   → Bolt  X 2×100 cost 60            200 /  80
      2026-03-20 Tom   → Core  Z 4×100 cost 62.5          400 / 150
    March 2026: company 1100, North (Sonia, Sam) 700, Sonia 500, Sam 200, Tom 400.
    Targets of March 2026 on revenue: Sonia 1000, Sam 250, team North 1000.
    Leo leads North with "own documents" rights; Lena sees all documents.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gadgets = cls.env["product.category"].create({"name": "Salesperf Gadgets"})
        cls.product_z = cls.env["product.product"].create(
            {
                "name": "Gadget Z",
                "categ_id": cls.gadgets.id,
                "list_price": 100.0,
                "taxes_id": False,
            }
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
        order = cls._create_order
        x, y, z = cls.product_x, cls.product_y, cls.product_z
        order(cls.sonia, cls.customer_a, date(2025, 3, 10), [(x, 1, 100.0, 60.0)])
        order(cls.sonia, cls.customer_a, date(2026, 2, 10), [(x, 4, 100.0, 60.0)])
        order(cls.sam, cls.customer_b, date(2026, 2, 12), [(y, 10, 40.0, 25.0)])
        order(
            cls.sonia, cls.customer_a, date(2026, 3, 5), [(x, 3, 100.0, 60.0), (y, 5, 40.0, 25.0)]
        )
        order(cls.sam, cls.customer_b, date(2026, 3, 12), [(x, 2, 100.0, 60.0)])
        order(cls.tom, cls.customer_c, date(2026, 3, 20), [(z, 4, 100.0, 62.5)])
        target = {
            "metric": "revenue",
            "period_kind": "month",
            "date_from": date(2026, 3, 1),
            "company_id": cls.company.id,
        }
        cls.env["salesperf.target"].create(
            [
                {**target, "scope": "user", "user_id": cls.sonia.id, "amount": 1000.0},
                {**target, "scope": "user", "user_id": cls.sam.id, "amount": 250.0},
                {**target, "scope": "team", "team_id": cls.team_north.id, "amount": 1000.0},
            ]
        )
        cls.march = period_containing("month", date(2026, 3, 1))

    def _data(self, user, scope, team=None, salesperson=None, period=None):
        return (
            self.env["salesperf.period.report"]
            .with_user(user)
            .with_company(self.company)
            ._report_data(scope, period or self.march, self.company, team=team, user=salesperson)
        )

    def _wizard(self, user, **values):
        return (
            self.env["salesperf.period.report.wizard"]
            .with_user(user)
            .with_company(self.company)
            .create(
                {
                    "period_kind": "month",
                    "reference_date": date(2026, 3, 15),
                    "company_id": self.company.id,
                    **values,
                }
            )
        )

    @staticmethod
    def _kpi(data, code):
        return next(row for row in data["kpis"] if row["code"] == code)


@tagged("post_install", "-at_install")
@freeze_time("2026-04-15 12:00:00")
class TestPeriodReport(PeriodReportCommon):
    def test_company_figures_by_hand(self):
        data = self._data(self.lena, "company")
        self.assertEqual(
            data["scope"], {"kind": "company", "id": self.company.id, "name": self.company.name}
        )
        self.assertEqual(data["period"]["label"], "March 2026")
        self.assertEqual(data["period"]["previous_label"], "February 2026")
        self.assertEqual(data["period"]["last_year_label"], "March 2025")
        self.assertFalse(data["period"]["in_progress"])
        revenue = self._kpi(data, "revenue")
        # 500 + 200 + 400 = 1100; February 400 + 400 = 800; March 2025: 100
        self.assertAlmostEqual(revenue["current"], 1100.0)
        self.assertAlmostEqual(revenue["previous"], 800.0)
        self.assertAlmostEqual(revenue["last_year"], 100.0)
        # (1100 - 800) / 800 = 0.375; (1100 - 100) / 100 = 10
        self.assertAlmostEqual(revenue["change_previous"], 0.375)
        self.assertAlmostEqual(revenue["change_last_year"], 10.0)
        self.assertEqual(revenue["tone_previous"], "good")
        # margin 195 + 80 + 150 = 425 of 1100: 0.386363...
        self.assertAlmostEqual(self._kpi(data, "margin")["current"], 425.0)
        self.assertAlmostEqual(self._kpi(data, "margin_percent")["current"], 425 / 1100)
        self.assertEqual(self._kpi(data, "margin_percent")["unit"], "percent")
        # 3 orders; 1100 / 3
        self.assertEqual(self._kpi(data, "orders")["current"], 3)
        self.assertAlmostEqual(self._kpi(data, "average_order_value")["current"], 1100 / 3)
        # channels: everything sold by sales orders
        self.assertEqual(len(data["channels"]), 1)
        self.assertAlmostEqual(data["channels"][0]["revenue"], 1100.0)
        self.assertAlmostEqual(data["channels"][0]["share"], 1.0)
        # categories: Widgets 500 + 200 = 700, Gadgets 400
        categories = {row["label"]: row for row in data["categories"]}
        self.assertAlmostEqual(categories["Salesperf Widgets"]["revenue"], 700.0)
        self.assertAlmostEqual(categories["Salesperf Gadgets"]["share"], 400 / 1100)
        # customers: Acme 500 (1 order), Core 400, Bolt 200
        self.assertEqual(
            [(row["name"], row["revenue"], row["orders"]) for row in data["top_customers"]],
            [("Acme", 500.0, 1), ("Core", 400.0, 1), ("Bolt", 200.0, 1)],
        )
        # products: X 300 + 200 = 500 (5 units), Z 400 (4), Y 200 (5)
        self.assertEqual(
            [(row["name"], row["revenue"], row["quantity"]) for row in data["top_products"]],
            [("Widget X", 500.0, 5.0), ("Gadget Z", 400.0, 4.0), ("Widget Y", 200.0, 5.0)],
        )
        # trend: 24 months ending in March 2026, last year's March 2025 under it
        trend = data["trend"]
        self.assertEqual(len(trend["months"]), 24)
        self.assertEqual(trend["months"][0], date(2024, 4, 1))
        self.assertEqual(trend["months"][-1], date(2026, 3, 1))
        self.assertEqual(trend["revenue"][-2:], [800.0, 1100.0])
        self.assertEqual(trend["last_year"][-1], 100.0)
        # no company target
        self.assertEqual(trend["target"][-1], None)
        self.assertEqual(data["targets"], [])
        self.assertIn("<svg", data["charts"]["trend"])
        self.assertIn("Salesperf Gadgets", data["charts"]["categories"])
        self.assertIsNone(data["forecast"])
        self.assertIsNone(data["commission"])
        self.assertIsNone(data["scorecards"])

    def test_team_targets_ranking_and_highlights(self):
        data = self._data(self.lena, "team", team=self.team_north)
        # North: 500 + 200 = 700; February 400 + 400 = 800: (700 - 800) / 800 = -0.125
        revenue = self._kpi(data, "revenue")
        self.assertAlmostEqual(revenue["current"], 700.0)
        self.assertAlmostEqual(revenue["change_previous"], -0.125)
        self.assertEqual(revenue["tone_previous"], "bad")
        [target] = data["targets"]
        # closed period: expected = the whole target, 700 / 1000 = 0.7
        self.assertEqual(target["metric"], "revenue")
        self.assertAlmostEqual(target["attainment"], 0.7)
        self.assertAlmostEqual(target["expected"], 1000.0)
        self.assertAlmostEqual(target["pacing"], 0.7)
        self.assertEqual((target["status"], target["status_label"]), ("done", "Not reached"))
        self.assertEqual(data["trend"]["target"][-1], 1000.0)
        # ranking by attainment: Sam 200 / 250 = 0.8, Sonia 500 / 1000 = 0.5
        ranking = data["ranking"]
        self.assertTrue(ranking["shown"])
        self.assertTrue(ranking["amounts_shown"])
        self.assertEqual(
            [(row["rank"], row["name"], row["revenue"]) for row in ranking["rows"]],
            [(1, "Sam", 200.0), (2, "Sonia", 500.0)],
        )
        self.assertAlmostEqual(ranking["rows"][0]["attainment"], 0.8)
        highlights = " ".join(data["highlights"]).replace("\xa0", " ")
        # Sonia 500 - 400 = +100; Sam 200 - 400 = -200
        self.assertIn("Largest gain by salesperson: Sonia, +100.00", highlights)
        self.assertIn("Largest drop by salesperson: Sam, −200.00", highlights)
        # both missed their target (closed period)
        self.assertIn("Missed their revenue target: Sam (80.0 %), Sonia (50.0 %).", highlights)

    def test_period_in_progress_is_paced(self):
        """April 2026 on 15 April: 11 of its 22 working days have passed
        (1-3, 6-10, 13-15 of the 22 weekdays 1-3, 6-10, 13-17, 20-24, 27-30)."""
        april = period_containing("month", date(2026, 4, 1))
        self.env["salesperf.target"].create(
            {
                "scope": "user",
                "user_id": self.sonia.id,
                "metric": "revenue",
                "period_kind": "month",
                "date_from": april.start,
                "amount": 1000.0,
                "company_id": self.company.id,
            }
        )
        self._create_order(
            self.sonia, self.customer_a, date(2026, 4, 2), [(self.product_x, 1, 100.0, 60.0)]
        )
        # 20 March: after the 15th, outside the like-for-like comparison
        self._create_order(
            self.sonia, self.customer_a, date(2026, 3, 20), [(self.product_y, 1, 40.0, 25.0)]
        )
        data = self._data(self.sonia, "user", salesperson=self.sonia, period=april)
        self.assertTrue(data["period"]["in_progress"])
        [target] = data["targets"]
        # expected 1000 × 11 / 22 = 500; 100 / 500 = 0.2: behind
        self.assertAlmostEqual(target["expected"], 500.0)
        self.assertAlmostEqual(target["pacing"], 0.2)
        self.assertAlmostEqual(target["attainment"], 0.1)
        self.assertEqual(target["status"], "behind")
        # like for like: 1-15 April (100) against 1-15 March (500: the order
        # of the 5th; the 20th is after the 15th)
        revenue = self._kpi(data, "revenue")
        self.assertAlmostEqual(revenue["previous"], 500.0)
        self.assertAlmostEqual(revenue["change_previous"], -0.8)
        highlights = " ".join(data["highlights"]).replace("\xa0", " ")
        self.assertIn("April 2026 is in progress: its 15 days so far", highlights)
        self.assertIn("Behind the pace of their revenue target: Sonia (10.0 %).", highlights)

    def test_time_zone_of_the_company(self):
        """An order at 2026-03-31 20:00 UTC is on 1 April in Auckland (UTC+13)."""
        company = self.env["res.company"].create(
            {"name": "Salesperf Auckland", "currency_id": self.currency_xsa.id}
        )
        company.partner_id.tz = "Pacific/Auckland"
        kiri = new_test_user(
            self.env,
            login="kiri",
            groups="sales_team.group_sale_salesman_all_leads",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )
        pricelist = self.env["product.pricelist"].create(
            {"name": "NZ", "currency_id": self.currency_xsa.id, "company_id": company.id}
        )
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer_a.id,
                "user_id": kiri.id,
                "company_id": company.id,
                "pricelist_id": pricelist.id,
                "order_line": [
                    Command.create(
                        {"product_id": self.product_x.id, "product_uom_qty": 2, "price_unit": 100.0}
                    )
                ],
            }
        )
        order.action_confirm()
        order.date_order = datetime(2026, 3, 31, 20, 0)
        report = self.env["salesperf.period.report"].with_user(kiri).with_company(company)
        april = report._report_data(
            "company", period_containing("month", date(2026, 4, 1)), company
        )
        # 2 × 100 = 200 in April, in progress on 15 April
        self.assertAlmostEqual(self._kpi(april, "revenue")["current"], 200.0)
        self.assertTrue(april["period"]["in_progress"])
        with self.assertRaisesRegex(UserError, "nothing to report"):
            report._report_data("company", self.march, company)

    def test_empty_period_gives_a_clear_message_and_writes_nothing(self):
        wizard = self._wizard(
            self.lena, scope="user", user_id=self.tom.id, reference_date=date(2026, 1, 10)
        )
        attachments = self.env["ir.attachment"].search_count([])
        with self.assertRaisesRegex(
            UserError, "There is nothing to report for Tom in January 2026"
        ):
            wizard.action_export_xlsx()
        with self.assertRaisesRegex(UserError, "nothing to report"):
            wizard.action_print_pdf()
        self.assertFalse(wizard.file_data)
        self.assertEqual(self.env["ir.attachment"].search_count([]), attachments)

    def test_workbook_equals_the_kpis_to_the_cent(self):
        wizard = self._wizard(self.lena, scope="team", team_id=self.team_north.id)
        action = wizard.action_export_xlsx()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertIn(f"/{wizard.id}/file_data/", action["url"])
        self.assertTrue(wizard.file_name.endswith(".xlsx"))
        book = openpyxl.load_workbook(
            io.BytesIO(base64.b64decode(wizard.file_data)), data_only=True
        )
        summary = book.worksheets[0]
        rows = {}
        for row in summary.iter_rows(values_only=True):
            if row and isinstance(row[0], str) and row[0] not in rows and len(row) > 5:
                rows[row[0]] = row
        data = wizard._report_data()
        for kpi in data["kpis"]:
            row = rows[kpi["label"]]
            for col, key in ((1, "current"), (2, "previous"), (3, "last_year")):
                if kpi[key] is None:
                    self.assertIn(row[col], (None, ""))
                else:
                    self.assertAlmostEqual(row[col], kpi[key], places=2, msg=kpi["code"])
        # by hand: North 700 in March, 800 in February, 100 in March 2025
        revenue = rows["Revenue"]
        self.assertEqual(round(revenue[1], 2), 700.00)
        self.assertEqual(round(revenue[2], 2), 800.00)
        self.assertEqual(round(revenue[3], 2), 100.00)
        # the changes' cached results: -0.125 and (700 - 100) / 100 = 6
        self.assertAlmostEqual(revenue[4], -0.125)
        self.assertAlmostEqual(revenue[5], 6.0)
        self.assertEqual(round(rows["Margin"][1], 2), 275.00)  # 195 + 80

    def test_company_workbook_lists_who_is_not_ranked(self):
        wizard = self._wizard(self.lena, scope="company")
        wizard.action_export_xlsx()
        book = openpyxl.load_workbook(
            io.BytesIO(base64.b64decode(wizard.file_data)), data_only=True
        )
        names = [
            cell
            for row in book["Ranking"].iter_rows(values_only=True)
            for cell in row
            if isinstance(cell, str)
        ]
        # Sam and Sonia ranked by attainment; Tom without a target is listed
        self.assertLess(names.index("Sam"), names.index("Sonia"))
        self.assertIn("Tom", names)

    def test_pdf_html_shows_the_figures(self):
        wizard = self._wizard(self.lena, scope="company")
        action = wizard.action_print_pdf()
        self.assertEqual(action["report_name"], "salesperf_odoo.report_salesperf_period")
        content, _kind = (
            self.env["ir.actions.report"]
            .with_user(self.lena)
            .with_company(self.company)
            ._render_qweb_html(REPORT, wizard.ids)
        )
        tree = html.fromstring(content)

        def text(xpath):
            return " ".join(tree.xpath(xpath)[0].text_content().split()).replace("\xa0", " ")

        self.assertIn(
            "Sales Performance Report: Salesperf Test Company, March 2026", content.decode()
        )
        # revenue 1100, +37.5 % on February's 800, +1,000.0 % on March 2025's 100
        revenue = "//table[@name='kpis']//tr[@data-kpi='revenue']"
        self.assertEqual(text(f"{revenue}/td[@name='current']"), "1,100.00 §")
        self.assertEqual(text(f"{revenue}/td[4]"), "+37.5 %")
        self.assertEqual(text(f"{revenue}/td[6]"), "+1,000.0 %")
        self.assertIn("text-success", tree.xpath(f"{revenue}/td[4]")[0].get("class"))
        self.assertEqual(text("//table[@name='kpis']//tr[@data-kpi='orders']/td[2]"), "3")
        self.assertIn("Acme", text("//table[@name='top_customers']"))
        self.assertIn("500.00 §", text("//table[@name='top_customers']"))
        self.assertTrue(tree.xpath("//div[@name='trend_chart']/svg"))
        self.assertIn("Largest gain by product category", text("//ul[@name='highlights']"))
        self.assertFalse(tree.xpath("//table[@name='scorecards']"))


@tagged("post_install", "-at_install")
@freeze_time("2026-04-15 12:00:00")
class TestPeriodReportRights(PeriodReportCommon):
    def test_salesperson_reports_on_herself_only(self):
        data = self._data(self.sonia, "user", salesperson=self.sonia)
        self.assertAlmostEqual(self._kpi(data, "revenue")["current"], 500.0)
        [target] = data["targets"]
        self.assertAlmostEqual(target["attainment"], 0.5)  # 500 / 1000
        for scope, values in (
            ("user", {"salesperson": self.sam}),
            ("team", {"team": self.team_north}),
            ("company", {}),
        ):
            with self.subTest(scope=scope), self.assertRaises(AccessError):
                self._data(self.sonia, scope, **values)

    def test_ranking_amounts_follow_the_company_setting(self):
        self.company.salesperf_ranking_show_amounts = False
        ranking = self._data(self.sonia, "user", salesperson=self.sonia)["ranking"]
        self.assertFalse(ranking["amounts_shown"])
        rows = {row["name"]: row for row in ranking["rows"]}
        # her own amounts, Sam's rank and attainment only
        self.assertEqual(rows["Sonia"]["revenue"], 500.0)
        self.assertTrue(rows["Sonia"]["is_reader"])
        self.assertIsNone(rows["Sam"]["revenue"])
        self.assertIsNone(rows["Sam"]["target"])
        self.assertAlmostEqual(rows["Sam"]["attainment"], 0.8)
        self.assertIn("hidden", ranking["note"])
        # the highlights of her own report name nobody else
        highlights = " ".join(self._data(self.sonia, "user", salesperson=self.sonia)["highlights"])
        self.assertNotIn("Sam", highlights)
        # who sees all documents sees every amount
        ranking = self._data(self.lena, "team", team=self.team_north)["ranking"]
        self.assertEqual({row["revenue"] for row in ranking["rows"]}, {500.0, 200.0})

    def test_team_leader_sees_his_team_and_members_only(self):
        # Leo reads his own documents only, yet his team's report is the team's
        data = self._data(self.leo, "team", team=self.team_north)
        self.assertAlmostEqual(self._kpi(data, "revenue")["current"], 700.0)
        data = self._data(self.leo, "user", salesperson=self.sam)
        self.assertAlmostEqual(self._kpi(data, "revenue")["current"], 200.0)
        for scope, values in (
            ("user", {"salesperson": self.tom}),
            ("team", {"team": self.team_south}),
            ("company", {}),
        ):
            with self.subTest(scope=scope), self.assertRaises(AccessError):
                self._data(self.leo, scope, **values)

    def test_wizard_defaults_follow_who_reads(self):
        """The last closed month (15 April: March), and the scope each user
        may report on: Sonia herself, Leo his team, Lena the company."""
        sonia = self.env["salesperf.period.report.wizard"].with_user(self.sonia).create({})
        self.assertEqual(sonia.reference_date, date(2026, 3, 31))
        self.assertEqual((sonia.date_from, sonia.date_to), (date(2026, 3, 1), date(2026, 3, 31)))
        self.assertEqual((sonia.scope, sonia.user_id), ("user", self.sonia))
        self.assertTrue(sonia.is_own_only)
        leo = self.env["salesperf.period.report.wizard"].with_user(self.leo).create({})
        self.assertEqual((leo.scope, leo.team_id), ("team", self.team_north))
        self.assertFalse(leo.is_own_only)
        lena = self.env["salesperf.period.report.wizard"].with_user(self.lena).create({})
        self.assertEqual(lena.scope, "company")

    def test_salesperson_exports_her_report_through_the_form(self):
        with Form(self.env["salesperf.period.report.wizard"].with_user(self.sonia)) as form:
            # she reports on herself only: the scope and person are not hers to change
            self.assertTrue(form._get_modifier("scope", "readonly"))
            self.assertTrue(form._get_modifier("user_id", "readonly"))
            self.assertFalse(form._get_modifier("team_id", "required"))
            form.period_kind = "quarter"
        wizard = form.record
        wizard.action_export_xlsx()
        book = openpyxl.load_workbook(
            io.BytesIO(base64.b64decode(wizard.file_data)), data_only=True
        )
        revenue = next(
            row for row in book["Summary"].iter_rows(values_only=True) if row[0] == "Revenue"
        )
        # Q1 2026: her 400 in February + 500 in March = 900
        self.assertEqual(round(revenue[1], 2), 900.00)
        self.assertIn("Sonia Q1 2026", wizard.file_name)

    def test_forged_wizard_values_grant_nothing(self):
        other = self.env["res.company"].create({"name": "Salesperf Elsewhere"})
        # a team chosen by the client, a context that means nothing to the report
        wizard = self._wizard(
            self.sonia.with_context(salesperf_elevated=True),
            scope="team",
            team_id=self.team_north.id,
        )
        with self.assertRaises(AccessError):
            wizard.action_export_xlsx()
        self.assertFalse(wizard.file_data)
        # a company she does not work for
        with self.assertRaises(AccessError):
            self.env["salesperf.period.report"].with_user(self.sonia)._report_data(
                "company", self.march, other
            )
        # another user's wizard stays his
        lena_wizard = self._wizard(self.lena, scope="company")
        with self.assertRaises(AccessError):
            self.env["ir.actions.report"].with_user(self.sonia)._render_qweb_html(
                REPORT, lena_wizard.ids
            )

    def test_queries_do_not_grow_with_the_lines(self):
        """Same number of queries for 3 and for 30 order lines."""
        period = period_containing("month", date(2026, 3, 1))
        report = self.env["salesperf.period.report"].with_user(self.lena).with_company(self.company)

        def count():
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            report._report_data("team", period, self.company, team=self.team_south)
            return self.cr.sql_log_count - before

        # South has 1 order of 1 line (Tom); 2 more lines: 3 lines
        self._create_order(
            self.tom, self.customer_c, date(2026, 3, 21), [(self.product_x, 1, 10.0, 1.0)] * 2
        )
        count()  # warm the caches
        with_3 = count()
        self._create_order(
            self.tom, self.customer_a, date(2026, 3, 22), [(self.product_y, 1, 10.0, 1.0)] * 27
        )
        self.env.invalidate_all()
        with self.assertQueryCount(with_3):
            report._report_data("team", period, self.company, team=self.team_south)


@tagged("post_install", "-at_install")
@freeze_time("2026-04-15 12:00:00")
class TestPeriodReportSummedTargets(PeriodReportCommon):
    """Quarters and years without a target of their own, from the monthly
    and quarterly targets that tile them. Q1 2026 sales: Sonia 400 (Feb) +
    500 (Mar) = 900, Sam 400 (Feb) + 200 (Mar) = 600, Tom 400 (Mar); March
    targets already set: Sonia 1000, Sam 250, team North 1000."""

    @classmethod
    def _targets(cls, owner, kind, amounts):
        """Revenue targets of ``owner`` (a user or a team): ``{start: amount}``."""
        field = "team_id" if owner._name == "crm.team" else "user_id"
        return cls.env["salesperf.target"].create(
            [
                {
                    "scope": "team" if field == "team_id" else "user",
                    field: owner.id,
                    "metric": "revenue",
                    "period_kind": kind,
                    "date_from": start,
                    "amount": amount,
                    "company_id": cls.company.id,
                }
                for start, amount in amounts.items()
            ]
        )

    def _quarter(self, day):
        return period_containing("quarter", day)

    def test_quarter_sums_its_three_monthly_targets(self):
        self._targets(self.sonia, "month", {date(2026, 1, 1): 1200.0, date(2026, 2, 1): 800.0})
        q1 = self._quarter(date(2026, 1, 1))
        data = self._data(self.sonia, "user", salesperson=self.sonia, period=q1)
        [target] = data["targets"]
        self.assertEqual(target["label"], "Revenue (sum of monthly targets)")
        # 1200 + 800 + 1000 (March) = 3000; actual 400 + 500 = 900: 900 / 3000 = 0.3
        self.assertAlmostEqual(target["target"], 3000.0)
        self.assertAlmostEqual(target["actual"], 900.0)
        self.assertAlmostEqual(target["attainment"], 0.3)
        # a closed quarter: every month due in full, 3000; 900 / 3000 = 0.3
        self.assertAlmostEqual(target["expected"], 3000.0)
        self.assertAlmostEqual(target["pacing"], 0.3)
        self.assertEqual((target["status"], target["status_label"]), ("done", "Not reached"))

    def test_quarter_with_a_month_missing_has_no_target(self):
        # Sam: January 300 and March 250, no February target: no Q1 target
        self._targets(self.sam, "month", {date(2026, 1, 1): 300.0})
        q1 = self._quarter(date(2026, 1, 1))
        data = self._data(self.sam, "user", salesperson=self.sam, period=q1)
        self.assertEqual(data["targets"], [])
        # his ranking (team North, Sonia has only March either): by revenue
        self.assertIn("nobody has a revenue target", data["ranking"]["note"])
        self.assertEqual({row["target"] for row in data["ranking"]["rows"]}, {None})

    def test_own_quarter_target_comes_before_the_months(self):
        # North: a Q1 target of 2000 and its months 900 + 900 + 1000 (March)
        self._targets(self.team_north, "quarter", {date(2026, 1, 1): 2000.0})
        self._targets(self.team_north, "month", {date(2026, 1, 1): 900.0, date(2026, 2, 1): 900.0})
        q1 = self._quarter(date(2026, 1, 1))
        [target] = self._data(self.lena, "team", team=self.team_north, period=q1)["targets"]
        # the quarter's own 2000, not 2800; North 900 + 600 = 1500: 0.75
        self.assertEqual(target["label"], "Revenue")
        self.assertAlmostEqual(target["target"], 2000.0)
        self.assertAlmostEqual(target["attainment"], 0.75)

    def test_year_from_quarters_else_months(self):
        # Sonia's 2025: 100 in March 2025
        year = period_containing("year", date(2025, 1, 1))
        quarters = self._targets(
            self.sonia,
            "quarter",
            {
                date(2025, 1, 1): 100.0,
                date(2025, 4, 1): 200.0,
                date(2025, 7, 1): 300.0,
                date(2025, 10, 1): 400.0,
            },
        )
        [target] = self._data(self.lena, "user", salesperson=self.sonia, period=year)["targets"]
        # 100 + 200 + 300 + 400 = 1000; 100 / 1000 = 0.1
        self.assertEqual(target["label"], "Revenue (sum of quarterly targets)")
        self.assertAlmostEqual(target["target"], 1000.0)
        self.assertAlmostEqual(target["attainment"], 0.1)
        # without Q4: not covered, no year target (a partial 600 is not shown)
        quarters[-1].unlink()
        data = self._data(self.lena, "user", salesperson=self.sonia, period=year)
        self.assertEqual(data["targets"], [])
        # Q4 from October and November only: still not covered
        self._targets(self.sonia, "month", {date(2025, 10, 1): 100.0, date(2025, 11, 1): 150.0})
        data = self._data(self.lena, "user", salesperson=self.sonia, period=year)
        self.assertEqual(data["targets"], [])
        # with December: 100 + 200 + 300 + (100 + 150 + 150) = 1000
        self._targets(self.sonia, "month", {date(2025, 12, 1): 150.0})
        [target] = self._data(self.lena, "user", salesperson=self.sonia, period=year)["targets"]
        self.assertEqual(target["label"], "Revenue (sum of quarterly and monthly targets)")
        self.assertAlmostEqual(target["target"], 1000.0)
        self.assertAlmostEqual(target["attainment"], 0.1)

    def test_quarter_ranking_uses_the_summed_targets(self):
        self._targets(self.sonia, "month", {date(2026, 1, 1): 1200.0, date(2026, 2, 1): 800.0})
        self._targets(self.sam, "month", {date(2026, 1, 1): 300.0, date(2026, 2, 1): 350.0})
        q1 = self._quarter(date(2026, 1, 1))
        ranking = self._data(self.lena, "team", team=self.team_north, period=q1)["ranking"]
        # Sam 600 / (300 + 350 + 250 = 900) = 0.666..., Sonia 900 / 3000 = 0.3
        self.assertEqual(
            [(row["rank"], row["name"], row["target"]) for row in ranking["rows"]],
            [(1, "Sam", 900.0), (2, "Sonia", 3000.0)],
        )
        self.assertAlmostEqual(ranking["rows"][0]["attainment"], 600 / 900)
        self.assertAlmostEqual(ranking["rows"][1]["attainment"], 0.3)
        self.assertIn("ranked by attainment", ranking["note"])
        self.assertIn("sum of the three monthly targets", ranking["note"])

    def test_quarter_in_progress_paces_each_month(self):
        """Q2 2026 on Friday 15 May: April closed (22 working days), May
        11 of its 21 working days (1, 4-8, 11-15 of the weekdays 1, 4-8,
        11-15, 18-22, 25-29), June not begun."""
        self._targets(
            self.sonia,
            "month",
            {date(2026, 4, 1): 1000.0, date(2026, 5, 1): 1200.0, date(2026, 6, 1): 800.0},
        )
        x = self.product_x
        self._create_order(self.sonia, self.customer_a, date(2026, 4, 10), [(x, 15, 50.0, 30.0)])
        self._create_order(self.sonia, self.customer_a, date(2026, 5, 5), [(x, 5, 100.0, 60.0)])
        q2 = self._quarter(date(2026, 4, 1))
        with freeze_time("2026-05-15 12:00:00"):
            data = self._data(self.sonia, "user", salesperson=self.sonia, period=q2)
        self.assertTrue(data["period"]["in_progress"])
        [target] = data["targets"]
        # expected = 1000 (April in full) + 1200 × 11 / 21 (May) + 0 (June)
        #          = 1000 + 628.571... = 1628.571...
        expected = 1000 + 1200 * 11 / 21
        self.assertAlmostEqual(target["expected"], expected)
        # actual 15 × 50 + 5 × 100 = 750 + 500 = 1250: pacing 1250 / 1628.57
        # = 0.7675, behind (< 0.80); attainment 1250 / 3000 = 0.41666...
        self.assertAlmostEqual(target["actual"], 1250.0)
        self.assertAlmostEqual(target["pacing"], 1250 / expected)
        self.assertAlmostEqual(target["attainment"], 1250 / 3000)
        self.assertEqual((target["status"], target["status_label"]), ("behind", "Behind"))
        # the highlights say so too: the quarter's working days alone (33 of
        # 22 + 21 + 22 = 65) would expect 3000 × 33 / 65 = 1523.08, and
        # 1250 / 1523.08 = 0.82 would not be behind
        highlights = " ".join(data["highlights"]).replace("\xa0", " ")
        self.assertIn("Behind the pace of their revenue target: Sonia (41.7 %).", highlights)

    def test_queries_do_not_grow_with_the_summed_targets(self):
        """The same queries whether one or two people of the ranking have
        their quarter summed from months."""
        self._targets(self.team_north, "month", {date(2026, 1, 1): 900.0, date(2026, 2, 1): 900.0})
        self._targets(self.sonia, "month", {date(2026, 1, 1): 1200.0, date(2026, 2, 1): 800.0})
        q1 = self._quarter(date(2026, 1, 1))
        report = self.env["salesperf.period.report"].with_user(self.lena).with_company(self.company)

        def count():
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            data = report._report_data("team", q1, self.company, team=self.team_north)
            return self.cr.sql_log_count - before, data

        count()  # warm the caches
        with_one, data = count()
        self.assertEqual([row["target"] for row in data["ranking"]["rows"]], [3000.0, None])
        self._targets(self.sam, "month", {date(2026, 1, 1): 300.0, date(2026, 2, 1): 350.0})
        with_two, data = count()
        # team North 900 + 900 + 1000 = 2800; Sam 900 and Sonia 3000 ranked
        self.assertAlmostEqual(data["targets"][0]["target"], 2800.0)
        self.assertEqual({row["target"] for row in data["ranking"]["rows"]}, {900.0, 3000.0})
        self.assertEqual(with_two, with_one)


@tagged("post_install", "-at_install")
@freeze_time("2026-07-15 12:00:00")
class TestPeriodReportForecastCommission(PeriodReportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        run = cls.env["salesperf.forecast.run"].create(
            {"company_id": cls.company.id, "state": "done", "date_start": date(2026, 4, 1)}
        )
        # the company's series for April, May and June 2026: (point, lo80, hi80)
        cls.env["salesperf.forecast.line"].create(
            [
                {
                    "run_id": run.id,
                    "company_id": cls.company.id,
                    "currency_id": cls.currency_xsa.id,
                    "level": "company",
                    "series_key": "company",
                    "date": month,
                    "forecast": point,
                    "lo80": low,
                    "hi80": high,
                    "is_latest": True,
                    "method": "theta",
                }
                for month, point, low, high in (
                    (date(2026, 4, 1), 1200.0, 1000.0, 1500.0),
                    (date(2026, 5, 1), 800.0, 700.0, 900.0),
                    (date(2026, 6, 1), 1000.0, 900.0, 1100.0),
                )
            ]
        )
        statement = {
            "company_id": cls.company.id,
            "period_kind": "month",
            "date_from": date(2026, 3, 1),
            "date_to": date(2026, 3, 31),
        }

        def lines(*amounts):
            return [Command.create({"kind": kind, "amount": amount}) for kind, amount in amounts]

        cls.env["salesperf.commission.statement"].create(
            [
                {
                    **statement,
                    "user_id": cls.sonia.id,
                    "team_id": cls.team_north.id,
                    "line_ids": lines(("commission", 50.0), ("bonus", 10.0)),
                },
                {
                    **statement,
                    "user_id": cls.sam.id,
                    "team_id": cls.team_north.id,
                    "line_ids": lines(("commission", 20.0)),
                },
                {
                    **statement,
                    "user_id": cls.tom.id,
                    "state": "cancel",
                    "line_ids": lines(("commission", 99.0)),
                },
            ]
        )
        cls.director = new_test_user(
            cls.env,
            login="director",
            groups="sales_team.group_sale_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def test_forecast_of_the_next_period(self):
        forecast = self._data(self.lena, "company")["forecast"]
        self.assertEqual(forecast["period_label"], "April 2026")
        self.assertEqual(
            (forecast["forecast"], forecast["lo80"], forecast["hi80"]), (1200.0, 1000.0, 1500.0)
        )
        self.assertIsNone(forecast["target"])
        self.assertEqual(forecast["method"], "Theta")
        # Q1 2026 (Feb 800 + Mar 1100) forecasts Q2: 1200 + 800 + 1000 = 3000;
        # the months' errors independent: 3000 - sqrt(200² + 100² + 100²) and
        # 3000 + sqrt(300² + 100² + 100²)
        quarter = period_containing("quarter", date(2026, 1, 1))
        forecast = self._data(self.lena, "company", period=quarter)["forecast"]
        self.assertEqual(forecast["period_label"], "Q2 2026")
        self.assertAlmostEqual(forecast["forecast"], 3000.0)
        self.assertAlmostEqual(forecast["lo80"], 3000 - 60000**0.5)
        self.assertAlmostEqual(forecast["hi80"], 3000 + 110000**0.5)
        # Sonia reads her own series only: no company forecast in her report
        self.assertIsNone(self._data(self.sonia, "user", salesperson=self.sonia)["forecast"])

    def test_forecast_target_of_a_next_quarter_summed_from_its_months(self):
        def target(start, amount, **owner):
            values = {"scope": "company", **owner}
            return self.env["salesperf.target"].create(
                {
                    **values,
                    "metric": "revenue",
                    "period_kind": "month",
                    "date_from": start,
                    "amount": amount,
                    "company_id": self.company.id,
                }
            )

        quarter = period_containing("quarter", date(2026, 1, 1))
        target(date(2026, 4, 1), 1000.0)
        target(date(2026, 5, 1), 900.0)
        # April and May only do not cover Q2: no target, never 1000 + 900
        self.assertIsNone(self._data(self.lena, "company", period=quarter)["forecast"]["target"])
        june = target(date(2026, 6, 1), 1100.0)
        # Q2 without its own target: 1000 + 900 + 1100 = 3000
        forecast = self._data(self.lena, "company", period=quarter)["forecast"]
        self.assertEqual(forecast["period_label"], "Q2 2026")
        self.assertAlmostEqual(forecast["target"], 3000.0)
        # March's forecast of April keeps April's own target: 1000
        self.assertAlmostEqual(self._data(self.lena, "company")["forecast"]["target"], 1000.0)
        # a quarter target of its own wins over the months' 3000
        june.copy({"period_kind": "quarter", "date_from": date(2026, 4, 1), "amount": 2500.0})
        forecast = self._data(self.lena, "company", period=quarter)["forecast"]
        self.assertAlmostEqual(forecast["target"], 2500.0)

    def test_commission_cost_where_rights_cover_the_scope(self):
        # Sonia: 50 + 10 = 60 of her 500 revenue: 0.12
        commission = self._data(self.sonia, "user", salesperson=self.sonia)["commission"]
        self.assertEqual(commission, {"total": 60.0, "statements": 1, "share_of_revenue": 0.12})
        # Leo's team North: 60 + 20 = 80 of 700
        commission = self._data(self.leo, "team", team=self.team_north)["commission"]
        self.assertAlmostEqual(commission["total"], 80.0)
        self.assertAlmostEqual(commission["share_of_revenue"], 80 / 700)
        # the company, for an administrator: 80, Tom's cancelled 99 left out
        commission = self._data(self.director, "company")["commission"]
        self.assertEqual((commission["total"], commission["statements"]), (80.0, 2))
        # "All Documents" reads only some statements: no partial total
        self.assertIsNone(self._data(self.lena, "company")["commission"])


@tagged("post_install", "-at_install")
class TestReportSchedule(PeriodReportCommon):
    def _schedule(self, **values):
        return (
            self.env["salesperf.report.schedule"]
            .with_user(self.lena)
            .create(
                {
                    "name": "North monthly",
                    "company_id": self.company.id,
                    "scope": "team",
                    "team_id": self.team_north.id,
                    "period_kind": "month",
                    "send_day": 2,
                    "file_format": "both",
                    "owner_id": self.lena.id,
                    **values,
                }
            )
        )

    def _mails(self, schedule):
        return self.env["mail.mail"].search(
            [("model", "=", "salesperf.report.schedule"), ("res_id", "=", schedule.id)]
        )

    def test_sent_once_per_period(self):
        outsider = self.env["res.partner"].create({"name": "Board", "email": "board@example.com"})
        schedule = self._schedule(
            recipient_user_ids=[Command.set((self.leo | self.sonia).ids)],
            recipient_partner_ids=[Command.set(outsider.ids)],
        )
        cron = self.env["salesperf.report.schedule"]
        with freeze_time("2026-04-01 12:00:00"):
            cron._cron_send_reports()
        # before the 2nd of April: nothing yet
        self.assertFalse(self._mails(schedule))
        with freeze_time("2026-04-02 12:00:00"):
            cron._cron_send_reports()
            cron._cron_send_reports()
        mails = self._mails(schedule)
        # Leo (his team) and the board (as Lena sees it); Sonia may not read
        # the team's report: she gets nothing, the schedule says why
        self.assertEqual(mails.recipient_ids, self.leo.partner_id | outsider)
        self.assertEqual(len(mails), 2)
        for mail in mails:
            self.assertEqual(len(mail.attachment_ids), 2)
            self.assertIn("March 2026", mail.subject)
        self.assertEqual(schedule.last_period_start, date(2026, 3, 1))
        self.assertIn("was not sent to Sonia", " ".join(schedule.message_ids.mapped("body")))
        # the workbook Leo gets is his team's
        workbook = mails.filtered(
            lambda m: m.recipient_ids == self.leo.partner_id
        ).attachment_ids.filtered(lambda a: a.name.endswith(".xlsx"))
        book = openpyxl.load_workbook(io.BytesIO(workbook.raw), data_only=True)
        revenue = next(
            row for row in book.worksheets[0].iter_rows(values_only=True) if row[0] == "Revenue"
        )
        self.assertEqual(round(revenue[1], 2), 700.00)
        # April has no sales nor targets: no email, the schedule says why,
        # and the period counts as handled
        with freeze_time("2026-05-03 12:00:00"):
            cron._cron_send_reports()
            cron._cron_send_reports()
        self.assertEqual(len(self._mails(schedule)), 2)
        self.assertEqual(schedule.last_period_start, date(2026, 4, 1))
        notes = [body for body in schedule.message_ids.mapped("body") if "April 2026" in body]
        # one note per recipient, once
        self.assertEqual(len(notes), 3)
        self.assertIn("nothing to report", notes[0])

    def test_a_failing_schedule_is_tried_again(self):
        """A schedule whose report fails keeps its period unsent (tried again at
        the next run) and does not stop the other schedules."""
        failing = self._schedule(name="Failing", recipient_user_ids=[Command.set(self.leo.ids)])
        working = self._schedule(name="Working", recipient_user_ids=[Command.set(self.leo.ids)])
        render = type(failing)._render_files

        def render_or_fail(schedule, reader, period):
            if schedule == failing:
                raise ValueError("printer on fire")
            return render(schedule, reader, period)

        cron = self.env["salesperf.report.schedule"]
        with (
            freeze_time("2026-04-02 12:00:00"),
            patch.object(type(failing), "_render_files", render_or_fail),
            mute_logger("odoo.addons.salesperf_odoo.models.salesperf_report_schedule"),
        ):
            cron._cron_send_reports()
        self.assertFalse(failing.last_period_start)
        self.assertFalse(self._mails(failing))
        self.assertEqual(working.last_period_start, date(2026, 3, 1))
        self.assertEqual(len(self._mails(working)), 1)
        with freeze_time("2026-04-03 12:00:00"):
            cron._cron_send_reports()
        self.assertEqual(failing.last_period_start, date(2026, 3, 1))
        self.assertEqual(len(self._mails(failing)), 1)
        self.assertEqual(len(self._mails(working)), 1)

    def test_in_the_language_of_the_recipient(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        # the module's Chinese terms, as installing the language loads them
        self.env["ir.module.module"]._load_module_terms(
            ["salesperf_odoo"], ["zh_CN"], overwrite=True
        )
        self.leo.lang = "zh_CN"
        schedule = self._schedule(recipient_user_ids=[Command.set(self.leo.ids)])
        with freeze_time("2026-04-02 12:00:00"):
            self.env["salesperf.report.schedule"]._cron_send_reports()
        mail = self._mails(schedule)
        self.assertEqual(mail.subject, "North monthly：2026年3月")
        self.assertIn("的销售业绩报告", mail.body_html)
        pdf = mail.attachment_ids.filtered(lambda a: not a.name.endswith(".xlsx"))
        self.assertIn("销售业绩报告：North，2026年3月", pdf.raw.decode())
        self.assertIn("关键指标", pdf.raw.decode())
        workbook = mail.attachment_ids.filtered(lambda a: a.name.endswith(".xlsx"))
        book = openpyxl.load_workbook(io.BytesIO(workbook.raw), data_only=True)
        self.assertIn("销售构成", book.sheetnames)

    def test_schedules_are_for_managers(self):
        with self.assertRaises(AccessError):
            self.env["salesperf.report.schedule"].with_user(self.sonia).create(
                {
                    "name": "Mine",
                    "company_id": self.company.id,
                    "scope": "user",
                    "user_id": self.sonia.id,
                    "recipient_user_ids": [Command.set(self.sonia.ids)],
                }
            )


@tagged("post_install", "-at_install")
@freeze_time("2026-04-15 12:00:00")
class TestPeriodReportRpc(SalesperfRpcCase):
    def test_salesperson_cannot_print_a_team_over_rpc(self):
        company = self.env["res.company"].create({"name": "Salesperf RPC"})
        sonia = new_test_user(
            self.env,
            login="rpc_sonia",
            password="rpc_sonia_pw",
            groups="sales_team.group_sale_salesman",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )
        team = self.env["crm.team"].create({"name": "RPC team", "company_id": company.id})
        self.authenticate("rpc_sonia", "rpc_sonia_pw")
        wizard_id = self._call(
            "salesperf.period.report.wizard",
            "create",
            [{"scope": "team", "team_id": team.id, "company_id": company.id}],
            {"context": {"allowed_company_ids": company.ids}},
        )
        if isinstance(wizard_id, list):
            [wizard_id] = wizard_id
        for method in ("action_print_pdf", "action_export_xlsx"):
            name, message = self._call(
                "salesperf.period.report.wizard",
                method,
                [[wizard_id]],
                {"context": {"allowed_company_ids": company.ids}},
            )
            self.assertEqual(name, "odoo.exceptions.AccessError", method)
            self.assertIn("You may report only on yourself", message)
        wizard = self.env["salesperf.period.report.wizard"].browse(wizard_id)
        self.assertEqual(wizard.create_uid, sonia)
        self.assertFalse(wizard.file_data)
