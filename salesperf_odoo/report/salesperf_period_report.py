# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import timedelta

import babel.dates
from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.osv import expression
from odoo.tools import SQL
from odoo.tools.misc import babel_locale_parse, formatLang, get_lang

from ..engine import report_svg
from ..engine.kpi import KPI_DEFINITIONS, change_tone, compare, derive_kpis
from ..engine.periods import (
    Period,
    _shift_months,
    full_comparison_periods,
    is_in_progress,
    period_containing,
    previous_period,
    same_period_last_year,
)
from ..engine.ranking import competition_ranks
from ..engine.targets import pace, period_forecast
from ..models.salesperf_kpi import ALL_DOCUMENTS_GROUP
from ..models.salesperf_target import MONETARY_METRICS

#: What a period report is about: its owner's field on the facts.
SCOPE_FIELDS = {"company": "company_id", "team": "team_id", "user": "user_id"}
#: Who configures everything of Sales Performance in their companies.
MANAGER_GROUP = "salesperf_odoo.group_salesperf_manager"
#: Who reads every commission statement of their companies.
COMMISSION_READERS = ("salesperf_odoo.group_salesperf_commission_manager", MANAGER_GROUP)
#: Months of the trend chart, ending with the period's last month.
TREND_MONTHS = 24
#: Rows of the category mix, top customers and top products.
TOP_ROWS = 10
#: Fields the sales cube sums the period's and the previous period's sales by.
CUBE_FIELDS = ("user_id", "categ_id", "channel", "commercial_partner_id", "product_tmpl_id")
#: Widths of the charts in pixels: the trend across an A4 portrait page, the
#: bars in half of it.
TREND_WIDTH = 640
BAR_WIDTH = 300
#: Colours of the trend chart: this year, last year, target.
TREND_COLORS = ("#1f77b4", "#9e9e9e", "#d62728")
#: Shorter periods whose targets stand in for a missing target of a longer
#: one, longest first.
FINER_KINDS = {"month": (), "quarter": ("month",), "year": ("quarter", "month")}


def tiling_parts(period, available):
    """The ``(kind, start)`` of the shorter periods' targets that tile
    ``period`` when it has no target of its own, or ``None`` when they do not
    cover it whole (a partial sum is no target of the period).

    A quarter is tiled by its 3 months; a year by its 4 quarters, each by its
    own target or else by its 3 months.

    :param available: the ``(kind, start)`` of the targets there are.
    """

    def months(start):
        parts = [("month", _shift_months(start, offset)) for offset in range(3)]
        return parts if all(part in available for part in parts) else None

    if period.kind == "quarter":
        return months(period.start)
    if period.kind != "year":
        return None
    parts = []
    for offset in range(0, 12, 3):
        start = _shift_months(period.start, offset)
        quarter = [("quarter", start)] if ("quarter", start) in available else months(start)
        if not quarter:
            return None
        parts += quarter
    return parts


