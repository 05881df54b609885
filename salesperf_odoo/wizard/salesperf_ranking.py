# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from ..engine.periods import Period, period_containing, previous_period
from ..engine.ranking import competition_ranks, rank_changes
from ..models.salesperf_target import METRICS, MONETARY_METRICS, PERIOD_KINDS


class SalesperfRanking(models.TransientModel):
    """Leaderboard of salespeople for a month, quarter or year, in a team or
    across the company, by attainment or by amount, with the change of rank
    since the previous period."""

    _name = "salesperf.ranking"
    _description = "Sales Performance Ranking"

    period_kind = fields.Selection(
        PERIOD_KINDS,
        string="Period",
        required=True,
        default="month",
    )
    reference_date = fields.Date(
        string="Any Day In Period",
        required=True,
        default=lambda self: self.env.company._salesperf_today(),
    )
    date_from = fields.Date(compute="_compute_dates")
    date_to = fields.Date(compute="_compute_dates")
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        domain="[('company_id', 'in', [company_id, False])]",
        help="Leave empty to rank across the company.",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
    )
    metric = fields.Selection(METRICS, required=True, default="revenue")
    rank_by = fields.Selection(
        [("attainment", "Attainment %"), ("amount", "Amount")],
        required=True,
        default="attainment",
    )
    amounts_hidden = fields.Boolean(compute="_compute_amounts_hidden")
    currency_id = fields.Many2one(related="company_id.currency_id")
    is_monetary = fields.Boolean(compute="_compute_is_monetary")
    line_ids = fields.One2many("salesperf.ranking.line", "ranking_id", string="Ranking")

    @api.depends("period_kind", "reference_date")
    def _compute_dates(self):
        for ranking in self:
            period = period_containing(ranking.period_kind, ranking.reference_date)
            ranking.date_from, ranking.date_to = period.start, period.end

    @api.depends("metric", "team_id", "period_kind", "reference_date")
    def _compute_display_name(self):
        """The window title, e.g. "Ranking · Revenue · North · November 2026"."""
        metrics = dict(self._fields["metric"]._description_selection(self.env))
        kpi = self.env["salesperf.kpi"]
        for ranking in self:
            parts = [_("Ranking"), metrics.get(ranking.metric, "")]
            if ranking.team_id:
                parts.append(ranking.team_id.display_name)
            if ranking.period_kind and ranking.reference_date:
                parts.append(kpi._period_label(ranking._get_period()))
            ranking.display_name = " · ".join(part for part in parts if part)

    @api.depends("metric")
    def _compute_is_monetary(self):
        for ranking in self:
            ranking.is_monetary = ranking.metric in MONETARY_METRICS

    @api.depends("company_id")
    @api.depends_context("uid")
    def _compute_amounts_hidden(self):
        sees_all = self.env.user.has_group("sales_team.group_sale_salesman_all_leads")
        for ranking in self:
            ranking.amounts_hidden = (
                not sees_all and not ranking.company_id.salesperf_ranking_show_amounts
            )

    def action_compute(self):
        """(Re)compute the leaderboard lines."""
        self.ensure_one()
        self._check_scope()
        period = self._get_period()
        current = self._standings(period)
        previous = self._standings(previous_period(period))
        changes = rank_changes(current["ranks"], previous["ranks"])
        hidden = self.amounts_hidden
        self.line_ids.unlink()
        self.env["salesperf.ranking.line"].create(
            [
                {
                    "ranking_id": self.id,
                    "user_id": user_id,
                    "rank": current["ranks"].get(user_id, 0),
                    "is_ranked": user_id in current["ranks"],
                    "previous_rank": previous["ranks"].get(user_id, 0),
                    "rank_change": changes.get(user_id) or 0,
                    "is_new": user_id in current["ranks"] and changes.get(user_id) is None,
                    "attainment": current["attainment"].get(user_id) or 0.0,
                    "has_target": current["attainment"].get(user_id) is not None,
                    "amount": 0.0 if hidden else current["amounts"].get(user_id, 0.0),
                    "target": 0.0 if hidden else current["targets"].get(user_id, 0.0),
                }
                for user_id in current["amounts"]
            ]
        )
        return True

    def _get_period(self):
        self.ensure_one()
        return Period(self.date_from, self.date_to, self.period_kind)

    def _check_scope(self):
        """The company and team come from the client: rank only within the
        user's allowed companies, and a team of that company."""
        if self.company_id not in self.env.companies:
            raise AccessError(
                _(
                    "You cannot rank the salespeople of %(company)s: it is not one of "
                    "your allowed companies.",
                    company=self.company_id.sudo().name,
                )
            )
        if self.team_id and self.team_id.sudo().company_id not in (
            self.company_id,
            self.env["res.company"],
        ):
            raise AccessError(
                _(
                    "Sales team %(team)s does not belong to %(company)s.",
                    team=self.team_id.sudo().name,
                    company=self.company_id.name,
                )
            )

    def _standings(self, period):
        """Amounts, targets, attainment and ranks of the salespeople in scope.

        A quarter or year without a person's own target takes the sum of the
        monthly (or quarterly) targets that cover it whole, never a partial
        sum (``salesperf.period.report._report_pick_targets``).

        Read with sudo, after :meth:`_check_scope`: a leaderboard shows
        everyone of the team or company by design; what a salesperson sees
        of other people's amounts is decided by the company's setting
        (``amounts_hidden``).
        """
        company = self.company_id
        measures = self.env["salesperf.kpi"].sudo()._compute_measures(period, "user", company)
        users = self._ranked_users()
        amounts = {
            user.id: measures.get((user.id, company.id), {}).get(self.metric, 0.0) for user in users
        }
        # one search for everyone's targets of the period and of the shorter
        # periods within it; the period report's rule picks each person's
        picked = self.env["salesperf.period.report"]._report_people_targets(
            period, company, users, self.metric
        )
        targets = {
            user_id: sum(parts.mapped("amount"))
            for (user_id, _metric), (parts, _k) in picked.items()
        }
        attainment = {
            user_id: (amounts[user_id] / target * 100 if target else None)
            for user_id, target in ((u, targets.get(u)) for u in amounts)
        }
        ranked_on = attainment if self.rank_by == "attainment" else amounts
        return {
            "amounts": amounts,
            "targets": targets,
            "attainment": attainment,
            "ranks": competition_ranks(ranked_on),
        }

    def _ranked_users(self):
        """The team's members, or the company's salespeople (users of Sales)."""
        if self.team_id:
            return self.team_id.member_ids.filtered(
                lambda user: self.company_id in user.company_ids
            )
        return (
            self.env["res.users"]
            .sudo()
            .search(
                [
                    ("share", "=", False),
                    ("company_ids", "in", self.company_id.ids),
                    ("groups_id", "in", self.env.ref("sales_team.group_sale_salesman").ids),
                ]
            )
        )

    @api.model
    def action_open(self):
        """Open this month's company ranking, already computed."""
        ranking = self.create({})
        ranking.action_compute()
        return {
            "type": "ir.actions.act_window",
            "name": ranking.display_name,
            "res_model": self._name,
            "res_id": ranking.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }


