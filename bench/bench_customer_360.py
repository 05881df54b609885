#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Time the Customer 360 of a customer with 10,000 order lines, against Odoo's own reads.

The customer ("Customer 360 Bench", a company) is created once by ``--prepare``:
``--lines`` confirmed order lines (default 10,000) in orders of 10 lines, products and
quantities varied, dated over the last 36 months, through the ORM in batches, then
committed. Run it on a copy of a database (``createdb -T``), never on one in use.

Then, as a user who sees all documents (record rules apply, no superuser shortcut),
each measure runs once to warm up, then they take turns for ``--repeat`` rounds with
the record caches cleared before each run (as each request starts with empty ones):

* 360:        ``partner.salesperf_customer_360_html``, the whole tab (every read and
              the QWeb rendering); the SQL queries it sends are counted;
* button:     ``partner.sale_order_count``, Odoo's "Sales" smart button of the same form;
* sale.report: ``sale.report._read_group`` of the customer's revenue per month, Odoo's
              own analysis of the same lines.

The target is a 360 under 1 second (``--target``); the script exits with status 2
when the best time misses it and ``--check-target`` is given.
"""

import argparse
import statistics
import sys
import time
from datetime import datetime, timedelta

from odoo_session import add_odoo_arguments, odoo_environment

CUSTOMER_NAME = "Customer 360 Bench"
LINES_PER_ORDER = 10


def prepare(env, lines: int) -> None:
    from odoo import Command

    Partner = env["res.partner"]
    if Partner.search_count([("name", "=", CUSTOMER_NAME)]):
        sys.exit(f"{CUSTOMER_NAME!r} exists already: nothing to prepare")
    company = env.company
    user = env["res.users"].search(
        [("share", "=", False), ("company_ids", "in", company.id)], order="id", limit=1
    )
    customer = Partner.create({"name": CUSTOMER_NAME, "is_company": True, "user_id": user.id})
    contacts = Partner.create(
        [{"name": f"Contact {index}", "parent_id": customer.id} for index in range(5)]
    )
    products = env["product.product"].search([("sale_ok", "=", True)], limit=40, order="id")
    orders_count = lines // LINES_PER_ORDER
    now = datetime.now()
    started = time.perf_counter()
    for batch_start in range(0, orders_count, 100):
        batch = range(batch_start, min(batch_start + 100, orders_count))
        orders = env["sale.order"].create(
            [
                {
                    "partner_id": contacts[index % len(contacts)].id,
                    "user_id": user.id,
                    "company_id": company.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": products[(index + line) % len(products)].id,
                                "product_uom_qty": 1 + (index * 7 + line) % 5,
                                "price_unit": 10.0 + (index * 13 + line * 17) % 90,
                                "tax_id": False,
                            }
                        )
                        for line in range(LINES_PER_ORDER)
                    ],
                }
                for index in batch
            ]
        )
        orders.action_confirm()
        for index, order in zip(batch, orders, strict=True):
            # spread over 36 months, one order every ~1.1 day
            order.date_order = now - timedelta(days=index * 1095 / orders_count, hours=index % 24)
        env.flush_all()
        print(f"  {batch[-1] + 1} orders ({time.perf_counter() - started:.0f} s)", flush=True)
    env.cr.commit()
    print(f"prepared {CUSTOMER_NAME!r} (id {customer.id}) with {orders_count} orders")


def timed(env, call) -> tuple[float, int]:
    env.invalidate_all()
    queries = env.cr.sql_log_count
    start = time.perf_counter()
    call()
    return time.perf_counter() - start, env.cr.sql_log_count - queries


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_odoo_arguments(parser)
    parser.add_argument("--prepare", action="store_true", help="create the customer, commit")
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--target", type=float, default=1.0, help="seconds (default 1.0)")
    parser.add_argument("--check-target", action="store_true")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    with odoo_environment(args) as env:
        if args.prepare:
            prepare(env, args.lines)
            return 0
        customer = env["res.partner"].search([("name", "=", CUSTOMER_NAME)], limit=1)
        if not customer:
            sys.exit(f"no {CUSTOMER_NAME!r}: run with --prepare first (on a copy of the database)")
        director = (
            env["res.users"]
            .search([("share", "=", False), ("company_ids", "in", env.company.id)], order="id")
            .filtered(lambda user: user.has_group("sales_team.group_sale_salesman_all_leads"))[:1]
        )
        env = env(user=director.id, su=False)
        customer = customer.with_env(env)
        line_count = (
            env["salesperf.sale.fact"]
            .sudo()
            .search_count(
                [("commercial_partner_id", "=", customer.id), ("company_id", "=", env.company.id)]
            )
        )
        measures = {
            "360": lambda: customer.salesperf_customer_360_html,
            "button": lambda: customer.sale_order_count,
            "sale.report": lambda: env["sale.report"]._read_group(
                [("commercial_partner_id", "=", customer.id), ("state", "=", "sale")],
                ["date:month"],
                ["price_subtotal:sum"],
            ),
        }
        results = {name: [] for name in measures}
        queries = {}
        for call in measures.values():
            timed(env, call)  # warm up
        for _round in range(args.repeat):
            for name, call in measures.items():
                seconds, count = timed(env, call)
                results[name].append(seconds)
                queries[name] = count
        print(f"customer {customer.name!r}: {line_count} sold lines, as {director.login}")
        print(f"{'measure':<12} {'best s':>8} {'median s':>9} {'queries':>8}")
        for name, times in results.items():
            print(
                f"{name:<12} {min(times):>8.3f} {statistics.median(times):>9.3f} {queries[name]:>8}"
            )
        best = min(results["360"])
        for baseline in ("button", "sale.report"):
            print(f"360 / {baseline}: {best / min(results[baseline]):.2f}")
        verdict = "OK" if best < args.target else "MISSED"
        print(f"target 360 < {args.target:.1f} s: {verdict}")
        if args.check_target and best >= args.target:
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
