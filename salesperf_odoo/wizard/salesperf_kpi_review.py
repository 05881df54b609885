# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools.misc import format_date, formatLang

from ..engine.kpi import KPI_DEFINITIONS, compare
from ..engine.periods import Period, period_containing
from ..models.salesperf_kpi import DIMENSIONS
from ..models.salesperf_target import PERIOD_KINDS

KPI_UNITS = {kpi.code: kpi.unit for kpi in KPI_DEFINITIONS}


class SalesperfKpiReview(models.TransientModel):
    """KPIs of one period per salesperson, team or company, with comparisons
    to the period before and to the same period a year earlier."""

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
        [("user", "Salesperson"), ("team", "Sales Team"), ("company", "Company")],
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
    line_ids = fields.One2many("salesperf.kpi.review.line", "review_id", string="KPIs")

    @api.depends("dimension", "date_from", "date_to")
    def _compute_display_name(self):
        labels = dict(self._fields["dimension"]._description_selection(self.env))
        for review in self:
            review.display_name = _(
                "KPIs by %(dimension)s, %(start)s – %(end)s",
                dimension=labels.get(review.dimension, ""),
                start=format_date(self.env, review.date_from),
                end=format_date(self.env, review.date_to),
            )

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

    def action_compute(self):
        """(Re)compute the KPI lines of the review."""
        self.ensure_one()
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
            self._get_period(), self.dimension, self.company_ids
        )
        self.line_ids.unlink()
        self.env["salesperf.kpi.review.line"].create(self._prepare_lines(comparison))
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

    def _prepare_lines(self, comparison):
        lines = []
        for (entity_id, company_id), periods in comparison.items():
            for sequence, kpi in enumerate(KPI_DEFINITIONS):
                current = periods["current"][kpi.code]
                previous = periods["previous"][kpi.code]
                last_year = periods["last_year"][kpi.code]
                previous_change = compare(current, previous)[1]
                last_year_change = compare(current, last_year)[1]
                lines.append(
                    {
                        "review_id": self.id,
                        DIMENSIONS[self.dimension]: entity_id,
                        "company_id": company_id,
                        "sequence": sequence,
                        "kpi": kpi.code,
                        "value": current,
                        "previous_value": previous,
                        "previous_change": previous_change,
                        "last_year_value": last_year,
                        "last_year_change": last_year_change,
                        "is_defined": current is not None,
                        "previous_defined": previous is not None,
                        "last_year_defined": last_year is not None,
                        "previous_change_defined": previous_change is not None,
                        "last_year_change_defined": last_year_change is not None,
                    }
                )
        return lines

    @api.model
    def action_open(self, dimension="user"):
        """Open a review of the current month, already computed."""
        review = self.create({"dimension": dimension})
        review.action_compute()
        return {
            "type": "ir.actions.act_window",
            "name": _("KPIs"),
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
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
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
    # a ratio without denominator is "not applicable", not 0
    is_defined = fields.Boolean(readonly=True)
    previous_defined = fields.Boolean(readonly=True)
    last_year_defined = fields.Boolean(readonly=True)
    previous_change_defined = fields.Boolean(readonly=True)
    last_year_change_defined = fields.Boolean(readonly=True)
    value_display = fields.Char(string="Value", compute="_compute_displays")
    previous_display = fields.Char(string="Previous Period", compute="_compute_displays")
    last_year_display = fields.Char(string="Same Period Last Year", compute="_compute_displays")
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
        if unit == "quantity":
            return formatLang(self.env, value, digits=2)
        return formatLang(self.env, value, digits=0)
