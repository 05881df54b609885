# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date, datetime

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, freeze_time, new_test_user, tagged

from .common import SalesperfCommon, SalesperfRpcCase

TODAY = "2025-03-20 12:00:00"


class CommissionEstimateCommon(SalesperfCommon):
    """Two plans in use since January 2025, in the company currency XSA:

    - "Field" (Sonia): monthly, sales ordered, revenue, graduated tiers
      5 % on 0–1,000 and 10 % above, 25 per new customer; her March target
      is 2,000;
    - "Margin" (Sam): monthly, sales ordered, margin, flat 10 %, no target.

    Tom has no plan. Carla is a Commission Manager.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Plan = cls.env["salesperf.commission.plan"]
        cls.plan_field = Plan.create(
            {
                "name": "Field",
                "company_id": cls.company.id,
                "period_kind": "month",
                "basis": "ordered",
                "measure": "revenue",
                "tier_basis": "amount",
                "tier_mode": "graduated",
                "tier_ids": [
                    Command.create({"lower": 0.0, "upper": 1000.0, "rate": 5.0}),
                    Command.create({"lower": 1000.0, "is_open": True, "rate": 10.0}),
                ],
                "bonus_ids": [
                    Command.create(
                        {"name": "New customer", "condition": "new_customer", "amount": 25.0}
                    )
                ],
                "state": "active",
                "assignment_ids": [
                    Command.create({"user_id": cls.sonia.id, "date_from": date(2025, 1, 1)})
                ],
            }
        )
        cls.plan_margin = Plan.create(
            {
                "name": "Margin",
                "company_id": cls.company.id,
                "period_kind": "month",
                "basis": "ordered",
                "measure": "margin",
                "rate": 10.0,
                "state": "active",
                "assignment_ids": [
                    Command.create({"user_id": cls.sam.id, "date_from": date(2025, 1, 1)})
                ],
            }
        )
        target = cls.env["salesperf.target"].create(
            {
                "scope": "user",
                "user_id": cls.sonia.id,
                "team_id": cls.team_north.id,
                "metric": "revenue",
                "period_kind": "month",
                "date_from": date(2025, 3, 1),
                "amount": 2000.0,
                "company_id": cls.company.id,
            }
        )
        target.action_confirm()
        cls.carla = new_test_user(
            cls.env,
            login="carla",
            groups="sales_team.group_sale_salesman_all_leads,"
            "salesperf_odoo.group_salesperf_commission_manager",
            name="Carla",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.Estimate = cls.env["salesperf.commission.estimate"]

    def _opportunity(self, user, partner, expected_revenue):
        return self.env["crm.lead"].create(
            {
                "name": f"Deal of {user.name} with {partner.name}",
                "type": "opportunity",
                "user_id": user.id,
                "team_id": (self.team_south if user == self.tom else self.team_north).id,
                "company_id": self.company.id,
                "partner_id": partner.id,
                "expected_revenue": expected_revenue,
            }
        )

    def _sonia_march_order(self):
        """8 × 100 = 800 on 5 March, Acme's first purchase ever."""
        return self._create_order(
            self.sonia, self.customer_a, date(2025, 3, 5), [(self.product_x, 8, 100.0, 40.0)]
        )


