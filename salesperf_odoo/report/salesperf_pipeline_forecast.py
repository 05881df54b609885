# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..engine.pipeline import BEST_CASE_FROM, COMMIT_FROM
from ..models.crm_lead_forecast import FORECAST_CATEGORY_SELECTION

PIPELINE_DIMENSIONS = {"company": "company_id", "team": "team_id", "user": "user_id"}


class SalesperfPipelineForecast(models.Model):
    """Open opportunities by the month they are expected to close.

    One row per open opportunity (type opportunity, active, neither in a won
    stage nor at 100 %), valued twice:

    - *weighted*: expected revenue × probability / 100 (Odoo's own
      ``prorated_revenue``);
    - *calibrated*: expected revenue × calibrated probability / 100, where
      the calibrated probability is the win rate of the opportunity's stage
      in its sales team (``salesperf.stage.rate``), else in its company,
      else its own probability.

    Amounts are in the company currency, as ``crm.lead.expected_revenue``.
    Opportunities without an expected closing date are kept, without month.
    """

    _name = "salesperf.pipeline.forecast"
    _description = "Sales Performance Pipeline Forecast"
    _auto = False
    _order = "date, id"
    _rec_name = "lead_id"

    lead_id = fields.Many2one("crm.lead", string="Opportunity", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    stage_id = fields.Many2one("crm.stage", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    date = fields.Date(
        string="Expected Closing Month",
        readonly=True,
        help="First day of the month of the expected closing; empty when it has none.",
    )
    date_deadline = fields.Date(string="Expected Closing", readonly=True)
    expected_revenue = fields.Monetary(readonly=True)
    probability = fields.Float(string="Probability (%)", readonly=True, aggregator="avg")
    weighted_revenue = fields.Monetary(readonly=True, help="Expected revenue × probability / 100.")
    calibrated_probability = fields.Float(
        string="Calibrated Probability (%)",
        readonly=True,
        aggregator="avg",
        help="Win rate of the stage over the last 12 months: the sales team's, else the "
        "company's when the team closed too few, else the opportunity's own probability.",
    )
    calibrated_revenue = fields.Monetary(
        readonly=True, help="Expected revenue × calibrated probability / 100."
    )
    forecast_category = fields.Selection(FORECAST_CATEGORY_SELECTION, readonly=True)

    @property
    def _table_query(self):
        lead = self.env["crm.lead"]
        rate = self.env["salesperf.stage.rate"]
        calibrated = SQL("COALESCE(team_rate.rate, company_rate.rate, lead.probability, 0)")
        return SQL(
            """SELECT lead.id AS id,
                lead.id AS lead_id,
                lead.company_id AS company_id,
                company.currency_id AS currency_id,
                lead.team_id AS team_id,
                lead.user_id AS user_id,
                lead.stage_id AS stage_id,
                lead.partner_id AS partner_id,
                DATE_TRUNC('month', lead.date_deadline)::date AS date,
                lead.date_deadline AS date_deadline,
                COALESCE(lead.expected_revenue, 0) AS expected_revenue,
                COALESCE(lead.probability, 0) AS probability,
                COALESCE(lead.expected_revenue, 0) * COALESCE(lead.probability, 0) / 100.0
                    AS weighted_revenue,
                %(calibrated)s AS calibrated_probability,
                COALESCE(lead.expected_revenue, 0) * %(calibrated)s / 100.0
                    AS calibrated_revenue,
                COALESCE(lead.salesperf_forecast_category_set, CASE
                    WHEN COALESCE(lead.probability, 0) >= %(commit_from)s THEN 'commit'
                    WHEN COALESCE(lead.probability, 0) >= %(best_case_from)s THEN 'best_case'
                    WHEN COALESCE(lead.probability, 0) > 0 THEN 'pipeline'
                    ELSE 'omitted'
                END) AS forecast_category
            FROM crm_lead lead
            LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
            LEFT JOIN res_company company ON company.id = lead.company_id
            LEFT JOIN salesperf_stage_rate team_rate
                   ON team_rate.company_id = lead.company_id
                  AND team_rate.team_id = lead.team_id
                  AND team_rate.stage_id = lead.stage_id
                  AND team_rate.calibrated
            LEFT JOIN salesperf_stage_rate company_rate
                   ON company_rate.company_id = lead.company_id
                  AND company_rate.team_id IS NULL
                  AND company_rate.stage_id = lead.stage_id
                  AND company_rate.calibrated
            WHERE lead.type = 'opportunity'
              AND lead.active
              AND COALESCE(lead.probability, 0) < 100
              AND stage.is_won IS NOT TRUE
            %(flush)s""",
            calibrated=calibrated,
            commit_from=COMMIT_FROM,
            best_case_from=BEST_CASE_FROM,
            flush=SQL().join(
                SQL(to_flush=model._fields[name])
                for model, names in [
                    (
                        lead,
                        [
                            "type",
                            "active",
                            "probability",
                            "stage_id",
                            "company_id",
                            "team_id",
                            "user_id",
                            "partner_id",
                            "date_deadline",
                            "expected_revenue",
                            "salesperf_forecast_category_set",
                        ],
                    ),
                    (self.env["crm.stage"], ["is_won"]),
                    (self.env["res.company"], ["currency_id"]),
                    (rate, ["company_id", "team_id", "stage_id", "rate", "calibrated"]),
                ]
                for name in names
            ),
        )

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _pipeline_totals(
        self,
        company,
        dimension,
        ids=None,
        date_from=None,
        date_to=None,
        by_category=False,
        with_omitted=False,
    ):
        """Weighted and calibrated pipeline of ``company`` by month of
        expected closing, with one ``_read_group``.

        For the forecast runs (the pipeline snapshot of each forecast line)
        and the forecast roll-ups. Read with the caller's record rules: a
        salesperson gets their own pipeline, a team leader their teams';
        check rights first and ``sudo()`` the model to get everybody's.

        :param company: ``res.company`` (one)
        :param dimension: ``"company"``, ``"team"`` or ``"user"``
        :param ids: team or user ids to keep (``None``: all, including the
            opportunities without team or salesperson, keyed ``False``);
            ignored for ``"company"``
        :param date_from: first month to keep (a date; its month counts
            whole), ``None`` for no lower bound
        :param date_to: last month to keep (a date; its month counts whole),
            ``None`` for no upper bound. With either bound, opportunities
            without an expected closing date are left out; without bounds
            they come keyed by month ``False``
        :param by_category: add the forecast category to the key
        :param with_omitted: keep the ``omitted`` category (left out by
            default: it is not part of a forecast)
        :return: ``{(key, month): (weighted, calibrated)}``, or
            ``{(key, month, category): ...}`` with ``by_category``; ``key``
            is the company, team or user id (``False`` when none), ``month``
            the first day of the month (``datetime.date``); amounts
            unrounded, in the company currency
        :raises UserError: for an unknown dimension, several companies or
            months in the wrong order
        """
        if dimension not in PIPELINE_DIMENSIONS:
            raise UserError(
                self.env._(
                    "Pipeline totals are by company, team or user, not by “%(dimension)s”.",
                    dimension=dimension,
                )
            )
        if len(company) != 1:
            raise UserError(self.env._("Pipeline totals are read for one company at a time."))
        if date_from and date_to and date_from > date_to:
            raise UserError(
                self.env._(
                    "The pipeline's first month (%(date_from)s) is after its last (%(date_to)s).",
                    date_from=date_from,
                    date_to=date_to,
                )
            )
        field = PIPELINE_DIMENSIONS[dimension]
        domain = [("company_id", "=", company.id)]
        if ids is not None and dimension != "company":
            domain.append((field, "in", list(ids)))
        if date_from:
            domain.append(("date", ">=", date_from.replace(day=1)))
        if date_to:
            domain.append(("date", "<=", date_to.replace(day=1)))
        if not with_omitted:
            domain.append(("forecast_category", "!=", "omitted"))
        groupby = [field, "date:month", *(["forecast_category"] if by_category else [])]
        totals = {}
        for *keys, weighted, calibrated in self._read_group(
            domain, groupby, ["weighted_revenue:sum", "calibrated_revenue:sum"]
        ):
            record, month, *category = keys
            totals[(record.id, month, *category)] = (weighted, calibrated)
        return totals
