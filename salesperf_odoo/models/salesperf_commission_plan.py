# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..engine import commission as engine
from ..engine.periods import period_containing

#: Fields of a plan that decide what it pays: once a statement past draft
#: used the plan, they only change through a new version.
RULE_FIELDS = {
    "period_kind",
    "basis",
    "measure",
    "rate",
    "tier_basis",
    "tier_mode",
    "tier_ids",
    "accelerator",
    "threshold",
    "threshold_basis",
    "cap",
    "rate_ids",
    "bonus_ids",
    "manager_rate",
    "company_id",
}


def _decimal(value):
    return Decimal(str(value or 0))


class SalesperfCommissionPlan(models.Model):
    """What a salesperson earns on their sales of a period.

    A plan is versioned: once a statement past draft has used it, its rules
    are frozen, and changing them means a new version from a date
    (:meth:`action_new_version`), so that statements already made never
    change. The computing itself is :func:`engine.commission.compute_commission`.
    """

    _name = "salesperf.commission.plan"
    _description = "Commission Plan"
    _inherit = ["mail.thread"]
    _order = "company_id, name, version desc"

    name = fields.Char(required=True, tracking=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    state = fields.Selection(
        [("draft", "Draft"), ("active", "In Use"), ("closed", "Superseded")],
        default="draft",
        required=True,
        tracking=True,
        help="Draft plans pay nothing: they can be tried on past periods (What-if). "
        "Superseded plans were replaced by a newer version.",
    )
    version = fields.Integer(default=1, readonly=True, copy=False)
    previous_version_id = fields.Many2one(
        "salesperf.commission.plan", readonly=True, copy=False, index="btree_not_null"
    )
    version_date = fields.Date(
        string="Valid From",
        readonly=True,
        copy=False,
        help="First day this version applies to (a new version's date).",
    )
    period_kind = fields.Selection(
        [("month", "Month"), ("quarter", "Quarter")],
        string="Period",
        default="month",
        required=True,
        tracking=True,
    )
    basis = fields.Selection(
        [
            ("ordered", "Sales ordered"),
            ("invoiced", "Invoiced"),
            ("collected", "Collected"),
        ],
        default="ordered",
        required=True,
        tracking=True,
        help="Sales ordered: confirmed order lines, by order date. Invoiced: posted customer "
        "invoices net of credit notes, by invoice date. Collected: each invoice line in "
        "proportion to each payment reconciled with the invoice, by payment date.",
    )
    measure = fields.Selection(
        [("revenue", "Revenue"), ("margin", "Margin")],
        string="On",
        default="revenue",
        required=True,
        tracking=True,
    )
    rate = fields.Float(
        string="Rate (%)",
        digits=(16, 4),
        tracking=True,
        help="Percentage paid on the commissionable amount when the plan has no tiers.",
    )
    tier_basis = fields.Selection(
        [
            ("none", "No tiers (flat rate)"),
            ("amount", "Cumulative amount of the period"),
            ("attainment", "Target attainment (%)"),
        ],
        string="Tiers On",
        default="none",
        required=True,
        tracking=True,
    )
    tier_mode = fields.Selection(
        [("graduated", "Graduated"), ("retroactive", "Retroactive")],
        string="Tier Kind",
        default="graduated",
        required=True,
        tracking=True,
        help="Graduated: each band pays its own rate on the part of the amount within it. "
        "Retroactive: the rate of the band reached pays the whole amount of the period.",
    )
    tier_ids = fields.One2many("salesperf.commission.tier", "plan_id", string="Tiers", copy=True)
    accelerator = fields.Float(
        digits=(16, 4),
        default=1.0,
        tracking=True,
        help="Multiplier of the rate on the part of the amount above 100% of the target "
        "(1 = no accelerator).",
    )
    threshold = fields.Float(
        digits=(16, 2),
        tracking=True,
        help="Below it nothing is paid (bonuses excepted).",
    )
    threshold_basis = fields.Selection(
        [("amount", "Amount"), ("attainment", "Attainment (%)")],
        string="Threshold On",
        default="amount",
        required=True,
    )
    cap = fields.Float(
        digits=(16, 2),
        tracking=True,
        help="Most a salesperson earns in a period (commission, bonuses and override); 0 = no cap.",
    )
    rate_ids = fields.One2many(
        "salesperf.commission.rate", "plan_id", string="Rates by Product", copy=True
    )
    bonus_ids = fields.One2many(
        "salesperf.commission.bonus", "plan_id", string="Bonuses", copy=True
    )
    manager_rate = fields.Float(
        string="Team Leader Override (%)",
        digits=(16, 4),
        tracking=True,
        help="A team leader on this plan also earns this rate on the commissionable amount "
        "of the teams they lead (their members' sales, not their own).",
    )
    assignment_ids = fields.One2many(
        "salesperf.commission.assignment", "plan_id", string="Salespeople", copy=False
    )
    statement_count = fields.Integer(compute="_compute_statement_count")
    is_used = fields.Boolean(
        compute="_compute_statement_count",
        help="A statement past draft used this version: its rules are frozen.",
    )
    rules_spec = fields.Text(
        string="Rules as Computed",
        compute="_compute_rules_spec",
        store=True,
        help="Technical: the rules as the computing reads them. Recomputed once the tiers, "
        "rates and bonuses of a request are all written, and then checked as a whole.",
    )

    @api.depends("assignment_ids")
    def _compute_statement_count(self):
        used = self._used_ids()
        counts = dict(
            self.env["salesperf.commission.statement"]._read_group(
                [("plan_id", "in", self.ids)], ["plan_id"], ["__count"]
            )
        )
        for plan in self:
            plan.statement_count = counts.get(plan, 0)
            plan.is_used = plan.id in used

    @api.depends(
        "rate",
        "tier_basis",
        "tier_mode",
        "accelerator",
        "threshold",
        "threshold_basis",
        "cap",
        "manager_rate",
        "tier_ids.lower",
        "tier_ids.upper",
        "tier_ids.is_open",
        "tier_ids.rate",
        "rate_ids.kind",
        "rate_ids.product_id",
        "rate_ids.categ_id",
        "rate_ids.rate",
        "bonus_ids.condition",
        "bonus_ids.product_id",
        "bonus_ids.amount",
    )
    def _compute_rules_spec(self):
        for plan in self:
            spec = plan._commission_spec()
            # the bonuses' labels are translated text, not rules
            spec = replace(spec, bonuses=tuple(replace(b, label="") for b in spec.bonuses))
            plan.rules_spec = repr(spec)

    def _used_ids(self):
        """Ids of the plans of ``self`` that paid lines of a statement past
        draft, or are its plan: a plan in force for part of a period pays
        lines of a statement whose plan is the period's last one."""
        closed = ("draft", "cancel")
        # sudo: whether any statement (of anyone) used the plan, nothing else
        # leaves these queries
        statements = (
            self.env["salesperf.commission.statement"]
            .sudo()
            ._read_group([("plan_id", "in", self.ids), ("state", "not in", closed)], ["plan_id"])
        )
        lines = (
            self.env["salesperf.commission.line"]
            .sudo()
            ._read_group(
                [("plan_id", "in", self.ids), ("statement_id.state", "not in", closed)], ["plan_id"]
            )
        )
        return {plan.id for [plan] in statements + lines}

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains(
        "rate",
        "tier_basis",
        "tier_mode",
        "tier_ids",
        "accelerator",
        "threshold",
        "cap",
        "rate_ids",
        "bonus_ids",
        "manager_rate",
    )
    def _check_rules(self):
        for plan in self:
            try:
                engine.validate_plan(plan._commission_spec())
            except engine.PlanError as error:
                raise ValidationError(
                    _("Commission plan %(plan)s: %(error)s", plan=plan.name, error=str(error))
                ) from error

    @api.constrains("rules_spec")
    def _check_rules_spec(self):
        """The rules again once a request's tiers, rates and bonuses are all
        written, however they were (through the plan, or each on its own):
        checking each line as it is written would refuse a valid plan met
        half-edited, e.g. two tiers' bounds moved one after the other."""
        self._check_rules()

    def _commission_spec(self):
        """The engine's :class:`engine.commission.PlanSpec` of this plan."""
        self.ensure_one()
        return engine.PlanSpec(
            rate=_decimal(self.rate),
            tier_basis=self.tier_basis,
            tier_mode=self.tier_mode,
            tiers=tuple(
                engine.Tier(
                    lower=_decimal(tier.lower),
                    upper=None if tier.is_open else _decimal(tier.upper),
                    rate=_decimal(tier.rate),
                )
                for tier in self.tier_ids.sorted(lambda t: (t.lower, t.id))
            ),
            accelerator=_decimal(self.accelerator),
            threshold=_decimal(self.threshold),
            threshold_basis=self.threshold_basis,
            cap=_decimal(self.cap) if self.cap else None,
            overrides=tuple(
                engine.RateOverride(
                    kind=line.kind,
                    target_id=(line.product_id if line.kind == "product" else line.categ_id).id,
                    rate=_decimal(line.rate),
                )
                for line in self.rate_ids
            ),
            bonuses=tuple(
                engine.Bonus(
                    condition=bonus.condition,
                    amount=_decimal(bonus.amount),
                    product_id=bonus.product_id.id or None,
                    label=bonus.name or "",
                )
                for bonus in self.bonus_ids
            ),
            manager_rate=_decimal(self.manager_rate),
        )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def write(self, vals):
        if RULE_FIELDS & set(vals):
            self._check_rules_editable()
        return super().write(vals)

    def _check_rules_editable(self):
        # read now, not from the cache: a statement may have been confirmed
        # since is_used was computed
        used_ids = self._used_ids()
        used = self.filtered(lambda plan: plan.id in used_ids)
        if used:
            raise UserError(
                _(
                    "Plan %(plan)s (version %(version)s) has been used by statements past draft: "
                    "its rules no longer change, so that those statements never do. Use "
                    "“New Version” to change them from a date.",
                    plan=used[0].name,
                    version=used[0].version,
                )
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        if (
            self.env["salesperf.commission.statement"]
            .sudo()
            .search_count([("plan_id", "in", self.ids)], limit=1)
        ):
            raise UserError(_("A plan with statements is archived, not deleted."))

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_activate(self):
        for plan in self:
            if plan.state != "draft":
                raise UserError(_("Only a draft plan is put in use."))
        self.write({"state": "active"})

    def action_new_version(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("New Version of %(plan)s", plan=self.name),
            "res_model": "salesperf.commission.plan.version",
            "view_mode": "form",
            "target": "new",
            "context": {"default_plan_id": self.id},
        }

    def action_view_statements(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "salesperf_odoo.salesperf_commission_statement_action"
        )
        action["domain"] = [("plan_id", "=", self.id)]
        action["context"] = {}
        return action

    def _new_version(self, date_from):
        """Copy this plan as its next version valid from ``date_from`` (the
        start of one of its periods) and move its salespeople over from that
        day. Statements of earlier periods keep this version."""
        self.ensure_one()
        start = period_containing(self.period_kind, date_from).start
        if start != date_from:
            raise UserError(
                _(
                    "A new version starts on the first day of a %(kind)s, e.g. %(start)s.",
                    kind=dict(self._fields["period_kind"].selection)[self.period_kind].lower(),
                    start=start,
                )
            )
        if self.state == "closed":
            raise UserError(_("This version was superseded: make the new one from the latest."))
        if self.version_date and date_from <= self.version_date:
            raise UserError(_("A new version starts after the current one's first day."))
        used_later = (
            self.env["salesperf.commission.statement"]
            .sudo()
            .search_count(
                [
                    ("plan_id", "=", self.id),
                    ("state", "not in", ("draft", "cancel")),
                    ("date_to", ">=", date_from),
                ],
                limit=1,
            )
        )
        if used_later:
            raise UserError(
                _(
                    "Statements past draft from %(date)s on use this version: cancel them or "
                    "start the new version later.",
                    date=date_from,
                )
            )
        new = self.copy(
            {
                "name": self.name,
                "version": self.version + 1,
                "previous_version_id": self.id,
                "version_date": date_from,
                "state": "active" if self.state == "active" else "draft",
            }
        )
        day_before = date_from - timedelta(days=1)
        for assignment in self.assignment_ids:
            if assignment.date_to and assignment.date_to < date_from:
                continue
            if assignment.date_from >= date_from:
                assignment.plan_id = new
                continue
            new_assignment = {
                "plan_id": new.id,
                "user_id": assignment.user_id.id,
                "date_from": date_from,
                "date_to": assignment.date_to,
            }
            assignment.date_to = day_before
            self.env["salesperf.commission.assignment"].create(new_assignment)
        if self.state == "active":
            self.state = "closed"
        self.message_post(
            body=_(
                "Version %(version)s made from %(date)s.",
                version=new.version,
                date=date_from,
            )
        )
        return new


class SalesperfCommissionPlanRule(models.AbstractModel):
    """A line of a plan's rules (tier, rate, bonus). Written on its own (an
    editable list, an import, a call on its model) as well as through its
    plan, so it keeps the plan's lock: once a statement past draft used the
    plan, its lines no longer change either."""

    _name = "salesperf.commission.plan.rule"
    _description = "Commission Plan Rule Line"

    @api.model_create_multi
    def create(self, vals_list):
        plan_ids = {vals.get("plan_id") for vals in vals_list} - {None, False}
        self.env["salesperf.commission.plan"].browse(plan_ids)._check_rules_editable()
        return super().create(vals_list)

    def write(self, vals):
        plans = self.plan_id | self.env["salesperf.commission.plan"].browse(vals.get("plan_id"))
        plans._check_rules_editable()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used_plan(self):
        self.plan_id._check_rules_editable()


class SalesperfCommissionTier(models.Model):
    _name = "salesperf.commission.tier"
    _inherit = ["salesperf.commission.plan.rule"]
    _description = "Commission Tier"
    _order = "plan_id, lower, id"

    plan_id = fields.Many2one("salesperf.commission.plan", required=True, ondelete="cascade")
    lower = fields.Float(
        string="From", digits=(16, 2), help="Amount or attainment (%) from which the band pays."
    )
    upper = fields.Float(string="Up To", digits=(16, 2))
    is_open = fields.Boolean(
        string="No Upper Limit", help="The last band, from its start on without end."
    )
    rate = fields.Float(string="Rate (%)", digits=(16, 4))


class SalesperfCommissionRate(models.Model):
    _name = "salesperf.commission.rate"
    _inherit = ["salesperf.commission.plan.rule"]
    _description = "Commission Rate by Product or Category"
    _order = "plan_id, kind desc, id"

    plan_id = fields.Many2one("salesperf.commission.plan", required=True, ondelete="cascade")
    kind = fields.Selection(
        [("product", "Product"), ("category", "Product Category")],
        required=True,
        default="category",
        help="A product's own rate wins over its categories'; the nearest category wins over "
        "its parents; either wins over the plan's rate and tiers.",
    )
    product_id = fields.Many2one("product.product")
    categ_id = fields.Many2one("product.category", string="Category")
    rate = fields.Float(string="Rate (%)", digits=(16, 4))

    @api.constrains("kind", "product_id", "categ_id")
    def _check_target(self):
        for line in self:
            if line.kind == "product" and not line.product_id:
                raise ValidationError(_("A product rate needs a product."))
            if line.kind == "category" and not line.categ_id:
                raise ValidationError(_("A category rate needs a category."))


class SalesperfCommissionBonus(models.Model):
    _name = "salesperf.commission.bonus"
    _inherit = ["salesperf.commission.plan.rule"]
    _description = "Commission Bonus"
    _order = "plan_id, id"

    plan_id = fields.Many2one("salesperf.commission.plan", required=True, ondelete="cascade")
    name = fields.Char(string="Description", translate=True)
    condition = fields.Selection(
        [
            ("new_customer", "Each new customer"),
            ("product", "Each order with the product"),
            ("target_reached", "Target reached"),
        ],
        required=True,
        default="target_reached",
    )
    product_id = fields.Many2one("product.product")
    amount = fields.Monetary(currency_field="currency_id")
    currency_id = fields.Many2one(related="plan_id.currency_id")

    @api.constrains("condition", "product_id")
    def _check_product(self):
        for bonus in self:
            if bonus.condition == "product" and not bonus.product_id:
                raise ValidationError(_("A product bonus needs a product."))


class SalesperfCommissionAssignment(models.Model):
    """Who is on which plan, when. One plan per person and company on any
    day: checked under a lock of that person's assignments, so that two
    users assigning at once cannot both pass."""

    _name = "salesperf.commission.assignment"
    _description = "Commission Plan Assignment"
    _order = "user_id, date_from"

    plan_id = fields.Many2one(
        "salesperf.commission.plan", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="plan_id.company_id", store=True, index=True)
    user_id = fields.Many2one(
        "res.users", string="Salesperson", required=True, index=True, ondelete="cascade"
    )
    date_from = fields.Date(string="From", required=True)
    date_to = fields.Date(string="Until", help="Empty: until further notice.")

    _sql_constraints = [
        (
            "dates_ordered",
            "CHECK (date_to IS NULL OR date_to >= date_from)",
            "An assignment cannot end before it starts.",
        )
    ]

    @api.constrains("user_id", "date_from", "date_to", "plan_id")
    def _check_overlap(self):
        for assignment in self:
            self.env.cr.execute(
                SQL(
                    "SELECT pg_advisory_xact_lock(hashtext(%s))",
                    f"salesperf_commission_assignment,{assignment.company_id.id},"
                    f"{assignment.user_id.id}",
                )
            )
            self.flush_model(["user_id", "date_from", "date_to", "company_id", "plan_id"])
            self.env.cr.execute(
                SQL(
                    """SELECT other.id FROM salesperf_commission_assignment other
                    JOIN salesperf_commission_plan plan ON plan.id = other.plan_id
                    WHERE other.id <> %(id)s AND other.user_id = %(user)s
                      AND other.company_id = %(company)s AND plan.active
                      AND other.date_from <= COALESCE(%(to)s::date, 'infinity'::date)
                      AND COALESCE(other.date_to, 'infinity'::date) >= %(from)s
                    LIMIT 1""",
                    id=assignment.id,
                    user=assignment.user_id.id,
                    company=assignment.company_id.id,
                    to=assignment.date_to or None,
                    **{"from": assignment.date_from},
                )
            )
            if self.env.cr.fetchone():
                raise ValidationError(
                    _(
                        "%(user)s already has a commission plan in %(company)s on some of "
                        "these dates: one plan per person on any day.",
                        user=assignment.user_id.name,
                        company=assignment.company_id.name,
                    )
                )


class SalesperfCommissionPlanVersion(models.TransientModel):
    _name = "salesperf.commission.plan.version"
    _description = "New Version of a Commission Plan"

    plan_id = fields.Many2one("salesperf.commission.plan", required=True, ondelete="cascade")
    date_from = fields.Date(string="Valid From", required=True)

    def action_create(self):
        self.ensure_one()
        self.plan_id.check_access("write")
        new = self.plan_id._new_version(self.date_from)
        return {
            "type": "ir.actions.act_window",
            "res_model": "salesperf.commission.plan",
            "res_id": new.id,
            "view_mode": "form",
            "target": "current",
        }
