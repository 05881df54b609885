# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import logging
from collections import Counter, defaultdict
from datetime import timedelta

import psycopg2
from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.osv import expression
from odoo.tools import SQL, create_unique_index, mute_logger

from ..engine.forecast import METHODS, Forecast, forecast_many
from ..engine.periods import Period
from ..engine.reconcile import adjust_to_total, reconcile

_logger = logging.getLogger(__name__)

#: Closed months of history read at most (ten and a half years).
HISTORY_MONTHS = 126
#: Months in a season of monthly sales.
SEASON_LENGTH = 12
#: A series is forecast when it has revenue in one of its last closed months.
ACTIVE_MONTHS = 12
#: The large customers: the fewest making up this share of the last
#: ``ACTIVE_MONTHS`` months' revenue, at most ``LARGE_CUSTOMER_MAX`` of them.
LARGE_CUSTOMER_SHARE = 0.8
LARGE_CUSTOMER_MAX = 50
#: Series forecast per batch of the scheduled action, unless the system
#: parameter ``salesperf_odoo.forecast_batch_size`` says otherwise.
DEFAULT_BATCH_SIZE = 400
#: Failed runs of a company's month after which the scheduled action stops
#: queueing that month again: an administrator queues the next one.
MAX_FAILED_RUNS = 3
#: Database errors that must abort the whole transaction (a concurrent
#: update, a lock, a lost connection): the scheduled action is retried.
TRANSIENT_ERRORS = (psycopg2.OperationalError, psycopg2.InterfaceError)
#: Months of actuals the chart shows before the forecast.
CHART_HISTORY_MONTHS = 36
MANAGER_GROUP = "salesperf_odoo.group_salesperf_manager"


FORECAST_LEVELS = [
    ("company", "Company"),
    ("team", "Sales Team"),
    ("user", "Salesperson"),
    ("cell", "Salesperson in a Team"),
    ("category", "Product Category"),
    ("customer", "Customer"),
]

#: Series key prefix -> (line level, line field of its id).
KEY_KINDS = {
    "team": ("team", "team_id"),
    "user": ("user", "user_id"),
    "categ": ("category", "categ_id"),
    "partner": ("customer", "partner_id"),
}
#: Levels a chart can show, with the series key prefix of each.
CHART_LEVELS = {"company": None, "team": "team", "user": "user", "category": "categ"}


def cell_key(team_id, user_id):
    """Key of the series of a salesperson in a team (0 for none)."""
    return f"team:{team_id or 0}:user:{user_id or 0}"


def parse_series_key(key):
    """``(level, {line field: id or False})`` of a series key."""
    if key == "company":
        return "company", {}
    parts = key.split(":")
    if len(parts) == 4:
        return "cell", {"team_id": int(parts[1]) or False, "user_id": int(parts[3]) or False}
    level, field = KEY_KINDS[parts[0]]
    return level, {field: int(parts[1]) or False}


def trim_leading_zeros(values):
    """A series from its first month with revenue on."""
    for index, value in enumerate(values):
        if value:
            return values[index:]
    return []


