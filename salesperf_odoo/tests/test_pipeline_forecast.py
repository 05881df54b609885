# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from collections import defaultdict
from datetime import date, datetime
from itertools import pairwise

import psycopg2

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, freeze_time, new_test_user, tagged
from odoo.tools import mute_logger

from .common import SalesperfCommon

TODAY = "2025-06-15 10:00:00"


@tagged("post_install", "-at_install")
class TestPipelineForecast(SalesperfCommon):
    """Stages New → Qualified → Proposition → Won (plus Extra, never closed
    from), in a company in Brussels (UTC+2 in June). Today is 2025-06-15: the
    12 months start on 2024-06-15, i.e. 2024-06-14 22:00 UTC.

    Closed opportunities in the 12 months (stage paths as tracked):

    - North: 4 × New → Qualified → Proposition → won; 2 × New → Qualified →
      won; 4 × New → Qualified → lost; 2 × New → lost (one of them at
      2024-06-14 22:30 UTC, 00:30 on the 15th in Brussels);
    - South: 1 × New → Proposition → won; 5 × New → Proposition → lost;
    - no team: 1 × New → Qualified → lost.

    Left out: a North one won at 2024-06-14 21:30 UTC (23:30 on the 14th in
    Brussels), a North one archived at 50 % (neither won nor lost), a lead
    (not an opportunity) lost, and one lost in another company.

    Open opportunities (O1–O6 in the pipeline forecast):

    ====  =====  ======  ===========  ========  ====  ==========
    lead  team   who     stage        expected  prob  closing
    ====  =====  ======  ===========  ========  ====  ==========
    O1    North  Sonia   Qualified    10,000    30    2025-07-20
    O2    North  Sam     Proposition  20,000    75    2025-07-05
    O3    South  Tom     New           8,000    45    2025-08-31
    O4    South  Tom     Extra         5,000    20    (none)
    O5    North  Sonia   New           4,000     0    2025-07-10
    O6    North  nobody  Qualified     2,000    50    2025-09-15
    ====  =====  ======  ===========  ========  ====  ==========

    Not in it: a North opportunity at 100 % in Qualified, an open lead and
    an open opportunity of the other company. Leo leads North; Mia is a
    Sales Performance administrator.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = "Europe/Brussels"
        Stage = cls.env["crm.stage"]
        cls.new, cls.qualified, cls.proposition, cls.won, cls.extra = Stage.create(
            [
                {"name": "SP New", "sequence": 101},
                {"name": "SP Qualified", "sequence": 102},
                {"name": "SP Proposition", "sequence": 103},
                {"name": "SP Won", "sequence": 104, "is_won": True},
                {"name": "SP Extra", "sequence": 105},
            ]
        )
        cls.leo = new_test_user(
            cls.env,
            login="leo",
            groups="sales_team.group_sale_salesman",
            name="Leo",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.team_north.user_id = cls.leo
        cls.mia = new_test_user(
            cls.env,
            login="mia",
            groups="sales_team.group_sale_salesman,salesperf_odoo.group_salesperf_manager",
            name="Mia",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.company_b = cls.env["res.company"].create({"name": "Salesperf Other Company"})

        new, qualified, proposition = cls.new, cls.qualified, cls.proposition
        north, south = cls.team_north, cls.team_south
        cls.history = cls._closed_history(
            [
                *[(north, cls.sonia, [new, qualified, proposition], "won", "2025-03-10")] * 4,
                *[(north, cls.sam, [new, qualified], "won", "2025-04-10")] * 2,
                *[(north, cls.sonia, [new, qualified], "lost", "2025-05-10")] * 4,
                (north, cls.sam, [new], "lost", "2025-01-10"),
                (north, cls.sam, [new], "lost", "2024-06-14 22:30:00"),
                (south, cls.tom, [new, proposition], "won", "2025-02-10"),
                *[(south, cls.tom, [new, proposition], "lost", "2025-02-20")] * 5,
                (False, False, [new, qualified], "lost", "2025-05-20"),
                # left out
                (north, cls.sam, [new, qualified], "won", "2024-06-14 21:30:00"),
                (north, cls.sam, [new], "archived", "2025-05-01"),
                (north, cls.sam, [new], "lost lead", "2025-05-01"),
                (False, False, [new], "lost elsewhere", "2025-05-01"),
            ]
        )
        Lead = cls.env["crm.lead"]

        def opportunity(name, team, user, stage, expected, probability, deadline, **values):
            return {
                "name": name,
                "type": "opportunity",
                "company_id": cls.company.id,
                "team_id": team.id,
                "user_id": user.id,
                "stage_id": stage.id,
                "expected_revenue": expected,
                "probability": probability,
                "date_deadline": deadline,
                **values,
            }

        cls.o1, cls.o2, cls.o3, cls.o4, cls.o5, cls.o6 = Lead.create(
            [
                opportunity("O1", north, cls.sonia, qualified, 10000, 30, "2025-07-20"),
                opportunity("O2", north, cls.sam, proposition, 20000, 75, "2025-07-05"),
                opportunity("O3", south, cls.tom, new, 8000, 45, "2025-08-31"),
                opportunity("O4", south, cls.tom, cls.extra, 5000, 20, False),
                opportunity("O5", north, cls.sonia, new, 4000, 0, "2025-07-10"),
                opportunity("O6", north, Lead.env.user.browse(), qualified, 2000, 50, "2025-09-15"),
            ]
        )
        cls.not_forecast = Lead.create(
            [
                opportunity("At 100 %", north, cls.sam, qualified, 9999, 100, "2025-07-01"),
                opportunity("A lead", north, cls.sam, new, 9999, 50, "2025-07-01", type="lead"),
                opportunity(
                    "Elsewhere",
                    cls.env["crm.team"],
                    cls.env["res.users"],
                    new,
                    7000,
                    50,
                    "2025-07-01",
                    company_id=cls.company_b.id,
                ),
            ]
        )
        cls.open_leads = cls.o1 | cls.o2 | cls.o3 | cls.o4 | cls.o5 | cls.o6

    @classmethod
    def _flush_tracking(cls):
        """Run the tracking of the writes so far, as a commit would."""
        cls.env.flush_all()
        cls.env.cr.precommit.run()

    @classmethod
    def _closed_history(cls, specs):
        """Opportunities walked through the stages of each spec
        ``(team, salesperson, stages, outcome, closed on)`` with one tracked
        write per step, then closed and dated."""
        Lead = cls.env["crm.lead"]
        leads = Lead.create(
            [
                {
                    "name": f"History {index}: {outcome}",
                    "type": "lead" if outcome == "lost lead" else "opportunity",
                    "company_id": (
                        cls.company_b if outcome == "lost elsewhere" else cls.company
                    ).id,
                    "team_id": team and team.id,
                    "user_id": user and user.id,
                    "stage_id": stages[0].id,
                    "expected_revenue": 1000,
                    "probability": 50,
                }
                for index, (team, user, stages, outcome, _closed) in enumerate(specs)
            ]
        )
        cls._flush_tracking()
        for step in range(1, max(len(spec[2]) for spec in specs)):
            moves = defaultdict(lambda: Lead)
            for lead, (_team, _user, stages, _outcome, _closed) in zip(leads, specs, strict=True):
                if step < len(stages):
                    moves[stages[step]] |= lead
            for stage, moved in moves.items():
                moved.write({"stage_id": stage.id})
            cls._flush_tracking()
        outcomes = defaultdict(lambda: Lead)
        closings = defaultdict(lambda: Lead)
        for lead, (_team, _user, _stages, outcome, closed) in zip(leads, specs, strict=True):
            outcomes[outcome] |= lead
            closings[closed] |= lead
        outcomes["won"].write({"stage_id": cls.won.id})
        (outcomes["lost"] | outcomes["lost lead"] | outcomes["lost elsewhere"]).action_set_lost()
        outcomes["archived"].write({"active": False})
        cls._flush_tracking()
        for closed, closed_leads in closings.items():
            closed_leads.write({"date_closed": closed})
        return leads

    def _refresh(self):
        return self.env["salesperf.stage.rate"]._refresh(self.company)

    def _rates(self, user=None):
        rates = self.env["salesperf.stage.rate"]
        if user:
            rates = rates.with_user(user)
        return {
            (rate.team_id, rate.stage_id): (
                rate.won_count,
                rate.closed_count,
                round(rate.rate, 4),
                rate.calibrated,
            )
            for rate in rates.search([("company_id", "=", self.company.id)])
        }

    def _report(self, user=None):
        report = self.env["salesperf.pipeline.forecast"]
        if user:
            report = report.with_user(user)
        return report.search([("lead_id", "in", (self.open_leads | self.not_forecast).ids)])

    # ------------------------------------------------------------
    # Stage win rates
    # ------------------------------------------------------------

    @freeze_time(TODAY)
    def test_stage_rates_from_the_history(self):
        self.maxDiff = None
        rates = self._refresh()
        north, south, none = self.team_north, self.team_south, self.env["crm.team"]
        new, qualified, proposition, won = self.new, self.qualified, self.proposition, self.won
        self.assertEqual(
            self._rates(),
            {
                # North: New 12 closed (4 + 2 + 4 + 2), won 6: 6 / 12 = 50 %
                (north, new): (6, 12, 50.0, True),
                # Qualified 10 closed (4 + 2 + 4), won 6: 60 %
                (north, qualified): (6, 10, 60.0, True),
                # Proposition 4 closed, all won: 100 % but 4 < 10: not used
                (north, proposition): (4, 4, 100.0, False),
                (north, won): (6, 6, 100.0, False),
                # South: 6 closed, 1 won: 16.6667 %, not used
                (south, new): (1, 6, 16.6667, False),
                (south, proposition): (1, 6, 16.6667, False),
                (south, won): (1, 1, 100.0, False),
                # whole company: New 12 + 6 + 1 = 19 closed, 6 + 1 = 7 won: 36.8421 %
                (none, new): (7, 19, 36.8421, True),
                # Qualified 10 + 1 = 11 closed, 6 won: 54.5455 %
                (none, qualified): (6, 11, 54.5455, True),
                # Proposition 4 + 6 = 10 closed, 4 + 1 = 5 won: 50 %
                (none, proposition): (5, 10, 50.0, True),
                # Won: 7 of 7, 7 < 10
                (none, won): (7, 7, 100.0, False),
            },
        )
        self.assertEqual(set(rates.mapped("date_from")), {date(2024, 6, 15)})
        # the other company was not asked for
        self.assertFalse(
            self.env["salesperf.stage.rate"].search([("company_id", "=", self.company_b.id)])
        )

    @freeze_time(TODAY)
    def test_refresh_replaces_the_rates(self):
        self._refresh()
        first = self.env["salesperf.stage.rate"].search([("company_id", "=", self.company.id)])
        # one more North opportunity lost in New: 6 won of 13
        lost = self._closed_history([(self.team_north, self.sam, [self.new], "lost", "2025-06-01")])
        self.assertEqual(lost.probability, 0)
        self._refresh()
        self.assertFalse(first.exists())
        rates = self._rates()
        self.assertEqual(len(rates), 11)
        # 100 × 6 / 13 = 46.1538 %
        self.assertEqual(rates[self.team_north, self.new], (6, 13, 46.1538, True))

    @mute_logger("odoo.sql_db")
    def test_one_rate_per_company_team_and_stage(self):
        Rate = self.env["salesperf.stage.rate"]
        values = {"company_id": self.company.id, "stage_id": self.new.id, "rate": 10.0}
        Rate.create([values, dict(values, team_id=self.team_north.id)])
        for team in (False, self.team_north.id):
            with (
                self.subTest(team=team),
                self.assertRaises(psycopg2.IntegrityError),
                self.env.cr.savepoint(),
            ):
                Rate.create(dict(values, team_id=team))

    @freeze_time(TODAY)
    def test_refresh_rights(self):
        Rate = self.env["salesperf.stage.rate"]
        self._refresh()
        before = self._rates()
        # a salesperson cannot refresh, and nothing changes
        with self.assertRaises(AccessError):
            Rate.with_user(self.sonia).action_refresh()
        self.assertEqual(self._rates(), before)
        # nor write a rate
        with self.assertRaises(AccessError):
            Rate.with_user(self.sonia).search([], limit=1).write({"rate": 99.0})
        # ... but reads the rates of her company, not of another one
        self.assertEqual(self._rates(self.sonia), before)
        self.env["salesperf.stage.rate"]._refresh(self.company_b)
        self.assertTrue(Rate.search([("company_id", "=", self.company_b.id)]))
        self.assertFalse(
            Rate.with_user(self.sonia).search([("company_id", "=", self.company_b.id)])
        )
        # an administrator, who has no write access to rates either, refreshes
        # the companies she works in
        new_lost = self._closed_history(
            [(self.team_north, self.sam, [self.new], "lost", "2025-06-01")]
        )
        action = Rate.with_user(self.mia).with_context(allowed_company_ids=self.company.ids)
        self.assertEqual(action.action_refresh()["tag"], "soft_reload")
        self.assertEqual(self._rates()[self.team_north, self.new][:2], (6, 13))
        self.assertTrue(new_lost)

    # ------------------------------------------------------------
    # On the opportunity
    # ------------------------------------------------------------

    @freeze_time(TODAY)
    def test_calibrated_probability_on_the_opportunity(self):
        self._refresh()
        leads = self.open_leads.with_user(self.lena)
        o1, o2, o3, o4, o5, o6 = leads
        # O1: North's Qualified rate; O2: North's Proposition has too few,
        # the company's 50 %; O3: South's New too few, the company's 7 / 19;
        # O4: no rate for Extra, its own 20 %; O5 and O6: North's rates
        self.assertEqual(o1.salesperf_calibrated_probability, 60.0)
        self.assertEqual(o2.salesperf_calibrated_probability, 50.0)
        self.assertAlmostEqual(o3.salesperf_calibrated_probability, 100 * 7 / 19, places=6)
        self.assertEqual(o4.salesperf_calibrated_probability, 20.0)
        self.assertEqual(o5.salesperf_calibrated_probability, 50.0)
        self.assertEqual(o6.salesperf_calibrated_probability, 60.0)
        self.assertEqual(
            o1.salesperf_calibrated_note,
            "6 won of 10 closed from this stage in 12 months (North)",
        )
        self.assertEqual(
            o2.salesperf_calibrated_note,
            "5 won of 10 closed from this stage in 12 months (whole company)",
        )
        self.assertIn("own probability", o4.salesperf_calibrated_note)
        # a closed opportunity keeps its own probability
        won = self.history.filtered(lambda lead: lead.stage_id == self.won)[:1]
        self.assertEqual(won.salesperf_calibrated_probability, 100.0)
        self.assertFalse(won.salesperf_calibrated_note)

    def test_category_from_stage_and_probability(self):
        o1, o2, o3, o4, o5, o6 = self.open_leads
        self.assertEqual(
            [lead.salesperf_forecast_category for lead in self.open_leads],
            # 30 %, 75 %, 45 %, 20 %, 0 %, 50 %
            ["pipeline", "commit", "best_case", "pipeline", "omitted", "best_case"],
        )
        history = self.history.with_context(active_test=False)
        won = history.filtered(lambda lead: lead.active and lead.stage_id == self.won)
        lost = history.filtered(lambda lead: not lead.active and lead.probability == 0)
        self.assertEqual(set(won.mapped("salesperf_forecast_category")), {"commit"})
        self.assertEqual(set(lost.mapped("salesperf_forecast_category")), {"omitted"})
        # the filters find what the field shows
        Lead = self.env["crm.lead"].with_context(active_test=False)
        mine = [("id", "in", (self.open_leads | history).ids)]
        for category, expected in [
            ("commit", o2 | won),
            ("best_case", o3 | o6),
            ("pipeline", o1 | o4),
            ("omitted", o5 | (history - won)),
        ]:
            with self.subTest(category=category):
                self.assertEqual(
                    Lead.search([*mine, ("salesperf_forecast_category", "=", category)]), expected
                )
        self.assertEqual(
            Lead.search([*mine, ("salesperf_forecast_category", "in", ["commit", "best_case"])]),
            o2 | won | o3 | o6,
        )
        self.assertEqual(
            Lead.search([*mine, ("salesperf_forecast_category", "not in", ["omitted"])]),
            o1 | o2 | o3 | o4 | o6 | won,
        )
        self.assertEqual(
            Lead.search([*mine, ("salesperf_forecast_category", "!=", "pipeline")]),
            Lead.browse(mine[0][2]) - o1 - o4,
        )
        # by default (active only), as the pipeline's filters do
        self.assertEqual(
            self.env["crm.lead"].search([*mine, ("salesperf_forecast_category", "=", "omitted")]),
            o5,
        )
        self.assertFalse(Lead.search([*mine, ("salesperf_forecast_category", "=", False)]))

    def test_bad_category_search(self):
        with self.assertRaisesRegex(UserError, "ilike"):
            self.env["crm.lead"].search([("salesperf_forecast_category", "ilike", "com")])

    def test_salesperson_sets_the_category_of_their_opportunity(self):
        o3 = self.o3.with_user(self.tom)
        with Form(o3) as form:
            self.assertEqual(form.salesperf_forecast_category, "best_case")
            form.salesperf_forecast_category = "commit"
        self.assertEqual(o3.salesperf_forecast_category_set, "commit")
        self.assertEqual(o3.salesperf_forecast_category, "commit")
        self.assertEqual(
            self.env["crm.lead"].search(
                [("id", "in", self.open_leads.ids), ("salesperf_forecast_category", "=", "commit")]
            ),
            self.o2 | self.o3,
        )
        # not someone else's
        with self.assertRaises(AccessError):
            self.o1.with_user(self.tom).salesperf_forecast_category = "commit"
        self.assertFalse(self.o1.salesperf_forecast_category_set)
        # a bad value changes nothing
        with self.assertRaises(ValueError), self.env.cr.savepoint():
            o3.write({"salesperf_forecast_category": "maybe"})
        self.assertEqual(o3.salesperf_forecast_category_set, "commit")
        # cleared, the category follows the probability again
        o3.salesperf_forecast_category = False
        self.assertFalse(o3.salesperf_forecast_category_set)
        self.assertEqual(o3.salesperf_forecast_category, "best_case")

    def test_chosen_category_holds_until_the_stage_changes(self):
        o3 = self.o3.with_user(self.tom)
        o3.salesperf_forecast_category = "omitted"
        o3.write({"probability": 80, "expected_revenue": 9000})
        self.assertEqual(o3.salesperf_forecast_category, "omitted")
        # same stage: still the salesperson's choice
        o3.write({"stage_id": self.new.id})
        self.assertEqual(o3.salesperf_forecast_category, "omitted")
        o3.write({"stage_id": self.qualified.id, "probability": 80})
        self.assertFalse(o3.salesperf_forecast_category_set)
        self.assertEqual(o3.salesperf_forecast_category, "commit")
        # a stage and a category written together: the category holds
        o3.write({"stage_id": self.proposition.id, "salesperf_forecast_category": "pipeline"})
        self.assertEqual(o3.salesperf_forecast_category, "pipeline")
        # won, it is committed; lost, omitted, whatever was chosen
        o3.write({"salesperf_forecast_category": "pipeline"})
        o3.action_set_won()
        self.assertEqual(o3.salesperf_forecast_category, "commit")
        o6 = self.o6
        o6.salesperf_forecast_category = "commit"
        o6.action_set_lost()
        self.assertEqual(o6.salesperf_forecast_category, "omitted")

    def test_a_stage_written_on_many_leads_clears_only_the_moved_ones(self):
        # O1 (Qualified) and O6 (Qualified) chose Commit, O2 (Proposition) Pipeline
        self.o1.salesperf_forecast_category = "commit"
        self.o6.salesperf_forecast_category = "commit"
        self.o2.salesperf_forecast_category = "pipeline"
        leads = self.o1 | self.o2 | self.o6
        # all three to Proposition at once: O2 stays in its stage, its choice holds
        leads.write({"stage_id": self.proposition.id})
        self.assertEqual(leads.stage_id, self.proposition)
        self.assertEqual(self.o2.salesperf_forecast_category_set, "pipeline")
        self.assertEqual(self.o2.salesperf_forecast_category, "pipeline")
        # O1 and O6 moved: their choice is dropped, the default shows again
        # (O1 at 30 %: pipeline; O6 at 50 %: best case)
        self.assertEqual(
            (self.o1 | self.o6).mapped("salesperf_forecast_category_set"), [False, False]
        )
        self.assertEqual(self.o1.salesperf_forecast_category, "pipeline")
        self.assertEqual(self.o6.salesperf_forecast_category, "best_case")
        # none moved: nothing is cleared
        self.o1.salesperf_forecast_category = "omitted"
        (self.o1 | self.o2).write({"stage_id": self.proposition.id})
        self.assertEqual(
            (self.o1 | self.o2).mapped("salesperf_forecast_category_set"), ["omitted", "pipeline"]
        )

    def test_views_show_the_category(self):
        Lead = self.env["crm.lead"]
        for view, view_type in [
            ("crm.crm_case_kanban_view_leads", "kanban"),
            ("crm.crm_lead_view_kanban_forecast", "kanban"),
            ("crm.crm_lead_view_form", "form"),
            ("crm.crm_case_tree_view_oppor", "list"),
        ]:
            with self.subTest(view=view):
                arch = Lead.get_view(self.env.ref(view).id, view_type)["arch"]
                self.assertIn('name="salesperf_forecast_category"', arch)
        search = Lead.get_view(self.env.ref("crm.view_crm_case_opportunities_filter").id, "search")
        for category in ("commit", "best_case", "pipeline", "omitted"):
            self.assertIn(f'name="salesperf_{category}"', search["arch"])
        form = Lead.get_view(self.env.ref("crm.crm_lead_view_form").id, "form")["arch"]
        self.assertIn('name="salesperf_calibrated_probability"', form)

    # ------------------------------------------------------------
    # Pipeline forecast report
    # ------------------------------------------------------------

    @freeze_time(TODAY)
    def test_report_figures(self):
        self.maxDiff = None
        self._refresh()
        self.o3.with_user(self.tom).salesperf_forecast_category = "commit"
        rows = {
            row.lead_id: (
                row.date,
                row.expected_revenue,
                row.probability,
                row.weighted_revenue,
                round(row.calibrated_probability, 4),
                round(row.calibrated_revenue, 2),
                row.forecast_category,
            )
            for row in self._report(self.lena)
        }
        self.assertEqual(
            rows,
            {
                # 10,000 × 30 % = 3,000; × North's Qualified 60 % = 6,000
                self.o1: (date(2025, 7, 1), 10000, 30, 3000, 60.0, 6000, "pipeline"),
                # 20,000 × 75 % = 15,000; × the company's Proposition 50 % = 10,000
                self.o2: (date(2025, 7, 1), 20000, 75, 15000, 50.0, 10000, "commit"),
                # 8,000 × 45 % = 3,600; × the company's New 7 / 19 = 2,947.37; set to commit
                self.o3: (date(2025, 8, 1), 8000, 45, 3600, 36.8421, 2947.37, "commit"),
                # no closing date; no rate for Extra: 5,000 × 20 % = 1,000 twice
                self.o4: (False, 5000, 20, 1000, 20.0, 1000, "pipeline"),
                # 4,000 × 0 % = 0; × North's New 50 % = 2,000
                self.o5: (date(2025, 7, 1), 4000, 0, 0, 50.0, 2000, "omitted"),
                # 2,000 × 50 % = 1,000; × North's Qualified 60 % = 1,200
                self.o6: (date(2025, 9, 1), 2000, 50, 1000, 60.0, 1200, "best_case"),
            },
        )
        currency = self._report(self.lena).currency_id
        self.assertEqual(currency, self.company.currency_id)

    @freeze_time(TODAY)
    def test_pipeline_totals(self):
        self._refresh()
        Report = self.env["salesperf.pipeline.forecast"]
        sonia, sam, tom, nobody = self.sonia.id, self.sam.id, self.tom.id, False
        july, august, september = date(2025, 7, 1), date(2025, 8, 1), date(2025, 9, 1)
        totals = Report._pipeline_totals(self.company, "user")
        self.assertEqual(
            set(totals),
            {(sonia, july), (sam, july), (tom, august), (tom, False), (nobody, september)},
        )
        # O5 is omitted: Sonia's July is O1 alone
        self.assertEqual(totals[sonia, july], (3000, 6000))
        self.assertEqual(totals[sam, july], (15000, 10000))
        self.assertEqual(totals[tom, august][0], 3600)
        self.assertAlmostEqual(totals[tom, august][1], 8000 * 7 / 19)
        self.assertEqual(totals[tom, False], (1000, 1000))
        self.assertEqual(totals[nobody, september], (1000, 1200))
        # with O5: 3,000 + 0 and 6,000 + 2,000
        with_omitted = Report._pipeline_totals(self.company, "user", with_omitted=True)
        self.assertEqual(with_omitted[sonia, july], (3000, 8000))
        # teams over July (from the 15th: the whole month) and August;
        # O4 (no date) and O6 (September) are left out
        north, south = self.team_north.id, self.team_south.id
        teams = Report._pipeline_totals(
            self.company, "team", date_from=date(2025, 7, 15), date_to=date(2025, 8, 10)
        )
        self.assertEqual(set(teams), {(north, july), (south, august)})
        # O1 + O2: 3,000 + 15,000 and 6,000 + 10,000
        self.assertEqual(teams[north, july], (18000, 16000))
        company = Report._pipeline_totals(self.company, "company")
        self.assertEqual(
            {key: round(calibrated, 2) for key, (_weighted, calibrated) in company.items()},
            {
                (self.company.id, july): 16000,
                (self.company.id, august): 2947.37,
                (self.company.id, september): 1200,
                (self.company.id, False): 1000,
            },
        )
        by_category = Report._pipeline_totals(self.company, "team", ids=[south], by_category=True)
        self.assertEqual(
            {key: weighted for key, (weighted, _calibrated) in by_category.items()},
            {(south, august, "best_case"): 3600, (south, False, "pipeline"): 1000},
        )

    def test_pipeline_totals_bad_input(self):
        Report = self.env["salesperf.pipeline.forecast"]
        for label, args, kwargs, message in [
            ("dimension", (self.company, "stage"), {}, "not by “stage”"),
            ("companies", (self.company | self.company_b, "team"), {}, "one company"),
            ("no company", (self.env["res.company"], "team"), {}, "one company"),
            (
                "months",
                (self.company, "user"),
                {"date_from": date(2025, 9, 1), "date_to": date(2025, 7, 1)},
                "after its last",
            ),
        ]:
            with self.subTest(label), self.assertRaisesRegex(UserError, message):
                Report._pipeline_totals(*args, **kwargs)

    @freeze_time(TODAY)
    def test_report_access(self):
        self._refresh()
        o1, o2, o3, o4, o5, o6 = self.open_leads
        for user, expected in [
            # own documents: their own and the unassigned ones, as in the CRM
            (self.sonia, o1 | o5 | o6),
            (self.tom, o3 | o4 | o6),
            # North's leader: North's rows and its members'
            (self.leo, o1 | o2 | o5 | o6),
            # all documents: every row of the company, not the other one's
            (self.lena, self.open_leads),
            (self.mia, self.open_leads),
        ]:
            with self.subTest(user=user.name):
                self.assertEqual(self._report(user).lead_id, expected)
        # the totals follow the same rules: Sonia's North is O1 + O6
        totals = (
            self.env["salesperf.pipeline.forecast"]
            .with_user(self.sonia)
            ._pipeline_totals(self.company, "team")
        )
        self.assertEqual(
            totals,
            {
                (self.team_north.id, date(2025, 7, 1)): (3000, 6000),
                (self.team_north.id, date(2025, 9, 1)): (1000, 1200),
            },
        )
        # read-only for everybody
        with self.assertRaises(AccessError):
            self._report(self.mia)[:1].write({"probability": 1})

    # ------------------------------------------------------------
    # Demo data
    # ------------------------------------------------------------

    @freeze_time(TODAY)
    def test_demo_history_walks_the_stages(self):
        """Opportunities created and closed in one transaction have no
        tracking; the demo gives them one (once)."""
        Lead = self.env["crm.lead"]
        won, lost = Lead.create(
            [
                {
                    "name": name,
                    "type": "opportunity",
                    "company_id": self.company.id,
                    "team_id": self.team_south.id,
                    "stage_id": self.proposition.id,
                    "date_deadline": "2025-05-01",
                }
                for name in ("Demo won", "Demo lost")
            ]
        )
        won.write({"stage_id": self.won.id})
        lost.action_set_lost()
        (won | lost).write({"date_closed": datetime(2025, 5, 2, 12, 0)})
        self._flush_tracking()

        def stage_moves(lead):
            messages = self.env["mail.message"].search(
                [("model", "=", "crm.lead"), ("res_id", "=", lead.id)], order="id"
            )
            values = messages.sudo().tracking_value_ids.filtered(
                lambda value: value.field_id.name == "stage_id"
            )
            return sorted((value.old_value_integer, value.new_value_integer) for value in values)

        self.assertEqual(stage_moves(lost), [])
        self.env["salesperf.stage.rate"]._demo_stage_history()
        # lost in Proposition: walked from the first open stage up to it
        open_stages = self.env["crm.stage"].search([("is_won", "=", False)], order="sequence, id")
        path = open_stages[: list(open_stages).index(self.proposition) + 1]
        self.assertEqual(stage_moves(lost), sorted(pairwise(path.ids)))
        # won: walked through the first 1 + id % (open stages) open stages, then won
        won_path = open_stages[: 1 + won.id % len(open_stages)]
        self.assertEqual(stage_moves(won), sorted(pairwise([*won_path.ids, self.won.id])))
        moves = stage_moves(won) + stage_moves(lost)
        self.env["salesperf.stage.rate"]._demo_stage_history()
        self.assertEqual(stage_moves(won) + stage_moves(lost), moves)
        # and the rates were computed
        self.assertTrue(
            self.env["salesperf.stage.rate"].search([("company_id", "=", self.company.id)])
        )
