# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import logging
from collections import defaultdict
from datetime import datetime, time, timedelta
from itertools import pairwise

import pytz
from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, create_unique_index

from ..engine.pipeline import MIN_CLOSED, calibrate_stage_rates

_logger = logging.getLogger(__name__)

# first key of the transaction-level advisory lock taken per company while
# its rates are rewritten (the second key is the company id)
REFRESH_LOCK_KEY = 0x5350_5352  # "SPSR"


class SalesperfStageRate(models.Model):
    """Win rate of a CRM stage: of the opportunities that were in the stage
    and closed (won or lost) over the last 12 months, the share that was won.

    One row per company, sales team and stage, plus one row per company and
    stage without a team (the whole company's history: the fallback of the
    teams that closed too few). A rate is *calibrated*, and used, from
    ``engine.pipeline.MIN_CLOSED`` closed opportunities on.

    The rows are statistics rewritten as a whole by :meth:`_refresh`, never
    edited by hand.
    """

    _name = "salesperf.stage.rate"
    _description = "Sales Performance Stage Win Rate"
    _order = "company_id, team_id nulls first, stage_id"
    _rec_name = "stage_id"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        readonly=True,
        ondelete="cascade",
        help="Empty: the whole company's history, used for the teams with too little of their own.",
    )
    stage_id = fields.Many2one("crm.stage", required=True, readonly=True, ondelete="cascade")
    # an opportunity counts in every stage it visited: no sums across stages
    won_count = fields.Integer(string="Won", readonly=True, aggregator=None)
    closed_count = fields.Integer(
        string="Closed",
        readonly=True,
        aggregator=None,
        help="Opportunities that were in this stage and were won or lost over the 12 months.",
    )
    rate = fields.Float(
        string="Win Rate (%)",
        readonly=True,
        aggregator=None,
        help="100 × Won / Closed.",
    )
    calibrated = fields.Boolean(
        string="Used",
        readonly=True,
        help=f"Used as calibrated probability: at least {MIN_CLOSED} closed opportunities.",
    )
    date_from = fields.Date(
        string="Closed Since",
        readonly=True,
        help="First day of the 12 months (company time zone).",
    )
    computed_on = fields.Datetime(readonly=True)

    def init(self):
        # a team's row and the company's row (no team) are each unique per stage
        create_unique_index(
            self.env.cr,
            "salesperf_stage_rate_company_team_stage_uniq",
            self._table,
            ["company_id", "COALESCE(team_id, 0)", "stage_id"],
        )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_refresh(self):
        """Refresh button: recompute the rates of the companies the
        administrator works in."""
        if not self.env.user.has_group("salesperf_odoo.group_salesperf_manager"):
            raise AccessError(
                self.env._("Only Sales Performance administrators can refresh the stage win rates.")
            )
        self._refresh(self.env.companies)
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _rates_of(self, companies, teams, stages):
        """``{(company id, team id or False, stage id): rate}`` of the
        calibrated rates of ``stages`` in ``companies``, for ``teams`` and
        for the whole companies (team ``False``), read with one query."""
        if not companies or not stages:
            return {}
        rates = self.search_fetch(
            [
                ("company_id", "in", companies.ids),
                ("stage_id", "in", stages.ids),
                ("team_id", "in", [*teams.ids, False]),
                ("calibrated", "=", True),
            ],
            ["company_id", "team_id", "stage_id", "rate", "won_count", "closed_count"],
        )
        return {(rate.company_id.id, rate.team_id.id, rate.stage_id.id): rate for rate in rates}

    @api.model
    def _refresh(self, companies):
        """Recompute the stage win rates of ``companies`` (``res.company``).

        For every opportunity of the company closed (won: active at 100 %;
        lost: archived at 0 %) on or after the same day a year ago (its
        closing date in the company's time zone), the stages it visited are
        the stages of its ``stage_id`` tracking (old and new values) and its
        current stage; ``engine.pipeline.calibrate_stage_rates`` turns them
        into rates per sales team (the team it closed in) and for the whole
        company. The previous rates of these companies are replaced.

        The forecast runs call it before each run; so does the Refresh
        button. A company whose rates another transaction is rewriting at the
        same moment is skipped (its rates will be those fresh ones).

        :return: the new ``salesperf.stage.rate`` records
        """
        # Rates are statistics of the whole company, rewritten whoever asks
        # (a forecast run, an administrator's button): nobody has write
        # access to them, so they are written as superuser. The history is
        # read with SQL, which record rules never restricted anyway.
        rates = self.sudo()
        locked = companies.filtered(lambda company: rates._refresh_lock(company))
        if not locked:
            return rates.browse()
        now = fields.Datetime.now()
        date_from = {
            company: company._salesperf_today() - relativedelta(years=1) for company in locked
        }
        closed_from = {
            company.id: company._salesperf_tz()
            .localize(datetime.combine(day, time.min))
            .astimezone(pytz.UTC)
            .replace(tzinfo=None)
            for company, day in date_from.items()
        }
        histories = defaultdict(list)
        for company_id, team_id, won, stage_ids in rates._closed_opportunity_stages(closed_from):
            histories[company_id, False].append((stage_ids, won))
            if team_id:
                histories[company_id, team_id].append((stage_ids, won))
        vals_list = []
        for (company_id, team_id), history in histories.items():
            company = locked.browse(company_id)
            for stage_id, stage_rate in calibrate_stage_rates(history, MIN_CLOSED).items():
                vals_list.append(
                    {
                        "company_id": company_id,
                        "team_id": team_id,
                        "stage_id": stage_id,
                        "won_count": stage_rate.won,
                        "closed_count": stage_rate.closed,
                        "rate": 100.0 * stage_rate.won / stage_rate.closed,
                        "calibrated": stage_rate.rate is not None,
                        "date_from": date_from[company],
                        "computed_on": now,
                    }
                )
        rates.search([("company_id", "in", locked.ids)]).unlink()
        new_rates = rates.create(vals_list)
        _logger.info(
            "Stage win rates: %s rates of %s companies from %s closed opportunities",
            len(new_rates),
            len(locked),
            sum(len(history) for (_company, team), history in histories.items() if not team),
        )
        return new_rates

    def _refresh_lock(self, company):
        """Take the transaction's lock on the rates of ``company``; ``False``
        (and a log line) when another transaction holds it."""
        self.env.cr.execute(
            SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", REFRESH_LOCK_KEY, company.id)
        )
        if self.env.cr.fetchone()[0]:
            return True
        _logger.info("Stage win rates of %s are being refreshed elsewhere: skipped", company.name)
        return False

    @api.model
    def _closed_opportunity_stages(self, closed_from):
        """``[(company id, team id, won, [stage ids visited])]``, one per
        opportunity closed since ``closed_from[company id]`` (naive UTC
        datetimes), in one query. Stages deleted since are left out."""
        if not closed_from:
            return []
        stage_field = self.env["ir.model.fields"]._get("crm.lead", "stage_id")
        for model, names in (
            ("crm.lead", ["type", "active", "probability", "date_closed", "stage_id"]),
            ("crm.lead", ["company_id", "team_id"]),
            ("mail.message", ["model", "res_id"]),
            ("mail.tracking.value", ["mail_message_id", "field_id"]),
            ("mail.tracking.value", ["old_value_integer", "new_value_integer"]),
        ):
            self.env[model].flush_model(names)
        self.env.cr.execute(
            SQL(
                """WITH bound (company_id, closed_from) AS (VALUES %(bounds)s),
                closed AS (
                    SELECT lead.id, lead.company_id, lead.team_id, lead.stage_id,
                           (lead.active AND lead.probability = 100) AS won
                      FROM crm_lead lead
                      JOIN bound ON bound.company_id = lead.company_id
                     WHERE lead.type = 'opportunity'
                       AND lead.date_closed >= bound.closed_from
                       AND ((lead.active AND lead.probability = 100)
                            OR (NOT lead.active AND lead.probability = 0))
                ),
                visited AS (
                    SELECT closed.id, closed.stage_id FROM closed
                    UNION
                    SELECT closed.id, moved.stage_id
                      FROM closed
                      JOIN mail_message msg
                        ON msg.model = 'crm.lead' AND msg.res_id = closed.id
                      JOIN mail_tracking_value tracking
                        ON tracking.mail_message_id = msg.id AND tracking.field_id = %(field)s
                     CROSS JOIN LATERAL (
                        VALUES (tracking.old_value_integer), (tracking.new_value_integer)
                     ) AS moved (stage_id)
                )
                SELECT closed.company_id, closed.team_id, closed.won,
                       ARRAY_AGG(stage.id ORDER BY stage.id)
                  FROM closed
                  JOIN visited ON visited.id = closed.id
                  JOIN crm_stage stage ON stage.id = visited.stage_id
                 GROUP BY closed.id, closed.company_id, closed.team_id, closed.won""",
                bounds=SQL(", ").join(
                    SQL("(%s, %s::timestamp)", company_id, bound)
                    for company_id, bound in closed_from.items()
                ),
                field=stage_field.id,
            )
        )
        return self.env.cr.fetchall()

    # ------------------------------------------------------------
    # DEMO
    # ------------------------------------------------------------

    @api.model
    def _demo_stage_history(self):
        """Demo data: give the closed demo opportunities the stage history
        their generator could not leave (records created and moved in one
        transaction are not tracked), then compute the rates.

        Each closed opportunity without any stage tracking walks through the
        open stages in order up to where it ended (a lost one: its stage; a
        won one: a stage drawn from its id), then to the won stage when won,
        one tracked move per step, dated between its creation and closing.
        Idempotent: opportunities with a stage history are left alone.
        """
        stage_field = self.env["ir.model.fields"]._get("crm.lead", "stage_id")
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """SELECT lead.id
                     FROM crm_lead lead
                    WHERE lead.type = 'opportunity'
                      AND lead.date_closed IS NOT NULL
                      AND NOT EXISTS (
                        SELECT 1
                          FROM mail_message msg
                          JOIN mail_tracking_value tracking
                            ON tracking.mail_message_id = msg.id
                           AND tracking.field_id = %s
                         WHERE msg.model = 'crm.lead' AND msg.res_id = lead.id)
                    ORDER BY lead.id""",
                stage_field.id,
            )
        )
        leads = (
            self.env["crm.lead"]
            .with_context(active_test=False)
            .browse([row[0] for row in self.env.cr.fetchall()])
        )
        open_stages = self.env["crm.stage"].search([("is_won", "=", False)], order="sequence, id")
        if not open_stages:
            return
        messages = []
        for lead in leads:
            if lead.stage_id.is_won:
                path = open_stages[: 1 + lead.id % len(open_stages)] | lead.stage_id
            elif lead.stage_id in open_stages:
                path = open_stages[: list(open_stages).index(lead.stage_id) + 1]
            else:
                continue
            start, end = lead.create_date, lead.date_closed
            step = max(end - start, timedelta(hours=len(path))) / len(path)
            for number, (old, new) in enumerate(pairwise(path), start=1):
                messages.append(
                    {
                        "model": "crm.lead",
                        "res_id": lead.id,
                        "message_type": "notification",
                        "subtype_id": self.env.ref("mail.mt_note").id,
                        "author_id": lead.user_id.partner_id.id,
                        "date": min(start + step * number, end),
                        "tracking_value_ids": [
                            Command.create(
                                {
                                    "field_id": stage_field.id,
                                    "old_value_integer": old.id,
                                    "new_value_integer": new.id,
                                    "old_value_char": old.name,
                                    "new_value_char": new.name,
                                }
                            )
                        ],
                    }
                )
        self.env["mail.message"].sudo().create(messages)
        self._refresh(self.env["res.company"].search([]))
