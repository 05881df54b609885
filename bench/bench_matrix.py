#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Benchmark the KPI matrix (Sales Performance Analysis) against sale.report.

The matrix is ``salesperf.performance`` in its pivot view: one row per
salesperson, its default KPIs as columns. Opening it sends two ``read_group``
at once (the grand total and one group per salesperson), which the server
answers in parallel; the one per salesperson is timed, for a quarter and for
a year, as the web client sends it (the total is timed too, for reference):

* matrix:      ``salesperf.performance.read_group([('level', '=', 'user'),
               ('date', '>=', start), ('date', '<', end)], KPIS, ['user_id'],
               lazy=False)``; KPIS are the pivot's default measures (revenue,
               revenue target and attainment, margin %, orders, won, win rate,
               activities);
* total:       the same without grouping (the pivot's grand total);
* all KPIs:    the same with every measure of the model (new customers, the
               pipeline, every target, attainment and gap), for reference;
* sale.report: ``sale.report.read_group([('company_id', '=', company),
               ('state', '=', 'sale'), ('date', '>=', start), ('date', '<',
               end)], ['price_subtotal:sum'], ['user_id'], lazy=False)``:
               Odoo's own revenue per salesperson over the same period, of the
               current company like the matrix.

Each salesperson gets a confirmed revenue target for the year and one per month
of the last quarter, created in the script's transaction and rolled back at the
end, so that the target columns have something to spread and compare (a year
target counts in the months without a month target).

Each measure runs once to warm up, then the measures take turns for
``--repeat`` rounds; the best and the median times are printed with the ratio
matrix / sale.report. The target is 2 seconds for the matrix, quarter and year.
The revenue totals of the matrix and sale.report must agree to the cent when
the company has no time zone (both then date orders in UTC); otherwise the
script says so loudly and exits with status 1.
"""

import argparse
import datetime as dt
import math
import sys
import time
from dataclasses import dataclass, field

from odoo_session import add_odoo_arguments, odoo_environment

TARGET_SECONDS = 2.0
CENT = 0.005
KPIS = [
    "revenue",
    "revenue_target",
    "revenue_attainment",
    "margin_percent",
    "orders",
    "won_count",
    "win_rate",
    "activities_done",
]


@dataclass
class Measure:
    name: str
    period: str
    times: list[float] = field(default_factory=list)
    groups: int = 0
    revenue: float = 0.0

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return sorted(self.times)[len(self.times) // 2]


def all_kpis(env) -> list[str]:
    model = env["salesperf.performance"]
    return [
        name
        for name, field_ in model._fields.items()
        if field_.aggregator and field_.type in ("integer", "float", "monetary") and name != "id"
    ]


def matrix(env, start, end, measures, groupby):
    domain = [("level", "=", "user"), ("date", ">=", start), ("date", "<", end)]
    return env["salesperf.performance"].read_group(domain, measures, groupby, lazy=False)


def sale_report(env, start, end):
    model = env["sale.report"]
    # the matrix is the current company's only
    domain = [
        ("company_id", "=", env.company.id),
        ("state", "=", "sale"),
        ("date", ">=", dt.datetime.combine(start, dt.time.min)),
        ("date", "<", dt.datetime.combine(end, dt.time.min)),
    ]
    return model.read_group(domain, ["price_subtotal:sum"], ["user_id"], lazy=False)


def run(env, measure: Measure, start, end) -> None:
    env.invalidate_all()
    env.registry.clear_cache()
    started = time.perf_counter()
    if measure.name == "sale.report":
        rows = sale_report(env, start, end)
        revenue_key = "price_subtotal"
    else:
        kpis = all_kpis(env) if measure.name == "all KPIs" else KPIS
        groupby = [] if measure.name == "total" else ["user_id"]
        rows = matrix(env, start, end, kpis, groupby)
        revenue_key = "revenue"
    measure.times.append(time.perf_counter() - started)
    measure.groups = len(rows)
    measure.revenue = math.fsum(row[revenue_key] or 0.0 for row in rows)


def create_targets(env, year: int) -> int:
    """A confirmed revenue target per salesperson for ``year`` and for each
    month of its last quarter; existing ones are left as they are."""
    company = env.company
    salespeople = env["res.users"].browse(
        user.id
        for (user,) in env["sale.order"]._read_group([("company_id", "=", company.id)], ["user_id"])
        if user
    )
    Target = env["salesperf.target"]
    existing = {
        (target.user_id.id, target.period_kind, target.date_from)
        for target in Target.search([("scope", "=", "user"), ("metric", "=", "revenue")])
    }
    periods = [("year", dt.date(year, 1, 1), 1_200_000.0)]
    periods += [("month", dt.date(year, month, 1), 110_000.0) for month in (10, 11, 12)]
    values = [
        {
            "scope": "user",
            "user_id": user.id,
            "company_id": company.id,
            "metric": "revenue",
            "period_kind": kind,
            "date_from": start,
            "amount": amount,
            "state": "confirmed",
        }
        for user in salespeople
        for kind, start, amount in periods
        if (user.id, kind, start) not in existing
    ]
    Target.create(values)
    env.flush_all()
    return len(values)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    add_odoo_arguments(parser)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measure")
    parser.add_argument(
        "--year", type=int, default=2025, help="year measured; the quarter is its last"
    )
    parser.add_argument(
        "--check-targets",
        action="store_true",
        help="exit with status 2 when the matrix takes more than 2 seconds",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    periods = {
        "quarter": (dt.date(args.year, 10, 1), dt.date(args.year + 1, 1, 1)),
        "year": (dt.date(args.year, 1, 1), dt.date(args.year + 1, 1, 1)),
    }
    with odoo_environment(args) as env:
        created = create_targets(env, args.year)
        print(f"{created:,} targets created (rolled back at the end)")
        tz = env.company.partner_id.tz
        measures = [
            Measure(name, period)
            for period in periods
            for name in ("matrix", "total", "all KPIs", "sale.report")
        ]
        for measure in measures:
            print(f"warming up {measure.name}, {measure.period} ...", flush=True)
            run(env, measure, *periods[measure.period])
            measure.times.clear()
        for round_number in range(1, args.repeat + 1):
            print(f"round {round_number}/{args.repeat} ...", flush=True)
            for measure in measures:
                run(env, measure, *periods[measure.period])
    print(f"\nKPI matrix of every salesperson (best of {args.repeat}):\n")
    print(
        f"  {'period':<8} {'measure':<12} {'best s':>8} {'median s':>9} {'groups':>7} "
        f"{'revenue total':>18}"
    )
    for measure in measures:
        print(
            f"  {measure.period:<8} {measure.name:<12} {measure.best:8.3f} {measure.median:9.3f} "
            f"{measure.groups:7,} {measure.revenue:18,.2f}"
        )
    print("\nRatios and targets:")
    agree, missed = True, False
    for period in periods:
        by_name = {m.name: m for m in measures if m.period == period}
        matrix_, report = by_name["matrix"], by_name["sale.report"]
        verdict = "OK" if matrix_.best <= TARGET_SECONDS else "MISSED"
        missed |= matrix_.best > TARGET_SECONDS
        print(
            f"  {period:<8} matrix {matrix_.best:.3f} s (target <= {TARGET_SECONDS:.0f} s) "
            f"{verdict}; matrix / sale.report {matrix_.best / report.best:.2f}; "
            f"total / sale.report {by_name['total'].best / report.best:.2f}; "
            f"all KPIs / sale.report {by_name['all KPIs'].best / report.best:.2f}"
        )
        if by_name["total"].revenue and abs(by_name["total"].revenue - matrix_.revenue) >= CENT:
            agree = False
            print(f"  !!! MISMATCH {period}: the total is not the sum of the salespeople")
        if not tz and abs(matrix_.revenue - report.revenue) >= CENT:
            agree = False
            print(
                f"  !!! MISMATCH {period}: matrix revenue {matrix_.revenue:,.2f} != "
                f"sale.report {report.revenue:,.2f}"
            )
    if tz:
        print(f"  note: the company is in {tz}: the matrix dates orders in it, sale.report in UTC")
    if not agree:
        print("\n!!! THE RESULTS DO NOT AGREE: the timings compare different things !!!")
        return 1
    return 2 if args.check_targets and missed else 0


if __name__ == "__main__":
    sys.exit(main())
