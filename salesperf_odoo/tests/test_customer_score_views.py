# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date

from lxml import etree

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import SalesperfCommon


@tagged("post_install", "-at_install")
class TestCustomerScoreViews(SalesperfCommon):
    """The customer score and segment screens, their filters and the
    customer insight settings, as the users who work with them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Score = cls.env["salesperf.customer.score"]
        cls.segment_keep, cls.segment_win_back = cls.env["salesperf.customer.segment"].create(
            [
                {
                    "name": "Keep",
                    "company_id": cls.company.id,
                    "r_min": 3,
                    "r_max": 5,
                    "fm_min": 1,
                    "fm_max": 5,
                },
                {
                    "name": "Win Back",
                    "company_id": cls.company.id,
                    "r_min": 1,
                    "r_max": 2,
                    "fm_min": 1,
                    "fm_max": 5,
                    "is_at_risk": True,
                },
            ]
        )
        cls.customer_d, cls.customer_e, cls.customer_f = cls.env["res.partner"].create(
            [
                {"name": "Dune", "is_company": True},
                {"name": "Echo", "is_company": True},
                {"name": "Fjord", "is_company": True},
            ]
        )

        def score(partner, user, month, status, segment, latest=True):
            team = cls.team_south if user == cls.tom else cls.team_north
            return {
                "company_id": cls.company.id,
                "partner_id": partner.id,
                "user_id": user.id,
                "team_id": team.id,
                "month": month,
                "date": month.replace(day=3),
                "is_latest": latest,
                "risk_status": status,
                "segment_id": segment.id,
                "last_purchase": date(2025, 1, 15),
            }

        nov, dec = date(2025, 11, 1), date(2025, 12, 1)
        # Score rows are written by the refresh alone: fixtures go in as superuser.
        (
            cls.sonia_at_risk,
            cls.sonia_at_risk_before,
            cls.sonia_win_back,
            cls.sonia_active,
            cls.sonia_churned,
            cls.lena_at_risk,
            cls.sam_at_risk,
        ) = cls.Score.sudo().create(
            [
                # Sonia's: at risk now; the same customer at risk last month
                # (not the latest row); active but in a segment to win back;
                # plainly active; churned
                score(cls.customer_a, cls.sonia, dec, "at_risk", cls.segment_keep),
                score(cls.customer_a, cls.sonia, nov, "at_risk", cls.segment_keep, latest=False),
                score(cls.customer_b, cls.sonia, dec, "active", cls.segment_win_back),
                score(cls.customer_c, cls.sonia, dec, "active", cls.segment_keep),
                score(cls.customer_d, cls.sonia, nov, "churned", cls.segment_keep),
                # Lena's (she sees every customer) and Sam's, both at risk
                score(cls.customer_e, cls.lena, dec, "at_risk", cls.segment_keep),
                score(cls.customer_f, cls.sam, dec, "at_risk", cls.segment_keep),
            ]
        )
        cls.manager = new_test_user(
            cls.env,
            login="salesperf_settings_manager",
            groups="base.group_system,salesperf_odoo.group_salesperf_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    # ------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------

    def _filter_domain(self, user, name):
        """The domain of the search view's filter ``name``, as ``user`` gets it."""
        arch = self.Score.with_user(user).get_views([(False, "search")])["views"]["search"]["arch"]
        nodes = etree.fromstring(arch).xpath(f"//filter[@name='{name}']")
        self.assertEqual(len(nodes), 1, f"one filter {name}")
        return safe_eval(nodes[0].get("domain"), {"uid": user.id})

    def _search_filter(self, user, name):
        domain = self._filter_domain(user, name)
        return self.Score.with_user(user).search([("company_id", "=", self.company.id), *domain])

    # ------------------------------------------------------------
    # views
    # ------------------------------------------------------------

    def test_views_load_for_a_salesperson(self):
        view_types = ["list", "kanban", "pivot", "graph", "form", "search"]
        result = self.Score.with_user(self.sonia).get_views([(False, t) for t in view_types])
        archs = {t: etree.fromstring(result["views"][t]["arch"]) for t in view_types}
        for view_type in ("list", "kanban", "form"):
            # scores are written by the refresh: no create, edit or delete
            root = archs[view_type]
            for attribute in ("create", "edit", "delete"):
                self.assertIn(root.get(attribute), ("0", "false", "False"), view_type)
        kanban = archs["kanban"]
        self.assertEqual(kanban.get("default_group_by"), "segment_id")
        self.assertEqual(kanban.get("records_draggable"), "0")
        pivot = archs["pivot"]
        self.assertEqual(
            [(f.get("name"), f.get("type")) for f in pivot.xpath("//field")],
            [("segment_id", "row"), ("month", "col"), ("clv", "measure")],
        )
        moves = self.env.ref("salesperf_odoo.salesperf_customer_score_view_pivot_moves")
        moves_arch = etree.fromstring(
            self.Score.with_user(self.sonia).get_views([(moves.id, "pivot")])["views"]["pivot"][
                "arch"
            ]
        )
        self.assertEqual(
            [(f.get("name"), f.get("type")) for f in moves_arch.xpath("//field")],
            [("previous_segment_id", "row"), ("segment_id", "col")],
        )
        for name in ("my_customers", "my_customers_at_risk", "at_risk", "churned", "latest"):
            self.assertTrue(archs["search"].xpath(f"//filter[@name='{name}']"), name)

    def test_actions_open_on_latest_scores(self):
        for xmlid in ("salesperf_customer_score_action", "salesperf_customer_score_action_moves"):
            action = self.env.ref(f"salesperf_odoo.{xmlid}")
            self.assertEqual(safe_eval(action.context), {"search_default_latest": 1}, xmlid)

    def test_segment_views_load(self):
        Segment = self.env["salesperf.customer.segment"]
        for user in (self.sonia, self.manager):
            result = Segment.with_user(user).get_views(
                [(False, "list"), (False, "form"), (False, "search")]
            )
            self.assertEqual(set(result["views"]), {"list", "form", "search"})
        list_arch = etree.fromstring(
            Segment.with_user(self.manager).get_views([(False, "list")])["views"]["list"]["arch"]
        )
        self.assertEqual(list_arch.get("editable"), "bottom")
        self.assertEqual(list_arch.xpath("//field[@name='sequence']")[0].get("widget"), "handle")

    def test_open_customer_from_score(self):
        action = self.env.ref("salesperf_odoo.salesperf_customer_score_action_open_partner")
        result = (
            action.with_user(self.sonia)
            .with_context(
                active_model="salesperf.customer.score",
                active_id=self.sonia_active.id,
                active_ids=self.sonia_active.ids,
            )
            .run()
        )
        self.assertEqual(result["res_model"], "res.partner")
        self.assertEqual(result["res_id"], self.customer_c.id)

    # ------------------------------------------------------------
    # filters
    # ------------------------------------------------------------

    def test_my_customers_at_risk(self):
        # Sonia: her latest rows at risk (Acme in December) or in a segment to
        # win back (Bolt); not Acme's November row (not the latest), not Core
        # (active, kept), not Dune (churned, kept); Lena's and Sam's rows are
        # not hers.
        self.assertEqual(
            self._search_filter(self.sonia, "my_customers_at_risk"),
            self.sonia_at_risk | self.sonia_win_back,
        )
        # Lena sees every row of the company, the filter keeps her own
        self.assertEqual(
            len(self.Score.with_user(self.lena).search([("company_id", "=", self.company.id)])),
            7,
        )
        self.assertEqual(self._search_filter(self.lena, "my_customers_at_risk"), self.lena_at_risk)
        # Tom has no customer at all
        self.assertFalse(self._search_filter(self.tom, "my_customers_at_risk"))

    def test_status_and_latest_filters(self):
        all_rows = self.Score.sudo().search([("company_id", "=", self.company.id)])
        self.assertEqual(len(all_rows), 7)
        lena = self.lena
        self.assertEqual(
            self._search_filter(lena, "at_risk"),
            self.sonia_at_risk | self.sonia_at_risk_before | self.lena_at_risk | self.sam_at_risk,
        )
        self.assertEqual(self._search_filter(lena, "churned"), self.sonia_churned)
        # every row but Acme's November one (Dune's churned November row is
        # Dune's latest: a churned customer need not be scored every month)
        self.assertEqual(self._search_filter(lena, "latest"), all_rows - self.sonia_at_risk_before)
        self.assertEqual(
            self._search_filter(self.sonia, "my_customers"),
            self.sonia_at_risk
            | self.sonia_at_risk_before
            | self.sonia_win_back
            | self.sonia_active
            | self.sonia_churned,
        )

    # ------------------------------------------------------------
    # settings
    # ------------------------------------------------------------

    def _settings(self, values):
        return (
            self.env["res.config.settings"]
            .with_user(self.manager)
            .with_company(self.company)
            .create(values)
        )

    def test_settings_form_shows_customer_insight(self):
        arch = etree.fromstring(
            self.env["res.config.settings"]
            .with_user(self.manager)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        block = arch.xpath("//block[@name='salesperf_customer_setting_container']")
        self.assertEqual(len(block), 1)
        widgets = {f.get("name"): f.get("widget") for f in block[0].xpath(".//field")}
        self.assertEqual(
            widgets,
            {
                "salesperf_rfm_bands": None,
                "salesperf_churn_threshold": "percentage",
                "salesperf_churn_days": None,
                "salesperf_clv_months": None,
                "salesperf_clv_discount": "percentage",
            },
        )

    def test_settings_write_to_the_company(self):
        self._settings(
            {
                "salesperf_rfm_bands": 4,
                "salesperf_churn_threshold": 0.25,
                "salesperf_churn_days": 180,
                "salesperf_clv_months": 24,
                "salesperf_clv_discount": 0.015,
            }
        ).execute()
        company = self.company
        self.assertEqual(company.salesperf_rfm_bands, 4)
        self.assertAlmostEqual(company.salesperf_churn_threshold, 0.25)
        self.assertEqual(company.salesperf_churn_days, 180)
        self.assertEqual(company.salesperf_clv_months, 24)
        self.assertAlmostEqual(company.salesperf_clv_discount, 0.015)

    def test_settings_refused_change_nothing(self):
        refused = [
            {"salesperf_rfm_bands": 1},
            {"salesperf_rfm_bands": 11},
            {"salesperf_churn_threshold": 1.0},
            {"salesperf_churn_threshold": 0.0},
            {"salesperf_churn_days": 0},
            {"salesperf_clv_months": 0},
            {"salesperf_clv_discount": -0.01},
            {"salesperf_clv_discount": 1.0},
        ]
        for bad in refused:
            with self.subTest(bad=bad):
                # a valid change sent together with the bad one must not land either
                with self.assertRaises(ValidationError), self.env.cr.savepoint():
                    self._settings({"salesperf_churn_days": 200, **bad}).execute()
                self.env.invalidate_all()
                self.assertEqual(
                    (
                        self.company.salesperf_rfm_bands,
                        self.company.salesperf_churn_threshold,
                        self.company.salesperf_churn_days,
                        self.company.salesperf_clv_months,
                        self.company.salesperf_clv_discount,
                    ),
                    (5, 0.3, 365, 12, 0.01),
                )

    # ------------------------------------------------------------
    # segments
    # ------------------------------------------------------------

    def test_segment_ranges(self):
        Segment = self.env["salesperf.customer.segment"].with_user(self.manager)
        for bad in (
            {"r_min": 4, "r_max": 2},
            {"fm_min": 3.5, "fm_max": 3},
            {"r_min": 0.5},
            {"fm_min": 0},
        ):
            with (
                self.subTest(bad=bad),
                self.assertRaises(ValidationError),
                self.env.cr.savepoint(),
            ):
                Segment.create({"name": "Bad", "company_id": self.company.id, **bad})
        self.assertFalse(Segment.search([("name", "=", "Bad")]))
        # a range may be a single score
        single = Segment.create(
            {"name": "Fours", "company_id": self.company.id, "r_min": 4, "r_max": 4}
        )
        self.assertEqual((single.r_min, single.r_max, single.fm_min, single.fm_max), (4, 4, 1, 5))
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            single.write({"r_max": 3})
        self.env.invalidate_all()
        self.assertEqual(single.r_max, 4)

    def test_segments_changed_by_managers_only(self):
        segment = self.segment_keep
        self.assertEqual(segment.with_user(self.sonia).name, "Keep")
        with self.assertRaises(AccessError):
            segment.with_user(self.sonia).write({"name": "Mine"})
        with self.assertRaises(AccessError):
            self.env["salesperf.customer.segment"].with_user(self.sonia).create({"name": "Mine"})
        segment.with_user(self.manager).write({"name": "Keep Close"})
        self.assertEqual(segment.name, "Keep Close")
