#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Benchmark the commission statements, against OCA's settlement of the same invoices.

Four measures, in one transaction that is rolled back at the end (the
database is left as it was):

* sales ordered: ``salesperf.commission.statement._compute_period(company,
  day)`` as superuser for a monthly plan on sales ordered (revenue, graduated
  tiers on the period's cumulative amount, a category rate, a bonus per new
  customer) assigned to every salesperson of the generated data set
  (``bench.salesperson.*``), on ``--period``; then the same plan on
  ``--second-period``, which has another number of order lines: the SQL
  queries sent must be the same number (they may not grow with the lines).
  Baseline: reading the period's credited lines alone
  (``salesperf.commission.source._commission_sources``), the floor of any
  computation. Target: 30 seconds for 1,000,000 order lines, 500
  salespeople, one month;
* invoiced, ours: the statements of a flat 5 % plan on the invoiced basis,
  same salespeople, on ``--period``;
* invoiced, OCA: when OCA's ``account_commission_oca`` (18.0) is installed in
  the database, its settlement (``commission.make.settle.action_settle()``)
  of the same invoice lines at a flat 5 %: every salesperson's partner made
  an agent, one agent line per invoice line of the period (set up in the
  script's transaction, then analyzed, not timed). The ratio OCA / ours is
  printed, and the totals are checked: ours on the invoice lines in company
  currency must equal OCA's settlements in company currency to the cent
  (OCA settles each invoice in its own currency, ours converts at the
  invoice date's rate), and ours must equal the sum of 5 % of each line
  rounded to the cent;
* export: the finance workbook of the sales-ordered statements of
  ``--period`` (``salesperf.commission.export._write_file``): seconds, peak
  Python memory (tracemalloc, measured in a run of its own), growth of the
  process's peak resident memory (``resource.getrusage``; on Linux the free
  memory is given back and the peak reset first, so the growth is the
  export's own), file size and lines. The timed runs follow an ``ANALYZE``
  of the statements and their lines, as autovacuum does once a computation
  is committed; the first export, right after the computation, is timed
  apart.

Each computation runs in a savepoint that is rolled back (its plan's
assignments are made in it too: one plan per salesperson on any day), once
to warm up, then the measures take turns for ``--repeat`` rounds. The
statements' commissionable amounts must equal each salesperson's revenue
in the sales facts of the period to the cent, and their totals the sums of
their lines; otherwise the script says so loudly and exits with status 1.
``--check-targets`` exits with status 2 when the 30 seconds are missed or
the query count differs between the two periods (of one kind; a month and a
quarter: when the one with more lines sends more).
"""

import argparse
import calendar
import contextlib
import ctypes
import datetime as dt
import gc
import json
import math
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field

from odoo_session import add_odoo_arguments, odoo_environment

from odoo import Command

TARGET_SECONDS = 30.0
CENT = 0.005
#: The salespeople of ``generate_dataset.py``.
LOGIN_PREFIX = "bench.salesperson."
#: The day assignments start: before any period measured.
ASSIGNED_FROM = dt.date(2000, 1, 1)
#: Graduated tiers on the period's cumulative revenue: (from, up to, rate %).
TIERS = ((0.0, 25_000.0, 3.0), (25_000.0, 75_000.0, 5.0), (75_000.0, None, 8.0))
CATEGORY_NAME = "Software"
CATEGORY_RATE = 10.0
NEW_CUSTOMER_BONUS = 150.0
FLAT_RATE = 5.0
MIB = 2**20


@dataclass
class Measure:
    name: str
    period: str
    kind: str = "month"
    times: list[float] = field(default_factory=list)
    queries: int = 0
    documents: int = 0  # statements, or OCA settlements
    lines: int = 0
    total: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return sorted(self.times)[len(self.times) // 2]


# --------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    label: str
    kind: str  # "month" | "quarter"
    start: dt.date
    end: dt.date


def parse_period(text: str) -> Period:
    """``2025-12`` (a month) or ``2025-Q4`` (a quarter)."""
    year, _sep, rest = text.partition("-")
    if rest.upper().startswith("Q"):
        quarter = int(rest[1:])
        if not 1 <= quarter <= 4:
            raise ValueError(text)
        first, last, kind = 3 * quarter - 2, 3 * quarter, "quarter"
    else:
        first = last = int(rest)
        kind = "month"
    start = dt.date(int(year), first, 1)
    end = dt.date(int(year), last, calendar.monthrange(int(year), last)[1])
    return Period(text, kind, start, end)


def default_period(env, company) -> Period:
    """The month of the company's last confirmed order (company-local)."""
    env.cr.execute(
        "SELECT MAX(date_order) FROM sale_order WHERE state = 'sale' AND company_id = %s",
        [company.id],
    )
    last = env.cr.fetchone()[0]
    if not last:
        raise SystemExit("no confirmed order in this database: generate the data set first")
    local = last.replace(tzinfo=dt.UTC).astimezone(company._salesperf_tz())
    return parse_period(f"{local:%Y-%m}")


def smallest_month_before(env, company, users, period: Period) -> Period:
    """Of the 11 months before ``period``, the one with the fewest lines."""
    start = (period.start - dt.timedelta(days=330)).replace(day=1)
    counts = env["salesperf.sale.fact"]._read_group(
        [
            ("company_id", "=", company.id),
            ("user_id", "in", users.ids),
            ("date", ">=", start),
            ("date", "<", period.start),
        ],
        ["date:month"],
        ["__count"],
    )
    if not counts:
        raise SystemExit(f"no sales before {period.label}: give --second-period")
    month, _count = min(counts, key=lambda row: row[1])
    return parse_period(f"{month:%Y-%m}")


# --------------------------------------------------------------------------- setup


def salespeople(env, company):
    users = env["res.users"].search(
        [("login", "=like", f"{LOGIN_PREFIX}%"), ("company_ids", "in", company.id)]
    )
    if not users:
        raise SystemExit(
            f"no salesperson {LOGIN_PREFIX}*: generate the data set with generate_dataset.py"
        )
    return users


def create_plans(env, company, kinds):
    """The plans measured, activated, not yet assigned to anyone."""
    Plan = env["salesperf.commission.plan"]
    category = env["product.category"].search([("name", "=", CATEGORY_NAME)], limit=1)
    plans = {}
    for kind in sorted(kinds):
        plans["ordered", kind] = Plan.create(
            {
                "name": f"Bench sales ordered ({kind})",
                "company_id": company.id,
                "period_kind": kind,
                "basis": "ordered",
                "measure": "revenue",
                "tier_basis": "amount",
                "tier_mode": "graduated",
                "tier_ids": [
                    Command.create(
                        {
                            "lower": lower,
                            "upper": upper or 0.0,
                            "is_open": upper is None,
                            "rate": rate,
                        }
                    )
                    for lower, upper, rate in TIERS
                ],
                "rate_ids": [
                    Command.create(
                        {"kind": "category", "categ_id": category.id, "rate": CATEGORY_RATE}
                    )
                ]
                if category
                else [],
                "bonus_ids": [
                    Command.create(
                        {
                            "name": "New customer",
                            "condition": "new_customer",
                            "amount": NEW_CUSTOMER_BONUS,
                        }
                    )
                ],
            }
        )
        plans["invoiced", kind] = Plan.create(
            {
                "name": f"Bench invoiced {FLAT_RATE:g} % ({kind})",
                "company_id": company.id,
                "period_kind": kind,
                "basis": "invoiced",
                "measure": "revenue",
                "tier_basis": "none",
                "rate": FLAT_RATE,
            }
        )
    for plan in plans.values():
        plan.action_activate()
    env.flush_all()
    return plans, category


def assign(env, plan, users) -> None:
    env["salesperf.commission.assignment"].create(
        [{"plan_id": plan.id, "user_id": user.id, "date_from": ASSIGNED_FROM} for user in users]
    )
    env.flush_all()


@contextlib.contextmanager
def rolled_back(env):
    """A savepoint rolled back at the end, whatever happens."""
    savepoint = env.cr.savepoint()
    try:
        yield
    finally:
        savepoint.close(rollback=True)
        env.invalidate_all()


# --------------------------------------------------------------------------- ours


def read_lines(env, company, users, period: Period, measure: Measure) -> None:
    """The baseline: the period's credited lines, read and nothing else."""
    env.invalidate_all()
    queries = env.cr.sql_log_count
    started = time.perf_counter()
    sources = env["salesperf.commission.source"]._commission_sources(
        company, period.start, period.end, "ordered", "revenue", users=users
    )
    measure.times.append(time.perf_counter() - started)
    measure.queries = env.cr.sql_log_count - queries
    measure.lines = sum(len(lines) for lines in sources.values())
    measure.total = math.fsum(line["amount"] for lines in sources.values() for line in lines)


def compute_statements(env, company, plan, users, period: Period, measure: Measure, after=None):
    """Time ``_compute_period`` of ``plan`` (assigned to ``users`` in a
    savepoint rolled back); ``after(statements)`` runs before the rollback."""
    with rolled_back(env):
        assign(env, plan, users)
        env.invalidate_all()
        queries = env.cr.sql_log_count
        started = time.perf_counter()
        env["salesperf.commission.statement"]._compute_period(company, period.start)
        env.flush_all()
        measure.times.append(time.perf_counter() - started)
        measure.queries = env.cr.sql_log_count - queries
        statements = env["salesperf.commission.statement"].search(
            [("plan_id", "=", plan.id), ("date_from", "=", period.start)]
        )
        env.cr.execute(
            """SELECT COUNT(*), COUNT(*) FILTER (WHERE kind = 'commission'),
                      COALESCE(SUM(amount), 0)
                 FROM salesperf_commission_line WHERE statement_id = ANY(%s)""",
            [statements.ids],
        )
        lines, commission_lines, line_total = env.cr.fetchone()
        env.cr.execute(
            """SELECT user_id, base_amount, total_amount
                 FROM salesperf_commission_statement WHERE id = ANY(%s)""",
            [statements.ids],
        )
        by_user = {
            user_id: (float(base), float(total)) for user_id, base, total in env.cr.fetchall()
        }
        measure.documents = len(statements)
        measure.lines = lines
        measure.total = math.fsum(total for _base, total in by_user.values())
        measure.extra.update(
            commission_lines=commission_lines,
            line_total=float(line_total),
            base=math.fsum(base for base, _total in by_user.values()),
            bases={user_id: base for user_id, (base, _total) in by_user.items()},
        )
        if plan.basis == "invoiced":
            measure.extra.update(invoice_split(env, company, statements))
        if after:
            after(statements)


def invoice_split(env, company, statements) -> dict:
    """Our amounts on the invoice lines in company currency, and their count."""
    env.cr.execute(
        """SELECT COUNT(*), COALESCE(SUM(line.amount), 0)
             FROM salesperf_commission_line line
             JOIN account_move_line aml ON aml.id = line.source_id
            WHERE line.statement_id = ANY(%s) AND line.kind = 'commission'
              AND line.source_model = 'account.move.line' AND aml.currency_id = %s""",
        [statements.ids, company.currency_id.id],
    )
    count, amount = env.cr.fetchone()
    return {"company_currency_lines": count, "company_currency_total": float(amount)}


def expected_invoiced(env, company, users, period: Period) -> dict:
    """The period's posted product lines of ``users`` and 5 % of each,
    rounded to the cent, in company currency (what ours must pay)."""
    env.cr.execute(
        """SELECT COUNT(*), COALESCE(SUM(ROUND(-aml.balance * %s / 100, 2)), 0)
             FROM account_move_line aml JOIN account_move move ON move.id = aml.move_id
            WHERE move.company_id = %s AND move.state = 'posted'
              AND move.move_type IN ('out_invoice', 'out_refund')
              AND aml.display_type = 'product'
              AND move.invoice_date BETWEEN %s AND %s AND move.invoice_user_id = ANY(%s)""",
        [FLAT_RATE, company.id, period.start, period.end, users.ids],
    )
    count, total = env.cr.fetchone()
    return {"lines": count, "total": float(total)}


def expected_ordered(env, company, users, period: Period) -> tuple[int, dict]:
    """The sales facts of ``users`` in the period: (lines, {user id: revenue})."""
    groups = env["salesperf.sale.fact"]._read_group(
        [
            ("company_id", "=", company.id),
            ("user_id", "in", users.ids),
            ("date", ">=", period.start),
            ("date", "<=", period.end),
        ],
        ["user_id"],
        ["__count", "revenue:sum"],
    )
    return sum(count for _user, count, _revenue in groups), {
        user.id: revenue or 0.0 for user, _count, revenue in groups
    }


# --------------------------------------------------------------------------- OCA


def oca_installed(env) -> bool:
    return "commission.make.settle" in env and bool(
        env["ir.module.module"].search_count(
            [("name", "=", "account_commission_oca"), ("state", "=", "installed")]
        )
    )


def oca_setup(env, company, users, period: Period) -> dict:
    """OCA's commission at a flat 5 %, each salesperson's partner an agent,
    one agent line per product line of the period's posted invoices and credit
    notes, credited to the invoice's salesperson (as ours is)."""
    commission = env["commission"].create(
        {
            "name": f"Bench flat {FLAT_RATE:g} %",
            "commission_type": "fixed",
            "fix_qty": FLAT_RATE,
            "amount_base_type": "gross_amount",
            "invoice_state": "open",
        }
    )
    env.cr.execute(
        """SELECT aml.id, salesperson.partner_id
             FROM account_move_line aml
             JOIN account_move move ON move.id = aml.move_id
             JOIN res_users salesperson ON salesperson.id = move.invoice_user_id
            WHERE move.company_id = %s AND move.state = 'posted'
              AND move.move_type IN ('out_invoice', 'out_refund')
              AND aml.display_type = 'product'
              AND move.invoice_date BETWEEN %s AND %s AND move.invoice_user_id = ANY(%s)
            ORDER BY aml.id""",
        [company.id, period.start, period.end, users.ids],
    )
    rows = env.cr.fetchall()
    agents = env["res.partner"].browse(sorted({partner_id for _line, partner_id in rows}))
    agents.write(
        {
            "agent": True,
            "agent_type": "agent",
            "commission_id": commission.id,
            "settlement": "monthly" if period.kind == "month" else "quaterly",
        }
    )
    env["account.invoice.line.agent"].create(
        [
            {"object_id": line_id, "agent_id": partner_id, "commission_id": commission.id}
            for line_id, partner_id in rows
        ]
    )
    env.flush_all()
    # the agent lines of a real database are old news its statistics know
    env.cr.execute("ANALYZE account_invoice_line_agent")
    return {"agents": agents, "agent_lines": len(rows)}


def oca_settle(env, company, setup: dict, period: Period, measure: Measure) -> None:
    """Time OCA's settlement of the period, in a savepoint rolled back."""
    with rolled_back(env):
        wizard = env["commission.make.settle"].create(
            {
                # a monthly (quarterly) agent is settled up to the start of the
                # month (quarter) of date_to
                "date_to": period.end + dt.timedelta(days=1),
                "settlement_type": "sale_invoice",
                "agent_ids": [Command.set(setup["agents"].ids)],
            }
        )
        env.flush_all()
        env.invalidate_all()
        queries = env.cr.sql_log_count
        started = time.perf_counter()
        wizard.action_settle()
        env.flush_all()
        measure.times.append(time.perf_counter() - started)
        measure.queries = env.cr.sql_log_count - queries
        env.cr.execute(
            """SELECT settlement.currency_id, COUNT(DISTINCT settlement.id), COUNT(line.id),
                      COALESCE(SUM(line.settled_amount), 0)
                 FROM commission_settlement settlement
                 LEFT JOIN commission_settlement_line line ON line.settlement_id = settlement.id
                WHERE settlement.agent_id = ANY(%s) AND settlement.company_id = %s
                  AND settlement.date_from >= %s AND settlement.date_to <= %s
                GROUP BY settlement.currency_id""",
            [setup["agents"].ids, company.id, period.start, period.end],
        )
        by_currency = {
            currency_id: (n, lines, float(total))
            for currency_id, n, lines, total in env.cr.fetchall()
        }
        measure.documents = sum(n for n, _lines, _total in by_currency.values())
        measure.lines = sum(lines for _n, lines, _total in by_currency.values())
        own = by_currency.get(company.currency_id.id, (0, 0, 0.0))
        measure.total = own[2]
        measure.extra.update(
            company_currency_lines=own[1],
            company_currency_total=own[2],
            other_currencies={
                env["res.currency"].browse(currency_id).name: total
                for currency_id, (_n, _lines, total) in by_currency.items()
                if currency_id != company.currency_id.id
            },
        )


# --------------------------------------------------------------------------- export


def current_rss() -> int:
    """Resident memory of this process now, in bytes (0 when unknown)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def reset_peak_rss() -> bool:
    """Reset the process's peak resident memory (Linux): the next peak read
    is then reached during what follows, not earlier."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def release_free_memory() -> None:
    """Give the memory Python and the C allocator hold free back to the
    system (glibc), so that the export's growth is not hidden in it."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux


def measure_export(env, statements, path: str, repeat: int) -> dict:
    """Time the workbook export of ``statements`` ``repeat`` times, after a
    run of its own for the Python peak (tracemalloc slows what it traces)."""
    wizard = env["salesperf.commission.export"].create(
        {"statement_ids": [Command.set(statements.ids)], "file_format": "xlsx"}
    )
    result = {"times": [], "rss_growth": [], "rss_reset": True}
    print("export: first run, right after the computation ...", flush=True)
    env.invalidate_all()
    started = time.perf_counter()
    wizard._write_file(path)
    result["first"] = time.perf_counter() - started
    # the statements of a real export were committed a while ago, and
    # autovacuum has analyzed their lines since
    started = time.perf_counter()
    env.cr.execute("ANALYZE salesperf_commission_line")
    env.cr.execute("ANALYZE salesperf_commission_statement")
    result["analyze"] = time.perf_counter() - started
    print("export: run for the peak of Python memory ...", flush=True)
    env.invalidate_all()
    tracemalloc.start()
    stats = wizard._write_file(path)
    result["python_peak"] = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    for round_number in range(1, repeat + 1):
        print(f"export, run {round_number}/{repeat} ...", flush=True)
        env.invalidate_all()
        release_free_memory()
        result["rss_reset"] &= reset_peak_rss()
        result["rss_before"] = current_rss()
        before = peak_rss()
        started = time.perf_counter()
        stats = wizard._write_file(path)
        result["times"].append(time.perf_counter() - started)
        result["rss_growth"].append(peak_rss() - before)
    result.update(
        size=os.path.getsize(path),
        statements=stats.summary.rows,
        lines=stats.lines.rows,
        adjustments=stats.adjustments.rows,
    )
    return result


# --------------------------------------------------------------------------- report


def print_table(args, measures: dict, context: dict) -> None:
    print(
        f"\nCommission statements, {context['company']}, {context['users']:,} salespeople "
        f"(best of {args.repeat}):\n"
    )
    print(
        f"  {'measure':<32} {'period':<8} {'best s':>8} {'median s':>9} {'statements':>11} "
        f"{'lines':>8} {'queries':>8} {'total':>15}"
    )
    for measure in measures.values():
        print(
            f"  {measure.name:<32} {measure.period:<8} {measure.best:8.2f} {measure.median:9.2f} "
            f"{measure.documents or '':>11} {measure.lines:8,} {measure.queries:8,} "
            f"{measure.total:15,.2f}"
        )
    if "OCA settlement" in measures:
        print("  (OCA: settlements instead of statements; total in company currency)")


def print_ratios(measures: dict, context: dict) -> list[str]:
    """Print the ratios and targets; returns the targets missed."""
    missed = []
    print("\nRatios and targets:")
    ordered, second = measures["ours, sales ordered"], measures["ours, sales ordered (2)"]
    read = measures["read lines only"]
    verdict = "OK" if ordered.best <= TARGET_SECONDS else "MISSED"
    if ordered.best > TARGET_SECONDS:
        missed.append("time")
    print(
        f"  sales ordered {ordered.period}: {ordered.best:.2f} s for {ordered.lines:,} lines "
        f"(target <= {TARGET_SECONDS:.0f} s) {verdict}; statements / read lines only "
        f"{ordered.best / read.best:.1f}"
    )
    if ordered.kind == second.kind:
        ok = ordered.queries == second.queries
        verdict = "the same" if ok else "DIFFERENT"
    else:
        # a month and a quarter may differ by a query or two (the month's
        # name is formatted in the user's language), never with the lines
        more, fewer = sorted((ordered, second), key=lambda m: m.lines, reverse=True)
        ok = more.queries <= fewer.queries
        verdict = "no more for more lines" if ok else "MORE FOR MORE LINES"
    if not ok:
        missed.append("queries")
    print(
        f"  queries: {ordered.queries:,} for {ordered.period} ({ordered.lines:,} lines), "
        f"{second.queries:,} for {second.period} ({second.lines:,} lines): {verdict}"
    )
    ours = measures["ours, invoiced 5 %"]
    oca = measures.get("OCA settlement")
    if oca:
        print(
            f"  invoiced {ours.period}: OCA / ours {oca.best / ours.best:.2f} "
            f"(ours {ours.best:.2f} s, {ours.queries:,} queries; OCA {oca.best:.2f} s, "
            f"{oca.queries:,} queries)"
        )
    else:
        print(f"  invoiced {ours.period}: ours {ours.best:.2f} s; {context['oca']}")
    return missed


def check_ordered(measure: Measure, context: dict) -> list[str]:
    """Print the checks of a sales-ordered computation; returns the problems."""
    problems = []
    lines, revenues = context["facts"][measure.period]
    bases = measure.extra["bases"]
    # each statement's commissionable amount is its salesperson's revenue,
    # rounded to the cent once
    wrong = [
        user_id
        for user_id in set(bases) | set(revenues)
        if abs(bases.get(user_id, 0.0) - revenues.get(user_id, 0.0)) > CENT
    ]
    checks = [
        (
            "commission lines = sales facts lines",
            f"{measure.extra['commission_lines']:,} / {lines:,}",
            measure.extra["commission_lines"] == lines,
        ),
        (
            "commissionable amount = sales facts revenue, per salesperson",
            (
                f"{math.fsum(bases.values()):,.2f} / {math.fsum(revenues.values()):,.2f}, "
                f"{len(wrong)} salespeople differ"
            ),
            not wrong,
        ),
        (
            "statement totals = sum of their lines",
            f"{measure.total:,.2f} / {measure.extra['line_total']:,.2f}",
            abs(measure.total - measure.extra["line_total"]) < CENT,
        ),
    ]
    for label, figures, ok in checks:
        print(f"  {measure.period} {label}: {figures} {'OK' if ok else '!!!'}")
        if not ok:
            problems.append(f"{measure.period}: {label}: {figures}")
    return problems


def check_invoiced(measures: dict, context: dict) -> list[str]:
    """Print the checks of the invoiced statements (and OCA's); returns the problems."""
    problems = []
    ours = measures["ours, invoiced 5 %"]
    oca = measures.get("OCA settlement")
    expected = context["invoiced"]
    ok = abs(ours.total - expected["total"]) < CENT and (
        ours.extra["commission_lines"] == expected["lines"]
    )
    print(
        f"  invoiced: ours {ours.total:,.2f} on {ours.extra['commission_lines']:,} lines / "
        f"{FLAT_RATE:g} % of each invoice line, rounded: {expected['total']:,.2f} on "
        f"{expected['lines']:,} lines {'OK' if ok else '!!!'}"
    )
    if not ok:
        problems.append("invoiced: ours is not 5 % of each invoice line")
    if not oca:
        return problems
    got, other = ours.extra["company_currency_total"], oca.extra["company_currency_total"]
    ours_lines = ours.extra["company_currency_lines"]
    oca_lines = oca.extra["company_currency_lines"]
    ok = abs(got - other) < CENT and ours_lines == oca_lines
    print(
        f"  invoiced, company currency: ours {got:,.2f} ({ours_lines:,} lines) / OCA "
        f"{other:,.2f} ({oca_lines:,} lines) {'OK' if ok else '!!!'}"
    )
    if not ok:
        problems.append("invoiced: ours and OCA disagree in company currency")
    for currency, total in sorted(oca.extra["other_currencies"].items()):
        print(
            f"  OCA also settled {total:,.2f} {currency} unconverted (ours converts those "
            "lines at the invoice date's rate)"
        )
    return problems


def print_export(period: str, export: dict) -> None:
    best = min(export["times"])
    median = sorted(export["times"])[len(export["times"]) // 2]
    growth = max(export["rss_growth"])
    print(
        f"\nExport of the workbook ({period}, {export['statements']:,} statements, "
        f"{export['lines']:,} lines, {export['adjustments']:,} adjustments):\n"
        f"  best {best:.2f} s (median {median:.2f} s), {export['lines'] / best:,.0f} lines/s; "
        f"file {export['size'] / MIB:.1f} MiB\n"
        f"  peak Python memory (tracemalloc) {export['python_peak'] / MIB:.1f} MiB; "
        f"peak resident memory growth {growth / MIB:.1f} MiB"
        + ("" if export["rss_reset"] else " (peak not reset: since the process started)")
        + f" over {export['rss_before'] / MIB:.0f} MiB\n"
        f"  first export right after the computation, before the lines were analyzed: "
        f"{export['first']:.2f} s (ANALYZE of the lines and statements: "
        f"{export['analyze']:.2f} s)"
    )


def print_report(args, measures: dict, export: dict, context: dict) -> tuple[list, list]:
    """Print the table, the ratios and the checks; returns (problems, missed)."""
    print_table(args, measures, context)
    missed = print_ratios(measures, context)
    print("\nChecks:")
    problems = check_ordered(measures["ours, sales ordered"], context)
    problems += check_ordered(measures["ours, sales ordered (2)"], context)
    problems += check_invoiced(measures, context)
    if export:
        print_export(measures["ours, sales ordered"].period, export)
    print(f"\nload average: {', '.join(f'{load:.2f}' for load in os.getloadavg())}")
    return problems, missed


def write_json(path, args, measures, export, context, problems, missed) -> None:
    payload = {
        "database": args.database,
        "repeat": args.repeat,
        "salespeople": context["users"],
        "target_s": TARGET_SECONDS,
        "load_average": os.getloadavg(),
        "results_agree": not problems,
        "targets_missed": missed,
        "measures": {
            name: {
                "period": m.period,
                "best_s": m.best,
                "times_s": m.times,
                "queries": m.queries,
                "statements": m.documents,
                "lines": m.lines,
                "total": m.total,
                **{key: value for key, value in m.extra.items() if key != "bases"},
            }
            for name, m in measures.items()
        },
        "export": export,
    }
    with open(path, "w", encoding="utf-8") as file:
        json.dump(payload, file, indent=2, default=str)


# --------------------------------------------------------------------------- main


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    add_odoo_arguments(parser)
    parser.add_argument(
        "--period",
        type=parse_period,
        help="period measured, 2025-12 or 2025-Q4 (default: the month of the last order)",
    )
    parser.add_argument(
        "--second-period",
        type=parse_period,
        help="a period with another number of lines, for the query count (default: the month "
        "with the fewest lines of the 11 before --period)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per measure")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--skip-oca", action="store_true", help="do not measure OCA's settlement")
    parser.add_argument(
        "--export",
        metavar="PATH",
        help="keep the exported workbook there (default: a temporary file, removed)",
    )
    parser.add_argument(
        "--check-targets",
        action="store_true",
        help="exit with status 2 when the 30 s are missed or the query count grows with the lines",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    with odoo_environment(args) as env, tempfile.TemporaryDirectory() as tmpdir:
        env = env(su=True)
        company = env.ref("base.main_company")
        env = env(context=dict(env.context, allowed_company_ids=[company.id]))
        users = salespeople(env, company)
        period = args.period or default_period(env, company)
        second = args.second_period or smallest_month_before(env, company, users, period)
        print(f"{len(users):,} salespeople; periods {period.label} and {second.label}", flush=True)
        plans, category = create_plans(env, company, {period.kind, second.kind})
        print(
            "plans created (rolled back at the end); category rate on "
            + (category.complete_name if category else "no category (none named Software)"),
            flush=True,
        )
        context = {
            "company": company.name,
            "users": len(users),
            "facts": {p.label: expected_ordered(env, company, users, p) for p in (period, second)},
            "oca": "",
        }
        measures = {
            "read lines only": Measure("read lines only", period.label, period.kind),
            "ours, sales ordered": Measure("ours, sales ordered", period.label, period.kind),
            "ours, sales ordered (2)": Measure("ours, sales ordered", second.label, second.kind),
            "ours, invoiced 5 %": Measure(
                f"ours, invoiced {FLAT_RATE:g} %", period.label, period.kind
            ),
        }
        oca_setup_result = None
        if args.skip_oca:
            context["oca"] = "OCA's settlement skipped (--skip-oca)"
        elif not oca_installed(env):
            context["oca"] = "OCA's account_commission_oca is not installed here: skipped"
        else:
            print("OCA: agents and agent lines (not timed) ...", flush=True)
            started = time.perf_counter()
            oca_setup_result = oca_setup(env, company, users, period)
            print(
                f"OCA: {len(oca_setup_result['agents']):,} agents, "
                f"{oca_setup_result['agent_lines']:,} agent lines in "
                f"{time.perf_counter() - started:.1f} s",
                flush=True,
            )
            measures["OCA settlement"] = Measure(
                f"OCA settlement, {FLAT_RATE:g} %", period.label, period.kind
            )
        if context["oca"]:
            print(context["oca"], flush=True)
        context["invoiced"] = expected_invoiced(env, company, users, period)
        export_path = args.export or os.path.join(tmpdir, "commissions.xlsx")
        export = {}

        def run(name, last_round=False):
            measure = measures[name]
            if name == "read lines only":
                read_lines(env, company, users, period, measure)
            elif name == "ours, sales ordered":
                after = None
                if last_round:

                    def after(statements):
                        export.update(measure_export(env, statements, export_path, args.repeat))

                compute_statements(
                    env, company, plans["ordered", period.kind], users, period, measure, after
                )
            elif name == "ours, sales ordered (2)":
                compute_statements(
                    env, company, plans["ordered", second.kind], users, second, measure
                )
            elif name == "ours, invoiced 5 %":
                compute_statements(
                    env, company, plans["invoiced", period.kind], users, period, measure
                )
            else:
                oca_settle(env, company, oca_setup_result, period, measure)

        for name, measure in measures.items():
            print(f"warming up {measure.name}, {measure.period} ...", flush=True)
            run(name)
            measure.times.clear()
        for round_number in range(1, args.repeat + 1):
            for name, measure in measures.items():
                print(
                    f"round {round_number}/{args.repeat}: {measure.name}, {measure.period} ...",
                    flush=True,
                )
                run(name, last_round=round_number == args.repeat)
    problems, missed = print_report(args, measures, export, context)
    if args.json:
        write_json(args.json, args, measures, export, context, problems, missed)
    if problems:
        print("\n!!! THE RESULTS DO NOT AGREE: the timings compare different things !!!")
        print("!!! " + "\n!!! ".join(problems))
        return 1
    return 2 if args.check_targets and missed else 0


if __name__ == "__main__":
    sys.exit(main())
