# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import format_date, format_datetime, formatLang, html2plaintext

from ..engine import report_svg
from ..engine.customer_value import summarize

#: Who sees every customer's history (of their allowed companies).
SEE_ALL_GROUPS = (
    "salesperf_odoo.group_salesperf_manager",
    "sales_team.group_sale_salesman_all_leads",
)
#: Months of the revenue and margin chart, the current one included.
CHART_MONTHS = 24
#: Rows of the top products, top categories and last interactions.
TOP_ROWS = 5
INTERACTION_ROWS = 10
#: Open opportunities and quotations listed at most.
OPEN_ROWS = 10
#: Messages that are interactions with the customer (notifications such as
#: tracked changes are not), besides every activity marked done.
INTERACTION_MESSAGE_TYPES = ("email", "email_outgoing", "comment")


class ResPartner(models.Model):
    """Customer 360: the purchase history and interactions of a customer
    (its commercial entity), computed when read and never stored.

    Figures are those of the current company, in its currency: the sales
    facts of its customers (orders, Point of Sale, imports), dated in its
    time zone. The customer's revenue in the user's other allowed companies
    is stated apart, each in its own currency. Only users who may see the
    customer get figures (see :meth:`_salesperf_customer_360_visible`).
    """

    _inherit = "res.partner"

    salesperf_customer_360_allowed = fields.Boolean(
        string="May See Customer 360",
        compute="_compute_salesperf_customer_360_allowed",
        groups="salesperf_odoo.group_salesperf_user",
    )
    salesperf_customer_currency_id = fields.Many2one(
        "res.currency",
        string="Customer 360 Currency",
        compute="_compute_salesperf_customer_revenue_12m",
        groups="salesperf_odoo.group_salesperf_user",
    )
    salesperf_customer_revenue_12m = fields.Monetary(
        string="Revenue (12 months)",
        currency_field="salesperf_customer_currency_id",
        compute="_compute_salesperf_customer_revenue_12m",
        groups="salesperf_odoo.group_salesperf_user",
        help="Untaxed revenue of the customer (its commercial entity) in the current company "
        "over the last 12 months up to today, in the company's currency.",
    )
    salesperf_customer_360_html = fields.Html(
        string="Customer 360",
        sanitize=False,
        compute="_compute_salesperf_customer_360_html",
        groups="salesperf_odoo.group_salesperf_user",
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("commercial_partner_id.user_id")
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_salesperf_customer_360_allowed(self):
        visible = self._salesperf_customer_360_visible()
        for partner in self:
            partner.salesperf_customer_360_allowed = partner.commercial_partner_id in visible

    @api.depends("commercial_partner_id")
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_salesperf_customer_revenue_12m(self):
        company = self.env.company
        visible = self._salesperf_customer_360_visible()
        revenue = {}
        if visible:
            today = company._salesperf_today()
            # sudo: the facts of customers the user may see, checked above,
            # are read whoever sold them, in the current company only
            revenue = dict(
                self.env["salesperf.sale.fact"]
                .sudo()
                ._read_group(
                    [
                        ("commercial_partner_id", "in", visible.ids),
                        ("company_id", "=", company.id),
                        ("date", ">", today - relativedelta(years=1)),
                        ("date", "<=", today),
                    ],
                    ["commercial_partner_id"],
                    ["revenue:sum"],
                )
            )
        for partner in self:
            partner.salesperf_customer_currency_id = company.currency_id
            partner.salesperf_customer_revenue_12m = revenue.get(partner.commercial_partner_id, 0.0)

    @api.depends("commercial_partner_id")
    @api.depends_context("uid", "allowed_company_ids", "lang", "tz")
    def _compute_salesperf_customer_360_html(self):
        visible = self._salesperf_customer_360_visible()
        rendered = {}
        qweb = self.env["ir.qweb"]
        for partner in self:
            customer = partner.commercial_partner_id
            if customer not in visible:
                partner.salesperf_customer_360_html = qweb._render(
                    "salesperf_odoo.customer_360_refused", {"customer": customer.display_name}
                )
                continue
            if customer.id not in rendered:
                values = customer._salesperf_customer_360_values()
                rendered[customer.id] = qweb._render("salesperf_odoo.customer_360", values)
            partner.salesperf_customer_360_html = rendered[customer.id]

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_open_salesperf_customer_360(self):
        """The Customer 360 of the partner's commercial entity, on its own page."""
        self.ensure_one()
        customer = self.commercial_partner_id
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "salesperf_odoo.res_partner_action_customer_360"
        )
        action.update(
            name=self.env._("Customer 360: %(customer)s", customer=customer.display_name),
            res_id=customer.id,
        )
        return action

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def write(self, vals):
        if "user_id" in vals and not self.env.su:
            self._salesperf_check_salesperson_change(vals["user_id"])
        return super().write(vals)

    # ------------------------------------------------------------
    # RIGHTS
    # ------------------------------------------------------------

    def _salesperf_check_salesperson_change(self, new_user_id):
        """The customer's salesperson opens its history to them: a Sales
        Performance user who sees only their own documents may not take a
        customer from another salesperson. They may set the salesperson of
        a customer who has none or is theirs, and a team leader that of a
        customer of one of the members of a team they lead."""
        user = self.env.user
        if not user.has_group("salesperf_odoo.group_salesperf_user") or any(
            user.has_group(group) for group in SEE_ALL_GROUPS
        ):
            return
        taken = self.filtered(
            lambda partner: partner.user_id and partner.user_id.id not in (new_user_id, user.id)
        )
        if taken:
            members = (
                self.env["crm.team.member"]
                .search_fetch(
                    [("crm_team_id.user_id", "=", user.id), ("user_id", "in", taken.user_id.ids)],
                    ["user_id"],
                )
                .user_id
            )
            taken = taken.filtered(lambda partner: partner.user_id not in members)
        if taken:
            raise AccessError(
                self.env._(
                    "%(customer)s is a customer of %(salesperson)s: only their team leader or a "
                    "user who sees all documents may change the salesperson.",
                    customer=taken[0].display_name,
                    salesperson=taken[0].user_id.name,
                )
            )

    def _salesperf_customer_360_visible(self):
        """The commercial entities of ``self`` whose history the user may see.

        Decided by who the user is: Sales "All Documents" users and Sales
        Performance administrators see every customer; others the customers
        whose salesperson they are, whose salesperson is a member of a team
        they lead, and those whose score (``salesperf.customer.score``, of
        their allowed companies) the record rules let them read, which
        covers the salesperson of the customer's latest purchase and its
        team's leader.
        """
        customers = self.commercial_partner_id
        user = self.env.user
        if self.env.su or any(user.has_group(group) for group in SEE_ALL_GROUPS):
            return customers
        visible = customers.filtered(lambda customer: customer.user_id == user)
        others = customers - visible
        if others.user_id:
            # the current members of the active teams the user leads
            members = self.env["crm.team.member"].search_fetch(
                [("crm_team_id.user_id", "=", user.id), ("user_id", "in", others.user_id.ids)],
                ["user_id"],
            )
            visible |= others.filtered(lambda customer: customer.user_id in members.user_id)
            others -= visible
        if others:
            # the customer's current score in the company whose figures are shown
            scores = self.env["salesperf.customer.score"].search_fetch(
                [
                    ("partner_id", "in", others.ids),
                    ("company_id", "=", self.env.company.id),
                    ("is_latest", "=", True),
                ],
                ["partner_id"],
            )
            visible |= scores.partner_id
        return visible

    # ------------------------------------------------------------
    # CUSTOMER 360
    # ------------------------------------------------------------

    def _salesperf_customer_360_values(self):
        """What the Customer 360 template shows of this commercial entity.

        Called only once the user's right to see it is checked: every read is
        made with sudo, within the user's allowed companies (the current one
        for the figures). One grouped read per source, whatever the number
        of orders.
        """
        self.ensure_one()
        company = self.env.company
        currency = company.currency_id
        today = company._salesperf_today()
        facts = self.env["salesperf.sale.fact"].sudo()
        domain = [("commercial_partner_id", "=", self.id), ("company_id", "=", company.id)]

        def money(amount, in_currency=currency):
            return formatLang(self.env, amount or 0.0, currency_obj=in_currency)

        # totals, per allowed company (each in its own currency); the other
        # companies' only for those who see every customer: the right to see
        # this customer was checked in the current company
        user = self.env.user
        see_all = self.env.su or any(user.has_group(group) for group in SEE_ALL_GROUPS)
        total_companies = self.env.companies if see_all else company
        totals = facts._read_group(
            [("commercial_partner_id", "=", self.id), ("company_id", "in", total_companies.ids)],
            ["company_id"],
            ["revenue:sum", "margin:sum", "order_reference:count_distinct"],
        )
        revenue = margin = 0.0
        orders = 0
        other_companies = []
        for row_company, row_revenue, row_margin, row_orders in totals:
            if row_company == company:
                revenue, margin, orders = row_revenue, row_margin, row_orders
            else:
                other_companies.append(
                    {
                        "name": row_company.sudo().name,
                        "revenue": money(row_revenue, row_company.sudo().currency_id),
                        "orders": row_orders,
                    }
                )

        history = self._salesperf_customer_360_history(facts, domain, today)
        months = self._salesperf_customer_360_months(facts, domain, today)

        def shares(groupby, label):
            rows = facts._read_group(
                domain, [groupby], ["revenue:sum"], order="revenue:sum desc", limit=TOP_ROWS
            )
            return [
                {
                    "name": label(key),
                    "revenue": money(amount),
                    "share": round(100.0 * amount / revenue) if revenue else 0,
                }
                for key, amount in rows
            ]

        channel_names = dict(facts._fields["channel"]._description_selection(self.env))
        channels = facts._read_group(
            domain,
            ["channel"],
            ["revenue:sum", "order_reference:count_distinct"],
            order="revenue:sum desc",
        )
        salesperson, team = self._salesperf_customer_360_owner(facts, domain)
        return {
            "customer": self,
            "company_name": company.name,
            "currency_name": currency.name,
            "shows_other_companies": len(self.env.companies) > 1,
            "other_companies": other_companies,
            "has_sales": bool(orders),
            "amounts": {
                "revenue": revenue,
                "margin": margin,
                "orders": orders,
                "average_order": revenue / orders if orders else None,
            },
            "revenue": money(revenue),
            "margin": money(margin),
            "margin_percent": round(100.0 * margin / revenue, 1) if revenue else None,
            "orders": orders,
            "average_order": money(revenue / orders) if orders else None,
            **history,
            "months": months,
            # report_svg escapes every text it writes
            "chart": Markup(self._salesperf_customer_360_chart(months)),
            "channels": [
                {
                    "name": channel_names.get(channel, channel or ""),
                    "revenue": money(amount),
                    "orders": channel_orders,
                    "share": round(100.0 * amount / revenue) if revenue else 0,
                }
                for channel, amount, channel_orders in channels
            ],
            "products": shares("product_tmpl_id", lambda product: product.display_name or "—"),
            "categories": shares("categ_id", lambda category: category.display_name or "—"),
            "salesperson": salesperson,
            "team": team,
            "opportunities": self._salesperf_customer_360_opportunities(),
            "quotations": self._salesperf_customer_360_quotations(),
            "interactions": self._salesperf_customer_360_interactions(),
            "score": self._salesperf_customer_360_score(company),
        }

    def _salesperf_customer_360_history(self, facts, domain, today):
        """First and last purchase, usual interval and revenue of the last 12
        months, from the customer's purchase days (days with a positive
        revenue: a day of refunds alone is no purchase)."""
        days = facts._read_group(domain, ["date:day"], ["revenue:sum"])
        purchases = [(self.id, day, amount) for day, amount in days if day and amount > 0]
        year_ago = today - relativedelta(years=1)
        # refunds count in the revenue, as on the smart button
        revenue_12m = sum(amount for day, amount in days if day and year_ago < day <= today)
        values = {
            "revenue_12m": formatLang(
                self.env, revenue_12m, currency_obj=self.env.company.currency_id
            ),
            "revenue_12m_amount": revenue_12m,
            "usual_interval_days": None,
            "first_purchase_date": None,
            "last_purchase_date": None,
            "purchase_days": len(purchases),
            "first_purchase": False,
            "last_purchase": False,
            "days_since_last": None,
            "days_since_last_count": None,
            "usual_interval": None,
        }
        if purchases:
            end = max(today, max(day for _key, day, _amount in purchases))
            summary = summarize(purchases, end)[self.id]
            values.update(
                first_purchase=format_date(self.env, summary.first_purchase),
                last_purchase=format_date(self.env, summary.last_purchase),
                days_since_last=self._salesperf_days_ago((today - summary.last_purchase).days),
                usual_interval=(
                    round(summary.usual_interval) if summary.usual_interval is not None else None
                ),
                usual_interval_days=summary.usual_interval,
                days_since_last_count=(today - summary.last_purchase).days,
                first_purchase_date=summary.first_purchase,
                last_purchase_date=summary.last_purchase,
            )
        return values

    def _salesperf_days_ago(self, days):
        if days <= 0:
            return self.env._("today")
        if days == 1:
            return self.env._("yesterday")
        return self.env._("%(days)s days ago", days=days)

    def _salesperf_customer_360_months(self, facts, domain, today):
        """``[(month, revenue, margin)]`` of the last 24 months, the current
        one included: months of the company's time zone (the facts' dates
        are company-local), 0 for a month without sale."""
        first_month = today.replace(day=1) - relativedelta(months=CHART_MONTHS - 1)
        months = [first_month + relativedelta(months=index) for index in range(CHART_MONTHS)]
        rows = facts._read_group(
            [
                *domain,
                ("date", ">=", first_month),
                ("date", "<", months[-1] + relativedelta(months=1)),
            ],
            ["date:month"],
            ["revenue:sum", "margin:sum"],
        )
        by_month = {month: (amount, month_margin) for month, amount, month_margin in rows}
        return [(month, *by_month.get(month, (0.0, 0.0))) for month in months]

    def _salesperf_customer_360_chart(self, months):
        """Revenue and margin per month (:meth:`_salesperf_customer_360_months`), as SVG."""
        return report_svg.line_chart(
            [format_date(self.env, month, date_format="MMM yy") for month, _r, _m in months],
            [
                {"name": self.env._("Revenue"), "values": [amount for _d, amount, _m in months]},
                {
                    "name": self.env._("Margin"),
                    "values": [margin for _d, _r, margin in months],
                    "dash": True,
                },
            ],
            width=760,
            height=240,
            empty_text=self.env._("No sale in the last 24 months"),
        )

    def _salesperf_customer_360_owner(self, facts, domain):
        """The customer's salesperson (its own, else that of its latest
        purchase) and the team of its latest purchase (a partner has no team
        in Odoo Community)."""
        latest = facts.search_fetch(
            domain, ["user_id", "team_id"], order="date desc, id desc", limit=1
        )
        salesperson = self.sudo().user_id or latest.user_id
        return salesperson.name or "", latest.team_id.name or ""

    def _salesperf_customer_360_opportunities(self):
        """Open opportunities of the customer and its contacts, of the user's
        allowed companies, the nearest expected closing first."""
        leads = (
            self.env["crm.lead"]
            .sudo()
            .search_fetch(
                [
                    ("partner_id.commercial_partner_id", "=", self.id),
                    ("type", "=", "opportunity"),
                    ("probability", "<", 100),
                    ("company_id", "in", [False, *self.env.companies.ids]),
                ],
                [
                    "name",
                    "expected_revenue",
                    "company_currency",
                    "date_deadline",
                    "stage_id",
                    "user_id",
                ],
                order="date_deadline asc, id desc",
                limit=OPEN_ROWS,
            )
        )
        return [
            {
                "url": f"/odoo/crm.lead/{lead.id}",
                "name": lead.name,
                "amount": formatLang(
                    self.env, lead.expected_revenue, currency_obj=lead.company_currency
                ),
                "date": format_date(self.env, lead.date_deadline) if lead.date_deadline else "",
                "stage": lead.stage_id.name or "",
                "user": lead.user_id.name or "",
            }
            for lead in leads
        ]

    def _salesperf_customer_360_quotations(self):
        """Quotations (draft or sent) of the customer and its contacts, of
        the user's allowed companies, the latest first."""
        quotations = (
            self.env["sale.order"]
            .sudo()
            .search_fetch(
                [
                    ("partner_id.commercial_partner_id", "=", self.id),
                    ("state", "in", ("draft", "sent")),
                    ("company_id", "in", self.env.companies.ids),
                ],
                ["name", "amount_untaxed", "currency_id", "date_order", "validity_date", "user_id"],
                order="date_order desc, id desc",
                limit=OPEN_ROWS,
            )
        )
        return [
            {
                "url": f"/odoo/sale.order/{order.id}",
                "name": order.name,
                "amount": formatLang(
                    self.env, order.amount_untaxed, currency_obj=order.currency_id
                ),
                # the quotation's day in the reader's time zone, as Odoo shows it
                "date": format_date(
                    self.env, fields.Datetime.context_timestamp(self, order.date_order).date()
                ),
                "validity": (
                    format_date(self.env, order.validity_date) if order.validity_date else ""
                ),
                "user": order.user_id.name or "",
            }
            for order in quotations
        ]

    def _salesperf_customer_360_documents(self):
        """``(contacts, opportunities, orders)`` of the customer as
        sub-queries: the records whose chatter holds its interactions."""
        contacts = self.env["res.partner"].sudo().with_context(active_test=False)
        contacts = contacts._search([("commercial_partner_id", "=", self.id)])
        company_ids = self.env.companies.ids
        leads = (
            self.env["crm.lead"]
            .sudo()
            .with_context(active_test=False)
            ._search(
                [
                    ("partner_id", "in", contacts),
                    ("company_id", "in", [False, *company_ids]),
                ]
            )
        )
        orders = (
            self.env["sale.order"]
            .sudo()
            ._search([("partner_id", "in", contacts), ("company_id", "in", company_ids)])
        )
        return contacts, leads, orders

    def _salesperf_customer_360_interactions(self):
        """The last interactions with the customer: activities done, emails,
        messages and notes in the chatter of the customer, its contacts,
        opportunities and orders, and past meetings with its contacts or on
        its opportunities; the latest first."""
        contacts, leads, orders = self._salesperf_customer_360_documents()
        messages = (
            self.env["mail.message"]
            .sudo()
            .search_fetch(
                [
                    "|",
                    "|",
                    "&",
                    ("model", "=", "res.partner"),
                    ("res_id", "in", contacts),
                    "&",
                    ("model", "=", "crm.lead"),
                    ("res_id", "in", leads),
                    "&",
                    ("model", "=", "sale.order"),
                    ("res_id", "in", orders),
                    "|",
                    ("mail_activity_type_id", "!=", False),
                    ("message_type", "in", INTERACTION_MESSAGE_TYPES),
                ],
                [
                    "date",
                    "message_type",
                    "model",
                    "res_id",
                    "record_name",
                    "subject",
                    "body",
                    "author_id",
                    "mail_activity_type_id",
                    "subtype_id",
                ],
                order="date desc, id desc",
                limit=INTERACTION_ROWS,
            )
        )
        now = fields.Datetime.now()
        meetings = (
            self.env["calendar.event"]
            .sudo()
            .search_fetch(
                [
                    "|",
                    ("partner_ids", "in", contacts),
                    ("opportunity_id", "in", leads),
                    ("start", "<=", now),
                ],
                ["name", "start", "user_id", "privacy", "opportunity_id"],
                order="start desc, id desc",
                limit=INTERACTION_ROWS,
            )
        )
        rows = [self._salesperf_interaction_of_message(message) for message in messages]
        rows += [self._salesperf_interaction_of_meeting(meeting) for meeting in meetings]
        rows.sort(key=lambda row: row["moment"], reverse=True)
        for row in rows:
            row["date"] = format_datetime(self.env, row.pop("moment"), dt_format="short")
        return rows[:INTERACTION_ROWS]

    def _salesperf_interaction_of_message(self, message):
        activity_type = message.mail_activity_type_id
        if activity_type:
            icon = activity_type.icon or "fa-check-square-o"
            kind = activity_type.name
        elif message.message_type == "email":
            icon, kind = "fa-envelope", self.env._("Email received")
        elif message.message_type == "email_outgoing":
            icon, kind = "fa-paper-plane", self.env._("Email sent")
        elif message.subtype_id.internal:
            icon, kind = "fa-sticky-note-o", self.env._("Note")
        else:
            icon, kind = "fa-comment-o", self.env._("Message")
        text = " ".join(html2plaintext(message.body or "").split())
        summary = message.subject or text
        return {
            "moment": message.date,
            "icon": icon,
            "kind": kind,
            "who": message.author_id.name or "",
            "summary": summary if len(summary) <= 140 else summary[:139] + "…",
            "url": f"/odoo/{message.model}/{message.res_id}",
            "record": message.record_name or "",
        }

    def _salesperf_interaction_of_meeting(self, meeting):
        lead = meeting.opportunity_id
        return {
            "moment": meeting.start,
            "icon": "fa-calendar",
            "kind": self.env._("Meeting"),
            "who": meeting.user_id.name or "",
            "summary": (
                self.env._("Private meeting") if meeting.privacy == "private" else meeting.name
            ),
            "url": f"/odoo/calendar.event/{meeting.id}",
            "record": lead.name if lead else "",
        }

    def _salesperf_customer_360_score(self, company):
        """The customer's latest score in the company, if the scores were
        computed."""
        score = (
            self.env["salesperf.customer.score"]
            .sudo()
            .search_fetch(
                [
                    ("partner_id", "=", self.id),
                    ("company_id", "=", company.id),
                    ("is_latest", "=", True),
                ],
                ["segment_id", "risk_status", "method", "prob_alive", "clv", "risk_reason", "date"],
                limit=1,
            )
        )
        if not score:
            return None
        statuses = dict(score._fields["risk_status"]._description_selection(self.env))
        return {
            "segment": score.segment_id.name or "",
            "status": statuses.get(score.risk_status, ""),
            "status_key": score.risk_status or "",
            "prob_alive": (round(100.0 * score.prob_alive) if score.method == "bgnbd" else None),
            # the usual-interval fallback gives no lifetime value
            "clv": (
                formatLang(self.env, score.clv, currency_obj=company.currency_id)
                if score.method == "bgnbd"
                else None
            ),
            "risk_reason": score.risk_reason or "",
            "date": format_date(self.env, score.date),
        }
