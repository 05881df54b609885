#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Benchmark the yearly company report (figures, PDF, Excel), against Odoo's own.

Three measures of the period report for the company and one year, each against
a baseline measured in the same run, as the administrator (record rules apply):

* figures: ``salesperf.period.report._report_data("company", year, company)``,
  the one dict the PDF and the workbook both render (KPIs against the year
  before, targets, 24-month trend, ranking of every salesperson, channel and
  category mix, top customers and products, commissions, highlights, SVG
  charts); the SQL queries it sends are counted. Baseline: ``sale.report``'s
  ``_read_group`` of the same year by salesperson and month (revenue, and the
  number of lines), what a manager would otherwise pivot;
* PDF: ``ir.actions.report._render_qweb_pdf`` of the report (its figures built
  again inside, as when printed). Baseline: Odoo's standard printed document,
  the sales order (``sale.action_report_saleorder``) of the ``--orders`` last
  confirmed orders (default 10), one PDF per order: a wkhtmltopdf built on an
  unpatched Qt (as Debian's and Ubuntu's packages) prints one document per
  run, so Odoo cannot print several orders into one PDF with it;
  ``--together`` prints them into one PDF (wkhtmltopdf with patched Qt);
* Excel: ``engine.report_xlsx.write_period_report(data, path)`` on the
  figures above. Baseline: Odoo's own list export to Excel
  (``web.controllers.export.ExportXlsxWriter``, what *Export* writes) of the
  ``sale.report`` rows of the baseline above (salesperson, month, revenue,
  lines).

Each measure runs once to warm up, then the measures take turns for
``--repeat`` rounds (best and median kept); then one more run of each under
``tracemalloc`` gives its peak of Python memory, and the growth of the
process's peak resident memory is read around the timed runs (Linux: free
memory given back and the peak reset first). wkhtmltopdf's own memory is not
counted (another process). Nothing is written to the database: the wizard
the PDF prints is created in the script's transaction, rolled back at the
end.

The figures are checked: the year's revenue in the report equals the sum of
its 12 last trend months, and ``sale.report``'s revenue total to the cent
(when the company has no time zone: the report dates orders in the company's
time zone, ``sale.report`` in UTC); otherwise the script says so loudly and
exits with status 1.
"""

import argparse
import datetime as dt
import json
import logging
import math
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import types

from bench_commission import current_rss, peak_rss, release_free_memory, reset_peak_rss
from odoo_session import add_odoo_arguments, odoo_environment

from odoo.http import _request_stack

CENT = 0.005
MIB = 2**20
REPORT_ACTION = "salesperf_odoo.action_report_salesperf_period"
ORDER_REPORT_ACTION = "sale.action_report_saleorder"


class Measure:
    def __init__(self, name, baseline=False):
        self.name = name
        self.baseline = baseline
        self.times = []
        self.rss_growth = []
        self.python_peak = 0
        self.queries = None
        self.size = None

    @property
    def best(self):
        return min(self.times)

    @property
    def median(self):
        return statistics.median(self.times)


# --------------------------------------------------------------------------- measures


def year_of_last_order(env, company):
    env.cr.execute(
        "SELECT MAX(date_order) FROM sale_order WHERE state = 'sale' AND company_id = %s",
        [company.id],
    )
    last = env.cr.fetchone()[0]
    if not last:
        raise SystemExit("no confirmed order in this database: generate the data set first")
    return last.year


def sale_report_groups(env, company, period):
    """Odoo's revenue of the year by salesperson and month."""
    return env["sale.report"]._read_group(
        [
            ("state", "=", "sale"),
            ("company_id", "=", company.id),
            ("date", ">=", dt.datetime.combine(period.start, dt.time.min)),
            ("date", "<", dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min)),
        ],
        ["user_id", "date:month"],
        ["price_subtotal:sum", "__count"],
    )


def export_groups(env, groups, path):
    """Odoo's list export to Excel of the ``sale.report`` groups."""
    # the addons are importable once Odoo knows its addons path
    from odoo.addons.web.controllers.export import ExportXlsxWriter

    fields = [
        {"name": "user_id", "type": "many2one"},
        {"name": "date", "type": "datetime"},
        {"name": "price_subtotal", "type": "monetary"},
        {"name": "__count", "type": "integer"},
    ]
    headers = ["Salesperson", "Month", "Untaxed Total", "Lines"]
    # the writer reads the currencies' decimal places from the request's
    # environment: give it this one (no HTTP request here)
    _request_stack.push(types.SimpleNamespace(env=env))
    try:
        with ExportXlsxWriter(fields, headers, len(groups)) as writer:
            for row, (user, month, revenue, count) in enumerate(groups, start=1):
                for column, value in enumerate((user.display_name, month, revenue, count)):
                    writer.write_cell(row, column, value)
    finally:
        _request_stack.pop()
    with open(path, "wb") as file:
        file.write(writer.value)
    return len(writer.value)


