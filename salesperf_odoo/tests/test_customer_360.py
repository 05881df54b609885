# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date, datetime

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import formatLang

from .common import SalesperfCommon, SalesperfRpcCase

TODAY = "2025-06-15 12:00:00"


class Customer360Common(SalesperfCommon):
    """Acme (salesperson Sonia, team North) bought three times from Sonia
    and once through an imported marketplace sale; Bolt (salesperson Tom,
    team South) once from Tom; Core (no salesperson) once from Sam, who
    holds its score. Leo leads team South with own-documents rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer_a.user_id = cls.sonia
        cls.customer_b.user_id = cls.tom
        x, y = cls.product_x, cls.product_y
        with freeze_time(TODAY):
            # Acme: 2 × 100 (cost 60) = 200, margin 80
            cls._create_order(cls.sonia, cls.customer_a, date(2025, 1, 10), [(x, 2, 100, 60)])
            # 5 × 40 (cost 10) = 200, margin 150
            cls._create_order(cls.sonia, cls.customer_a, date(2025, 2, 9), [(y, 5, 40, 10)])
            # its contact: 100 + 40 = 140, margin 40 + 30 = 70
            cls._create_order(
                cls.sonia, cls.contact_a, date(2025, 3, 11), [(x, 1, 100, 60), (y, 1, 40, 10)]
            )
            # a quotation and a cancelled order never count
            cls.quotation_a = cls._create_order(
                cls.sonia, cls.customer_a, date(2025, 6, 1), [(x, 9, 100, 60)], state="draft"
            )
            cls._create_order(
                cls.sonia, cls.customer_a, date(2025, 5, 1), [(x, 7, 100, 60)], state="cancel"
            )
            # Bolt: 3 × 100 (cost 60) = 300
            cls._create_order(cls.tom, cls.customer_b, date(2025, 4, 2), [(x, 3, 100, 60)])
            # Core: 1 × 40 = 40
            cls._create_order(cls.sam, cls.customer_c, date(2025, 5, 20), [(y, 1, 40, 10)])
        # Acme's imported marketplace sale: 60, cost 20, margin 40
        cls.env["salesperf.external.sale"].create(
            {
                "name": "MK-1",
                "date": date(2025, 4, 10),
                "company_id": cls.company.id,
                "channel": "marketplace",
                "user_id": cls.sonia.id,
                "partner_id": cls.customer_a.id,
                "product_id": x.id,
                "quantity": 1,
                "currency_id": cls.currency_xsa.id,
                "price_subtotal": 60.0,
                "cost": 20.0,
            }
        )
        cls.opportunity_a = cls.env["crm.lead"].create(
            {
                "name": "Acme renewal",
                "type": "opportunity",
                "partner_id": cls.contact_a.id,
                "user_id": cls.sonia.id,
                "team_id": cls.team_north.id,
                "company_id": cls.company.id,
                "expected_revenue": 1234.0,
            }
        )
        cls.leo = new_test_user(
            cls.env,
            login="leo",
            groups="sales_team.group_sale_salesman",
            name="Leo",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.team_south.user_id = cls.leo
        # Sam sold to Core, which has no salesperson: the score names him
        cls.env["salesperf.customer.score"].create(
            {
                "company_id": cls.company.id,
                "partner_id": cls.customer_c.id,
                "user_id": cls.sam.id,
                "team_id": cls.team_north.id,
                "month": date(2025, 6, 1),
                "date": date(2025, 6, 15),
                "is_latest": True,
                "risk_status": "active",
                "clv": 321.0,
            }
        )

    def money(self, amount):
        return formatLang(self.env, amount, currency_obj=self.currency_xsa)

    def values(self, partner, user=None):
        partner = partner.with_user(user) if user else partner
        partner = partner.with_context(allowed_company_ids=self.company.ids)
        return partner.commercial_partner_id._salesperf_customer_360_values()

    def html(self, partner, user, company_ids=None):
        partner = partner.with_user(user).with_context(
            allowed_company_ids=company_ids or self.company.ids
        )
        return str(partner.salesperf_customer_360_html)


@tagged("post_install", "-at_install")
class TestCustomer360Figures(Customer360Common):
    @freeze_time(TODAY)
    def test_figures_against_the_orders(self):
        values = self.values(self.customer_a, self.sonia)
        # revenue 200 + 200 + 140 + 60 = 600; margin 80 + 150 + 70 + 40 = 340
        # orders 3 + 1 imported = 4; average 600 / 4 = 150
        self.assertAlmostEqual(values["amounts"]["revenue"], 600.0, places=2)
        self.assertAlmostEqual(values["amounts"]["margin"], 340.0, places=2)
        self.assertEqual(values["amounts"]["orders"], 4)
        self.assertAlmostEqual(values["amounts"]["average_order"], 150.0, places=2)
        # all four purchases lie within the 12 months up to 2025-06-15
        self.assertAlmostEqual(values["revenue_12m_amount"], 600.0, places=2)
        self.assertEqual(values["first_purchase_date"], date(2025, 1, 10))
        self.assertEqual(values["last_purchase_date"], date(2025, 4, 10))
        # gaps: Jan 10 → Feb 9 = 30, Feb 9 → Mar 11 = 30, Mar 11 → Apr 10 = 30: median 30
        self.assertEqual(values["usual_interval_days"], 30.0)
        self.assertEqual(values["purchase_days"], 4)
        # 2025-04-10 → 2025-06-15: 20 + 31 + 15 = 66 days
        self.assertEqual(values["days_since_last_count"], 66)
        self.assertEqual(values["days_since_last"], "66 days ago")
        # channels: direct 540 (90 %), marketplace 60 (10 %)
        channels = {row["name"]: row for row in values["channels"]}
        self.assertEqual(channels["Direct Sales"]["revenue"], self.money(540.0))
        self.assertEqual(channels["Direct Sales"]["share"], 90)
        self.assertEqual(channels["Direct Sales"]["orders"], 3)
        self.assertEqual(channels["Marketplace"]["share"], 10)
        # Widget X 200 + 100 + 60 = 360 (60 %), Widget Y 200 + 40 = 240 (40 %)
        products = [(row["name"], row["share"]) for row in values["products"]]
        self.assertEqual(products, [("Widget X", 60), ("Widget Y", 40)])
        self.assertEqual(values["categories"][0]["share"], 100)
        # per month: Jan 200/80, Feb 200/150, Mar 140/70, Apr 60/40, the rest 0
        months = {month: (revenue, margin) for month, revenue, margin in values["months"]}
        self.assertEqual(len(months), 24)
        self.assertEqual(min(months), date(2023, 7, 1))
        self.assertEqual(max(months), date(2025, 6, 1))
        self.assertAlmostEqual(months[date(2025, 1, 1)][0], 200.0, places=2)
        self.assertAlmostEqual(months[date(2025, 2, 1)][1], 150.0, places=2)
        self.assertAlmostEqual(months[date(2025, 3, 1)][0], 140.0, places=2)
        self.assertAlmostEqual(months[date(2025, 4, 1)][1], 40.0, places=2)
        self.assertEqual(months[date(2025, 5, 1)], (0.0, 0.0))
        # the open quotation and opportunity, linked; the salesperson
        self.assertEqual([q["name"] for q in values["quotations"]], [self.quotation_a.name])
        self.assertEqual(values["quotations"][0]["url"], f"/odoo/sale.order/{self.quotation_a.id}")
        self.assertEqual(
            values["opportunities"][0]["url"], f"/odoo/crm.lead/{self.opportunity_a.id}"
        )
        self.assertEqual(values["salesperson"], "Sonia")
        self.assertEqual(values["team"], "North")

    @freeze_time(TODAY)
    def test_smart_button_and_tab(self):
        partner = self.contact_a.with_user(self.sonia).with_context(
            allowed_company_ids=self.company.ids
        )
        # a contact shows its company's figures
        self.assertTrue(partner.salesperf_customer_360_allowed)
        self.assertAlmostEqual(partner.salesperf_customer_revenue_12m, 600.0, places=2)
        self.assertEqual(partner.salesperf_customer_currency_id, self.currency_xsa)
        html = str(partner.salesperf_customer_360_html)
        self.assertIn(self.money(600.0), html)
        self.assertIn(self.money(150.0), html)
        self.assertIn("<svg", html)
        self.assertIn(f'href="/odoo/crm.lead/{self.opportunity_a.id}"', html)
        lead = self.opportunity_a.with_user(self.sonia)
        self.assertTrue(lead.salesperf_customer_360_allowed)
        self.assertAlmostEqual(lead.salesperf_customer_revenue_12m, 600.0, places=2)
        action = lead.action_open_salesperf_customer_360()
        self.assertEqual(action["res_id"], self.customer_a.id)

    @freeze_time(TODAY)
    def test_interactions(self):
        self.opportunity_a.message_post(
            body="Called about the renewal", message_type="comment", subtype_xmlid="mail.mt_note"
        )
        self.customer_a.message_post(body="Price list sent", message_type="comment")
        # a tracked change is no interaction
        self.opportunity_a.expected_revenue = 2000.0
        self.opportunity_a.flush_recordset()
        activity = self.opportunity_a.activity_schedule(
            "mail.mail_activity_data_call", user_id=self.sonia.id, summary="Follow-up call"
        )
        activity.action_feedback(feedback="Customer happy")
        values = self.values(self.customer_a, self.sonia)
        summaries = [row["summary"] for row in values["interactions"]]
        self.assertIn("Called about the renewal", summaries)
        self.assertIn("Price list sent", summaries)
        kinds = {row["kind"] for row in values["interactions"]}
        self.assertIn("Call", kinds)
        self.assertIn("Note", kinds)

    @freeze_time("2025-02-15 12:00:00")
    def test_months_in_the_company_time_zone(self):
        self.company.partner_id.tz = "Pacific/Auckland"
        customer = self.env["res.partner"].create({"name": "Kiwi", "is_company": True})
        # 2025-01-31 11:30 UTC is 2025-02-01 00:30 in Auckland (UTC+13 in summer)
        self._create_order(
            self.lena, customer, datetime(2025, 1, 31, 11, 30), [(self.product_x, 1, 100, 60)]
        )
        values = self.values(customer, self.lena)
        months = {month: revenue for month, revenue, _margin in values["months"]}
        self.assertEqual(months[date(2025, 1, 1)], 0.0)
        self.assertAlmostEqual(months[date(2025, 2, 1)], 100.0, places=2)
        self.assertEqual(values["first_purchase_date"], date(2025, 2, 1))

    @freeze_time(TODAY)
    def test_query_count_does_not_grow_with_the_lines(self):
        def customer_with_lines(name, orders):
            customer = self.env["res.partner"].create(
                {"name": name, "is_company": True, "user_id": self.lena.id}
            )
            for index in range(orders):
                self._create_order(
                    self.lena,
                    customer,
                    date(2025, 1 + index % 5, 1 + index),
                    [(self.product_x, 1, 100, 60), (self.product_y, 2, 40, 10)]
                    + [(self.product_x, 1, 10, 5)],
                )
            return customer.with_user(self.lena).with_context(allowed_company_ids=self.company.ids)

        small = customer_with_lines("Small", 1)  # 3 lines
        large = customer_with_lines("Large", 10)  # 30 lines
        self.env.flush_all()
        for customer in (small, large):
            # warm up: templates compiled, rights and groups in their caches
            self.env.invalidate_all()
            self.assertTrue(customer.salesperf_customer_360_html)
            self.env.invalidate_all()
            with self.assertQueryCount(CUSTOMER_360_QUERIES):
                self.assertTrue(customer.salesperf_customer_360_html)


#: Queries of one Customer 360 (rights included), whatever the number of lines.
CUSTOMER_360_QUERIES = 21


@tagged("post_install", "-at_install")
class TestCustomer360Access(Customer360Common):
    REFUSED = "You may not see the purchase history"

    @freeze_time(TODAY)
    def test_salesperson_sees_own_customers_only(self):
        # Tom sold to Sonia's customer too: she sees the whole history,
        # though the record rules hide Tom's order and its facts from her
        order = self._create_order(
            self.tom, self.customer_a, date(2025, 5, 5), [(self.product_x, 1, 100, 60)]
        )
        self.env.flush_all()
        self.assertFalse(self._facts(self.sonia, [("order_name", "=", order.name)]))
        html = self.html(self.customer_a, self.sonia)
        # 600 + 100 = 700 over 4 + 1 = 5 orders
        self.assertIn(self.money(700.0), html)
        self.assertIn(self.money(140.0), html)
        html = self.html(self.customer_b, self.sonia)
        self.assertIn(self.REFUSED, html)
        self.assertNotIn(self.money(300.0), html)
        bolt = self.customer_b.with_user(self.sonia)
        self.assertFalse(bolt.salesperf_customer_360_allowed)
        self.assertEqual(bolt.salesperf_customer_revenue_12m, 0.0)

    @freeze_time(TODAY)
    def test_team_leader_sees_team_members_customers(self):
        # Tom is a member of South, which Leo leads
        self.assertIn(self.money(300.0), self.html(self.customer_b, self.leo))
        self.assertIn(self.REFUSED, self.html(self.customer_a, self.leo))

    @freeze_time(TODAY)
    def test_readable_score_grants_the_customer(self):
        self.assertIn(self.money(40.0), self.html(self.customer_c, self.sam))
        self.assertIn(self.REFUSED, self.html(self.customer_c, self.tom))

    @freeze_time(TODAY)
    def test_former_salesperson_loses_the_customer(self):
        # Sam held Bolt in January: an old score row grants him nothing now
        self.env["salesperf.customer.score"].create(
            {
                "company_id": self.company.id,
                "partner_id": self.customer_b.id,
                "user_id": self.sam.id,
                "month": date(2025, 1, 1),
                "date": date(2025, 1, 31),
                "is_latest": False,
                "risk_status": "active",
            }
        )
        self.assertIn(self.REFUSED, self.html(self.customer_b, self.sam))

    def test_salesperson_cannot_take_a_colleagues_customer(self):
        # Sonia (own documents) may not make Tom's customer hers: she would
        # see its whole history
        with self.assertRaisesRegex(AccessError, "is a customer of Tom"):
            self.customer_b.with_user(self.sonia).write({"user_id": self.sonia.id})
        self.assertEqual(self.customer_b.user_id, self.tom)
        self.assertIn(self.REFUSED, self.html(self.customer_b, self.sonia))
        # she may take a customer without a salesperson
        self.customer_c.with_user(self.sonia).write({"user_id": self.sonia.id})
        self.assertEqual(self.customer_c.user_id, self.sonia)
        # Leo leads South, whose member Tom is: he may give Bolt to himself
        self.customer_b.with_user(self.leo).write({"user_id": self.leo.id})
        self.assertEqual(self.customer_b.user_id, self.leo)

    def test_fields_hidden_from_users_without_sales_performance(self):
        clerk = new_test_user(self.env, login="clerk", groups="base.group_user")
        self.assertNotIn(
            "salesperf_customer_360_html", self.customer_a.with_user(clerk).fields_get()
        )
        # the contact form still opens for them
        self.assertEqual(
            self.customer_a.with_user(clerk).read(["name"])[0]["name"], self.customer_a.name
        )

    @freeze_time(TODAY)
    def test_all_documents_sees_everyone(self):
        for customer, revenue in ((self.customer_a, 600.0), (self.customer_b, 300.0)):
            self.assertIn(self.money(revenue), self.html(customer, self.lena))

    @freeze_time(TODAY)
    def test_other_companies(self):
        other = self.env["res.company"].create(
            {"name": "Other Company", "currency_id": self.currency_xsb.id}
        )
        self.lena.company_ids = [Command.link(other.id)]
        with freeze_time(TODAY):
            order = self.env["sale.order"].create(
                {
                    "partner_id": self.customer_a.id,
                    "company_id": other.id,
                    "user_id": self.lena.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": self.product_x.id,
                                "product_uom_qty": 1,
                                "price_unit": 5000.0,
                                "tax_id": False,
                            }
                        )
                    ],
                }
            )
            order.with_company(other).action_confirm()
        self.env.flush_all()
        # only the current company allowed: the other company is not even named
        values = self.values(self.customer_a, self.lena)
        self.assertAlmostEqual(values["amounts"]["revenue"], 600.0, places=2)
        self.assertEqual(values["other_companies"], [])
        # both allowed, the test company current: its figures, the other apart
        customer = self.customer_a.with_user(self.lena).with_context(
            allowed_company_ids=[self.company.id, other.id]
        )
        values = customer._salesperf_customer_360_values()
        self.assertAlmostEqual(values["amounts"]["revenue"], 600.0, places=2)
        self.assertEqual(len(values["other_companies"]), 1)
        self.assertEqual(values["other_companies"][0]["name"], "Other Company")
        self.assertEqual(values["other_companies"][0]["orders"], 1)
        self.assertEqual(
            values["other_companies"][0]["revenue"],
            formatLang(self.env, 5000.0, currency_obj=self.currency_xsb),
        )


@tagged("post_install", "-at_install")
class TestCustomer360OverJsonRpc(SalesperfRpcCase, Customer360Common):
    @freeze_time(TODAY)
    def test_read_of_another_salespersons_customer(self):
        self.authenticate("sonia", "sonia")
        fields = ["salesperf_customer_360_html", "salesperf_customer_revenue_12m"]
        [bolt] = self._call("res.partner", "read", [self.customer_b.ids, fields])
        self.assertIn("You may not see the purchase history", bolt["salesperf_customer_360_html"])
        self.assertNotIn(self.money(300.0), bolt["salesperf_customer_360_html"])
        self.assertEqual(bolt["salesperf_customer_revenue_12m"], 0.0)
        # nor does a context sent by the client change who she is
        [bolt] = self._call(
            "res.partner",
            "read",
            [self.customer_b.ids, fields],
            {"context": {"uid": self.lena.id, "allowed_company_ids": self.company.ids}},
        )
        self.assertNotIn(self.money(300.0), bolt["salesperf_customer_360_html"])
        [acme] = self._call("res.partner", "read", [self.customer_a.ids, fields])
        self.assertIn(self.money(600.0), acme["salesperf_customer_360_html"])
