# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import dataclasses
import logging
from datetime import datetime, time, timedelta

import pytz
from werkzeug.urls import url_join

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL

from ..engine.periods import Period, period_containing
from ..engine.ranking import rank_changes
from ..engine.targets import pace

_logger = logging.getLogger(__name__)

#: How many of the largest deals, of the opportunities without a next
#: activity and of the ranking's leaders the email lists.
TOP_DEALS = 5
RANKING_LEADERS = 3


class SalesperfWeeklyDigestLog(models.Model):
    """One weekly performance email sent: at most one per person and week
    (the week of the recipient's time zone), whatever how often the
    scheduled action runs. The row is written before the email, so that
    two runs at the same time cannot both send it."""

    _name = "salesperf.weekly.digest.log"
    _description = "Weekly Performance Email Sent"
    _order = "week_start desc, id desc"

    user_id = fields.Many2one("res.users", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")
    week_start = fields.Date(
        required=True, help="Monday of the week the email was sent, in the recipient's time zone."
    )
    mail_id = fields.Many2one("mail.mail", string="Email", ondelete="set null")

    _sql_constraints = [
        (
            "user_week_unique",
            "UNIQUE(user_id, week_start)",
            "A weekly performance email is sent once per person and week.",
        ),
    ]

    # ------------------------------------------------------------
    # SCHEDULED ACTION
    # ------------------------------------------------------------

    @api.model
    def _cron_send_weekly_digests(self):
        """Send the weekly performance email to every salesperson and team
        leader whose day and hour of the week (their company's setting, in
        their own time zone, else the company's) have come this week, who
        did not switch it off and did not get it this week yet.

        Meant to run every hour. Each email is claimed by writing its log
        row first (:meth:`_claim`): a second run in the same week, or a run
        at the same time, sends nothing more. An email that fails to render
        gives back its claim, so the next run tries again.
        """
        template = self.env.ref("salesperf_odoo.mail_template_salesperf_weekly_digest")
        now = fields.Datetime.now()
        due = {}
        for user in self._weekly_digest_recipients():
            week_start = self._weekly_digest_due_week(user, now)
            if week_start:
                due[user] = week_start
        if not due:
            return
        sent = {
            (log.user_id.id, log.week_start)
            for log in self.search(
                [
                    ("user_id", "in", [user.id for user in due]),
                    ("week_start", "in", list(set(due.values()))),
                ]
            )
        }
        shared = {}
        count = 0
        for user, week_start in due.items():
            if (user.id, week_start) in sent:
                continue
            try:
                with self.env.cr.savepoint():
                    log = self._claim(user, week_start)
                    if not log:
                        continue
                    values = self._weekly_digest_values(user, shared)
                    mail_id = template.with_context(salesperf_weekly_digest=values).send_mail(
                        user.id, email_layout_xmlid="mail.mail_notification_light"
                    )
                    log.mail_id = mail_id
                    count += 1
            except Exception:
                # one person's email must not stop the others': it is tried
                # again at the next run, its claim having been rolled back
                _logger.exception("Weekly performance email to user %s failed", user.id)
        _logger.info("Weekly performance emails: %s sent", count)

    @api.model
    def _weekly_digest_recipients(self):
        """Active internal users of Sales (team leaders among them) with an
        email address who did not switch the weekly email off. A team leader
        without Sales rights could read none of the email's opportunities."""
        return self.env["res.users"].search(
            [
                ("share", "=", False),
                ("salesperf_weekly_digest", "=", True),
                ("email", "!=", False),
                ("groups_id", "in", self.env.ref("sales_team.group_sale_salesman").ids),
            ]
        )

    @api.model
    def _weekly_digest_tz(self, user):
        """The recipient's time zone, else their company's."""
        if user.tz and user.tz in pytz.all_timezones_set:
            return pytz.timezone(user.tz)
        return user.company_id._salesperf_tz()

    @api.model
    def _weekly_digest_due_week(self, user, now):
        """The Monday of the recipient's current week when its email is due
        (the company's weekday and hour have come in the recipient's time
        zone), else ``None``.

        :param now: the current UTC time, naive.
        """
        company = user.company_id
        local = pytz.UTC.localize(now).astimezone(self._weekly_digest_tz(user))
        week_start = local.date() - timedelta(days=local.weekday())
        send_from = datetime.combine(
            week_start + timedelta(days=int(company.salesperf_digest_weekday or 0)),
            time(hour=company.salesperf_digest_hour),
        )
        return week_start if local.replace(tzinfo=None) >= send_from else None

    @api.model
    def _claim(self, user, week_start):
        """Write the log row of ``user``'s email of the week, unless another
        run already did: the log, or an empty recordset when the email is
        someone else's to send (or sent already). The unique index decides,
        in the database, even between runs at the same time."""
        rows = self.env.execute_query(
            SQL(
                """
                INSERT INTO %(table)s
                    (user_id, company_id, week_start, create_uid, create_date,
                     write_uid, write_date)
                VALUES (%(user)s, %(company)s, %(week)s, %(uid)s, %(now)s, %(uid)s, %(now)s)
                ON CONFLICT (user_id, week_start) DO NOTHING
                RETURNING id
                """,
                table=SQL.identifier(self._table),
                user=user.id,
                company=user.company_id.id,
                week=week_start,
                uid=self.env.uid,
                now=fields.Datetime.now(),
            )
        )
        return self.browse([row[0] for row in rows])

    # ------------------------------------------------------------
    # CONTENTS
    # ------------------------------------------------------------

    @api.model
    def _weekly_digest_values(self, user, shared=None):
        """What the weekly email of ``user`` shows, computed as ``user`` (their
        access rules decide what they see) in their language, every date in
        their company's time zone.

        :param shared: a dict kept between the recipients of one run, holding
            the company rankings (the same for all their readers).
        :returns: ``{"company", "currency", "today", "week", "goals",
            "ranking", "moves", "top_deals", "no_activity", "milestones",
            "teams", "customers"}``: numbers unformatted, labels in the
            user's language.
        """
        company = user.company_id
        env = self.with_user(user).with_company(company).with_context(lang=user.lang).env
        today = company._salesperf_today()
        week = Period(today - timedelta(days=7), today - timedelta(days=1))
        month = period_containing("month", today)
        digest = self.with_env(env)
        return {
            "company": company.name,
            "currency": company.currency_id,
            "today": today,
            "week": week,
            "week_label": env["salesperf.kpi"]._period_label(week),
            "goals": digest._weekly_digest_goals(user, today),
            "ranking": digest._weekly_digest_ranking(user, today, shared),
            "moves": digest._weekly_digest_moves(user, week),
            "top_deals": digest._weekly_digest_top_deals(user, month),
            "no_activity": digest._weekly_digest_no_activity(user),
            "milestones": digest._weekly_digest_milestones(user, week),
            "teams": digest._weekly_digest_teams(user, month),
            "customers": digest._weekly_digest_customers(user),
        }

    def _weekly_digest_goals(self, user, today):
        """The user's confirmed revenue targets of the current month and
        quarter, with their actual, attainment and pace. A quarter without a
        target of its own takes the sum of its months' when all three have
        one, as the period report and the ranking do."""
        company = user.company_id
        report = self.env["salesperf.period.report"]
        periods = [period_containing(kind, today) for kind in ("month", "quarter")]
        targets = self.env["salesperf.target"].search(
            [
                ("scope", "=", "user"),
                ("user_id", "=", user.id),
                ("company_id", "=", company.id),
                ("state", "=", "confirmed"),
                *expression.OR(
                    [report._report_target_domain(period, ["revenue"]) for period in periods]
                ),
            ]
        )
        pacing = targets._salesperf_pacing()
        statuses = dict(targets._fields["pacing_status"]._description_selection(self.env))
        thresholds = company._salesperf_pacing_thresholds()
        kpi = self.env["salesperf.kpi"]
        goals = []
        for period in periods:
            within = targets.filtered(
                lambda t, period=period: period.start <= t.date_from <= period.end
            )
            picked = report._report_pick_targets(period, within).get((user.id, "revenue"))
            results = [pacing.get(part.id) for part in picked[0]] if picked else []
            if not results or not all(results):
                continue
            if len(results) == 1:
                result = results[0]
            else:
                # revenue adds up month by month: the parts' sums, paced on
                # what the parts expect by now
                amount = sum(result.target for result in results)
                actual = sum(result.actual for result in results)
                expected = sum(result.expected_to_date for result in results)
                result = dataclasses.replace(
                    pace(amount, actual, 1, 1, thresholds),
                    expected_to_date=expected,
                    status=pace(expected, actual, 1, 1, thresholds).status,
                )
            goals.append(
                {
                    "kind": period.kind,
                    "label": kpi._period_label(period),
                    "target": result.target,
                    "actual": result.actual,
                    "attainment": result.attainment or 0.0,
                    "expected_to_date": result.expected_to_date,
                    "gap": result.gap,
                    "status": result.status,
                    "status_label": statuses.get(result.status, ""),
                }
            )
        return goals

    def _weekly_digest_ranking(self, user, today, shared=None):
        """The user's place in the company's ranking of the month (revenue
        attainment), its change since a week ago, and the first places.

        The standings are the ranking wizard's (read with sudo after its
        scope check, the same for every reader of the company: computed once
        per run); the amounts of others are left out when the company hides
        them from the user (see ``salesperf.ranking.amounts_hidden``).
        """
        company = user.company_id
        shared = {} if shared is None else shared
        ranking = self.env["salesperf.ranking"].new(
            {
                "company_id": company.id,
                "period_kind": "month",
                "reference_date": today,
                "metric": "revenue",
                "rank_by": "attainment",
            }
        )
        ranking._check_scope()
        current_period = period_containing("month", today)
        week_ago = today - timedelta(days=7)
        before = period_containing("month", week_ago)
        previous_period = Period(before.start, week_ago, "month")
        standings = {}
        for name, period in (("current", current_period), ("previous", previous_period)):
            key = ("ranking", company.id, period)
            if key not in shared:
                shared[key] = ranking._standings(period)
            standings[name] = shared[key]
        current, previous = standings["current"], standings["previous"]
        ranks = current["ranks"]
        hidden = ranking.amounts_hidden
        names = {ranked.id: ranked.name for ranked in self.env["res.users"].browse(list(ranks))}
        leaders = sorted(ranks, key=lambda user_id: (ranks[user_id], names.get(user_id, "")))
        shown = leaders[:RANKING_LEADERS]
        if user.id in ranks and user.id not in shown:
            shown.append(user.id)
        return {
            "rank": ranks.get(user.id),
            "change": rank_changes(ranks, previous["ranks"]).get(user.id),
            "ranked_count": len(ranks),
            "amounts_hidden": hidden,
            "lines": [
                {
                    "rank": ranks[user_id],
                    "name": names.get(user_id, ""),
                    "attainment": current["attainment"].get(user_id) or 0.0,
                    "amount": (
                        None
                        if hidden and user_id != user.id
                        else current["amounts"].get(user_id, 0.0)
                    ),
                    "is_me": user_id == user.id,
                }
                for user_id in shown
            ],
        }

    def _weekly_digest_moves(self, user, week):
        """What moved in the past week: the user's revenue, won deals and
        new opportunities."""
        company = user.company_id
        kpi = self.env["salesperf.kpi"]
        measures = kpi._compute_measures(
            week, "user", company, measures={"revenue", "won_count", "won_value"}
        ).get((user.id, company.id), {})
        new_opportunities = self.env["crm.lead"].search_count(
            [
                ("type", "=", "opportunity"),
                ("user_id", "=", user.id),
                *kpi._datetime_domain("create_date", week, company),
            ]
        )
        return {
            "revenue": measures.get("revenue", 0.0),
            "won_count": measures.get("won_count", 0),
            "won_value": measures.get("won_value", 0.0),
            "new_opportunities": new_opportunities,
        }

    def _weekly_digest_open_domain(self, user):
        return [
            ("type", "=", "opportunity"),
            ("user_id", "=", user.id),
            ("company_id", "=", user.company_id.id),
            ("probability", "<", 100),
        ]

    @api.model
    def _weekly_digest_deal(self, lead):
        return {
            "id": lead.id,
            "name": lead.name,
            "partner": lead.partner_id.display_name or "",
            "expected_revenue": lead.expected_revenue,
            "probability": lead.probability,
            "date_deadline": lead.date_deadline,
        }

    def _weekly_digest_top_deals(self, user, month):
        """The five largest open opportunities expected to close this month."""
        leads = self.env["crm.lead"].search_fetch(
            [
                *self._weekly_digest_open_domain(user),
                ("date_deadline", ">=", month.start),
                ("date_deadline", "<=", month.end),
            ],
            ["name", "partner_id", "expected_revenue", "probability", "date_deadline"],
            order="expected_revenue desc, id",
            limit=TOP_DEALS,
        )
        return [self._weekly_digest_deal(lead) for lead in leads]

    def _weekly_digest_no_activity(self, user):
        """The open opportunities without a next activity: how many, and the
        five largest."""
        domain = [*self._weekly_digest_open_domain(user), ("activity_ids", "=", False)]
        leads = self.env["crm.lead"]
        return {
            "count": leads.search_count(domain),
            "deals": [
                self._weekly_digest_deal(lead)
                for lead in leads.search_fetch(
                    domain,
                    ["name", "partner_id", "expected_revenue", "probability", "date_deadline"],
                    order="expected_revenue desc, id",
                    limit=TOP_DEALS,
                )
            ],
        }

    def _weekly_digest_milestones(self, user, week):
        """The milestones of the user's targets announced in the past week."""
        kpi = self.env["salesperf.kpi"]
        milestones = self.env["salesperf.target.milestone"].search(
            [
                ("target_id.scope", "=", "user"),
                ("target_id.user_id", "=", user.id),
                *kpi._datetime_domain("create_date", week, user.company_id),
            ],
            order="create_date, id",
        )
        return [
            {"target": milestone.target_id.name, "threshold": milestone.threshold}
            for milestone in milestones
        ]

    def _weekly_digest_customers(self, user):
        """The customers at risk and the most valuable customers without an
        open opportunity, as the recipient's goals panel shows them by
        default (their own customers; a team leader's team's; all the
        company's for who sees all documents), in their company, each with
        the link to the customer's form.

        :returns: the panel's lists (``salesperf.target._customer_insight``)
            with ``"scope"`` (whose customers), ``"value_at_risk_total"`` (in
            the company's currency) and each line's ``"url"``.
        """
        targets = self.env["salesperf.target"]
        _choices, choice = targets._pipeline_panel_choices()
        insight = targets._customer_insight(
            [("company_id", "=", user.company_id.id), *targets._customer_owner_domain(choice)]
        )
        base_url = user.get_base_url()
        for line in insight["at_risk"] + insight["valuable"]:
            line["url"] = url_join(
                base_url,
                f"/odoo/action-salesperf_odoo.res_partner_action_customer_360/{line['partner_id']}",
            )
        insight["scope"] = choice["name"]
        # one company, one currency
        insight["value_at_risk_total"] = sum(total["amount"] for total in insight["value_at_risk"])
        return insight

    def _weekly_digest_teams(self, user, month):
        """For a team leader, each team they lead in the company: each
        member's revenue of the month, revenue target, attainment and pace.

        The targets are read with the leader's rights (a leader reads their
        members' targets); the revenue of members without a target is read
        with sudo, for members of the teams the leader leads only (the
        teams are searched as the leader, on the leader field).
        """
        company = user.company_id
        teams = self.env["crm.team"].search(
            [("user_id", "=", user.id), ("company_id", "in", [False, company.id])]
        )
        if not teams:
            return []
        members = teams.member_ids.filtered(lambda member: company in member.company_ids)
        targets = self.env["salesperf.target"].search(
            [
                ("scope", "=", "user"),
                ("user_id", "in", members.ids),
                ("company_id", "=", company.id),
                ("metric", "=", "revenue"),
                ("state", "=", "confirmed"),
                ("period_kind", "=", "month"),
                ("date_from", "=", month.start),
            ]
        )
        pacing = targets._salesperf_pacing()
        by_user = {target.user_id.id: pacing.get(target.id) for target in targets}
        # sudo: the leader's members only (checked above), whose actuals their
        # targets already show; a member without a target has no target to
        # read it through
        revenue = (
            self.env["salesperf.kpi"]
            .sudo()
            ._compute_measures(month, "user", company, measures={"revenue"})
        )
        statuses = dict(targets._fields["pacing_status"]._description_selection(self.env))
        result = []
        for team in teams:
            lines = []
            for member in team.member_ids.filtered(lambda m: m in members).sorted("name"):
                result_pace = by_user.get(member.id)
                lines.append(
                    {
                        "name": member.name,
                        "revenue": (
                            result_pace.actual
                            if result_pace
                            else revenue.get((member.id, company.id), {}).get("revenue", 0.0)
                        ),
                        "target": result_pace.target if result_pace else None,
                        "attainment": result_pace.attainment if result_pace else None,
                        "status_label": statuses.get(result_pace.status, "") if result_pace else "",
                    }
                )
            result.append({"name": team.name, "members": lines})
        return result
