#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Benchmark the import wizard of external sales against Odoo's standard importer.

Generates a CSV file of ``--rows`` sold lines (default 20,000) with a fixed seed, then
times, as an administrator of Sales Performance (no superuser shortcut):

* wizard:   ``salesperf.external.sale.import.action_import()`` of the whole file, then
            a flush: reading, checking every row, resolving every name, conversion
            rates, and creating the lines in one transaction.  Timed again on the same
            file, which then updates nothing (every line exists, unchanged).
* baseline: Odoo's standard importer, ``base_import.import.execute_import``, of the
            first ``--baseline-rows`` rows of the same file (default 2,000: one batch
            of the web client), its header naming the same fields.  It
            resolves names row by row, so its time grows linearly with the rows: its
            time per row is extrapolated to the whole file.

Salespeople, products, customers, a sales team and the rates of a second currency are
created for the run (deterministic names), and everything, imported lines included, is
rolled back at the end: the database is left as it was.  Each timed import runs in a
savepoint that is rolled back, so every run starts from the same state.  The wizard
must import every row, and its lines must add up to the generated amounts to the
cent; otherwise the script says so loudly and exits with status 1.  Target: the whole
file (20,000 rows) in at most ``--target`` seconds (default 10).
"""

import argparse
import base64
import csv
import datetime as dt
import io
import math
import os
import random
import sys
import time

from odoo_session import add_odoo_arguments, odoo_environment

from odoo import Command

TARGET_SECONDS = 10.0
YEAR = 2025
SALESPEOPLE = 20
PRODUCTS = 200
CUSTOMERS = 300
HEADER = [
    "External Reference",
    "Order Reference",
    "Date",
    "Salesperson",
    "Product",
    "Quantity",
    "Untaxed Amount",
    "Cost",
    "Currency",
    "Refund",
    "Customer",
    "Team",
    "Channel",
    "Origin",
]
# the same columns for the standard importer, which maps them to fields by name
BASELINE_FIELDS = [
    "external_ref",
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
    "team_id",
    "channel",
    "origin",
]
BASELINE_OPTIONS = {
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


# --------------------------------------------------------------------------- set-up


def create_fixtures(env, company):
    """Salespeople, products, customers, a team, a second currency with rates, and
    the administrator who imports; all go away with the final rollback."""
    quiet = {"tracking_disable": True, "mail_create_nolog": True, "no_reset_password": True}
    users = (
        env["res.users"]
        .with_context(**quiet)
        .create(
            [
                {
                    "name": f"Bench Salesperson {n:02d}",
                    "login": f"bench.salesperson.{n:02d}",
                    "company_id": company.id,
                    "company_ids": [Command.set(company.ids)],
                    "groups_id": [Command.set(env.ref("sales_team.group_sale_salesman").ids)],
                }
                for n in range(1, SALESPEOPLE + 1)
            ]
        )
    )
    team = env["crm.team"].create(
        {
            "name": "Bench Team",
            "company_id": company.id,
            "member_ids": [Command.set(users[: SALESPEOPLE // 2].ids)],
        }
    )
    products = env["product.product"].create(
        [
            {"name": f"Bench Product {n:03d}", "default_code": f"BENCH-P{n:03d}"}
            for n in range(1, PRODUCTS + 1)
        ]
    )
    customers = env["res.partner"].create(
        [{"name": f"Bench Customer {n:03d}", "is_company": True} for n in range(1, CUSTOMERS + 1)]
    )
    foreign = (
        env["res.currency"]
        .with_context(active_test=False)
        .search([("name", "in", ["EUR", "USD"]), ("id", "!=", company.currency_id.id)], limit=1)
    )
    foreign.active = True
    # a rate on the first of every month, unless the database has one there already
    existing = set(
        env["res.currency.rate"]
        .search([("currency_id", "=", foreign.id), ("company_id", "=", company.id)])
        .mapped("name")
    )
    env["res.currency.rate"].create(
        [
            {
                "name": dt.date(YEAR, month, 1),
                "rate": 1.05 + month / 100,
                "currency_id": foreign.id,
                "company_id": company.id,
            }
            for month in range(1, 13)
            if dt.date(YEAR, month, 1) not in existing
        ]
    )
    importer = (
        env["res.users"]
        .with_context(**quiet)
        .create(
            {
                "name": "Bench Importer",
                "login": "bench.importer",
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "groups_id": [
                    Command.set(
                        (
                            env.ref("base.group_user")
                            | env.ref("salesperf_odoo.group_salesperf_manager")
                        ).ids
                    )
                ],
            }
        )
    )
    env.flush_all()
    return {
        "users": users,
        "team": team,
        "products": products,
        "customers": customers,
        "currencies": [company.currency_id.name, foreign.name],
        "importer": importer,
    }


def generate_rows(fixtures, count, seed):
    """``count`` rows of the CSV file, the same for the same seed and fixtures."""
    rnd = random.Random(seed)
    users, products, customers = fixtures["users"], fixtures["products"], fixtures["customers"]
    rows = []
    for n in range(count):
        quantity = rnd.randint(1, 10)
        amount = round(quantity * rnd.uniform(5, 500), 2)
        cost = round(amount * rnd.uniform(0.4, 0.8), 2)
        refund = rnd.random() < 0.05
        user = users[rnd.randrange(len(users))]
        rows.append(
            [
                f"BENCH-{n + 1:06d}",
                f"BENCH-SO-{n // 3 + 1:06d}",
                (dt.date(YEAR, 1, 1) + dt.timedelta(days=rnd.randrange(365))).isoformat(),
                user.name,
                products[rnd.randrange(len(products))].default_code,
                str(-quantity if refund else quantity),
                f"{amount:.2f}",
                f"{cost:.2f}",
                fixtures["currencies"][rnd.random() < 0.3],
                "1" if refund else "0",
                customers[rnd.randrange(len(customers))].name,
                fixtures["team"].name if rnd.random() < 0.1 else "",
                rnd.choice(["other", "marketplace", "ecommerce", "direct"]),
                "bench",
            ]
        )
    return rows


def to_csv(header, rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


# --------------------------------------------------------------------------- measures


def run_wizard(env, importer, content):
    """Import ``content`` with the wizard; returns (seconds, queries, wizard)."""
    wizard = (
        env["salesperf.external.sale.import"]
        .with_user(importer)
        .create({"file": base64.b64encode(content), "file_name": "bench.csv"})
    )
    env.flush_all()
    env.invalidate_all()
    queries = env.cr.sql_log_count
    started = time.perf_counter()
    wizard.action_import()
    env.flush_all()
    elapsed = time.perf_counter() - started
    return elapsed, env.cr.sql_log_count - queries, wizard


def run_baseline(env, importer, content):
    """Import ``content`` with Odoo's standard importer; returns (seconds, messages)."""
    base_import = (
        env["base_import.import"]
        .with_user(importer)
        .create(
            {
                "res_model": "salesperf.external.sale",
                "file": content,
                "file_type": "text/csv",
                "file_name": "bench.csv",
            }
        )
    )
    env.flush_all()
    env.invalidate_all()
    started = time.perf_counter()
    result = base_import.execute_import(BASELINE_FIELDS, BASELINE_FIELDS, dict(BASELINE_OPTIONS))
    env.flush_all()
    return time.perf_counter() - started, result["messages"]


