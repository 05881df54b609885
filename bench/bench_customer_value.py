#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Benchmark the customer scores (RFM, BG/NBD, Gamma-Gamma) of a whole company.

Needs the data set of ``generate_dataset.py`` (for 100,000 buying customers
from 1,000,000 order lines: ``--customers 300000``, see bench/README.md).
As the superuser, for the main company and one run date (``--date``, default
the day of the last confirmed purchase), three measures take turns:

* engine: the computing core alone (``engine/customer_value.py``) on the
  company's confirmed order lines up to the run date, read beforehand (one
  row per line: customer entity, day, untaxed revenue in company currency):
  ``summarize_days`` (per-customer recency, frequency, age, values), the RFM
  scores and segments (``rfm_scores``, ``rfm_segment`` with the default
  rules), then ``score_customers`` (the BG/NBD and Gamma-Gamma fits by
  maximum likelihood and every customer's probability of being active,
  expected purchases, order value and lifetime value, or the usual-interval
  fallback); each step is timed;
* refresh: ``salesperf.customer.score._refresh_scores`` of the company, the
  whole Odoo refresh (reading the facts, the engine, writing one score row
  per customer, the follow-up activities); its SQL queries are counted. Each
  run happens in a savepoint that is rolled back, so that every run starts
  from the same state (no score of the month yet);
* baseline: Odoo's own ``sale.report._read_group`` of the company's confirmed
  lines by customer (untaxed total and number of lines), the cheapest read of
  the same lines by customer: the ratio says how many such reads the refresh
  costs.

Each measure runs once to warm up, then they take turns for ``--repeat``
rounds (best and median kept); one more run of each under ``tracemalloc``
gives its peak of Python memory, and the growth of the process's peak
resident memory is read around the timed runs.

Queries against the number of lines: the refresh is run twice in a row on
the same day, on all the lines, then on a subset where the company's
confirmed orders but one in ``--subset-every`` (default 10) are set to
cancelled (about a tenth of the lines, fewer customers), each in a savepoint
rolled back afterwards. The first run of each creates the follow-up
activities of the customers newly at risk (Odoo's ``mail.activity`` creation
and the salespeople's subscription to the customers: their queries follow
the activities and salespeople, not the lines); the second finds them
claimed. The second runs' counts must be equal, or differ by no more than
the batches of rows written (``--batch``, default the model's
``WRITE_BATCH``), otherwise the script says so and exits with status 1.
Nothing is left in the database: the script's transaction is rolled back.
"""

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import statistics
import sys
import time
import tracemalloc

import numpy as np
from bench_commission import current_rss, peak_rss, release_free_memory, reset_peak_rss
from odoo_session import add_odoo_arguments, odoo_environment

from odoo.tools import SQL

MIB = 2**20


class Measure:
    def __init__(self, name, baseline=False):
        self.name = name
        self.baseline = baseline
        self.times = []
        self.rss_growth = []
        self.python_peak = 0
        self.queries = None

    @property
    def best(self):
        return min(self.times)

    @property
    def median(self):
        return statistics.median(self.times)


# --------------------------------------------------------------------------- data


def last_purchase_date(env, company):
    facts = env["salesperf.sale.fact"]
    groups = facts._read_group([("company_id", "=", company.id)], [], ["date:max"])
    if not groups or not groups[0][0]:
        raise SystemExit("no sales fact in this database: generate the data set first")
    return groups[0][0]


def read_lines(env, company, run_date):
    """The company's sold lines up to ``run_date``: three numpy arrays
    (customer entity id, day, untaxed revenue in company currency)."""
    facts = env["salesperf.sale.fact"]
    query = facts._search([("company_id", "=", company.id), ("date", "<=", run_date)])
    env.cr.execute(
        query.select(
            facts._field_to_sql(facts._table, "commercial_partner_id", query),
            facts._field_to_sql(facts._table, "date", query),
            facts._field_to_sql(facts._table, "revenue", query),
        )
    )
    rows = env.cr.fetchall()
    keys = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    days = np.array([row[1] for row in rows], dtype="datetime64[D]")
    amounts = np.fromiter((row[2] or 0.0 for row in rows), dtype=float, count=len(rows))
    return keys, days, amounts


# --------------------------------------------------------------------------- measures


def run_engine(cv, keys, days, amounts, run_date, company):
    """The computing core on the lines; returns its steps' times and results."""
    steps = {}
    started = time.perf_counter()
    summaries = cv.summarize_days(keys, days, amounts, run_date)
    steps["summaries"] = time.perf_counter() - started

    started = time.perf_counter()
    ordered = sorted(summaries)
    recency = np.array([summaries[key].days_since_last for key in ordered], dtype=float)
    frequency = np.array([summaries[key].x + 1 for key in ordered], dtype=float)
    # revenue of each customer over the whole history (M of RFM)
    unique_keys, inverse = np.unique(keys, return_inverse=True)
    revenue = np.bincount(inverse, weights=amounts)[np.searchsorted(unique_keys, ordered)]
    r_scores, f_scores, m_scores = cv.rfm_scores(
        recency, frequency, revenue, bands=company.salesperf_rfm_bands
    )
    segments = [
        cv.rfm_segment(int(r), (int(f) + int(m)) / 2)
        for r, f, m in zip(r_scores, f_scores, m_scores, strict=True)
    ]
    steps["RFM scores and segments"] = time.perf_counter() - started

    started = time.perf_counter()
    method, rows, reason = cv.score_customers(
        [summaries[key] for key in ordered],
        clv_months=company.salesperf_clv_months,
        monthly_discount=company.salesperf_clv_discount,
    )
    steps["fits and scoring (score_customers)"] = time.perf_counter() - started
    return {
        "steps": steps,
        "customers": len(summaries),
        "repeat_customers": sum(1 for s in summaries.values() if s.x > 0),
        "method": method,
        "reason": reason,
        "rows": rows,
        "segments": segments,
        "revenue": float(revenue.sum()),
    }


