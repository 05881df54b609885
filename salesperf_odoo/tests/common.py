# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import json
from datetime import date, datetime
from unittest.mock import patch

from odoo import Command
from odoo.tests import HttpCase, TransactionCase, new_test_user
from odoo.tests import common as odoo_test_common


class SalesperfRpcCase(HttpCase):
    """Calls the server as the web client does, over JSON-RPC."""

    def _call(self, model, method, args, kwargs=None):
        """The JSON-RPC answer's result, or its error's ``(class, message)``."""
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": 1,
                    "params": {
                        "model": model,
                        "method": method,
                        "args": args,
                        "kwargs": kwargs or {},
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        ).json()
        if "error" in response:
            return response["error"]["data"]["name"], response["error"]["data"]["message"]
        return response["result"]


class SalesperfTourCase(HttpCase):
    """A browser test whose Chrome gets 30 s to start instead of Odoo's 10 s.

    On a busy two-core machine Chrome sometimes starts more slowly than
    that, and Odoo then *skips* the tour: a test that did not run would be
    counted as skipped instead of being run. Only the wait changes.
    """

    def browser_js(self, *args, **kwargs):
        with patch.object(odoo_test_common, "CHECK_BROWSER_ITERATIONS", 300):
            return super().browser_js(*args, **kwargs)


