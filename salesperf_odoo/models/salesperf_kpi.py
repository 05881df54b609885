# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from collections import defaultdict
from datetime import datetime, time, timedelta

import babel.dates
import pytz

from odoo import _, api, models
from odoo.exceptions import AccessError, UserError
from odoo.osv import expression
from odoo.tools.misc import babel_locale_parse, get_lang

from ..engine.kpi import (
    KPI_CODES,
    MEASURES,
    WHOLE_PERIOD_MEASURES,
    classify_customers,
    derive_kpis,
)
from ..engine.periods import comparison_periods, full_comparison_periods

#: Entity field of each dimension on the fact models and on crm.lead.
DIMENSIONS = {"user": "user_id", "team": "team_id", "company": "company_id"}
#: Who reads every document (Sales' "All Documents"); the others read their own.
ALL_DOCUMENTS_GROUP = "sales_team.group_sale_salesman_all_leads"


class SalesperfKpi(models.AbstractModel):
    """Measures every KPI of a period per salesperson, team or company.

    Each source is read with one grouped query (``_read_group``) per measure
    family, whatever the number of order lines or entities; the formulas
    live in the computing core (``engine.kpi``). Results are keyed by
    ``(entity id, company id)``: amounts are never summed across companies,
    whose currencies may differ. Every read goes through the user's access
    rules, so a salesperson measures only what they may see.
    """

    _name = "salesperf.kpi"
    _description = "Sales Performance KPI Computation"

    # ------------------------------------------------------------
    # PUBLIC API
    # ------------------------------------------------------------

    @api.model
    def _compute_kpis(self, period, dimension, companies):
        """``{(entity_id, company_id): {kpi code: value}}`` for one period."""
        return {
            key: derive_kpis(measures)
            for key, measures in self._compute_measures(period, dimension, companies).items()
        }

    @api.model
    def _compute_kpi_comparison(self, period, dimension, companies, mode="elapsed"):
        """KPIs of ``period``, of the period before and of the same one a year earlier.

        :param mode: ``"elapsed"`` compares a period in progress like for
            like: its days up to each company's today against as many days
            of the reference periods; ``"full"`` compares whole periods (see
            ``engine.periods.comparison_periods``; a period that is not in
            progress is always compared in full). The open and weighted
            pipeline, by expected closing date, are measured over the whole
            periods in either mode (``engine.kpi.WHOLE_PERIOD_MEASURES``).
        :returns: ``{key: {"current": kpis, "previous": kpis, "last_year": kpis}}``
            for every key present in any of the three periods (missing
            periods give the KPIs of empty measures).
        """
        empty = derive_kpis({})
        comparison = {}
        whole = full_comparison_periods(period)
        for group_companies, periods in self._comparison_periods(period, companies, mode):
            results = {
                name: self._compute_counted_kpis(counted, whole[name], dimension, group_companies)
                for name, counted in periods.items()
            }
            for key in set().union(*results.values()):
                comparison[key] = {name: results[name].get(key, empty) for name in periods}
        return comparison

    @api.model
    def _compute_counted_kpis(self, counted, whole, dimension, companies):
        """KPIs of the days ``counted`` of the period ``whole``; the measures
        of what is expected to close in the period are taken over ``whole``
        (cut at today, the open pipeline would be only the overdue deals).

        :returns: ``{(entity_id, company_id): {kpi code: value}}``
        """
        if counted == whole:
            return self._compute_kpis(whole, dimension, companies)
        measures = self._compute_measures(
            counted, dimension, companies, measures=set(MEASURES) - WHOLE_PERIOD_MEASURES
        )
        ahead = self._compute_measures(whole, dimension, companies, measures=WHOLE_PERIOD_MEASURES)
        for key, values in ahead.items():
            row = measures.setdefault(key, dict.fromkeys(MEASURES, 0))
            row.update({measure: values[measure] for measure in WHOLE_PERIOD_MEASURES})
        return {key: derive_kpis(values) for key, values in measures.items()}

    @api.model
    def _comparison_periods(self, period, companies, mode="elapsed"):
        """``[(companies, {"current": …, "previous": …, "last_year": …})]``.

        Companies whose today falls on different days (time zones far apart)
        may compare different days: one entry per distinct set of periods,
        so that each company is measured up to its own today.
        """
        grouped = defaultdict(lambda: self.env["res.company"])
        for company in companies:
            periods = comparison_periods(period, company._salesperf_today(), mode)
            grouped[tuple(periods.items())] |= company
        return [(group, dict(items)) for items, group in grouped.items()]

    # ------------------------------------------------------------
    # DETAILS
    # ------------------------------------------------------------

    @api.model
    def _action_kpi_details(self, kpi_code, period, dimension, entity_id, company):
        """Window action listing the records one KPI counts for one entity
        (salesperson, team or company id per ``dimension``), period and company.

        The records are those the KPI's measures read, with the same domain:
        sold lines for the sales and customer KPIs, opportunities for the
        pipeline and closed ones, completed activities. No ``sudo`` on the
        records: the list shows, through the user's own access rules, only
        what the user may read. A reader of their own documents who opens a
        team's or a company's figure (a team leader opening his team
        target's actual) gets his own records of it: the title says so
        rather than naming the team's or company's whole figure.

        :param period: an ``engine.periods.Period``.
        :param company: a ``res.company`` record (or its id); it comes from
            the client (a line, a target), so it must be one of the user's
            allowed companies.
        :raises UserError: for an unknown KPI code or dimension.
        :raises AccessError: for a company the user is not allowed in.
        """
        if kpi_code not in KPI_CODES:
            raise UserError(_("There is no KPI %(kpi)s.", kpi=kpi_code))
        if dimension not in DIMENSIONS:
            raise UserError(_("KPIs cannot be measured per %(dimension)s.", dimension=dimension))
        if isinstance(company, int):
            company = self.env["res.company"].browse(company)
        # before any builder, some of which read with sudo within the company
        if len(company) != 1 or company not in self.env.companies:
            raise AccessError(
                _("You may open only the figures of a company you are allowed to work in.")
            )
        entity_domain = [(DIMENSIONS[dimension], "=", entity_id)]
        action = self._kpi_details_builders()[kpi_code](period, company, entity_domain)
        entity = self.env[self._kpi_entity_model(dimension)].browse(entity_id)
        action.setdefault("type", "ir.actions.act_window")
        # a builder may name what it lists when the KPI's label does not say it
        what = action.get("name") or self._kpi_labels()[kpi_code]
        entity_name = entity.display_name if entity else _("Unassigned")
        if dimension != "user" and not self.env.user.has_group(ALL_DOCUMENTS_GROUP):
            entity_name = _("%(entity)s (your documents)", entity=entity_name)
        parts = [what, entity_name]
        if kpi_code not in self._kpi_details_undated():
            parts.append(self._period_label(period))
        action["name"] = " · ".join(parts)
        action["context"] = {"create": False, **action.get("context", {})}
        return action

    def _kpi_details_undated(self):
        """Hook: codes of the KPIs whose details list records as they are
        today, not those of the period (the title then names no period)."""
        return {"data_completeness"}

    def _kpi_details_builders(self):
        """Hook: ``{kpi code: builder(period, company, entity domain) -> action}``,
        one builder per family of KPIs counting the same records."""
        return {
            **dict.fromkeys(
                ("revenue", "margin", "margin_percent", "quantity"), self._details_sales
            ),
            **dict.fromkeys(("orders", "average_order_value"), self._details_orders),
            "invoiced_revenue": self._details_invoiced,
            **dict.fromkeys(("customers", "repeat_purchase_rate"), self._details_customers),
            "new_customers": self._details_new_customers,
            "returning_customers": self._details_returning_customers,
            **dict.fromkeys(("pipeline_value", "weighted_pipeline"), self._details_pipeline),
            **dict.fromkeys(("won_count", "won_value", "average_cycle_days"), self._details_won),
            "lost_count": self._details_lost,
            "win_rate": self._details_closed,
            "activities_done": self._details_activities,
            "data_completeness": self._details_open_opportunities,
            **dict.fromkeys(("forecast_mase", "forecast_bias"), self._details_forecast_accuracy),
            "active_customers": self._details_active_customers,
            "churned_customers": self._details_churned_customers,
            "value_at_risk": self._details_customers_at_risk,
        }

    @api.model
    def _kpi_entity_model(self, dimension):
        return {"user": "res.users", "team": "crm.team", "company": "res.company"}[dimension]

    @api.model
    def _kpi_labels(self):
        """``{kpi code: label}`` in the user's language (the review's selection)."""
        field = self.env["salesperf.kpi.review.line"]._fields["kpi"]
        return dict(field._description_selection(self.env))

    @api.model
    def _period_label(self, period):
        """The period as a reader names it: "November 2026", "Q4 2026", "2026",
        or a range of days for any other period."""
        locale = babel_locale_parse(get_lang(self.env).code)
        if period.kind == "month":
            return babel.dates.format_skeleton("yMMMM", period.start, locale=locale)
        if period.kind == "quarter":
            return _(
                "Q%(quarter)s %(year)s",
                quarter=(period.start.month - 1) // 3 + 1,
                year=period.start.year,
            )
        if period.kind == "year":
            return str(period.start.year)
        # a range of days as the user's language writes it ("Nov 1 – 27, 2026")
        return babel.dates.format_interval(period.start, period.end, "yMMMd", locale=locale)

    @api.model
    def _details_sales(self, period, company, entity_domain, context=None):
        return {
            "res_model": "salesperf.sale.fact",
            "views": [
                (self.env.ref("salesperf_odoo.salesperf_sale_fact_view_list").id, "list"),
                (self.env.ref("salesperf_odoo.salesperf_sale_fact_view_pivot").id, "pivot"),
            ],
            "search_view_id": [self.env.ref("salesperf_odoo.salesperf_sale_fact_view_search").id],
            "domain": [*self._sale_fact_domain(period, company), *entity_domain],
            "context": context or {},
        }

    @api.model
    def _details_orders(self, period, company, entity_domain):
        # one group per order the KPI counts (distinct orders of every
        # source): an imported order may bear the name of a sales order
        return self._details_sales(
            period, company, entity_domain, context={"group_by": ["source", "order_name"]}
        )

    @api.model
    def _details_invoiced(self, period, company, entity_domain):
        return {
            "res_model": "salesperf.invoice.fact",
            "views": [
                (self.env.ref("salesperf_odoo.salesperf_invoice_fact_view_list").id, "list"),
                (self.env.ref("salesperf_odoo.salesperf_invoice_fact_view_pivot").id, "pivot"),
            ],
            "search_view_id": [
                self.env.ref("salesperf_odoo.salesperf_invoice_fact_view_search").id
            ],
            "domain": [*self._fact_domain(period, company), *entity_domain],
        }

    @api.model
    def _details_customers(self, period, company, entity_domain, customer_domain=()):
        action = self._details_sales(
            period, company, entity_domain, context={"group_by": ["commercial_partner_id"]}
        )
        action["domain"] += [("commercial_partner_id", "!=", False), *customer_domain]
        return action

    @api.model
    def _details_new_customers(self, period, company, entity_domain):
        new_ids = self._period_customer_ids(period, company, entity_domain, new=True)
        return self._details_customers(
            period, company, entity_domain, [("commercial_partner_id", "in", new_ids)]
        )

    @api.model
    def _details_returning_customers(self, period, company, entity_domain):
        returning_ids = self._period_customer_ids(period, company, entity_domain, new=False)
        return self._details_customers(
            period, company, entity_domain, [("commercial_partner_id", "in", returning_ids)]
        )

    @api.model
    def _period_customer_ids(self, period, company, entity_domain, new):
        """Ids of the entity's customers of the period whose first purchase in
        the company is in the period (``new``) or before it."""
        facts = self.env["salesperf.sale.fact"]
        customers = [
            customer.id
            for (customer,) in facts._read_group(
                [
                    *self._sale_fact_domain(period, company),
                    *entity_domain,
                    ("commercial_partner_id", "!=", False),
                ],
                ["commercial_partner_id"],
            )
        ]
        # sudo: as in _measure_customers, whether a customer is new depends on
        # the company's whole history; only ids of customers the user already
        # reads in the period leave this query.
        first_purchases = facts.sudo()._read_group(
            [("commercial_partner_id", "in", customers), ("company_id", "=", company.id)],
            ["commercial_partner_id"],
            ["date:min"],
        )
        return [
            customer.id for customer, first in first_purchases if (first >= period.start) == new
        ]

    @api.model
    def _details_opportunities(self, domain, context=None):
        return {
            "res_model": "crm.lead",
            "views": [
                (self.env.ref("crm.crm_case_tree_view_oppor").id, "list"),
                (self.env.ref("crm.crm_lead_view_form").id, "form"),
            ],
            "search_view_id": [self.env.ref("crm.view_crm_case_opportunities_filter").id],
            "domain": domain,
            "context": {"default_type": "opportunity", **(context or {})},
        }

    @api.model
    def _details_pipeline(self, period, company, entity_domain):
        return self._details_opportunities(
            [
                *self._opportunity_domain(company),
                *entity_domain,
                ("probability", "<", 100),
                ("date_deadline", ">=", period.start),
                ("date_deadline", "<=", period.end),
            ]
        )

    @api.model
    def _closed_domain(self, period, company, entity_domain):
        return [
            *self._opportunity_domain(company),
            *entity_domain,
            *self._datetime_domain("date_closed", period, company),
        ]

    @api.model
    def _details_won(self, period, company, entity_domain):
        return self._details_opportunities(
            [
                *self._closed_domain(period, company, entity_domain),
                ("active", "=", True),
                ("probability", "=", 100),
            ]
        )

    @api.model
    def _details_lost(self, period, company, entity_domain):
        # lost opportunities are archived: show them
        return self._details_opportunities(
            [
                *self._closed_domain(period, company, entity_domain),
                ("active", "=", False),
                ("probability", "=", 0),
            ],
            context={"active_test": False},
        )

    @api.model
    def _details_closed(self, period, company, entity_domain):
        won_or_lost = expression.OR(
            [
                [("active", "=", True), ("probability", "=", 100)],
                [("active", "=", False), ("probability", "=", 0)],
            ]
        )
        return self._details_opportunities(
            [*self._closed_domain(period, company, entity_domain), *won_or_lost],
            context={"active_test": False},
        )

    @api.model
    def _details_activities(self, period, company, entity_domain):
        return {
            "res_model": "salesperf.activity.fact",
            "views": [
                (self.env.ref("salesperf_odoo.salesperf_activity_fact_view_list").id, "list")
            ],
            "search_view_id": [
                self.env.ref("salesperf_odoo.salesperf_activity_fact_view_search").id
            ],
            "domain": [*self._fact_domain(period, company), *entity_domain],
        }

    @api.model
    def _details_open_opportunities(self, period, company, entity_domain):
        """Data completeness: the opportunities open today, whatever the
        period (the period's customers are in the customers' details); the
        title and the action's help say so."""
        action = self._details_opportunities(
            [*self._opportunity_domain(company), *entity_domain, ("probability", "<", 100)]
        )
        action["name"] = _(
            "%(kpi)s (opportunities open today)", kpi=self._kpi_labels()["data_completeness"]
        )
        action["help"] = _(
            "<p>The opportunities open today, whose completeness the KPI counts with that of "
            "the period's customers (see the Customers KPI for those).</p>"
        )
        return action

    @api.model
    def _details_forecast_accuracy(self, period, company, entity_domain):
        """The scored statistical forecasts made a month ahead for the
        period's months, at the entity's own level (a team's forecast for a
        team): the level is the field the entity domain names."""
        level = {"user_id": "user", "team_id": "team", "company_id": "company"}[entity_domain[0][0]]
        return {
            "res_model": "salesperf.forecast.accuracy",
            "views": [
                (
                    self.env.ref("salesperf_odoo.salesperf_forecast_accuracy_view_list").id,
                    "list",
                ),
                (
                    self.env.ref("salesperf_odoo.salesperf_forecast_accuracy_view_pivot").id,
                    "pivot",
                ),
            ],
            "search_view_id": [
                self.env.ref("salesperf_odoo.salesperf_forecast_accuracy_view_search").id
            ],
            "domain": [
                *self._fact_domain(period, company),
                *self.env["salesperf.forecast.accuracy"]._kpi_domain(level),
                *entity_domain,
            ],
        }

    @api.model
    def _details_customer_scores(self, period, company, entity_domain, statuses):
        """The customer scores a customer KPI counts (see
        :meth:`_customer_score_domain`), of the given statuses."""
        return {
            "res_model": "salesperf.customer.score",
            "views": [(False, "list"), (False, "form")],
            "domain": [
                *self._customer_score_domain(period, company),
                *entity_domain,
                ("risk_status", "in", statuses),
            ],
        }

    @api.model
    def _details_active_customers(self, period, company, entity_domain):
        return self._details_customer_scores(period, company, entity_domain, ["active", "at_risk"])

    @api.model
    def _details_churned_customers(self, period, company, entity_domain):
        return self._details_customer_scores(period, company, entity_domain, ["churned"])

    @api.model
    def _details_customers_at_risk(self, period, company, entity_domain):
        return self._details_customer_scores(period, company, entity_domain, ["at_risk"])

    # ------------------------------------------------------------
    # MEASURES
    # ------------------------------------------------------------

    @api.model
    def _compute_measures(self, period, dimension, companies, measures=None):
        """``{(entity_id, company_id): {measure: value}}`` for one period.

        :param measures: the measures needed (all when ``None``): only the
            families producing one of them are read.
        """
        if dimension not in DIMENSIONS:
            raise ValueError(f"Unknown KPI dimension {dimension!r}")
        result = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
        for measure_method, produced in self._kpi_measure_methods():
            if measures is not None and not produced & set(measures):
                continue
            for key, values in measure_method(period, dimension, companies).items():
                # every measure is an additive sum: families that count the
                # same measure (completeness of customers and of
                # opportunities) add up
                for measure, value in values.items():
                    result[key][measure] += value or 0
        return dict(result)

    def _kpi_measure_methods(self):
        """Hook: ``(method, measures it produces)`` per family, each method
        ``method(period, dimension, companies) -> {key: {measure: value}}``."""
        return [
            (self._measure_sales, {"revenue", "margin", "quantity", "orders"}),
            (self._measure_invoiced, {"invoiced_revenue"}),
            (
                self._measure_customers,
                {
                    "customers",
                    "new_customers",
                    "returning_customers",
                    "records_checked",
                    "records_complete",
                },
            ),
            (self._measure_pipeline, {"pipeline_value", "weighted_pipeline"}),
            (
                self._measure_closed_opportunities,
                {"won_count", "won_value", "lost_count", "cycle_days_total", "cycle_count"},
            ),
            (self._measure_activities, {"activities_done"}),
            (
                self._measure_open_opportunity_completeness,
                {"records_checked", "records_complete"},
            ),
            (
                self._measure_forecast_accuracy,
                {
                    "forecast_scaled_error_total",
                    "forecast_count",
                    "forecast_error_total",
                    "forecast_actual_total",
                },
            ),
            (
                self._measure_customer_status,
                {"active_customers", "churned_customers", "value_at_risk"},
            ),
        ]

    @api.model
    def _groupby(self, dimension):
        entity = DIMENSIONS[dimension]
        return [entity] if entity == "company_id" else [entity, "company_id"]

    @api.model
    def _key(self, dimension, groups):
        """``(entity_id, company_id)`` from the leading values of a read_group row."""
        if DIMENSIONS[dimension] == "company_id":
            return groups[0].id, groups[0].id
        return groups[0].id, groups[1].id

    @api.model
    def _grouped(self, model, domain, dimension, aggregates, extra_groupby=()):
        """Rows of one ``_read_group`` as ``(key, extra group values, aggregates)``."""
        groupby = self._groupby(dimension)
        for row in model._read_group(domain, [*groupby, *extra_groupby], aggregates):
            yield (
                self._key(dimension, row),
                row[len(groupby) : len(groupby) + len(extra_groupby)],
                row[len(groupby) + len(extra_groupby) :],
            )

    @api.model
    def _fact_domain(self, period, companies):
        return [
            ("date", ">=", period.start),
            ("date", "<=", period.end),
            ("company_id", "in", companies.ids),
        ]

    @api.model
    def _sale_fact_domain(self, period, companies):
        """:meth:`_fact_domain` for the sales facts, whose local date is
        computed per line: their UTC time, a day wider on each side (time
        zones span UTC-12 to UTC+14), lets the database narrow the orders
        before reading their lines."""
        return [
            ("order_datetime", ">=", datetime.combine(period.start - timedelta(days=1), time.min)),
            ("order_datetime", "<", datetime.combine(period.end + timedelta(days=2), time.min)),
            *self._fact_domain(period, companies),
        ]

    @api.model
    def _datetime_bounds(self, period, company):
        """UTC bounds ``[start, end)`` of the period's days in ``company``'s time zone.

        The same time zone as the facts' dates of that company: the time
        zone of its address, UTC when it has none.
        """
        tz = company._salesperf_tz()

        def to_utc(day):
            local = tz.localize(datetime.combine(day, time.min))
            return local.astimezone(pytz.UTC).replace(tzinfo=None)

        return to_utc(period.start), to_utc(period.end + timedelta(days=1))

    @api.model
    def _datetime_domain(self, field_name, period, companies):
        """Domain on the UTC datetime ``field_name`` for the period's days,
        each company's records bounded in that company's own time zone.

        One clause per time zone, not per company: the domain stays as short
        as the list of zones, and it is still one query.
        """
        companies_per_tz = defaultdict(lambda: self.env["res.company"])
        for company in companies:
            companies_per_tz[company._salesperf_tz()] |= company
        domains = []
        for tz_companies in companies_per_tz.values():
            start, end = self._datetime_bounds(period, tz_companies[:1])
            domains.append(
                [
                    ("company_id", "in", tz_companies.ids),
                    (field_name, ">=", start),
                    (field_name, "<", end),
                ]
            )
        return expression.OR(domains)

    @api.model
    def _measure_sales(self, period, dimension, companies):
        facts = self.env["salesperf.sale.fact"]
        aggregates = ["revenue:sum", "margin:sum", "quantity:sum", "order_reference:count_distinct"]
        return {
            key: {"revenue": revenue, "margin": margin, "quantity": quantity, "orders": orders}
            for key, _extra, (revenue, margin, quantity, orders) in self._grouped(
                facts, self._sale_fact_domain(period, companies), dimension, aggregates
            )
        }

    @api.model
    def _measure_invoiced(self, period, dimension, companies):
        """Invoiced revenue: the invoice facts, whose date (the invoice date)
        is a calendar day already, read in one grouped query."""
        return {
            key: {"invoiced_revenue": revenue}
            for key, _extra, (revenue,) in self._grouped(
                self.env["salesperf.invoice.fact"],
                self._fact_domain(period, companies),
                dimension,
                ["revenue:sum"],
            )
        }

    @api.model
    def _measure_customers(self, period, dimension, companies):
        """Customers, new and returning customers, and their data completeness."""
        facts = self.env["salesperf.sale.fact"]
        domain = [
            *self._sale_fact_domain(period, companies),
            ("commercial_partner_id", "!=", False),
        ]
        pairs = [
            (key, (customer.id, key[1]))
            for key, (customer,), _aggregates in self._grouped(
                facts, domain, dimension, [], extra_groupby=["commercial_partner_id"]
            )
        ]
        if not pairs:
            return {}
        customer_ids = list({customer for _key, (customer, _company) in pairs})
        # sudo: whether a customer is new depends on the company's whole
        # history, including orders of colleagues the user may not read; only
        # first purchase dates leave this query, never amounts.
        first_purchase = {
            (customer.id, company.id): first
            for customer, company, first in facts.sudo()._read_group(
                [
                    ("commercial_partner_id", "in", customer_ids),
                    ("company_id", "in", companies.ids),
                ],
                ["commercial_partner_id", "company_id"],
                ["date:min"],
            )
        }
        counts = classify_customers(pairs, first_purchase, period.start)
        complete_ids = set(
            self.env["res.partner"]
            .with_context(active_test=False)
            .search(
                [
                    ("id", "in", customer_ids),
                    *self.env["salesperf.completeness.rule"]._complete_domain(
                        "customer", companies
                    ),
                ]
            )
            .ids
        )
        for key, (customer, _company) in set(pairs):
            row = counts[key]
            row["records_checked"] = row.get("records_checked", 0) + 1
            row["records_complete"] = row.get("records_complete", 0) + (customer in complete_ids)
        return counts

    @api.model
    def _opportunity_domain(self, companies):
        return [("type", "=", "opportunity"), ("company_id", "in", companies.ids)]

    @api.model
    def _measure_pipeline(self, period, dimension, companies):
        domain = [
            *self._opportunity_domain(companies),
            ("probability", "<", 100),
            ("date_deadline", ">=", period.start),
            ("date_deadline", "<=", period.end),
        ]
        return {
            key: {"pipeline_value": expected, "weighted_pipeline": weighted}
            for key, _extra, (expected, weighted) in self._grouped(
                self.env["crm.lead"],
                domain,
                dimension,
                ["expected_revenue:sum", "prorated_revenue:sum"],
            )
        }

    @api.model
    def _measure_closed_opportunities(self, period, dimension, companies):
        """Won and lost opportunities closed in the period, each company's in
        its own time zone: still one query for the won and one for the lost,
        whatever the number of companies."""
        closed = [
            *self._opportunity_domain(companies),
            *self._datetime_domain("date_closed", period, companies),
        ]
        leads = self.env["crm.lead"].with_context(active_test=False)
        result = defaultdict(dict)
        won = [*closed, ("active", "=", True), ("probability", "=", 100)]
        aggregates = ["__count", "expected_revenue:sum", "day_close:sum", "day_close:count"]
        for key, _extra, (count, value, days, with_days) in self._grouped(
            leads, won, dimension, aggregates
        ):
            result[key].update(
                won_count=count, won_value=value, cycle_days_total=days, cycle_count=with_days
            )
        lost = [*closed, ("active", "=", False), ("probability", "=", 0)]
        for key, _extra, (count,) in self._grouped(leads, lost, dimension, ["__count"]):
            result[key]["lost_count"] = count
        return result

    @api.model
    def _measure_activities(self, period, dimension, companies):
        return {
            key: {"activities_done": count}
            for key, _extra, (count,) in self._grouped(
                self.env["salesperf.activity.fact"],
                self._fact_domain(period, companies),
                dimension,
                ["__count"],
            )
        }

    @api.model
    def _measure_open_opportunity_completeness(self, period, dimension, companies):
        """Completeness of the opportunities open now (not of the period:
        their past state is not kept). Added to the customers' counts."""
        leads = self.env["crm.lead"]
        domain = [*self._opportunity_domain(companies), ("probability", "<", 100)]
        complete_domain = self.env["salesperf.completeness.rule"]._complete_domain(
            "opportunity", companies
        )
        result = defaultdict(lambda: {"records_checked": 0, "records_complete": 0})
        for key, _extra, (count,) in self._grouped(leads, domain, dimension, ["__count"]):
            result[key]["records_checked"] = count
        for key, _extra, (count,) in self._grouped(
            leads, [*domain, *complete_domain], dimension, ["__count"]
        ):
            result[key]["records_complete"] = count
        return result

    @api.model
    def _measure_forecast_accuracy(self, period, dimension, companies):
        """Forecast MASE and bias: the statistical forecasts made one month
        ahead for the months of the period (a month counts when its first
        day does), at the dimension's own level, scored once the month
        closed (``salesperf.forecast.accuracy``)."""
        domain = [
            *self._fact_domain(period, companies),
            *self.env["salesperf.forecast.accuracy"]._kpi_domain(dimension),
        ]
        return {
            key: {
                "forecast_scaled_error_total": scaled,
                "forecast_count": count,
                "forecast_error_total": error,
                "forecast_actual_total": actual,
            }
            for key, _extra, (scaled, count, error, actual) in self._grouped(
                self.env["salesperf.forecast.accuracy"],
                domain,
                dimension,
                ["scaled_error:sum", "__count", "error:sum", "actual:sum"],
            )
        }

    @api.model
    def _customer_score_domain(self, period, companies):
        """The customer scores standing for ``period``: one per customer and
        company, the row of the period's last month, or the latest row while
        the period is in progress in the company (a month's row is updated
        by each refresh of the month, so the latest row of a period in
        progress is the current month's once it has run). At most two
        clauses whatever the number of companies."""
        in_progress = companies.filtered(
            lambda company: period.start <= company._salesperf_today() <= period.end
        )
        closed = companies - in_progress
        domains = []
        if in_progress:
            domains.append([("company_id", "in", in_progress.ids), ("is_latest", "=", True)])
        if closed:
            domains.append(
                [("company_id", "in", closed.ids), ("month", "=", period.end.replace(day=1))]
            )
        return expression.OR(domains) if domains else expression.FALSE_DOMAIN

    @api.model
    def _measure_customer_status(self, period, dimension, companies):
        """Active customers (active or at risk), churned customers and the
        value at risk, from the customer scores of the period (see
        :meth:`_customer_score_domain`) grouped by the customers'
        salesperson, team or company and their status: one query."""
        result = defaultdict(
            lambda: {"active_customers": 0, "churned_customers": 0, "value_at_risk": 0.0}
        )
        for key, (status,), (count, value_at_risk) in self._grouped(
            self.env["salesperf.customer.score"],
            self._customer_score_domain(period, companies),
            dimension,
            ["__count", "value_at_risk:sum"],
            extra_groupby=["risk_status"],
        ):
            row = result[key]
            if status == "churned":
                row["churned_customers"] += count
            elif status in ("active", "at_risk"):
                row["active_customers"] += count
            row["value_at_risk"] += value_at_risk if status == "at_risk" else 0.0
        return dict(result)
