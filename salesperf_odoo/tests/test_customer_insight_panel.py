# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""The customers to call, from the customer scores: at risk and the most
valuable without an open opportunity, in the pipeline's goals panel and the
weekly email, as each role may read them; and the customer KPIs (active,
churned, value at risk) per salesperson, team and company."""

from datetime import date

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import freeze_time, new_test_user, tagged

from odoo.addons.salesperf_odoo.engine.kpi import derive_kpis
from odoo.addons.salesperf_odoo.engine.periods import Period, period_containing

from .common import SalesperfCommon

MARCH = period_containing("month", date(2025, 3, 1))
FEBRUARY = period_containing("month", date(2025, 2, 1))

#: the Customer 360 page of a customer, followed by its id
CUSTOMER_360_URL = "/odoo/action-salesperf_odoo.res_partner_action_customer_360/"


@tagged("post_install", "-at_install")
@freeze_time("2025-03-14 12:00:00")
class TestCustomerInsight(SalesperfCommon):
    """Latest scores of March 2025 (run on 10 March) in the test company,
    currency XSA (value at risk ``var``, lifetime value ``clv``, revenue of
    the last 12 months ``rev``):

    ========  ======  =====  =======  =====  =====  =====  ========  =============
    customer  person  team   status   var    clv    rev    method    opportunities
    ========  ======  =====  =======  =====  =====  =====  ========  =============
    Alpha     Sonia   North  at_risk    800  1,500    800  bgnbd
    Beta      Sonia   North  at_risk    300    900    300  bgnbd
    Gamma     Sonia   North  active       0  5,000  2,000  bgnbd     open (Tom's)
    Delta     Sonia   North  active       0         4,500  interval  won, lost
    Epsilon   Sonia   North  churned      0  9,000      0  bgnbd
    Kappa     Sonia   North  active       0  2,500  1,000  bgnbd     a lead (1)
    Zeta      Sam     North  at_risk  1,200    700  1,200  bgnbd
    Eta       Sam     North  active       0  3,000    500  bgnbd     open (2)
    Lambda    Sam     North  active       0    100     50  bgnbd
    Theta     Tom     South  active       0  6,000  3,000  bgnbd
    Iota      Tom     South  churned      0    400      0  bgnbd
    Mu        (none)  (none) active       0    200    100  bgnbd
    ========  ======  =====  =======  =====  =====  =====  ========  =============

    (1) and an open opportunity in another company; (2) of one of its
    contacts. Delta has no lifetime value (scored by the fallback).

    February's rows (run on 12 February, no longer the latest): Alpha
    active, Beta at risk (var 250), Epsilon active (Sonia's), Zeta churned
    (Sam's). Another company has a latest row of Sonia's Alpha at risk
    (var 9,999), which no figure of the test company may count.

    Sam leads North (Sonia and Sam); nobody leads South (Tom); Lena has
    "All Documents".
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team_north.user_id = cls.sam
        names = [
            "Alpha",
            "Beta",
            "Gamma",
            "Delta",
            "Epsilon",
            "Kappa",
            "Zeta",
            "Eta",
            "Lambda",
            "Theta",
            "Iota",
            "Mu",
        ]
        cls.partners = dict(
            zip(
                names,
                cls.env["res.partner"].create([{"name": n, "is_company": True} for n in names]),
                strict=True,
            )
        )
        p = cls.partners
        cls.eta_contact = cls.env["res.partner"].create(
            {"name": "Eve Eta", "parent_id": p["Eta"].id}
        )
        north, south = cls.team_north, cls.team_south
        march = [
            # partner, user, team, status, var, clv, rev, method
            ("Alpha", cls.sonia, north, "at_risk", 800, 1500, 800, "bgnbd"),
            ("Beta", cls.sonia, north, "at_risk", 300, 900, 300, "bgnbd"),
            ("Gamma", cls.sonia, north, "active", 0, 5000, 2000, "bgnbd"),
            ("Delta", cls.sonia, north, "active", 0, False, 4500, "interval"),
            ("Epsilon", cls.sonia, north, "churned", 0, 9000, 0, "bgnbd"),
            ("Kappa", cls.sonia, north, "active", 0, 2500, 1000, "bgnbd"),
            ("Zeta", cls.sam, north, "at_risk", 1200, 700, 1200, "bgnbd"),
            ("Eta", cls.sam, north, "active", 0, 3000, 500, "bgnbd"),
            ("Lambda", cls.sam, north, "active", 0, 100, 50, "bgnbd"),
            ("Theta", cls.tom, south, "active", 0, 6000, 3000, "bgnbd"),
            ("Iota", cls.tom, south, "churned", 0, 400, 0, "bgnbd"),
            ("Mu", None, None, "active", 0, 200, 100, "bgnbd"),
        ]
        february = [
            ("Alpha", cls.sonia, north, "active", 0, 1800, 900, "bgnbd"),
            ("Beta", cls.sonia, north, "at_risk", 250, 950, 250, "bgnbd"),
            ("Epsilon", cls.sonia, north, "active", 0, 9500, 100, "bgnbd"),
            ("Zeta", cls.sam, north, "churned", 0, 0, 0, "bgnbd"),
        ]
        cls.other_company = cls.env["res.company"].create({"name": "Salesperf Other Company"})
        cls.lena.company_ids = [Command.link(cls.other_company.id)]
        cls.scores = cls._scores(cls.company, date(2025, 3, 10), march, latest=True)
        cls._scores(cls.company, date(2025, 2, 12), february, latest=False)
        cls._scores(
            cls.other_company,
            date(2025, 3, 10),
            [("Alpha", cls.sonia, False, "at_risk", 9999, 9999, 9999, "bgnbd")],
            latest=True,
        )

        def opportunity(name, partner, user, **values):
            return cls.env["crm.lead"].create(
                {
                    "name": name,
                    "type": "opportunity",
                    "partner_id": partner.id,
                    "user_id": user.id,
                    "company_id": cls.company.id,
                    "expected_revenue": 1000.0,
                    **values,
                }
            )

        # Gamma: an open opportunity of Tom's, which Sonia may not read
        cls.gamma_deal = opportunity("Gamma deal", p["Gamma"], cls.tom)
        # Delta: one won and one lost, neither open
        opportunity("Delta won", p["Delta"], cls.sonia).action_set_won()
        opportunity("Delta lost", p["Delta"], cls.sonia).action_set_lost()
        # Kappa: a plain lead, and an opportunity of the other company
        opportunity("Kappa lead", p["Kappa"], cls.sonia, type="lead")
        opportunity("Kappa elsewhere", p["Kappa"], cls.lena, company_id=cls.other_company.id)
        # Eta: an open opportunity of one of its contacts
        opportunity("Eta deal", cls.eta_contact, cls.sam)

    @classmethod
    def _scores(cls, company, run_date, rows, latest):
        return (
            cls.env["salesperf.customer.score"]
            .sudo()
            .create(
                [
                    {
                        "company_id": company.id,
                        "partner_id": cls.partners[name].id,
                        "user_id": user.id if user else False,
                        "team_id": team.id if team else False,
                        "month": run_date.replace(day=1),
                        "date": run_date,
                        "is_latest": latest,
                        "risk_status": status,
                        "risk_reason": f"{name} is slipping" if status == "at_risk" else False,
                        "value_at_risk": var,
                        "clv": clv,
                        "revenue_12m": rev,
                        "method": method,
                    }
                    for name, user, team, status, var, clv, rev, method in rows
                ]
            )
        )

    def _panel(self, user, **kwargs):
        return (
            self.env["salesperf.target"]
            .with_user(user)
            .with_context(allowed_company_ids=self.company.ids)
            .get_pipeline_panel(**kwargs)["customers"]
        )

    def _names(self, lines):
        return [line["name"] for line in lines]

    # ------------------------------------------------------------
    # GOALS PANEL
    # ------------------------------------------------------------

    def test_salesperson_sees_her_own_customers(self):
        customers = self._panel(self.sonia)
        # Alpha 800 + Beta 300 = 1,100; Zeta (Sam's) and the other
        # company's Alpha are not hers to read
        self.assertEqual(customers["at_risk_count"], 2)
        self.assertEqual(
            customers["value_at_risk"],
            [{"currency_id": self.currency_xsa.id, "amount": 1100.0}],
        )
        self.assertEqual(self._names(customers["at_risk"]), ["Alpha", "Beta"])
        alpha = customers["at_risk"][0]
        self.assertEqual(alpha["partner_id"], self.partners["Alpha"].id)
        self.assertEqual(alpha["value"], 800.0)
        self.assertEqual(alpha["reason"], "Alpha is slipping")
        self.assertEqual(alpha["currency_id"], self.currency_xsa.id)
        # not churned, without an open opportunity: Delta 4,500 (revenue,
        # scored by the fallback) > Kappa 2,500 > Alpha 1,500 > Beta 900
        # (lifetime values); Gamma has Tom's open deal, Epsilon churned
        valuable = customers["valuable"]
        self.assertEqual(self._names(valuable), ["Delta", "Kappa", "Alpha", "Beta"])
        self.assertEqual([line["value"] for line in valuable], [4500.0, 2500.0, 1500.0, 900.0])
        self.assertEqual(
            [line["basis"] for line in valuable[:2]],
            ["Revenue of the last 12 months", "Lifetime value"],
        )
        self.assertIn(self.currency_xsa.id, customers["currency_ids"])

    def test_record_rules_decide_whatever_the_domain(self):
        # asked for every customer of the company, Sonia still gets her own
        insight = (
            self.env["salesperf.target"]
            .with_user(self.sonia)
            .with_context(allowed_company_ids=self.company.ids)
            ._customer_insight([("company_id", "=", self.company.id)])
        )
        self.assertEqual(self._names(insight["at_risk"]), ["Alpha", "Beta"])
        self.assertEqual(self._names(insight["valuable"]), ["Delta", "Kappa", "Alpha", "Beta"])
        # and she may not choose her team's customers in the panel
        with self.assertRaises(AccessError):
            self._panel(self.sonia, scope="team", owner_id=self.team_north.id)

    def test_open_opportunity_of_a_colleague_excludes_the_customer(self):
        # Sonia cannot read Tom's Gamma deal, yet Gamma is being worked on
        self.assertFalse(
            self.env["crm.lead"].with_user(self.sonia).search([("id", "=", self.gamma_deal.id)])
        )
        self.assertNotIn("Gamma", self._names(self._panel(self.sonia)["valuable"]))
        # once won, Gamma (5,000) leads her list
        self.gamma_deal.action_set_won()
        self.assertEqual(
            self._names(self._panel(self.sonia)["valuable"]),
            ["Gamma", "Delta", "Kappa", "Alpha", "Beta"],
        )

    def test_leader_sees_the_team(self):
        # Sam leads North: his panel opens on the team
        customers = self._panel(self.sam)
        # Zeta 1,200 + Alpha 800 + Beta 300 = 2,300
        self.assertEqual(customers["at_risk_count"], 3)
        self.assertEqual(customers["value_at_risk"][0]["amount"], 2300.0)
        self.assertEqual(self._names(customers["at_risk"]), ["Zeta", "Alpha", "Beta"])
        # Delta 4,500 > Kappa 2,500 > Alpha 1,500 > Beta 900 > Zeta 700 >
        # Lambda 100 (the sixth, cut); Gamma and Eta (its contact's deal) have
        # an open opportunity, Epsilon churned
        self.assertEqual(
            self._names(customers["valuable"]), ["Delta", "Kappa", "Alpha", "Beta", "Zeta"]
        )
        # his member's own customers, or his own
        sonia = self._panel(self.sam, scope="user", owner_id=self.sonia.id)
        self.assertEqual(self._names(sonia["at_risk"]), ["Alpha", "Beta"])
        own = self._panel(self.sam, scope="user", owner_id=self.sam.id)
        self.assertEqual(self._names(own["at_risk"]), ["Zeta"])
        self.assertEqual(self._names(own["valuable"]), ["Zeta", "Lambda"])
        # South is not his to look at
        with self.assertRaises(AccessError):
            self._panel(self.sam, scope="team", owner_id=self.team_south.id)

    def test_all_documents_sees_the_company_without_other_companies(self):
        # Lena may work in both companies, but only the test company is allowed
        customers = self._panel(self.lena)
        # Zeta 1,200 + Alpha 800 + Beta 300 = 2,300 (not the other company's 9,999)
        self.assertEqual(customers["at_risk_count"], 3)
        self.assertEqual(
            customers["value_at_risk"],
            [{"currency_id": self.currency_xsa.id, "amount": 2300.0}],
        )
        # Theta 6,000 > Delta 4,500 > Kappa 2,500 > Alpha 1,500 > Beta 900
        self.assertEqual(
            self._names(customers["valuable"]), ["Theta", "Delta", "Kappa", "Alpha", "Beta"]
        )
        south = self._panel(self.lena, scope="team", owner_id=self.team_south.id)
        self.assertEqual(south["at_risk_count"], 0)
        self.assertEqual(south["value_at_risk"], [])
        self.assertEqual(self._names(south["valuable"]), ["Theta"])

    def test_limit(self):
        insight = (
            self.env["salesperf.target"]
            .with_user(self.lena)
            .with_context(allowed_company_ids=self.company.ids)
            ._customer_insight([("team_id", "=", self.team_north.id)], limit=2)
        )
        # the count and the value at risk stay the whole team's
        self.assertEqual(insight["at_risk_count"], 3)
        self.assertEqual(self._names(insight["at_risk"]), ["Zeta", "Alpha"])
        self.assertEqual(self._names(insight["valuable"]), ["Delta", "Kappa"])

    def test_query_count_does_not_grow_with_the_customers(self):
        def count(user=self.sam, domain=(("team_id", "=", self.team_north.id),)):
            target = (
                self.env["salesperf.target"]
                .with_user(user)
                .with_context(allowed_company_ids=self.company.ids)
            )
            self.env.invalidate_all()
            target._customer_insight(list(domain))  # warm the rules' caches
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            target._customer_insight(list(domain))
            return self.cr.sql_log_count - before

        # statuses, methods and at-risk totals 1, largest values at risk 1,
        # highest lifetime values 1, highest revenues (Delta's fallback) 1,
        # the customers' names 1, their companies' names and currencies 1
        first = count()
        self.assertEqual(first, 6)
        # Tom's customers: nobody at risk, all scored by the model: the
        # statuses 1, highest lifetime values 1, names 1, company 1
        self.assertEqual(count(self.tom, [("user_id", "=", self.tom.id)]), 4)
        # nobody scored: the statuses only
        self.assertEqual(count(self.tom, [("user_id", "=", self.lena.id)]), 1)
        more = self.env["res.partner"].create(
            [{"name": f"More {n}", "is_company": True} for n in range(20)]
        )
        self.env["salesperf.customer.score"].sudo().create(
            [
                {
                    "company_id": self.company.id,
                    "partner_id": partner.id,
                    "user_id": self.sonia.id,
                    "team_id": self.team_north.id,
                    "month": date(2025, 3, 1),
                    "date": date(2025, 3, 10),
                    "is_latest": True,
                    "risk_status": "at_risk",
                    "value_at_risk": 10.0 * n,
                    "clv": 10.0 * n,
                    "method": "bgnbd",
                }
                for n, partner in enumerate(more)
            ]
        )
        self.assertEqual(count(), first)

    # ------------------------------------------------------------
    # WEEKLY EMAIL
    # ------------------------------------------------------------

    def _digest(self, user):
        return self.env["salesperf.weekly.digest.log"]._weekly_digest_values(user)

    def _render(self, user, values):
        template = self.env.ref("salesperf_odoo.mail_template_salesperf_weekly_digest")
        return template.with_context(salesperf_weekly_digest=values)._render_field(
            "body_html", [user.id]
        )[user.id]

    def test_weekly_email_lists_the_recipients_customers(self):
        values = self._digest(self.sonia)["customers"]
        self.assertEqual(values["scope"], "Sonia")
        self.assertEqual(self._names(values["at_risk"]), ["Alpha", "Beta"])
        # 800 + 300
        self.assertEqual(values["value_at_risk_total"], 1100.0)
        self.assertEqual(self._names(values["valuable"]), ["Delta", "Kappa", "Alpha", "Beta"])
        base_url = self.sonia.get_base_url()
        alpha = self.partners["Alpha"].id
        self.assertEqual(
            values["at_risk"][0]["url"],
            f"{base_url}{CUSTOMER_360_URL}{alpha}",
        )
        body = self._render(self.sonia, self._digest(self.sonia))
        self.assertIn("Customers at risk", body)
        self.assertIn("Highest value customers without an open opportunity", body)
        self.assertIn(
            f'href="{base_url}{CUSTOMER_360_URL}{alpha}"',
            body,
        )
        self.assertIn("Alpha is slipping", body)
        # the team leader's email: his team's customers
        sam = self._digest(self.sam)["customers"]
        self.assertEqual(sam["scope"], "North")
        self.assertEqual(self._names(sam["at_risk"]), ["Zeta", "Alpha", "Beta"])
        # 1,200 + 800 + 300
        self.assertEqual(sam["value_at_risk_total"], 2300.0)

    def test_weekly_email_shows_only_lists_with_customers(self):
        # Tom: nobody at risk, Theta without an open opportunity
        values = self._digest(self.tom)
        self.assertEqual(values["customers"]["at_risk"], [])
        self.assertEqual(self._names(values["customers"]["valuable"]), ["Theta"])
        body = self._render(self.tom, values)
        self.assertNotIn("Customers at risk", body)
        self.assertIn("Highest value customers without an open opportunity", body)
        self.assertIn(
            f"{CUSTOMER_360_URL}{self.partners['Theta'].id}",
            body,
        )
        # once Theta has an open opportunity, neither list is shown
        self.env["crm.lead"].create(
            {
                "name": "Theta deal",
                "type": "opportunity",
                "partner_id": self.partners["Theta"].id,
                "user_id": self.tom.id,
                "company_id": self.company.id,
            }
        )
        body = self._render(self.tom, self._digest(self.tom))
        self.assertNotIn("Highest value customers", body)
        self.assertNotIn("Customers at risk", body)

    # ------------------------------------------------------------
    # KPIS
    # ------------------------------------------------------------

    def _kpis(self, dimension, period=MARCH, user=None):
        kpi = self.env["salesperf.kpi"].with_user(user or self.lena)
        kpi = kpi.with_context(allowed_company_ids=self.company.ids)
        return kpi._compute_kpis(period, dimension, self.company)

    def _customer_kpis(self, kpis, key):
        # an entity without any measure of the period has no row: all zero
        row = kpis.get(key, derive_kpis({}))
        return row["active_customers"], row["churned_customers"], row["value_at_risk"]

    def test_kpis_of_the_period_in_progress_per_user_team_company(self):
        # March is in progress on 14 March: the latest rows
        users = self._kpis("user")
        company = self.company.id
        # Sonia: active Alpha, Beta, Gamma, Delta, Kappa = 5 (at risk counts
        # as active), churned Epsilon 1, at risk 800 + 300 = 1,100
        self.assertEqual(self._customer_kpis(users, (self.sonia.id, company)), (5, 1, 1100.0))
        # Sam: Zeta, Eta, Lambda active = 3, none churned, Zeta's 1,200
        self.assertEqual(self._customer_kpis(users, (self.sam.id, company)), (3, 0, 1200.0))
        # Tom: Theta active, Iota churned
        self.assertEqual(self._customer_kpis(users, (self.tom.id, company)), (1, 1, 0.0))
        # Mu has no salesperson
        self.assertEqual(self._customer_kpis(users, (False, company)), (1, 0, 0.0))
        teams = self._kpis("team")
        # North: 5 + 3 = 8 active, 1 churned, 1,100 + 1,200 = 2,300
        self.assertEqual(self._customer_kpis(teams, (self.team_north.id, company)), (8, 1, 2300.0))
        self.assertEqual(self._customer_kpis(teams, (self.team_south.id, company)), (1, 1, 0.0))
        companies = self._kpis("company")
        # 8 + 1 + 1 (Mu) = 10 active, 1 + 1 = 2 churned, 2,300 at risk; the
        # other company's 9,999 is neither here nor under its own key
        self.assertEqual(self._customer_kpis(companies, (company, company)), (10, 2, 2300.0))
        self.assertEqual(set(companies), {(company, company)})
        self.assertNotIn((self.sonia.id, self.other_company.id), users)

    def test_kpis_of_a_closed_period_read_its_last_month(self):
        # February is over: February's rows, whatever came later
        users = self._kpis("user", FEBRUARY)
        company = self.company.id
        # Sonia: Alpha, Beta, Epsilon active; Beta's 250 at risk
        self.assertEqual(self._customer_kpis(users, (self.sonia.id, company)), (3, 0, 250.0))
        # Sam: Zeta churned
        self.assertEqual(self._customer_kpis(users, (self.sam.id, company)), (0, 1, 0.0))
        self.assertEqual(self._customer_kpis(users, (self.tom.id, company)), (0, 0, 0.0))
        # the first quarter is in progress: the latest rows, as March
        quarter = self._kpis("company", period_containing("quarter", date(2025, 3, 1)))
        self.assertEqual(self._customer_kpis(quarter, (company, company)), (10, 2, 2300.0))
        # a period ending in January, when no score was run: nothing
        january = self._kpis("company", Period(date(2025, 1, 1), date(2025, 1, 31)))
        self.assertEqual(self._customer_kpis(january, (company, company)), (0, 0, 0.0))

    def test_kpi_comparison_and_rights(self):
        comparison = (
            self.env["salesperf.kpi"]
            .with_user(self.lena)
            ._compute_kpi_comparison(MARCH, "user", self.company)
        )
        sonia = comparison[(self.sonia.id, self.company.id)]
        # March so far (latest rows) against 1 to 14 February (February's
        # rows) and March 2024 (no rows)
        self.assertEqual(sonia["current"]["active_customers"], 5)
        self.assertEqual(sonia["previous"]["active_customers"], 3)
        self.assertEqual(sonia["last_year"]["active_customers"], 0)
        self.assertEqual(sonia["previous"]["value_at_risk"], 250.0)
        # a salesperson measures only the customers she may read: her team's
        # figure is hers
        teams = self._kpis("team", user=self.sonia)
        self.assertEqual(
            self._customer_kpis(teams, (self.team_north.id, self.company.id)), (5, 1, 1100.0)
        )

    def test_kpi_details_list_the_scores_counted(self):
        kpi = self.env["salesperf.kpi"].with_user(self.lena)
        expected = {
            "active_customers": ["Alpha", "Beta", "Delta", "Gamma", "Kappa"],
            "churned_customers": ["Epsilon"],
            "value_at_risk": ["Alpha", "Beta"],
        }
        for code, names in expected.items():
            with self.subTest(code):
                action = kpi._action_kpi_details(code, MARCH, "user", self.sonia.id, self.company)
                self.assertEqual(action["res_model"], "salesperf.customer.score")
                records = (
                    self.env[action["res_model"]].with_user(self.lena).search(action["domain"])
                )
                self.assertEqual(sorted(records.partner_id.mapped("name")), names)
        # February's details: February's rows
        action = kpi._action_kpi_details(
            "value_at_risk", FEBRUARY, "user", self.sonia.id, self.company
        )
        records = self.env["salesperf.customer.score"].search(action["domain"])
        self.assertEqual(records.partner_id.mapped("name"), ["Beta"])
        self.assertEqual(records.month, date(2025, 2, 1))


@tagged("post_install", "-at_install")
@freeze_time("2025-03-14 12:00:00")
class TestCustomerInsightOtherCompanyUser(SalesperfCommon):
    """A salesperson of two companies sees each company's customers in it."""

    def test_each_company_in_its_own_figures(self):
        other = self.env["res.company"].create(
            {"name": "Salesperf Second Company", "currency_id": self.currency_xsb.id}
        )
        nora = new_test_user(
            self.env,
            login="nora",
            name="Nora",
            groups="sales_team.group_sale_salesman",
            company_id=self.company.id,
            company_ids=[Command.set((self.company | other).ids)],
        )
        Score = self.env["salesperf.customer.score"].sudo()
        for company, value in ((self.company, 100.0), (other, 40.0)):
            Score.create(
                {
                    "company_id": company.id,
                    "partner_id": self.customer_a.id,
                    "user_id": nora.id,
                    "month": date(2025, 3, 1),
                    "date": date(2025, 3, 3),
                    "is_latest": True,
                    "risk_status": "at_risk",
                    "value_at_risk": value,
                }
            )
        target = self.env["salesperf.target"].with_user(nora)
        one = target.with_context(allowed_company_ids=self.company.ids).get_pipeline_panel()
        self.assertEqual(one["customers"]["value_at_risk"][0]["amount"], 100.0)
        both = target.with_context(
            allowed_company_ids=(self.company | other).ids
        ).get_pipeline_panel()
        # one line per company, each in its company's currency: 100 + 40
        self.assertEqual(both["customers"]["at_risk_count"], 2)
        self.assertEqual(
            sorted(line["company"] for line in both["customers"]["at_risk"]),
            sorted([self.company.name, other.name]),
        )
        amounts = {
            total["currency_id"]: total["amount"] for total in both["customers"]["value_at_risk"]
        }
        # never added across currencies: 100 XSA and 40 XSB
        self.assertEqual(amounts, {self.currency_xsa.id: 100.0, self.currency_xsb.id: 40.0})
        kpis = (
            self.env["salesperf.kpi"]
            .with_user(nora)
            .with_context(allowed_company_ids=(self.company | other).ids)
            ._compute_kpis(MARCH, "user", self.company | other)
        )
        self.assertEqual(kpis[(nora.id, self.company.id)]["value_at_risk"], 100.0)
        self.assertEqual(kpis[(nora.id, other.id)]["value_at_risk"], 40.0)
