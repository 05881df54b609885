#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Invoice a deterministic subset of the confirmed orders of a bench database.

The database must hold a data set made by ``generate_dataset.py``.  The script takes
the ``--orders`` most recent confirmed orders that have no invoice yet (by order date,
then id) and invoices them through Odoo's normal flow, ``--batch`` orders at a time,
oldest first:

* ``sale.order._create_invoices(grouped=True)``: one customer invoice per order, its
  lines prepared by the order lines (quantities, prices, discounts, taxes, salesperson,
  sales team, link to the order lines), in the order's currency, converted to the
  company currency at the invoice date's rate;
* the invoice date is the order's date in the company's time zone (the time zone of
  the company's address, UTC when unset), then ``account.move.action_post()``;
* ``--refunds`` percent of the invoices get a full credit note through the "Credit
  Note" wizard (``account.move.reversal.refund_moves()``), dated 0 to 7 days after the
  invoice but within its month, then posted;
* ``--paid`` percent of the other invoices are paid in full through the "Register
  Payment" wizard (``account.payment.register``), dated 0 to 30 days after the invoice
  (so some payments fall in the next month).

Everything runs in one transaction as the superuser, with mail tracking off, and is
committed at the end (or rolled back with ``--dry-run``).  The result only depends on
the database it starts from and on the arguments: the same arguments on copies of the
same database give the same invoices, numbers and amounts.  Running it again on the
same database invoices the next ``--orders`` older orders.
"""

import argparse
import calendar
import datetime as dt
import random
import sys
import time
from collections import defaultdict

import pytz
from odoo_session import add_odoo_arguments, odoo_environment

from odoo import Command
from odoo.tools import SQL

REFUND_MAX_DELAY = 7  # days after the invoice, within its month
PAYMENT_MAX_DELAY = 30  # days after the invoice
REFUND_REASON = "Bench credit note"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    add_odoo_arguments(parser)
    group = parser.add_argument_group("invoices")
    group.add_argument(
        "--orders", type=int, default=2000, help="confirmed orders to invoice (default: 2000)"
    )
    group.add_argument(
        "--batch", type=int, default=100, help="orders per invoicing batch (default: 100)"
    )
    group.add_argument(
        "--refunds",
        type=float,
        default=2.0,
        help="percent of the invoices fully refunded by a credit note (default: 2)",
    )
    group.add_argument(
        "--paid",
        type=float,
        default=0.0,
        help="percent of the other invoices paid in full (default: 0)",
    )
    group.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    group.add_argument(
        "--dry-run", action="store_true", help="roll back at the end instead of committing"
    )
    args = parser.parse_args(argv)
    if args.orders < 1 or args.batch < 1:
        parser.error("--orders and --batch must be >= 1")
    if not (0 <= args.refunds <= 100 and 0 <= args.paid <= 100):
        parser.error("--refunds and --paid are percentages between 0 and 100")
    return args


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def quiet(env):
    """The environment with mail tracking, chatter logs and notifications off."""
    return env(
        context=dict(
            env.context,
            tracking_disable=True,
            mail_create_nolog=True,
            mail_create_nosubscribe=True,
            mail_notrack=True,
            mail_auto_subscribe_no_notify=True,
        )
    )


# --------------------------------------------------------------------------- selection


def select_orders(env, company, count: int):
    """The ``count`` most recent confirmed orders of ``company`` without any invoice,
    oldest first, with their company-local order date."""
    env.cr.execute(
        SQL(
            """SELECT so.id, so.date_order
                 FROM sale_order so
                WHERE so.state = 'sale'
                  AND so.company_id = %(company)s
                  AND EXISTS (SELECT 1 FROM sale_order_line l
                               WHERE l.order_id = so.id AND l.display_type IS NULL
                                 AND l.qty_to_invoice > 0)
                  AND NOT EXISTS (SELECT 1 FROM sale_order_line l
                                    JOIN sale_order_line_invoice_rel r
                                      ON r.order_line_id = l.id
                                   WHERE l.order_id = so.id)
             ORDER BY so.date_order DESC, so.id DESC
                LIMIT %(count)s""",
            company=company.id,
            count=count,
        )
    )
    rows = env.cr.fetchall()[::-1]
    tz = pytz.timezone(company.partner_id.tz or "UTC")
    return [
        (order_id, pytz.utc.localize(moment).astimezone(tz).date()) for order_id, moment in rows
    ]


# --------------------------------------------------------------------------- invoicing

ANALYZE_INVOICE_TABLES = (
    "ANALYZE account_move, account_move_line, account_partial_reconcile, account_payment, "
    "sale_order_line_invoice_rel, account_account_tag_account_move_line_rel, "
    "account_move_line_account_tax_rel"
)


def analyze(cr) -> None:
    """Refresh the planner statistics of the tables the invoices fill.

    They start (nearly) empty and everything is inserted in this transaction, which
    ANALYZE counts but autovacuum cannot see: without it PostgreSQL keeps planning
    for empty tables, and the lookups of the invoice lines of an order line grow
    with every invoice already created.
    """
    cr.execute(ANALYZE_INVOICE_TABLES)


def invoice_orders(env, args, selected) -> list:
    """Create and post one invoice per order, ``--batch`` orders at a time.

    Returns the posted invoices' ids in posting order.
    """
    date_of_order = dict(selected)
    order_ids = [order_id for order_id, _day in selected]
    invoice_ids = []
    started = time.monotonic()
    for start in range(0, len(order_ids), args.batch):
        orders = env["sale.order"].browse(order_ids[start : start + args.batch])
        invoices = orders._create_invoices(grouped=True)
        by_day = defaultdict(lambda: env["account.move"])
        for invoice in invoices:
            (order_id,) = set(invoice.invoice_line_ids.sale_line_ids.order_id.ids)
            by_day[date_of_order[order_id]] |= invoice
        for day, day_invoices in sorted(by_day.items()):
            day_invoices.invoice_date = day
        # post in invoice date order so that the numbers follow the dates
        invoices.sorted(lambda move: (move.invoice_date, move.id)).action_post()
        invoice_ids += invoices.ids
        env.flush_all()
        env.invalidate_all()
        analyze(env.cr)
        elapsed = time.monotonic() - started
        done = min(start + args.batch, len(order_ids))
        log(f"  {done:>7,} / {len(order_ids):,} orders invoiced ({done / elapsed:,.1f} orders/s)")
    return invoice_ids


def refund_invoices(env, rng, invoice_ids, percent: float) -> list:
    """Fully refund ``percent`` of the invoices through the credit note wizard."""
    chosen = sorted(rng.sample(invoice_ids, round(len(invoice_ids) * percent / 100)))
    if not chosen:
        return []
    by_day = defaultdict(list)
    journal = env["account.move"].browse(chosen[0]).journal_id
    for invoice in env["account.move"].browse(chosen):
        day = invoice.invoice_date
        last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        by_day[min(day + dt.timedelta(days=rng.randint(0, REFUND_MAX_DELAY)), last)].append(
            invoice.id
        )
    refunds = env["account.move"]
    for day, ids in sorted(by_day.items()):
        wizard = (
            env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=ids)
            .create(
                {
                    "move_ids": [Command.set(ids)],
                    # required, computed from the moves only by the form's onchange
                    "journal_id": journal.id,
                    "date": day,
                    "reason": REFUND_REASON,
                }
            )
        )
        wizard.refund_moves()
        refunds |= wizard.new_move_ids
    draft = refunds.filtered(lambda move: move.state == "draft")
    draft.sorted(lambda move: (move.invoice_date, move.id)).action_post()
    env.flush_all()
    analyze(env.cr)
    log(f"  {len(refunds):,} credit notes posted")
    return chosen


def pay_invoices(env, rng, invoice_ids, percent: float) -> int:
    """Pay ``percent`` of the invoices in full through the payment wizard."""
    chosen = sorted(rng.sample(invoice_ids, round(len(invoice_ids) * percent / 100)))
    by_day = defaultdict(list)
    for invoice in env["account.move"].browse(chosen):
        day = invoice.invoice_date + dt.timedelta(days=rng.randint(0, PAYMENT_MAX_DELAY))
        by_day[day].append(invoice.id)
    payments = env["account.payment"]
    for day, ids in sorted(by_day.items()):
        wizard = (
            env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=ids)
            .create({"payment_date": day, "group_payment": False})
        )
        payments |= wizard._create_payments()
        env.flush_all()
        analyze(env.cr)
    env.flush_all()
    log(f"  {len(payments):,} payments posted")
    return len(payments)


# --------------------------------------------------------------------------- summary


def print_summary(cr, invoice_ids, refunded) -> None:
    cr.execute(
        """SELECT m.move_type, count(DISTINCT m.id), count(l.id),
                  COALESCE(SUM(-l.balance), 0), MIN(m.invoice_date), MAX(m.invoice_date)
             FROM account_move m
             JOIN account_move_line l ON l.move_id = m.id AND l.display_type = 'product'
            WHERE m.state = 'posted' AND m.move_type IN ('out_invoice', 'out_refund')
         GROUP BY m.move_type
         ORDER BY m.move_type"""
    )
    print("\nPosted customer documents in the database (product lines, company currency):")
    for move_type, moves, lines, amount, first, last in cr.fetchall():
        print(
            f"  {move_type:<12} {moves:>8,} documents {lines:>9,} lines "
            f"{amount:>16,.2f}  {first} .. {last}"
        )
    cr.execute(
        """SELECT m.payment_state, count(*) FROM account_move m
            WHERE m.state = 'posted' AND m.move_type = 'out_invoice'
         GROUP BY 1 ORDER BY 1"""
    )
    states = ", ".join(f"{state} {count:,}" for state, count in cr.fetchall())
    print(f"  invoices by payment state: {states}")
    cr.execute(
        "SELECT MIN(name), MAX(name) FROM account_move WHERE id = ANY(%s)", [list(invoice_ids)]
    )
    first, last = cr.fetchone()
    print(
        f"  this run: {len(invoice_ids):,} invoices ({first} .. {last}), {len(refunded):,} refunded"
    )


# --------------------------------------------------------------------------- main


def main(argv=None) -> None:
    args = parse_args(argv)
    started = time.monotonic()
    with odoo_environment(args) as env:
        env = quiet(env)
        company = env.ref("base.main_company")
        selected = select_orders(env, company, args.orders)
        if not selected:
            sys.exit(f"database {args.database}: no confirmed order left to invoice")
        log(
            f"database {args.database}: invoicing {len(selected):,} orders "
            f"of {selected[0][1]} .. {selected[-1][1]}, batches of {args.batch}, "
            f"seed {args.seed}"
        )
        rng = random.Random(f"{args.seed}-invoices")
        invoice_ids = invoice_orders(env, args, selected)
        log(f"{len(invoice_ids):,} invoices posted")
        refunded = refund_invoices(env, rng, invoice_ids, args.refunds)
        if args.paid:
            refunded_set = set(refunded)
            pay_invoices(env, rng, [i for i in invoice_ids if i not in refunded_set], args.paid)
        analyze(env.cr)
        env.cr.execute("ANALYZE sale_order_line, sale_order")
        print_summary(env.cr, invoice_ids, refunded)
        if args.dry_run:
            log("dry run: rolled back")
        else:
            env.cr.commit()
            log("committed")
    log(f"done in {time.monotonic() - started:,.1f} s")


if __name__ == "__main__":
    main()
