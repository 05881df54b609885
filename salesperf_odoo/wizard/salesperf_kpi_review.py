# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.misc import formatLang

from ..engine.kpi import KPI_DEFINITIONS, change_tone, compare
from ..engine.periods import Period, full_comparison_periods, period_containing
from ..models.salesperf_kpi import ALL_DOCUMENTS_GROUP, DIMENSIONS
from ..models.salesperf_target import PERIOD_KINDS

KPI_UNITS = {kpi.code: kpi.unit for kpi in KPI_DEFINITIONS}
#: How a change reads for its KPI's direction (``engine.kpi.change_tone``).
TONES = [("good", "Better"), ("bad", "Worse"), ("neutral", "Neutral")]
#: What KPIs are reviewed per (teams and companies only by who sees every
#: document, ``ALL_DOCUMENTS_GROUP``).
REVIEW_DIMENSIONS = [("user", "Salesperson"), ("team", "Sales Team"), ("company", "Company")]


class SalesperfKpiReview(models.TransientModel):
    """KPIs of one period per salesperson, team or company, with comparisons
    to the period before and to the same period a year earlier.

    A period in progress is compared like for like by default: its days up
    to today against as many days of each reference period; the review says
    in words which days are compared. Teams and companies are offered only
    to users who see all documents: the figures of a reader of their own
    documents only are theirs, and the review says so.
    """

    _name = "salesperf.kpi.review"
    _description = "Sales Performance KPI Review"

    period_kind = fields.Selection(
        [*PERIOD_KINDS, ("custom", "Custom")],
        string="Period",
        required=True,
        default="month",
    )
    date_from = fields.Date(
        string="From",
        required=True,
        compute="_compute_dates",
        store=True,
        readonly=False,
        precompute=True,
    )
    date_to = fields.Date(
        string="To",
        required=True,
        compute="_compute_dates",
        store=True,
        readonly=False,
        precompute=True,
    )
    reference_date = fields.Date(
        string="Any Day In Period",
        default=lambda self: self.env.company._salesperf_today(),
        required=True,
    )
    dimension = fields.Selection(
        REVIEW_DIMENSIONS,
        string="Per",
        required=True,
        default="user",
    )
    company_ids = fields.Many2many(
        "res.company",
        string="Companies",
        required=True,
        default=lambda self: self.env.companies,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
    )
    comparison_mode = fields.Selection(
        [("elapsed", "Same days elapsed"), ("full", "Full periods")],
        string="Compare",
        required=True,
        default="elapsed",
        help="While the period is in progress: its days up to today against as many days of "
        "the previous period and of the same period last year, or whole periods. The open and "
        "weighted pipeline, by expected closing date, always cover the whole periods.",
    )
    comparison_note = fields.Char(string="Compared", compute="_compute_comparison_note")
    is_own_scope = fields.Boolean(
        compute="_compute_is_own_scope",
        help="The user sees only their own documents: the figures are theirs.",
    )
    line_ids = fields.One2many("salesperf.kpi.review.line", "review_id", string="KPIs")

    @api.depends(
        "dimension", "period_kind", "date_from", "date_to", "comparison_mode", "company_ids"
    )
    @api.depends_context("uid")
    def _compute_display_name(self):
        labels = dict(self._fields["dimension"]._description_selection(self.env))
        for review in self:
            counted = review._counted_label()
            if review.is_own_scope:
                review.display_name = _("My KPIs, %(period)s", period=counted)
            else:
                review.display_name = _(
                    "KPIs by %(dimension)s, %(period)s",
                    dimension=labels.get(review.dimension, ""),
                    period=counted,
                )

    @api.depends("period_kind", "date_from", "date_to", "comparison_mode", "company_ids")
    def _compute_comparison_note(self):
        for review in self:
            groups = review._comparison_groups()
            notes = [review._comparison_sentence(periods) for _companies, periods in groups]
            if len(groups) > 1:
                # companies far apart in time zones are on different days
                notes = [
                    f"{', '.join(companies.mapped('name'))}: {note}"
                    for (companies, _periods), note in zip(groups, notes, strict=True)
                ]
            review.comparison_note = " ".join(notes)

    @api.depends_context("uid")
    def _compute_is_own_scope(self):
        own = not self.env.user.has_group(ALL_DOCUMENTS_GROUP)
        for review in self:
            review.is_own_scope = own

    @api.depends("period_kind", "reference_date")
    def _compute_dates(self):
        for review in self:
            if review.period_kind == "custom" or not review.reference_date:
                continue
            period = period_containing(review.period_kind, review.reference_date)
            review.date_from, review.date_to = period.start, period.end

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for review in self:
            if review.date_to < review.date_from:
                raise ValidationError(_("The period must end on or after the day it starts."))

    def _get_period(self):
        self.ensure_one()
        return Period(self.date_from, self.date_to, self.period_kind)

    def _comparison_groups(self):
        """``[(companies, periods compared)]``, see ``salesperf.kpi._comparison_periods``."""
        self.ensure_one()
        if not (self.date_from and self.date_to and self.period_kind and self.company_ids):
            return []
        if self.date_to < self.date_from:
            return []
        return self.env["salesperf.kpi"]._comparison_periods(
            self._get_period(), self.company_ids, self.comparison_mode
        )

    def _is_full_comparison(self, periods):
        """Whether the review's period, the one before and the same one last
        year are all compared whole. A period in progress may end today
        while the periods it is compared with are cut (29 February 2024
        against 1–29 January): that is not a comparison of full periods."""
        return periods == full_comparison_periods(self._get_period())

    def _counted_label(self):
        """The days the review counts: the period's name when full periods
        are compared, its days otherwise."""
        groups = self._comparison_groups()
        if not groups:
            return ""
        kpi = self.env["salesperf.kpi"]
        if all(self._is_full_comparison(periods) for _companies, periods in groups):
            return kpi._period_label(self._get_period())
        currents = [periods["current"] for _companies, periods in groups]
        start = min(period.start for period in currents)
        end = max(period.end for period in currents)
        return kpi._period_label(Period(start, end))

    def _comparison_sentence(self, periods):
        """Which days are compared with which, in plain words: "full periods"
        only when all three are whole, the days of each otherwise."""
        label = self.env["salesperf.kpi"]._period_label
        if self._is_full_comparison(periods):
            return _(
                "%(current)s compared with %(previous)s and %(last_year)s, full periods.",
                current=label(periods["current"]),
                previous=label(periods["previous"]),
                last_year=label(periods["last_year"]),
            )
        # the days, never a period's name: "February 2023" would read as whole
        days = {name: label(Period(period.start, period.end)) for name, period in periods.items()}
        return _(
            "%(current)s, the %(days)s days so far, compared with the same days of the "
            "previous period (%(previous)s) and of last year (%(last_year)s).",
            current=days["current"],
            days=periods["current"].days,
            previous=days["previous"],
            last_year=days["last_year"],
        )

    def _check_dimension(self):
        """The dimension comes from the client: teams and companies only for
        users who see every document, whose figures are those of the whole
        team or company. A reader of their own documents would see only
        their own sales under the team's or the company's name."""
        if self.dimension != "user" and not self.env.user.has_group(ALL_DOCUMENTS_GROUP):
            labels = dict(self._fields["dimension"]._description_selection(self.env))
            raise UserError(
                _(
                    "You may see only your own documents: KPIs by %(dimension)s would show "
                    "your own figures under its name. Review them by salesperson.",
                    dimension=labels[self.dimension],
                )
            )

    def action_compute(self):
        """(Re)compute the KPI lines of the review."""
        self.ensure_one()
        self._check_dimension()
        # the companies come from the client: only the user's allowed ones
        if self.company_ids - self.env.companies:
            raise AccessError(
                _(
                    "You cannot review the KPIs of %(companies)s: not among your allowed "
                    "companies.",
                    companies=", ".join(
                        (self.company_ids - self.env.companies).sudo().mapped("name")
                    ),
                )
            )
        comparison = self.env["salesperf.kpi"]._compute_kpi_comparison(
            self._get_period(), self.dimension, self.company_ids, self.comparison_mode
        )
        if self.is_own_scope:
            # own-documents rules also let a salesperson read unassigned
            # orders and opportunities: "My KPIs" are hers alone
            comparison = {key: kpis for key, kpis in comparison.items() if key[0] == self.env.uid}
        current_periods = {
            company.id: periods["current"]
            for companies, periods in self._comparison_groups()
            for company in companies
        }
        self.line_ids.unlink()
        self.env["salesperf.kpi.review.line"].create(
            self._prepare_lines(comparison, current_periods)
        )
        return True

    def action_analyse(self):
        """The review's lines in a list grouped by entity (no pivot: KPIs of
        different units must not be totalled)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.display_name,
            "res_model": "salesperf.kpi.review.line",
            "view_mode": "list",
            "domain": [("review_id", "=", self.id)],
            "context": {"group_by": [DIMENSIONS[self.dimension]]},
        }

    def _prepare_lines(self, comparison, current_periods):
        """Line values per entity and KPI; ``current_periods`` gives the days
        counted per company id (what a line's details open, with the
        dimension the line was computed with). The pipeline KPIs count the
        whole period, whatever the days compared."""
        lines = []
        whole = self._get_period()
        for (entity_id, company_id), periods in comparison.items():
            for sequence, kpi in enumerate(KPI_DEFINITIONS):
                counted = whole if kpi.whole_period else current_periods[company_id]
                current = periods["current"][kpi.code]
                previous = periods["previous"][kpi.code]
                last_year = periods["last_year"][kpi.code]
                previous_delta, previous_change = compare(current, previous)
                last_year_delta, last_year_change = compare(current, last_year)
                lines.append(
                    {
                        "review_id": self.id,
                        "dimension": self.dimension,
                        DIMENSIONS[self.dimension]: entity_id,
                        "company_id": company_id,
                        "period_kind": counted.kind,
                        "period_start": counted.start,
                        "period_end": counted.end,
                        "sequence": sequence,
                        "kpi": kpi.code,
                        "value": current,
                        "previous_value": previous,
                        "previous_change": previous_change,
                        "previous_tone": self._tone(kpi, previous_delta, previous_change),
                        "last_year_value": last_year,
                        "last_year_change": last_year_change,
                        "last_year_tone": self._tone(kpi, last_year_delta, last_year_change),
                        "is_defined": current is not None,
                        "previous_defined": previous is not None,
                        "last_year_defined": last_year is not None,
                        "previous_change_defined": previous_change is not None,
                        "last_year_change_defined": last_year_change is not None,
                    }
                )
        return lines

    @api.model
    def _tone(self, kpi, delta, change_percent):
        """The tone of a change by the KPI's direction; neutral when the
        change is shown as "–" (nothing to compare with, or a reference of 0):
        a colour without a figure would say more than the figure."""
        if change_percent is None:
            return "neutral"
        return change_tone(kpi.direction, delta)

    @api.model
    def action_open(self, dimension="user"):
        """Open a review of the current month, already computed."""
        review = self.create({"dimension": dimension})
        review.action_compute()
        return {
            "type": "ir.actions.act_window",
            "name": review.display_name,
            "res_model": self._name,
            "res_id": review.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }


class SalesperfKpiReviewLine(models.TransientModel):
    _name = "salesperf.kpi.review.line"
    _description = "Sales Performance KPI Review Line"
    _order = "company_id, user_id, team_id, sequence"

    review_id = fields.Many2one("salesperf.kpi.review", required=True, ondelete="cascade")
    # what the line was computed with, whatever the review's choices now
    dimension = fields.Selection(REVIEW_DIMENSIONS, string="Per", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    period_kind = fields.Selection(
        [*PERIOD_KINDS, ("custom", "Custom")], string="Period", readonly=True
    )
    period_start = fields.Date(readonly=True, help="First day counted.")
    period_end = fields.Date(readonly=True, help="Last day counted.")
    sequence = fields.Integer()
    kpi = fields.Selection(
        [(kpi.code, kpi.label) for kpi in KPI_DEFINITIONS], string="KPI", readonly=True
    )
    definition = fields.Char(compute="_compute_definition")
    value = fields.Float(string="Current Value", readonly=True, aggregator=False)
    previous_value = fields.Float(string="Previous Period Value", readonly=True, aggregator=False)
    last_year_value = fields.Float(
        string="Same Period Last Year Value", readonly=True, aggregator=False
    )
    previous_change = fields.Float(
        string="vs Previous (%)", readonly=True, aggregator=False, digits=(16, 1)
    )
    last_year_change = fields.Float(
        string="vs Last Year (%)", readonly=True, aggregator=False, digits=(16, 1)
    )
    # the colour of a change follows its KPI's direction, never its sign
    previous_tone = fields.Selection(TONES, string="vs Previous Tone", readonly=True)
    last_year_tone = fields.Selection(TONES, string="vs Last Year Tone", readonly=True)
    # a ratio without denominator is "not applicable", not 0
    is_defined = fields.Boolean(readonly=True)
    previous_defined = fields.Boolean(readonly=True)
    last_year_defined = fields.Boolean(readonly=True)
    previous_change_defined = fields.Boolean(readonly=True)
    last_year_change_defined = fields.Boolean(readonly=True)
    value_display = fields.Char(string="Value", compute="_compute_displays")
    previous_display = fields.Char(string="Previous", compute="_compute_displays")
    last_year_display = fields.Char(string="Last Year", compute="_compute_displays")
    previous_change_display = fields.Char(string="vs Previous", compute="_compute_displays")
    last_year_change_display = fields.Char(string="vs Last Year", compute="_compute_displays")

    @api.depends("kpi")
    def _compute_definition(self):
        definitions = {kpi.code: kpi.definition for kpi in KPI_DEFINITIONS}
        for line in self:
            line.definition = definitions.get(line.kpi)

    @api.depends(
        "kpi",
        "value",
        "previous_value",
        "last_year_value",
        "currency_id",
        "is_defined",
        "previous_defined",
        "last_year_defined",
    )
    def _compute_displays(self):
        for line in self:
            line.value_display = line._format(line.value, line.is_defined)
            line.previous_display = line._format(line.previous_value, line.previous_defined)
            line.last_year_display = line._format(line.last_year_value, line.last_year_defined)
            line.previous_change_display = line._format_change(
                line.previous_change, line.previous_change_defined
            )
            line.last_year_change_display = line._format_change(
                line.last_year_change, line.last_year_change_defined
            )

    def action_open_details(self):
        """The records the line's KPI counts, on the days it counts them,
        for the entity it was computed for (the review's choices may have
        changed since)."""
        self.ensure_one()
        period = Period(self.period_start, self.period_end, self.period_kind or "custom")
        entity = self[DIMENSIONS[self.dimension]]
        return self.env["salesperf.kpi"]._action_kpi_details(
            self.kpi, period, self.dimension, entity.id, self.company_id
        )

    def _format_change(self, change, defined):
        """A change in %, signed, or "–" when it has no reference to compare with."""
        if not defined:
            return "–"
        sign = "+" if change > 0 else ""
        return f"{sign}{formatLang(self.env, change, digits=1)} %"

    def _format(self, value, defined):
        """A KPI value as the user reads it, in the unit of its KPI."""
        unit = KPI_UNITS.get(self.kpi)
        if not defined:
            return "–"
        if unit == "monetary":
            return formatLang(self.env, value, currency_obj=self.currency_id)
        if unit == "percent":
            return f"{formatLang(self.env, value, digits=1)} %"
        if unit == "days":
            return _("%s days", formatLang(self.env, value, digits=1))
        if unit in ("quantity", "ratio"):
            return formatLang(self.env, value, digits=2)
        return formatLang(self.env, value, digits=0)