def refresh(env, company, run_date):
    """The Odoo refresh of ``company``'s scores as of ``run_date``, flushed."""
    counts = env["salesperf.customer.score"]._refresh_scores(company, today=run_date)
    env.flush_all()
    # the refresh logs a company's failure and goes on with the others
    if company.id not in counts:
        raise SystemExit(f"the refresh of {company.name} failed: see the error logged above")
    return counts[company.id]


def refresh_summary(env, company):
    """What the refresh wrote: score rows, methods, statuses, value."""
    groups = env["salesperf.customer.score"]._read_group(
        [("company_id", "=", company.id), ("is_latest", "=", True)],
        ["method", "risk_status"],
        ["__count", "clv:sum", "value_at_risk:sum", "monetary:sum"],
    )
    return [
        {
            "method": method,
            "status": status,
            "customers": count,
            "clv": clv,
            "value_at_risk": at_risk,
            "revenue": revenue,
        }
        for method, status, count, clv, at_risk, revenue in groups
    ]


def sale_report_by_customer(env, company, run_date):
    """Odoo's untaxed total and number of lines per customer up to the run date."""
    return env["sale.report"]._read_group(
        [
            ("state", "=", "sale"),
            ("company_id", "=", company.id),
            ("date", "<", dt.datetime.combine(run_date + dt.timedelta(days=1), dt.time.min)),
        ],
        ["partner_id"],
        ["price_subtotal:sum", "__count"],
    )


@contextlib.contextmanager
def rolled_back(env):
    """A savepoint rolled back whatever happens, caches cleared afterwards."""
    savepoint = env.cr.savepoint()
    try:
        yield
    finally:
        savepoint.close(rollback=True)
        env.invalidate_all()


def timed(env, measure, function, queries=False):
    """Run ``function`` once, caches cleared; keep its time, the growth of the
    peak resident memory and (``queries``) the SQL queries sent."""
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