class SalesperfCommon(TransactionCase):
    """A company of its own, with its own currencies, so that no demo data
    or other company's data can leak into the figures under test.

    - Company currency XSA has no rate (1.0); XSB is worth 1/2 XSA from
      2025-01-01 and 1/4 XSA from 2025-03-01 (rates 2.0 and 4.0).
    - Team North: Sonia and Sam; team South: Tom. Lena sees all documents.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.currency_xsa = cls.env["res.currency"].create(
            {"name": "XSA", "symbol": "§", "rounding": 0.01, "active": True}
        )
        cls.currency_xsb = cls.env["res.currency"].create(
            {"name": "XSB", "symbol": "¤", "rounding": 0.01, "active": True}
        )
        cls.company = cls.env["res.company"].create(
            {"name": "Salesperf Test Company", "currency_id": cls.currency_xsa.id}
        )
        cls.company.partner_id.tz = "UTC"
        cls.env["res.currency.rate"].create(
            [
                {
                    "name": "2025-01-01",
                    "rate": 2.0,
                    "currency_id": cls.currency_xsb.id,
                    "company_id": cls.company.id,
                },
                {
                    "name": "2025-03-01",
                    "rate": 4.0,
                    "currency_id": cls.currency_xsb.id,
                    "company_id": cls.company.id,
                },
            ]
        )
        cls.pricelist_xsa = cls.env["product.pricelist"].create(
            {"name": "XSA", "currency_id": cls.currency_xsa.id, "company_id": cls.company.id}
        )
        cls.pricelist_xsb = cls.env["product.pricelist"].create(
            {"name": "XSB", "currency_id": cls.currency_xsb.id, "company_id": cls.company.id}
        )

        def salesperson(login, groups="sales_team.group_sale_salesman"):
            return new_test_user(
                cls.env,
                login=login,
                groups=groups,
                name=login.capitalize(),
                company_id=cls.company.id,
                company_ids=[Command.set(cls.company.ids)],
            )

        cls.sonia = salesperson("sonia")
        cls.sam = salesperson("sam")
        cls.tom = salesperson("tom")
        cls.lena = salesperson("lena", groups="sales_team.group_sale_salesman_all_leads")
        cls.team_north = cls.env["crm.team"].create(
            {
                "name": "North",
                "company_id": cls.company.id,
                "member_ids": [Command.set((cls.sonia | cls.sam).ids)],
            }
        )
        cls.team_south = cls.env["crm.team"].create(
            {
                "name": "South",
                "company_id": cls.company.id,
                "member_ids": [Command.set(cls.tom.ids)],
            }
        )
        cls.country = cls.env.ref("base.be")
        cls.customer_a, cls.customer_b, cls.customer_c = cls.env["res.partner"].create(
            [
                {
                    "name": "Acme",
                    "is_company": True,
                    "email": "acme@example.com",
                    "country_id": cls.country.id,
                },
                {"name": "Bolt", "is_company": True, "phone": "+32 2 555 01 02"},
                {"name": "Core", "is_company": True},
            ]
        )
        cls.contact_a = cls.env["res.partner"].create(
            {"name": "Alice Acme", "parent_id": cls.customer_a.id}
        )
        cls.category = cls.env["product.category"].create({"name": "Salesperf Widgets"})
        cls.product_x, cls.product_y = cls.env["product.product"].create(
            [
                {
                    "name": "Widget X",
                    "categ_id": cls.category.id,
                    "list_price": 100.0,
                    "taxes_id": False,
                },
                {
                    "name": "Widget Y",
                    "categ_id": cls.category.id,
                    "list_price": 40.0,
                    "taxes_id": False,
                },
            ]
        )

    @classmethod
    def _create_order(cls, user, partner, order_date, lines, pricelist=None, state="sale"):
        """A sale order of ``user`` dated ``order_date`` (a date or datetime).

        ``lines`` are ``(product, quantity, unit price, unit cost)`` tuples.
        """
        team = cls.team_south if user == cls.tom else cls.team_north
        order = cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "user_id": user.id,
                "team_id": team.id,
                "company_id": cls.company.id,
                "pricelist_id": (pricelist or cls.pricelist_xsa).id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": quantity,
                            "price_unit": price,
                            "purchase_price": cost,
                            "tax_id": False,
                        }
                    )
                    for product, quantity, price, cost in lines
                ],
            }
        )
        if state == "sale":
            order.action_confirm()
        elif state == "cancel":
            order._action_cancel()
        if isinstance(order_date, date) and not isinstance(order_date, datetime):
            order_date = datetime.combine(order_date, datetime.min.time().replace(hour=10))
        # confirming stamps the order with the current time: date it afterwards
        order.date_order = order_date
        return order

    def _facts(self, user=None, domain=()):
        facts = self.env["salesperf.sale.fact"]
        if user:
            facts = facts.with_user(user)
        return facts.search([("company_id", "=", self.company.id), *domain])


class SalesperfAccountingCommon(SalesperfCommon):
    """The same company with a chart of accounts, and the invoices, credit
    notes and payments of the commission tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["account.chart.template"].try_loading(
            "generic_coa", company=cls.company, install_demo=False
        )
        # loading a chart sets the company's currency to its country's: XSA again
        cls.company.currency_id = cls.currency_xsa

    def _invoice(self, order, invoice_date):
        """The order's invoice, dated ``invoice_date`` and posted."""
        invoice = order._create_invoices()
        invoice.invoice_date = invoice_date
        invoice.action_post()
        return invoice

    def _credit_note(self, order_line, quantity, invoice_date):
        """A credit note of ``quantity`` of an order line, at its unit price."""
        order = order_line.order_id
        refund = (
            self.env["account.move"]
            .with_company(self.company)
            .create(
                {
                    "move_type": "out_refund",
                    "partner_id": order.partner_id.id,
                    "invoice_date": invoice_date,
                    "currency_id": order.currency_id.id,
                    "invoice_user_id": order.user_id.id,
                    "team_id": order.team_id.id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": order_line.product_id.id,
                                "quantity": quantity,
                                "price_unit": order_line.price_unit,
                                "tax_ids": False,
                                "sale_line_ids": [Command.set(order_line.ids)],
                            }
                        )
                    ],
                }
            )
        )
        refund.action_post()
        return refund

    def _pay(self, invoice, amount, payment_date):
        """Register a payment of ``amount`` in the invoice's currency."""
        return (
            self.env["account.payment.register"]
            .with_company(self.company)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "amount": amount,
                    "currency_id": invoice.currency_id.id,
                    "payment_date": payment_date,
                }
            )
            ._create_payments()
        )
