# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Statistical forecast runs: queued by an administrator or each month,
computed by the scheduled action in batches, reconciled across levels;
their chart, the forecast on the goals panel, and who reads what."""

import logging
from datetime import date
from unittest.mock import patch

import psycopg2
from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import mute_logger

from ..engine.forecast import METHODS, forecast_series
from ..models import salesperf_forecast_run as forecast_run_module
from ..models.salesperf_forecast_run import components_label, distribute
from .common import SalesperfCommon, SalesperfTourCase

RUN_LOGGER = "odoo.addons.salesperf_odoo.models.salesperf_forecast_run"
MARCH = date(2025, 3, 1)
#: The 18 months forecast from March 2025: March 2025 to August 2026.
HORIZON_MONTHS = [MARCH + relativedelta(months=index) for index in range(18)]


class ForecastRunCommon(SalesperfCommon):
    """Two years of constant monthly sales, so that every forecast is known
    by hand (the forecast of a constant series is that constant):

    ======  =====  ========  =======  ==================  ===========
    who     team   customer  product  category            per month
    ======  =====  ========  =======  ==================  ===========
    Sonia   North  Acme      X        Salesperf Widgets          100
    Sam     North  Bolt      Z        Salesperf Gadgets           50
    Tom     South  Core      Z        Salesperf Gadgets           20
    ======  =====  ========  =======  ==================  ===========

    from March 2023 to February 2025 (24 closed months), and Sonia's 30 of
    March 2025 so far. Sam leads North. The series: the three salespeople in
    their teams, the three salespeople, North, South, the company, the two
    categories and the large customers: over the last 12 months Acme 1200,
    Bolt 600, Core 240 of 2040; 80 % is 1632, reached with Acme and Bolt
    (1800), so Core is not one. 3 + 3 + 2 + 1 + 2 + 2 = 13 series.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team_north.user_id = cls.sam
        cls.manager = new_test_user(
            cls.env,
            login="forecast_director",
            name="Forecast Director",
            groups="sales_team.group_sale_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.gadgets = cls.env["product.category"].create({"name": "Salesperf Gadgets"})
        cls.product_z = cls.env["product.product"].create(
            {"name": "Gadget Z", "categ_id": cls.gadgets.id, "list_price": 10.0}
        )
        rows = []
        for index in range(24):
            day = date(2023, 3, 15) + relativedelta(months=index)
            rows += [
                cls._sale_values(
                    cls.sonia, cls.team_north, cls.customer_a, cls.product_x, 100, day
                ),
                cls._sale_values(cls.sam, cls.team_north, cls.customer_b, cls.product_z, 50, day),
                cls._sale_values(cls.tom, cls.team_south, cls.customer_c, cls.product_z, 20, day),
            ]
        rows.append(
            cls._sale_values(
                cls.sonia, cls.team_north, cls.customer_a, cls.product_x, 30, date(2025, 3, 5)
            )
        )
        cls.env["salesperf.external.sale"].create(rows)
        cls.Run = cls.env["salesperf.forecast.run"]
        cls.Line = cls.env["salesperf.forecast.line"]
        cls.cron = cls.env.ref("salesperf_odoo.ir_cron_salesperf_forecast_runs")
        north, south = cls.team_north.id, cls.team_south.id
        sonia, sam, tom = cls.sonia.id, cls.sam.id, cls.tom.id
        #: series key: its forecast per month, by hand (constant series)
        cls.expected = {
            f"team:{north}:user:{sonia}": 100.0,
            f"team:{north}:user:{sam}": 50.0,
            f"team:{south}:user:{tom}": 20.0,
            f"user:{sonia}": 100.0,
            f"user:{sam}": 50.0,
            f"user:{tom}": 20.0,
            f"team:{north}": 150.0,
            f"team:{south}": 20.0,
            "company": 170.0,
            f"categ:{cls.category.id}": 100.0,
            f"categ:{cls.gadgets.id}": 70.0,
            f"partner:{cls.customer_a.id}": 100.0,
            f"partner:{cls.customer_b.id}": 50.0,
        }

    @classmethod
    def _sale_values(cls, user, team, partner, product, amount, day):
        return {
            "name": f"EXT-{user.login}-{day}",
            "date": day,
            "company_id": cls.company.id,
            "user_id": user.id,
            "team_id": team.id,
            "partner_id": partner.id,
            "product_id": product.id,
            "quantity": 1.0,
            "currency_id": cls.currency_xsa.id,
            "price_subtotal": amount,
        }

    def setUp(self):
        super().setUp()
        # the other companies of the database have their month's run: the
        # scheduled action only has this company's to compute
        others = self.env["res.company"].search([("id", "!=", self.company.id)])
        self.Run.create(
            [
                {
                    "company_id": other.id,
                    "date_start": other._salesperf_month_start(),
                    "state": "done",
                }
                for other in others
            ]
        )

    def _queue(self, user=None):
        return (
            self.Run.with_user(user or self.manager).with_company(self.company).action_queue_run()
        )

    def _company_run(self, states=("queued", "running", "done", "failed")):
        return self.Run.search(
            [("company_id", "=", self.company.id), ("state", "in", list(states))],
            order="id desc",
            limit=1,
        )

    def _compute(self, batch_size=None, max_calls=100):
        """Call the scheduled action until this company's run is finished;
        returns the number of calls."""
        for calls in range(1, max_calls + 1):
            self.Run._cron_process_runs(batch_size)
            if self._company_run().state in ("done", "failed"):
                return calls
        raise AssertionError("The run never finished")

    def _forecasts(self, run):
        """``{series key: {month: forecast}}`` of ``run``."""
        result = {}
        for line in run.line_ids:
            result.setdefault(line.series_key, {})[line.date] = line.forecast
        return result


@tagged("post_install", "-at_install")
@freeze_time("2025-03-14 12:00:00")
class TestForecastRun(ForecastRunCommon):
    def test_run_is_queued_then_computed_by_the_scheduled_action(self):
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])
        action = self._queue()
        run = self._company_run()
        self.assertEqual(action["params"]["run_id"], run.id)
        # queued for the company's current month, by whom asked: nothing computed
        self.assertEqual(
            (run.state, run.date_start, run.horizon, run.user_id, len(run.line_ids)),
            ("queued", MARCH, 18, self.manager, 0),
        )
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)]),
            triggers + 1,
            "the button wakes the scheduled action up",
        )
        # asked again while it waits: the same run
        self.assertEqual(self._queue()["params"]["run_id"], run.id)
        self.assertEqual(self.Run.search_count([("company_id", "=", self.company.id)]), 1)

        self._compute()
        self.assertEqual(run.state, "done")
        self.assertTrue(run.date_done)
        # 126 months back from March 2025: September 2014 to February 2025
        self.assertEqual((run.history_from, run.history_to), (date(2014, 9, 1), date(2025, 2, 1)))
        self.assertEqual((run.series_total, run.series_done), (13, 13))
        forecasts = self._forecasts(run)
        self.assertEqual(set(forecasts), set(self.expected))
        for key, amount in self.expected.items():
            with self.subTest(key=key):
                # a constant series: its constant, every month of the horizon
                self.assertEqual(forecasts[key], dict.fromkeys(HORIZON_MONTHS, amount))
        lines = run.line_ids
        # constant series are coherent already: reconciling changes nothing
        self.assertEqual(lines.mapped("base_forecast"), lines.mapped("forecast"))
        self.assertTrue(
            all(line.lo95 <= line.lo80 <= line.forecast <= line.hi80 <= line.hi95 for line in lines)
        )
        self.assertEqual(set(lines.mapped("history_months")), {24})
        self.assertLessEqual(set(lines.mapped("method")), set(METHODS))
        self.assertTrue(all(lines.mapped("is_latest")))
        self.assertEqual(lines.currency_id, self.currency_xsa)
        levels = {line.series_key: line.level for line in lines}
        self.assertEqual(levels[f"team:{self.team_north.id}:user:{self.sonia.id}"], "cell")
        self.assertEqual(levels[f"partner:{self.customer_a.id}"], "customer")
        self.assertEqual(levels[f"categ:{self.gadgets.id}"], "category")
        # each line names its owner
        [cell] = lines.filtered(
            lambda line: line.level == "cell" and line.user_id == self.sam and line.date == MARCH
        )
        self.assertEqual(cell.team_id, self.team_north)
        self.assertEqual(self.Run._latest_done(self.company), run)

    def test_reconciled_levels_add_up_by_hand(self):
        """Base forecasts that do not add up, reconciled by weighted least
        squares with structural weights (the number of bottom series under
        each series), as computed by hand for one month.

        Bottom: Sonia in North (A) 100, Sam in North (B) 50; Sonia 100, Sam
        50; North 150; the company 210. Weights: A, B, Sonia, Sam 1; North,
        company 2. S'W⁻¹S = [[3, 1], [1, 3]]; S'W⁻¹ŷ: A 100 + 210/2 + 150/2 +
        100 = 380, B 50 + 105 + 75 + 50 = 280. A = (3·380 − 280) / 8 = 107.5,
        B = (3·280 − 380) / 8 = 57.5; North = the company = 165.
        Categories 120 and 60 (180) scaled to 165: 110 and 55. Acme keeps 90.
        """
        run = self.Run.create(
            {
                "company_id": self.company.id,
                "date_start": MARCH,
                "horizon": 1,
                "state": "running",
                "series_total": 10,
                "series_done": 10,
                "series_data": {"keys": [], "values": {}, "pipeline": {}},
            }
        )
        north, sonia, sam = self.team_north.id, self.sonia.id, self.sam.id
        base = {
            f"team:{north}:user:{sonia}": 100.0,
            f"team:{north}:user:{sam}": 50.0,
            f"user:{sonia}": 100.0,
            f"user:{sam}": 50.0,
            f"team:{north}": 150.0,
            "company": 210.0,
            f"categ:{self.category.id}": 120.0,
            f"categ:{self.gadgets.id}": 60.0,
            f"partner:{self.customer_a.id}": 90.0,
        }
        levels = {"team": "team", "user": "user", "categ": "category", "partner": "customer"}
        self.Line.create(
            [
                {
                    "run_id": run.id,
                    "company_id": self.company.id,
                    "currency_id": self.currency_xsa.id,
                    "level": "company"
                    if key == "company"
                    else "cell"
                    if key.count(":") == 3
                    else levels[key.split(":")[0]],
                    "series_key": key,
                    "date": MARCH,
                    "base_forecast": amount,
                    "forecast": amount,
                    "lo80": amount - 10,
                    "hi80": amount + 10,
                    "lo95": amount - 20,
                    "hi95": amount + 20,
                    "method": "ses",
                    "has_backtest": True,
                    "backtest_mase": 0.5,
                    "scale": 1.0,
                }
                for key, amount in base.items()
            ]
        )
        self.Run._cron_process_runs()
        self.assertEqual(run.state, "done")
        reconciled = {key: months[MARCH] for key, months in self._forecasts(run).items()}
        self.assertEqual(
            reconciled,
            {
                f"team:{north}:user:{sonia}": 107.5,
                f"team:{north}:user:{sam}": 57.5,
                f"user:{sonia}": 107.5,
                f"user:{sam}": 57.5,
                f"team:{north}": 165.0,
                "company": 165.0,
                f"categ:{self.category.id}": 110.0,
                f"categ:{self.gadgets.id}": 55.0,
                f"partner:{self.customer_a.id}": 90.0,
            },
        )
        # the base forecasts stay; the intervals move with their point:
        # the company 210 - 10 = 200 becomes 165 - 10 = 155
        [company] = run.line_ids.filtered(lambda line: line.series_key == "company")
        self.assertEqual(
            (company.base_forecast, company.lo80, company.hi80, company.lo95, company.hi95),
            (210.0, 155.0, 175.0, 145.0, 185.0),
        )

    def test_amounts_that_must_add_up_do_to_the_cent(self):
        # 100.00 in three equal shares: 33.34 + 33.33 + 33.33, not 3 × 33.33
        self.assertEqual(
            distribute(100.0, [1.0, 1.0, 1.0], self.currency_xsa), [33.34, 33.33, 33.33]
        )
        # shares in proportion, the cent left to the largest remainder:
        # 10.00 × 2/3 = 6.666…, × 1/3 = 3.333… -> 6.67 + 3.33
        self.assertEqual(distribute(10.0, [6.6666, 3.3333], self.currency_xsa), [6.67, 3.33])

    def test_batches_report_progress_and_log(self):
        """13 series in batches of 2: a start, 7 batches (6 × 2 + 1) and
        the reconciliation, 9 calls of the scheduled action; each reports
        what it did and what is left over the pending runs."""
        self._queue()
        run = self._company_run()
        reports = []
        # by number: Odoo names its level 25 "INFO"
        with self.assertLogs(RUN_LOGGER, logging.INFO) as logs:
            for _call in range(20):
                cron, progress = self.cron._add_progress()
                self.Run.with_context(
                    ir_cron_progress_id=cron.env.context["ir_cron_progress_id"]
                )._cron_process_runs(batch_size=2)
                reports.append((progress.done, progress.remaining, run.series_done))
                if run.state == "done":
                    break
        self.assertEqual(
            reports,
            [
                # started: 13 series and the reconciliation left
                (1, 14, 0),
                (2, 12, 2),
                (2, 10, 4),
                (2, 8, 6),
                (2, 6, 8),
                (2, 4, 10),
                (2, 2, 12),
                (1, 1, 13),
                # reconciled: nothing left, the scheduler stops calling
                (1, 0, 13),
            ],
        )
        output = "\n".join(logs.output)
        self.assertIn("started: 13 series", output)
        self.assertIn("2 of 13 series forecast", output)
        self.assertIn("13 of 13 series forecast", output)
        self.assertIn("done: 13 series reconciled", output)
        self.assertEqual(len(run.line_ids), 13 * 18)

    @mute_logger(RUN_LOGGER)
    def test_failure_marks_the_run_failed_and_writes_nothing_of_the_batch(self):
        self._queue()
        run = self._company_run()
        self.Run._cron_process_runs()
        self.assertEqual(run.state, "running")
        # a history the forecaster cannot read
        data = dict(run.series_data)
        first = data["keys"][0]
        data["values"] = {**data["values"], first: ["not a number"]}
        run.series_data = data
        self.Run._cron_process_runs()
        self.assertEqual(run.state, "failed")
        self.assertTrue(run.error_message)
        self.assertTrue(run.date_done)
        # the failed batch rolled back whole
        self.assertEqual((run.series_done, len(run.line_ids)), (0, 0))
        self.assertFalse(self.Run._latest_done(self.company))
        # a failed run is not taken again; a new one is computed
        self._queue()
        new_run = self._company_run()
        self.assertNotEqual(new_run, run)
        self._compute()
        self.assertEqual((run.state, new_run.state), ("failed", "done"))

    def test_the_month_run_of_each_company_is_queued_once(self):
        company_2 = self.env["res.company"].create({"name": "Salesperf Forecast Other"})
        self.Run.search([("company_id", "=", self.company.id)]).unlink()
        # last month's run does not count for this month
        self.Run.create(
            {"company_id": self.company.id, "date_start": date(2025, 2, 1), "state": "done"}
        )
        queued = self.Run._queue_monthly_runs()
        self.assertEqual(queued.company_id, self.company | company_2)
        self.assertEqual(set(queued.mapped("date_start")), {MARCH})
        self.assertFalse(queued.user_id, "queued by the scheduled action, not by a person")
        self.assertFalse(self.Run._queue_monthly_runs())

    def test_batches_run_in_the_process_of_the_scheduled_action_by_default(self):
        """No fork inside an Odoo worker unless the system parameter says so."""
        params = self.env["ir.config_parameter"].sudo()
        self._queue()
        with patch.object(
            forecast_run_module, "forecast_many", wraps=forecast_run_module.forecast_many
        ) as engine:
            self._compute()
        self.assertEqual(self._company_run().state, "done")
        self.assertTrue(engine.call_args_list)
        self.assertEqual({call.kwargs["processes"] for call in engine.call_args_list}, {1})
        # the opt-in, and what is not a number of processes
        for value, processes in (("2", 2), (" 4 ", 4), ("0", 1), ("-3", 1), ("many", 1), ("", 1)):
            params.set_param("salesperf_odoo.forecast_processes", value)
            with self.subTest(value=value):
                self.assertEqual(self.Run._forecast_processes(), processes)

    @mute_logger(RUN_LOGGER)
    def test_failed_month_is_queued_again_three_times_at_most(self):
        self.Run.search([("company_id", "=", self.company.id)]).unlink()
        # March's run failed: the scheduled action queues March again
        self.Run.create({"company_id": self.company.id, "date_start": MARCH, "state": "failed"})
        for attempt in (2, 3):
            with self.subTest(attempt=attempt):
                queued = self.Run._queue_monthly_runs()
                self.assertEqual((queued.company_id, queued.date_start), (self.company, MARCH))
                # one pending run at a time
                self.assertFalse(self.Run._queue_monthly_runs())
                queued.state = "failed"
        # three failed runs of March: left to an administrator
        with self.assertLogs(RUN_LOGGER, logging.WARNING) as logs:
            self.assertFalse(self.Run._queue_monthly_runs())
        self.assertIn("failed 3 times", logs.output[0])
        self.assertEqual(self._queue()["params"]["run_id"], self._company_run(["queued"]).id)
        self.assertEqual(self.Run.search_count([("company_id", "=", self.company.id)]), 4)
        # a month with a finished run is not queued again after a failure
        self.Run.search([("company_id", "=", self.company.id)]).unlink()
        self.Run.create(
            [
                {"company_id": self.company.id, "date_start": MARCH, "state": "done"},
                {"company_id": self.company.id, "date_start": MARCH, "state": "failed"},
            ]
        )
        self.assertFalse(self.Run._queue_monthly_runs())
        # a run of February still running: March waits for it
        self.Run.search([("company_id", "=", self.company.id)]).unlink()
        self.Run.create(
            {"company_id": self.company.id, "date_start": date(2025, 2, 1), "state": "running"}
        )
        self.assertFalse(self.Run._queue_monthly_runs())

    def test_database_errors_that_abort_the_transaction_reach_the_scheduler(self):
        """A serialization failure is not the run's fault: the batch rolls
        back to its savepoint, the error goes up so that the scheduler rolls
        the transaction back and tries again; the run stays as it was."""
        self._queue()
        run = self._company_run()
        self.Run._cron_process_runs()
        self.assertEqual(run.state, "running")

        def conflict(*args, **kwargs):
            raise psycopg2.errors.SerializationFailure("could not serialize access")

        with (
            patch.object(forecast_run_module, "forecast_many", conflict),
            self.assertRaises(psycopg2.errors.SerializationFailure),
        ):
            self.Run._cron_process_runs()
        self.assertEqual((run.state, run.series_done, len(run.line_ids)), ("running", 0, 0))
        self.assertFalse(run.error_message)
        # tried again: the run goes on
        self._compute()
        self.assertEqual(run.state, "done")

    def test_duplicates_are_refused_by_the_database(self):
        self._queue()
        run = self._company_run()
        # a second pending run of the company, as a second click at the same
        # moment would insert it: refused, the transaction goes on
        self.assertFalse(
            self.Run._create_pending_run({"company_id": self.company.id, "date_start": MARCH})
        )
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.IntegrityError),
            self.env.cr.savepoint(),
        ):
            self.Run.create(
                {"company_id": self.company.id, "date_start": MARCH, "state": "running"}
            )
        self.assertEqual(
            self.Run.search_count(
                [("company_id", "=", self.company.id), ("state", "in", ("queued", "running"))]
            ),
            1,
        )
        self._compute()
        # finished and failed runs do not count: a new one may be queued
        self.assertTrue(
            self.Run._create_pending_run({"company_id": self.company.id, "date_start": MARCH})
        )
        # one line per series and month of a run
        line = run.line_ids[:1]
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.IntegrityError),
            self.env.cr.savepoint(),
        ):
            line.copy()
        self.assertEqual(len(run.line_ids), 13 * 18)

    def test_each_line_names_the_models_of_its_forecast(self):
        # the label: each method's name and weight, largest first
        self.assertEqual(
            components_label((("theta", 0.42), ("damped", 0.31), ("arima", 0.27))),
            "Theta 42 %, Damped trend 31 %, ARIMA 27 %",
        )
        # a method used alone; a weight under half a percent
        self.assertEqual(components_label((("snaive", 1.0),)), "Seasonal naive 100 %")
        self.assertEqual(
            components_label((("theta", 0.996), ("mean", 0.004))), "Theta 100 %, Mean <1 %"
        )
        self._queue()
        self._compute()
        run = self._company_run()
        values = run.series_data["values"]
        components = {line.series_key: line.components for line in run.line_ids}
        for key, label in components.items():
            with self.subTest(key=key):
                # the engine's own forecast of the same history
                expected = forecast_series(values[key], 18, 12).components
                self.assertEqual(label, components_label(expected))
                self.assertTrue(label)
        # every series is constant: each model fitting it exactly weighs the same
        self.assertEqual(len(set(components.values())), 1)

    def test_overdue_opportunities_count_in_the_first_month(self):
        """Sonia's open opportunities: one expected in January (overdue,
        1000 × 50 % = 500), one in April (200 × 10 % = 20), one without
        expected closing (left out). The run's first month, March, holds the
        overdue 500; April the 20."""
        self.env["crm.lead"].create(
            [
                {
                    "name": name,
                    "type": "opportunity",
                    "company_id": self.company.id,
                    "team_id": self.team_north.id,
                    "user_id": self.sonia.id,
                    "expected_revenue": revenue,
                    "probability": probability,
                    "date_deadline": deadline,
                }
                for name, revenue, probability, deadline in [
                    ("Overdue", 1000.0, 50.0, date(2025, 1, 20)),
                    ("April", 200.0, 10.0, date(2025, 4, 2)),
                    ("Someday", 5000.0, 50.0, False),
                ]
            ]
        )
        self._queue()
        self._compute()
        run = self._company_run()
        for key in (f"user:{self.sonia.id}", f"team:{self.team_north.id}", "company"):
            pipeline = {
                line.date: line.pipeline_weighted
                for line in run.line_ids
                if line.series_key == key and line.pipeline_weighted
            }
            with self.subTest(key=key):
                self.assertEqual(pipeline, {MARCH: 500.0, date(2025, 4, 1): 20.0})

    def test_dormant_series_are_left_out_and_short_ones_start_with_their_first_sale(self):
        """Olga sold in South from March to June 2023 only: nothing in the
        last 12 months, no series of hers. Nina joined South in December
        2024: her series has 3 months (December to February)."""
        olga, nina = (
            new_test_user(
                self.env,
                login=login,
                groups="sales_team.group_sale_salesman",
                company_id=self.company.id,
                company_ids=[Command.set(self.company.ids)],
            )
            for login in ("olga", "nina")
        )
        rows = [
            self._sale_values(
                olga, self.team_south, self.customer_c, self.product_z, 10, date(2023, month, 10)
            )
            for month in (3, 4, 5, 6)
        ] + [
            self._sale_values(nina, self.team_south, self.customer_c, self.product_z, 10, day)
            for day in (date(2024, 12, 10), date(2025, 1, 10), date(2025, 2, 10))
        ]
        self.env["salesperf.external.sale"].create(rows)
        self._queue()
        self._compute()
        run = self._company_run()
        keys = set(run.line_ids.mapped("series_key"))
        self.assertFalse({key for key in keys if f"user:{olga.id}" in key})
        self.assertIn(f"team:{self.team_south.id}:user:{nina.id}", keys)
        months = {line.series_key: line.history_months for line in run.line_ids}
        self.assertEqual(months[f"user:{nina.id}"], 3)
        # South's history counts Olga's old sales: from March 2023
        self.assertEqual(months[f"team:{self.team_south.id}"], 24)