def render_pdf(env, report, res_ids):
    content, _kind = env["ir.actions.report"]._render_qweb_pdf(report, res_ids=res_ids)
    return len(content)


def render_order_pdfs(env, orders, together):
    """The sales order PDF of ``orders``: one PDF, or one PDF per order."""
    if together:
        return render_pdf(env, ORDER_REPORT_ACTION, orders.ids)
    return sum(render_pdf(env, ORDER_REPORT_ACTION, order.ids) for order in orders)


def timed(env, measure, function, queries=False):
    """Run ``function`` once, caches cleared; keep its time, the growth of
    the peak resident memory and (``queries``) the SQL queries sent."""
    env.invalidate_all()
    release_free_memory()
    reset = reset_peak_rss()
    before = peak_rss()
    count = env.cr.sql_log_count
    started = time.perf_counter()
    result = function()
    measure.times.append(time.perf_counter() - started)
    measure.rss_growth.append(peak_rss() - before if reset else None)
    if queries:
        measure.queries = env.cr.sql_log_count - count
    return result


def traced(env, measure, function):
    env.invalidate_all()
    tracemalloc.start()
    try:
        function()
        measure.python_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------------- report


def print_results(args, pairs, context):
    print(
        f"\nPeriod report of {context['company']}, year {context['year']} "
        f"({context['lines']:,} order lines in the year, {context['salespeople']:,} "
        f"salespeople; best of {args.repeat}):\n"
    )
    print(
        f"  {'measure':<44} {'best s':>8} {'median s':>9} {'queries':>8} "
        f"{'Python peak':>12} {'RSS growth':>11} {'size':>10}"
    )
    for pair in pairs:
        for measure in pair:
            growth = [value for value in measure.rss_growth if value is not None]
            print(
                f"  {measure.name:<44} {measure.best:8.3f} {measure.median:9.3f} "
                f"{'' if measure.queries is None else measure.queries:>8} "
                f"{measure.python_peak / MIB:9.1f} MiB "
                f"{(f'{max(growth) / MIB:.1f} MiB') if growth else 'n/a':>11} "
                f"{'' if measure.size is None else f'{measure.size / 1024:,.0f} KiB':>10}"
            )
    print("\nRatios (ours / baseline, best times):")
    for ours, baseline in pairs:
        print(f"  {ours.name} / {baseline.name}: {ours.best / baseline.best:.2f}")
    pdf, orders = pairs[1]
    if context["orders"] > 1:
        per_order = orders.best / context["orders"]
        print(
            f"  {pdf.name} / one sales order's PDF ({per_order:.2f} s): {pdf.best / per_order:.2f}"
        )
    print(f"\nresident memory of the process: {context['rss'] / MIB:.0f} MiB")
    print(f"load average: {', '.join(f'{load:.2f}' for load in os.getloadavg())}")


def check(data, groups, company):
    """The report's revenue against its trend and ``sale.report``."""
    problems = []
    revenue = next(kpi["current"] for kpi in data["kpis"] if kpi["code"] == "revenue") or 0.0
    trend = math.fsum(data["trend"]["revenue"][-12:])
    odoo_total = math.fsum(amount or 0.0 for _user, _month, amount, _count in groups)
    tz = company.partner_id.tz or ""
    print("\nChecks:")
    for label, other, must in (
        ("revenue = its 12 last trend months", trend, True),
        ("revenue = sale.report's untaxed total", odoo_total, not tz or tz == "UTC"),
    ):
        ok = abs(revenue - other) < CENT
        verdict = "OK" if ok else ("!!!" if must else f"differ (company time zone {tz})")
        print(f"  {label}: {revenue:,.2f} / {other:,.2f} {verdict}")
        if must and not ok:
            problems.append(f"{label}: {revenue:,.2f} / {other:,.2f}")
    return problems


