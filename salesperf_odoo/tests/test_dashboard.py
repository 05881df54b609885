# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import json
import re
from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo.tests import new_test_user, tagged
from odoo.tools import file_open

from .common import SalesperfCommon

DASHBOARD_FILE = "salesperf_odoo/data/files/salesperf_dashboard.json"
# PIVOT.VALUE(1,"revenue"...), PIVOT.HEADER(5,"#team_id"...), ODOO.LIST(1,3,"user_id")
FORMULA_REFERENCE = re.compile(r'(PIVOT\.VALUE|PIVOT\.HEADER|ODOO\.LIST)\((\d+),(?:\d+,)?"([^"]*)"')


def load_dashboard():
    with file_open(DASHBOARD_FILE) as file:
        return json.load(file)


def odoo_charts(spreadsheet):
    """The charts of the board that read a model (odoo_bar, odoo_pie...)."""
    return [
        figure["data"]
        for sheet in spreadsheet["sheets"]
        for figure in sheet["figures"]
        if figure["data"]["type"].startswith("odoo_")
    ]


@tagged("post_install", "-at_install")
class TestDashboardDefinition(SalesperfCommon):
    """The board's data sources name only fields that exist and that the
    web client can group or aggregate as the board uses them; its formulas
    name only its own pivots, lists and measures."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.spreadsheet = load_dashboard()
        cls.filters = {item["id"]: item for item in cls.spreadsheet["globalFilters"]}

    def _fields(self, model):
        self.assertIn(model, self.env, f"{model} is not a model")
        return self.env[model].fields_get(
            attributes=["type", "relation", "groupable", "aggregator", "store"]
        )

    def _field_of_path(self, model, path):
        """The description of the last field of ``path`` (``a.b.c``) from ``model``."""
        description = None
        for name in path.split("."):
            fields = self._fields(model)
            self.assertIn(name, fields, f"{model} has no field {name} ({path})")
            description = fields[name]
            model = description.get("relation")
        return description

    def _check_domain(self, model, domain):
        for leaf in domain:
            if isinstance(leaf, list):
                self._field_of_path(model, leaf[0])

    def _check_groupby(self, model, groupby):
        name, _sep, granularity = groupby.partition(":")
        field = self._field_of_path(model, name)
        self.assertTrue(field["groupable"], f"{model}.{name} cannot be grouped by")
        if granularity:
            self.assertIn(
                field["type"], ("date", "datetime"), f"{model}.{name} has no {granularity}"
            )

    def _check_measure(self, model, name):
        field = self._field_of_path(model, name)
        self.assertTrue(field.get("aggregator"), f"{model}.{name} cannot be aggregated")

    def _check_matching(self, model, field_matching):
        for filter_id, matching in field_matching.items():
            self.assertIn(filter_id, self.filters, "a matching names an unknown filter")
            global_filter = self.filters[filter_id]
            field = self._field_of_path(model, matching["chain"])
            if global_filter["type"] == "date":
                self.assertEqual(field["type"], "date")
                self.assertEqual(matching["type"], "date")
            else:
                self.assertEqual(field["type"], "many2one")
                self.assertEqual(field["relation"], global_filter["modelName"])

    def test_record_holds_the_file(self):
        dashboard = self.env.ref("salesperf_odoo.spreadsheet_dashboard_salesperf")
        self.assertEqual(json.loads(dashboard.spreadsheet_data), self.spreadsheet)
        self.assertEqual(dashboard.group_ids, self.env.ref("sales_team.group_sale_salesman"))
        self.assertEqual(
            dashboard.dashboard_group_id,
            self.env.ref("spreadsheet_dashboard.spreadsheet_dashboard_group_sales"),
        )
        self.assertTrue(dashboard.is_published)

    def test_filters(self):
        by_label = {item["label"]: item for item in self.spreadsheet["globalFilters"]}
        self.assertEqual(set(by_label), {"Period", "Sales Team", "Salesperson"})
        self.assertEqual(by_label["Period"]["type"], "date")
        self.assertEqual(by_label["Sales Team"]["modelName"], "crm.team")
        self.assertEqual(by_label["Salesperson"]["modelName"], "res.users")

    def test_pivots_name_existing_fields(self):
        pivots = self.spreadsheet["pivots"]
        self.assertEqual(len(pivots), 8)
        for pivot in pivots.values():
            model = pivot["model"]
            self._check_domain(model, pivot["domain"])
            for dimension in pivot["rows"] + pivot["columns"]:
                groupby = dimension["fieldName"]
                if dimension.get("granularity"):
                    groupby += ":" + dimension["granularity"]
                self._check_groupby(model, groupby)
            for measure in pivot["measures"]:
                self._check_measure(model, measure["fieldName"])
            if pivot["sortedColumn"]:
                names = [measure["fieldName"] for measure in pivot["measures"]]
                self.assertIn(pivot["sortedColumn"]["measure"], names)
            self._check_matching(model, pivot["fieldMatching"])

    def test_lists_and_charts_name_existing_fields(self):
        for spreadsheet_list in self.spreadsheet["lists"].values():
            model = spreadsheet_list["model"]
            self._check_domain(model, spreadsheet_list["domain"])
            for column in spreadsheet_list["columns"]:
                self._field_of_path(model, column)
            for order in spreadsheet_list["orderBy"]:
                self._field_of_path(model, order["name"])
            self._check_matching(model, spreadsheet_list["fieldMatching"])
        charts = odoo_charts(self.spreadsheet)
        self.assertEqual({chart["type"] for chart in charts}, {"odoo_pie", "odoo_bar"})
        for chart in charts:
            model = chart["metaData"]["resModel"]
            self._check_measure(model, chart["metaData"]["measure"])
            for groupby in chart["metaData"]["groupBy"]:
                self._check_groupby(model, groupby)
            self._check_domain(model, chart["searchParams"]["domain"])
            self._check_matching(model, chart["fieldMatching"])

    def test_formulas_name_existing_sources(self):
        """Every PIVOT.VALUE / PIVOT.HEADER / ODOO.LIST names a pivot or
        list of the board, and a measure, dimension or column of it; every
        chart range points to a sheet of the board."""
        pivots, lists = self.spreadsheet["pivots"], self.spreadsheet["lists"]
        sheet_names = {sheet["name"] for sheet in self.spreadsheet["sheets"]}
        references = 0
        for sheet in self.spreadsheet["sheets"]:
            for cell in sheet["cells"].values():
                for function, source_id, name in FORMULA_REFERENCE.findall(cell["content"]):
                    references += 1
                    if function == "ODOO.LIST":
                        self.assertIn(source_id, lists)
                        self.assertIn(name, lists[source_id]["columns"])
                        continue
                    self.assertIn(source_id, pivots)
                    pivot = pivots[source_id]
                    if function == "PIVOT.VALUE":
                        names = [measure["id"] for measure in pivot["measures"]]
                    else:
                        names = [
                            dimension["fieldName"]
                            + (f":{dimension['granularity']}" if "granularity" in dimension else "")
                            for dimension in pivot["rows"] + pivot["columns"]
                        ]
                        name = name.lstrip("#")
                    self.assertIn(name, names, f"pivot {source_id} has no {name}")
            for figure in sheet["figures"]:
                data = figure["data"]
                ranges = [data.get("keyValue"), data.get("baseline"), data.get("labelRange")]
                ranges += [data_set["dataRange"] for data_set in data.get("dataSets", [])]
                for cell_range in filter(None, ranges):
                    self.assertIn(cell_range.split("!")[0], sheet_names)
        # 10 rows of 8 team and ranking cells, 12 months of 4 (label, revenue,
        # target, previous), 18 forecast months of 4, 10 list rows of 4 and 7
        # headline cells: 80 + 48 + 72 + 40 + 7
        self.assertEqual(references, 247)


@tagged("post_install", "-at_install")
class TestDashboardFigures(SalesperfCommon):
    """The board's pivots read as the web client reads them (``read_group``
    with the pivot's domain, the filters' domain and its measures), with the
    rights of who opens it.

    2025 (the period), in XSA: Sonia sold 300 in January and 200 in
    February, Sam 500 in January (team North), Tom 400 in March (South).
    In 2024 (the previous period) Sonia sold 100 in January. Sonia's revenue
    target is 400 in January and in February 2025, Sam's 1,000 in January.
    Open opportunities at 30 %: Sonia's 1,000 expected in June 2025 (weighted
    300), Sam's 2,000 in July 2025 (weighted 600).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=cls.company.ids))
        cls.spreadsheet = load_dashboard()
        cls.filter_ids = {item["label"]: item["id"] for item in cls.spreadsheet["globalFilters"]}
        product = cls.product_x
        cls._create_order(cls.sonia, cls.customer_a, date(2025, 1, 15), [(product, 3, 100, 50)])
        cls._create_order(cls.sonia, cls.customer_b, date(2025, 2, 10), [(product, 2, 100, 50)])
        cls._create_order(cls.sonia, cls.customer_c, date(2024, 1, 20), [(product, 1, 100, 50)])
        cls._create_order(cls.sam, cls.customer_a, date(2025, 1, 20), [(product, 5, 100, 50)])
        cls._create_order(cls.tom, cls.customer_b, date(2025, 3, 5), [(product, 4, 100, 50)])
        cls.env["salesperf.target"].create(
            [
                cls._target(cls.sonia, date(2025, 1, 1), 400.0),
                cls._target(cls.sonia, date(2025, 2, 1), 400.0),
                cls._target(cls.sam, date(2025, 1, 1), 1000.0),
            ]
        )
        cls.opportunities = cls.env["crm.lead"].create(
            [
                {
                    "name": name,
                    "type": "opportunity",
                    "user_id": user.id,
                    "team_id": cls.team_north.id,
                    "company_id": cls.company.id,
                    "expected_revenue": amount,
                    "probability": 30.0,
                    "date_deadline": closing,
                }
                for name, user, amount, closing in (
                    ("Sonia's deal", cls.sonia, 1000.0, date(2025, 6, 10)),
                    ("Sam's deal", cls.sam, 2000.0, date(2025, 7, 1)),
                )
            ]
        )
        cls.outsider = new_test_user(
            cls.env,
            login="outsider",
            groups="base.group_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    @classmethod
    def _target(cls, user, start, amount):
        return {
            "scope": "user",
            "user_id": user.id,
            "company_id": cls.company.id,
            "metric": "revenue",
            "period_kind": "month",
            "date_from": start,
            "amount": amount,
            "state": "confirmed",
        }

    def _filter_domain(self, field_matching, year, team=None, salesperson=None):
        """The domain the web client adds for the filters: the period is the
        year ``year`` (shifted by the matching's offset), team and
        salesperson are records or None."""
        domain = []
        for filter_id, matching in field_matching.items():
            chain = matching["chain"]
            if filter_id == self.filter_ids["Period"]:
                start = date(year, 1, 1) + relativedelta(years=matching.get("offset", 0))
                end = start + relativedelta(years=1, days=-1)
                domain += [(chain, ">=", start), (chain, "<=", end)]
            elif filter_id == self.filter_ids["Sales Team"] and team:
                domain.append((chain, "in", team.ids))
            elif filter_id == self.filter_ids["Salesperson"] and salesperson:
                domain.append((chain, "in", salesperson.ids))
        return domain

    def _pivot(self, pivot_id, user, year=2025, team=None, salesperson=None):
        """The pivot's groups as ``{row value: {measure: value}}`` (the row
        value is None for a pivot without rows), read as ``user``."""
        pivot = self.spreadsheet["pivots"][pivot_id]
        model = self.env[pivot["model"]].with_user(user)
        fields = model.fields_get(attributes=["aggregator"])
        measures = [measure["fieldName"] for measure in pivot["measures"]]
        groupby = [
            dimension["fieldName"]
            + (f":{dimension['granularity']}" if dimension.get("granularity") else "")
            for dimension in pivot["rows"] + pivot["columns"]
        ]
        domain = pivot["domain"] + self._filter_domain(
            pivot["fieldMatching"], year, team, salesperson
        )
        groups = model.read_group(
            domain,
            [f"{name}:{fields[name]['aggregator']}" for name in measures],
            groupby,
            lazy=False,
        )
        result = {}
        for group in groups:
            key = group[groupby[0]] if groupby else None
            if isinstance(key, tuple):
                key = key[0]
            result[key] = {name: group[name] for name in measures}
        return result

    def test_headline_as_salesperson(self):
        """Sonia: 300 + 200 = 500 against 400 + 400 = 800, 62.5 %, 300 to go;
        100 in 2024; her own pipeline weighted 1,000 × 30 % = 300; none of
        Sam's or Tom's figures."""
        headline = self._pivot("1", self.sonia)[None]
        self.assertAlmostEqual(headline["revenue"], 500.0)
        self.assertAlmostEqual(headline["revenue_target"], 800.0)
        self.assertAlmostEqual(headline["revenue_attainment"], 62.5)
        self.assertAlmostEqual(headline["revenue_gap"], 300.0)
        self.assertAlmostEqual(self._pivot("2", self.sonia)[None]["revenue"], 100.0)
        pipeline = self._pivot("7", self.sonia)[None]
        self.assertAlmostEqual(pipeline["weighted_revenue"], 300.0)
        self.assertAlmostEqual(pipeline["expected_revenue"], 1000.0)

    def test_headline_for_all_documents(self):
        """Lena sees all: 500 + 500 + 400 = 1,400; targets 800 + 1,000 =
        1,800; actual of the months with a target 300 + 200 + 500 = 1,000,
        1,000 / 1,800 = 55.56 %; gap 1,800 − 1,000 = 800; pipeline 300 + 600."""
        headline = self._pivot("1", self.lena)[None]
        self.assertAlmostEqual(headline["revenue"], 1400.0)
        self.assertAlmostEqual(headline["revenue_target"], 1800.0)
        self.assertAlmostEqual(headline["revenue_attainment"], 1000.0 / 1800.0 * 100, places=2)
        self.assertAlmostEqual(headline["revenue_gap"], 800.0)
        self.assertAlmostEqual(self._pivot("7", self.lena)[None]["weighted_revenue"], 900.0)

    def test_team_and_salesperson_filters(self):
        """Team South: Tom's 400 without target. Salesperson Sam: 500
        against 1,000, 50 %; his pipeline 2,000 × 30 % = 600."""
        south = self._pivot("1", self.lena, team=self.team_south)[None]
        self.assertAlmostEqual(south["revenue"], 400.0)
        self.assertFalse(south["revenue_target"])
        sam = self._pivot("1", self.lena, salesperson=self.sam)[None]
        self.assertAlmostEqual(sam["revenue"], 500.0)
        self.assertAlmostEqual(sam["revenue_target"], 1000.0)
        self.assertAlmostEqual(sam["revenue_attainment"], 50.0)
        pipeline = self._pivot("7", self.lena, salesperson=self.sam)[None]
        self.assertAlmostEqual(pipeline["weighted_revenue"], 600.0)

    def test_months_teams_and_ranking_as_salesperson(self):
        """Sonia's months: January 300 against 400, February 200 against
        400; her team North holds her figures only; the ranking has her
        alone: 500 / 800 = 62.5 %."""
        months = self._pivot("3", self.sonia)
        self.assertEqual(set(months), {1, 2})
        self.assertAlmostEqual(months[1]["revenue"], 300.0)
        self.assertAlmostEqual(months[1]["revenue_target"], 400.0)
        self.assertAlmostEqual(months[2]["revenue"], 200.0)
        self.assertAlmostEqual(self._pivot("4", self.sonia)[1]["revenue"], 100.0)
        teams = self._pivot("5", self.sonia)
        self.assertEqual(set(teams), {self.team_north.id})
        self.assertAlmostEqual(teams[self.team_north.id]["revenue"], 500.0)
        ranking = self._pivot("6", self.sonia)
        self.assertEqual(set(ranking), {self.sonia.id})
        self.assertAlmostEqual(ranking[self.sonia.id]["revenue_attainment"], 62.5)

    def _chart(self, group_field, user):
        """The attainment chart grouped by ``group_field``, read as ``user``:
        ``{record id: attainment}``."""
        [chart] = [
            chart
            for chart in odoo_charts(self.spreadsheet)
            if chart["metaData"]["groupBy"] == [group_field]
            and chart["metaData"]["resModel"] == "salesperf.performance"
        ]
        groups = (
            self.env["salesperf.performance"]
            .with_user(user)
            .read_group(
                chart["searchParams"]["domain"] + self._filter_domain(chart["fieldMatching"], 2025),
                [f"{chart['metaData']['measure']}:avg"],
                [group_field],
                lazy=False,
            )
        )
        return {group[group_field][0]: group["revenue_attainment"] for group in groups}

    def test_ranking_for_all_documents(self):
        """Sonia 500 / 800 = 62.5 % ranks above Sam 500 / 1,000 = 50 %; Tom
        has no target and is left out. Team North: (500 + 500) / (800 +
        1,000) = 55.56 %. Sonia's charts hold her figures only."""
        ranking = self._pivot("6", self.lena)
        self.assertEqual(set(ranking), {self.sonia.id, self.sam.id})
        self.assertAlmostEqual(ranking[self.sonia.id]["revenue_attainment"], 62.5)
        self.assertAlmostEqual(ranking[self.sam.id]["revenue_attainment"], 50.0)
        self.assertEqual(
            self._chart("user_id", self.lena), {self.sonia.id: 62.5, self.sam.id: 50.0}
        )
        teams = self._chart("team_id", self.lena)
        self.assertEqual(set(teams), {self.team_north.id})
        self.assertAlmostEqual(teams[self.team_north.id], 1000.0 / 1800.0 * 100, places=2)
        self.assertEqual(self._chart("user_id", self.sonia), {self.sonia.id: 62.5})
        self.assertEqual(self._chart("team_id", self.sonia), {self.team_north.id: 62.5})

    def test_company_forecast_not_shown_to_salesperson(self):
        """A company-level forecast line counts for Lena, never for Sonia."""
        run = self.env["salesperf.forecast.run"].create(
            {"company_id": self.company.id, "date_start": date(2025, 1, 1), "state": "done"}
        )
        self.env["salesperf.forecast.line"].create(
            {
                "run_id": run.id,
                "company_id": self.company.id,
                "currency_id": self.company.currency_id.id,
                "level": "company",
                "series_key": "company",
                "date": date(2025, 1, 1),
                "forecast": 1200.0,
                "lo80": 1000.0,
                "hi80": 1400.0,
                "is_latest": True,
            }
        )
        self.assertEqual(self._pivot("8", self.sonia), {})
        forecast = self._pivot("8", self.lena)
        self.assertEqual(len(forecast), 1)
        [month] = forecast.values()
        self.assertEqual(
            (month["forecast"], month["lo80"], month["hi80"]), (1200.0, 1000.0, 1400.0)
        )

    def test_channel_chart_and_list_as_salesperson(self):
        """Sonia's channel mix holds her 500 of direct sales; the top
        opportunities list only her deal."""
        [chart] = [
            chart
            for chart in odoo_charts(self.spreadsheet)
            if chart["metaData"]["resModel"] == "salesperf.sale.fact"
        ]
        facts = self.env["salesperf.sale.fact"].with_user(self.sonia)
        groups = facts.read_group(
            chart["searchParams"]["domain"] + self._filter_domain(chart["fieldMatching"], 2025),
            [f"{chart['metaData']['measure']}:sum"],
            chart["metaData"]["groupBy"],
            lazy=False,
        )
        self.assertEqual([(g["channel"], g["revenue"]) for g in groups], [("direct", 500.0)])
        spreadsheet_list = self.spreadsheet["lists"]["1"]
        rows = (
            self.env[spreadsheet_list["model"]]
            .with_user(self.sonia)
            .search_read(spreadsheet_list["domain"], spreadsheet_list["columns"])
        )
        self.assertEqual([row["lead_id"][0] for row in rows], self.opportunities[:1].ids)

    def test_visible_to_sales_users_only(self):
        dashboard = self.env.ref("salesperf_odoo.spreadsheet_dashboard_salesperf")
        Dashboard = self.env["spreadsheet.dashboard"]
        self.assertIn(dashboard, Dashboard.with_user(self.sonia).search([]))
        data = dashboard.with_user(self.sonia).get_readonly_dashboard()
        self.assertEqual(data["snapshot"]["pivots"].keys(), self.spreadsheet["pivots"].keys())
        self.assertNotIn(dashboard, Dashboard.with_user(self.outsider).search([]))
