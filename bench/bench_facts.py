#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Benchmark the sales facts of salesperf_odoo against sale.report and raw SQL.

One aggregation is timed three ways on all the confirmed sold lines of an Odoo 18
database: untaxed revenue and margin (company currency) and the number of distinct
orders, per salesperson and per month.

* addon:       ``salesperf.sale.fact._read_group([], ['user_id', 'date:month'],
               ['revenue:sum', 'margin:sum', 'order_reference:count_distinct'])``
* sale.report: ``sale.report._read_group([('state', '=', 'sale')], ['user_id',
               'date:month'], ['price_subtotal:sum', 'margin:sum',
               'order_reference:count_distinct'])``
* raw SQL:     one ``GROUP BY`` on ``sale_order_line JOIN sale_order``, the floor
               that any ORM-based report pays on top of.

Each measure runs once to warm up, then the measures take turns for ``--repeat``
rounds; the best time of each is kept.  Queries run as the superuser (no record
rules) and the ORM caches are cleared before every run.  Targets:

* addon / sale.report <= 1.0: the facts are at least as fast as Odoo's own report;
* addon / raw SQL <= 3.0: the generic facts view costs at most 3 times the
  hand-written query.

The three results must agree on the totals (revenue and margin to the cent, number of
orders); a mismatch is reported loudly and makes the script exit with status 1.
"""

import argparse
import datetime as dt
import json
import math
import sys
import time
from dataclasses import dataclass, field

from odoo_session import add_odoo_arguments, odoo_environment

TARGET_VS_REPORT = 1.0
TARGET_VS_RAW = 3.0
CENT = 0.005  # two totals agree to the cent when they differ by less than half a cent

RAW_SQL = """
    SELECT so.user_id,
           date_trunc('month', so.date_order) AS month,
           SUM(l.price_subtotal / COALESCE(NULLIF(so.currency_rate, 0), 1)) AS revenue,
           SUM(l.margin / COALESCE(NULLIF(so.currency_rate, 0), 1)) AS margin,
           COUNT(DISTINCT so.id) AS orders
      FROM sale_order_line l
      JOIN sale_order so ON so.id = l.order_id
     WHERE so.state = 'sale'
       AND l.display_type IS NULL
       AND l.is_downpayment IS NOT TRUE
  GROUP BY 1, 2
"""
CONFIRMED_LINES_SQL = """
    SELECT count(*)
      FROM sale_order_line l
      JOIN sale_order so ON so.id = l.order_id
     WHERE so.state = 'sale' AND l.display_type IS NULL AND l.is_downpayment IS NOT TRUE