@tagged("post_install", "-at_install")
@freeze_time("2025-03-14 12:00:00")
class TestForecastRunAccess(ForecastRunCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Run.create({"company_id": cls.company.id, "date_start": MARCH})

    def setUp(self):
        super().setUp()
        self._compute()
        self.run = self._company_run()

    def _keys(self, user):
        lines = (
            self.Line.with_user(user)
            .with_company(self.company)
            .search([("run_id", "=", self.run.id)])
        )
        return set(lines.mapped("series_key"))

    def test_button_is_for_administrators_only(self):
        for user in (self.sonia, self.sam, self.lena):
            with self.subTest(user=user.name), self.assertRaises(AccessError):
                self._queue(user)
        self.assertEqual(
            self.Run.search_count([("company_id", "=", self.company.id), ("state", "=", "queued")]),
            0,
        )

    def test_salesperson_reads_her_own_series_only(self):
        north, sonia = self.team_north.id, self.sonia.id
        self.assertEqual(self._keys(self.sonia), {f"user:{sonia}", f"team:{north}:user:{sonia}"})
        sam_line = self.run.line_ids.filtered(lambda line: line.user_id == self.sam)[:1]
        with self.assertRaises(AccessError):
            sam_line.with_user(self.sonia).read(["forecast"])
        # lines are the scheduled action's to write
        own_line = self.run.line_ids.filtered(lambda line: line.user_id == self.sonia)[:1]
        with self.assertRaises(AccessError):
            own_line.with_user(self.sonia).write({"forecast": 1.0})
        # runs are for "All Documents" users and administrators
        with self.assertRaises(AccessError):
            self.run.with_user(self.sonia).read(["state"])

    def test_leader_reads_his_team_and_its_members(self):
        north, sonia, sam = self.team_north.id, self.sonia.id, self.sam.id
        self.assertEqual(
            self._keys(self.sam),
            {
                f"team:{north}",
                f"team:{north}:user:{sonia}",
                f"team:{north}:user:{sam}",
                f"user:{sonia}",
                f"user:{sam}",
            },
        )
        self.assertEqual(
            self._keys(self.tom),
            {f"user:{self.tom.id}", f"team:{self.team_south.id}:user:{self.tom.id}"},
        )

    def test_all_documents_and_administrators_read_everything_of_their_companies(self):
        self.assertEqual(self._keys(self.lena), set(self.expected))
        self.assertEqual(self._keys(self.manager), set(self.expected))
        self.assertEqual(self.run.with_user(self.lena).state, "done")
        with self.assertRaises(AccessError):
            self.run.line_ids[:1].with_user(self.manager).write({"forecast": 1.0})
        company_2 = self.env["res.company"].create({"name": "Salesperf Forecast Elsewhere"})
        outsider = new_test_user(
            self.env,
            login="outsider",
            groups="sales_team.group_sale_manager",
            company_id=company_2.id,
            company_ids=[Command.set(company_2.ids)],
        )
        self.assertFalse(self.Line.with_user(outsider).search([("run_id", "=", self.run.id)]))
        self.assertFalse(self.Run.with_user(outsider).search([("id", "=", self.run.id)]))


@tagged("post_install", "-at_install")
@freeze_time("2025-03-14 12:00:00")
class TestForecastChart(ForecastRunCommon):
    def setUp(self):
        super().setUp()
        self._queue()
        self._compute()
        target = self.env["salesperf.target"].create(
            {
                "scope": "user",
                "user_id": self.sonia.id,
                "team_id": self.team_north.id,
                "metric": "revenue",
                "period_kind": "month",
                "date_from": MARCH,
                "amount": 120.0,
                "company_id": self.company.id,
            }
        )
        target.action_confirm()

    def _chart(self, user, level=False, res_id=False):
        return self.Run.with_user(user).with_company(self.company).get_forecast_chart(level, res_id)

    def test_salesperson_sees_her_actuals_forecast_bands_and_target(self):
        chart = self._chart(self.sonia)
        self.assertEqual(chart["choice"], {"level": "user", "id": self.sonia.id})
        self.assertEqual(chart["title"], "Sonia")
        # 36 months before March 2025 to the forecast's last month, August 2026
        months = [date(2022, 3, 1) + relativedelta(months=index) for index in range(54)]
        self.assertEqual(chart["months"], [month.isoformat() for month in months])
        # nothing before March 2023, 100 a month to February, 30 of March so
        # far, and no actual after March
        self.assertEqual(chart["actual"], [0.0] * 12 + [100.0] * 24 + [30.0] + [None] * 17)
        self.assertEqual(chart["forecast"], [None] * 36 + [100.0] * 18)
        self.assertEqual(chart["lo95"][36], 100.0)
        self.assertEqual(chart["target"], [None] * 36 + [120.0] + [None] * 17)
        [line] = self.run_line(f"user:{self.sonia.id}")
        self.assertEqual(chart["method"], METHODS[line.method])
        self.assertEqual((chart["history_months"], chart["run"]["date_start"]), (24, "2025-03-01"))
        self.assertEqual((chart["can_run"], chart["pending"]), (False, False))
        self.assertEqual(chart["currency"]["symbol"], "§")
        # nobody else's, not the company's nor a category's
        for level, res_id in [
            ("user", self.sam.id),
            ("team", self.team_north.id),
            ("company", False),
            ("category", self.category.id),
            ("unknown", False),
        ]:
            with self.subTest(level=level), self.assertRaises(AccessError):
                self._chart(self.sonia, level, res_id)

    def run_line(self, key):
        run = self.Run._latest_done(self.company)
        return run.line_ids.filtered(lambda line: line.series_key == key and line.date == MARCH)

    def test_leader_sees_his_team_whose_facts_he_cannot_read_himself(self):
        chart = self._chart(self.sam)
        self.assertEqual(chart["choice"], {"level": "team", "id": self.team_north.id})
        # North: Sonia 100 + Sam 50 a month; March so far: Sonia's 30
        self.assertEqual(chart["actual"][12:37], [150.0] * 24 + [30.0])
        self.assertEqual(chart["forecast"][36:], [150.0] * 18)
        self.assertNotIn("category", {choice["level"] for choice in chart["choices"]})
        with self.assertRaises(AccessError):
            self._chart(self.sam, "team", self.team_south.id)
        member = self._chart(self.sam, "user", self.sonia.id)
        self.assertEqual(member["forecast"][36], 100.0)

    def test_directors_see_the_company_and_its_categories(self):
        chart = self._chart(self.lena)
        self.assertEqual((chart["choice"]["level"], chart["title"]), ("company", self.company.name))
        self.assertEqual(chart["forecast"][36:], [170.0] * 18)
        categories = {choice["id"] for choice in chart["choices"] if choice["level"] == "category"}
        self.assertEqual(categories, {self.category.id, self.gadgets.id})
        gadgets = self._chart(self.lena, "category", self.gadgets.id)
        # Sam 50 + Tom 20 of gadgets a month
        self.assertEqual(gadgets["actual"][35], 70.0)
        self.assertEqual(gadgets["forecast"][36], 70.0)
        self.assertEqual(gadgets["target"], [None] * 54)
        manager = self._chart(self.manager)
        self.assertTrue(manager["can_run"])
        self._queue()
        self.assertTrue(self._chart(self.manager)["pending"])

    def test_a_team_of_another_company_shows_that_company_run_and_actuals(self):
        """Wes sells 40 a month in team West of a second company, from March
        2023 to February 2025, forecast by that company's own run. A director
        of both companies, working in the first, looks at West and at Wes."""
        company_2 = self.env["res.company"].create({"name": "Salesperf Forecast West"})
        wes = new_test_user(
            self.env,
            login="wes_forecast",
            name="Wes",
            groups="sales_team.group_sale_salesman",
            company_id=company_2.id,
            company_ids=[Command.set(company_2.ids)],
        )
        west = self.env["crm.team"].create(
            {"name": "West", "company_id": company_2.id, "member_ids": [Command.set(wes.ids)]}
        )
        self.env["salesperf.external.sale"].create(
            [
                {
                    **self._sale_values(
                        wes,
                        west,
                        self.customer_c,
                        self.product_z,
                        40,
                        date(2023, 3, 15) + relativedelta(months=index),
                    ),
                    "company_id": company_2.id,
                    "currency_id": company_2.currency_id.id,
                }
                for index in range(24)
            ]
        )
        run_2 = self.Run.create({"company_id": company_2.id, "date_start": MARCH})
        while run_2.state in ("queued", "running"):
            run_2._process_step(100)
        director = new_test_user(
            self.env,
            login="forecast_two_companies",
            groups="sales_team.group_sale_manager",
            company_id=self.company.id,
            company_ids=[Command.set((self.company | company_2).ids)],
        )
        Run = self.Run.with_user(director).with_context(
            allowed_company_ids=[self.company.id, company_2.id]
        )
        for level, res_id in (("team", west.id), ("user", wes.id)):
            with self.subTest(level=level):
                chart = Run.get_forecast_chart(level, res_id)
                self.assertEqual(chart["company"]["id"], company_2.id)
                # March 2022 first: nothing for a year, 40 a month, none in March
                self.assertEqual(chart["actual"][:37], [0.0] * 12 + [40.0] * 24 + [0.0])
                self.assertEqual(chart["forecast"][36:], [40.0] * 18)
                self.assertEqual(chart["run"]["date_start"], "2025-03-01")
                self.assertEqual(chart["currency"]["symbol"], company_2.currency_id.symbol)
        # the teams of the current company keep their company's figures
        north = Run.get_forecast_chart("team", self.team_north.id)
        self.assertEqual(north["company"]["id"], self.company.id)
        self.assertEqual(north["forecast"][36:], [150.0] * 18)
        company = Run.get_forecast_chart("company", False)
        self.assertEqual((company["title"], company["forecast"][36]), (self.company.name, 170.0))

    def test_without_a_run_the_chart_shows_the_actuals(self):
        self.Run.search([("company_id", "=", self.company.id)]).unlink()
        chart = self._chart(self.sonia)
        self.assertEqual(chart["forecast"], [None] * 37)
        self.assertEqual(chart["actual"][-1], 30.0)
        self.assertFalse(chart["run"] or chart["method"])


@tagged("post_install", "-at_install")
@freeze_time("2025-03-14 12:00:00")
class TestForecastOnGoalsPanel(ForecastRunCommon):
    """The forecast of a revenue goal's period end: the closed months'
    actuals, plus the larger of the current month's forecast and what it
    sold so far, plus the forecast of the later months."""

    def setUp(self):
        super().setUp()
        self._queue()
        self._compute()
        rows = [
            ("user", self.sonia, self.team_north, "revenue", "month", MARCH, 120.0),
            ("user", self.sonia, self.team_north, "revenue", "quarter", date(2025, 1, 1), 400.0),
            ("user", self.sonia, self.team_north, "margin", "month", MARCH, 50.0),
            ("team", False, self.team_north, "revenue", "quarter", date(2025, 1, 1), 500.0),
            ("user", self.tom, self.team_south, "revenue", "month", MARCH, 25.0),
        ]
        targets = self.env["salesperf.target"].create(
            [
                {
                    "scope": scope,
                    "user_id": user.id if user else False,
                    "team_id": team.id,
                    "metric": metric,
                    "period_kind": kind,
                    "date_from": start,
                    "amount": amount,
                    "company_id": self.company.id,
                }
                for scope, user, team, metric, kind, start, amount in rows
            ]
        )
        targets.action_confirm()
        # Tom has sold 35 in March already, more than his forecast of 20
        self.env["salesperf.external.sale"].create(
            self._sale_values(
                self.tom, self.team_south, self.customer_c, self.product_z, 35, date(2025, 3, 3)
            )
        )

    def _forecasts(self, user, **kwargs):
        panel = (
            self.env["salesperf.target"]
            .with_user(user)
            .with_company(self.company)
            .get_pipeline_panel(**kwargs)
        )
        return {
            (period["kind"], goal["metric"]): goal["forecast"]
            for period in panel["periods"]
            for goal in period["goals"]
        }

    def test_salesperson_goals(self):
        self.assertEqual(
            self._forecasts(self.sonia),
            {
                # March: its forecast 100 (she sold 30 so far)
                ("month", "revenue"): 100.0,
                # Q1: January 100 + February 100 + March 100
                ("quarter", "revenue"): 300.0,
                # no forecast of margin
                ("month", "margin"): False,
            },
        )

    def test_what_is_sold_already_counts_when_above_the_forecast(self):
        # Tom's March: 35 sold, more than the forecast of 20
        self.assertEqual(
            self._forecasts(self.manager, scope="user", owner_id=self.tom.id),
            {("month", "revenue"): 35.0},
        )

    def test_leader_team_goal_counts_his_members_closed_months(self):
        # North's Q1: January 150 + February 150 (Sonia's and Sam's sales,
        # which Sam may not read himself) + March's forecast 150
        self.assertEqual(self._forecasts(self.sam), {("quarter", "revenue"): 450.0})

    def test_no_forecast_without_a_run(self):
        self.Run.search([("company_id", "=", self.company.id)]).unlink()
        self.assertEqual(
            self._forecasts(self.sonia),
            {
                ("month", "revenue"): False,
                ("quarter", "revenue"): False,
                ("month", "margin"): False,
            },
        )


CHART_URL = "/odoo/action-salesperf_odoo.salesperf_forecast_chart_action"


class ForecastChartTourCommon(SalesperfTourCase):
    """The chart in the browser (whose clock cannot be frozen): Sonia Tour
    sold 100 a month in team North Tour over the 24 months before this one,
    forecast by a run computed before the tour. Dora is a Sales
    administrator of the company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env["res.company"].create({"name": "Salesperf Forecast Tour Co"})
        company.partner_id.tz = "UTC"
        cls.company = company

        def user(login, name, groups):
            return new_test_user(
                cls.env,
                login=login,
                name=name,
                groups=groups,
                company_id=company.id,
                company_ids=[Command.set(company.ids)],
                tz="UTC",
            )

        cls.dora = user("dora_forecast", "Dora Tour", "sales_team.group_sale_manager")
        cls.sonia = user("sonia_forecast", "Sonia Tour", "sales_team.group_sale_salesman")
        team = cls.env["crm.team"].create(
            {
                "name": "North Tour",
                "company_id": company.id,
                "member_ids": [Command.set(cls.sonia.ids)],
            }
        )
        product = cls.env["product.product"].create({"name": "Tour Widget"})
        month = company._salesperf_month_start()
        cls.env["salesperf.external.sale"].create(
            [
                {
                    "name": f"TOUR-{index}",
                    "date": month - relativedelta(months=index, days=-14),
                    "company_id": company.id,
                    "user_id": cls.sonia.id,
                    "team_id": team.id,
                    "product_id": product.id,
                    "quantity": 1.0,
                    "currency_id": company.currency_id.id,
                    "price_subtotal": 100.0,
                }
                for index in range(1, 25)
            ]
        )
        run = cls.env["salesperf.forecast.run"].create(
            {"company_id": company.id, "date_start": month}
        )
        while run.state in ("queued", "running"):
            run._process_step(100)

    def _run_tours(self):
        self.start_tour(CHART_URL, "salesperf_forecast_chart_tour", login="dora_forecast")
        queued = self.env["salesperf.forecast.run"].search(
            [("company_id", "=", self.company.id), ("state", "=", "queued")]
        )
        self.assertEqual(queued.user_id, self.dora, "the button queued one run")
        self.start_tour(
            CHART_URL, "salesperf_forecast_chart_salesperson_tour", login="sonia_forecast"
        )


@tagged("post_install", "-at_install")
class TestForecastChartTour(ForecastChartTourCommon):
    def test_forecast_chart_tour(self):
        self._run_tours()


@tagged("post_install", "-at_install")
class TestForecastChartTourMobile(ForecastChartTourCommon):
    """The same tours at phone width."""

    browser_size = "375x667"
    touch_enabled = True

    def test_forecast_chart_tour_on_phone(self):
        self._run_tours()
