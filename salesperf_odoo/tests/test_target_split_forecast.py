# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Targets split from the forecast: each child is suggested its own
statistical forecast for its period × the stretch; a draft target is set to
the sum of the suggestions, a committed one (confirmed, already split, or
part of a confirmed split) is shared in proportion to them. The preview
shows last year's actual and the forecast's 80 % interval next to each
amount, the stretch factor is checked, and nothing is split without a
finished forecast run.

The runs and their lines are made here by hand (state done), never computed:
the figures under test are the split's, not the forecaster's."""

import math
from datetime import date

from dateutil.relativedelta import relativedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged
from odoo.tools import html2plaintext

from .test_target_split import SalesperfTargetSplitCommon

Q1 = [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]


@tagged("post_install", "-at_install")
class TestSplitFromForecast(SalesperfTargetSplitCommon):
    """North (Sonia, Sam, Nina; led by Sam) and its first quarter of 2025.

    Last year's first quarter (the same period one year earlier): Sonia 300
    (March 2024), Sam 100 (March 2024), Nina nothing.

    The run from January 2025 forecasts, per month of the quarter
    ``(point, 80 % low, 80 % high)``:

    - Sonia: (100, 80, 130), (100, 80, 140), (100, 90, 100): 300 in all;
    - Sam: (30, 24, 36), (30, 22, 38), (40, 40, 40): 100 in all;
    - Nina: nothing (no line: she has never sold).
    """

    SONIA = [(100.0, 80.0, 130.0), (100.0, 80.0, 140.0), (100.0, 90.0, 100.0)]
    SAM = [(30.0, 24.0, 36.0), (30.0, 22.0, 38.0), (40.0, 40.0, 40.0)]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.january_run = cls._run(
            cls.company,
            date(2025, 1, 1),
            {
                ("user", cls.sonia): cls.SONIA,
                ("user", cls.sam): cls.SAM,
            },
        )

    @classmethod
    def _run(cls, company, date_start, series, horizon=18, state="done"):
        """A run of ``company`` in ``state`` with lines ``{(level, owner):
        [(point, lo80, hi80) per month from date_start]}``; 95 % bounds 10
        wider on each side (never read by the split)."""
        run = cls.env["salesperf.forecast.run"].create(
            {"company_id": company.id, "date_start": date_start, "horizon": horizon, "state": state}
        )
        values = []
        for (level, owner), months in series.items():
            key = "company" if level == "company" else f"{level}:{owner.id}"
            for index, (point, low, high) in enumerate(months):
                values.append(
                    {
                        "run_id": run.id,
                        "company_id": company.id,
                        "currency_id": company.currency_id.id,
                        "level": level,
                        "series_key": key,
                        "team_id": owner.id if level == "team" else False,
                        "user_id": owner.id if level == "user" else False,
                        "date": date_start + relativedelta(months=index),
                        "forecast": point,
                        "base_forecast": point,
                        "lo80": low,
                        "hi80": high,
                        "lo95": max(low - 10, 0),
                        "hi95": high + 10,
                        "method": "ses",
                    }
                )
        cls.env["salesperf.forecast.line"].create(values)
        return run

    def _quarter(self, amount=440.0, confirmed=False):
        quarter = self._north(period_kind="quarter", date_from=Q1[0], amount=amount)
        if confirmed:
            quarter.action_confirm()
        return quarter

    def _line_values(self, split, *names):
        return {line.user_id: tuple(line[name] for name in names) for line in split.line_ids}

    def _children(self, split):
        return self.Target.browse(split.action_apply()["domain"][0][2])

    # ------------------------------------------------------------
    # THE SPLIT
    # ------------------------------------------------------------

    def test_a_draft_target_is_set_from_the_forecasts_times_the_stretch(self):
        quarter = self._quarter(0.0)
        split = self._split(quarter, "owner", "forecast", stretch=1.1, without_history="zero")
        # forecasts 300 and 100 (Nina nothing, "nothing" chosen), × 1.1:
        # suggested 330, 110 and 0; the draft's children get them as they are
        # (75 %, 25 %, 0 % of their sum)
        self.assertEqual(
            self._line_values(split, "suggested_amount", "amount", "share"),
            {
                self.sonia: (330.0, 330.0, 0.75),
                self.sam: (110.0, 110.0, 0.25),
                self.nina: (0.0, 0.0, 0.0),
            },
        )
        # Sonia: 100 + 100 + 100 = 300; below sqrt(20² + 20² + 10²) = sqrt(900)
        # = 30 → 270, above sqrt(30² + 40² + 0²) = 50 → 350.
        # Sam: 30 + 30 + 40 = 100; below sqrt(6² + 8² + 0²) = 10 → 90, above
        # sqrt(6² + 8² + 0²) = 10 → 110. Nina: nothing forecast, 0 [0, 0].
        # Last year's first quarter: Sonia 300, Sam 100, Nina 0.
        self.assertEqual(
            self._line_values(
                split, "forecast_amount", "forecast_lo80", "forecast_hi80", "last_year_amount"
            ),
            {
                self.sonia: (300.0, 270.0, 350.0, 300.0),
                self.sam: (100.0, 90.0, 110.0, 100.0),
                self.nina: (0.0, 0.0, 0.0, 0.0),
            },
        )
        self.assertEqual(
            self._line_values(split, "history_status"),
            {self.sonia: ("found",), self.sam: ("found",), self.nina: ("no_forecast",)},
        )
        # 400 × 1.10 = 440; the target, 0 now, becomes 330 + 110 + 0 = 440
        self.assertIn("at ×1.10: 440.00", split.note)
        self.assertIn("now 0.00\xa0§, to their sum, 440.00", split.note)
        self.assertIn("1 of 3 have nothing forecast", split.note)
        self.assertIn("or nothing (0)", split.note)
        with Form(split) as form:
            form.stretch = 1.2
            # 300 × 1.2 = 360, 100 × 1.2 = 120: the amounts follow at once
            preview = {}
            for index in range(len(form.line_ids)):
                with form.line_ids.edit(index) as line:
                    preview[line.user_id] = (line.suggested_amount, line.amount)
            self.assertEqual(
                preview,
                {self.sonia: (360.0, 360.0), self.sam: (120.0, 120.0), self.nina: (0.0, 0.0)},
            )
            self.assertIn("to their sum, 480.00", form.note)
            form.stretch = 1.1
        children = self._children(split)
        self.assertEqual(
            {child.user_id: child.amount for child in children},
            {self.sonia: 330.0, self.sam: 110.0, self.nina: 0.0},
        )
        self.assertEqual(quarter.amount, 440.0)
        self.assertEqual(quarter.state, "draft")
        self.assertEqual(quarter.owner_mismatch, 0.0)
        body = quarter.message_ids[0].body
        self.assertIn("From the Forecast", body)
        self.assertIn("Forecast from 01/2025, stretch ×1.10", body)
        self.assertIn("without forecast: nothing", body)
        bodies = html2plaintext(" ".join(quarter.message_ids.mapped("body")))
        self.assertIn("400.00\xa0§ × 1.10 = 440.00\xa0§", bodies)
        self.assertIn("440.00\xa0§ (was 0.00\xa0§)", bodies)

    def test_a_confirmed_target_is_shared_in_proportion_to_the_suggestions(self):
        quarter = self._quarter(500.0, confirmed=True)
        split = self._split(quarter, "owner", "forecast", without_history="zero")
        # 500 × 300/400 = 375, × 100/400 = 125 whatever the stretch; at ×1.00
        # the forecast suggests 400; the target is 500 / 400 = ×1.25 it
        self.assertIn("at ×1.00: 400.00", split.note)
        self.assertIn("is 1.25 × the forecast; it is confirmed", split.note)
        with Form(split) as form:
            form.stretch = 1.1
            # 400 × 1.1 = 440
            self.assertIn("at ×1.10: 440.00", form.note)
            # suggested 300 × 1.1 = 330 and 100 × 1.1 = 110; the amounts
            # still share 500
            preview = {}
            for index in range(len(form.line_ids)):
                with form.line_ids.edit(index) as line:
                    preview[line.user_id] = (line.suggested_amount, line.amount)
            self.assertEqual(
                preview,
                {self.sonia: (330.0, 375.0), self.sam: (110.0, 125.0), self.nina: (0.0, 0.0)},
            )
        self.assertEqual(
            {child.user_id: child.amount for child in self._children(split)},
            {self.sonia: 375.0, self.sam: 125.0, self.nina: 0.0},
        )
        self.assertEqual(quarter.amount, 500.0)
        self.assertEqual(quarter.owner_mismatch, 0.0)
        self.assertNotIn("was 500.00", " ".join(quarter.message_ids.mapped("body")))

    def test_child_without_forecast_gets_the_mean_suggestion_by_default(self):
        quarter = self._quarter()
        split = self._split(quarter, "owner", "forecast", stretch=1.1)
        self.assertEqual(split.without_history, "equal")
        self.assertTrue(split.can_choose_without_history)
        # draft: Nina is suggested the mean of the forecasts, (300 + 100) / 2
        # = 200, × 1.1 = 220; Sonia 330, Sam 110; the target 660
        suggested = {self.sonia: 330.0, self.sam: 110.0, self.nina: 220.0}
        self.assertEqual(self._line_values(split, "amount"), {
            user: (amount,) for user, amount in suggested.items()
        })  # fmt: skip
        self.assertIn("suggested the mean of the others' forecasts", split.note)
        self.assertIn("to their sum, 660.00", split.note)
        with Form(split) as form:
            # nothing for Nina: the draft's sum follows at once, 330 + 110 = 440
            form.without_history = "zero"
            self.assertIn("to their sum, 440.00", form.note)
            form.without_history = "equal"
        # confirmed at 440: Nina weighs 200 of 600, an equal share:
        # 440 × 300/600 = 220; 440 × 100/600 = 73.333 → 73.33;
        # 440 × 200/600 = 146.667 → 146.67 (the cent left over, 22000 +
        # 7333 + 14666 = 43999 of 44000, goes to the larger remainder, Nina's)
        quarter.action_confirm()
        split.action_preview()
        self.assertIn("they get an equal share of the target", split.note)
        expected = {self.sonia: 220.0, self.sam: 73.33, self.nina: 146.67}
        self.assertEqual({line.user_id: line.amount for line in split.line_ids}, expected)
        self.assertEqual(
            {line.user_id: line.suggested_amount for line in split.line_ids}, suggested
        )
        self.assertEqual({child.user_id: child.amount for child in self._children(split)}, expected)
        self.assertEqual(quarter.amount, 440.0)

    def test_a_draft_already_split_or_in_a_confirmed_split_keeps_its_amount(self):
        # North's quarter (draft, 500) already split over its months: a split
        # among its people must keep adding up to the same 500
        quarter = self._quarter(500.0)
        self._split(quarter, "period", "equal").action_apply()
        split = self._split(quarter, "owner", "forecast", stretch=1.1, without_history="zero")
        self.assertIn("it is already split into 3 targets", split.note)
        # 500 × 330/440 = 375, × 110/440 = 125
        self.assertEqual(
            {child.user_id: child.amount for child in self._children(split)},
            {self.sonia: 375.0, self.sam: 125.0, self.nina: 0.0},
        )
        self.assertEqual(quarter.amount, 500.0)
        self.assertEqual((quarter.owner_mismatch, quarter.period_mismatch), (0.0, 0.0))

    def test_leader_splits_a_draft_team_target_of_a_confirmed_company_split(self):
        # the company's quarter (confirmed, 500) was split into North's (500,
        # draft): North's amount is committed to it. Sam leads North and may
        # not read the company's target: its state is read for him all the same
        company_quarter = self._target(
            scope="company", user_id=False, period_kind="quarter", date_from=Q1[0], amount=500
        )
        quarter = self._quarter(500.0)
        quarter.parent_id = company_quarter
        company_quarter.action_confirm()
        self.env.invalidate_all()
        split = self._split(
            quarter, "owner", "forecast", user=self.sam, stretch=1.1, without_history="zero"
        )
        self.assertIn("it is part of a confirmed split", split.note)
        # 500 × 330/440 = 375, × 110/440 = 125
        self.assertEqual(
            {child.user_id: child.amount for child in self._children(split)},
            {self.sonia: 375.0, self.sam: 125.0, self.nina: 0.0},
        )
        self.assertEqual(quarter.amount, 500.0)
        self.assertEqual(company_quarter.owner_mismatch, 0.0)

    def test_months_before_the_run_count_at_their_actual(self):
        # a run from March 2025 only: January and February are history.
        # Sonia: January 0 + February 200 (actual) + March 100 [80, 130] =
        # 300 [280, 330]; Sam: 0 + 0 + 100 [90, 110] = 100 [90, 110]
        self._run(
            self.company,
            date(2025, 3, 1),
            {
                ("user", self.sonia): [(100.0, 80.0, 130.0)],
                ("user", self.sam): [(100.0, 90.0, 110.0)],
            },
        )
        split = self._split(
            self._quarter(800.0, confirmed=True), "owner", "forecast", without_history="zero"
        )
        self.assertEqual(
            self._line_values(split, "forecast_amount", "forecast_lo80", "forecast_hi80"),
            {
                self.sonia: (300.0, 280.0, 330.0),
                self.sam: (100.0, 90.0, 110.0),
                self.nina: (0.0, 0.0, 0.0),
            },
        )
        # 800 × 300/400 = 600, × 100/400 = 200
        self.assertEqual(
            {line.user_id: line.amount for line in split.line_ids},
            {self.sonia: 600.0, self.sam: 200.0, self.nina: 0.0},
        )

    def test_teams_company_and_months_use_their_own_series(self):
        # North 300 and South 100 a month of the first quarter, the company
        # 400; Sonia's own series is in the run too and must not count for
        # North. Another company's later run, with a "team:<North>" series
        # of its own, is not this company's latest.
        other = self.env["res.company"].create({"name": "Other Forecast Company"})
        self._run(other, date(2025, 2, 1), {("team", self.team_north): [(9000.0,) * 3] * 3})
        self._run(
            self.company,
            date(2025, 1, 1),
            {
                ("team", self.team_north): [(100.0, 90.0, 110.0), (200.0, 180.0, 220.0),
                                            (0.0, 0.0, 0.0)],
                ("team", self.team_south): [(50.0, 40.0, 60.0)] * 3,
                ("company", None): [(150.0, 130.0, 170.0), (250.0, 220.0, 280.0),
                                    (50.0, 40.0, 60.0)],
                ("user", self.sonia): [(5000.0, 4000.0, 6000.0)] * 3,
            },
        )  # fmt: skip
        company_quarter = self._target(
            scope="company", user_id=False, period_kind="quarter", date_from=Q1[0], amount=900
        )
        # a draft company quarter over its months is planned from their own
        # forecasts: 150, 250, 50 × 1.2 → 180, 300, 60, the quarter 540
        split = self._split(company_quarter, "period", "forecast", stretch=1.2)
        self.assertEqual(split.line_ids.mapped("amount"), [180.0, 300.0, 60.0])
        self.assertIn("now 900.00\xa0§, to their sum, 540.00", split.note)
        # confirmed: shared in proportion to the forecasts
        company_quarter.action_confirm()
        split = self._split(company_quarter, "owner", "forecast")
        # teams of the company: North 100 + 200 + 0 = 300, South 3 × 50 = 150:
        # 900 × 300/450 = 600, × 150/450 = 300
        self.assertEqual(
            {line.team_id: line.amount for line in split.line_ids},
            {self.team_north: 600.0, self.team_south: 300.0},
        )
        # South: below and above sqrt(3 × 10²) = 17.32 → [132.68, 167.32]
        south = split.line_ids.filtered(lambda line: line.team_id == self.team_south)
        self.assertEqual(
            (south.forecast_amount, south.forecast_lo80, south.forecast_hi80),
            (150.0, 132.68, 167.32),
        )
        self.assertAlmostEqual(150 + math.sqrt(300), 167.32, places=2)
        # North over its months: 100, 200, 0 (a month forecast at 0 is a month
        # without forecast: it gets nothing when "nothing" is chosen):
        # 900 × 100/300 = 300, × 200/300 = 600, 0
        split = self._split(
            self._quarter(900.0, confirmed=True),
            "period",
            "forecast",
            without_history="zero",
            stretch=1.0,
        )
        self.assertEqual(split.line_ids.mapped("amount"), [300.0, 600.0, 0.0])
        self.assertEqual(split.line_ids.mapped("forecast_hi80"), [110.0, 220.0, 0.0])
        # the company over its months: 150, 250, 50 of 450 → 300, 500, 100
        split = self._split(company_quarter, "period", "forecast")
        self.assertEqual(split.line_ids.mapped("amount"), [300.0, 500.0, 100.0])

    # ------------------------------------------------------------
    # REFUSALS
    # ------------------------------------------------------------

    def test_stretch_of_zero_or_less_is_refused_and_nothing_is_written(self):
        quarter = self._quarter()
        for stretch in (0.0, -1.1, math.nan, math.inf):
            with self.subTest(stretch=stretch):
                split = self.env["salesperf.target.split"].create(
                    {
                        "target_id": quarter.id,
                        "split_by": "owner",
                        "method": "forecast",
                        "stretch": stretch,
                    }
                )
                with self.assertRaisesRegex(UserError, "stretch factor must be a number above 0"):
                    split.action_preview()
                self.assertFalse(split.line_ids)
        # previewed at 1.10, then set to 0 before applying: refused, no child
        split = self._split(quarter, "owner", "forecast", stretch=1.1)
        split.stretch = 0.0
        count = self.Target.search_count([])
        with self.assertRaisesRegex(
            UserError, r"stretch factor must be a number above 0 \(1.10 for 10 % above"
        ):
            split.action_apply()
        self.assertEqual(self.Target.search_count([]), count)
        self.assertFalse(quarter.child_ids)
        self.assertEqual(quarter.amount, 440.0)
        # the form says so as soon as the stretch is typed
        split.stretch = 1.1
        with Form(split) as form:
            form.stretch = -2
            self.assertIn("stretch factor must be a number above 0", form.note)
            form.stretch = 1.1

    def test_no_finished_run_tells_to_run_the_forecasts_first(self):
        self.january_run.state = "failed"
        # a run still computing, and another company's finished one, do not count
        self._run(self.company, date(2025, 2, 1), {}, state="running")
        other = self.env["res.company"].create({"name": "Other Forecast Company"})
        self._run(other, date(2025, 1, 1), {})
        quarter = self._quarter()
        split = self.env["salesperf.target.split"].create(
            {"target_id": quarter.id, "split_by": "owner", "method": "forecast"}
        )
        with self.assertRaisesRegex(UserError, "has no finished forecast yet: run the forecasts"):
            split.action_preview()
        self.assertFalse(split.line_ids)

    def test_period_beyond_the_forecast_and_other_metrics_are_refused(self):
        # the run from January 2025 over 3 months reaches March only: April's
        # quarter needs June
        self._run(self.company, date(2025, 1, 1), {}, horizon=3)
        self.january_run.state = "failed"
        second_quarter = self._north(period_kind="quarter", date_from=date(2025, 4, 1))
        split = self.env["salesperf.target.split"].create(
            {"target_id": second_quarter.id, "split_by": "owner", "method": "forecast"}
        )
        with self.assertRaisesRegex(
            UserError, "covers 01/2025 to 03/2025: it does not reach 06/2025"
        ):
            split.action_preview()
        margin = self._north(period_kind="quarter", date_from=Q1[0], metric="margin")
        split = self.env["salesperf.target.split"].create(
            {"target_id": margin.id, "split_by": "owner", "method": "forecast"}
        )
        with self.assertRaisesRegex(UserError, "a target of Margin cannot be split from it"):
            split.action_preview()

    def test_a_new_run_since_the_preview_asks_to_preview_again(self):
        split = self._split(self._quarter(), "owner", "forecast", user=self.sam)
        # a later run finishes: Sam's forecast is now 300 as well
        self._run(
            self.company,
            date(2025, 2, 1),
            {("user", self.sonia): self.SONIA, ("user", self.sam): self.SONIA},
        )
        count = self.Target.search_count([])
        with self.assertRaisesRegex(UserError, "Preview it again"):
            split.action_apply()
        self.assertEqual(self.Target.search_count([]), count)

    # ------------------------------------------------------------
    # RIGHTS
    # ------------------------------------------------------------

    def test_team_leader_with_own_documents_splits_his_team_from_the_forecast(self):
        self.assertFalse(self.sam.has_group("sales_team.group_sale_salesman_all_leads"))
        quarter = self._quarter(0.0)
        # nothing read as superuser left in the cache: Sam's reads are checked
        self.env.invalidate_all()
        split = self._split(
            quarter, "owner", "forecast", user=self.sam, stretch=1.1, without_history="zero"
        )
        self.assertEqual(split.env.user, self.sam)
        # as for the director: 330, 110, 0, with last year's 300 and 100
        self.assertEqual(
            self._line_values(split, "amount", "last_year_amount", "forecast_hi80"),
            {
                self.sonia: (330.0, 300.0, 350.0),
                self.sam: (110.0, 100.0, 110.0),
                self.nina: (0.0, 0.0, 0.0),
            },
        )
        children = self._children(split)
        self.assertEqual(
            {child.user_id: child.amount for child in children},
            {self.sonia: 330.0, self.sam: 110.0, self.nina: 0.0},
        )
        self.assertEqual(children.create_uid, self.sam)
        # the draft was set from the forecasts × 1.1 by Sam: 330 + 110 = 440
        self.assertEqual(quarter.amount, 440.0)
        self.assertEqual(quarter.write_uid, self.sam)

    def test_who_may_not_manage_the_target_gets_no_forecast_split(self):
        quarter = self._quarter()
        # Sonia reads no team target; Sam leads North, not South
        south = self._target(
            scope="team", team_id=self.team_south.id, user_id=False, period_kind="quarter",
            date_from=Q1[0],
        )  # fmt: skip
        for user, target in ((self.sonia, quarter), (self.sam, south)):
            with self.subTest(user=user.name):
                split = (
                    self.env["salesperf.target.split"]
                    .with_user(user)
                    .create({"target_id": target.id, "split_by": "owner", "method": "forecast"})
                )
                with self.assertRaises(AccessError):
                    split.action_preview()
                self.assertFalse(split.sudo().line_ids)

    def test_the_leader_sees_the_forecast_columns(self):
        views = (
            self.env["salesperf.target.split"]
            .with_user(self.sam)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        for name in ("stretch", "forecast_amount", "forecast_lo80", "forecast_hi80",
                     "last_year_amount"):  # fmt: skip
            self.assertIn(f'name="{name}"', views)