def check_import(env, company, rows, wizard) -> list[str]:
    """Problems of an import: rows not all imported, totals that do not add up."""
    problems = []
    if wizard.state != "done":
        problems.append(f"the wizard reported {wizard.error_count} error(s):")
        problems += wizard.error_message.split("\n")[:10]
        return problems
    groups = env["salesperf.external.sale"]._read_group(
        [("company_id", "=", company.id), ("external_ref", "=like", "BENCH-%")],
        [],
        ["__count", "price_subtotal:sum", "cost:sum"],
    )
    count, amount, cost = groups[0]
    if count != len(rows):
        problems.append(f"{count:,} lines imported, {len(rows):,} expected")
    for label, total, column in (("untaxed amount", amount, 6), ("cost", cost, 7)):
        expected = math.fsum(float(row[column]) for row in rows)
        if abs(total - expected) >= 0.005:
            problems.append(f"{label}: {total:,.2f} imported, {expected:,.2f} in the file")
    return problems


def rolled_back(env, measure):
    """Run ``measure`` in a savepoint that is rolled back, whatever happens."""
    savepoint = env.cr.savepoint()
    try:
        return measure()
    finally:
        savepoint.close(rollback=True)
        env.invalidate_all()


# --------------------------------------------------------------------------- main


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    add_odoo_arguments(parser)
    parser.add_argument("--rows", type=int, default=20_000, help="rows of the generated file")
    parser.add_argument(
        "--baseline-rows",
        type=int,
        default=2_000,
        help="rows imported by the standard importer (0: skip it)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="timed runs of the wizard")
    parser.add_argument("--seed", type=int, default=42, help="seed of the generated file")
    parser.add_argument(
        "--target", type=float, default=TARGET_SECONDS, help="seconds allowed for --rows"
    )
    args = parser.parse_args(argv)
    if args.rows < 1 or args.repeat < 1 or args.baseline_rows < 0:
        parser.error("--rows and --repeat must be >= 1, --baseline-rows >= 0")
    return args


def measure_wizard(env, company, importer, rows, content, repeat):
    """Time the wizard on the whole file ``repeat`` times, then on the same file again."""
    print("warming up the wizard (100 rows) ...", flush=True)
    rolled_back(env, lambda: run_wizard(env, importer, to_csv(HEADER, rows[:100])))
    result = {"times": [], "problems": []}
    for round_number in range(1, repeat + 1):
        print(f"wizard, run {round_number}/{repeat} ...", flush=True)

        def import_twice():
            seconds, queries, wizard = run_wizard(env, importer, content)
            result["problems"] += check_import(env, company, rows, wizard)
            result["times"].append(seconds)
            result["queries"] = queries
            again, again_queries, wizard = run_wizard(env, importer, content)
            result.update(again=again, again_queries=again_queries)
            result["unchanged"] = wizard.unchanged_count

        rolled_back(env, import_twice)
    return result


def measure_baseline(env, importer, rows):
    """Time the standard importer on ``rows``: (rows, seconds, problems)."""
    print(f"standard importer, {len(rows):,} rows ...", flush=True)
    seconds, messages = rolled_back(
        env, lambda: run_baseline(env, importer, to_csv(BASELINE_FIELDS, rows))
    )
    problems = []
    if messages:
        problems.append(f"the standard importer reported {len(messages)} message(s):")
        problems += [str(message.get("message")) for message in messages[:10]]
    return len(rows), seconds, problems


def print_report(args, company_name, rows, wizard, baseline) -> None:
    best = min(wizard["times"])
    print(f"\nImport of {rows:,} external sales, {company_name} (best of {args.repeat}):\n")
    print(
        f"  wizard, new lines:       {best:8.2f} s  {rows / best:10,.0f} rows/s  "
        f"{wizard['queries']:,} queries"
    )
    print(
        f"  wizard, same file again: {wizard['again']:8.2f} s  "
        f"{rows / wizard['again']:10,.0f} rows/s  {wizard['again_queries']:,} queries "
        f"({wizard['unchanged']:,} lines unchanged)"
    )
    if baseline:
        sample_rows, sample_seconds, _problems = baseline
        per_row = sample_seconds / sample_rows
        extrapolated = per_row * rows
        print(
            f"  standard importer:       {sample_seconds:8.2f} s  {1 / per_row:10,.0f} rows/s  "
            f"for the first {sample_rows:,} rows"
        )
        print(
            f"                           {extrapolated:8.2f} s  extrapolated to {rows:,} rows "
            "(its time per row x rows)"
        )
        print(
            f"\n  wizard / standard importer: {best / extrapolated:.3f} "
            f"(the wizard is {extrapolated / best:,.0f} times faster)"
        )
    allowed = args.target * rows / 20_000
    verdict = "MET" if best <= allowed else "MISSED"
    print(
        f"  target, 20,000 rows in <= {args.target:g} s: {verdict} ({best:.2f} s for {rows:,} rows)"
    )
    print(f"  load average: {', '.join(f'{load:.2f}' for load in os.getloadavg())}")


def main(argv=None) -> int:
    args = parse_args(argv)
    with odoo_environment(args) as env:
        if "salesperf.external.sale.import" not in env:
            print("salesperf_odoo (with its import wizard) is not installed in this database")
            return 1
        company = env.ref("base.main_company")
        company_name = company.name
        env = env(context=dict(env.context, allowed_company_ids=[company.id]))
        print("creating salespeople, products, customers and rates ...", flush=True)
        fixtures = create_fixtures(env, company)
        importer = fixtures["importer"]
        rows = generate_rows(fixtures, args.rows, args.seed)
        content = to_csv(HEADER, rows)
        print(f"file: {len(rows):,} rows, {len(content) / 1e6:.1f} MB", flush=True)
        wizard = measure_wizard(env, company, importer, rows, content, args.repeat)
        problems = wizard["problems"]
        baseline = None
        if args.baseline_rows:
            baseline = measure_baseline(env, importer, rows[: args.baseline_rows])
            problems += baseline[2]
        env.cr.rollback()  # the fixtures, and anything a measure may have left
        env.cr.execute(
            "SELECT count(*) FROM salesperf_external_sale WHERE external_ref LIKE 'BENCH-%%'"
        )
        if left := env.cr.fetchone()[0]:
            problems.append(f"{left} lines of this run are still in the database")
    print_report(args, company_name, len(rows), wizard, baseline)
    if problems:
        print("\n!!! " + "\n!!! ".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