def refresh_query_counts(env, company, run_date, every=0):
    """Queries of two refreshes in a row on the same day (in a savepoint
    rolled back): the first claims the follow-ups of the customers at risk
    and creates their activities, the second finds them claimed and creates
    none. With ``every``, all the company's confirmed orders but one in
    ``every`` are cancelled first. Returns lines, customers, both counts and
    the follow-ups created."""
    with rolled_back(env):
        if every:
            env.cr.execute(
                SQL(
                    """UPDATE sale_order SET state = 'cancel'
                        WHERE company_id = %s AND state = 'sale' AND MOD(id, %s) <> 0""",
                    company.id,
                    every,
                )
            )
            env.cr.execute(
                SQL(
                    """UPDATE sale_order_line line SET state = 'cancel'
                         FROM sale_order so
                        WHERE so.id = line.order_id AND so.state = 'cancel'
                          AND line.state = 'sale' AND so.company_id = %s""",
                    company.id,
                )
            )
        keys, _days, _amounts = read_lines(env, company, run_date)
        counts = []
        for _run in range(2):
            env.invalidate_all()
            count = env.cr.sql_log_count
            refresh(env, company, run_date)
            counts.append(env.cr.sql_log_count - count)
        followups = env["salesperf.customer.followup"].search_count(
            [("company_id", "=", company.id), ("date", "=", run_date)]
        )
        return {
            "lines": len(keys),
            "customers": len(np.unique(keys)),
            "first": counts[0],
            "second": counts[1],
            "followups": followups,
        }


# --------------------------------------------------------------------------- report


def fmt_params(params, names):
    return ", ".join(f"{name} = {value:.4g}" for name, value in zip(names, params, strict=True))


def print_results(args, measures, context, engine, diagnostics):
    print(
        f"\nCustomer scores of {context['company']} as of {context['date']} "
        f"({context['lines']:,} sold lines, {engine['customers']:,} customers, "
        f"{engine['repeat_customers']:,} of them with a repeat purchase; best of {args.repeat}):\n"
    )
    print(
        f"  {'measure':<52} {'best s':>8} {'median s':>9} {'queries':>8} "
        f"{'Python peak':>12} {'RSS growth':>11}"
    )
    for measure in measures.values():
        growth = [value for value in measure.rss_growth if value is not None]
        print(
            f"  {measure.name:<52} {measure.best:8.3f} {measure.median:9.3f} "
            f"{'' if measure.queries is None else measure.queries:>8} "
            f"{measure.python_peak / MIB:8.1f} MiB "
            f"{(f'{max(growth) / MIB:.1f} MiB') if growth else 'n/a':>11}"
        )
    print("\n  engine steps (best run):")
    for step, seconds in context["engine_steps"].items():
        print(f"    {step:<50} {seconds:8.3f}")
    baseline = measures["baseline"]
    print("\nRatios (best times):")
    for key in ("engine", "refresh"):
        if key in measures:
            measure = measures[key]
            print(f"  {measure.name} / {baseline.name}: {measure.best / baseline.best:.2f}")
    print(f"\nMethod: {engine['method']}" + (f" ({engine['reason']})" if engine["reason"] else ""))
    row = engine["rows"][0] if engine["rows"] else {}
    if "bgnbd_params" in row:
        print(f"  BG/NBD: {fmt_params(row['bgnbd_params'], ('r', 'alpha', 'a', 'b'))}")
        print(f"  Gamma-Gamma: {fmt_params(row['gamma_gamma_params'], ('p', 'q', 'gamma'))}")
    print("Fits alone (whatever the method):")
    for name, fit in diagnostics.items():
        print(
            f"  {name}: {fmt_params(fit['params'], fit['names'])}, log-likelihood "
            f"{fit['log_likelihood']:,.2f}, converged {fit['converged']}, {fit['seconds']:.2f} s"
        )
    counts = {}
    for name in engine["segments"]:
        counts[name] = counts.get(name, 0) + 1
    print("RFM segments: " + ", ".join(f"{name} {n:,}" for name, n in counts.items()))
    if "refresh_rows" in context:
        print("Score rows written by the refresh (method, status, customers, lifetime value):")
        for group in context["refresh_rows"]:
            print(
                f"  {group['method']:<9} {group['status']:<8} {group['customers']:>8,} "
                f"{group['clv'] or 0.0:>16,.2f}"
            )
    if "subset" in context:
        print("\nQueries of the refresh, two runs in a row on the same day:")
        for label, counts in (
            ("all lines", context["full"]),
            (f"one confirmed order in {args.subset_every}", context["subset"]),
        ):
            print(
                f"  {label:<32} {counts['lines']:>9,} lines {counts['customers']:>8,} customers: "
                f"first run {counts['first']:>6} queries ({counts['followups']:,} follow-ups "
                f"created), second run {counts['second']:>4} queries (none to create)"
            )
    print(f"\nresident memory of the process: {context['rss'] / MIB:.0f} MiB")
    print(f"load average: {', '.join(f'{load:.2f}' for load in os.getloadavg())}")


