# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import datetime, time

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from .common import SalesperfTourCase

MATRIX_URL = "/odoo/action-salesperf_odoo.salesperf_performance_action_user"


class PerformanceTourCommon(SalesperfTourCase):
    """The KPI matrix and its drill-down, with orders dated today (a tour
    cannot freeze the browser's clock): they count in this year, the period
    the matrix opens on.

    A company of its own (currency § after the amount, time zone UTC). Mia
    reads all documents; Sonia sold 7 × 100 and 5 × 100 (1,200, two orders,
    cost 60: margin 40 %), Sam 3 × 100 (300). Sonia has a revenue target of
    2,400 this month: 50 % attained. In the list, Sonia's row of the month
    opens her two lines.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.currency = cls.env["res.currency"].create(
            {"name": "XPM", "symbol": "§", "position": "after", "rounding": 0.01}
        )
        cls.company = cls.env["res.company"].create(
            {"name": "Salesperf Matrix Company", "currency_id": cls.currency.id}
        )
        cls.company.partner_id.tz = "UTC"

        def user(login, name, groups):
            return new_test_user(
                cls.env,
                login=login,
                name=name,
                groups=groups,
                company_id=cls.company.id,
                company_ids=[Command.set(cls.company.ids)],
                tz="UTC",
            )

        cls.mia = user("mia_matrix", "Mia Matrix", "sales_team.group_sale_salesman_all_leads")
        cls.sonia = user("sonia_matrix", "Sonia Matrix", "sales_team.group_sale_salesman")
        cls.sam = user("sam_matrix", "Sam Matrix", "sales_team.group_sale_salesman")
        cls.team = cls.env["crm.team"].create(
            {
                "name": "Matrix Team",
                "company_id": cls.company.id,
                "member_ids": [Command.set((cls.sonia | cls.sam).ids)],
            }
        )
        cls.today = fields.Date.context_today(cls.env["res.users"].with_user(cls.sonia))
        pricelist = cls.env["product.pricelist"].create(
            {"name": "XPM", "currency_id": cls.currency.id, "company_id": cls.company.id}
        )
        customer = cls.env["res.partner"].create({"name": "Matrix Customer"})
        product = cls.env["product.product"].create(
            {"name": "Matrix Widget", "list_price": 100.0, "taxes_id": False}
        )
        cls.orders = cls.env["sale.order"]
        for salesperson, quantity in ((cls.sonia, 7), (cls.sonia, 5), (cls.sam, 3)):
            order = cls.env["sale.order"].create(
                {
                    "partner_id": customer.id,
                    "user_id": salesperson.id,
                    "team_id": cls.team.id,
                    "company_id": cls.company.id,
                    "pricelist_id": pricelist.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "product_uom_qty": quantity,
                                "price_unit": 100.0,
                                "purchase_price": 60.0,
                                "tax_id": False,
                            }
                        )
                    ],
                }
            )
            order.action_confirm()
            # confirming stamps the current time: date it today at 10:00 UTC
            order.date_order = datetime.combine(cls.today, time(10))
            cls.orders |= order
        cls.env["salesperf.target"].create(
            {
                "scope": "user",
                "user_id": cls.sonia.id,
                "company_id": cls.company.id,
                "metric": "revenue",
                "period_kind": "month",
                "date_from": cls.today.replace(day=1),
                "amount": 2400.0,
                "state": "confirmed",
            }
        )

    def _assert_server_figures(self):
        """What the tour looks for, from the server: a wrong figure fails here
        with its value rather than as a tour timeout."""
        rows = {
            user: values
            for user, *values in self.env["salesperf.performance"]
            .with_user(self.mia)
            ._read_group(
                [("level", "=", "user"), ("date", ">=", self.today.replace(month=1, day=1))],
                ["user_id"],
                ["revenue:sum", "revenue_attainment:avg", "margin_percent:avg"],
            )
        }
        # Sonia: 700 + 500 = 1,200 of 2,400 = 50 %; margin (100 - 60) / 100 = 40 %
        self.assertEqual(rows[self.sonia], [1200.0, 50.0, 40.0])
        self.assertEqual(rows[self.sam][0], 300.0)

    def _run_tours(self):
        self._assert_server_figures()
        self.start_tour(MATRIX_URL, "salesperf_performance_matrix_tour", login="mia_matrix")
        self.start_tour(
            f"{MATRIX_URL}?view_type=list", "salesperf_performance_list_tour", login="mia_matrix"
        )


@tagged("post_install", "-at_install")
class TestPerformanceTour(PerformanceTourCommon):
    def test_performance_matrix_tour(self):
        self._run_tours()


@tagged("post_install", "-at_install")
class TestPerformanceTourMobile(PerformanceTourCommon):
    """The same tour at phone width."""

    browser_size = "375x667"
    touch_enabled = True

    def test_performance_matrix_tour_on_phone(self):
        self._run_tours()
