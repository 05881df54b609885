#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Benchmark the attainment of monthly salesperson targets against raw SQL.

Measures, for one month (``--month``, default 2025-12) and the main company, the time
to compute the attainment of every salesperson (the users the "Salesperson" field of a
sale order offers: internal users of "Sales / User: Own Documents Only" working for the
company), two ways:

* addon:   one ``salesperf.target`` per salesperson (scope "user", metric "revenue",
           period "month"), then ``targets.invalidate_recordset();
           targets.mapped("attainment")``: ``_compute_pacing`` reads every KPI
           family of the month through ``salesperf.kpi._compute_measures``.  The SQL
           queries it sends are counted too (``env.cr.sql_log_count``).
* raw SQL: the same revenue per salesperson (confirmed product lines, untaxed amount
           divided by the order's ``currency_rate``) in one ``GROUP BY`` on
           ``sale_order_line JOIN sale_order``, bounded by the month's days in the
           company time zone.

Missing targets are created once (existing ones are reused) inside the script's
transaction, which is rolled back at the end: the database is left as it was.  Each
measure runs once to warm up, then the two take turns for ``--repeat`` rounds; the
best time of each is kept.  Everything runs as the superuser (no record rules).

The ``actual`` revenue of every target must equal the raw SQL sum to the cent; a
mismatch is reported loudly and makes the script exit with status 1.
"""

import argparse
import datetime as dt
import math
import sys
import time
from dataclasses import dataclass, field

from odoo_session import add_odoo_arguments, odoo_environment

from odoo.tools import float_round

TARGET_AMOUNT = 100_000.0  # any positive amount: attainment = actual / amount
LINE_FILTER = """
           so.state = 'sale'
       AND so.company_id = %(company)s
       AND so.date_order >= %(start)s
       AND so.date_order < %(end)s
       AND l.display_type IS NULL
       AND l.is_downpayment IS NOT TRUE
"""
RAW_SQL = f"""
    SELECT so.user_id,
           SUM(l.price_subtotal / COALESCE(NULLIF(so.currency_rate, 0), 1)) AS revenue
      FROM sale_order_line l
      JOIN sale_order so ON so.id = l.order_id
     WHERE {LINE_FILTER}
  GROUP BY so.user_id
"""
LINES_SQL = f"""
    SELECT count(*)
      FROM sale_order_line l
      JOIN sale_order so ON so.id = l.order_id
     WHERE {LINE_FILTER}
"""
# UTC bounds [start, end) of the month's local days: the conversion the facts view
# applies to date_order (AT TIME ZONE 'UTC' AT TIME ZONE the company's tz), reversed
BOUNDS_SQL = """
    SELECT (%(first)s::timestamp AT TIME ZONE %(tz)s) AT TIME ZONE 'UTC',
           (%(next)s::timestamp AT TIME ZONE %(tz)s) AT TIME ZONE 'UTC'
"""


@dataclass
class Measure:
    """Timings, query counts and revenue per salesperson of one way of computing."""

    name: str
    times: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    revenue: dict = field(default_factory=dict)  # user id or None -> revenue

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        times = sorted(self.times)
        return times[len(times) // 2]

    def total(self, user_ids) -> float:
        """Revenue of ``user_ids``, each rounded to the cent like a target's actual."""
        return math.fsum(cents(self.revenue.get(user_id, 0.0)) for user_id in user_ids)


@dataclass
class Month:
    """The month measured, in the company's time zone, and its UTC bounds."""

    first_day: dt.date
    last_day: dt.date
    tz: str
    utc_start: dt.datetime
    utc_end: dt.datetime

    @property
    def label(self) -> str:
        return self.first_day.strftime("%Y-%m")


# --------------------------------------------------------------------------- set-up


def month_argument(value: str) -> dt.date:
    try:
        return dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a month YYYY-MM") from None


def resolve_month(env, company, first_day: dt.date) -> Month:
    next_first = (first_day + dt.timedelta(days=32)).replace(day=1)
    tz = company.partner_id.tz or "UTC"
    env.cr.execute(BOUNDS_SQL, {"first": first_day, "next": next_first, "tz": tz})
    utc_start, utc_end = env.cr.fetchone()
    return Month(first_day, next_first - dt.timedelta(days=1), tz, utc_start, utc_end)


def salespeople(env, company):
    """The users the "Salesperson" field of the company's sale orders offers."""
    return env["res.users"].search(
        [
            ("groups_id", "in", env.ref("sales_team.group_sale_salesman").id),
            ("share", "=", False),
            ("company_ids", "in", company.id),
        ],
        order="id",
    )


def ensure_targets(env, company, users, month: Month):
    """One revenue target per user for the month: reuse existing ones, create the rest.

    Returns ``(targets, created)``; the created ones go away with the final rollback.
    """
    model = env["salesperf.target"]
    existing = model.search(
        [
            ("scope", "=", "user"),
            ("metric", "=", "revenue"),
            ("period_kind", "=", "month"),
            ("date_from", "=", month.first_day),
            ("company_id", "=", company.id),
            ("user_id", "in", users.ids),
        ]
    )
    missing = users - existing.user_id
    quiet = model.with_context(
        tracking_disable=True,
        mail_create_nolog=True,
        mail_create_nosubscribe=True,
        mail_notrack=True,
    )
    created = quiet.create(
        [
            {
                "scope": "user",
                "metric": "revenue",
                "period_kind": "month",
                "date_from": month.first_day,
                "amount": TARGET_AMOUNT,
                "company_id": company.id,
                "user_id": user.id,
            }
            for user in missing
        ]
    ).with_env(env)
    env.flush_all()
    return existing | created, created


# --------------------------------------------------------------------------- measures


def run_addon(env, targets, measure: Measure) -> None:
    """Recompute the attainment of every target, as the timed statement."""
    queries = env.cr.sql_log_count
    started = time.perf_counter()
    targets.invalidate_recordset()
    targets.mapped("attainment")
    measure.times.append(time.perf_counter() - started)
    measure.queries.append(env.cr.sql_log_count - queries)
    measure.revenue = {target.user_id.id: target.actual for target in targets}


def run_raw_sql(env, params: dict, measure: Measure) -> None:
    queries = env.cr.sql_log_count
    started = time.perf_counter()
    env.cr.execute(RAW_SQL, params)
    rows = env.cr.fetchall()
    measure.times.append(time.perf_counter() - started)
    measure.queries.append(env.cr.sql_log_count - queries)
    measure.revenue = {user_id: float(revenue or 0) for user_id, revenue in rows}


def run_measures(env, targets, params: dict, repeat: int) -> dict:
    """Warm both measures up once, then time them in turn, ``repeat`` rounds."""
    measures = {"addon": Measure("addon"), "raw SQL": Measure("raw SQL")}
    runs = {
        "addon": lambda measure: run_addon(env, targets, measure),
        "raw SQL": lambda measure: run_raw_sql(env, params, measure),
    }
    for name, measure in measures.items():
        print(f"warming up {name} ...", flush=True)
        runs[name](measure)
        measure.times.clear()  # the warm-up does not count
        measure.queries.clear()
    for round_number in range(1, repeat + 1):
        print(f"round {round_number}/{repeat} ...", flush=True)
        for name, measure in measures.items():
            runs[name](measure)
    return measures


# --------------------------------------------------------------------------- report


def cents(value: float) -> float:
    """Rounded to the cent the way Odoo rounds the ``actual`` field (half up)."""
    return float_round(value, precision_digits=2)


def check_results(addon: Measure, raw: Measure) -> bool:
    """Compare every target's actual with the raw SQL sum; False on any mismatch."""
    mismatches = [
        (user_id, actual, raw.revenue.get(user_id, 0.0))
        for user_id, actual in addon.revenue.items()
        if abs(cents(actual) - cents(raw.revenue.get(user_id, 0.0))) > 1e-6
    ]
    print("\nActual revenue per salesperson vs raw SQL (to the cent):")
    if mismatches:
        print(f"  !!! MISMATCH for {len(mismatches):,} of {len(addon.revenue):,} salespeople:")
        for user_id, actual, expected in mismatches[:10]:
            print(
                f"  !!!   user {user_id}: addon {actual:,.2f} != raw SQL {expected:,.2f} "
                f"(difference {actual - expected:+,.4f})"
            )
        if len(mismatches) > 10:
            print(f"  !!!   ... and {len(mismatches) - 10:,} more")
    else:
        print(f"  all {len(addon.revenue):,} salespeople agree")
    uncovered = {key: value for key, value in raw.revenue.items() if key not in addon.revenue}
    if uncovered:
        print(
            f"  note: {len(uncovered):,} raw SQL groups have no target (not a salesperson of "
            f"the company, or no salesperson): {math.fsum(uncovered.values()):,.2f} of revenue "
            "left out of the comparison"
        )
    return not mismatches


def print_report(measures: dict, facts: dict, month: Month, repeat: int) -> None:
    addon, raw = measures["addon"], measures["raw SQL"]
    print(
        f"\nAttainment of every salesperson, {month.label}, {facts['company']} "
        f"(best of {repeat}):\n"
    )
    print(f"  {'measure':<8} {'best s':>8} {'median s':>9} {'queries':>8} {'revenue total':>18}")
    # revenue total: the salespeople's revenue, each to the cent, as the targets show it
    for measure in (addon, raw):
        low, high = min(measure.queries), max(measure.queries)
        shown = str(low) if low == high else f"{low}-{high}"
        print(
            f"  {measure.name:<8} {measure.best:8.3f} {measure.median:9.3f} {shown:>8} "
            f"{measure.total(addon.revenue):18,.2f}"
        )
    with_sales = sum(1 for value in addon.revenue.values() if value)
    print(
        f"\n  salespeople (targets):        {facts['targets']:,} "
        f"({facts['created']:,} created for this run, rolled back)"
    )
    print(f"  salespeople with sales:       {with_sales:,}")
    print(f"  confirmed lines in the month: {facts['lines']:,}")
    print(f"  company time zone:            {month.tz}")
    print(
        f"  orders dated:                 {month.first_day} .. {month.last_day} local "
        f"= [{month.utc_start}, {month.utc_end}) UTC"
    )
    print(f"\n  addon / raw SQL: {addon.best / raw.best:,.1f}")


# --------------------------------------------------------------------------- main


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    add_odoo_arguments(parser)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per measure")
    parser.add_argument(
        "--month",
        type=month_argument,
        default=dt.date(2025, 12, 1),
        help="month measured, YYYY-MM (default: 2025-12)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    with odoo_environment(args) as env:
        if "salesperf.target" not in env:
            print("salesperf_odoo is not installed in this database")
            return 1
        company = env.ref("base.main_company")
        env = env(context=dict(env.context, allowed_company_ids=[company.id]))
        month = resolve_month(env, company, args.month)
        users = salespeople(env, company)
        if not users:
            print(f"no salesperson in {company.name}")
            return 1
        params = {"company": company.id, "start": month.utc_start, "end": month.utc_end}
        env.cr.execute(LINES_SQL, params)
        facts = {"company": company.name, "lines": env.cr.fetchone()[0]}
        try:
            targets, created = ensure_targets(env, company, users, month)
            facts.update(targets=len(targets), created=len(created))
            measures = run_measures(env, targets, params, args.repeat)
        finally:
            env.cr.rollback()  # drops the targets created above and anything else written
        if created:
            env.cr.execute("SELECT count(*) FROM salesperf_target WHERE id IN %s", [created._ids])
            left = env.cr.fetchone()[0]
            if left:
                print(f"!!! {left} of the targets created by this run are still in the database")
                return 1
    print_report(measures, facts, month, args.repeat)
    agree = check_results(measures["addon"], measures["raw SQL"])
    if not agree:
        print("\n!!! THE RESULTS DO NOT AGREE: the timings compare different things !!!")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