def distribute(total, weights, currency):
    """``total`` split in amounts of ``currency`` close to ``weights`` (whose
    sum is ``total`` up to rounding) that add up to ``total`` exactly: each
    rounded down to the cent, the cents left to the largest remainders."""
    if not weights:
        return []
    unit = 10**-currency.decimal_places
    cents = round(total / unit)
    floors = [int(weight / unit // 1) for weight in weights]
    left = cents - sum(floors)
    order = sorted(
        range(len(weights)),
        key=lambda index: -(weights[index] / unit - floors[index]),
    )
    step = 1 if left >= 0 else -1
    for position in range(abs(left)):
        floors[order[position % len(order)]] += step
    return [currency.round(count * unit) for count in floors]


def components_label(components):
    """``"Theta 42 %, Damped trend 31 %, ..."``: the methods of a forecast
    (``engine.forecast.Forecast.components``) with their weights, largest
    first; ``"<1 %"`` for a weight under half a percent."""
    return ", ".join(
        f"{METHODS.get(code, code)} {round(weight * 100)} %"
        if weight * 100 >= 0.5
        else f"{METHODS.get(code, code)} <1 %"
        for code, weight in components
    )


def month_starts(first, count):
    """``count`` first days of months from ``first``'s month."""
    first = first.replace(day=1)
    return [first + relativedelta(months=index) for index in range(count)]


class SalesperfForecastRun(models.Model):
    """One statistical forecast of every revenue series of a company.

    Queued by a manager or by the scheduled action, computed by the
    scheduled action in batches of series, reconciled once every series has
    its base forecast.
    """

    _name = "salesperf.forecast.run"
    _description = "Sales Forecast Run"
    _order = "date_start desc, id desc"

    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        "res.users",
        string="Requested By",
        default=lambda self: self.env.user,
        help="Who asked for the run; empty when the scheduled action queued it.",
    )
    state = fields.Selection(
        [("queued", "Queued"), ("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        required=True,
        default="queued",
        index=True,
    )
    date_start = fields.Date(
        string="First Forecast Month",
        required=True,
        help="First day of the company's month when the run was queued (h = 1).",
    )
    horizon = fields.Integer(default=18, required=True, help="Months forecast, from the first.")
    history_from = fields.Date(readonly=True, help="First month of history read.")
    history_to = fields.Date(readonly=True, help="Last closed month of history read.")
    series_total = fields.Integer(string="Series", readonly=True)
    series_done = fields.Integer(string="Series Forecast", readonly=True)
    series_data = fields.Json(
        readonly=True,
        prefetch=False,
        copy=False,
        help="The monthly revenue of every series, read once when the run starts, "
        "so that every batch forecasts the same history.",
    )
    date_done = fields.Datetime(string="Finished On", readonly=True)
    error_message = fields.Text(readonly=True)
    line_ids = fields.One2many("salesperf.forecast.line", "run_id", string="Lines", readonly=True)

    _sql_constraints = [
        (
            "pending_unique",
            "",  # a partial unique index, made by init()
            "The forecasts of this company are already being computed.",
        )
    ]

    def init(self):
        """At most one run waiting or in progress per company, even when two
        administrators click at the same moment."""
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (company_id) "
                "WHERE state IN ('queued', 'running')",
                SQL.identifier(f"{self._table}_pending_unique"),
                SQL.identifier(self._table),
            )
        )

    @api.depends("company_id", "date_start")
    def _compute_display_name(self):
        for run in self:
            run.display_name = _(
                "Forecast of %(company)s from %(month)s",
                company=run.company_id.name,
                month=run.date_start and run.date_start.strftime("%Y-%m"),
            )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    @api.model
    def action_queue_run(self):
        """Queue a run for the current company and wake the scheduled
        action up; never computes in the request. A run already waiting or
        in progress for the company is not queued twice.

        :raises AccessError: for who is not a Sales Performance administrator.
        """
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(_("Only Sales Performance administrators can run the forecasts."))
        company = self.env.company
        pending = [("company_id", "=", company.id), ("state", "in", ("queued", "running"))]
        run = self.search(pending, limit=1)
        if not run:
            run = self._create_pending_run(
                {"company_id": company.id, "date_start": company._salesperf_month_start()}
            )
            created = bool(run)
            # another request queued one since the search: the unique index
            # refused this one (the other run may not be visible yet)
            run = run or self.search(pending, limit=1)
        else:
            created = False
        if created:
            message = _(
                "The forecasts of %(company)s will be computed in the background in a few minutes.",
                company=company.name,
            )
        else:
            message = _(
                "The forecasts of %(company)s are already being computed.", company=company.name
            )
        self.env.ref("salesperf_odoo.ir_cron_salesperf_forecast_runs")._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": message,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
                "run_id": run.id,
            },
        }

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _create_pending_run(self, values):
        """Create a queued run, or return an empty recordset when the
        company has one waiting or in progress already (the unique index
        ``salesperf_forecast_run_pending_unique``): the failed insert is
        rolled back alone, the transaction goes on."""
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                return self.create(values)
        except psycopg2.errors.UniqueViolation:
            return self.browse()

    @api.model
    def _latest_done(self, company):
        """The latest finished run of ``company`` (an empty recordset if none).

        Who reads forecast lines need not read runs (a salesperson reads
        their own lines): which run is the latest is found with sudo, for
        the one company asked, and returned in the caller's environment, so
        that its lines keep their own rules.
        """
        run = (
            self.sudo()
            .search(
                [("company_id", "=", company.id), ("state", "=", "done")],
                order="date_start desc, id desc",
                limit=1,
            )
            .with_env(self.env)
        )
        return run

    @api.model
    def _demo_compute_forecasts(self):
        """Demo data: forecast every company at once, as the scheduled action
        would in the background, so the forecast screens have something to
        show right after installation."""
        for run in self._queue_monthly_runs():
            while run.state in ("queued", "running"):
                run._process_step(self._batch_size())

    @api.model
    def _batch_size(self):
        value = (
            self.env["ir.config_parameter"].sudo().get_param("salesperf_odoo.forecast_batch_size")
        )
        try:
            return max(int(value), 1) if value else DEFAULT_BATCH_SIZE
        except ValueError:
            return DEFAULT_BATCH_SIZE

    @api.model
    def _forecast_processes(self):
        """Processes the engine may use for one batch: 1 (the batch is
        computed in the scheduled action's own process) unless the system
        parameter ``salesperf_odoo.forecast_processes`` is a positive number.

        Forking inside an Odoo worker is an opt-in: in threaded mode a child
        inherits locks held by other threads at the fork, the children
        escape the worker's memory limits, and a child killed by the system
        can leave the batch waiting. Set the parameter (e.g. to the number
        of cores) on a server in multi-process mode with memory to spare;
        the engine forks only from ``engine.forecast.PARALLEL_FROM`` series
        per batch.
        """
        value = (
            self.env["ir.config_parameter"].sudo().get_param("salesperf_odoo.forecast_processes")
        )
        value = (value or "").strip()
        return int(value) if value.isdigit() and int(value) > 0 else 1

    @api.model
    def _cron_process_runs(self, batch_size=None):
        """Scheduled: queue the month's run of every company that has none,
        then take the oldest pending run one step further: start it, forecast
        one batch of its series, or reconcile it once every series has its
        base forecast.

        One step per call: the scheduler commits after each and calls again
        while :meth:`ir.cron._notify_progress` reports work left (see
        ``ir.cron._run_job``), so a run over thousands of series never holds
        one transaction, and a worker that stops loses one batch at most. A
        step that fails rolls back alone (to a savepoint, which also clears
        the cache of what the step wrote) and marks its run failed with the
        error; the scheduled action queues the month again (see
        :meth:`_queue_monthly_runs`). Database errors that must abort the
        transaction (``TRANSIENT_ERRORS``: a serialization failure, a
        deadlock, a lock not available, a lost connection) do not fail the
        run: they propagate once the savepoint is rolled back, the scheduler
        rolls the transaction back and the step is tried again later.
        """
        self._queue_monthly_runs()
        run = self.search([("state", "in", ("queued", "running"))], order="id", limit=1)
        done = 0
        if run:
            try:
                with self.env.cr.savepoint():
                    done = run._process_step(batch_size or self._batch_size())
            except TRANSIENT_ERRORS:
                raise
            except Exception as error:  # any other failure ends the run, not the scheduled job
                _logger.exception("Forecast run %s of %s failed", run.id, run.company_id.name)
                run.write(
                    {
                        "state": "failed",
                        "error_message": str(error) or error.__class__.__name__,
                        "date_done": fields.Datetime.now(),
                    }
                )
                done = 1
        self.env["ir.cron"]._notify_progress(done=done, remaining=self._remaining_steps())
        return run

    @api.model
    def _remaining_steps(self):
        """Work left over every pending run: series to forecast plus one
        step to start or reconcile each."""
        remaining = 0
        for run in self.search([("state", "in", ("queued", "running"))]):
            remaining += 1 + (run.series_total - run.series_done if run.state == "running" else 0)
        return remaining

    @api.model
    def _queue_monthly_runs(self):
        """Queue a run for every company that has none waiting or in
        progress (whatever its month) and none finished for its current
        month.

        A month whose runs all failed is queued again, until it has
        ``MAX_FAILED_RUNS`` failed runs: then the scheduled action leaves it
        to an administrator (the button queues a run whatever failed
        before), so that a run that always fails is not retried forever.
        """
        companies = self.env["res.company"].search([])
        months = {company: company._salesperf_month_start() for company in companies}
        domain = expression.OR(
            [
                [("state", "in", ("queued", "running"))],
                *(
                    [("company_id", "=", company.id), ("date_start", ">=", month)]
                    for company, month in months.items()
                ),
            ]
        )
        states = defaultdict(Counter)
        for company, state, count in self._read_group(domain, ["company_id", "state"], ["__count"]):
            states[company][state] += count
        values = []
        for company, month in months.items():
            counts = states[company]
            if counts["queued"] or counts["running"] or counts["done"]:
                continue
            if counts["failed"] >= MAX_FAILED_RUNS:
                _logger.warning(
                    "Forecast runs of %s for %s failed %s times: not queued again until an "
                    "administrator queues one",
                    company.name,
                    month,
                    counts["failed"],
                )
                continue
            values.append({"company_id": company.id, "date_start": month, "user_id": False})
        return self.create(values)

    def _process_step(self, batch_size):
        """One step of the run; returns how many units of work it did."""
        self.ensure_one()
        if self.state == "queued":
            self._start()
            return 1
        keys = self.series_data["keys"][self.series_done : self.series_done + batch_size]
        if keys:
            self._forecast_batch(keys)
            return len(keys)
        self._reconcile()
        return 1

    def _start(self):
        """Read the history of every series once, and snapshot the pipeline."""
        self.ensure_one()
        company = self.company_id
        history_to = self.date_start - relativedelta(months=1)
        history_from = self.date_start - relativedelta(months=HISTORY_MONTHS)
        self.env["salesperf.stage.rate"]._refresh(company)
        series = self._read_series(history_from, history_to)
        pipeline = self._pipeline_snapshot(list(series))
        self.write(
            {
                "state": "running",
                "history_from": history_from,
                "history_to": history_to,
                "series_total": len(series),
                "series_done": 0,
                "series_data": {"keys": list(series), "values": series, "pipeline": pipeline},
            }
        )
        _logger.info(
            "Forecast run %s of %s started: %s series, history %s to %s",
            self.id,
            company.name,
            len(series),
            history_from,
            history_to,
        )

    def _read_series(self, history_from, history_to):
        """``{series key: monthly revenue}`` of every series to forecast, in
        the order they are forecast: salespeople in teams, salespeople,
        teams, the company, product categories, large customers.

        Each series ends with the last closed month and starts with its own
        first month of revenue (leading empty months are not history). The
        cells, salespeople, teams and the company come from one grouped read
        of the cells; categories from one; large customers from two (who
        they are, then their months). A series without revenue in its last
        ``ACTIVE_MONTHS`` months is not forecast (a salesperson who left, a
        team or category no longer sold). The company is forecast whenever
        it has revenue in the history read, recent or not; without any, it
        has no series (nor has anything else).
        """
        self.ensure_one()
        company = self.company_id
        months = month_starts(history_from, HISTORY_MONTHS)
        position = {month: index for index, month in enumerate(months)}
        facts = self.env["salesperf.sale.fact"]
        domain = self.env["salesperf.kpi"]._sale_fact_domain(
            Period(history_from, self.date_start - timedelta(days=1)), company
        )

        def monthly(rows):
            series = defaultdict(lambda: [0.0] * len(months))
            for month, *keys, revenue in rows:
                series[tuple(keys)][position[month]] += revenue or 0.0
            return series

        cells = monthly(
            facts._read_group(domain, ["date:month", "team_id", "user_id"], ["revenue:sum"])
        )
        aggregates = defaultdict(lambda: [0.0] * len(months))
        bottom, teams, users = {}, set(), set()
        for (team, user), values in sorted(
            cells.items(), key=lambda item: (item[0][0].id or 0, item[0][1].id or 0)
        ):
            for key in ("company", f"team:{team.id or 0}", f"user:{user.id or 0}"):
                aggregates[key] = [
                    total + value for total, value in zip(aggregates[key], values, strict=True)
                ]
            if any(values[-ACTIVE_MONTHS:]):
                bottom[cell_key(team.id, user.id)] = values
                teams.add(team.id or 0)
                users.add(user.id or 0)
        series = dict(bottom)
        series.update(
            {f"user:{user_id}": aggregates[f"user:{user_id}"] for user_id in sorted(users)}
        )
        series.update(
            {f"team:{team_id}": aggregates[f"team:{team_id}"] for team_id in sorted(teams)}
        )
        if any(aggregates["company"]):
            series["company"] = aggregates["company"]
        categories = monthly(facts._read_group(domain, ["date:month", "categ_id"], ["revenue:sum"]))
        for (categ,), values in sorted(categories.items(), key=lambda item: item[0][0].id or 0):
            if any(values[-ACTIVE_MONTHS:]):
                series[f"categ:{categ.id or 0}"] = values
        for partner, values in self._large_customers(domain, months, monthly).items():
            series[f"partner:{partner.id}"] = values
        return {key: trim_leading_zeros(values) for key, values in series.items()}

    @api.model
    def _large_customers(self, domain, months, monthly):
        """``{customer entity: monthly revenue}`` of the large customers: by
        revenue of the last ``ACTIVE_MONTHS`` months, the fewest making up
        ``LARGE_CUSTOMER_SHARE`` of the company's revenue of those months,
        at most ``LARGE_CUSTOMER_MAX``."""
        facts = self.env["salesperf.sale.fact"]
        recent = facts._read_group(
            [*domain, ("date", ">=", months[-ACTIVE_MONTHS])],
            ["commercial_partner_id"],
            ["revenue:sum"],
        )
        total = sum(revenue or 0.0 for _partner, revenue in recent)
        if total <= 0:
            return {}
        ranked = sorted(
            ((partner, revenue) for partner, revenue in recent if partner and revenue > 0),
            key=lambda item: (-item[1], item[0].id),
        )
        chosen, covered = [], 0.0
        for partner, revenue in ranked[:LARGE_CUSTOMER_MAX]:
            if covered >= LARGE_CUSTOMER_SHARE * total:
                break
            chosen.append(partner.id)
            covered += revenue
        if not chosen:
            return {}
        rows = facts._read_group(
            [*domain, ("commercial_partner_id", "in", chosen)],
            ["date:month", "commercial_partner_id"],
            ["revenue:sum"],
        )
        by_partner = {partner: values for (partner,), values in monthly(rows).items()}
        return {
            partner: by_partner[partner]
            for partner in sorted(by_partner, key=lambda p: chosen.index(p.id))
        }

    def _pipeline_snapshot(self, keys):
        """``{series key: [[weighted, calibrated] per forecast month]}`` of
        the salespeople, teams and the company: their open pipeline by
        expected closing month when the run starts.

        Open opportunities whose expected closing is already past (before
        the run's first month) are still open: they count in the run's
        first month, the earliest they can now close. Opportunities without
        an expected closing date are left out (no month to put them in).
        """
        self.ensure_one()
        months = month_starts(self.date_start, self.horizon)
        date_to = months[-1] + relativedelta(months=1, days=-1)
        wanted = {"user": [], "team": []}
        for key in keys:
            level, ids = parse_series_key(key)
            if level in wanted and ids[f"{level}_id"]:
                wanted[level].append(ids[f"{level}_id"])
        pipeline = self.env["salesperf.pipeline.forecast"]
        snapshot = {}
        for dimension, ids in (("company", [self.company_id.id]), *wanted.items()):
            if not ids:
                continue
            totals = pipeline._pipeline_totals(self.company_id, dimension, ids, None, date_to)
            by_key = defaultdict(lambda: [[0.0, 0.0] for _month in months])
            for (entity_id, month), (weighted, calibrated) in totals.items():
                # overdue: in the first month
                index = max((month.year - months[0].year) * 12 + month.month - months[0].month, 0)
                amounts = by_key[entity_id][index]
                amounts[0] += weighted or 0.0
                amounts[1] += calibrated or 0.0
            for entity_id in ids:
                key = "company" if dimension == "company" else f"{dimension}:{entity_id}"
                snapshot[key] = by_key[entity_id]
        return snapshot

    def _forecast_batch(self, keys):
        """Forecast ``keys`` and store their lines, the base forecast as the
        forecast until the run is reconciled."""
        self.ensure_one()
        values = self.series_data["values"]
        pipeline = self.series_data.get("pipeline") or {}
        forecasts = forecast_many(
            {key: values[key] for key in keys},
            self.horizon,
            SEASON_LENGTH,
            processes=self._forecast_processes(),
        )
        months = month_starts(self.date_start, self.horizon)
        lines = []
        for key in keys:
            forecast = forecasts[key]
            level, ids = parse_series_key(key)
            common = {
                "run_id": self.id,
                "company_id": self.company_id.id,
                "currency_id": self.currency_id.id,
                "level": level,
                "series_key": key,
                **ids,
                "method": forecast.method,
                "backtest_mase": forecast.backtest_mase or 0.0,
                "has_backtest": forecast.backtest_mase is not None,
                "scale": forecast.scale,
                "history_months": len(values[key]),
                "components": components_label(forecast.components),
            }
            snapshot = pipeline.get(key)
            for index, month in enumerate(months):
                lines.append(
                    {
                        **common,
                        "date": month,
                        "base_forecast": forecast.point[index],
                        "forecast": forecast.point[index],
                        "lo80": forecast.lo80[index],
                        "hi80": forecast.hi80[index],
                        "lo95": forecast.lo95[index],
                        "hi95": forecast.hi95[index],
                        "pipeline_weighted": snapshot[index][0] if snapshot else 0.0,
                        "pipeline_calibrated": snapshot[index][1] if snapshot else 0.0,
                    }
                )
        self.env["salesperf.forecast.line"].create(lines)
        self.series_done += len(keys)
        _logger.info(
            "Forecast run %s of %s: %s of %s series forecast",
            self.id,
            self.company_id.name,
            self.series_done,
            self.series_total,
        )

    def _reconcile(self):
        """Make the levels add up, then finish the run.

        The bottom series are the salespeople in each team; the company, each
        team and each salesperson (across teams) are sums of them, reconciled
        by ``engine.reconcile.reconcile`` (structural weights: every level's
        own forecast counts). Product categories are scaled to the reconciled
        company total (``engine.reconcile.adjust_to_total``). Large customers
        keep their own forecast: they are not a partition of the revenue.

        Amounts are rounded once, here: the bottom series to the cent, each
        sum from the rounded bottom series, the categories so that their
        rounded amounts add up to the company's, so that every sum holds to
        the cent.
        """
        self.ensure_one()
        Line = self.env["salesperf.forecast.line"]
        ids_by_key = defaultdict(list)
        for line in self.line_ids.sorted(lambda line: (line.series_key, line.date)):
            ids_by_key[line.series_key].append(line.id)
        by_key = {key: Line.browse(ids) for key, ids in ids_by_key.items()}
        base = {key: self._base_forecast(key_lines) for key, key_lines in by_key.items()}
        bottom = [key for key in base if parse_series_key(key)[0] == "cell"]
        groups = defaultdict(list)
        for key in bottom:
            team_id, user_id = key.split(":")[1], key.split(":")[3]
            groups["company"].append(key)
            groups[f"team:{team_id}"].append(key)
            groups[f"user:{user_id}"].append(key)
        result = dict(base)
        if bottom:
            result.update(reconcile(bottom, dict(groups), base))
        categories = [key for key in base if key.startswith("categ:")]
        if categories and "company" in result:
            result.update(
                adjust_to_total({key: base[key] for key in categories}, result["company"])
            )
        points = self._rounded_points(result, bottom, groups, categories)
        currency = self.currency_id
        rows = []
        for key, ids in ids_by_key.items():
            forecast = result[key]
            for index, line_id in enumerate(ids):
                point = points[key][index]
                # a sum of rounded amounts may move the point by a few cents:
                # the intervals still contain it
                lo80 = min(forecast.lo80[index], point)
                hi80 = max(forecast.hi80[index], point)
                lo95 = min(forecast.lo95[index], lo80)
                hi95 = max(forecast.hi95[index], hi80)
                # rounded to the cent as the ORM rounds monetary fields
                rows.append(
                    (line_id, *(currency.round(value) for value in (point, lo80, hi80, lo95, hi95)))
                )
        self._write_reconciled(rows)
        self.env["salesperf.forecast.line"].search(
            [("company_id", "=", self.company_id.id), ("is_latest", "=", True)]
        ).write({"is_latest": False})
        self.line_ids.write({"is_latest": True})
        self.write({"state": "done", "date_done": fields.Datetime.now(), "error_message": False})
        _logger.info(
            "Forecast run %s of %s done: %s series reconciled",
            self.id,
            self.company_id.name,
            len(by_key),
        )

    def _write_reconciled(self, rows):
        """Write the reconciled forecast and intervals of many lines in one
        ``UPDATE``: ``rows`` are ``(line id, forecast, lo80, hi80, lo95,
        hi95)``. Lines are never written by users (their access is read
        only): nothing to check or recompute but the cache to invalidate."""
        if not rows:
            return
        Line = self.env["salesperf.forecast.line"]
        names = ["forecast", "lo80", "hi80", "lo95", "hi95"]
        Line.flush_model(names)
        columns = list(zip(*rows, strict=True))
        self.env.cr.execute(
            SQL(
                """UPDATE %(table)s AS line
                      SET forecast = data.forecast, lo80 = data.lo80, hi80 = data.hi80,
                          lo95 = data.lo95, hi95 = data.hi95,
                          write_uid = %(uid)s, write_date = %(now)s
                     FROM unnest(%(ids)s::int[], %(forecast)s::numeric[], %(lo80)s::numeric[],
                                 %(hi80)s::numeric[], %(lo95)s::numeric[], %(hi95)s::numeric[])
                          AS data(id, forecast, lo80, hi80, lo95, hi95)
                    WHERE line.id = data.id""",
                table=SQL.identifier(Line._table),
                uid=self.env.uid,
                now=self.env.cr.now(),
                ids=list(columns[0]),
                **{name: list(column) for name, column in zip(names, columns[1:], strict=True)},
            )
        )
        Line.invalidate_model([*names, "write_uid", "write_date"])

    @api.model
    def _base_forecast(self, lines):
        """The engine's forecast of one series, from its stored lines."""
        first = lines[:1]
        return Forecast(
            method=first.method,
            point=tuple(lines.mapped("base_forecast")),
            lo80=tuple(lines.mapped("lo80")),
            hi80=tuple(lines.mapped("hi80")),
            lo95=tuple(lines.mapped("lo95")),
            hi95=tuple(lines.mapped("hi95")),
            backtest_mase=first.backtest_mase if first.has_backtest else None,
            scale=first.scale,
        )

    def _rounded_points(self, forecasts, bottom, groups, categories):
        """``{series key: [point rounded to the cent per month]}`` such that
        groups are the sums of their rounded bottom series and categories add
        up to the rounded company total (largest remainders)."""
        currency = self.currency_id
        points = {
            key: [currency.round(value) for value in forecast.point]
            for key, forecast in forecasts.items()
        }
        for group, members in groups.items():
            points[group] = [
                currency.round(sum(points[key][index] for key in members))
                for index in range(self.horizon)
            ]
        if categories and "company" in points:
            for index in range(self.horizon):
                shares = distribute(
                    points["company"][index],
                    [forecasts[key].point[index] for key in categories],
                    currency,
                )
                for key, share in zip(categories, shares, strict=True):
                    points[key][index] = share
        return points

    # ------------------------------------------------------------
    # CHART
    # ------------------------------------------------------------

    @api.model
    def get_forecast_chart(self, level=False, res_id=False):
        """Actuals, the latest forecast with its 80 % and 95 % bands, and the
        monthly revenue targets of one salesperson, team, the company or (for
        who sees the company) one product category, for the chart.

        Who may look at what comes from who the user is (the choices of the
        goals panel, :meth:`salesperf.target._pipeline_panel_choices`), never
        from the arguments, which only choose among them.

        :param level: ``"company"``, ``"team"``, ``"user"`` or ``"category"``;
            the user's default choice when not given.
        :param res_id: the team, salesperson or category (0: no category).
        :raises AccessError: for a choice the user is not offered.
        Actuals, run, targets, currency and months are those of the choice's
        company (:meth:`_chart_company`): a team of another allowed company
        shows that company's figures.

        :returns: ``{"title", "company", "choice", "choices", "months", "actual",
            "forecast", "lo80", "hi80", "lo95", "hi95", "target", "currency",
            "run", "method", "backtest_mase", "history_months", "can_run",
            "pending"}``; the series are lists aligned on ``months`` (ISO
            dates of month starts), ``None`` where there is no value.
        """
        panel_choices, default = self.env["salesperf.target"]._pipeline_panel_choices()
        sees_company = any(choice["scope"] == "company" for choice in panel_choices)
        if not level:
            level, res_id = default["scope"], default["id"]
        if level not in CHART_LEVELS:
            raise AccessError(_("You are not allowed to look at this forecast."))
        if level == "category":
            allowed = sees_company
            name = self._chart_category_name(res_id)
        else:
            choice = next(
                (
                    option
                    for option in panel_choices
                    if option["scope"] == level and (level == "company" or option["id"] == res_id)
                ),
                None,
            )
            allowed = bool(choice)
            name = choice and choice["name"]
        if not allowed:
            raise AccessError(_("You are not allowed to look at this forecast."))
        res_id = res_id or False
        company = self._chart_company(level, res_id)
        if level == "company":
            name = company.name
        run = self._latest_done(company)
        # the run's dates only: who reads their own lines need not read runs
        run_info = run.sudo()
        today_month = company._salesperf_month_start()
        start = (run_info.date_start or today_month) - relativedelta(months=CHART_HISTORY_MONTHS)
        end = max(
            today_month,
            (run_info.date_start or today_month)
            + relativedelta(months=(run_info.horizon or 1) - 1),
        )
        months = month_starts(start, (end.year - start.year) * 12 + end.month - start.month + 1)
        position = {month: index for index, month in enumerate(months)}
        empty = [None] * len(months)
        chart = {key: list(empty) for key in ("forecast", "lo80", "hi80", "lo95", "hi95", "target")}
        chart["actual"] = self._chart_actuals(company, level, res_id, months, today_month)
        line_info = self._chart_forecast(run, level, res_id, position, chart)
        if level != "category":
            self._chart_targets(company, level, res_id, months, position, chart)
        currency = company.currency_id
        methods = dict(
            self.env["salesperf.forecast.line"]._fields["method"]._description_selection(self.env)
        )
        is_manager = self.env.user.has_group(MANAGER_GROUP)
        choices = [
            {
                "level": option["scope"],
                "id": option["id"],
                "name": option["name"],
                "group": option["group"],
            }
            for option in panel_choices
        ]
        if sees_company:
            choices += self._chart_category_choices(self._latest_done(self.env.company))
        return {
            "title": name,
            "company": {"id": company.id, "name": company.name},
            "choice": {"level": level, "id": res_id},
            "choices": choices,
            "months": [fields.Date.to_string(month) for month in months],
            "current_month": fields.Date.to_string(today_month),
            **chart,
            "currency": {
                "symbol": currency.symbol,
                "position": currency.position,
                "digits": currency.decimal_places,
            },
            "run": bool(run_info)
            and {
                "date_start": fields.Date.to_string(run_info.date_start),
                "date_done": fields.Datetime.to_string(run_info.date_done),
                "history_from": fields.Date.to_string(run_info.history_from),
                "history_to": fields.Date.to_string(run_info.history_to),
            },
            "method": line_info and methods.get(line_info["method"], line_info["method"]),
            "backtest_mase": line_info and line_info["backtest_mase"],
            "history_months": line_info and line_info["history_months"],
            "can_run": is_manager,
            "pending": is_manager
            and bool(
                self.search_count(
                    [("company_id", "=", company.id), ("state", "in", ("queued", "running"))]
                )
            ),
        }

    @api.model
    def _chart_company(self, level, res_id):
        """The company whose run and actuals a chart choice shows, among the
        user's allowed companies: a team's own company; for a salesperson,
        the current company when they work in it, else their main company;
        for the company and the product categories, the current company.
        Called once the user may look at the choice."""
        current = self.env.company
        allowed = self.env.companies
        if level == "team":
            # sudo: the team is one of the user's choices, only its company is read
            company = self.env["crm.team"].sudo().browse(res_id).company_id
            return company.with_env(self.env) if company in allowed else current
        if level == "user" and res_id:
            # sudo: the salesperson is one of the user's choices; who reads
            # other users may not read their companies
            user = self.env["res.users"].sudo().browse(res_id)
            if current in user.company_ids or user.company_id not in allowed:
                return current
            return user.company_id.with_env(self.env)
        return current

    @api.model
    def _chart_series_domain(self, level, res_id):
        """Domain of the sales facts of one chart choice."""
        field = {"company": None, "team": "team_id", "user": "user_id", "category": "categ_id"}[
            level
        ]
        return [(field, "=", res_id or False)] if field else []

    @api.model
    def _chart_actuals(self, company, level, res_id, months, today_month):
        """Monthly revenue of the choice from the first month shown to the
        current one (to date), ``None`` after."""
        period = Period(months[0], today_month + relativedelta(months=1, days=-1))
        domain = [
            *self.env["salesperf.kpi"]._sale_fact_domain(period, company),
            *self._chart_series_domain(level, res_id),
        ]
        # the user's right to look at the choice is checked by the caller: a
        # team leader with "own documents" rights still sees the team's total
        facts = self.env["salesperf.sale.fact"].sudo()
        revenue = dict(facts._read_group(domain, ["date:month"], ["revenue:sum"]))
        return [revenue.get(month, 0.0) if month <= today_month else None for month in months]

    @api.model
    def _chart_forecast(self, run, level, res_id, position, chart):
        """Fill the forecast and bands of the choice from ``run``'s lines,
        read with the user's own rights; returns the series' method and
        backtest error, or ``False`` without a forecast."""
        if not run:
            return False
        key = "company" if level == "company" else f"{CHART_LEVELS[level]}:{res_id or 0}"
        lines = self.env["salesperf.forecast.line"].search_fetch(
            [("run_id", "=", run.id), ("series_key", "=", key)],
            [
                "date",
                "forecast",
                "lo80",
                "hi80",
                "lo95",
                "hi95",
                "method",
                "backtest_mase",
                "has_backtest",
                "history_months",
            ],
            order="date",
        )
        for line in lines:
            index = position.get(line.date)
            if index is None:
                continue
            for field in ("forecast", "lo80", "hi80", "lo95", "hi95"):
                chart[field][index] = line[field]
        if not lines:
            return False
        return {
            "method": lines[0].method,
            "backtest_mase": lines[0].backtest_mase if lines[0].has_backtest else False,
            "history_months": lines[0].history_months,
        }

    @api.model
    def _chart_targets(self, company, level, res_id, months, position, chart):
        """Fill the confirmed monthly revenue targets of the choice, read with
        the user's own rights."""
        owner = {
            "company": [],
            "team": [("team_id", "=", res_id)],
            "user": [("user_id", "=", res_id)],
        }
        targets = self.env["salesperf.target"].search_fetch(
            [
                ("company_id", "=", company.id),
                ("scope", "=", level),
                *owner[level],
                ("metric", "=", "revenue"),
                ("period_kind", "=", "month"),
                ("state", "=", "confirmed"),
                ("date_from", ">=", months[0]),
                ("date_from", "<=", months[-1]),
            ],
            ["date_from", "amount"],
        )
        for target in targets:
            index = position.get(target.date_from)
            if index is not None:
                chart["target"][index] = target.amount

    @api.model
    def _chart_category_choices(self, run):
        """The product categories of ``run``, for who sees the company."""
        if not run:
            return []
        rows = self.env["salesperf.forecast.line"]._read_group(
            [("run_id", "=", run.id), ("level", "=", "category")], ["categ_id"]
        )
        return sorted(
            (
                {
                    "level": "category",
                    "id": categ.id or 0,
                    "name": categ.display_name if categ else _("Without category"),
                    "group": "categories",
                }
                for (categ,) in rows
            ),
            key=lambda choice: choice["name"],
        )

    @api.model
    def _chart_category_name(self, res_id):
        if not res_id:
            return _("Without category")
        return self.env["product.category"].browse(res_id).exists().display_name or ""


