# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression

from ..engine.pipeline import BEST_CASE_FROM, COMMIT_FROM, FORECAST_CATEGORIES, default_category

FORECAST_CATEGORY_SELECTION = [
    ("commit", "Commit"),
    ("best_case", "Best Case"),
    ("pipeline", "Pipeline"),
    ("omitted", "Omitted"),
]


class CrmLead(models.Model):
    """Forecast category and calibrated probability of an opportunity.

    The category users see (``salesperf_forecast_category``) is computed when
    read, never stored: it is the salesperson's choice when they made one
    (``salesperf_forecast_category_set``, a plain stored column), else the
    default the computing core gives the stage and probability
    (``engine.pipeline.default_category``). A won opportunity is always
    committed and a lost (archived) one always omitted, whatever was chosen.
    Moving an opportunity to another stage drops the choice: the category
    follows the new stage until the salesperson sets it again.

    Neither field is a stored compute, so creating and writing opportunities
    costs no query more than in Odoo's CRM.
    """

    _inherit = "crm.lead"

    salesperf_forecast_category_set = fields.Selection(
        FORECAST_CATEGORY_SELECTION,
        string="Forecast Category Set by Hand",
        copy=False,
        help="The forecast category the salesperson chose; empty when it follows the stage "
        "and probability.",
    )
    salesperf_forecast_category = fields.Selection(
        FORECAST_CATEGORY_SELECTION,
        string="Forecast Category",
        compute="_compute_salesperf_forecast_category",
        inverse="_inverse_salesperf_forecast_category",
        search="_search_salesperf_forecast_category",
        help="Commit: expected to close (by default: won stage or probability of "
        f"{COMMIT_FROM:g} % or more). Best Case: could close ({BEST_CASE_FROM:g} % or more). "
        "Pipeline: open, above 0 %. Omitted: not counted (0 % or lost).\n"
        "The salesperson may choose another category; it then holds until the opportunity "
        "changes stage. Clear it to follow the stage and probability again.",
    )
    salesperf_calibrated_probability = fields.Float(
        string="Calibrated Probability (%)",
        compute="_compute_salesperf_calibrated_probability",
        help="Share of the opportunities that were in this stage and closed over the last "
        "12 months that were won: the sales team's when it closed enough of them, else the "
        "company's, else the opportunity's own probability.",
    )
    salesperf_calibrated_note = fields.Char(
        string="Calibrated From",
        compute="_compute_salesperf_calibrated_probability",
    )

    # ------------------------------------------------------------
    # COMPUTE / INVERSE / SEARCH
    # ------------------------------------------------------------

    @api.depends("salesperf_forecast_category_set", "probability", "active", "stage_id.is_won")
    def _compute_salesperf_forecast_category(self):
        for lead in self:
            closed = not lead.active or lead.stage_id.is_won
            lead.salesperf_forecast_category = (
                not closed and lead.salesperf_forecast_category_set
            ) or default_category(lead.probability, lead.stage_id.is_won, lead.active)

    def _inverse_salesperf_forecast_category(self):
        for lead in self:
            lead.salesperf_forecast_category_set = lead.salesperf_forecast_category

    @api.model
    def _search_salesperf_forecast_category(self, operator, value):
        """The domain of the leads whose category (chosen or default) is
        ``value`` (``=``, ``!=``) or one of ``value`` (``in``, ``not in``)."""
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(
                self.env._(
                    "Forecast categories can only be searched for being or not being some "
                    "categories, not with “%(operator)s”.",
                    operator=operator,
                )
            )
        values = value if isinstance(value, list | tuple | set) else [value]
        categories = {category for category in values if category in FORECAST_CATEGORIES}
        if operator in ("!=", "not in"):
            categories = set(FORECAST_CATEGORIES) - categories
        return expression.OR(
            [self._salesperf_forecast_category_domain(category) for category in sorted(categories)]
            or [expression.FALSE_DOMAIN]
        )

    @api.model
    def _salesperf_forecast_category_domain(self, category):
        """Domain of the leads in ``category``: the rule of
        :meth:`_compute_salesperf_forecast_category` over stored fields."""
        not_won_stage = ["|", ("stage_id", "=", False), ("stage_id.is_won", "=", False)]
        chosen = ("salesperf_forecast_category_set", "=", category)
        by_default = {
            "commit": [("probability", ">=", COMMIT_FROM)],
            "best_case": [("probability", ">=", BEST_CASE_FROM), ("probability", "<", COMMIT_FROM)],
            "pipeline": [("probability", ">", 0), ("probability", "<", BEST_CASE_FROM)],
            "omitted": ["|", ("probability", "=", False), ("probability", "<=", 0)],
        }[category]
        open_lead = expression.AND(
            [
                [("active", "=", True)],
                not_won_stage,
                expression.OR(
                    [
                        [chosen],
                        expression.AND(
                            [[("salesperf_forecast_category_set", "=", False)], by_default]
                        ),
                    ]
                ),
            ]
        )
        if category == "commit":
            return expression.OR(
                [[("active", "=", True), ("stage_id.is_won", "=", True)], open_lead]
            )
        if category == "omitted":
            return expression.OR([[("active", "=", False)], open_lead])
        return open_lead

    @api.depends("company_id", "team_id", "stage_id", "probability", "active")
    def _compute_salesperf_calibrated_probability(self):
        rates = self.env["salesperf.stage.rate"]._rates_of(
            self.company_id, self.team_id, self.stage_id
        )
        for lead in self:
            company, stage = lead.company_id.id, lead.stage_id.id
            is_open = lead.active and not lead.stage_id.is_won
            rate = None
            if is_open and company and stage:
                rate = rates.get((company, lead.team_id.id, stage)) or rates.get(
                    (company, False, stage)
                )
            if rate:
                lead.salesperf_calibrated_probability = rate.rate
                lead.salesperf_calibrated_note = self.env._(
                    "%(won)s won of %(closed)s closed from this stage in 12 months (%(history)s)",
                    won=rate.won_count,
                    closed=rate.closed_count,
                    history=rate.team_id.display_name or self.env._("whole company"),
                )
            else:
                lead.salesperf_calibrated_probability = lead.probability
                lead.salesperf_calibrated_note = is_open and self.env._(
                    "Too few closed from this stage in 12 months: own probability"
                )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def write(self, vals):
        # a category chosen by hand holds until the opportunity changes stage:
        # it is cleared on the leads whose stage changes, and only on them
        # (crm's own write reads the same stages: no extra query; the write
        # is split in two only when some leads change stage and others not)
        if (
            "stage_id" in vals
            and "salesperf_forecast_category_set" not in vals
            and "salesperf_forecast_category" not in vals
        ):
            moved = self.filtered(lambda lead: lead.stage_id.id != vals["stage_id"])
            if moved:
                cleared = dict(vals, salesperf_forecast_category_set=False)
                if moved == self:
                    return super().write(cleared)
                super(CrmLead, self - moved).write(vals)
                return super(CrmLead, moved).write(cleared)
        result = super().write(vals)
        if "salesperf_forecast_category" in vals:
            # the value written stays in cache; cleared, it must show the default
            self.invalidate_recordset(["salesperf_forecast_category"])
        return result