@tagged("post_install", "-at_install")
class TestCommissionEstimate(CommissionEstimateCommon):
    # ------------------------------------------------------------
    # OPPORTUNITY
    # ------------------------------------------------------------

    @freeze_time(TODAY)
    def test_opportunity_crosses_a_tier(self):
        self._sonia_march_order()
        lead = self._opportunity(self.sonia, self.customer_b, 500.0).with_user(self.sonia)
        # before: 800 × 5 % = 40 + 25 (Acme, new in March) = 65
        # after: 1,300 → 1,000 × 5 % + 300 × 10 % = 80, + 25 (Acme) + 25 (Bolt,
        # who never bought) = 130; the deal adds 130 − 65 = 65
        self.assertTrue(lead.salesperf_commission_shown)
        self.assertFalse(lead.salesperf_commission_note)
        self.assertAlmostEqual(lead.salesperf_commission_estimate, 65.0, places=2)
        # attainment 800 / 2,000 = 40 % → 1,300 / 2,000 = 65 %
        self.assertTrue(lead.salesperf_commission_has_target)
        self.assertAlmostEqual(lead.salesperf_attainment_before, 40.0)
        self.assertAlmostEqual(lead.salesperf_attainment_after, 65.0)

        result = self.Estimate.with_user(self.sonia)._estimate(
            self.sonia, self.company, 500.0, date(2025, 3, 20), partner=self.customer_b
        )
        self.assertEqual(result["plan"], self.plan_field)
        self.assertEqual(
            (result["period"].start, result["period"].end), (date(2025, 3, 1), date(2025, 3, 31))
        )
        self.assertEqual(result["currency"], self.currency_xsa)
        self.assertAlmostEqual(result["commission_before"], 65.0, places=2)
        self.assertAlmostEqual(result["commission_after"], 130.0, places=2)
        self.assertAlmostEqual(result["delta"], 65.0, places=2)
        self.assertEqual(result["reason"], "")

    @freeze_time(TODAY)
    def test_form_follows_the_expected_revenue(self):
        self._sonia_march_order()
        Lead = self.env["crm.lead"].with_user(self.sonia).with_context(default_type="opportunity")
        with Form(Lead) as form:
            form.name = "Bolt renewal"
            form.partner_id = self.customer_b
            self.assertFalse(form.salesperf_commission_shown)  # no revenue yet
            form.expected_revenue = 1500.0
            # 2,300: 1,000 × 5 % + 1,300 × 10 % = 180, + 25 + 25 = 230; 230 − 65 = 165;
            # attainment 40 % → 2,300 / 2,000 = 115 %
            self.assertTrue(form.salesperf_commission_shown)
            self.assertAlmostEqual(form.salesperf_commission_estimate, 165.0, places=2)
            self.assertAlmostEqual(form.salesperf_attainment_after, 115.0)
            form.expected_revenue = 200.0
            # 1,000: 200 × 5 % = 10, + 25 (Bolt) = 35
            self.assertAlmostEqual(form.salesperf_commission_estimate, 35.0, places=2)

    @freeze_time(TODAY)
    def test_customer_who_bought_from_someone_else_is_not_new(self):
        self._sonia_march_order()
        # Core bought from Tom in February: in March it is nobody's new customer,
        # though Sonia cannot read Tom's orders
        self._create_order(
            self.tom, self.customer_c, date(2025, 2, 10), [(self.product_y, 1, 40.0, 25.0)]
        )
        lead = self._opportunity(self.sonia, self.customer_c, 500.0).with_user(self.sonia)
        # after: 80 + 25 (Acme) = 105; the deal adds 105 − 65 = 40 (no bonus)
        self.assertAlmostEqual(lead.salesperf_commission_estimate, 40.0, places=2)

    @freeze_time(TODAY)
    def test_won_lost_and_empty_opportunities_show_nothing(self):
        self._sonia_march_order()
        lead = self._opportunity(self.sonia, self.customer_b, 0.0)
        self.assertFalse(lead.with_user(self.sonia).salesperf_commission_shown)
        lead.expected_revenue = 500.0
        lead.action_set_won()
        self.assertFalse(lead.with_user(self.sonia).salesperf_commission_shown)

    @freeze_time(TODAY)
    def test_leads_of_one_salesperson_read_their_sales_once(self):
        self._sonia_march_order()
        leads = self.env["crm.lead"]
        for expected in (100.0, 200.0, 300.0):
            leads |= self._opportunity(self.sonia, self.customer_b, expected)
        leads = leads.with_user(self.sonia)
        first = self.env["crm.lead"].browse(leads[0].id).with_user(self.sonia)

        def queries(records):
            self.env.invalidate_all()
            count = self.env.cr.sql_log_count
            records.mapped("salesperf_commission_estimate")
            return self.env.cr.sql_log_count - count

        queries(leads), queries(first)  # warm the caches of rights and rules
        # three leads of one salesperson cost what one costs: her sales,
        # target and plan are read once, whatever the number of leads
        self.assertEqual(queries(leads), queries(first))
        # each alone on top of 800, + 25 for Bolt: 100 × 5 % = 5 → 30;
        # 200 × 5 % = 10 → 35; 300: 200 × 5 % + 100 × 10 % = 20 → 45
        self.assertEqual(
            [round(value, 2) for value in leads.mapped("salesperf_commission_estimate")],
            [30.0, 35.0, 45.0],
        )

    # ------------------------------------------------------------
    # QUOTATION
    # ------------------------------------------------------------

    @freeze_time(TODAY)
    def test_quotation_in_foreign_currency_crosses_a_tier(self):
        self._sonia_march_order()
        quotation = self._create_order(
            self.sonia,
            self.customer_a,
            datetime(2025, 3, 20, 10),
            [(self.product_y, 10, 120.0, 25.0)],
            pricelist=self.pricelist_xsb,
            state="draft",
        ).with_user(self.sonia)
        # 10 × 120 = 1,200 XSB at the rate 4 of 20 March = 300 XSA
        # after: 1,100 → 1,000 × 5 % + 100 × 10 % = 60, + 25 (Acme, already
        # new in March: paid once) = 85; the quotation adds 85 − 65 = 20
        self.assertTrue(quotation.salesperf_commission_shown)
        self.assertAlmostEqual(quotation.salesperf_commission_estimate, 20.0, places=2)
        # attainment 40 % → 1,100 / 2,000 = 55 %
        self.assertAlmostEqual(quotation.salesperf_attainment_before, 40.0)
        self.assertAlmostEqual(quotation.salesperf_attainment_after, 55.0)
        # confirmed, it is counted in the sales: nothing more to estimate
        quotation.sudo().action_confirm()
        self.assertFalse(quotation.salesperf_commission_shown)

    @freeze_time(TODAY)
    def test_quotation_split_credits_the_share(self):
        self._sonia_march_order()
        quotation = self._create_order(
            self.sonia,
            self.customer_a,
            datetime(2025, 3, 20, 10),
            [(self.product_y, 10, 120.0, 25.0)],
            pricelist=self.pricelist_xsb,
            state="draft",
        )
        quotation.salesperf_split_ids = [
            Command.create({"user_id": self.sonia.id, "share": 50.0}),
            Command.create({"user_id": self.sam.id, "share": 50.0}),
        ]
        # Sonia's half of 300 = 150: 950 stays in the 5 % band, 150 × 5 % = 7.50;
        # attainment 950 / 2,000 = 47.5 %
        quotation = quotation.with_user(self.sonia)
        self.assertAlmostEqual(quotation.salesperf_commission_estimate, 7.5, places=2)
        self.assertAlmostEqual(quotation.salesperf_attainment_after, 47.5)

    @freeze_time(TODAY)
    def test_margin_plan_waits_for_a_quotation(self):
        lead = self._opportunity(self.sam, self.customer_b, 1000.0)
        self.assertTrue(lead.with_user(self.sam).salesperf_commission_shown)
        self.assertEqual(
            lead.with_user(self.sam).salesperf_commission_note, "Margin unknown until quoted."
        )
        self.assertEqual(lead.with_user(self.sam).salesperf_commission_estimate, 0.0)
        quotation = self._create_order(
            self.sam,
            self.customer_b,
            datetime(2025, 3, 20, 10),
            [(self.product_x, 2, 100.0, 40.0)],
            state="draft",
        )
        quotation.opportunity_id = lead
        lead.invalidate_recordset()
        lead = lead.with_user(self.sam)
        # margin 2 × (100 − 40) = 120 at 10 % = 12; Sam has no target
        self.assertFalse(lead.salesperf_commission_note)
        self.assertAlmostEqual(lead.salesperf_commission_estimate, 12.0, places=2)
        self.assertFalse(lead.salesperf_commission_has_target)
        self.assertAlmostEqual(
            quotation.with_user(self.sam).salesperf_commission_estimate, 12.0, places=2
        )

    # ------------------------------------------------------------
    # NO PLAN, RIGHTS
    # ------------------------------------------------------------

    @freeze_time(TODAY)
    def test_no_plan_shows_nothing(self):
        lead = self._opportunity(self.tom, self.customer_b, 500.0).with_user(self.tom)
        self.assertFalse(lead.salesperf_commission_shown)
        self.assertEqual(lead.salesperf_commission_estimate, 0.0)
        result = self.Estimate.with_user(self.tom)._estimate(
            self.tom, self.company, 500.0, date(2025, 3, 20)
        )
        self.assertEqual(result["reason_code"], "no_plan")
        self.assertEqual(result["reason"], "No commission plan on 03/20/2025.")
        self.assertIsNone(result["delta"])
        self.assertIsNone(result["plan"])

    @freeze_time(TODAY)
    def test_nobody_else_reads_a_salesperson_figures(self):
        self._sonia_march_order()
        lead = self._opportunity(self.sonia, self.customer_b, 500.0)
        figures = (
            "plan",
            "period",
            "target",
            "attainment_before",
            "attainment_after",
            "commission_before",
            "commission_after",
            "delta",
        )
        # Sam (own documents) cannot read her lead, nor ask for her figures;
        # leading her team with his own documents only changes nothing
        with self.assertRaises(AccessError):
            lead.with_user(self.sam).salesperf_commission_estimate  # noqa: B018
        self.team_north.user_id = self.sam
        result = self.Estimate.with_user(self.sam)._estimate(
            self.sonia, self.company, 500.0, date(2025, 3, 20)
        )
        self.assertEqual(result["reason_code"], "not_allowed")
        self.assertEqual([result[name] for name in figures], [None] * len(figures))
        # Lena (all documents) reads the lead, not her pay
        self.team_north.user_id = False
        self.assertFalse(lead.with_user(self.lena).salesperf_commission_shown)
        self.assertEqual(lead.with_user(self.lena).salesperf_commission_estimate, 0.0)
        # leading Sonia's team, she does
        self.team_north.user_id = self.lena
        lead.invalidate_recordset()
        self.assertAlmostEqual(
            lead.with_user(self.lena).salesperf_commission_estimate, 65.0, places=2
        )
        # and a Commission Manager reads everyone's
        lead.invalidate_recordset()
        self.assertAlmostEqual(
            lead.with_user(self.carla).salesperf_commission_estimate, 65.0, places=2
        )


