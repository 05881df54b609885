# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import random
from datetime import date, datetime, timedelta

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from ..engine.customer_value import score_customers, summarize
from .common import SalesperfRpcCase

LOGGER = "odoo.addons.salesperf_odoo.models.salesperf_customer_score"


class CustomerScoreCommon(TransactionCase):
    """Two companies of their own, on either side of the date line:

    - Kiwi (Pacific/Auckland, UTC+12 in June): Sonia and Sam in team North
      led by Lisa; customers Acme, Bolt, Core (Sonia), Dune (Sam), Echo (no
      salesperson);
    - Coast (America/Los_Angeles, UTC-7 in June): Gale (no salesperson), Hal
      (Tom).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.currency = cls.env["res.currency"].create(
            {"name": "XSC", "symbol": "§", "rounding": 0.01, "active": True}
        )
        cls.kiwi, cls.coast = cls.env["res.company"].create(
            [
                {"name": "Kiwi Score Co", "currency_id": cls.currency.id},
                {"name": "Coast Score Co", "currency_id": cls.currency.id},
            ]
        )
        cls.kiwi.partner_id.tz = "Pacific/Auckland"
        cls.coast.partner_id.tz = "America/Los_Angeles"
        cls.pricelists = {
            company: cls.env["product.pricelist"].create(
                {"name": company.name, "currency_id": cls.currency.id, "company_id": company.id}
            )
            for company in (cls.kiwi, cls.coast)
        }

        def user(login, company, groups="sales_team.group_sale_salesman"):
            return new_test_user(
                cls.env,
                login=login,
                groups=groups,
                name=login.capitalize(),
                company_id=company.id,
                company_ids=[Command.set(company.ids)],
            )

        cls.sonia = user("cs_sonia", cls.kiwi)
        cls.sam = user("cs_sam", cls.kiwi)
        cls.lisa = user("cs_lisa", cls.kiwi)
        cls.lena = user("cs_lena", cls.kiwi, "sales_team.group_sale_salesman_all_leads")
        cls.boss = user(
            "cs_boss",
            cls.kiwi,
            "sales_team.group_sale_salesman,salesperf_odoo.group_salesperf_manager",
        )
        cls.tom = user("cs_tom", cls.coast)
        cls.team_north = cls.env["crm.team"].create(
            {
                "name": "North",
                "company_id": cls.kiwi.id,
                "user_id": cls.lisa.id,
                "member_ids": [Command.set((cls.sonia | cls.sam).ids)],
            }
        )
        cls.team_west = cls.env["crm.team"].create(
            {"name": "West", "company_id": cls.coast.id, "member_ids": [Command.set(cls.tom.ids)]}
        )
        names = ["Acme", "Bolt", "Core", "Dune", "Echo", "Gale", "Hal"]
        partners = cls.env["res.partner"].create(
            [{"name": name, "is_company": True} for name in names]
        )
        for name, partner in zip(names, partners, strict=True):
            setattr(cls, name.lower(), partner)
        cls.core_contact = cls.env["res.partner"].create(
            {"name": "Carl Core", "parent_id": cls.core.id}
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Score Widget", "list_price": 1.0, "taxes_id": False}
        )
        cls.Score = cls.env["salesperf.customer.score"]
        cls.segment = {
            segment.name: segment
            for segment in cls.env["salesperf.customer.segment"].search(
                [("company_id", "=", False)]
            )
        }

    @classmethod
    def _order(cls, company, user, partner, when_utc, amount, team=None):
        """A confirmed order of ``amount`` placed at ``when_utc`` (naive UTC)."""
        order = cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "user_id": user.id if user else False,
                "team_id": (team or (cls.team_north if company == cls.kiwi else cls.team_west)).id,
                "company_id": company.id,
                "pricelist_id": cls.pricelists[company].id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": cls.product.id,
                            "product_uom_qty": 1,
                            "price_unit": amount,
                            "tax_id": False,
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        order.write({"date_order": when_utc, "user_id": user.id if user else False})
        return order

    @classmethod
    def _kiwi_orders(cls):
        """Kiwi's orders; local times are NZST (UTC+12), dates in comments local."""
        k = cls.kiwi

        def nz(y, m, d, hour=10):
            # local hour in Auckland → naive UTC
            return datetime(y, m, d, hour) - timedelta(hours=12)

        return {
            # Acme: 2025-04-30, 05-31 and 06-30 at 08:00 (06-29 20:00 UTC: the
            # UTC day is the 29th, the local day the 30th), 200 each
            "acme": [
                cls._order(k, cls.sonia, cls.acme, nz(2025, 4, 30), 200),
                cls._order(k, cls.sonia, cls.acme, nz(2025, 5, 31), 200),
                cls._order(k, cls.sonia, cls.acme, nz(2025, 6, 30, 8), 200),
                # 2025-07-01 10:00 local = 06-30 22:00 UTC: after a run of 06-30
                cls._order(k, cls.sonia, cls.acme, nz(2025, 7, 1), 5000),
            ],
            "bolt": [
                cls._order(k, cls.sonia, cls.bolt, nz(2025, 6, 10), 100),
                cls._order(k, cls.sonia, cls.bolt, nz(2025, 6, 20), 100),
            ],
            # Core: through its contact, 2025-03-01 and 04-01, 50 each
            "core": [
                cls._order(k, cls.sonia, cls.core_contact, nz(2025, 3, 1), 50),
                cls._order(k, cls.sonia, cls.core, nz(2025, 4, 1), 50),
            ],
            "dune": [cls._order(k, cls.sam, cls.dune, nz(2024, 5, 1), 1000)],
            "echo": [cls._order(k, None, cls.echo, nz(2025, 6, 25), 30)],
        }

    def _rows(self, company, **domain):
        return self.Score.search(
            [("company_id", "=", company.id)] + [(k, "=", v) for k, v in domain.items()]
        )

    def _row(self, company, partner, month=None):
        domain = [("company_id", "=", company.id), ("partner_id", "=", partner.id)]
        if month:
            domain.append(("month", "=", month))
        else:
            domain.append(("is_latest", "=", True))
        return self.Score.search(domain)

    def _followups(self, partner):
        return self.env["salesperf.customer.followup"].search(
            [("partner_id", "=", partner.id)], order="last_purchase"
        )