class SalesperfPeriodReport(models.AbstractModel):
    """The sales performance report of a month, quarter or year, for a
    company, a sales team or a salesperson, as one plain dict that the PDF
    (QWeb) and the Excel workbook (``engine.report_xlsx``) both render.

    Who may report on what (checked by :meth:`_report_access` before any
    read): a user who sees all documents, or an administrator of Sales
    Performance, reports on anything of their allowed companies; a team
    leader on the teams they lead and those teams' current members; a
    salesperson on themselves only. The figures of a report are its whole
    scope's: a team leader reading his team's report reads the team's sales
    with sudo, after that check, as the team's targets do. The ranking shows
    other people's amounts only as the company's ranking setting allows.

    Every query is grouped: their number does not depend on the number of
    order lines, salespeople or months. The scope's revenue by month, by
    salesperson, by category and by channel (trend, mix and highlights) comes
    from one pass over the facts (:meth:`_report_sales_cube`).
    """

    _name = "salesperf.period.report"
    _description = "Sales Performance Period Report"

    # ------------------------------------------------------------
    # PUBLIC API
    # ------------------------------------------------------------

    @api.model
    def _report_data(self, scope, period, company, team=None, user=None):
        """The report's dict (see the data contract of the period report).

        :param scope: ``"company"``, ``"team"`` or ``"user"``.
        :param period: an ``engine.periods.Period`` of kind month, quarter or year.
        :param company: a ``res.company`` record, one of the user's allowed companies.
        :raises AccessError: for a scope the user may not report on.
        :raises UserError: for an empty period (no sales and no targets).
        """
        team = team or self.env["crm.team"]
        user = user or self.env["res.users"]
        if period.kind not in ("month", "quarter", "year"):
            raise UserError(_("A period report covers a month, a quarter or a year."))
        elevated = self._report_access(scope, company, team, user)
        today = company._salesperf_today()
        owner = {"company": company, "team": team, "user": user}[scope]
        ctx = {
            "scope": scope,
            "period": period,
            "company": company,
            "team": team,
            "user": user,
            "owner": owner,
            "owner_name": owner.sudo().name,
            "today": today,
            "in_progress": is_in_progress(period, today),
            "elevated": elevated,
            "sees_all": self.env.user.has_group(ALL_DOCUMENTS_GROUP),
            "currency": company.currency_id,
        }
        ctx["sales"] = self._report_sales_cube(ctx)
        targets = self._report_targets(ctx)
        if (
            not any(lines for *_figures, lines in ctx["sales"]["channel"]["current"])
            and not targets
        ):
            raise UserError(
                _(
                    "There is nothing to report for %(owner)s in %(period)s: no confirmed "
                    "sales and no targets. Choose another period or scope.",
                    owner=ctx["owner_name"],
                    period=self._report_period_label(period),
                )
            )
        kpis = self._report_kpis(ctx)
        data = {
            "title": _(
                "Sales Performance Report: %(owner)s, %(period)s",
                owner=ctx["owner_name"],
                period=self._report_period_label(period),
            ),
            "company": {"id": company.id, "name": company.name},
            "currency": self._report_currency(company.currency_id),
            "scope": {"kind": scope, "id": owner.id, "name": ctx["owner_name"]},
            "period": {
                "kind": period.kind,
                "start": period.start,
                "end": period.end,
                "label": self._report_period_label(period),
                "previous_label": self._report_period_label(previous_period(period)),
                "last_year_label": self._report_period_label(same_period_last_year(period)),
                "in_progress": ctx["in_progress"],
            },
            "generated_on": fields.Datetime.context_timestamp(self, fields.Datetime.now()).strftime(
                "%Y-%m-%d %H:%M"
            ),
            "labels": self._report_labels(),
            "kpis": kpis,
            "targets": targets,
            "trend": self._report_trend(ctx),
            "ranking": self._report_ranking(ctx),
        }
        data.update(self._report_mix(ctx))
        data["forecast"] = self._report_forecast(ctx)
        data["commission"] = self._report_commission(ctx, kpis)
        data["scorecards"] = self._report_scorecards(ctx)
        data["highlights"] = self._report_highlights(ctx, data)
        data["charts"] = self._report_charts(data)
        return data

    # ------------------------------------------------------------
    # RIGHTS
    # ------------------------------------------------------------

    @api.model
    def _report_access(self, scope, company, team, user):
        """Check that the user may report on the scope, whatever the client
        sent; return whether the scope's figures are then read with sudo
        (a team leader, an administrator without "All Documents": their own
        record rules would show only part of the scope).

        :raises AccessError: for a company, team or person out of reach.
        """
        if scope not in SCOPE_FIELDS:
            raise UserError(_("A period report is for a company, a sales team or a salesperson."))
        if len(company) != 1 or company not in self.env.companies:
            raise AccessError(_("You may report only on a company you are allowed to work in."))
        if scope == "team":
            if len(team) != 1:
                raise UserError(_("Choose the sales team to report on."))
            if team.sudo().company_id not in (company, self.env["res.company"]):
                raise AccessError(
                    _(
                        "Sales team %(team)s does not belong to %(company)s.",
                        team=team.sudo().name,
                        company=company.name,
                    )
                )
        if scope == "user":
            if len(user) != 1:
                raise UserError(_("Choose the salesperson to report on."))
            if company not in user.sudo().company_ids:
                raise AccessError(
                    _(
                        "%(user)s does not work for %(company)s.",
                        user=user.sudo().name,
                        company=company.name,
                    )
                )
        me = self.env.user
        if me.has_group(ALL_DOCUMENTS_GROUP):
            return False
        if me.has_group(MANAGER_GROUP):
            return True
        if scope == "user" and user == me:
            return False
        if scope == "team" and team.sudo().user_id == me:
            return True
        if scope == "user" and self._report_leads_member(user):
            return True
        raise AccessError(
            _(
                "You may report only on yourself, on the sales teams you lead and on their "
                "members: not on %(owner)s.",
                owner={"company": company, "team": team, "user": user}[scope].sudo().name,
            )
        )

    @api.model
    def _report_leads_member(self, user):
        """Whether the user leads an active team of which ``user`` is a
        current member (read from the teams, as the targets' rules do)."""
        # sudo: only whether such a membership exists leaves this query
        return bool(
            self.env["crm.team.member"]
            .sudo()
            .search_count(
                [
                    ("user_id", "=", user.id),
                    ("crm_team_id.active", "=", True),
                    ("crm_team_id.user_id", "=", self.env.uid),
                ],
                limit=1,
            )
        )

    @api.model
    def _report_facts(self, ctx):
        """The sales facts as the report reads them: with sudo only after
        :meth:`_report_access` decided so, always within the scope's company."""
        facts = self.env["salesperf.sale.fact"]
        return facts.sudo() if ctx["elevated"] else facts

    @api.model
    def _report_kpi_model(self, ctx):
        kpi = self.env["salesperf.kpi"]
        return kpi.sudo() if ctx["elevated"] else kpi

    @api.model
    def _report_fact_domain(self, ctx, period):
        """Sold lines of the scope in ``period`` (days of the company's time zone)."""
        domain = self.env["salesperf.kpi"]._sale_fact_domain(period, ctx["company"])
        if ctx["scope"] != "company":
            domain.append((SCOPE_FIELDS[ctx["scope"]], "=", ctx["owner"].id))
        return domain

    @api.model
    def _report_trend_months(self, period):
        """First days of the trend's months, ending with the period's last month."""
        last_month = period.end.replace(day=1)
        return [_shift_months(last_month, offset) for offset in range(1 - TREND_MONTHS, 1)]

    @api.model
    def _report_sales_cube(self, ctx):
        """The scope's sales read in one pass over its sold lines, with the
        report's rights: the 36 months of the trend (the period's previous
        period lies within them), grouped at once (SQL grouping sets) into

        - ``"months"``: ``{first day of month: revenue}``, the trend's months
          and the same months a year earlier;
        - one entry per field of :data:`CUBE_FIELDS`: ``{"current" |
          "previous": [(value, revenue, quantity, lines)]}``, the period's and
          the previous period's, ``value`` a record (empty for none) or the
          channel's key, in the order of a ``_read_group`` without ``order``
          (by id or key, none last).

        Every figure is summed by the database, as the separate grouped reads
        it replaces summed it: the same amounts to the last digit, while the
        lines are read and joined once instead of once per section.
        """
        period = ctx["period"]
        previous = previous_period(period)
        months = self._report_trend_months(period)
        history = Period(_shift_months(months[0], -12), period.end)
        facts = self._report_facts(ctx)
        facts.browse().check_access("read")
        query = facts._search(self._report_fact_domain(ctx, history))
        day = facts._field_to_sql(facts._table, "date", query)
        # the period's lines, the previous period's (which ends the day
        # before the period starts) and older ones, as two booleans: the
        # database estimates their groups right and sums them in memory
        current = SQL("(%s >= %s)", day, period.start)
        recent = SQL("(%s >= %s)", day, previous.start)
        month = facts._read_group_groupby("date:month", query)
        keys = [facts._read_group_groupby(name, query) for name in CUBE_FIELDS]
        query.groupby = SQL(
            "GROUPING SETS ((%s), %s)",
            month,
            SQL(", ").join(SQL("(%s, %s, %s)", current, recent, key) for key in keys),
        )
        rows = self.env.execute_query(
            query.select(
                month,
                current,
                recent,
                *keys,
                SQL("GROUPING(%s)", month),
                *(SQL("GROUPING(%s)", key) for key in keys),
                facts._read_group_select("revenue:sum", query),
                facts._read_group_select("quantity:sum", query),
                SQL("COUNT(*)"),
            )
        )
        width = len(CUBE_FIELDS)
        monthly = []
        # (field, bucket): [(key, revenue, quantity, lines)]
        grouped = {}
        for row in rows:
            month_value, is_current, is_recent = row[:3]
            values = row[3 : 3 + width]
            month_grouped, *key_grouped = row[3 + width : 4 + 2 * width]
            revenue, quantity, lines = row[4 + 2 * width :]
            if not month_grouped:
                monthly.append((month_value, revenue or 0.0))
            elif is_recent:
                index = key_grouped.index(0)
                bucket = "current" if is_current else "previous"
                grouped.setdefault((CUBE_FIELDS[index], bucket), []).append(
                    (values[index], revenue or 0.0, quantity or 0.0, lines)
                )
        month_days = facts._read_group_postprocess_groupby(
            "date:month", [month_value for month_value, _revenue in monthly]
        )
        cube = {
            "months": {
                month_day: revenue
                for month_day, (_month, revenue) in zip(month_days, monthly, strict=True)
            }
        }
        cube.update({name: {"current": [], "previous": []} for name in CUBE_FIELDS})
        for (name, bucket), group_rows in grouped.items():
            group_rows.sort(key=lambda item: (item[0] is None, item[0] or 0))
            values = facts._read_group_postprocess_groupby(name, [item[0] for item in group_rows])
            cube[name][bucket] = [
                (value, *figures)
                for value, (_key, *figures) in zip(values, group_rows, strict=True)
            ]
        return cube

    # ------------------------------------------------------------
    # SECTIONS
    # ------------------------------------------------------------

    @api.model
    def _report_kpis(self, ctx):
        """Every KPI with the period before and the same period last year.
        A closed period is compared whole; one in progress like for like
        (its days so far against as many days of each reference period)."""
        values = self._report_kpi_comparison(ctx)
        labels = self.env["salesperf.kpi"]._kpi_labels()
        rows = []
        for kpi in KPI_DEFINITIONS:
            row = {
                "code": kpi.code,
                "label": labels[kpi.code],
                "unit": kpi.unit,
                "direction": kpi.direction,
            }
            current = values["current"][kpi.code]
            row["current"] = self._report_fraction(kpi.unit, current)
            for name in ("previous", "last_year"):
                reference = values[name][kpi.code]
                delta, change = compare(current, reference)
                row[name] = self._report_fraction(kpi.unit, reference)
                row[f"change_{name}"] = change / 100 if change is not None else None
                row[f"tone_{name}"] = (
                    change_tone(kpi.direction, delta) if change is not None else "neutral"
                )
            rows.append(row)
        return rows

    @api.model
    def _report_kpi_comparison(self, ctx):
        """The scope owner's KPIs as ``salesperf.kpi._compute_kpi_comparison``
        measures them (``{"current" | "previous" | "last_year": kpis}``), each
        distinct period measured once: a year's previous period is the same
        year as last year's, measured once for both."""
        period, company = ctx["period"], ctx["company"]
        mode = "elapsed" if ctx["in_progress"] else "full"
        kpi = self._report_kpi_model(ctx)
        whole = full_comparison_periods(period)
        empty = derive_kpis({})
        key = (ctx["owner"].id, company.id)
        measured = {}
        values = {}
        # one company: one set of periods, counted up to the company's today
        [(_companies, periods)] = kpi._comparison_periods(period, company, mode)
        for name, counted in periods.items():
            if (counted, whole[name]) not in measured:
                measured[counted, whole[name]] = kpi._compute_counted_kpis(
                    counted, whole[name], ctx["scope"], company
                )
            values[name] = measured[counted, whole[name]].get(key, empty)
        return values

    @api.model
    def _report_fraction(self, unit, value):
        """KPIs in percent (25.0) as the fractions the report renders (0.25)."""
        if value is None:
            return None
        return value / 100 if unit == "percent" else float(value)

    @api.model
    def _report_target_domain(self, period, metrics=None):
        """Targets of ``period`` and of the shorter periods within it (which
        tile it when it has none of its own, see :func:`tiling_parts`)."""
        domain = [("period_kind", "=", period.kind), ("date_from", "=", period.start)]
        if FINER_KINDS[period.kind]:
            domain = expression.OR(
                [
                    domain,
                    [
                        ("period_kind", "in", FINER_KINDS[period.kind]),
                        ("date_from", ">=", period.start),
                        ("date_from", "<=", period.end),
                    ],
                ]
            )
        if metrics:
            domain = [("metric", "in", metrics), *domain]
        return domain

    @api.model
    def _report_pick_targets(self, period, targets):
        """``{(owner id, metric): (parts, kinds)}``: for each owner and metric,
        its target of ``period`` (``kinds`` empty), else the shorter periods'
        targets that tile it (``kinds`` their period kinds), else nothing."""
        found = {}
        for target in targets:
            key = (target._entity_id(), target.metric)
            found.setdefault(key, {})[target.period_kind, target.date_from] = target
        picked = {}
        for key, available in found.items():
            own = available.get((period.kind, period.start))
            if own:
                picked[key] = (own, frozenset())
                continue
            parts = tiling_parts(period, available)
            if parts:
                picked[key] = (
                    targets.browse([available[part].id for part in parts]),
                    frozenset(kind for kind, _start in parts),
                )
        return picked

    @api.model
    def _report_people_targets(self, period, company, users, metric):
        """:meth:`_report_pick_targets` of the salesperson targets of
        ``users`` for ``metric``, in one search, read as superuser: the
        callers (report ranking, ranking screen) check the reader's scope
        first. A period without its own target takes the sum of the shorter
        periods' that tile it."""
        targets = (
            self.env["salesperf.target"]
            .sudo()
            .search(
                [
                    ("scope", "=", "user"),
                    ("user_id", "in", users.ids),
                    ("company_id", "=", company.id),
                    *self._report_target_domain(period, [metric]),
                ]
            )
        )
        return self._report_pick_targets(period, targets)

    @api.model
    def _report_sum_label(self, label, kinds):
        """The label of a target summed from shorter periods' targets."""
        if kinds == {"month"}:
            return _("%(metric)s (sum of monthly targets)", metric=label)
        if kinds == {"quarter"}:
            return _("%(metric)s (sum of quarterly targets)", metric=label)
        return _("%(metric)s (sum of quarterly and monthly targets)", metric=label)

    @api.model
    def _report_targets(self, ctx):
        """The scope owner's targets of the period, with their pacing, read
        with the user's own rights (the target rules are those of the scope).

        A metric without a target of the period's own kind takes the sum of
        the owner's shorter periods' targets when they cover the period
        whole (a quarter's 3 months; a year's 4 quarters, each else its 3
        months): expected to date is the sum of the parts' (closed parts in
        full, the current one its own pace, future ones nothing), the
        attainment the period's actual over the summed target."""
        period, scope, company = ctx["period"], ctx["scope"], ctx["company"]
        domain = [
            ("scope", "=", scope),
            ("company_id", "=", company.id),
            *self._report_target_domain(period),
        ]
        if scope != "company":
            domain.append((SCOPE_FIELDS[scope], "=", ctx["owner"].id))
        targets = self.env["salesperf.target"].search(domain, order="metric, id")
        picked = self._report_pick_targets(period, targets)
        if not picked:
            return []
        chosen = targets.browse().union(*(parts for parts, _kinds in picked.values()))
        pacing = chosen._salesperf_pacing()
        summed_metrics = sorted(metric for (_owner, metric), (_p, kinds) in picked.items() if kinds)
        actuals = {}
        if summed_metrics:
            # sudo: as each part's own pacing measures it, after the user
            # read the owner's targets with their own rights; the period's
            # actual whole, not the parts' sum (new customers do not add up)
            measures = (
                self.env["salesperf.kpi"]
                .sudo()
                ._compute_measures(period, scope, company, measures=set(summed_metrics))
            )
            actuals = measures.get((ctx["owner"].id, company.id), {})
        metrics = dict(targets._fields["metric"]._description_selection(self.env))
        statuses = dict(targets._fields["pacing_status"]._description_selection(self.env))
        thresholds = company._salesperf_pacing_thresholds()
        rows = []
        for (_owner, metric), (parts, kinds) in sorted(picked.items(), key=lambda item: item[0][1]):
            results = [pacing.get(part.id) for part in parts]
            if not all(results):
                continue
            amount = sum(part.amount for part in parts)
            if kinds:
                actual = actuals.get(metric, 0.0)
                expected = sum(result.expected_to_date for result in results)
                # the engine's status of the actual against what is due by
                # now: the summed expectation as a target due in full
                status = pace(expected, actual, 1, 1, thresholds).status
                label = self._report_sum_label(metrics[metric], kinds)
            else:
                [result] = results
                actual, expected, status = result.actual, result.expected_to_date, result.status
                label = metrics[metric]
            if ctx["in_progress"]:
                status_label = statuses.get(status, "")
            else:
                status = "done"
                status_label = _("Reached") if actual >= amount else _("Not reached")
            rows.append(
                {
                    "metric": metric,
                    "label": label,
                    "unit": "monetary" if metric in MONETARY_METRICS else "count",
                    "target": amount,
                    "actual": actual,
                    "attainment": actual / amount if amount else None,
                    "expected": expected,
                    "pacing": actual / expected if expected else None,
                    "status": status,
                    "status_label": status_label,
                }
            )
        return rows

    @api.model
    def _report_trend(self, ctx):
        """Revenue of the 24 months ending with the period's last month, of
        the same months a year earlier (the 36 months of the sales cube), and
        the owner's monthly revenue targets (one grouped read)."""
        period, company = ctx["period"], ctx["company"]
        months = self._report_trend_months(period)
        revenue = ctx["sales"]["months"]
        domain = [
            ("scope", "=", ctx["scope"]),
            ("company_id", "=", company.id),
            ("metric", "=", "revenue"),
            ("period_kind", "=", "month"),
            ("date_from", ">=", months[0]),
            ("date_from", "<=", months[-1]),
        ]
        if ctx["scope"] != "company":
            domain.append((SCOPE_FIELDS[ctx["scope"]], "=", ctx["owner"].id))
        targets = {
            date_from: amount
            for date_from, amount in self.env["salesperf.target"]._read_group(
                domain, ["date_from:day"], ["amount:sum"]
            )
        }
        locale = babel_locale_parse(get_lang(self.env).code)
        return {
            "months": months,
            "labels": [
                babel.dates.format_skeleton("yMMM", month, locale=locale) for month in months
            ],
            "revenue": [revenue.get(month, 0.0) for month in months],
            "last_year": [revenue.get(_shift_months(month, -12), 0.0) for month in months],
            "target": [targets.get(month) for month in months],
        }

    @api.model
    def _report_ranking_team(self, ctx):
        """The team the ranking is about: the scope's team, the salesperson's
        own team in the company, none (the company's salespeople) otherwise."""
        if ctx["scope"] == "team":
            return ctx["team"]
        if ctx["scope"] == "user":
            team = ctx["user"].sudo().sale_team_id
            if team and team.company_id in (ctx["company"], self.env["res.company"]):
                return team
        return self.env["crm.team"]

    @api.model
    def _report_standings(self, ranking, period):
        """``salesperf.ranking._standings`` of a revenue ranking by attainment,
        reading only the revenue: the same sold lines summed per salesperson
        and company (``salesperf.kpi._measure_sales``'s domain and grouping),
        without the other KPIs the ranking screen's measures also read.
        A quarter or year without a person's own target takes the sum of
        their shorter periods' targets that tile it (as :meth:`_report_targets`
        does), read in the same one search; ``"summed"`` holds those parts by
        person.

        Read with sudo, as the ranking reads: a leaderboard shows everyone
        of the team or company; :meth:`_report_access` checked the scope and
        what shows of other people's amounts is decided by the caller."""
        company = ranking.company_id
        # sudo: the ranking screen's own reading (see the docstring)
        kpi = self.env["salesperf.kpi"].sudo()
        revenue = {
            key: amount
            for key, _extra, (amount,) in kpi._grouped(
                kpi.env["salesperf.sale.fact"],
                kpi._sale_fact_domain(period, company),
                "user",
                ["revenue:sum"],
            )
        }
        users = ranking._ranked_users()
        amounts = {user.id: revenue.get((user.id, company.id), 0.0) for user in users}
        # sudo: the targets of everyone ranked, as the ranking screen reads them
        picked = self._report_people_targets(period, company, users, "revenue")
        targets = {
            user_id: sum(parts.mapped("amount"))
            for (user_id, _metric), (parts, _k) in picked.items()
        }
        attainment = {
            user_id: amount / targets[user_id] * 100 if targets.get(user_id) else None
            for user_id, amount in amounts.items()
        }
        return {
            "amounts": amounts,
            "targets": targets,
            "summed": {
                user_id: parts for (user_id, _metric), (parts, kinds) in picked.items() if kinds
            },
            "attainment": attainment,
            "ranks": competition_ranks(attainment),
        }

    @api.model
    def _report_ranking(self, ctx):
        """The leaderboard of the scope's people on revenue, as the ranking
        screen computes it (``salesperf.ranking._standings``): by attainment
        when someone has a target, by amount otherwise. Other people's
        amounts show only to who sees all documents, or as the company's
        ranking setting allows."""
        company, period = ctx["company"], ctx["period"]
        rank_team = self._report_ranking_team(ctx)
        ranking = self.env["salesperf.ranking"].new(
            {
                "company_id": company.id,
                "team_id": rank_team.id,
                "metric": "revenue",
                "rank_by": "attainment",
                "period_kind": period.kind,
                "reference_date": period.start,
            }
        )
        standings = self._report_standings(ranking, period)
        # the share of a summed target due by now (its parts' expected to
        # date over their total), for who is behind its pace: not the
        # quarter's or year's working days, each part its own
        ctx["target_due"] = {}
        if ctx["in_progress"] and standings["summed"]:
            # sudo: the parts read with sudo by the standings, as the ranking reads
            parts = self.env["salesperf.target"].sudo().union(*standings["summed"].values())
            pacing = parts._salesperf_pacing()
            ctx["target_due"] = {
                user_id: sum(pacing[part.id].expected_to_date for part in user_parts)
                / standings["targets"][user_id]
                for user_id, user_parts in standings["summed"].items()
                if standings["targets"][user_id]
            }
        amounts_shown = ctx["sees_all"] or company.salesperf_ranking_show_amounts
        by_attainment = any(value is not None for value in standings["attainment"].values())
        ranks = standings["ranks"] if by_attainment else competition_ranks(standings["amounts"])
        users = self.env["res.users"].sudo().browse(list(standings["amounts"]))
        names = {user.id: user.name for user in users}
        rows = []
        for user_id, amount in standings["amounts"].items():
            visible = amounts_shown or user_id == self.env.uid
            attainment = standings["attainment"].get(user_id)
            rows.append(
                {
                    "rank": ranks.get(user_id),
                    "user_id": user_id,
                    "name": names[user_id],
                    "revenue": amount if visible else None,
                    "target": standings["targets"].get(user_id) if visible else None,
                    "attainment": attainment / 100 if attainment is not None else None,
                    "is_reader": user_id == self.env.uid,
                }
            )
        rows.sort(key=lambda row: (row["rank"] is None, row["rank"] or 0, row["name"]))
        where = rank_team.name if rank_team else company.name
        if not rows:
            note = _("Nobody to rank in %(where)s.", where=where)
        elif by_attainment:
            note = _(
                "Salespeople of %(where)s ranked by attainment of their revenue target; "
                "without a target, not ranked.",
                where=where,
            )
        else:
            note = _(
                "Salespeople of %(where)s ranked by revenue (nobody has a revenue target).",
                where=where,
            )
        if by_attainment and standings["summed"]:
            note += " " + (
                _("Without a quarter target, the target is the sum of the three monthly targets.")
                if period.kind == "quarter"
                else _(
                    "Without a year target, the target is the sum of the four quarterly "
                    "targets, each quarter without one the sum of its monthly targets."
                )
            )
        if rows and not amounts_shown:
            note += " " + _("Amounts of others are hidden by the company's ranking setting.")
        return {
            "shown": bool(rows),
            "amounts_shown": amounts_shown,
            "note": note,
            "rows": rows,
        }

    @api.model
    def _report_mix(self, ctx):
        """Channels, product categories (top 10 and the rest), top customers
        and top products of the period, from the sales cube; one grouped read
        of the top customers' orders."""
        facts = self._report_facts(ctx)
        sales = ctx["sales"]
        labels = dict(facts._fields["channel"]._description_selection(self.env))
        channel_rows = sales["channel"]["current"]
        total = sum(revenue for _channel, revenue, *_figures in channel_rows)

        def share(amount):
            return amount / total if total else 0.0

        def top(name):
            """The period's rows of ``name`` by revenue, largest first."""
            return sorted(sales[name]["current"], key=lambda row: -row[1])

        channels = [
            {
                "key": channel or "",
                "label": labels.get(channel, self.env._("Undefined")),
                "revenue": revenue,
                "share": share(revenue),
            }
            for channel, revenue, *_figures in top("channel")
        ]
        category_rows = top("categ_id")
        categories = [
            {
                "label": categ.display_name or self.env._("No category"),
                "revenue": revenue,
                "share": share(revenue),
            }
            for categ, revenue, *_figures in category_rows[:TOP_ROWS]
        ]
        rest = sum(revenue for _categ, revenue, *_figures in category_rows[TOP_ROWS:])
        if len(category_rows) > TOP_ROWS:
            categories.append({"label": _("Other"), "revenue": rest, "share": share(rest)})
        customers = [row for row in top("commercial_partner_id") if row[0]][:TOP_ROWS]
        products = [row for row in top("product_tmpl_id") if row[0]][:TOP_ROWS]
        # distinct orders do not add up across groups: counted for the top
        # customers alone
        orders = dict(
            facts._read_group(
                [
                    *self._report_fact_domain(ctx, ctx["period"]),
                    ("commercial_partner_id", "in", [partner.id for partner, *_f in customers]),
                ],
                ["commercial_partner_id"],
                ["order_reference:count_distinct"],
            )
            if customers
            else []
        )
        return {
            "channels": channels,
            "categories": categories,
            "top_customers": [
                {
                    "name": partner.display_name,
                    "revenue": revenue,
                    "orders": orders.get(partner, 0),
                    "share": share(revenue),
                }
                for partner, revenue, *_figures in customers
            ],
            "top_products": [
                {
                    "name": product.display_name,
                    "revenue": revenue,
                    "quantity": quantity,
                    "share": share(revenue),
                }
                for product, revenue, quantity, _lines in products
            ],
        }

    # ------------------------------------------------------------
    # HOOKS
    # ------------------------------------------------------------

    @api.model
    def _report_forecast(self, ctx):
        """Hook: the statistical forecast of the next period for the scope,
        from the company's latest finished forecast run, or ``None``.

        The months' 80 % intervals are combined as independent errors
        (``engine.targets.period_forecast``). The next period's target is its
        own, else the sum of the shorter periods' targets that cover it whole
        (as :meth:`_report_targets`). Read with the user's own rights:
        forecast lines follow the same rules as the report's scope."""
        period, company = ctx["period"], ctx["company"]
        following = period_containing(period.kind, period.end + timedelta(days=1))
        series_key = {
            "company": "company",
            "team": f"team:{ctx['owner'].id}",
            "user": f"user:{ctx['owner'].id}",
        }[ctx["scope"]]
        lines = self.env["salesperf.forecast.line"]
        rows = lines._read_group(
            [
                ("is_latest", "=", True),
                ("company_id", "=", company.id),
                ("series_key", "=", series_key),
                ("date", ">=", following.start),
                ("date", "<=", following.end),
            ],
            ["date:month", "method"],
            ["forecast:sum", "lo80:sum", "hi80:sum"],
        )
        if not rows:
            return None
        combined = period_forecast([(point, low, high) for _m, _method, point, low, high in rows])
        methods = dict(lines._fields["method"]._description_selection(self.env))
        names = sorted({methods.get(method, "") for _m, method, *_values in rows if method})
        # the next period's own target, else the sum of the shorter periods'
        # that cover it whole (see _report_targets)
        picked = self._report_pick_targets(
            following,
            self.env["salesperf.target"].search(
                [
                    ("scope", "=", ctx["scope"]),
                    ("company_id", "=", company.id),
                    *self._report_target_domain(following, ["revenue"]),
                    *(
                        [(SCOPE_FIELDS[ctx["scope"]], "=", ctx["owner"].id)]
                        if ctx["scope"] != "company"
                        else []
                    ),
                ]
            ),
        )
        target = next((parts for parts, _kinds in picked.values()), None)
        return {
            "period_label": self._report_period_label(following),
            "forecast": combined.point,
            "lo80": combined.lo80,
            "hi80": combined.hi80,
            "target": sum(target.mapped("amount")) if target else None,
            "method": ", ".join(names),
        }

    @api.model
    def _report_commission(self, ctx, kpis):
        """Hook: the commission cost of the period's statements (all but the
        cancelled ones) of the scope, or ``None`` without any.

        Read with the user's own rights, and shown only where those rights
        cover the whole scope: a salesperson's own statements, a team
        leader's team and members, everything for a Commission Manager or an
        administrator. Elsewhere a total of the statements one may read
        would pass for the scope's."""
        scope, me = ctx["scope"], self.env.user
        covers_scope = any(me.has_group(group) for group in COMMISSION_READERS) or (
            scope == "user" or (scope == "team" and ctx["team"].sudo().user_id == me)
        )
        if not covers_scope:
            return None
        period = ctx["period"]
        domain = [
            ("company_id", "=", ctx["company"].id),
            ("state", "!=", "cancel"),
            ("date_from", ">=", period.start),
            ("date_to", "<=", period.end),
        ]
        if scope != "company":
            domain.append((SCOPE_FIELDS[scope], "=", ctx["owner"].id))
        [(count, total)] = self.env["salesperf.commission.statement"]._read_group(
            domain, [], ["__count", "total_amount:sum"]
        )
        if not count:
            return None
        revenue = next(row["current"] for row in kpis if row["code"] == "revenue")
        return {
            "total": total,
            "statements": count,
            "share_of_revenue": total / revenue if revenue else None,
        }

    @api.model
    def _report_scorecards(self, ctx):
        """Hook: the scorecards of the scope's people for the period, or
        ``None`` (``[{"name", "user_id", "score", "band", "state_label",
        "comment", "suggestions"}]``).

        ``ctx`` is the report's context, checked by :meth:`_report_access`:
        ``scope`` ("company", "team", "user"), ``period`` (an
        ``engine.periods.Period``), ``company``, ``team``, ``user`` and
        ``owner`` (the record reported on), ``today`` (the company's),
        ``in_progress``, ``elevated`` (the scope's figures are read with sudo
        after the check), ``sees_all`` (the reader sees all documents),
        ``currency`` and ``sales`` (the scope's sales of the period, of the
        previous period and of the trend's months: :meth:`_report_sales_cube`)."""
        return

    @api.model
    def _report_highlights(self, ctx, data):
        """Hook: the main movements in a few sentences written from the
        numbers: revenue against the references, the salesperson and the
        product category that gained and lost most since the previous
        period, and who is behind their revenue target's pace."""
        period = ctx["period"]
        previous = previous_period(period)
        money = self._report_money_formatter(ctx["currency"])
        sentences = []
        revenue = next(row for row in data["kpis"] if row["code"] == "revenue")
        comparisons = []
        for name in ("previous", "last_year"):
            change = revenue["change_" + name]
            reference = data["period"][name + "_label"]
            if change is None:
                comparisons.append(
                    _("no sales in %(reference)s to compare with", reference=reference)
                )
            else:
                comparisons.append(
                    _(
                        "%(change)s compared with %(reference)s",
                        change=self._report_signed_percent(change),
                        reference=reference,
                    )
                )
        sentences.append(
            _(
                "Revenue of %(period)s: %(amount)s, %(previous)s and %(last_year)s.",
                period=data["period"]["label"],
                amount=money(revenue["current"]),
                previous=comparisons[0],
                last_year=comparisons[1],
            )
        )
        if ctx["in_progress"]:
            sentences.append(
                _(
                    "%(period)s is in progress: its %(days)s days so far are compared with "
                    "as many first days of the other periods.",
                    period=data["period"]["label"],
                    days=(ctx["today"] - period.start).days + 1,
                )
            )
        groupings = [("categ_id", _("Product category"))]
        if ctx["scope"] != "user":
            groupings.insert(0, ("user_id", _("Salesperson")))
        for field_name, what in groupings:
            sentences += self._report_movements(ctx, field_name, what, previous, money)
        sentences += self._report_behind(ctx, data, money)
        return sentences

    # ------------------------------------------------------------
    # HIGHLIGHTS
    # ------------------------------------------------------------

    @api.model
    def _report_movements(self, ctx, field_name, what, previous, money):
        """The largest gain and the largest drop of revenue by ``field_name``
        (``user_id`` or ``categ_id``) since the previous period, from the
        sales cube."""
        deltas = {}
        for bucket, sign in (("current", 1), ("previous", -1)):
            for record, revenue, _quantity, _lines in ctx["sales"][field_name][bucket]:
                deltas[record] = deltas.get(record, 0.0) + sign * revenue
        sentences = []
        gains = [(delta, record) for record, delta in deltas.items() if delta > 0]
        drops = [(delta, record) for record, delta in deltas.items() if delta < 0]
        if gains:
            delta, record = max(gains, key=lambda item: item[0])
            sentences.append(
                _(
                    "Largest gain by %(what)s: %(name)s, %(delta)s compared with %(previous)s.",
                    what=what.lower(),
                    name=record.display_name or _("Unassigned"),
                    delta="+" + money(delta),
                    previous=self._report_period_label(previous),
                )
            )
        if drops:
            delta, record = min(drops, key=lambda item: item[0])
            sentences.append(
                _(
                    "Largest drop by %(what)s: %(name)s, %(delta)s compared with %(previous)s.",
                    what=what.lower(),
                    name=record.display_name or _("Unassigned"),
                    delta="−" + money(-delta),
                    previous=self._report_period_label(previous),
                )
            )
        return sentences

    @api.model
    def _report_behind(self, ctx, data, money):
        """Who is behind the pace of their revenue target (a closed period:
        who missed it), from the ranking's figures and the company's working
        days; for a salesperson's own report, only themselves."""
        company, period = ctx["company"], ctx["period"]
        rows = [row for row in data["ranking"]["rows"] if row["target"] or row["attainment"]]
        if ctx["scope"] == "user":
            rows = [row for row in rows if row["user_id"] == ctx["user"].id]
        elapsed, total = company._salesperf_working_days(period, ctx["today"])
        thresholds = company._salesperf_pacing_thresholds()
        behind = []
        for row in rows:
            if row["attainment"] is None:
                continue
            if not ctx["in_progress"]:
                if row["attainment"] < 1:
                    behind.append(row)
                continue
            # the pace compares ratios only: 1 stands for the target; a
            # summed target's due share is its parts' (see _report_ranking)
            due = ctx.get("target_due", {}).get(row["user_id"])
            if due is not None:
                status = pace(due, row["attainment"], 1, 1, thresholds).status
            elif total:
                status = pace(1.0, row["attainment"], elapsed, total, thresholds).status
            else:
                status = None
            if status == "behind":
                behind.append(row)
        if not rows:
            return []
        if not behind:
            if ctx["in_progress"]:
                return [_("Nobody is behind the pace of their revenue target.")]
            return [_("Everyone reached their revenue target.")]
        names = ", ".join(
            self.env._(
                "%(name)s (%(attainment)s)",
                name=row["name"],
                attainment=self._report_percent(row["attainment"]),
            )
            for row in behind
        )
        if ctx["in_progress"]:
            return [_("Behind the pace of their revenue target: %(names)s.", names=names)]
        return [_("Missed their revenue target: %(names)s.", names=names)]

    # ------------------------------------------------------------
    # CHARTS AND FORMATS
    # ------------------------------------------------------------

    @api.model
    def _report_charts(self, data):
        """The SVG charts the PDF prints (the workbook draws native charts)."""
        labels = data["labels"]
        trend = data["trend"]
        series = [
            {"name": labels["revenue"], "values": trend["revenue"], "color": TREND_COLORS[0]},
            {
                "name": labels["last_year"],
                "values": trend["last_year"],
                "color": TREND_COLORS[1],
                "dash": True,
            },
        ]
        if any(value is not None for value in trend["target"]):
            series.append(
                {
                    "name": labels["target"],
                    "values": trend["target"],
                    "color": TREND_COLORS[2],
                    "dash": True,
                }
            )
        empty = _("No sales")
        return {
            "trend": Markup(
                report_svg.line_chart(trend["labels"], series, width=TREND_WIDTH, empty_text=empty)
            ),
            "channels": Markup(
                report_svg.bar_chart(
                    [{"label": row["label"], "value": row["revenue"]} for row in data["channels"]],
                    width=BAR_WIDTH,
                    empty_text=empty,
                )
            ),
            "categories": Markup(
                report_svg.bar_chart(
                    [
                        {"label": row["label"], "value": row["revenue"]}
                        for row in data["categories"]
                    ],
                    width=BAR_WIDTH,
                    empty_text=empty,
                )
            ),
        }

    @api.model
    def _report_currency(self, currency):
        return {
            "name": currency.name,
            "symbol": currency.symbol,
            "position": currency.position,
            "decimals": currency.decimal_places,
        }

    @api.model
    def _report_money_formatter(self, currency):
        def money(amount):
            return formatLang(self.env, amount or 0.0, currency_obj=currency)

        return money

    @api.model
    def _report_format(self, value, unit, currency):
        """A figure of the report as the reader reads it, in its unit:
        ``"percent"`` and ``"ratio_percent"`` are fractions (0.25 reads "25.0 %")."""
        if value is None:
            return "–"
        if unit == "monetary":
            return formatLang(self.env, value, currency_obj=currency)
        if unit in ("percent", "ratio_percent"):
            return self._report_percent(value)
        if unit == "days":
            return _("%(days)s days", days=formatLang(self.env, value, digits=1))
        if unit in ("quantity", "ratio"):
            return formatLang(self.env, value, digits=2)
        return formatLang(self.env, value, digits=0)

    @api.model
    def _report_percent(self, ratio):
        if ratio is None:
            return "–"
        return f"{formatLang(self.env, ratio * 100, digits=1)}\N{NO-BREAK SPACE}%"

    @api.model
    def _report_signed_percent(self, ratio):
        """A change as a signed percentage ("+12.5 %"), "–" without reference."""
        if ratio is None:
            return "–"
        sign = "+" if ratio > 0 else "−" if ratio < 0 else ""
        return f"{sign}{formatLang(self.env, abs(ratio) * 100, digits=1)}\N{NO-BREAK SPACE}%"

    @api.model
    def _report_period_label(self, period):
        return self.env["salesperf.kpi"]._period_label(period)

    @api.model
    def _report_labels(self):
        """Section titles and column headers, in the reader's language."""
        return {
            "kpis": _("Key figures"),
            "kpi": _("KPI"),
            "current": _("Current"),
            "previous": _("Previous period"),
            "last_year": _("Same period last year"),
            "change_previous": _("vs previous"),
            "change_last_year": _("vs last year"),
            "targets": _("Targets"),
            "target": _("Target"),
            "actual": _("Actual"),
            "attainment": _("Attainment"),
            "expected": _("Expected by now"),
            "pacing": _("Pacing"),
            "status": _("Status"),
            "summary": _("Summary"),
            "mix": _("Sales mix"),
            "trend": _("24-month trend"),
            "month": _("Month"),
            "revenue": _("Revenue"),
            "ranking": _("Ranking"),
            "rank": _("Rank"),
            "salesperson": _("Salesperson"),
            "channels": _("Sales channels"),
            "channel": _("Channel"),
            "share": _("Share"),
            "categories": _("Product categories"),
            "category": _("Category"),
            "top_customers": _("Top customers"),
            "customer": _("Customer"),
            "orders": _("Orders"),
            "top_products": _("Top products"),
            "product": _("Product"),
            "quantity": _("Quantity"),
            "forecast": _("Forecast"),
            "forecast_low": _("Low (80 %)"),
            "forecast_high": _("High (80 %)"),
            "method": _("Method"),
            "commission": _("Commissions"),
            "commission_total": _("Commission cost"),
            "statements": _("Statements"),
            "share_of_revenue": _("Share of revenue"),
            "scorecards": _("Scorecards"),
            "score": _("Score"),
            "band": _("Band"),
            "comment": _("Comment"),
            "suggestions": _("Suggestions"),
            "highlights": _("Main movements"),
            "total": _("Total"),
            "other": _("Other"),
            "generated_on": _("Generated on"),
            "period": _("Period"),
        }


class ReportSalesperfPeriod(models.AbstractModel):
    """Values of the period report's QWeb template: one report dict per
    wizard printed, each wizard read with the user's rights (its creator's)."""

    _name = "report.salesperf_odoo.report_salesperf_period"
    _description = "Sales Performance Period Report (PDF)"

    @api.model
    def _get_report_values(self, docids, data=None):
        wizards = self.env["salesperf.period.report.wizard"].browse(docids)
        wizards.check_access("read")
        report = self.env["salesperf.period.report"]
        return {
            "doc_ids": docids,
            "doc_model": "salesperf.period.report.wizard",
            "docs": wizards,
            "reports": {wizard.id: wizard._report_data() for wizard in wizards},
            "format_value": report._report_format,
            "format_change": report._report_signed_percent,
            "tone_classes": {"good": "text-success", "bad": "text-danger", "neutral": ""},
            "status_classes": {
                "ahead": "text-success",
                "on_track": "text-success",
                "at_risk": "text-warning",
                "behind": "text-danger",
            },
        }
