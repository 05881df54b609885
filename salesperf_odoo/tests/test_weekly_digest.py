# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date, datetime

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import SQL
from odoo.tools.misc import format_amount

from .common import SalesperfCommon

#: Monday 10 March 2025, 09:00 UTC: 22:00 in Auckland (UTC+13), 02:00 in
#: Los Angeles (UTC-7), 10:00 in Brussels (UTC+1).
MONDAY_9_UTC = "2025-03-10 09:00:00"


@tagged("post_install", "-at_install")
class TestWeeklyDigest(SalesperfCommon):
    """The digest's sales KPIs and the weekly performance email.

    Company in UTC, currency XSA. Sales (order dates):

    - Sonia (North): 10 Feb 350 (Core), 2 Mar 300 (Acme), 8 Mar 150 (Acme)
    - Sam (North): 7 Mar 200 (Bolt)
    - Tom (South): 9 Mar 400 (Core)

    Confirmed revenue targets of March: company 3,100; Sonia 900, Sam 1,000,
    Tom 500; Sonia's Q1: 3,200. Leo leads North without being a member.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.resource_calendar_id.tz = "UTC"
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.leo = new_test_user(
            cls.env,
            login="leo",
            groups="sales_team.group_sale_salesman",
            name="Leo",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
            tz="Europe/Brussels",
        )
        cls.team_north.user_id = cls.leo
        cls.sonia.tz = "Pacific/Auckland"
        cls.sam.write({"tz": "America/Los_Angeles", "lang": "zh_CN"})
        cls.tom.tz = "UTC"
        cls.recipients = cls.sonia | cls.sam | cls.tom | cls.leo
        # only this test's people get the email: the database may hold others
        cls.env["res.users"].search([("id", "not in", cls.recipients.ids)]).write(
            {"salesperf_weekly_digest": False}
        )
        X = cls.product_x
        cls._create_order(cls.sonia, cls.customer_c, date(2025, 2, 10), [(X, 1, 350.0, 0.0)])
        cls._create_order(cls.sonia, cls.customer_a, date(2025, 3, 2), [(X, 1, 300.0, 0.0)])
        cls._create_order(cls.sonia, cls.customer_a, date(2025, 3, 8), [(X, 1, 150.0, 0.0)])
        cls._create_order(cls.sam, cls.customer_b, date(2025, 3, 7), [(X, 1, 200.0, 0.0)])
        cls._create_order(cls.tom, cls.customer_c, date(2025, 3, 9), [(X, 1, 400.0, 0.0)])
        Target = cls.env["salesperf.target"]

        def target(amount, scope="user", user=None, kind="month", start=date(2025, 3, 1)):
            return Target.create(
                {
                    "scope": scope,
                    "company_id": cls.company.id,
                    "user_id": user.id if user else False,
                    "metric": "revenue",
                    "period_kind": kind,
                    "date_from": start,
                    "amount": amount,
                    "state": "confirmed",
                }
            )

        target(3100.0, scope="company")
        cls.sonia_month = target(900.0, user=cls.sonia)
        target(3200.0, user=cls.sonia, kind="quarter", start=date(2025, 1, 1))
        sonia_february = target(400.0, user=cls.sonia, start=date(2025, 2, 1))
        target(1000.0, user=cls.sam)
        target(500.0, user=cls.tom)
        milestones = cls.env["salesperf.target.milestone"].create(
            [
                {"target_id": cls.sonia_month.id, "threshold": 50},
                {"target_id": sonia_february.id, "threshold": 50},
            ]
        )
        # announced on 7 March (in the week) and on 25 February (before it)
        cls._set_create_date(milestones[0], datetime(2025, 3, 7, 10))
        cls._set_create_date(milestones[1], datetime(2025, 2, 25, 10))

        def deal(name, amount, probability, deadline):
            return cls.env["crm.lead"].create(
                {
                    "name": name,
                    "type": "opportunity",
                    "user_id": cls.sonia.id,
                    "team_id": cls.team_north.id,
                    "company_id": cls.company.id,
                    "expected_revenue": amount,
                    "probability": probability,
                    "date_deadline": deadline,
                }
            )

        cls.d1 = deal("D1", 1000.0, 50, date(2025, 3, 20))
        cls.d2 = deal("D2", 5000.0, 20, date(2025, 3, 25))
        cls.d3 = deal("D3", 3000.0, 10, date(2025, 3, 15))
        cls.d4 = deal("D4", 2000.0, 50, date(2025, 3, 28))
        cls.d5 = deal("D5", 500.0, 40, date(2025, 3, 30))
        cls.d6 = deal("D6", 700.0, 30, date(2025, 3, 31))
        cls.d7 = deal("D7", 9000.0, 50, date(2025, 4, 15))
        cls.d8 = deal("D8", 8000.0, 50, date(2025, 3, 12))
        cls.d8.action_set_won()
        cls.d8.date_closed = datetime(2025, 3, 6, 10)
        for lead in cls.d2 | cls.d3:
            lead.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=date(2025, 3, 12),
                user_id=cls.sonia.id,
            )
        # created on 4 March (in the week), except D7 on 20 February
        cls._set_create_date(
            cls.d1 | cls.d2 | cls.d3 | cls.d4 | cls.d5 | cls.d6 | cls.d8, datetime(2025, 3, 4, 10)
        )
        cls._set_create_date(cls.d7, datetime(2025, 2, 20, 10))
        cls.template = cls.env.ref("salesperf_odoo.mail_template_salesperf_weekly_digest")

    @classmethod
    def _set_create_date(cls, records, moment):
        records.flush_recordset()
        cls.env.cr.execute(
            SQL(
                "UPDATE %s SET create_date = %s WHERE id IN %s",
                SQL.identifier(records._table),
                moment,
                tuple(records.ids),
            )
        )
        records.invalidate_recordset(["create_date"])

    def _logs(self, users=None):
        return self.env["salesperf.weekly.digest.log"].search(
            [("user_id", "in", (users or self.recipients).ids)]
        )

    def _run_cron(self):
        self.env["salesperf.weekly.digest.log"]._cron_send_weekly_digests()

    def _mail(self, user):
        log = self._logs(user)
        self.assertEqual(len(log), 1, f"one email of the week for {user.name}")
        return log.mail_id

    # ------------------------------------------------------------
    # DIGEST KPIS
    # ------------------------------------------------------------

    def _digest(self):
        return self.env["digest.digest"].create(
            {
                "name": "Sales digest",
                "company_id": self.company.id,
                "periodicity": "weekly",
                "kpi_salesperf_revenue_target": True,
                "kpi_salesperf_attainment": True,
                "kpi_salesperf_pipeline_coverage": True,
                "kpi_salesperf_new_customers": True,
                "kpi_mail_message_total": True,
            }
        )

    @freeze_time(MONDAY_9_UTC)
    def test_digest_kpis(self):
        digest = (
            self._digest()
            .with_user(self.lena)
            .with_company(self.company)
            .with_context(
                start_datetime=datetime(2025, 3, 3, 9), end_datetime=datetime(2025, 3, 10, 9)
            )
        )
        # the whole days 3 to 9 March: revenue 150 + 200 + 400 = 750 against
        # the company's March target pro rata, 3,100 / 31 days × 7 days = 700
        self.assertAlmostEqual(digest.kpi_salesperf_revenue_target_value, 750.0 - 700.0)
        # 750 / 700 × 100 = 107.142857 %
        self.assertAlmostEqual(digest.kpi_salesperf_attainment_value, 750.0 / 700.0 * 100)
        # Bolt's first purchase is on 7 March; Acme's (2 March) and Core's
        # (10 February) are before the period
        self.assertEqual(digest.kpi_salesperf_new_customers_value, 1)
        # from 10 March to the month's end: weighted open pipeline D1..D6 =
        # 500 + 1,000 + 300 + 1,000 + 200 + 210 = 3,210 (D7 closes in April,
        # D8 is won); the target left: 3,100 - (300 + 150 + 200 + 400) = 2,050
        self.assertAlmostEqual(digest.kpi_salesperf_pipeline_coverage_value, 3210.0 / 2050.0)

    @freeze_time(MONDAY_9_UTC)
    def test_digest_email_columns(self):
        digest = self._digest()
        kpis = {kpi["kpi_name"]: kpi for kpi in digest._compute_kpis(self.company, self.lena)}
        # the "Last 7 Days" column: 3 to 9 March, 107.14 %
        self.assertEqual(kpis["kpi_salesperf_attainment"]["kpi_col2"]["value"], "107.14")
        self.assertIn("salesperf_target_action", kpis["kpi_salesperf_attainment"]["kpi_action"])
        kpis = digest._compute_kpis(self.company, self.sonia)
        # a salesperson reads their own documents only: no company figures,
        # the digest's other KPIs remain
        self.assertEqual([kpi["kpi_name"] for kpi in kpis], ["kpi_mail_message_total"])

    # ------------------------------------------------------------
    # SENDING
    # ------------------------------------------------------------

    def test_sent_once_per_week(self):
        with freeze_time(MONDAY_9_UTC):
            self._run_cron()
            self._run_cron()
        self.assertEqual(len(self._logs(self.sonia)), 1)
        mail = self._mail(self.sonia)
        self.assertEqual(mail.recipient_ids, self.sonia.partner_id)
        weekly = [
            ("recipient_ids", "in", self.sonia.partner_id.ids),
            ("subject", "like", "your sales week"),
        ]
        self.assertEqual(self.env["mail.mail"].search_count(weekly), 1)
        # later in the same week: nothing more
        with freeze_time("2025-03-13 09:00:00"):
            self._run_cron()
        self.assertEqual(len(self._logs(self.sonia)), 1)
        # the next week: the next email
        with freeze_time("2025-03-17 09:00:00"):
            self._run_cron()
        logs = self._logs(self.sonia)
        self.assertEqual(sorted(logs.mapped("week_start")), [date(2025, 3, 10), date(2025, 3, 17)])

    def test_claim_is_taken_once(self):
        Log = self.env["salesperf.weekly.digest.log"]
        self.assertTrue(Log._claim(self.sonia, date(2025, 3, 10)))
        # a second run at the same time gets nothing to send
        self.assertFalse(Log._claim(self.sonia, date(2025, 3, 10)))
        self.assertEqual(len(self._logs(self.sonia)), 1)

    def test_not_before_the_hour_in_the_recipient_time_zone(self):
        # Monday 09:00 UTC: 22:00 in Auckland (sent), 02:00 in Los Angeles (not yet)
        with freeze_time(MONDAY_9_UTC):
            self._run_cron()
        self.assertEqual(self._logs(self.sonia).week_start, date(2025, 3, 10))
        self.assertFalse(self._logs(self.sam))
        # 14:00 UTC is 07:00 in Los Angeles: still not
        with freeze_time("2025-03-10 14:00:00"):
            self._run_cron()
        self.assertFalse(self._logs(self.sam))
        # 15:00 UTC is 08:00 there: sent
        with freeze_time("2025-03-10 15:00:00"):
            self._run_cron()
        self.assertEqual(self._logs(self.sam).week_start, date(2025, 3, 10))

    def test_configured_weekday_and_hour(self):
        self.company.write({"salesperf_digest_weekday": "2", "salesperf_digest_hour": 17})
        # Tuesday 20:00 in Auckland (07:00 UTC): before Wednesday 17:00
        with freeze_time("2025-03-11 07:00:00"):
            self._run_cron()
        self.assertFalse(self._logs(self.sonia))
        # Wednesday 17:00 in Auckland is 04:00 UTC
        with freeze_time("2025-03-12 04:00:00"):
            self._run_cron()
        self.assertEqual(self._logs(self.sonia).week_start, date(2025, 3, 10))

    def test_switched_off_in_preferences(self):
        # Tom switches it off himself, in his preferences
        self.tom.with_user(self.tom).write({"salesperf_weekly_digest": False})
        with freeze_time(MONDAY_9_UTC):
            self._run_cron()
        self.assertFalse(self._logs(self.tom))
        self.assertTrue(self._logs(self.sonia))

    def test_preference_in_the_user_own_form(self):
        form = self.env.ref("base.view_users_form_simple_modif")
        views = self.env["res.users"].with_user(self.tom).get_views([(form.id, "form")])
        self.assertIn('name="salesperf_weekly_digest"', views["views"]["form"]["arch"])
        # a user reads and changes it on themselves, not on others
        self.assertTrue(self.tom.with_user(self.tom).read(["salesperf_weekly_digest"]))
        with self.assertRaises(AccessError):
            self.sonia.with_user(self.tom).write({"salesperf_weekly_digest": False})
        self.assertTrue(self.sonia.salesperf_weekly_digest)

    def test_log_is_for_administrators(self):
        with freeze_time(MONDAY_9_UTC):
            self._run_cron()
        Log = self.env["salesperf.weekly.digest.log"]
        with self.assertRaises(AccessError):
            Log.with_user(self.sonia).search([])
        admin = new_test_user(
            self.env,
            login="ada",
            groups="salesperf_odoo.group_salesperf_manager",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self.assertEqual(
            Log.with_user(admin).search([("user_id", "=", self.sonia.id)]).user_id, self.sonia
        )
        with self.assertRaises(AccessError):
            Log.with_user(admin).search([("user_id", "=", self.sonia.id)]).unlink()

    def test_bad_hour_is_refused(self):
        with self.assertRaises(ValidationError) as caught:
            self.company.salesperf_digest_hour = 24
        self.assertIn("0 to 23", str(caught.exception))

    # ------------------------------------------------------------
    # CONTENTS
    # ------------------------------------------------------------

    def test_language_of_the_recipient(self):
        # the module's Chinese terms, as installing the language loads them
        self.env["ir.module.module"]._load_module_terms(
            ["salesperf_odoo"], ["zh_CN"], overwrite=True
        )
        with freeze_time("2025-03-10 15:00:00"):
            self._run_cron()
        sam, sonia = self._mail(self.sam), self._mail(self.sonia)
        self.assertEqual(sam.subject, "Salesperf Test Company：您的销售周报")
        self.assertEqual(sonia.subject, "Salesperf Test Company: your sales week")
        # the headings, and Sam's goal of March named in Chinese
        self.assertIn("您的目标", sam.body_html)
        self.assertIn("2025年3月", sam.body_html)
        self.assertNotIn("Your goals", sam.body_html)
        self.assertIn("Your goals", sonia.body_html)
        self.assertIn("March 2025", sonia.body_html)

    @freeze_time(MONDAY_9_UTC)
    def test_quarter_goal_summed_from_its_months(self):
        Log = self.env["salesperf.weekly.digest.log"]
        # Tom has March's 500 only: no quarter goal, never a partial sum
        self.assertEqual(
            [goal["kind"] for goal in Log._weekly_digest_values(self.tom)["goals"]], ["month"]
        )
        for start, amount in ((date(2025, 1, 1), 300.0), (date(2025, 2, 1), 200.0)):
            self.env["salesperf.target"].create(
                {
                    "scope": "user",
                    "company_id": self.company.id,
                    "user_id": self.tom.id,
                    "metric": "revenue",
                    "period_kind": "month",
                    "date_from": start,
                    "amount": amount,
                    "state": "confirmed",
                }
            )
        month, quarter = Log._weekly_digest_values(self.tom)["goals"]
        self.assertEqual((month["target"], month["actual"]), (500.0, 400.0))
        # Q1: 300 + 200 + 500 = 1,000; sold 0 + 0 + 400 = 400: 40 %; expected
        # by now: January and February in full, March 500 × 6 / 21 working
        # days = 642.86; 400 / 642.86 = 0.62 < 0.80: behind
        self.assertEqual((quarter["kind"], quarter["target"]), ("quarter", 1000.0))
        self.assertEqual(quarter["actual"], 400.0)
        self.assertAlmostEqual(quarter["attainment"], 40.0)
        self.assertAlmostEqual(quarter["expected_to_date"], 300.0 + 200.0 + 500.0 * 6 / 21)
        self.assertEqual(quarter["gap"], 600.0)
        self.assertEqual(quarter["status"], "behind")

    @freeze_time(MONDAY_9_UTC)
    def test_contents(self):
        values = self.env["salesperf.weekly.digest.log"]._weekly_digest_values(self.sonia)
        month, quarter = values["goals"]
        # March: 300 + 150 = 450 of 900 = 50 %; 6 of 21 working days gone
        # (3-7 and 10 March): expected 900 × 6 / 21 = 257.14, 450 / 257.14 =
        # 1.75 ≥ 1.10: ahead
        self.assertEqual((month["kind"], month["actual"]), ("month", 450.0))
        self.assertAlmostEqual(month["attainment"], 50.0)
        self.assertAlmostEqual(month["expected_to_date"], 900.0 * 6 / 21)
        self.assertEqual(month["status"], "ahead")
        # Q1: 350 + 450 = 800 of 3,200 = 25 %; 23 + 20 + 6 = 49 of 64 working
        # days: expected 2,450, 800 / 2,450 = 0.33 < 0.80: behind
        self.assertEqual(quarter["actual"], 800.0)
        self.assertAlmostEqual(quarter["attainment"], 25.0)
        self.assertEqual(quarter["status"], "behind")
        # the week of 3 to 9 March: 150 sold; D8 won (8,000); 7 opportunities created
        self.assertEqual(
            values["moves"],
            {"revenue": 150.0, "won_count": 1, "won_value": 8000.0, "new_opportunities": 7},
        )
        # closing in March, largest first; D5 (500) is the sixth, D7 closes in
        # April, D8 is won
        self.assertEqual([d["name"] for d in values["top_deals"]], ["D2", "D3", "D4", "D1", "D6"])
        # open without activity: D1, D4, D5, D6, D7 (D2 and D3 have one)
        self.assertEqual(values["no_activity"]["count"], 5)
        self.assertEqual(
            [d["name"] for d in values["no_activity"]["deals"]], ["D7", "D4", "D1", "D6", "D5"]
        )
        # 50 % of March announced on 7 March; February's on 25 February is older
        self.assertEqual(values["milestones"], [{"target": self.sonia_month.name, "threshold": 50}])
        # March attainments: Tom 400 / 500 = 80 %, Sonia 50 %, Sam 200 / 1,000 =
        # 20 %; on 3 March: Sonia 300 / 900 = 33 %, Sam and Tom 0 % (2nd both)
        ranking = values["ranking"]
        self.assertEqual((ranking["rank"], ranking["change"], ranking["ranked_count"]), (2, -1, 3))
        self.assertEqual([line["name"] for line in ranking["lines"]], ["Tom", "Sonia", "Sam"])
        self.assertFalse(values["teams"], "Sonia leads no team")
        with freeze_time(MONDAY_9_UTC):
            self._run_cron()
        body = self._mail(self.sonia).body_html
        self.assertIn("50.0", body)
        self.assertIn("25.0", body)
        self.assertIn("down", body)
        self.assertNotIn("Your team", body)

    @freeze_time(MONDAY_9_UTC)
    def test_queries_do_not_grow_with_the_lines(self):
        Log = self.env["salesperf.weekly.digest.log"]

        def count_queries():
            shared = {}
            Log._weekly_digest_values(self.tom, shared)  # the company's ranking, once
            # from cold caches each time: only the reads of the data remain to differ
            self.env.flush_all()
            self.env.invalidate_all()
            self.env.registry.clear_all_caches()
            before = self.env.cr.sql_log_count
            Log._weekly_digest_values(self.leo, shared)
            return self.env.cr.sql_log_count - before

        first = count_queries()
        # more deals, orders and team members: as many queries
        self.env["crm.lead"].create(
            [
                {
                    "name": f"Extra {index}",
                    "type": "opportunity",
                    "user_id": self.leo.id,
                    "company_id": self.company.id,
                    "expected_revenue": 100.0 * index,
                    "probability": 10,
                    "date_deadline": date(2025, 3, 20),
                }
                for index in range(1, 8)
            ]
        )
        self._create_order(
            self.leo, self.customer_a, date(2025, 3, 4), [(self.product_x, 2, 50.0, 0)]
        )
        self.team_north.member_ids |= self.tom
        self.assertEqual(count_queries(), first)

    def _ranking_section(self, body):
        return body.split("Ranking of the month")[1].split("What moved this week")[0]

    @freeze_time(MONDAY_9_UTC)
    def test_hidden_amounts_of_others(self):
        def amount(value):
            return format_amount(self.env, value, self.currency_xsa)

        self.company.salesperf_ranking_show_amounts = True
        shown = self.env["salesperf.weekly.digest.log"]._weekly_digest_values(self.sonia)
        self.company.salesperf_ranking_show_amounts = False
        hidden = self.env["salesperf.weekly.digest.log"]._weekly_digest_values(self.sonia)
        self._run_cron()
        self.assertEqual(
            [line["amount"] for line in shown["ranking"]["lines"]], [400.0, 450.0, 200.0]
        )
        # her own amount stays, Tom's and Sam's go
        self.assertEqual(
            [line["amount"] for line in hidden["ranking"]["lines"]], [None, 450.0, None]
        )
        section = self._ranking_section(self._mail(self.sonia).body_html)
        self.assertIn(amount(450.0), section)
        self.assertNotIn(amount(400.0), section)
        self.assertNotIn(amount(200.0), section)
        # Lena sees every document: amounts are hers to see
        lena = self.env["salesperf.weekly.digest.log"]._weekly_digest_values(self.lena)
        self.assertEqual(lena["ranking"]["lines"][0]["amount"], 400.0)

    def test_team_table_of_the_leader(self):
        with freeze_time(MONDAY_9_UTC):
            values = self.env["salesperf.weekly.digest.log"]._weekly_digest_values(self.leo)
            self._run_cron()
        (team,) = values["teams"]
        self.assertEqual(team["name"], "North")
        rows = {row["name"]: row for row in team["members"]}
        # Sonia: 450 of 900 = 50 %; Sam: 200 of 1,000 = 20 %
        self.assertEqual((rows["Sonia"]["revenue"], rows["Sonia"]["target"]), (450.0, 900.0))
        self.assertAlmostEqual(rows["Sonia"]["attainment"], 50.0)
        self.assertEqual((rows["Sam"]["revenue"], rows["Sam"]["target"]), (200.0, 1000.0))
        self.assertAlmostEqual(rows["Sam"]["attainment"], 20.0)
        # Sam: expected 1,000 × 6 / 21 = 285.71, 200 / 285.71 = 0.70 < 0.80
        self.assertEqual(rows["Sam"]["status_label"], "Behind")
        body = self._mail(self.leo).body_html
        self.assertIn("Your team North", body)
        self.assertIn("o_salesperf_team_table", body)
