# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .test_kpi import MARCH, SalesperfKpiCommon


@tagged("post_install", "-at_install")
class TestSecurity(SalesperfKpiCommon):
    def test_salesperson_sees_only_own_facts(self):
        facts = self._facts(user=self.sonia)
        # Sonia's orders: 2024-03, 2024-11, 2025-02, 2025-03 (2 lines), 2025-03 = 6 lines
        self.assertEqual(len(facts), 6)
        self.assertEqual(facts.user_id, self.sonia)
        # Lena sees all documents: 6 + Tom 2 + Sam 1 = 9 lines
        self.assertEqual(len(self._facts(user=self.lena)), 9)

    def test_salesperson_kpis_cover_only_themselves(self):
        kpis = self._kpis(user=self.sonia)
        self.assertEqual(set(kpis), {(self.sonia.id, self.company.id)})
        team = self._kpis("team", user=self.sonia)[(self.team_north.id, self.company.id)]
        # the team figure Sonia gets is her own share: 500, not the team's 900
        self.assertAlmostEqual(team["revenue"], 500.0)
        everyone = self._kpis(user=self.lena)
        self.assertEqual({key[0] for key in everyone}, {self.sonia.id, self.sam.id, self.tom.id})

    def test_new_customer_judged_on_the_whole_history(self):
        # Core's first purchase is Tom's January order, which Sam cannot read;
        # Core is still a returning customer for Sam, not a new one.
        self.assertFalse(
            self._facts(
                user=self.sam,
                domain=[
                    ("commercial_partner_id", "=", self.customer_c.id),
                    ("user_id", "=", self.tom.id),
                ],
            )
        )
        sam = self._kpis(user=self.sam)[(self.sam.id, self.company.id)]
        self.assertEqual((sam["new_customers"], sam["returning_customers"]), (0, 1))
        # ...and learns nothing else of Tom's: only Sam's own figures
        self.assertAlmostEqual(sam["revenue"], 400.0)

    def test_other_company_is_invisible(self):
        outsider = new_test_user(
            self.env, login="outsider", groups="sales_team.group_sale_salesman_all_leads"
        )
        self.assertNotIn(self.company, outsider.company_ids)
        self.assertFalse(self._facts(user=outsider))
        kpis = (
            self.env["salesperf.kpi"]
            .with_user(outsider)
            ._compute_kpis(MARCH, "company", outsider.company_id)
        )
        self.assertNotIn((self.company.id, self.company.id), kpis)

    def test_salesperson_cannot_write_imported_sales_or_rules(self):
        with self.assertRaises(AccessError):
            self.env["salesperf.external.sale"].with_user(self.sonia).create(
                {
                    "name": "X",
                    "date": "2025-03-01",
                    "user_id": self.sonia.id,
                    "product_id": self.product_x.id,
                    "quantity": 1,
                    "price_subtotal": 1,
                }
            )
        rule = self.env.ref("salesperf_odoo.completeness_rule_customer_country")
        with self.assertRaises(AccessError):
            rule.with_user(self.sonia).write({"active": False})

    def test_salespeople_are_users_of_the_app(self):
        self.assertTrue(self.sonia.has_group("salesperf_odoo.group_salesperf_user"))
        self.assertFalse(self.sonia.has_group("salesperf_odoo.group_salesperf_manager"))
        manager = new_test_user(self.env, login="boss", groups="sales_team.group_sale_manager")
        self.assertTrue(manager.has_group("salesperf_odoo.group_salesperf_manager"))