class SalesperfForecastLine(models.Model):
    """The forecast of one series for one month of a run."""

    _name = "salesperf.forecast.line"
    _description = "Sales Forecast Line"
    _order = "run_id desc, level, series_key, date"

    run_id = fields.Many2one(
        "salesperf.forecast.run", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, index=True)
    currency_id = fields.Many2one("res.currency", string="Company Currency", required=True)
    level = fields.Selection(FORECAST_LEVELS, required=True, index=True)
    series_key = fields.Char(
        required=True,
        index=True,
        help='Which series: "company", "team:3", "user:7", "team:3:user:7", "categ:5", '
        '"partner:9" (0 for a missing team or salesperson).',
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", index=True)
    user_id = fields.Many2one("res.users", string="Salesperson", index=True)
    categ_id = fields.Many2one("product.category", string="Product Category")
    partner_id = fields.Many2one("res.partner", string="Customer")
    date = fields.Date(string="Month", required=True, help="First day of the month forecast.")
    forecast = fields.Monetary(help="Untaxed revenue forecast, after reconciliation.")
    base_forecast = fields.Monetary(help="The series' own forecast, before reconciliation.")
    lo80 = fields.Monetary(string="80 % Low")
    hi80 = fields.Monetary(string="80 % High")
    lo95 = fields.Monetary(string="95 % Low")
    hi95 = fields.Monetary(string="95 % High")
    is_latest = fields.Boolean(
        string="Latest Run",
        index=True,
        readonly=True,
        help="Whether the line belongs to the latest finished run of its company.",
    )
    method = fields.Selection(list(METHODS.items()))
    components = fields.Char(
        string="Models",
        help="The models whose forecasts make this one, with their weights in the "
        'combination (by their backtest error), largest first: e.g. "Theta 42 %, Damped '
        'trend 31 %, ARIMA 27 %"; one model at 100 % when it was used alone.',
    )
    backtest_mase = fields.Float(
        string="Backtest MASE",
        help="Rolling-origin error of the chosen method, scaled by the seasonal naive "
        "in-sample error (below 1 beats it); empty when the history is too short.",
    )
    has_backtest = fields.Boolean(
        help="Whether the history was long enough for a backtest (else the MASE is empty)."
    )
    scale = fields.Float(help="In-sample mean absolute error of the seasonal naive method.")
    history_months = fields.Integer(help="Closed months of history the series had.")
    pipeline_weighted = fields.Monetary(
        help="Open opportunities expected to close that month, at expected revenue × "
        "probability, when the run was made."
    )
    pipeline_calibrated = fields.Monetary(
        help="The same opportunities at the win rate of their stage in the team's history."
    )

    _sql_constraints = [
        (
            "series_month_unique",
            "",  # a unique index, made by init()
            "A forecast run has one line per series and month.",
        )
    ]

    def init(self):
        create_unique_index(
            self.env.cr,
            f"{self._table}_series_month_unique",
            self._table,
            ["run_id", "series_key", "date"],
        )
