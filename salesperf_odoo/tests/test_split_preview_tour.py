# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import datetime, time

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from odoo.addons.salesperf_odoo.engine.periods import period_containing, same_period_last_year

from .common import SalesperfTourCase


class SplitPreviewTourCommon(SalesperfTourCase):
    """The split preview of a team target, as its leader sees it, with data
    relative to today (a tour cannot freeze the browser's clock).

    A company of its own (currency § after the amount, rate 1.0, time zone
    UTC); team "Split Team" led by Sam, with Sonia and Tina. The team's
    revenue target of the current month: 3,000.

    Same month last year: Sonia sold 3 × 100 = 300, Sam 1 × 100 = 100, Tina
    nothing (she is new). Split by last year's share:

    - an equal share for Tina (the default): she weighs the mean of the
      others, (300 + 100) / 2 = 200, of 600: Sonia 3,000 × 300/600 = 1,500
      (50 %), Sam × 100/600 = 500 (16.67 %), Tina × 200/600 = 1,000 (33.33 %);
    - nothing for Tina: Sonia 3,000 × 300/400 = 2,250 (75 %), Sam × 100/400
      = 750 (25 %), Tina 0 (0 %).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.currency = cls.env["res.currency"].create(
            {"name": "XSP", "symbol": "§", "position": "after", "rounding": 0.01}
        )
        cls.company = cls.env["res.company"].create(
            {"name": "Salesperf Split Company", "currency_id": cls.currency.id}
        )
        cls.company.partner_id.tz = "UTC"

        def salesperson(login, name):
            return new_test_user(
                cls.env,
                login=login,
                name=name,
                groups="sales_team.group_sale_salesman",
                company_id=cls.company.id,
                company_ids=[Command.set(cls.company.ids)],
                tz="UTC",
            )

        cls.sonia = salesperson("sonia_split", "Sonia Split")
        cls.sam = salesperson("sam_split", "Sam Split")
        cls.tina = salesperson("tina_split", "Tina Split")
        cls.team = cls.env["crm.team"].create(
            {
                "name": "Split Team",
                "company_id": cls.company.id,
                "user_id": cls.sam.id,
                "member_ids": [Command.set((cls.sonia | cls.sam | cls.tina).ids)],
            }
        )
        today = fields.Date.context_today(cls.env["res.users"].with_user(cls.sam))
        month = period_containing("month", today)
        last_year = same_period_last_year(month)
        pricelist = cls.env["product.pricelist"].create(
            {"name": "XSP", "currency_id": cls.currency.id, "company_id": cls.company.id}
        )
        customer = cls.env["res.partner"].create({"name": "Split Customer"})
        product = cls.env["product.product"].create(
            {"name": "Split Widget", "list_price": 100.0, "taxes_id": False}
        )
        for user, quantity in ((cls.sonia, 3), (cls.sam, 1)):
            order = cls.env["sale.order"].create(
                {
                    "partner_id": customer.id,
                    "user_id": user.id,
                    "team_id": cls.team.id,
                    "company_id": cls.company.id,
                    "pricelist_id": pricelist.id,
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
            # confirming stamps the current time: date it last year, 10:00 UTC
            order.date_order = datetime.combine(last_year.start, time(10))
        cls.target = cls.env["salesperf.target"].create(
            {
                "scope": "team",
                "team_id": cls.team.id,
                "metric": "revenue",
                "period_kind": "month",
                "date_from": month.start,
                "amount": 3000.0,
                "company_id": cls.company.id,
            }
        )

    def _assert_server_figures(self):
        """The figures the tour looks for, straight from the server: a wrong
        figure fails here with its value rather than as a tour timeout."""
        split = (
            self.env["salesperf.target.split"]
            .with_user(self.sam)
            .create({"target_id": self.target.id, "split_by": "owner", "method": "history"})
        )
        split.action_preview()
        preview = {line.user_id: (line.share, line.amount) for line in split.line_ids}
        self.assertEqual(
            preview,
            {self.sonia: (0.5, 1500.0), self.sam: (0.1667, 500.0), self.tina: (0.3333, 1000.0)},
        )
        self.assertEqual(
            split.line_ids.filtered(lambda line: line.history_status == "missing").user_id,
            self.tina,
        )

    def _run_tour(self):
        self._assert_server_figures()
        self.start_tour(
            f"/odoo/action-salesperf_odoo.salesperf_target_action/{self.target.id}",
            "salesperf_split_preview_tour",
            login="sam_split",
        )
        children = self.target.child_ids
        self.assertEqual(
            {child.user_id: child.amount for child in children},
            {self.sonia: 2250.0, self.sam: 750.0, self.tina: 0.0},
        )


@tagged("post_install", "-at_install")
class TestSplitPreviewTour(SplitPreviewTourCommon):
    def test_split_preview_tour(self):
        self._run_tour()


@tagged("post_install", "-at_install")
class TestSplitPreviewTourMobile(SplitPreviewTourCommon):
    """The same tour at phone width."""

    browser_size = "375x667"
    touch_enabled = True

    def test_split_preview_tour_on_phone(self):
        self._run_tour()