@tagged("post_install", "-at_install")
class TestCommissionWhatif(CommissionEstimateCommon):
    """February 2025: Sonia sold 1,200 (Acme, new) and, after her statement
    was computed, 100 more; Sam sold 400 with a margin of 150; Tom (no plan)
    300. The candidate: monthly, sales ordered, revenue, retroactive tiers
    4 % below 1,000 and 7 % from 1,000."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_order(
            cls.sonia, cls.customer_a, date(2025, 2, 10), [(cls.product_x, 12, 100.0, 40.0)]
        )
        cls._create_order(
            cls.sam, cls.customer_b, date(2025, 2, 12), [(cls.product_y, 10, 40.0, 25.0)]
        )
        cls._create_order(
            cls.tom, cls.customer_c, date(2025, 2, 15), [(cls.product_x, 3, 100.0, 40.0)]
        )
        cls.Statement = cls.env["salesperf.commission.statement"]
        cls.Statement._compute_period(cls.company, date(2025, 2, 28), users=cls.sonia)
        cls._create_order(
            cls.sonia, cls.customer_a, date(2025, 2, 20), [(cls.product_x, 1, 100.0, 40.0)]
        )
        cls.candidate = cls.env["salesperf.commission.plan"].create(
            {
                "name": "Candidate",
                "company_id": cls.company.id,
                "period_kind": "month",
                "basis": "ordered",
                "measure": "revenue",
                "tier_basis": "amount",
                "tier_mode": "retroactive",
                "tier_ids": [
                    Command.create({"lower": 0.0, "upper": 1000.0, "rate": 4.0}),
                    Command.create({"lower": 1000.0, "is_open": True, "rate": 7.0}),
                ],
            }
        )

    def _whatif(self, user, day=date(2025, 2, 14)):
        return (
            self.env["salesperf.commission.whatif"]
            .with_user(user)
            .create({"plan_id": self.candidate.id, "date": day})
        )

    def test_candidate_against_current_plans(self):
        statement = self.Statement.search([("company_id", "=", self.company.id)])
        # Sonia's statement: 1,000 × 5 % + 200 × 10 % = 70, + 25 (Acme) = 95
        self.assertAlmostEqual(statement.total_amount, 95.0)
        wizard = self._whatif(self.carla)
        wizard.action_compute()
        self.assertEqual((wizard.date_from, wizard.date_to), (date(2025, 2, 1), date(2025, 2, 28)))
        rows = {
            line.user_id: (
                line.current_plan_id,
                line.current_source,
                round(line.current_amount, 2),
                round(line.candidate_amount, 2),
                round(line.difference, 2),
                round(line.difference_percent, 2),
            )
            for line in wizard.line_ids
        }
        self.assertEqual(
            rows,
            {
                # current: her statement's 95 (not the 105 her 1,300 would pay
                # now); candidate: 1,300 reaches the 7 % band: 1,300 × 7 % = 91;
                # 91 − 95 = −4, −4 / 95 = −4.2105… ≈ −4.21 %
                self.sonia: (self.plan_field, "statement", 95.0, 91.0, -4.0, -4.21),
                # current: margin 10 × (40 − 25) = 150 × 10 % = 15, computed;
                # candidate: revenue 400 × 4 % = 16; +1, 1 / 15 = +6.666… ≈ +6.67 %
                self.sam: (self.plan_margin, "computed", 15.0, 16.0, 1.0, 6.67),
            },
        )
        # totals: 95 + 15 = 110 against 91 + 16 = 107: −3, −3 / 110 = −2.727… ≈ −2.73 %
        self.assertAlmostEqual(wizard.current_total, 110.0)
        self.assertAlmostEqual(wizard.candidate_total, 107.0)
        self.assertAlmostEqual(wizard.difference, -3.0)
        self.assertAlmostEqual(wizard.difference_percent, -2.73)
        # nothing written: one statement still, the candidate still a draft
        self.assertEqual(self.Statement.search([("company_id", "=", self.company.id)]), statement)
        self.assertAlmostEqual(statement.total_amount, 95.0)
        self.assertEqual(self.candidate.state, "draft")
        self.assertFalse(self.candidate.assignment_ids)

    def test_quarterly_candidate_against_monthly_plans(self):
        candidate = self.candidate.copy({"name": "Quarterly", "period_kind": "quarter"})
        wizard = (
            self.env["salesperf.commission.whatif"]
            .with_user(self.carla)
            .create({"plan_id": candidate.id, "date": date(2025, 2, 14)})
        )
        wizard.action_compute()
        self.assertEqual((wizard.date_from, wizard.date_to), (date(2025, 1, 1), date(2025, 3, 31)))
        rows = {
            line.user_id: (round(line.current_amount, 2), round(line.candidate_amount, 2))
            for line in wizard.line_ids
        }
        # current: the three months of Q1, January and March without sales:
        # Sonia 0 + 95 (statement) + 0, Sam 0 + 15 + 0; the candidate on the
        # quarter's sales: Sonia 1,300 × 7 % = 91, Sam 400 × 4 % = 16
        self.assertEqual(rows, {self.sonia: (95.0, 91.0), self.sam: (15.0, 16.0)})
        self.assertAlmostEqual(wizard.difference, -3.0)

    def test_period_not_started_is_refused(self):
        wizard = self._whatif(self.carla, day=date(2099, 1, 15))
        with self.assertRaisesRegex(UserError, "has not started"):
            wizard.action_compute()
        self.assertFalse(wizard.line_ids)
        self.assertFalse(wizard.computed)

    def test_salesperson_cannot_run_it(self):
        with self.assertRaises(AccessError):
            self._whatif(self.sonia)
        wizard = self._whatif(self.carla)
        with self.assertRaises(AccessError):
            wizard.with_user(self.sonia).action_compute()
        # a Sales Performance administrator is no Commission Manager either
        administrator = new_test_user(
            self.env,
            login="adam",
            groups="sales_team.group_sale_manager",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        with self.assertRaises(AccessError):
            self._whatif(administrator)
        self.assertFalse(wizard.line_ids)


@tagged("post_install", "-at_install")
class TestCommissionEstimateOverJsonRpc(SalesperfRpcCase, CommissionEstimateCommon):
    """The same rights when the web client (or anyone) calls the server."""

    def assertRpcError(self, answer, error):
        self.assertIsInstance(answer, tuple, "the call should have failed")
        self.assertEqual(answer[0], f"odoo.exceptions.{error}", answer)

    def test_whatif_refused_to_a_salesperson(self):
        candidate = self.plan_field.copy({"name": "Candidate", "state": "draft"})
        wizard = (
            self.env["salesperf.commission.whatif"]
            .with_user(self.carla)
            .create({"plan_id": candidate.id, "date": date(2025, 2, 14)})
        )
        self.authenticate("sonia", "sonia")
        answer = self._call(
            "salesperf.commission.whatif",
            "create",
            [{"plan_id": candidate.id, "date": "2025-02-14"}],
        )
        self.assertRpcError(answer, "AccessError")
        answer = self._call("salesperf.commission.whatif", "action_compute", [wizard.ids])
        self.assertRpcError(answer, "AccessError")
        self.assertFalse(wizard.line_ids)

    def test_estimate_of_another_salesperson_over_rpc(self):
        lead = self._opportunity(self.sonia, self.customer_b, 500.0)
        fields = ["salesperf_commission_estimate", "salesperf_commission_shown"]
        self.authenticate("sam", "sam")
        self.assertRpcError(self._call("crm.lead", "read", [lead.ids, fields]), "AccessError")
        self.authenticate("lena", "lena")
        (values,) = self._call("crm.lead", "read", [lead.ids, fields])
        self.assertEqual(
            (values["salesperf_commission_estimate"], values["salesperf_commission_shown"]),
            (0.0, False),
        )