def fit_diagnostics(cv, summaries_list):
    """Both fits alone, whether the model was used or not, with their times."""
    x = np.array([s.x for s in summaries_list], dtype=float)
    t_x = np.array([s.t_x for s in summaries_list], dtype=float)
    T = np.array([s.T for s in summaries_list], dtype=float)
    result = {}
    started = time.perf_counter()
    bg = cv.fit_bgnbd(x, t_x, T)
    result["BG/NBD"] = {
        "names": ("r", "alpha", "a", "b"),
        "params": bg.params,
        "log_likelihood": bg.log_likelihood,
        "converged": bg.converged,
        "seconds": time.perf_counter() - started,
    }
    repeat = [s for s in summaries_list if s.x > 0]
    started = time.perf_counter()
    gg = cv.fit_gamma_gamma(
        np.array([s.x for s in repeat], dtype=float),
        np.array([s.monetary_value for s in repeat], dtype=float),
    )
    result["Gamma-Gamma"] = {
        "names": ("p", "q", "gamma"),
        "params": gg.params,
        "log_likelihood": gg.log_likelihood,
        "converged": gg.converged,
        "seconds": time.perf_counter() - started,
    }
    return result


def check(context, engine, baseline_groups, batch):
    """The engine's revenue against sale.report's; the query counts."""
    problems = []
    odoo_total = math.fsum(amount or 0.0 for _partner, amount, _count in baseline_groups)
    tz = context["tz"]
    print("\nChecks:")
    ok = abs(engine["revenue"] - odoo_total) < 0.01
    must = not tz or tz == "UTC"
    verdict = "OK" if ok else ("!!!" if must else f"differ (company time zone {tz})")
    print(
        f"  revenue read by the engine = sale.report's untaxed total: "
        f"{engine['revenue']:,.2f} / {odoo_total:,.2f} {verdict}"
    )
    if must and not ok:
        problems.append(f"revenue {engine['revenue']:,.2f} / {odoo_total:,.2f}")
    if "subset" in context:
        full, subset = context["full"], context["subset"]
        bound = 0
        if batch:
            bound = math.ceil(full["customers"] / batch) - math.ceil(subset["customers"] / batch)
        difference = full["second"] - subset["second"]
        if not difference:
            verdict = "equal: independent of the number of lines"
        elif abs(difference) <= 2 * bound:
            verdict = f"differ by {difference}, within the batches of {batch:,} rows written"
        else:
            verdict = "!!! grow with the data"
            problems.append(f"queries {full['second']} / {subset['second']}")
        print(
            f"  queries of the refresh, all lines / subset (no follow-up to create): "
            f"{full['second']} / {subset['second']}: {verdict}"
        )
    return problems