@tagged("post_install", "-at_install")
class TestCustomerScoreRefresh(CustomerScoreCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.orders = cls._kiwi_orders()

    def test_rfm_segments_status_by_hand(self):
        """Kiwi on 2025-06-30 (local): five customers, five bands."""
        counts = self.Score._refresh_scores(self.kiwi, date(2025, 6, 30))
        self.assertEqual(counts, {self.kiwi.id: 5})
        acme, bolt, core, dune, echo = (
            self._row(self.kiwi, p) for p in (self.acme, self.bolt, self.core, self.dune, self.echo)
        )
        # Acme's 06-30 08:00 order counts on the local 30th: R = 0; its
        # 07-01 order (06-30 22:00 UTC) is after the run: 3 days, 600
        self.assertEqual(
            (acme.recency_days, acme.frequency, acme.order_count, acme.monetary),
            (0, 3, 3, 600.0),
        )
        self.assertEqual(
            (acme.first_purchase, acme.last_purchase), (date(2025, 4, 30), date(2025, 6, 30))
        )
        # gaps 31 and 30 days: median 30.5
        self.assertAlmostEqual(acme.usual_interval, 30.5)
        # Core's contact's order counts for Core: 2 days, 100, last 04-01,
        # 06-30 - 04-01 = 29 + 31 + 30 = 90 days
        self.assertEqual((core.recency_days, core.frequency, core.monetary), (90, 2, 100.0))
        self.assertEqual(dune.recency_days, 425)  # 2024-05-01 → 2025-06-30: 365 + 60
        # 5 customers, 5 bands: score = rank (ties take the lowest rank).
        # R (fewer days best): Dune 425 → 1, Core 90 → 2, Bolt 10 → 3, Echo 5 → 4, Acme 0 → 5
        # F (days): Dune 1, Echo 1 → 1; Bolt 2, Core 2 → 3; Acme 3 → 5
        # M: Echo 30 → 1, Core 100 → 2, Bolt 200 → 3, Acme 600 → 4, Dune 1000 → 5
        expected = {
            # row: (R, F, M, FM = (F + M) / 2, segment)
            acme: (5, 5, 4, 4.5, "Champions"),  # R 4-5, FM 4-5
            bolt: (3, 3, 3, 3.0, "Loyal"),  # R 3-5, FM 3-5
            core: (2, 3, 2, 2.5, "Hibernating"),  # R 2-3, FM 1-3 (none before fits)
            dune: (1, 1, 5, 3.0, "At risk"),  # R 1-2, FM 3-4.5
            echo: (4, 1, 1, 1.0, "New customers"),  # R 4-5, FM 1-2
        }
        for row, (r, f, m, fm, segment) in expected.items():
            self.assertEqual(
                (row.r_score, row.f_score, row.m_score, row.fm_score, row.segment_id.name),
                (r, f, m, fm, segment),
                row.partner_id.name,
            )
        self.assertEqual(acme.rfm_code, "554")
        # 3 customers with a repeat purchase (Acme, Bolt, Core) < 20: fallback
        self.assertEqual(set((acme | bolt | core | dune | echo).mapped("method")), {"interval"})
        self.assertIn("only 3 customers bought more than once", acme.method_note)
        self.assertFalse(acme.prob_alive or acme.clv)
        # status: Acme 0 / 30.5 = 0 and Bolt 10 / 10 = 1 active; Echo one day,
        # no interval: active; Core 90 / 31 = 2.90 ≥ 2: at risk; Dune 425 > 365: churned
        self.assertEqual(
            [r.risk_status for r in (acme, bolt, core, dune, echo)],
            ["active", "active", "at_risk", "churned", "active"],
        )
        self.assertAlmostEqual(core.interval_ratio, 90 / 31)
        self.assertEqual(
            core.risk_reason,
            "Last purchase 90 days ago: 2.9 times the usual interval of 31 days between purchases.",
        )
        self.assertIn("No purchase for 425 days, more than the 365 days", dune.risk_reason)
        self.assertFalse(acme.risk_reason)
        # value at risk: Core's 12 months' revenue 50 + 50; Dune churned: 0
        self.assertEqual((core.value_at_risk, dune.value_at_risk, acme.value_at_risk), (100, 0, 0))
        self.assertEqual(core.revenue_12m, 100)
        self.assertEqual(dune.revenue_12m, 0)  # 2024-05-01 is before 2024-06-30
        # salesperson and team: of the latest order; Echo's order has none
        self.assertEqual((core.user_id, core.team_id), (self.sonia, self.team_north))
        self.assertFalse(echo.user_id)
        # one follow-up: Core (at risk, Sonia); Dune churned, no one else at risk
        followup = self._followups(self.core)
        self.assertEqual(len(followup), 1)
        self.assertEqual(
            self.env["salesperf.customer.followup"].search_count(
                [("company_id", "=", self.kiwi.id)]
            ),
            1,
        )
        activity = followup.activity_id
        self.assertEqual(
            (activity.res_model, activity.res_id, activity.user_id, activity.summary),
            ("res.partner", self.core.id, self.sonia, "Customer slipping away"),
        )
        self.assertEqual(
            activity.activity_type_id,
            self.env.ref("salesperf_odoo.mail_activity_type_salesperf_customer_followup"),
        )
        self.assertIn("2.9 times the usual interval of 31 days", str(activity.note))
        self.assertEqual(activity.date_deadline, date(2025, 6, 30))

    def test_months_previous_segment_latest_and_followups_once(self):
        self.Score._refresh_scores(self.kiwi, date(2025, 6, 20))
        june = self._rows(self.kiwi)
        # Echo's first order (06-25) comes after the 20th: 4 customers
        self.assertEqual(june.partner_id, self.acme | self.bolt | self.core | self.dune)
        # a run in the same month updates June's rows (the same records) and adds Echo's
        self.Score._refresh_scores(self.kiwi, date(2025, 6, 30))
        self.assertEqual(self._rows(self.kiwi) - self._row(self.kiwi, self.echo), june)
        self.assertEqual(set(june.mapped("date")), {date(2025, 6, 30)})
        self.assertEqual(len(self._followups(self.core)), 1)
        # Core buys again on 07-02; Echo's order is cancelled: Echo no longer qualifies
        self._order(
            self.kiwi, self.sonia, self.core, datetime(2025, 7, 2, 10) - timedelta(hours=12), 80
        )
        self.orders["echo"][0]._action_cancel()
        self.Score._refresh_scores(self.kiwi, date(2025, 7, 5))
        july = self._rows(self.kiwi, month=date(2025, 7, 1))
        self.assertEqual(len(july), 4)  # Acme, Bolt, Core, Dune
        self.assertEqual(self._rows(self.kiwi, is_latest=True), july)
        self.assertFalse(self._row(self.kiwi, self.echo))
        self.assertTrue(self._row(self.kiwi, self.echo, date(2025, 6, 1)))
        core_july = self._row(self.kiwi, self.core, date(2025, 7, 1))
        # June's segment of Core was Hibernating; the June row stays as it was
        self.assertEqual(core_july.previous_segment_id, self.segment["Hibernating"])
        self.assertEqual(
            self._row(self.kiwi, self.core, date(2025, 6, 1)).last_purchase, date(2025, 4, 1)
        )
        # days 03-01, 04-01, 07-02: R = 3, 3 / median(31, 92) = 3 / 61.5: active
        self.assertEqual((core_july.recency_days, core_july.risk_status), (3, "active"))
        self.assertAlmostEqual(core_july.usual_interval, 61.5)
        # 2025-12-15: 07-02 → 12-15 = 31 + 31 + 30 + 31 + 30 + 13 = 166 days,
        # 166 / 61.5 = 2.70 ≥ 2: at risk again, a new last purchase: a second follow-up
        self.Score._refresh_scores(self.kiwi, date(2025, 12, 15))
        self.Score._refresh_scores(self.kiwi, date(2025, 12, 16))
        followups = self._followups(self.core)
        self.assertEqual(followups.mapped("last_purchase"), [date(2025, 4, 1), date(2025, 7, 2)])
        self.assertEqual(len(followups.activity_id), 2)
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [("res_model", "=", "res.partner"), ("res_id", "=", self.core.id)]
            ),
            2,
        )

    def test_local_day_late_evening_and_no_followup_without_salesperson(self):
        """Coast on 2025-06-29 (PDT, UTC-7)."""
        c = self.coast

        def la(y, m, d, hour):
            return datetime(y, m, d, hour) + timedelta(hours=7)

        # Gale (no salesperson): 03-01 10:00 and 03-31 22:00 local (04-01 05:00 UTC)
        self._order(c, None, self.gale, la(2025, 3, 1, 10) + timedelta(hours=1), 70)
        self._order(c, None, self.gale, la(2025, 3, 31, 22), 70)
        # Hal: 06-29 21:30 local = 06-30 04:30 UTC: on the run's day
        self._order(c, self.tom, self.hal, la(2025, 6, 29, 21) + timedelta(minutes=30), 90)
        empty = self.env["res.company"].create({"name": "No Sales Co"})
        counts = self.Score._refresh_scores(c | empty, date(2025, 6, 29))
        self.assertEqual(counts, {c.id: 2, empty.id: 0})
        gale, hal = self._row(c, self.gale), self._row(c, self.hal)
        # local days 03-01 and 03-31: gap 30 (UTC days would give 31);
        # 03-31 → 06-29 = 30 + 31 + 29 = 90 days, 90 / 30 = 3 ≥ 2: at risk
        self.assertEqual((gale.usual_interval, gale.recency_days), (30.0, 90))
        self.assertEqual(gale.risk_status, "at_risk")
        self.assertEqual(gale.value_at_risk, 140)
        self.assertEqual((hal.recency_days, hal.monetary, hal.user_id), (0, 90, self.tom))
        # at risk but nobody to follow up: no claim, no activity
        self.assertFalse(self._followups(self.gale))
        self.assertFalse(self._rows(empty))

    def test_archived_salesperson_and_free_days_are_left_out(self):
        """Coast on 2025-06-29: Gale (no salesperson of its own) last bought
        from Tom, who has left (archived); a free replacement is no purchase."""
        c = self.coast
        self._order(c, self.tom, self.gale, datetime(2025, 5, 1, 18), 70)
        # a free replacement on 06-10: 0, no purchase day
        self._order(c, self.tom, self.gale, datetime(2025, 6, 10, 18), 0)
        self.tom.action_archive()
        self.Score._refresh_scores(c, date(2025, 6, 29))
        gale = self._row(c, self.gale)
        # one purchase day, 05-01: 05-01 → 06-29 = 30 + 29 = 59 days
        self.assertEqual((gale.frequency, gale.recency_days), (1, 59))
        self.assertEqual(gale.last_purchase, date(2025, 5, 1))
        # the latest purchase's salesperson is archived: nobody, no follow-up
        self.assertFalse(gale.user_id)

    def test_access(self):
        self.Score._refresh_scores(self.kiwi | self.coast, date(2025, 6, 30))
        self._order(self.coast, self.tom, self.hal, datetime(2025, 6, 20, 18), 90)
        self.Score._refresh_scores(self.coast, date(2025, 6, 30))
        kiwi_rows = self._rows(self.kiwi)
        self.assertEqual(len(kiwi_rows), 5)
        seen = {
            user: self.Score.with_user(user).search([]).partner_id
            for user in (self.sonia, self.sam, self.lisa, self.lena, self.tom)
        }
        self.assertEqual(seen[self.sonia], self.acme | self.bolt | self.core)
        self.assertEqual(seen[self.sam], self.dune)
        # Lisa leads North: every row of team North (Echo's order is North's too)
        self.assertEqual(seen[self.lisa], self.acme | self.bolt | self.core | self.dune | self.echo)
        # all documents, but Kiwi only; Tom sees Coast's Hal only
        self.assertEqual(seen[self.lena], kiwi_rows.partner_id)
        self.assertEqual(seen[self.tom], self.hal)
        with self.assertRaises(AccessError):
            self._row(self.kiwi, self.dune).with_user(self.sonia).read(["clv"])

    def test_refresh_button_for_administrators_only(self):
        with self.assertRaises(AccessError):
            self.Score.with_user(self.sonia).action_refresh_scores()
        self.assertFalse(self._rows(self.kiwi))
        action = self.Score.with_user(self.boss).with_company(self.kiwi).action_refresh_scores()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(len(self._rows(self.kiwi)), 5)

    def test_bad_settings_write_nothing(self):
        self.Score._refresh_scores(self.kiwi, date(2025, 6, 20))
        before = self._rows(self.kiwi).read(["date", "r_score"])
        # bands of 1, as a settings row written outside the form could hold
        self.env.cr.execute(
            "UPDATE res_company SET salesperf_rfm_bands = 1 WHERE id = %s", [self.kiwi.id]
        )
        self.kiwi.invalidate_recordset(["salesperf_rfm_bands"])
        with self.assertRaisesRegex(ValidationError, "RFM scores need 2 to 10 bands"):
            self.Score.with_user(self.boss).with_company(self.kiwi).action_refresh_scores()
        # the scheduled run logs it, keeps Kiwi's rows and refreshes Coast
        self._order(self.coast, self.tom, self.hal, datetime(2025, 6, 20, 18), 90)
        with mute_logger(LOGGER):
            counts = self.Score._refresh_scores(self.kiwi | self.coast, date(2025, 6, 30))
        self.assertEqual(counts, {self.coast.id: 1})
        self.assertEqual(self._rows(self.kiwi).read(["date", "r_score"]), before)
        with self.assertRaises(ValidationError):
            self.kiwi.salesperf_rfm_bands = 1


