# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Deterministic demo data generator for the Sales Performance addon.

The generator is called once from ``demo/salesperf_demo.xml``. It builds, only
through the ORM, a small but realistic sales organisation with 24 months of
history ending today, so that every KPI of the addon (revenue trend and
season, margins, multi-currency conversion, pipeline, win rate, sales cycle,
activities, data completeness) has something meaningful to show.
"""

import calendar
import logging
import math
import random
import time
from collections import defaultdict
from datetime import datetime, timedelta
from datetime import time as dt_time
from fractions import Fraction

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..engine.periods import period_containing, same_period_last_year
from ..engine.targets import split_amount

_logger = logging.getLogger(__name__)

# Fixed seed: the demo data must be identical on every installation (apart
# from the dates, which are relative to today).
DEMO_SEED = 20240518
DEMO_MONTHS = 24
# Revenue (company currency, list prices) of the first demo month, before season.
MONTHLY_REVENUE = 190000.0
LOGIN_PREFIX = "salesperf.demo."

# (first name, last name, team index, is team leader, relative strength)
DEMO_SALESPEOPLE = [
    ("Alice", "Martin", 0, True, 1.6),
    ("Bruno", "Keller", 1, True, 1.2),
    ("Chloe", "Dubois", 2, True, 1.4),
    ("David", "Okafor", 0, False, 1.9),
    ("Emma", "Larsen", 0, False, 1.0),
    ("Felix", "Novak", 0, False, 0.6),
    ("Grace", "Moreau", 1, False, 1.1),
    ("Hugo", "Santos", 1, False, 0.5),
    ("Iris", "Tanaka", 2, False, 0.9),
    ("Jonas", "Weber", 2, False, 0.7),
]

DEMO_TEAMS = ["Salesperf North", "Salesperf South", "Salesperf Key Accounts"]

# (name, city, country code)
DEMO_CUSTOMERS = [
    ("Apex Robotics", "Boston", "us"),
    ("Bluefin Logistics", "Rotterdam", "nl"),
    ("Cedar Health Group", "Toronto", "ca"),
    ("Delta Components", "Stuttgart", "de"),
    ("Everline Retail", "Lyon", "fr"),
    ("Fjord Energy", "Oslo", "no"),
    ("Granite Builders", "Denver", "us"),
    ("Harbor Foods", "Antwerp", "be"),
    ("Ionic Labs", "Cambridge", "gb"),
    ("Juniper Media", "Austin", "us"),
    ("Kestrel Aviation", "Seattle", "us"),
    ("Lumen Optics", "Eindhoven", "nl"),
    ("Meridian Bank", "Luxembourg", "lu"),
    ("Nimbus Cloudworks", "Dublin", "ie"),
    ("Orchid Pharma", "Basel", "ch"),
    ("Pioneer Farms", "Des Moines", "us"),
    ("Quartz Insurance", "Brussels", "be"),
    ("Riverside Hotels", "Barcelona", "es"),
    ("Summit Outdoor", "Calgary", "ca"),
    ("Tidewater Marine", "Hamburg", "de"),
    ("Umbra Security", "Milan", "it"),
    ("Vertex Automotive", "Detroit", "us"),
    ("Willow Education", "Manchester", "gb"),
    ("Xenon Chemicals", "Ludwigshafen", "de"),
    ("Yellowstone Outfitters", "Bozeman", "us"),
    ("Zephyr Telecom", "Paris", "fr"),
    ("Atlas Mining", "Perth", "au"),
    ("Beacon Legal", "Chicago", "us"),
    ("Cobalt Software", "Namur", "be"),
    ("Dune Solar", "Phoenix", "us"),
]
# Deliberate gaps for the data-completeness KPI (indexes in DEMO_CUSTOMERS).
CUSTOMERS_WITHOUT_EMAIL = {4, 11, 19, 26}
CUSTOMERS_WITHOUT_PHONE = {7, 15, 23}
CUSTOMERS_WITHOUT_COUNTRY = {9, 21, 28}

# category -> [(default code, name, type, list price, cost, (min qty, max qty))]
DEMO_PRODUCTS = {
    "Hardware": [
        ("SPD-HW-GW", "Edge Gateway", "consu", 1200.0, 780.0, (1, 8)),
        ("SPD-HW-SK", "Sensor Kit", "consu", 350.0, 190.0, (2, 15)),
        ("SPD-HW-TB", "Rugged Tablet", "consu", 900.0, 640.0, (1, 10)),
    ],
    "Software": [
        ("SPD-SW-AN", "Analytics Suite License", "service", 480.0, 60.0, (1, 25)),
        ("SPD-SW-CS", "Cloud Storage Plan", "service", 120.0, 35.0, (3, 30)),
    ],
    "Professional Services": [
        ("SPD-SV-WS", "Onboarding Workshop", "service", 1500.0, 900.0, (1, 2)),
        ("SPD-SV-CD", "Consulting Day", "service", 950.0, 600.0, (1, 10)),
        ("SPD-SV-SH", "Support Hours", "service", 110.0, 70.0, (5, 40)),
    ],
}

# Approximate value of one unit in USD, used to derive plausible exchange
# rates between the company currency and the second demo currency.
APPROX_USD_VALUE = {
    "USD": 1.0,
    "EUR": 1.08,
    "GBP": 1.27,
    "CHF": 1.12,
    "CAD": 0.74,
    "AUD": 0.66,
    "NZD": 0.61,
    "JPY": 0.0067,
    "INR": 0.012,
    "CNY": 0.14,
    "BRL": 0.19,
    "MXN": 0.055,
    "ZAR": 0.054,
    "SEK": 0.095,
    "NOK": 0.093,
    "DKK": 0.145,
    "PLN": 0.25,
}

ACTIVITY_TYPE_XMLIDS = [
    "mail.mail_activity_data_call",
    "mail.mail_activity_data_email",
    "mail.mail_activity_data_meeting",
    "mail.mail_activity_data_todo",
]


class SalesperfDemo(models.AbstractModel):
    _name = "salesperf.demo"
    _description = "Sales Performance Demo Data"

    # ------------------------------------------------------------
    # Entry point
    # ------------------------------------------------------------

    @api.model
    def _generate_demo_data(self):
        """Generate the complete demo data set (idempotent).

        Everything is derived from a ``random.Random`` with a fixed seed and
        from today's date, so two installations on the same day produce the
        same data, and the history always ends today.

        :return: True
        """
        first_login = LOGIN_PREFIX + DEMO_SALESPEOPLE[0][0].lower()
        if (
            self.env["res.users"]
            .with_context(active_test=False)
            .search_count([("login", "=", first_login)], limit=1)
        ):
            _logger.info("Sales Performance demo data already present, skipping.")
            return True

        start = time.monotonic()
        rng = random.Random(DEMO_SEED)
        today = fields.Date.today()
        # Quiet context: no tracking messages, no chatter logs, no invitation
        # e-mails, no automatic subscription of the (super)user creating data.
        demo = self.with_context(
            tracking_disable=True,
            mail_create_nolog=True,
            mail_create_nosubscribe=True,
            mail_notrack=True,
            no_reset_password=True,
            mail_activity_quick_update=True,
        )
        _logger.info("Sales Performance demo: generating data ending %s", today)

        users = demo._demo_create_users()
        teams = demo._demo_create_teams(users)
        customers = demo._demo_create_customers(users)
        products = demo._demo_create_products()
        main_pricelist, second_pricelist = demo._demo_setup_currencies(rng, today)
        demo._demo_create_orders(
            rng, today, users, customers, products, main_pricelist, second_pricelist
        )
        leads = demo._demo_create_leads(rng, today, users, customers)
        demo._demo_create_activities(rng, today, leads)
        demo._demo_create_targets(users, teams)
        demo._demo_create_commissions(users, products)

        _logger.info("Sales Performance demo: done in %.1f s", time.monotonic() - start)
        return True

    # ------------------------------------------------------------
    # Helpers: organisation
    # ------------------------------------------------------------

    @api.model
    def _demo_create_users(self):
        """Create the 10 demo salespeople.

        All get "User: Own Documents Only"; team leaders additionally get
        "User: All Documents". Each logs in with its login as password.

        :return: list of ``(user, spec)`` where ``spec`` is the matching entry
            of ``DEMO_SALESPEOPLE``, in the same order
        """
        group_user = self.env.ref("base.group_user")
        group_own = self.env.ref("sales_team.group_sale_salesman")
        group_all = self.env.ref("sales_team.group_sale_salesman_all_leads")
        company = self.env.company
        vals_list = []
        for first, last, _team, is_leader, _strength in DEMO_SALESPEOPLE:
            groups = group_user | group_own | (group_all if is_leader else group_own)
            login = LOGIN_PREFIX + first.lower()
            vals_list.append(
                {
                    "name": f"{first} {last}",
                    "login": login,
                    "email": f"{login}@example.com",
                    # demo users log in with their login as password, like Odoo's "demo"
                    "password": login,
                    "company_id": company.id,
                    "company_ids": [Command.set(company.ids)],
                    "groups_id": [Command.set(groups.ids)],
                }
            )
        users = self.env["res.users"].create(vals_list)
        _logger.info("Sales Performance demo: %s salespeople created", len(users))
        return list(zip(users, DEMO_SALESPEOPLE, strict=True))

    @api.model
    def _demo_create_teams(self, users):
        """Create the 3 sales teams; each salesperson belongs to exactly one.

        Memberships are created through ``member_ids`` (inverse creating the
        ``crm.team.member`` records), which also sets ``sale_team_id``.

        :param users: result of :meth:`_demo_create_users`
        :return: ``crm.team`` recordset, in ``DEMO_TEAMS`` order
        """
        vals_list = []
        for index, name in enumerate(DEMO_TEAMS):
            members = self.env["res.users"].browse(
                [user.id for user, spec in users if spec[2] == index]
            )
            leader = next(user for user, spec in users if spec[2] == index and spec[3])
            vals_list.append(
                {
                    "name": name,
                    "user_id": leader.id,
                    "company_id": self.env.company.id,
                    "use_leads": True,
                    "use_opportunities": True,
                    "member_ids": [Command.set(members.ids)],
                }
            )
        teams = self.env["crm.team"].create(vals_list)
        _logger.info("Sales Performance demo: %s sales teams created", len(teams))
        return teams

    @api.model
    def _demo_create_customers(self, users):
        """Create ~30 customer companies, 3 per salesperson.

        Some customers deliberately lack an e-mail, a phone or a country.

        :param users: result of :meth:`_demo_create_users`
        :return: ``res.partner`` recordset, in ``DEMO_CUSTOMERS`` order
        """
        countries = {
            country.code.lower(): country
            for country in self.env["res.country"].search(
                [("code", "in", [spec[2].upper() for spec in DEMO_CUSTOMERS])]
            )
        }
        vals_list = []
        for index, (name, city, country_code) in enumerate(DEMO_CUSTOMERS):
            user = users[index % len(users)][0]
            slug = name.lower().replace(" ", "")
            country = countries.get(country_code, self.env["res.country"])
            vals_list.append(
                {
                    "name": name,
                    "is_company": True,
                    "customer_rank": 1,
                    "city": city,
                    "street": f"{10 + index * 7} Demo Street",
                    "email": False
                    if index in CUSTOMERS_WITHOUT_EMAIL
                    else f"info@{slug}.example.com",
                    "phone": False if index in CUSTOMERS_WITHOUT_PHONE else f"+1 555 01{index:02d}",
                    "country_id": False if index in CUSTOMERS_WITHOUT_COUNTRY else country.id,
                    "user_id": user.id,
                }
            )
        customers = self.env["res.partner"].create(vals_list)
        _logger.info("Sales Performance demo: %s customers created", len(customers))
        return customers

    @api.model
    def _demo_create_products(self):
        """Create the demo product categories and products.

        :return: list of ``(product, (min qty, max qty))``
        """
        parent = self.env.ref("product.product_category_all", raise_if_not_found=False)
        result = []
        for categ_name, specs in DEMO_PRODUCTS.items():
            category = self.env["product.category"].create(
                {
                    "name": categ_name,
                    "parent_id": parent.id if parent else False,
                }
            )
            products = self.env["product.product"].create(
                [
                    {
                        "name": name,
                        "default_code": code,
                        "type": ptype,
                        "categ_id": category.id,
                        "list_price": price,
                        "standard_price": cost,
                        "sale_ok": True,
                    }
                    for code, name, ptype, price, cost, _qty in specs
                ]
            )
            result += list(zip(products, [spec[5] for spec in specs], strict=True))
        _logger.info("Sales Performance demo: %s products created", len(result))
        return result

    # ------------------------------------------------------------
    # Helpers: currencies
    # ------------------------------------------------------------

    @api.model
    def _demo_second_currency(self):
        """Return the second demo currency: EUR, or USD if the company is in EUR."""
        code = "USD" if self.env.company.currency_id.name == "EUR" else "EUR"
        return (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", code)], limit=1)
        )

    @api.model
    def _demo_setup_currencies(self, rng, today):
        """Activate the second currency, give it 24 monthly rates and create
        one pricelist per currency.

        :return: tuple ``(company currency pricelist, second currency pricelist)``
        """
        company = self.env.company
        company_currency = company.currency_id
        currency = self._demo_second_currency()
        currency.active = True

        # Rate = units of the second currency for one unit of company currency.
        if company_currency.name in APPROX_USD_VALUE and currency.name in APPROX_USD_VALUE:
            base_rate = APPROX_USD_VALUE[company_currency.name] / APPROX_USD_VALUE[currency.name]
        else:
            base_rate = self.env["res.currency"]._get_conversion_rate(
                company_currency, currency, company, today
            )
        # rates live on the root company (what _get_conversion_rate reads)
        rate_company = company.root_id
        dates = self._demo_month_starts(today)
        existing = set(
            self.env["res.currency.rate"]
            .search(
                [
                    ("currency_id", "=", currency.id),
                    ("company_id", "=", rate_company.id),
                    ("name", "in", dates),
                ]
            )
            .mapped("name")
        )
        rate_vals = []
        for index, rate_date in enumerate(dates):
            # slow wave (+-4 %) plus a little deterministic noise
            factor = 1 + 0.04 * math.sin(2 * math.pi * index / 14) + rng.uniform(-0.01, 0.01)
            if rate_date not in existing:
                rate_vals.append(
                    {
                        "name": rate_date,
                        "rate": round(base_rate * factor, 6),
                        "currency_id": currency.id,
                        "company_id": rate_company.id,
                    }
                )
        self.env["res.currency.rate"].create(rate_vals)

        Pricelist = self.env["product.pricelist"]
        # High sequence: these pricelists must never become the default ones.
        main_pricelist = Pricelist.create(
            {
                "name": f"Sales Performance Demo ({company_currency.name})",
                "currency_id": company_currency.id,
                "company_id": company.id,
                "sequence": 1000,
            }
        )
        second_pricelist = Pricelist.create(
            {
                "name": f"Sales Performance Demo ({currency.name})",
                "currency_id": currency.id,
                "company_id": company.id,
                "sequence": 1001,
            }
        )
        _logger.info(
            "Sales Performance demo: currency %s activated, %s monthly rates created",
            currency.name,
            len(rate_vals),
        )
        return main_pricelist, second_pricelist

    # ------------------------------------------------------------
    # Helpers: sale orders
    # ------------------------------------------------------------

    @api.model
    def _demo_month_starts(self, today):
        """Return the first day of each of the 24 demo months, oldest first."""
        first_month = today.replace(day=1) - relativedelta(months=DEMO_MONTHS - 1)
        return [first_month + relativedelta(months=i) for i in range(DEMO_MONTHS)]

    @api.model
    def _demo_season_factor(self, month):
        """Yearly season: peak in Q4 (Nov/Dec), trough mid-year (May/June)."""
        return 1 + 0.15 * math.cos(2 * math.pi * (month - 11.5) / 12)

    @api.model
    def _demo_order_datetime(self, rng, day, now):
        """Return a deterministic working-hours datetime on ``day``, not after now."""
        value = datetime.combine(day, dt_time(8 + rng.randint(0, 9), 5 * rng.randint(0, 11)))
        return min(value, now)

    @api.model
    def _demo_order_vals(
        self, rng, date_order, user, team, customer, pricelist, products, qty_factor
    ):
        """Build the values of one sale order with 1 to 3 lines."""
        lines = []
        for product, (min_qty, max_qty) in rng.sample(products, rng.choice([1, 1, 2, 2, 3])):
            qty = max(1, round(rng.randint(min_qty, max_qty) * qty_factor))
            lines.append(
                Command.create(
                    {
                        "product_id": product.id,
                        "product_uom_qty": qty,
                        "discount": rng.choice([0, 0, 0, 0, 5, 10]),
                    }
                )
            )
        return {
            "partner_id": customer.id,
            "user_id": user.id,
            "team_id": team.id,
            "pricelist_id": pricelist.id,
            "date_order": date_order,
            "order_line": lines,
        }

    @api.model
    def _demo_scale_quantities(self, vals_list, target):
        """Scale the line quantities of ``vals_list`` in place so that their
        total at list price (company currency, after discount) approaches
        ``target``.
        """
        Product = self.env["product.product"]
        lines = [command[2] for vals in vals_list for command in vals["order_line"]]
        total = sum(
            Product.browse(line["product_id"]).list_price
            * line["product_uom_qty"]
            * (1 - line["discount"] / 100)
            for line in lines
        )
        factor = target / total if total else 1.0
        for line in lines:
            line["product_uom_qty"] = max(1, round(line["product_uom_qty"] * factor))

    @api.model
    def _demo_create_orders(
        self, rng, today, users, customers, products, main_pricelist, second_pricelist
    ):
        """Create 24 months of confirmed orders plus a few quotations and
        cancelled orders.

        Revenue grows by ~1.5 %/month with a yearly season: the number of
        orders follows half of the trend plus the season, and the quantities
        of each month are then scaled so that the month reaches its revenue
        target (+-4 % noise), which keeps the signal readable despite the wide
        range of order sizes. Salespeople are weighted by their strength.
        About 15 % of the orders use the second currency.
        Orders are created per month, confirmed in batches, and their
        ``date_order`` (overwritten by ``action_confirm``) is then restored
        with one write per distinct datetime.
        """
        SaleOrder = self.env["sale.order"]
        now = fields.Datetime.now()
        weights = [spec[4] for _user, spec in users]
        customers_by_user = defaultdict(list)
        for customer in customers:
            customers_by_user[customer.user_id].append(customer)

        def order_vals(day, qty_factor):
            """Values of one order on ``day``: salesperson by strength, one of
            their customers, the second currency for about 15 % of orders."""
            user = rng.choices(users, weights=weights)[0][0]
            customer = rng.choice(customers_by_user[user])
            pricelist = second_pricelist if rng.random() < 0.15 else main_pricelist
            date_order = self._demo_order_datetime(rng, day, now)
            return self._demo_order_vals(
                rng, date_order, user, user.sale_team_id, customer, pricelist, products, qty_factor
            )

        orders = SaleOrder
        dates_by_order = {}
        for index, month_start in enumerate(self._demo_month_starts(today)):
            last_day = calendar.monthrange(month_start.year, month_start.month)[1]
            days = [month_start.replace(day=d) for d in range(1, last_day + 1)]
            business_days = [d for d in days if d.weekday() < 5 and d <= today] or [today]
            elapsed = min(1.0, (today - month_start).days / last_day + 1 / last_day)
            trend = 1.0075**index
            count = 27 * trend * self._demo_season_factor(month_start.month) + rng.uniform(-2, 2)
            count = max(1, round(count * elapsed))
            vals_list = []
            for _i in range(count):
                vals_list.append(order_vals(rng.choice(business_days), trend))
            target = (
                MONTHLY_REVENUE
                * 1.015**index
                * self._demo_season_factor(month_start.month)
                * rng.uniform(0.96, 1.04)
                * elapsed
            )
            self._demo_scale_quantities(vals_list, target)
            month_orders = SaleOrder.create(vals_list)
            for order, vals in zip(month_orders, vals_list, strict=True):
                dates_by_order[order.id] = vals["date_order"]
            orders |= month_orders

        _logger.info("Sales Performance demo: %s orders created, confirming", len(orders))
        for batch_start in range(0, len(orders), 100):
            orders[batch_start : batch_start + 100].action_confirm()
        _logger.info("Sales Performance demo: orders confirmed, restoring order dates")

        orders_by_date = defaultdict(list)
        for order_id, date_order in dates_by_order.items():
            orders_by_date[date_order].append(order_id)
        for date_order, order_ids in orders_by_date.items():
            SaleOrder.browse(order_ids).write({"date_order": date_order})

        # A few open quotations (recent) and cancelled ones (spread).
        quotation_vals, cancel_vals = [], []
        for _i in range(8):
            day = today - timedelta(days=rng.randint(0, 30))
            quotation_vals.append(order_vals(day, 1.15))
        for _i in range(6):
            day = today - timedelta(days=rng.randint(15, DEMO_MONTHS * 30))
            cancel_vals.append(order_vals(day, 1.0))
        SaleOrder.create(quotation_vals)
        SaleOrder.create(cancel_vals).with_context(disable_cancel_warning=True).action_cancel()
        _logger.info(
            "Sales Performance demo: %s confirmed orders dated, %s quotations, %s cancelled",
            len(orders),
            len(quotation_vals),
            len(cancel_vals),
        )
        return orders

    # ------------------------------------------------------------
    # Helpers: CRM
    # ------------------------------------------------------------

    @api.model
    def _demo_lost_reasons(self):
        """Return the lost reasons to use, creating them if none exist."""
        reasons = self.env["crm.lost.reason"].search([], limit=5)
        if not reasons:
            reasons = self.env["crm.lost.reason"].create(
                [
                    {"name": "Too expensive"},
                    {"name": "Chose a competitor"},
                    {"name": "No budget"},
                ]
            )
        return reasons

    @api.model
    def _demo_create_leads(self, rng, today, users, customers):
        """Create ~120 leads and opportunities.

        * 12 unqualified leads and 38 open opportunities in the non-won
          stages, with expected revenue, probability and a deadline from one
          month overdue to five months ahead;
        * ~70 closed opportunities, won (``action_set_won``) or lost
          (``action_set_lost``) over the last 24 months, stronger salespeople
          winning more often and faster.

        ``date_closed`` is backdated with an ORM write. ``create_date`` cannot
        be written through the ORM, so it is set with one parameterised
        ``UPDATE``; the cache is then invalidated and the stored compute
        ``day_close`` recomputed for those leads.

        :return: ``crm.lead`` recordset of all demo leads
        """
        Lead = self.env["crm.lead"]
        now = fields.Datetime.now()
        stages = self.env["crm.stage"].search([("is_won", "=", False)], order="sequence, id")
        reasons = self._demo_lost_reasons()
        weights = [spec[4] for _user, spec in users]
        customers_by_user = defaultdict(list)
        for customer in customers:
            customers_by_user[customer.user_id].append(customer)
        topics = [
            "Fleet rollout",
            "Pilot project",
            "Renewal",
            "Expansion",
            "Upgrade",
            "New site",
            "Training programme",
            "Support contract",
            "Migration",
        ]

        vals_list, create_dates, outcomes, closed_dates = [], [], [], []
        for index in range(120):
            user, spec = rng.choices(users, weights=weights)[0]
            strength = spec[4]
            customer = rng.choice(customers_by_user[user])
            revenue = round(rng.uniform(2000, 60000) * (0.7 + 0.3 * strength), -2)
            vals = {
                "name": f"{customer.name}: {rng.choice(topics)}",
                "partner_id": customer.id,
                "user_id": user.id,
                "team_id": user.sale_team_id.id,
                "expected_revenue": revenue,
            }
            if index < 50:
                # open: 12 unqualified leads, then opportunities in stages
                created = now - timedelta(days=rng.randint(3, 150), hours=rng.randint(0, 8))
                if index < 12:
                    vals.update({"type": "lead", "probability": rng.choice([5, 10, 15])})
                else:
                    stage_index = rng.randrange(len(stages))
                    probability = 10 + 70 * stage_index / max(1, len(stages) - 1)
                    vals.update(
                        {
                            "type": "opportunity",
                            "stage_id": stages[stage_index].id,
                            "probability": round(probability + rng.uniform(-5, 5), 1),
                        }
                    )
                vals["date_deadline"] = today + timedelta(days=rng.randint(-30, 150))
                outcome, closed = "open", False
            else:
                closed = now - timedelta(
                    days=rng.randint(1, DEMO_MONTHS * 30 - 5), hours=rng.randint(0, 8)
                )
                cycle = rng.randint(10, 60) + round(rng.randint(0, 90) / strength)
                created = closed - timedelta(days=cycle, hours=rng.randint(0, 5))
                win_rate = min(0.8, 0.3 + 0.25 * strength)
                outcome = "won" if rng.random() < win_rate else "lost"
                vals.update(
                    {
                        "type": "opportunity",
                        "stage_id": stages[rng.randrange(len(stages))].id,
                        "probability": 50,
                        "date_deadline": (closed + timedelta(days=rng.randint(-20, 20))).date(),
                    }
                )
            vals.update({"date_open": created, "date_last_stage_update": closed or created})
            vals_list.append(vals)
            create_dates.append(created)
            outcomes.append(outcome)
            closed_dates.append(closed)

        leads = Lead.create(vals_list)
        won = Lead.browse([lead.id for lead, o in zip(leads, outcomes, strict=True) if o == "won"])
        won.action_set_won()
        lost_by_reason = defaultdict(list)
        for lead, outcome in zip(leads, outcomes, strict=True):
            if outcome == "lost":
                lost_by_reason[rng.choice(reasons)].append(lead.id)
        for reason, lead_ids in lost_by_reason.items():
            Lead.browse(lead_ids).action_set_lost(lost_reason_id=reason.id)
        # action_set_won/lost set date_closed to now: backdate it
        for lead, closed in zip(leads, closed_dates, strict=True):
            if closed:
                lead.write({"date_closed": closed, "date_last_stage_update": closed})

        # create_date is a magic field the ORM does not let us write.
        self.env.cr.execute(
            """
            UPDATE crm_lead AS lead
               SET create_date = data.create_date
              FROM (SELECT UNNEST(%s::int[]) AS id,
                           UNNEST(%s::timestamp[]) AS create_date) AS data
             WHERE lead.id = data.id
            """,
            [leads.ids, create_dates],
        )
        leads.invalidate_recordset(["create_date"])
        self.env.add_to_compute(Lead._fields["day_close"], leads)
        leads.flush_recordset(["day_close"])
        _logger.info(
            "Sales Performance demo: %s leads created (%s won, %s lost)",
            len(leads),
            len(won),
            sum(len(ids) for ids in lost_by_reason.values()),
        )
        return leads

    # ------------------------------------------------------------
    # Helpers: activities
    # ------------------------------------------------------------

    @api.model
    def _demo_create_activities(self, rng, today, leads):
        """Create open activities and activities marked done in the past.

        Done activities are marked done by their salesperson (``with_user``)
        through ``action_feedback``; the resulting messages (which carry
        ``mail_activity_type_id``) are then backdated to the done date.
        """
        Activity = self.env["mail.activity"]
        model_id = self.env["ir.model"]._get_id("crm.lead")
        activity_types = [
            activity_type
            for activity_type in (
                self.env.ref(xmlid, raise_if_not_found=False) for xmlid in ACTIVITY_TYPE_XMLIDS
            )
            if activity_type
        ]
        summaries = [
            "Discovery call",
            "Send proposal",
            "Product demo",
            "Follow-up",
            "Negotiation",
            "Check budget",
        ]
        now = fields.Datetime.now()
        open_opportunities = leads.filtered(lambda lead: lead.active and lead.probability < 100)

        # open activities: some overdue, some due today, most in the future
        open_vals = [
            {
                "res_model_id": model_id,
                "res_id": lead.id,
                "activity_type_id": rng.choice(activity_types).id,
                "summary": rng.choice(summaries),
                "user_id": lead.user_id.id,
                "date_deadline": today + timedelta(days=rng.randint(-10, 21)),
            }
            for lead in open_opportunities[:35]
        ]
        Activity.create(open_vals)

        # done activities, between lead creation and closing (or now): one or
        # two per closed opportunity (spread over the 24 months), one for
        # about half of the open ones. Second activities of a lead go last,
        # in a separate create (see below).
        planned, planned_again = [], []
        for lead in leads:
            if lead.date_closed:
                planned.append(lead)
                if rng.random() < 0.6:
                    planned_again.append(lead)
            elif rng.random() < 0.5:
                planned.append(lead)
        done_vals, done_dates = [], []
        for lead in planned + planned_again:
            start = lead.create_date
            end = min(lead.date_closed or now, now)
            span = max(1, int((end - start).total_seconds() // 3600))
            done = start + timedelta(hours=rng.randint(1, span))
            done_vals.append(
                {
                    "res_model_id": model_id,
                    "res_id": lead.id,
                    "activity_type_id": rng.choice(activity_types).id,
                    "summary": rng.choice(summaries),
                    "user_id": lead.user_id.id,
                    "date_deadline": done.date(),
                }
            )
            done_dates.append(done)
        # mail.activity.create() subscribes the assignee to browse(res_ids),
        # which fails on a duplicated follower when one batch holds two
        # activities for the same record not yet followed: one create per round.
        activities = Activity.create(done_vals[: len(planned)])
        activities += Activity.create(done_vals[len(planned) :])
        messages_by_date = defaultdict(list)
        for activity, done in zip(activities, done_dates, strict=True):
            message_id = activity.with_user(activity.user_id).action_feedback(
                feedback="Done (demo)."
            )
            if message_id:
                messages_by_date[done].append(message_id)
        for done, message_ids in messages_by_date.items():
            self.env["mail.message"].browse(message_ids).write({"date": done})
        _logger.info(
            "Sales Performance demo: %s open and %s done activities created",
            len(open_vals),
            len(done_vals),
        )
        return activities

    # ------------------------------------------------------------
    # Helpers: targets
    # ------------------------------------------------------------

    @api.model
    def _demo_create_targets(self, users, teams):
        """Revenue targets of the current year at every level, set top-down
        as a sales director would, so that a first look shows goals in the
        pipeline, on the team cards and in the analyses:

        - the company's year target: last year's revenue + 12 %, rounded to
          the thousand, split over the months by last year's seasonality and
          over the teams by their share of last year;
        - each team's year target split over its months and its salespeople
          the same way, and each salesperson's year over the months by the
          team's season;
        - each salesperson's orders target for the current month and won value
          target for the current quarter, on last year's same period + 10 %;
        - a company margin target for the year, still in draft (not yet
          agreed).

        Every split sums exactly to its parent (``split_amount``); a month or
        a person without history gets an equal share, the others share the
        rest by their history.
        """
        Target = self.env["salesperf.target"]
        company = self.env.company
        rounding = company.currency_id.rounding
        today = company._salesperf_today()
        year = period_containing("year", today)
        months = [
            period_containing("month", year.start + relativedelta(months=index))
            for index in range(12)
        ]
        # last year's revenue per entity and month, at each level
        history = {level: defaultdict(lambda: [0.0] * 12) for level in ("company", "team", "user")}
        kpi = self.env["salesperf.kpi"]
        for index, month in enumerate(months):
            last_year = same_period_last_year(month)
            for level, per_entity in history.items():
                measures = kpi._compute_measures(last_year, level, company, measures={"revenue"})
                for (entity_id, _company_id), values in measures.items():
                    per_entity[entity_id][index] += values["revenue"]

        def weights(values):
            """Shares by history; a child without history (a new salesperson,
            a month without sales) gets an equal share, 1 / n, never 0."""
            count = len(values)
            total = sum(value for value in values if value > 0)
            if not total:
                return [Fraction(1, count)] * count
            with_history = sum(1 for value in values if value > 0)
            return [
                Fraction(str(value)) / Fraction(str(total)) * Fraction(with_history, count)
                if value > 0
                else Fraction(1, count)
                for value in values
            ]

        def vals(level, owner, amount, period, parent=None, metric="revenue", state="confirmed"):
            return {
                "scope": level,
                "company_id": company.id,
                "team_id": owner.id if level == "team" else False,
                "user_id": owner.id if level == "user" else False,
                "metric": metric,
                "period_kind": period.kind,
                "date_from": period.start,
                "amount": amount,
                "parent_id": parent.id if parent else False,
                "state": state,
            }

        def split_months(parent, level, owner, monthly):
            amounts = split_amount(parent.amount, weights(monthly), rounding)
            return [
                vals(level, owner, amount, month, parent)
                for amount, month in zip(amounts, months, strict=True)
            ]

        company_history = history["company"][company.id]
        last_year_total = sum(company_history)
        year_amount = (
            max(round(last_year_total * 1.12, -3), 1000.0) if last_year_total > 0 else 1_000_000.0
        )
        company_year = Target.create(vals("company", company, year_amount, year))
        team_amounts = split_amount(
            year_amount, weights([sum(history["team"][team.id]) for team in teams]), rounding
        )
        children = split_months(company_year, "company", company, company_history)
        children += [
            vals("team", team, amount, year, company_year)
            for team, amount in zip(teams, team_amounts, strict=True)
        ]
        created = Target.create(children)
        team_years = created.filtered(lambda target: target.scope == "team")

        children = []
        for team_year in team_years:
            team = team_year.team_id
            children += split_months(team_year, "team", team, history["team"][team.id])
            members = team.member_ids.sorted("id")
            amounts = split_amount(
                team_year.amount,
                weights([sum(history["user"][member.id]) for member in members]),
                rounding,
            )
            children += [
                vals("user", member, amount, year, team_year)
                for member, amount in zip(members, amounts, strict=True)
            ]
        created = Target.create(children)
        person_years = created.filtered(lambda target: target.scope == "user")
        # a salesperson's months follow the team's season: one person's
        # month-by-month history is too thin to weigh a month on
        Target.create(
            [
                monthly
                for person_year in person_years
                for monthly in split_months(
                    person_year,
                    "user",
                    person_year.user_id,
                    history["team"][person_year.parent_id.team_id.id],
                )
            ]
        )

        # a few other goals for the cards: orders this month, won value this quarter
        month = period_containing("month", today)
        quarter = period_containing("quarter", today)
        people = self.env["res.users"].browse([user.id for user, _spec in users])
        orders = kpi._compute_measures(
            same_period_last_year(month), "user", company, measures={"orders"}
        )
        won = kpi._compute_measures(
            same_period_last_year(quarter), "user", company, measures={"won_value"}
        )
        others = []
        for person in people:
            last_orders = orders.get((person.id, company.id), {}).get("orders", 0)
            last_won = won.get((person.id, company.id), {}).get("won_value", 0.0)
            others.append(
                vals("user", person, max(round(last_orders * 1.1), 2), month, None, "orders")
            )
            others.append(
                vals(
                    "user",
                    person,
                    max(round(last_won * 1.1, -2), 1000.0),
                    quarter,
                    None,
                    "won_value",
                )
            )
        margin = kpi._compute_measures(
            same_period_last_year(year), "company", company, measures={"margin"}
        )
        last_margin = margin.get((company.id, company.id), {}).get("margin", 0.0)
        others.append(
            vals(
                "company",
                company,
                round(last_margin * 1.1, -3) or 100_000.0,
                year,
                None,
                "margin",
                "draft",
            )
        )
        Target.create(others)
        _logger.info(
            "Sales Performance demo: %s targets created",
            Target.search_count([("company_id", "=", company.id)]),
        )

    # ------------------------------------------------------------
    # Helpers: commissions
    # ------------------------------------------------------------

    @api.model
    def _demo_create_commissions(self, users, products):
        """A commission plan in use and one to try, and three months of
        statements at every step of their life:

        - "Field Sales": monthly, on sales ordered, graduated tiers on the
          month's revenue (3 % up to 20,000, 5 % up to 60,000, 8 % above),
          × 1.5 above 100 % of the target, services at 6 %, a 100 bonus per
          new customer and 250 when the target is reached, capped at 15,000;
          team leaders earn 0.5 % on their team's sales;
        - "Cash Collected" (draft): 4 % of what customers paid, to compare
          with the plan in use in the What-if;
        - statements of the month before last paid, of last month approved by
          the manager with one line disputed, of this month in draft.
        """
        company = self.env.company
        people = self.env["res.users"].browse([user.id for user, _spec in users])
        services = self.env["product.category"].search(
            [("name", "=", "Professional Services")], limit=1
        )
        today = company._salesperf_today()
        start = (today.replace(day=1) - relativedelta(years=1)).replace(month=1)
        Plan = self.env["salesperf.commission.plan"]
        field_sales = Plan.create(
            {
                "name": "Field Sales",
                "company_id": company.id,
                "period_kind": "month",
                "basis": "ordered",
                "measure": "revenue",
                "tier_basis": "amount",
                "tier_mode": "graduated",
                "tier_ids": [
                    Command.create({"lower": 0, "upper": 20_000, "rate": 3}),
                    Command.create({"lower": 20_000, "upper": 60_000, "rate": 5}),
                    Command.create({"lower": 60_000, "is_open": True, "rate": 8}),
                ],
                "accelerator": 1.5,
                "cap": 15_000,
                "manager_rate": 0.5,
                "rate_ids": [
                    Command.create({"kind": "category", "categ_id": services.id, "rate": 6})
                ]
                if services
                else [],
                "bonus_ids": [
                    Command.create(
                        {"name": "New customer", "condition": "new_customer", "amount": 100}
                    ),
                    Command.create(
                        {"name": "Target reached", "condition": "target_reached", "amount": 250}
                    ),
                ],
                "assignment_ids": [
                    Command.create({"user_id": person.id, "date_from": start}) for person in people
                ],
            }
        )
        field_sales.action_activate()
        Plan.create(
            {
                "name": "Cash Collected",
                "company_id": company.id,
                "period_kind": "month",
                "basis": "collected",
                "measure": "revenue",
                "rate": 4,
            }
        )
        Statement = self.env["salesperf.commission.statement"]
        month = today.replace(day=1)
        before_last, last = month - relativedelta(months=2), month - relativedelta(months=1)
        for day in (before_last, last, month):
            Statement._compute_period(company, day)
        statements = Statement.search([("company_id", "=", company.id)])
        paid = statements.filtered(lambda s: s.date_from == before_last)
        paid.action_confirm()
        paid.action_approve_manager()
        paid.action_approve()
        paid.action_mark_paid()
        approved = statements.filtered(lambda s: s.date_from == last)
        approved.action_confirm()
        approved.action_approve_manager()
        disputed = approved.filtered("line_ids")[:1]
        if disputed:
            self.env["salesperf.commission.dispute"].with_user(disputed.user_id).create(
                {
                    "line_id": disputed.line_ids[0].id,
                    "reason": "This order was shared with a colleague: "
                    "I was told I would get half of it, not all of it.",
                }
            )
        _logger.info("Sales Performance demo: %s commission statements", len(statements))

    # ------------------------------------------------------------
    # Helpers: scorecards
    # ------------------------------------------------------------

    @api.model
    def _demo_compute_scorecards(self):
        """The scorecards of the last two closed months, as the scheduled
        action computes them (who has no target is left out), and one of
        the month before last closed by its team leader with a comment, so
        the scorecard list, form, pivot and history have something to show.

        The demo targets cover the current year: a month of last year (the
        demo installed in January or February) gets each demo salesperson a
        revenue target on that month of the year before + 12 %, as the year
        targets are set. Idempotent: a month already scored is computed
        again (drafts only), the closed scorecard is kept.
        """
        company = self.env.company
        people = self.env["res.users"].search([("login", "=like", LOGIN_PREFIX + "%")])
        if not people or not self.env["salesperf.scorecard"]._templates(company):
            return True
        month_start = company._salesperf_today().replace(day=1)
        months = [
            period_containing("month", month_start - relativedelta(months=count))
            for count in (2, 1)
        ]
        # sudo: demo data, scored as the scheduler does (every salesperson)
        Scorecard = self.env["salesperf.scorecard"].sudo()
        for month in months:
            self._demo_scorecard_targets(company, month, people)
            try:
                with self.env.cr.savepoint():
                    result = Scorecard._compute_scorecards(company, month, skip_unscorable=True)
            except UserError as error:
                _logger.warning("Sales Performance demo: no scorecards for %s: %s", month, error)
                continue
            _logger.info(
                "Sales Performance demo: %s scorecards of %s, %s skipped",
                result["written"],
                month.start,
                len(result["skipped"]),
            )
        self._demo_close_scorecard(company, months[0], people)
        return True

    @api.model
    def _demo_scorecard_targets(self, company, month, people):
        """Confirmed revenue targets of ``month`` for the demo salespeople
        who have none: that month of the year before + 12 %, rounded to the
        hundred (1,000 at least)."""
        Target = self.env["salesperf.target"]
        domain = [
            ("scope", "=", "user"),
            ("metric", "=", "revenue"),
            ("state", "=", "confirmed"),
            ("company_id", "=", company.id),
            ("period_kind", "=", "month"),
            ("date_from", "=", month.start),
            ("user_id", "in", people.ids),
        ]
        with_target = {user for [user] in Target._read_group(domain, ["user_id"])}
        lacking = people.filtered(lambda person: person not in with_target)
        if not lacking:
            return
        last_year = self.env["salesperf.kpi"]._compute_measures(
            same_period_last_year(month), "user", company, measures={"revenue"}
        )
        Target.create(
            [
                {
                    "scope": "user",
                    "company_id": company.id,
                    "user_id": person.id,
                    "metric": "revenue",
                    "period_kind": "month",
                    "date_from": month.start,
                    "amount": max(
                        round(
                            last_year.get((person.id, company.id), {}).get("revenue", 0.0) * 1.12,
                            -2,
                        ),
                        1000.0,
                    ),
                    "state": "confirmed",
                }
                for person in lacking
            ]
        )

    @api.model
    def _demo_close_scorecard(self, company, month, people):
        """The month's scorecard of the first team's best seller (David),
        closed by the team's leader with a comment."""
        cards = self.env["salesperf.scorecard"].search(
            [
                ("company_id", "=", company.id),
                ("period_kind", "=", "month"),
                ("date_start", "=", month.start),
                ("user_id", "in", people.ids),
            ]
        )
        if not cards or cards.filtered(lambda card: card.state == "locked"):
            return
        david = people.filtered(lambda person: person.login == LOGIN_PREFIX + "david")
        card = cards.filtered(lambda card: card.user_id == david)[:1] or cards[:1]
        leader = card.team_id.user_id
        if not leader or leader == card.user_id:
            return
        card = card.with_user(leader)
        card.manager_comment = (
            "A strong month on revenue. Keep the new accounts coming: book a prospecting "
            "session every week, and log your calls and meetings so that they count."
        )
        card.action_lock()
