#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Fill an existing Odoo 18 database with a large, deterministic, synthetic sales data set.

The database must already exist with the sales apps installed, e.g.::

    odoo-bin -d NAME -i salesperf_odoo --without-demo=all --stop-after-init

What is created:

* through the ORM (so every computed field, constraint and default of Odoo applies):
  ``--salespeople`` users (group "Sales / User: Own Documents Only") spread over a few
  sales teams, ``--customers`` customers (companies and their contacts), ``--products``
  products in a two-level category tree, a second active currency with one rate per day
  and one pricelist per currency;
* in bulk with ``COPY`` (chunks of ``--chunk-orders`` orders): about ``--lines`` / 3.3
  sale orders holding exactly ``--lines`` sale order lines, spread over ``--months``
  months ending on ``--end-date``.  About 86 % of the orders are confirmed ('sale'),
  the rest are quotations ('draft'/'sent') or cancelled; customers of some countries buy
  in the second currency, at the rate of the order date (``currency_rate``).  About 1 %
  of the lines are section lines (``display_type``), the others are product lines with
  the company's default sale tax.  No invoice is created: confirmed lines are fully
  delivered and "to invoice".

Every NOT NULL column without default of the loaded tables must be filled: the script
reads ``information_schema.columns`` first and stops if one is not.  It then advances
the id sequences and the sale order numbering, runs ANALYZE, commits, and VACUUMs the
two big tables so that timings right after a run are stable.