@tagged("post_install", "-at_install")
class TestCustomerScoreModel(CustomerScoreCommon):
    def _import(self, company, transactions, user):
        """Imported sale lines of ``(customer index, day, amount)``."""
        partners = self.env["res.partner"].create(
            [{"name": f"Model {i}", "is_company": True} for i in range(30)]
        )
        self.env["salesperf.external.sale"].create(
            [
                {
                    "name": f"EXT-{n}",
                    "date": day,
                    "company_id": company.id,
                    "user_id": user.id,
                    "partner_id": partners[key].id,
                    "product_id": self.product.id,
                    "quantity": 1,
                    "currency_id": self.currency.id,
                    "price_subtotal": amount,
                }
                for n, (key, day, amount) in enumerate(transactions)
            ]
        )
        return partners

    def test_model_run(self):
        """30 simulated BG/NBD customers (22 repeat): the model is fitted;
        the stored figures are the core's on the same purchases."""
        today = date(2025, 6, 30)
        rng = random.Random(5)
        transactions = []
        for i in range(30):
            rate = rng.gammavariate(2.0, 1 / 40.0)
            dropout = rng.betavariate(1.5, 4.0)
            day = date(2024, 1, 1) + timedelta(days=rng.randint(0, 90))
            while day <= today:
                transactions.append((i, day, round(rng.gammavariate(4, 25), 2)))
                if rng.random() < dropout:
                    break
                day += timedelta(days=max(1, int(rng.expovariate(rate))))
        partners = self._import(self.coast, transactions, self.tom)
        self.Score._refresh_scores(self.coast, today)
        summaries = summarize(transactions, today)
        method, expected, _reason = score_customers(list(summaries.values()), clv_months=12)
        self.assertEqual(method, "bgnbd")
        rows = self._rows(self.coast)
        self.assertEqual(len(rows), len(summaries))
        self.assertEqual(set(rows.mapped("method")), {"bgnbd"})
        self.assertFalse(any(rows.mapped("method_note")))
        by_partner = {row.partner_id: row for row in rows}
        low = 0
        for summary, values in zip(summaries.values(), expected, strict=True):
            row = by_partner[partners[summary.key]]
            self.assertAlmostEqual(row.prob_alive, values["prob_alive"], places=4)
            self.assertAlmostEqual(row.expected_purchases_12m, values["expected_12m"], places=2)
            self.assertAlmostEqual(row.clv, values["clv"], places=2)
            self.assertLessEqual(row.expected_purchases_3m, row.expected_purchases_6m)
            if row.recency_days > 365:
                self.assertEqual(row.risk_status, "churned")
            elif values["prob_alive"] < 0.3:
                low += 1
                self.assertEqual(row.risk_status, "at_risk")
                self.assertIn("below the 30% threshold (BG/NBD model)", row.risk_reason)
                self.assertEqual(row.value_at_risk, row.revenue_12m)
        self.assertTrue(low)
        # the stored probability against the paper's formula, from each
        # customer's purchase days counted here (not by the core):
        # P(alive) = 1 / (1 + a / (b + x - 1) × ((α + T) / (α + t_x))^(r + x)) for x > 0
        r, alpha, a, b = expected[0]["bgnbd_params"]
        days = {}
        for key, day, _amount in transactions:
            days.setdefault(key, set()).add(day)
        for key, bought in days.items():
            x = len(bought) - 1
            if not x:
                continue
            t_x = (max(bought) - min(bought)).days / 7
            age = (today - min(bought)).days / 7
            alive = 1 / (1 + a / (b + x - 1) * ((alpha + age) / (alpha + t_x)) ** (r + x))
            self.assertAlmostEqual(by_partner[partners[key]].prob_alive, alive, places=4)

    def test_query_count_does_not_grow_with_customers(self):
        """Customers with one purchase each (active, no follow-up): 3 then 12."""
        counts = []
        for size, company in ((3, self.kiwi), (12, self.coast)):
            user = self.sonia if company == self.kiwi else self.tom
            self._import(company, [(i, date(2025, 6, 1 + i), 10.0 + i) for i in range(size)], user)
            self.Score._refresh_scores(company, date(2025, 6, 30))
            self.env.invalidate_all()
            start = self.env.cr.sql_log_count
            with self.assertQueryCount(13):
                self.Score._refresh_scores(company, date(2025, 6, 30))
            counts.append(self.env.cr.sql_log_count - start)
            self.assertEqual(len(self._rows(company)), size)
        self.assertEqual(counts[0], counts[1])


@tagged("post_install", "-at_install")
class TestCustomerScoreRpc(SalesperfRpcCase):
    def test_refresh_refused_to_a_salesperson_over_json_rpc(self):
        new_test_user(self.env, login="cs_rpc_seller", groups="sales_team.group_sale_salesman")
        self.authenticate("cs_rpc_seller", "cs_rpc_seller")
        before = self.env["salesperf.customer.score"].search_count([])
        error = self._call("salesperf.customer.score", "action_refresh_scores", [])
        self.assertEqual(error[0], "odoo.exceptions.AccessError")
        self.assertIn("Only Sales Performance administrators", error[1])
        self.assertEqual(self.env["salesperf.customer.score"].search_count([]), before)