"""


@dataclass
class Measure:
    """Timings and normalised result of one way of computing the aggregation."""

    name: str
    times: list[float] = field(default_factory=list)
    # (user id or None, first day of the month) -> (revenue, margin, orders)
    groups: dict = field(default_factory=dict)

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def totals(self) -> tuple[float, float, int]:
        values = self.groups.values()
        return (
            math.fsum(v[0] for v in values),
            math.fsum(v[1] for v in values),
            sum(v[2] for v in values),
        )


# --------------------------------------------------------------------------- measures


def read_group_addon(env) -> list:
    return env["salesperf.sale.fact"]._read_group(
        [],
        ["user_id", "date:month"],
        ["revenue:sum", "margin:sum", "order_reference:count_distinct"],
    )


def read_group_sale_report(env) -> list:
    return env["sale.report"]._read_group(
        [("state", "=", "sale")],
        ["user_id", "date:month"],
        ["price_subtotal:sum", "margin:sum", "order_reference:count_distinct"],
    )


def raw_sql(env) -> list:
    env.cr.execute(RAW_SQL)
    return env.cr.fetchall()


MEASURES = {
    "addon": read_group_addon,
    "sale.report": read_group_sale_report,
    "raw SQL": raw_sql,
}


def normalise(rows) -> dict:
    """Rows of (user, month, revenue, margin, orders) -> {(user id, date): values}."""
    groups = {}
    for user, month, revenue, margin, orders in rows:
        user_id = user if user is None or isinstance(user, int) else (user.id or None)
        if isinstance(month, dt.datetime):
            month = month.date()
        groups[user_id, month or None] = (float(revenue or 0), float(margin or 0), orders)
    return groups


def clear_caches(env) -> None:
    """Forget the records and the ormcache, as a new request on a cold worker would."""
    env.invalidate_all()
    env.registry.clear_cache()


def timed_run(env, measure: Measure) -> list:
    """Run one measure once on cold ORM caches, record its time, return its rows."""
    clear_caches(env)
    started = time.perf_counter()
    rows = MEASURES[measure.name](env)
    measure.times.append(time.perf_counter() - started)
    return rows


def run_measures(env, names: list[str], repeat: int) -> dict:
    """Warm every measure up once, then time them in turn, ``repeat`` rounds.

    Taking turns spreads any background load on the machine over all the measures
    instead of penalising whichever runs while it lasts.
    """
    measures = {name: Measure(name) for name in names}
    for measure in measures.values():
        print(f"warming up {measure.name} ...", flush=True)
        measure.groups = normalise(timed_run(env, measure))
        measure.times.clear()  # the warm-up does not count
    for round_number in range(1, repeat + 1):
        print(f"round {round_number}/{repeat} ...", flush=True)
        for measure in measures.values():
            measure.groups = normalise(timed_run(env, measure))
    return measures


# --------------------------------------------------------------------------- report


def count_confirmed_lines(env) -> int:
    env.cr.execute(CONFIRMED_LINES_SQL)
    return env.cr.fetchone()[0]


def compare(reference: Measure, other: Measure) -> list[str]:
    """Problems found between the results of two measures (empty when they agree)."""
    problems = []
    ref_revenue, ref_margin, ref_orders = reference.totals
    revenue, margin, orders = other.totals
    if abs(revenue - ref_revenue) >= CENT:
        problems.append(
            f"revenue total {revenue:,.2f} != {ref_revenue:,.2f} ({reference.name}), "
            f"difference {revenue - ref_revenue:+,.4f}"
        )
    if abs(margin - ref_margin) >= CENT:
        problems.append(
            f"margin total {margin:,.2f} != {ref_margin:,.2f} ({reference.name}), "
            f"difference {margin - ref_margin:+,.4f}"
        )
    if orders != ref_orders:
        problems.append(f"order count {orders:,} != {ref_orders:,} ({reference.name})")
    return problems


def differing_groups(reference: Measure, other: Measure) -> int:
    """Groups (salesperson, month) present in one result only or with other values."""
    keys = reference.groups.keys() | other.groups.keys()
    count = 0
    for key in keys:
        a, b = reference.groups.get(key), other.groups.get(key)
        if (
            a is None
            or b is None
            or a[2] != b[2]
            or max(abs(a[0] - b[0]), abs(a[1] - b[1])) >= CENT
        ):
            count += 1
    return count


def ratio_line(label: str, numerator: Measure, denominator: Measure, target: float) -> str:
    ratio = numerator.best / denominator.best
    verdict = "OK" if ratio <= target else "MISSED"
    return f"  {label:<24} {ratio:6.2f}   (target <= {target:.1f})  {verdict}"


def print_report(measures: dict, confirmed_lines: int, repeat: int) -> None:
    print(f"\nRevenue, margin and orders per salesperson per month (best of {repeat}):\n")
    print(f"  {'measure':<12} {'best s':>8} {'median s':>9} {'rows':>7} {'revenue total':>18}")
    for measure in measures.values():
        times = sorted(measure.times)
        print(
            f"  {measure.name:<12} {measure.best:8.3f} {times[len(times) // 2]:9.3f} "
            f"{len(measure.groups):7,} {measure.totals[0]:18,.2f}"
        )
    print(f"\n  confirmed lines: {confirmed_lines:,}")
    print("\nRatios:")
    if "addon" in measures:
        print(
            ratio_line(
                "addon / sale.report", measures["addon"], measures["sale.report"], TARGET_VS_REPORT
            )
        )
        print(ratio_line("addon / raw SQL", measures["addon"], measures["raw SQL"], TARGET_VS_RAW))
    print(
        f"  {'sale.report / raw SQL':<24} "
        f"{measures['sale.report'].best / measures['raw SQL'].best:6.2f}   (for reference)"
    )


def check_results(measures: dict) -> bool:
    """Print the agreement of every result with raw SQL; False on any mismatch."""
    reference = measures["raw SQL"]
    agree = True
    print("\nTotals (revenue to the cent, margin to the cent, orders):")
    for name, measure in measures.items():
        if measure is reference:
            continue
        problems = compare(reference, measure)
        groups = differing_groups(reference, measure)
        if problems:
            agree = False
            print(f"  !!! MISMATCH {name} vs raw SQL:")
            for problem in problems:
                print(f"  !!!   {problem}")
        else:
            print(f"  {name}: totals agree with raw SQL")
        if groups:
            print(
                f"  note: {groups:,} of {len(reference.groups):,} (salesperson, month) groups "
                f"differ between {name} and raw SQL; expected only if the company has a time "
                "zone (the addon dates orders in it, sale.report and raw SQL in UTC)"
            )
    return agree


def write_json(path: str, args, measures: dict, confirmed_lines: int, agree: bool) -> None:
    payload = {
        "database": args.database,
        "repeat": args.repeat,
        "confirmed_lines": confirmed_lines,
        "totals_agree": agree,
        "measures": {
            name: {
                "best_s": m.best,
                "times_s": m.times,
                "rows": len(m.groups),
                "revenue": m.totals[0],
                "margin": m.totals[1],
                "orders": m.totals[2],
            }
            for name, m in measures.items()
        },
    }
    with open(path, "w", encoding="utf-8") as file:
        json.dump(payload, file, indent=2)


# --------------------------------------------------------------------------- main


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    add_odoo_arguments(parser)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per measure")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument(
        "--check-targets",
        action="store_true",
        help="exit with status 2 when a ratio misses its target",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    with odoo_environment(args) as env:
        names = list(MEASURES)
        if "salesperf.sale.fact" not in env:
            print("salesperf.sale.fact is not installed: the addon measure is skipped")
            names.remove("addon")
        confirmed_lines = count_confirmed_lines(env)
        measures = run_measures(env, names, args.repeat)
    print_report(measures, confirmed_lines, args.repeat)
    agree = check_results(measures)
    if args.json:
        write_json(args.json, args, measures, confirmed_lines, agree)
    if not agree:
        print("\n!!! THE RESULTS DO NOT AGREE: the timings compare different things !!!")
        return 1
    if args.check_targets and "addon" in measures:
        if measures["addon"].best / measures["sale.report"].best > TARGET_VS_REPORT:
            return 2
        if measures["addon"].best / measures["raw SQL"].best > TARGET_VS_RAW:
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