The result only depends on the arguments (``--seed``, ``--end-date``, ...) and on the
database it starts from.  Run it once per database: it refuses to run twice.
"""

import argparse
import calendar
import contextlib
import datetime as dt
import io
import itertools
import random
import sys
import time
from dataclasses import dataclass

from odoo_session import add_odoo_arguments, odoo_environment

import odoo
from odoo.tools import SQL, float_round

LOGIN_PREFIX = "bench.salesperson."
TEAM_SIZE = 60  # salespeople per sales team
# share of the orders of 3+ lines that start with a section line (about 1 % of all lines)
SECTION_ORDER_SHARE = 0.05
# lines per order: mean about 3.3
LINES_PER_ORDER = (1, 2, 3, 4, 5, 6, 7)
LINES_PER_ORDER_WEIGHTS = (18, 20, 20, 16, 12, 8, 6)
ORDER_STATES = ("sale", "draft", "sent", "cancel")
ORDER_STATE_WEIGHTS = (86, 6, 3, 5)
DISCOUNTS = (0.0, 5.0, 10.0)
DISCOUNT_WEIGHTS = (80, 12, 8)
# customers in these countries buy in the second currency
FOREIGN_COUNTRIES = ("base.be", "base.fr", "base.de")
HOME_COUNTRIES = ("base.us", "base.us", "base.us", "base.ca", "base.uk")
CATEGORY_TREE = {
    "Hardware": ("Laptops", "Desktops", "Monitors", "Accessories"),
    "Furniture": ("Desks", "Chairs", "Storage", "Lighting"),
    "Supplies": ("Paper", "Ink", "Packaging", "Cleaning"),
    "Software": ("Licences", "Subscriptions", "Add-ons"),
    "Services": ("Installation", "Training", "Consulting", "Support"),
}
SERVICE_PARENTS = ("Software", "Services")


@dataclass(frozen=True)
class Product:
    id: int
    name: str
    uom_id: int
    list_price: float
    cost: float
    is_service: bool


@dataclass(frozen=True)
class Customer:
    id: int
    commercial_id: int
    foreign: bool


@dataclass(frozen=True)
class Salesperson:
    user_id: int
    team_id: int


@dataclass
class Context:
    """Everything the bulk loader needs about the dimensions."""

    company_id: int
    company_currency_id: int
    foreign_currency_id: int
    home_pricelist_id: int
    foreign_pricelist_id: int
    tax_id: int | None
    tax_percent: float
    rates: dict  # date -> rate of the foreign currency (1 company currency = rate foreign)
    salespeople: list
    customers: list
    products: list


# --------------------------------------------------------------------------- arguments


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    add_odoo_arguments(parser)
    group = parser.add_argument_group("data set")
    group.add_argument("--lines", type=int, default=1_000_000, help="sale order lines")
    group.add_argument("--salespeople", type=int, default=500, help="salespeople (res.users)")
    group.add_argument("--customers", type=int, default=3000, help="customers (res.partner)")
    group.add_argument("--products", type=int, default=300, help="products (product.product)")
    group.add_argument("--months", type=int, default=36, help="months of history")
    group.add_argument(
        "--end-date",
        type=dt.date.fromisoformat,
        default=dt.date(2025, 12, 31),
        help="last order date, YYYY-MM-DD (default: %(default)s)",
    )
    group.add_argument("--seed", type=int, default=42, help="random seed")
    group.add_argument("--chunk-orders", type=int, default=20_000, help="orders per COPY chunk")
    group.add_argument(
        "--no-vacuum", action="store_true", help="skip the final VACUUM of the loaded tables"
    )
    args = parser.parse_args(argv)
    if args.lines < 1 or args.salespeople < 1 or args.customers < 2 or args.products < 1:
        parser.error("--lines, --salespeople, --products must be >= 1, --customers >= 2")
    if args.months < 1:
        parser.error("--months must be >= 1")
    return args


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------- dimensions


def quiet(env):
    """The environment with mail tracking, chatter logs and invitation mails off."""
    return env(
        context=dict(
            env.context,
            tracking_disable=True,
            mail_create_nolog=True,
            mail_create_nosubscribe=True,
            mail_notrack=True,
            no_reset_password=True,
        )
    )


def create_foreign_currency(env, rng, company, first_day, last_day):
    """Activate a second currency and give it one rate per day over the period."""
    code = "EUR" if company.currency_id.name != "EUR" else "USD"
    currency = env["res.currency"].with_context(active_test=False).search([("name", "=", code)])
    if not currency:
        sys.exit(f"currency {code} not found in res.currency")
    currency.active = True
    env["res.currency.rate"].search(
        [("currency_id", "=", currency.id), ("company_id", "in", (False, company.id))]
    ).unlink()
    rates = {}
    rate = 0.92 if code == "EUR" else 1.08
    day = first_day - dt.timedelta(days=7)
    while day <= last_day:
        # small bounded random walk, 6 decimals like the rates Odoo downloads
        rate = min(max(rate * (1 + rng.gauss(0, 0.003)), 0.75), 1.25)
        rates[day] = round(rate, 6)
        day += dt.timedelta(days=1)
    env["res.currency.rate"].create(
        [
            {"name": day, "rate": value, "currency_id": currency.id, "company_id": company.id}
            for day, value in rates.items()
        ]
    )
    log(f"currency {code}: {len(rates)} daily rates")
    return currency, rates


def create_pricelists(env, company, foreign_currency):
    pricelist = env["product.pricelist"]
    home = pricelist.create(
        {"name": f"Bench {company.currency_id.name}", "currency_id": company.currency_id.id}
    )
    foreign = pricelist.create(
        {"name": f"Bench {foreign_currency.name}", "currency_id": foreign_currency.id}
    )
    return home, foreign


def create_salespeople(env, rng, company, count):
    group = env.ref("sales_team.group_sale_salesman")
    n_teams = max(1, round(count / TEAM_SIZE))
    teams = env["crm.team"].create(
        [
            {"name": f"Bench Team {i + 1:02d}", "company_id": company.id, "sequence": 100 + i}
            for i in range(n_teams)
        ]
    )
    users = env["res.users"].create(
        [
            {
                "name": f"Salesperson {i + 1:04d}",
                "login": f"{LOGIN_PREFIX}{i + 1:04d}",
                "company_id": company.id,
                "company_ids": [(6, 0, company.ids)],
                "groups_id": [(6, 0, group.ids)],
                "tz": "UTC",
            }
            for i in range(count)
        ]
    )
    team_of_user = [teams[i * n_teams // count] for i in range(count)]
    env["crm.team.member"].create(
        [
            {"crm_team_id": team.id, "user_id": user.id}
            for user, team in zip(users, team_of_user, strict=True)
        ]
    )
    for team in teams:
        team.user_id = next(u for u, t in zip(users, team_of_user, strict=True) if t == team)
    log(f"{count} salespeople in {n_teams} teams")
    return [Salesperson(user.id, team.id) for user, team in zip(users, team_of_user, strict=True)]


def create_customers(env, rng, count):
    countries = {xmlid: env.ref(xmlid).id for xmlid in FOREIGN_COUNTRIES + HOME_COUNTRIES}
    n_companies = max(1, count * 3 // 5)
    company_vals = []
    for i in range(n_companies):
        foreign = rng.random() < 0.2
        xmlid = rng.choice(FOREIGN_COUNTRIES if foreign else HOME_COUNTRIES)
        company_vals.append(
            {
                "name": f"Customer {i + 1:05d}",
                "is_company": True,
                "country_id": countries[xmlid],
                "customer_rank": 1,
                "ref": f"BENCH-C{i + 1:05d}",
            }
        )
    companies = env["res.partner"].create(company_vals)
    contact_vals = []
    for i in range(count - n_companies):
        parent = companies[rng.randrange(n_companies)]
        contact_vals.append(
            {
                "name": f"Contact {i + 1:05d}",
                "parent_id": parent.id,
                "type": "contact",
                "customer_rank": 1,
            }
        )
    contacts = env["res.partner"].create(contact_vals)
    foreign_ids = {countries[x] for x in FOREIGN_COUNTRIES}
    customers = [
        Customer(
            p.id, p.commercial_partner_id.id, p.commercial_partner_id.country_id.id in foreign_ids
        )
        for p in companies + contacts
    ]
    log(f"{len(customers)} customers ({n_companies} companies, {len(contacts)} contacts)")
    return customers


def create_products(env, rng, company, count):
    all_category = env.ref("product.product_category_all")
    leaves = []  # (category, is_service)
    for parent_name, children in CATEGORY_TREE.items():
        parent = env["product.category"].create({"name": parent_name, "parent_id": all_category.id})
        for child_name in children:
            child = env["product.category"].create({"name": child_name, "parent_id": parent.id})
            leaves.append((child, parent_name in SERVICE_PARENTS))
    unit = env.ref("uom.product_uom_unit")
    hour = env.ref("uom.product_uom_hour")
    vals_list = []
    for i in range(count):
        category, is_service = leaves[i % len(leaves)]
        list_price = round(rng.lognormvariate(4.0, 1.0), 2) + 1.0
        vals_list.append(
            {
                "name": f"{category.name} item {i + 1:04d}",
                "default_code": f"BENCH-P{i + 1:04d}",
                "categ_id": category.id,
                "type": "service" if is_service else "consu",
                "uom_id": (hour if is_service else unit).id,
                "uom_po_id": (hour if is_service else unit).id,
                "list_price": list_price,
                "standard_price": round(list_price * rng.uniform(0.45, 0.85), 2),
                "sale_ok": True,
                "company_id": False,
            }
        )
    templates = env["product.template"].with_company(company).create(vals_list)
    products = [
        Product(
            id=t.product_variant_id.id,
            name=t.product_variant_id.display_name,
            uom_id=t.uom_id.id,
            list_price=t.list_price,
            cost=t.product_variant_id.standard_price,
            is_service=t.type == "service",
        )
        for t in templates.with_company(company)
    ]
    log(f"{len(products)} products in {len(leaves)} categories")
    return products


def create_dimensions(env, args, first_day, last_day) -> Context:
    rng = random.Random(f"{args.seed}-dimensions")
    company = env.ref("base.main_company")
    if (
        env["res.users"]
        .with_context(active_test=False)
        .search_count([("login", "=like", f"{LOGIN_PREFIX}%")])
    ):
        sys.exit(
            f"database {args.database} already holds a generated data set "
            f"(users {LOGIN_PREFIX}*): use a fresh database"
        )
    env = quiet(env)
    foreign_currency, rates = create_foreign_currency(env, rng, company, first_day, last_day)
    home_pricelist, foreign_pricelist = create_pricelists(env, company, foreign_currency)
    salespeople = create_salespeople(env, rng, company, args.salespeople)
    customers = create_customers(env, rng, args.customers)
    products = create_products(env, rng, company, args.products)
    tax = company.account_sale_tax_id
    if tax and (tax.amount_type != "percent" or tax.price_include):
        log(f"default sale tax {tax.name!r} is not a plain excluded percentage: not used")
        tax = tax.browse()
    env.flush_all()
    return Context(
        company_id=company.id,
        company_currency_id=company.currency_id.id,
        foreign_currency_id=foreign_currency.id,
        home_pricelist_id=home_pricelist.id,
        foreign_pricelist_id=foreign_pricelist.id,
        tax_id=tax.id or None,
        tax_percent=tax.amount if tax else 0.0,
        rates=rates,
        salespeople=salespeople,
        customers=customers,
        products=products,
    )


# --------------------------------------------------------------------------- bulk load

ORDER_COLUMNS = (
    "id", "name", "company_id", "partner_id", "partner_invoice_id", "partner_shipping_id",
    "pricelist_id", "currency_id", "user_id", "team_id", "create_uid", "write_uid", "state",
    "invoice_status", "validity_date", "currency_rate", "amount_untaxed", "amount_tax",
    "amount_total", "locked", "require_signature", "require_payment", "create_date",
    "date_order", "write_date", "prepayment_percent", "margin", "margin_percent",
)  # fmt: skip
LINE_COLUMNS = (
    "id", "order_id", "sequence", "company_id", "currency_id", "order_partner_id",
    "salesman_id", "product_id", "product_uom", "create_uid", "write_uid", "state",
    "display_type", "qty_delivered_method", "invoice_status", "name", "product_uom_qty",
    "price_unit", "discount", "price_subtotal", "price_total", "price_reduce_taxexcl",
    "price_reduce_taxinc", "qty_delivered", "qty_invoiced", "qty_to_invoice",
    "untaxed_amount_invoiced", "untaxed_amount_to_invoice", "is_downpayment", "is_expense",
    "create_date", "write_date", "technical_price_unit", "price_tax", "product_packaging_qty",
    "customer_lead", "margin", "purchase_price", "margin_percent",
)  # fmt: skip
TAX_REL_COLUMNS = ("sale_order_line_id", "account_tax_id")
LOADED_TABLES = ("sale_order", "sale_order_line", "account_tax_sale_order_line_rel")
NULL = "\\N"


def check_columns(cr, table: str, columns) -> None:
    """Fail loudly if a column is unknown or a NOT NULL column without default is missing."""
    cr.execute(
        """SELECT column_name, is_nullable = 'NO' AND column_default IS NULL
             FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = %s""",
        [table],
    )
    existing = dict(cr.fetchall())
    unknown = sorted(set(columns) - set(existing))
    missing = sorted(
        name for name, required in existing.items() if required and name not in columns
    )
    if unknown or missing:
        sys.exit(
            f"FATAL: table {table}: "
            + (f"columns not in the database: {unknown}. " if unknown else "")
            + (f"NOT NULL columns without default not filled: {missing}" if missing else "")
        )


def copy_rows(cr, table: str, columns, rows: list[str]) -> None:
    """COPY already tab-separated rows (text format, \\N for NULL) into ``table``."""
    if not rows:
        return
    buffer = io.StringIO("\n".join(rows) + "\n")
    cr._obj.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


@contextlib.contextmanager
def foreign_keys_dropped(cr, tables):
    """Drop the foreign keys of ``tables`` during the load and add them back afterwards.

    Checking foreign keys row by row makes COPY about five times slower; adding them
    back validates all the loaded rows in one pass per key.  Everything happens in the
    load's transaction: if the load fails, the rollback restores the keys.
    """
    cr.execute(
        """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
             FROM pg_constraint
            WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])
         ORDER BY 1, 2""",
        [list(tables)],
    )
    foreign_keys = cr.fetchall()
    for table, name, _definition in foreign_keys:
        cr.execute(
            SQL("ALTER TABLE %s DROP CONSTRAINT %s", SQL.identifier(table), SQL.identifier(name))
        )
    yield
    log(f"adding back {len(foreign_keys)} foreign keys (validates the loaded rows) ...")
    for table, name, definition in foreign_keys:
        cr.execute(
            SQL(
                "ALTER TABLE %s ADD CONSTRAINT %s %s",
                SQL.identifier(table),
                SQL.identifier(name),
                SQL(definition),
            )
        )


def money(amount: float) -> float:
    """Round like Odoo does for 2-decimal currencies and prices (half-up, with epsilon)."""
    return float_round(amount, precision_digits=2)


def copy_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "")


def month_starts(end_date: dt.date, months: int) -> list[dt.date]:
    year, month = end_date.year, end_date.month
    starts = []
    for _ in range(months):
        starts.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def plan_orders(rng, args, ctx, starts):
    """(date_order, salesperson index, customer index, state, number of lines), by date."""
    sizes = []
    remaining = args.lines
    size_cum = list(_cumulate(LINES_PER_ORDER_WEIGHTS))
    while remaining > 0:
        size = min(rng.choices(LINES_PER_ORDER, cum_weights=size_cum)[0], remaining)
        sizes.append(size)
        remaining -= size
    count = len(sizes)
    # slow growth (1 %/month) and seasonality: December high, August low
    season = {12: 1.3, 11: 1.1, 8: 0.8, 7: 0.9}
    month_weights = [(1.01**i) * season.get(start.month, 1.0) for i, start in enumerate(starts)]
    months = rng.choices(range(len(starts)), weights=month_weights, k=count)
    sp_weights = [rng.lognormvariate(0, 0.6) for _ in ctx.salespeople]
    salespeople = rng.choices(range(len(ctx.salespeople)), weights=sp_weights, k=count)
    cust_weights = [min(rng.paretovariate(1.2), 50.0) for _ in ctx.customers]
    customers = rng.choices(range(len(ctx.customers)), weights=cust_weights, k=count)
    states = rng.choices(ORDER_STATES, weights=ORDER_STATE_WEIGHTS, k=count)
    plans = []
    for i in range(count):
        start = starts[months[i]]
        last = calendar.monthrange(start.year, start.month)[1]
        if start.year == args.end_date.year and start.month == args.end_date.month:
            last = args.end_date.day
        moment = dt.datetime(start.year, start.month, rng.randint(1, last)) + dt.timedelta(
            seconds=rng.randrange(7 * 3600, 18 * 3600)  # office hours, UTC
        )
        plans.append((moment, salespeople[i], customers[i], states[i], sizes[i]))
    plans.sort(key=lambda plan: plan[0])
    return plans


def _cumulate(weights):
    total = 0
    for weight in weights:
        total += weight
        yield total


def next_id(cr, table: str) -> int:
    cr.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
    return cr.fetchone()[0]


def sale_order_numbering(env, company_id):
    sequence = env["ir.sequence"].search(
        [("code", "=", "sale.order"), ("company_id", "in", (company_id, False))],
        order="company_id",
        limit=1,
    )
    if not sequence:
        sys.exit("FATAL: no ir.sequence with code sale.order")
    return sequence, sequence.number_next_actual


class OrderBuilder:
    """Turn planned orders into COPY rows (text format) with consistent amounts.

    Amounts follow Odoo's formulas (``sale`` and ``sale_margin``): prices in the order
    currency at the order's ``currency_rate``, subtotals rounded per line, taxes
    rounded per line (the default ``round_per_line``), margin = subtotal - cost * qty.
    """

    def __init__(self, ctx: Context, rng: random.Random, first_order_id, first_line_id, names):
        self.ctx = ctx
        self.rng = rng
        self.order_id = first_order_id
        self.line_id = first_line_id
        self.names = names  # iterator of order references
        self.product_cum = list(_cumulate(min(rng.paretovariate(1.0), 30.0) for _ in ctx.products))
        self.discount_cum = list(_cumulate(DISCOUNT_WEIGHTS))
        self.tax_rate = ctx.tax_percent / 100.0

    def build(self, plan, line_rows: list, tax_rows: list) -> str:
        """Append the lines of one planned order to the lists, return the order row."""
        ctx, rng = self.ctx, self.rng
        moment, sp_index, cust_index, state, n_lines = plan
        salesperson = ctx.salespeople[sp_index]
        customer = ctx.customers[cust_index]
        if customer.foreign:
            currency_id, pricelist_id = ctx.foreign_currency_id, ctx.foreign_pricelist_id
            rate = ctx.rates[moment.date()]
        else:
            currency_id, pricelist_id = ctx.company_currency_id, ctx.home_pricelist_id
            rate = 1.0
        uid, stamp = salesperson.user_id, moment.isoformat(sep=" ")
        confirmed = state == "sale"
        # columns shared by all the lines of the order, up to display_type excluded
        head = (
            f"{self.order_id}\t{{seq}}\t{ctx.company_id}\t{currency_id}\t{customer.id}\t"
            f"{uid}\t{{product}}\t{{uom}}\t{uid}\t{uid}\t{state}"
        )
        untaxed = tax = margin = 0.0
        with_section = n_lines >= 3 and rng.random() < SECTION_ORDER_SHARE
        for index in range(n_lines):
            sequence = 10 * (index + 1)
            if with_section and index == 0:
                line_head = head.format(seq=sequence, product=NULL, uom=NULL)
                line_rows.append(
                    f"{self.line_id}\t{line_head}\tline_section\tmanual\tno\tSection\t"
                    f"0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\tf\tf\t{stamp}\t{stamp}\t"
                    "0\t0\t0\t0\t0\t0\t0"
                )
                self.line_id += 1
                continue
            product = ctx.products[
                rng.choices(range(len(ctx.products)), cum_weights=self.product_cum)[0]
            ]
            qty = float(rng.randint(1, 40) if product.is_service else rng.randint(1, 12))
            discount = rng.choices(DISCOUNTS, cum_weights=self.discount_cum)[0]
            price_unit = money(product.list_price * rate)
            cost = money(product.cost * rate)
            subtotal = money(qty * price_unit * (1.0 - discount / 100.0))
            line_tax = money(subtotal * self.tax_rate)
            total = money(subtotal + line_tax)
            line_margin = money(subtotal - cost * qty)
            untaxed += subtotal
            tax += line_tax
            margin += line_margin
            # confirmed lines: delivered, nothing invoiced yet; others: nothing to do
            done_qty = qty if confirmed else 0.0
            to_invoice = subtotal if confirmed else 0.0
            line_head = head.format(seq=sequence, product=product.id, uom=product.uom_id)
            line_rows.append(
                f"{self.line_id}\t{line_head}\t{NULL}\tmanual\t"
                f"{'to invoice' if confirmed else 'no'}\t{copy_text(product.name)}\t"
                f"{qty:.2f}\t{price_unit:.2f}\t{discount:.2f}\t{subtotal:.2f}\t{total:.2f}\t"
                f"{money(subtotal / qty):.2f}\t{money(total / qty):.2f}\t"
                f"{done_qty:.2f}\t0\t{done_qty:.2f}\t0\t{to_invoice:.2f}\tf\tf\t{stamp}\t{stamp}\t"
                f"{price_unit:.2f}\t{line_tax:.2f}\t0\t0\t{line_margin:.2f}\t{cost:.2f}\t"
                f"{line_margin / subtotal if subtotal else 0.0:.6f}"
            )
            if ctx.tax_id:
                tax_rows.append(f"{self.line_id}\t{ctx.tax_id}")
            self.line_id += 1
        untaxed, tax, margin = money(untaxed), money(tax), money(margin)
        order_row = (
            f"{self.order_id}\t{next(self.names)}\t{ctx.company_id}\t{customer.id}\t"
            f"{customer.commercial_id}\t{customer.id}\t{pricelist_id}\t{currency_id}\t"
            f"{uid}\t{salesperson.team_id}\t{uid}\t{uid}\t{state}\t"
            f"{'to invoice' if confirmed else 'no'}\t"
            f"{(moment + dt.timedelta(days=30)).date().isoformat()}\t{rate:.6f}\t"
            f"{untaxed:.2f}\t{tax:.2f}\t{untaxed + tax:.2f}\tf\tt\tf\t{stamp}\t{stamp}\t"
            f"{stamp}\t1.0\t{margin:.2f}\t{margin / untaxed if untaxed else 0.0:.6f}"
        )
        self.order_id += 1
        return order_row


def load_orders(env, args, ctx: Context, plans) -> dict:
    """Build and COPY the orders, lines and line taxes, ``--chunk-orders`` at a time."""
    cr = env.cr
    check_columns(cr, "sale_order", ORDER_COLUMNS)
    check_columns(cr, "sale_order_line", LINE_COLUMNS)
    check_columns(cr, "account_tax_sale_order_line_rel", TAX_REL_COLUMNS)
    sequence, first_number = sale_order_numbering(env, ctx.company_id)
    names = (
        f"{sequence.prefix or ''}{number:0{sequence.padding}d}"
        for number in itertools.count(first_number)
    )
    first_order_id, first_line_id = next_id(cr, "sale_order"), next_id(cr, "sale_order_line")
    builder = OrderBuilder(
        ctx, random.Random(f"{args.seed}-lines"), first_order_id, first_line_id, names
    )
    counts = {"orders": 0, "lines": 0, "tax_rows": 0}
    started = time.monotonic()
    with foreign_keys_dropped(cr, LOADED_TABLES):
        for chunk_start in range(0, len(plans), args.chunk_orders):
            line_rows, tax_rows = [], []
            order_rows = [
                builder.build(plan, line_rows, tax_rows)
                for plan in plans[chunk_start : chunk_start + args.chunk_orders]
            ]
            copy_rows(cr, "sale_order", ORDER_COLUMNS, order_rows)
            copy_rows(cr, "sale_order_line", LINE_COLUMNS, line_rows)
            copy_rows(cr, "account_tax_sale_order_line_rel", TAX_REL_COLUMNS, tax_rows)
            counts["orders"] += len(order_rows)
            counts["lines"] += len(line_rows)
            counts["tax_rows"] += len(tax_rows)
            elapsed = time.monotonic() - started
            log(
                f"  {counts['orders']:>9,} / {len(plans):,} orders, {counts['lines']:>10,} lines "
                f"({counts['lines'] / elapsed:,.0f} lines/s)"
            )

    # advance the id sequences and the order numbering past the loaded rows
    for table in ("sale_order", "sale_order_line"):
        cr.execute(
            SQL(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM %s))",
                table,
                SQL.identifier(table),
            )
        )
    sequence.write({"number_next": first_number + counts["orders"]})
    counts["first_order_id"], counts["first_line_id"] = first_order_id, first_line_id
    return counts


# --------------------------------------------------------------------------- checks


def check_currency_rates(env, company_id) -> None:
    """The stored currency_rate must be the one Odoo computes for the order date."""
    cr = env.cr
    cr.execute(
        """SELECT count(*) FROM sale_order so
             JOIN res_company c ON c.id = so.company_id
            WHERE so.currency_id != c.currency_id
              AND so.currency_rate IS DISTINCT FROM (
                  SELECT r.rate FROM res_currency_rate r
                   WHERE r.currency_id = so.currency_id
                     AND r.company_id = so.company_id
                     AND r.name <= so.date_order::date
                ORDER BY r.name DESC LIMIT 1)"""
    )
    bad = cr.fetchone()[0]
    if bad:
        sys.exit(f"FATAL: {bad} orders have a currency_rate that differs from res_currency_rate")
    cr.execute(
        "SELECT id FROM sale_order WHERE currency_id != %s ORDER BY id LIMIT 3",
        [env["res.company"].browse(company_id).currency_id.id],
    )
    for order in env["sale.order"].browse([row[0] for row in cr.fetchall()]):
        expected = env["res.currency"]._get_conversion_rate(
            order.company_id.currency_id, order.currency_id, order.company_id,
            order.date_order.date(),
        )  # fmt: skip
        if abs(expected - order.currency_rate) > 1e-9:
            sys.exit(f"FATAL: {order.name}: currency_rate {order.currency_rate} != {expected}")


def print_counts(cr) -> None:
    queries = {
        "salespeople (bench users)": (
            "SELECT count(*) FROM res_users WHERE login LIKE %s",
            [f"{LOGIN_PREFIX}%"],
        ),
        "customers": ("SELECT count(*) FROM res_partner WHERE customer_rank > 0", []),
        "products": ("SELECT count(*) FROM product_product", []),
        "sale orders": ("SELECT count(*) FROM sale_order", []),
        "sale order lines": ("SELECT count(*) FROM sale_order_line", []),
        "confirmed product lines": (
            """SELECT count(*) FROM sale_order_line l JOIN sale_order so ON so.id = l.order_id
                WHERE so.state = 'sale' AND l.display_type IS NULL
                  AND l.is_downpayment IS NOT TRUE""",
            [],
        ),
        "orders in a second currency": (
            """SELECT count(*) FROM sale_order so JOIN res_company c ON c.id = so.company_id
                WHERE so.currency_id != c.currency_id""",
            [],
        ),
    }
    print("\nFinal counts:")
    for label, (query, params) in queries.items():
        cr.execute(query, params)
        print(f"  {label:<30} {cr.fetchone()[0]:>12,}")
    cr.execute("SELECT state, count(*) FROM sale_order GROUP BY 1 ORDER BY 2 DESC")
    print("  orders by state:              " + ", ".join(f"{s} {n:,}" for s, n in cr.fetchall()))
    cr.execute("SELECT MIN(date_order), MAX(date_order) FROM sale_order")
    first, last = cr.fetchone()
    print(f"  order dates:                  {first} .. {last}")


def vacuum(args) -> None:
    """VACUUM needs its own connection outside of a transaction."""
    with odoo.sql_db.db_connect(args.database).cursor() as cr:
        cr._cnx.autocommit = True
        cr.execute("VACUUM (ANALYZE) sale_order, sale_order_line, account_tax_sale_order_line_rel")


# --------------------------------------------------------------------------- main


def main(argv=None) -> None:
    args = parse_args(argv)
    started = time.monotonic()
    starts = month_starts(args.end_date, args.months)
    with odoo_environment(args) as env:
        log(
            f"database {args.database}: {args.lines:,} lines, {args.salespeople} salespeople, "
            f"{starts[0]} .. {args.end_date}, seed {args.seed}"
        )
        ctx = create_dimensions(env, args, starts[0], args.end_date)
        plans = plan_orders(random.Random(f"{args.seed}-orders"), args, ctx, starts)
        log(f"{len(plans):,} orders planned, loading with COPY ...")
        counts = load_orders(env, args, ctx, plans)
        check_currency_rates(env, ctx.company_id)
        log("ANALYZE ...")
        env.cr.execute(
            "ANALYZE sale_order, sale_order_line, account_tax_sale_order_line_rel, res_partner, "
            "res_users, product_product, product_template, res_currency_rate"
        )
        env.cr.commit()
        log(
            f"committed {counts['orders']:,} orders and {counts['lines']:,} lines "
            f"(ids from {counts['first_order_id']} / {counts['first_line_id']})"
        )
        print_counts(env.cr)
    if not args.no_vacuum:
        log("VACUUM ...")
        vacuum(args)
    log(f"done in {time.monotonic() - started:,.1f} s")


if __name__ == "__main__":
    main()
