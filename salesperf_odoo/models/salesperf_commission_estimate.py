# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from collections import defaultdict
from decimal import Decimal

from odoo import _, api, models
from odoo.tools import format_date

from ..engine import commission as engine

#: Who reads every salesperson's commission figures (as the statements' rules).
SEE_ALL_GROUPS = (
    "salesperf_odoo.group_salesperf_commission_manager",
    "salesperf_odoo.group_salesperf_manager",
)
#: Without "All Documents", a salesperson reads nobody's figures but their own.
ALL_DOCUMENTS = "sales_team.group_sale_salesman_all_leads"

#: Why an estimate has no figures (``reason_code``).
NOT_ALLOWED = "not_allowed"
NO_PLAN = "no_plan"
MARGIN_UNKNOWN = "margin_unknown"
PLAN_ERROR = "plan_error"
#: Codes under which the estimate box is not shown at all.
HIDDEN_CODES = (NOT_ALLOWED, NO_PLAN)


def _decimal(value):
    return Decimal(str(value or 0))


class SalesperfCommissionEstimate(models.AbstractModel):
    """What one more deal would add to a salesperson's commission.

    The salesperson's credited lines of the current period of their plan are
    read once (:meth:`_estimate_context`), the period is computed as its
    statement would be, then again with the deal's lines added, dated the
    day of the estimate (:meth:`_estimate_deal`): the difference is what
    winning the deal adds, tiers, accelerator, threshold, bonuses and cap
    included. Nothing is written.

    The figures are the salesperson's pay: only they, the leaders of their
    teams (with "All Documents") and commission managers or Sales Performance
    administrators read them, in their allowed companies.
    """

    _name = "salesperf.commission.estimate"
    _description = "Commission Estimate of a Deal"

    # ------------------------------------------------------------
    # PUBLIC API
    # ------------------------------------------------------------

    @api.model
    def _estimate(
        self,
        user,
        company,
        amount,
        day,
        margin=None,
        partner=None,
        lines=None,
        share=1.0,
        key="deal",
    ):
        """What a deal of ``user`` in ``company`` adds to their commission of
        the period of ``day`` under the plan they have on that day.

        :param amount: the deal's untaxed revenue, company currency.
        :param margin: its margin, company currency (``None``: unknown).
        :param partner: the customer (``res.partner``), for the new-customer
            bonus: new when it never bought before the period.
        :param lines: instead of ``amount`` and ``margin``, the deal's lines:
            dicts of ``revenue``, ``margin``, ``product_id``, ``categ_id``
            (product and category rates, product bonuses).
        :param share: the salesperson's share of the deal's credit (0..1).
        :param key: a unique key of the deal, e.g. ``"crm.lead,7"``.
        :return: a dict: ``plan``, ``period`` (an engine ``Period``),
            ``target``, ``attainment_before``, ``attainment_after`` (percent,
            ``None`` without target), ``commission_before``,
            ``commission_after``, ``delta``, ``currency``, ``reason`` (why
            figures are missing, translated, else ``""``) and its
            ``reason_code``. Figures that cannot be given are ``None``.
        """
        context = self._estimate_context(user, company, day)
        return self._estimate_deal(
            context,
            amount,
            margin=margin,
            partner=partner,
            lines=lines,
            share=share,
            key=key,
        )

    @api.model
    def _estimate_context(self, user, company, day):
        """What the estimates of ``user``'s deals share: their plan on
        ``day``, their credited lines and target of its period and the
        commission before any deal. Read once, used for each deal."""
        context = {
            "user": user,
            "company": company,
            "day": day,
            "currency": company.currency_id,
            "plan": None,
            "period": None,
            "target": None,
            "reason": "",
            "reason_code": "",
            "new_customers": {},
        }
        if not self._estimate_allowed(user, company):
            context["reason"] = _("You cannot see this salesperson's commission.")
            context["reason_code"] = NOT_ALLOWED
            return context
        Statement = self.env["salesperf.commission.statement"]
        # the statements' own readers: assignments, targets and credited
        # lines are read as the statements read them (with sudo, inside),
        # for this salesperson only
        segments = Statement._assignment_segments(company, day, users=user)
        for (period, _user), user_segments in segments.items():
            current = [segment for segment in user_segments if segment[1] <= day <= segment[2]]
            if current:
                context.update(period=period, plan=current[0][0], segments=user_segments)
                break
        if context["plan"] is None:
            context["reason"] = _(
                "No commission plan on %(date)s.", date=format_date(self.env, day)
            )
            context["reason_code"] = NO_PLAN
            return context
        key = (context["period"], user)
        one = {key: context["segments"]}
        context["sources"] = Statement._read_sources(company, one)
        targets = Statement._read_targets(company, one)
        context["targets"] = targets
        context["target"] = targets.get(
            (
                context["period"].start,
                context["period"].end,
                user.id,
                context["segments"][-1][0].measure,
            )
        )
        try:
            context["before"] = self._estimate_row(context, context["sources"])
        except engine.PlanError as error:
            context["reason"] = _("The plan cannot be computed: %(error)s", error=str(error))
            context["reason_code"] = PLAN_ERROR
        return context

    @api.model
    def _estimate_deal(
        self, context, amount, margin=None, partner=None, lines=None, share=1.0, key="deal"
    ):
        """The estimate of one deal in a context of :meth:`_estimate_context`
        (see :meth:`_estimate` for the arguments and the result)."""
        plan = context["plan"]
        result = {
            "plan": plan.sudo(False) if plan else None,
            "period": context["period"],
            "target": float(context["target"]) if context["target"] else None,
            "attainment_before": None,
            "attainment_after": None,
            "commission_before": None,
            "commission_after": None,
            "delta": None,
            "currency": context["currency"],
            "reason": context["reason"],
            "reason_code": context["reason_code"],
        }
        if context["reason_code"]:
            return result
        before_total, before_base = context["before"]
        result["commission_before"] = float(before_total)
        result["attainment_before"] = self._estimate_attainment(context, before_base)
        if lines is None:
            lines = [{"revenue": amount, "margin": margin}]
        if plan.measure == "margin" and any(line.get("margin") is None for line in lines):
            result["reason"] = _("Margin unknown until quoted.")
            result["reason_code"] = MARGIN_UNKNOWN
            return result
        deal = self._estimate_source_lines(context, lines, partner, share, key)
        sources = defaultdict(dict, context["sources"])
        source_key = (context["period"], plan.basis, plan.measure)
        by_user = dict(sources[source_key])
        by_user[context["user"].id] = by_user.get(context["user"].id, []) + deal
        sources[source_key] = by_user
        try:
            after_total, after_base = self._estimate_row(context, sources)
        except engine.PlanError as error:
            result["reason"] = _("The plan cannot be computed: %(error)s", error=str(error))
            result["reason_code"] = PLAN_ERROR
            return result
        result.update(
            commission_after=float(after_total),
            attainment_after=self._estimate_attainment(context, after_base),
            delta=float(after_total - before_total),
        )
        return result

    @api.model
    def _estimate_fill(self, records, deal_of):
        """Set the ``salesperf_*`` estimate fields of ``records``.

        ``deal_of(record)`` gives ``(user, company)`` and a function of the
        plan returning the keyword arguments of :meth:`_estimate_deal` (or
        ``None`` for no estimate), or ``None`` when the record has none. The
        credited lines of each salesperson are read once for all records.
        """
        contexts = {}
        for record in records:
            values = {
                "salesperf_commission_estimate": 0.0,
                "salesperf_attainment_before": 0.0,
                "salesperf_attainment_after": 0.0,
                "salesperf_commission_shown": False,
                "salesperf_commission_has_target": False,
                "salesperf_commission_note": False,
            }
            deal = deal_of(record)
            if deal:
                (user, company), kwargs_of = deal
                if (user, company) not in contexts:
                    contexts[user, company] = self._estimate_context(
                        user, company, company._salesperf_today()
                    )
                context = contexts[user, company]
                if context["reason_code"]:
                    kwargs = {"amount": None}  # no figures: the reason is shown or hidden
                else:
                    kwargs = kwargs_of(context["plan"])
                if kwargs is not None:
                    values.update(self._estimate_values(self._estimate_deal(context, **kwargs)))
            record.update(values)

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    @api.model
    def _estimate_allowed(self, user, company):
        """Whether the current user may read ``user``'s commission figures in
        ``company``: their own; a leader's (with "All Documents") of the
        teams they lead; everyone's for commission managers and Sales
        Performance administrators; always within their allowed companies."""
        if not user or not company:
            return False
        if self.env.su:
            return True
        if company not in self.env.companies:
            return False
        me = self.env.user
        if me == user:
            return True
        if any(me.has_group(group) for group in SEE_ALL_GROUPS):
            return True
        if not me.has_group(ALL_DOCUMENTS):
            return False
        return bool(
            self.env["crm.team"].search_count(
                [("user_id", "=", me.id), ("member_ids", "in", user.ids)], limit=1
            )
        )

    @api.model
    def _estimate_row(self, context, sources):
        """``(total payable, commissionable base)`` of the period, as its
        statement would compute them from ``sources``."""
        Statement = self.env["salesperf.commission.statement"]
        row = {
            "user": context["user"],
            "period": context["period"],
            "plan": context["segments"][-1][0],
            "statement": Statement,
            "status": "new",
            "lines": [],
            "reason": "",
        }
        Statement._prepare_row(row, context["segments"], sources, context["targets"])
        total = sum((_decimal(line["amount"]) for line in row["lines"]), Decimal(0))
        return total, _decimal(row["values"]["base_amount"])

    @api.model
    def _estimate_attainment(self, context, base):
        target = context["target"]
        if not target:
            return None
        return float(base * 100 / target)

    @api.model
    def _estimate_source_lines(self, context, lines, partner, share, key):
        """The deal's lines as credited source lines dated the day of the estimate."""
        plan = context["plan"]
        partner_id = partner.commercial_partner_id.id if partner else False
        is_new = self._estimate_is_new_customer(context, partner_id)
        parents = self.env["salesperf.commission.source"]._commission_category_parents(
            [line.get("categ_id") for line in lines]
        )
        share = _decimal(share)
        deal = []
        for index, line in enumerate(lines):
            revenue = _decimal(line.get("revenue"))
            margin = _decimal(line.get("margin"))
            deal.append(
                {
                    "key": f"{key},{index}",
                    "source_model": False,
                    "source_id": False,
                    "document": "",
                    "origin": "",
                    "date": context["day"],
                    "amount": (margin if plan.measure == "margin" else revenue) * share,
                    "revenue": revenue,
                    "margin": margin,
                    "share": share,
                    "product_id": line.get("product_id") or False,
                    "categ_id": line.get("categ_id") or False,
                    "category_ids": parents.get(line.get("categ_id"), ()),
                    "partner_id": partner_id,
                    "team_id": context["user"].sale_team_id.id,
                    "order_key": key,
                    "is_new_customer": is_new,
                }
            )
        return deal

    @api.model
    def _estimate_is_new_customer(self, context, partner_id):
        """Whether the customer counts as new in the period: their first
        purchase (sold line, or posted invoice for the invoiced and collected
        bases) falls in it, or they never bought."""
        if not partner_id:
            return False
        cache = context["new_customers"]
        if partner_id in cache:
            return cache[partner_id]
        plan, period, company = context["plan"], context["period"], context["company"]
        own = [
            line
            for line in context["sources"]
            .get((period, plan.basis, plan.measure), {})
            .get(context["user"].id, [])
            if line.get("partner_id") == partner_id
        ]
        if own:
            cache[partner_id] = bool(own[0].get("is_new_customer"))
            return cache[partner_id]
        # other salespeople's sales count too (a customer is new to the
        # company, not to the salesperson): read past them
        if plan.basis == "ordered":
            earlier = (
                self.env["salesperf.sale.fact"]
                .sudo()
                .search_count(
                    [
                        ("company_id", "=", company.id),
                        ("commercial_partner_id", "=", partner_id),
                        ("date", "<", period.start),
                    ],
                    limit=1,
                )
            )
        else:
            earlier = (
                self.env["account.move"]
                .sudo()
                .search_count(
                    [
                        ("company_id", "=", company.id),
                        ("commercial_partner_id", "=", partner_id),
                        ("state", "=", "posted"),
                        ("move_type", "=", "out_invoice"),
                        ("invoice_date", "<", period.start),
                    ],
                    limit=1,
                )
            )
        cache[partner_id] = not earlier
        return cache[partner_id]

    @api.model
    def _estimate_values(self, result):
        """The ``salesperf_*`` field values of an estimate."""
        code = result["reason_code"]
        if code in HIDDEN_CODES:
            return {}
        values = {
            "salesperf_commission_shown": True,
            "salesperf_commission_note": result["reason"] or False,
        }
        if result["delta"] is not None:
            values["salesperf_commission_estimate"] = result["delta"]
        if result["attainment_after"] is not None:
            values.update(
                salesperf_commission_has_target=True,
                salesperf_attainment_before=result["attainment_before"],
                salesperf_attainment_after=result["attainment_after"],
            )
        return values