# --------------------------------------------------------------------------- main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    add_odoo_arguments(parser)
    parser.add_argument(
        "--date",
        type=dt.date.fromisoformat,
        help="run date, YYYY-MM-DD (default: the day of the company's last purchase)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measure")
    parser.add_argument(
        "--subset-every",
        type=int,
        default=10,
        help="for the query count on fewer lines, keep one confirmed order in N (0: skip)",
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=0,
        help="rows per write batch of the refresh, bounding the query counts "
        "(default: the model's WRITE_BATCH)",
    )
    parser.add_argument(
        "--engine-only", action="store_true", help="measure the engine and the baseline only"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.subset_every < 0 or args.batch < 0:
        parser.error("--repeat must be >= 1, --subset-every and --batch >= 0")
    return args


def main(argv=None):
    args = parse_args(argv)
    with odoo_environment(args) as env:
        # the addons are importable once Odoo knows its addons path
        from odoo.addons.salesperf_odoo.engine import customer_value as cv
        from odoo.addons.salesperf_odoo.models import salesperf_customer_score

        batch = args.batch or getattr(salesperf_customer_score, "WRITE_BATCH", 0)

        company = env.ref("base.main_company")
        env = env(context={"allowed_company_ids": [company.id], "lang": "en_US"})
        run_date = args.date or last_purchase_date(env, company)
        print(f"reading the sold lines of {company.name} up to {run_date} ...", flush=True)
        started = time.perf_counter()
        keys, days, amounts = read_lines(env, company, run_date)
        read_seconds = time.perf_counter() - started
        print(f"{len(keys):,} lines read in {read_seconds:.2f} s", flush=True)
        context = {
            "company": company.name,
            "date": run_date.isoformat(),
            "lines": len(keys),
            "read_lines_s": read_seconds,
            "tz": company.partner_id.tz or "",
        }
        measures = {"engine": Measure("engine: summaries, RFM, fits and scoring")}
        if not args.engine_only:
            measures["refresh"] = Measure("refresh: _refresh_scores of the company")
        measures["baseline"] = Measure("sale.report _read_group by customer", True)
        kept = {}

        def engine():
            kept["engine"] = run_engine(cv, keys, days, amounts, run_date, company)

        def refresh_once():
            with rolled_back(env):
                count = env.cr.sql_log_count
                refresh(env, company, run_date)
                # the refresh's own queries, without the savepoint's
                kept["refresh_queries"] = env.cr.sql_log_count - count
                if "refresh_rows" not in kept:
                    kept["refresh_rows"] = refresh_summary(env, company)

        def baseline():
            kept["baseline"] = sale_report_by_customer(env, company, run_date)

        runs = {"engine": engine, "refresh": refresh_once, "baseline": baseline}
        runs = {key: runs[key] for key in measures}
        for key, function in runs.items():
            print(f"warming up: {measures[key].name} ...", flush=True)
            function()
        best_steps = None
        for round_number in range(1, args.repeat + 1):
            for key, function in runs.items():
                print(f"round {round_number}/{args.repeat}: {measures[key].name} ...", flush=True)
                timed(env, measures[key], function, queries=key == "baseline")
                if key == "refresh":
                    measures[key].queries = kept["refresh_queries"]
                if key == "engine" and measures[key].times[-1] == measures[key].best:
                    best_steps = kept["engine"]["steps"]
        for key, function in runs.items():
            print(f"tracemalloc: {measures[key].name} ...", flush=True)
            traced(env, measures[key], function)
        context["engine_steps"] = best_steps
        context["rss"] = current_rss()
        print("fits alone ...", flush=True)
        summaries = cv.summarize_days(keys, days, amounts, run_date)
        diagnostics = fit_diagnostics(cv, list(summaries.values()))
        if not args.engine_only:
            context["refresh_rows"] = kept["refresh_rows"]
            if args.subset_every:
                print("two refreshes in a row, all lines ...", flush=True)
                context["full"] = refresh_query_counts(env, company, run_date)
                print(
                    f"two refreshes in a row, one confirmed order in {args.subset_every} ...",
                    flush=True,
                )
                context["subset"] = refresh_query_counts(env, company, run_date, args.subset_every)
        print_results(args, measures, context, kept["engine"], diagnostics)
        problems = check(context, kept["engine"], kept["baseline"], batch)
    if args.json:
        row = kept["engine"]["rows"][0] if kept["engine"]["rows"] else {}
        payload = {
            "database": args.database,
            "repeat": args.repeat,
            **context,
            "customers": kept["engine"]["customers"],
            "repeat_customers": kept["engine"]["repeat_customers"],
            "method": kept["engine"]["method"],
            "reason": kept["engine"]["reason"],
            "bgnbd_params": row.get("bgnbd_params"),
            "gamma_gamma_params": row.get("gamma_gamma_params"),
            "fits": diagnostics,
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
