# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import datetime, time

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from .common import SalesperfTourCase


@tagged("post_install", "-at_install")
class TestDashboardTour(SalesperfTourCase):
    """The Sales Performance board as a salesperson sees it, in a company of
    its own (time zone UTC), with orders dated today (a tour cannot freeze
    the browser's clock): they count in this year, the board's default
    period. Sonia sold 3 × 100 = 300 against a target of 400 this month
    (75 %); Sam's 500 in the same team is not hers to see."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "Salesperf Board Company"})
        cls.company.partner_id.tz = "UTC"

        def user(login, name):
            return new_test_user(
                cls.env,
                login=login,
                name=name,
                groups="sales_team.group_sale_salesman",
                company_id=cls.company.id,
                company_ids=[Command.set(cls.company.ids)],
                tz="UTC",
            )

        cls.sonia = user("sonia_board", "Sonia Board")
        cls.sam = user("sam_board", "Sam Board")
        cls.team = cls.env["crm.team"].create(
            {
                "name": "Board Team",
                "company_id": cls.company.id,
                "member_ids": [Command.set((cls.sonia | cls.sam).ids)],
            }
        )
        today = fields.Date.context_today(cls.env["res.users"].with_user(cls.sonia))
        customer = cls.env["res.partner"].create({"name": "Board Customer"})
        product = cls.env["product.product"].create(
            {"name": "Board Widget", "list_price": 100.0, "taxes_id": False}
        )
        for salesperson, quantity in ((cls.sonia, 3), (cls.sam, 5)):
            order = cls.env["sale.order"].create(
                {
                    "partner_id": customer.id,
                    "user_id": salesperson.id,
                    "team_id": cls.team.id,
                    "company_id": cls.company.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "product_uom_qty": quantity,
                                "price_unit": 100.0,
                                "tax_id": False,
                            }
                        )
                    ],
                }
            )
            order.action_confirm()
            # confirming stamps the current time: date it today at 10:00 UTC
            order.date_order = datetime.combine(today, time(10))
        cls.env["salesperf.target"].create(
            {
                "scope": "user",
                "user_id": cls.sonia.id,
                "company_id": cls.company.id,
                "metric": "revenue",
                "period_kind": "month",
                "date_from": today.replace(day=1),
                "amount": 400.0,
                "state": "confirmed",
            }
        )

    def test_dashboard_tour(self):
        dashboard = self.env.ref("salesperf_odoo.spreadsheet_dashboard_salesperf")
        self.start_tour(
            f"/odoo/dashboards?dashboard_id={dashboard.id}",
            "salesperf_dashboard_tour",
            login="sonia_board",
        )