class SalesperfRankingLine(models.TransientModel):
    _name = "salesperf.ranking.line"
    _description = "Sales Performance Ranking Line"
    _order = "is_ranked desc, rank, id"

    ranking_id = fields.Many2one("salesperf.ranking", required=True, ondelete="cascade")
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    rank = fields.Integer(readonly=True)
    is_ranked = fields.Boolean(
        readonly=True, help="Not ranked: no target to measure the attainment against."
    )
    previous_rank = fields.Integer(readonly=True)
    rank_change = fields.Integer(
        string="Places Gained", readonly=True, help="Positive: moved up since last period."
    )
    is_new = fields.Boolean(string="New in Ranking", readonly=True)
    attainment = fields.Float(string="Attainment (%)", readonly=True, digits=(16, 1))
    attainment_rate = fields.Float(
        string="Attainment", compute="_compute_attainment_rate", help="Actual / target."
    )
    has_target = fields.Boolean(readonly=True)
    amount = fields.Float(string="Actual", readonly=True, digits=(16, 2))
    target = fields.Float(readonly=True, digits=(16, 2))
    currency_id = fields.Many2one(related="ranking_id.company_id.currency_id")
    is_monetary = fields.Boolean(compute="_compute_is_monetary")
    can_open_details = fields.Boolean(compute="_compute_can_open_details")

    @api.depends("attainment")
    def _compute_attainment_rate(self):
        # the percentage widget shows a ratio: 0.875 reads "87.5%"
        for line in self:
            line.attainment_rate = line.attainment / 100

    @api.depends("ranking_id.metric")
    def _compute_is_monetary(self):
        for line in self:
            line.is_monetary = line.ranking_id.metric in MONETARY_METRICS

    @api.depends("user_id")
    @api.depends_context("uid")
    def _compute_can_open_details(self):
        """A row opens its salesperson's records only for whom may read them:
        the salesperson themselves, or a user who sees all documents. A
        colleague's would be an empty list at best, and hidden amounts stay
        hidden."""
        sees_all = self.env.user.has_group("sales_team.group_sale_salesman_all_leads")
        for line in self:
            line.can_open_details = sees_all or line.user_id == self.env.user

    def action_open_details(self):
        """The salesperson's records of the ranked metric for the period."""
        self.ensure_one()
        if not self.can_open_details:
            raise AccessError(
                _(
                    "You may open only your own figures in the ranking, not those of "
                    "%(salesperson)s.",
                    salesperson=self.user_id.name,
                )
            )
        ranking = self.ranking_id
        return self.env["salesperf.kpi"]._action_kpi_details(
            ranking.metric, ranking._get_period(), "user", self.user_id.id, ranking.company_id
        )