# --------------------------------------------------------------------------- main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    add_odoo_arguments(parser)
    parser.add_argument(
        "--year", type=int, help="year reported (default: the year of the last confirmed order)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measure")
    parser.add_argument(
        "--orders", type=int, default=10, help="orders printed by the baseline PDF (default 10)"
    )
    parser.add_argument(
        "--together",
        action="store_true",
        help="print the baseline's orders into one PDF (needs wkhtmltopdf with patched Qt)",
    )
    parser.add_argument("--keep", metavar="DIR", help="keep the PDFs and workbooks there")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    with odoo_environment(args) as env, tempfile.TemporaryDirectory() as tmpdir:
        # the addons are importable once Odoo knows its addons path
        from odoo.addons.salesperf_odoo.engine.periods import period_containing
        from odoo.addons.salesperf_odoo.engine.report_xlsx import write_period_report

        # wkhtmltopdf cannot load the web assets without an HTTP server: one
        # warning per PDF, the same for both PDFs measured
        logging.getLogger("odoo.addons.base.models.ir_actions_report").setLevel(logging.ERROR)
        admin = env.ref("base.user_admin")
        company = env.ref("base.main_company")
        env = env(user=admin, context={"allowed_company_ids": [company.id], "lang": "en_US"})
        year = args.year or year_of_last_order(env, company)
        period = period_containing("year", dt.date(year, 12, 31))
        folder = args.keep or tmpdir
        os.makedirs(folder, exist_ok=True)
        wizard = env["salesperf.period.report.wizard"].create(
            {
                "period_kind": "year",
                "reference_date": period.end,
                "company_id": company.id,
                "scope": "company",
            }
        )
        orders = env["sale.order"].search(
            [("state", "=", "sale"), ("company_id", "=", company.id)],
            order="date_order desc, id desc",
            limit=args.orders,
        )
        env.cr.execute(
            """SELECT COUNT(*) FROM sale_order_line line JOIN sale_order so ON so.id = line.order_id
                WHERE so.state = 'sale' AND so.company_id = %s
                  AND so.date_order >= %s AND so.date_order < %s""",
            [company.id, period.start, period.end + dt.timedelta(days=1)],
        )
        lines = env.cr.fetchone()[0]
        context = {
            "company": company.name,
            "year": year,
            "lines": lines,
            "orders": len(orders),
            "salespeople": env["res.users"].search_count(
                [("login", "=like", "bench.salesperson.%")]
            ),
        }
        built = {}
        groups_kept = {}
        measures = {
            "data": Measure("report figures (_report_data)"),
            "groups": Measure("sale.report _read_group user × month", True),
            "pdf": Measure("report PDF (figures included)"),
            "order_pdf": Measure(
                f"sales order PDF, {len(orders)} orders"
                + (" in one PDF" if args.together else ", one PDF each"),
                True,
            ),
            "xlsx": Measure("report Excel workbook"),
            "export": Measure("Odoo's Excel export of the user × month rows", True),
        }
        report_path = os.path.join(folder, f"salesperf_report_{year}.xlsx")
        export_path = os.path.join(folder, f"sale_report_{year}.xlsx")

        def build_data():
            built["data"] = env["salesperf.period.report"]._report_data("company", period, company)

        def read_groups():
            groups_kept["groups"] = sale_report_groups(env, company, period)

        def pdf():
            measures["pdf"].size = render_pdf(env, REPORT_ACTION, wizard.ids)

        def order_pdf():
            measures["order_pdf"].size = render_order_pdfs(env, orders, args.together)

        def xlsx():
            write_period_report(built["data"], report_path)
            measures["xlsx"].size = os.path.getsize(report_path)

        def export():
            measures["export"].size = export_groups(env, groups_kept["groups"], export_path)

        runs = {
            "data": build_data,
            "groups": read_groups,
            "pdf": pdf,
            "order_pdf": order_pdf,
            "xlsx": xlsx,
            "export": export,
        }
        print(
            f"{context['lines']:,} order lines in {year}; {context['salespeople']:,} salespeople; "
            f"baseline PDF of {len(orders)} orders",
            flush=True,
        )
        for key, function in runs.items():
            print(f"warming up: {measures[key].name} ...", flush=True)
            function()
        for round_number in range(1, args.repeat + 1):
            for key, function in runs.items():
                print(f"round {round_number}/{args.repeat}: {measures[key].name} ...", flush=True)
                timed(env, measures[key], function, queries=key in ("data", "groups"))
        for key, function in runs.items():
            print(f"tracemalloc: {measures[key].name} ...", flush=True)
            traced(env, measures[key], function)
        if args.keep:
            with open(os.path.join(folder, f"salesperf_report_{year}.pdf"), "wb") as file:
                file.write(env["ir.actions.report"]._render_qweb_pdf(REPORT_ACTION, wizard.ids)[0])
        context["rss"] = current_rss()
        pairs = [
            (measures["data"], measures["groups"]),
            (measures["pdf"], measures["order_pdf"]),
            (measures["xlsx"], measures["export"]),
        ]
        print_results(args, pairs, context)
        problems = check(built["data"], groups_kept["groups"], company)
        sections = {
            "kpis": len(built["data"]["kpis"]),
            "ranking rows": len(built["data"]["ranking"]["rows"]),
            "categories": len(built["data"]["categories"]),
        }
        print("  report: " + ", ".join(f"{count} {name}" for name, count in sections.items()))
    if args.json:
        payload = {
            "database": args.database,
            "repeat": args.repeat,
            **context,
            "load_average": os.getloadavg(),
            "results_agree": not problems,
            "measures": {
                key: {
                    "name": m.name,
                    "baseline": m.baseline,
                    "times_s": m.times,
                    "best_s": m.best,
                    "queries": m.queries,
                    "python_peak_bytes": m.python_peak,
                    "rss_growth_bytes": m.rss_growth,
                    "size_bytes": m.size,
                }
                for key, m in measures.items()
            },
        }
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump(payload, file, indent=2, default=str)
    if problems:
        print("\n!!! THE RESULTS DO NOT AGREE !!!\n!!! " + "\n!!! ".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
