# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import api, fields, models
from odoo.tools import SQL

CHANNELS = [
    ("direct", "Direct Sales"),
    ("ecommerce", "E-commerce"),
    ("pos", "Point of Sale"),
    ("marketplace", "Marketplace"),
    ("other", "Other (imported)"),
]

# Each source gets its own residue of the fact id modulo 10, so that ids never
# collide and a fact can be traced back to its source line.
SOURCE_ID_SLOT = {"sale": 1, "pos": 2, "external": 3}


class SalesperfSaleFact(models.Model):
    """One row per sold line, whatever the channel.

    Read-only reporting model (like ``sale.report``): confirmed sale order
    lines, paid Point of Sale lines when ``point_of_sale`` is installed, and
    lines imported from outside Odoo. Amounts are untaxed, in the company's
    currency at the rate of the order date. Down payments, sections, notes,
    quotations and cancelled orders never count.
    """

    _name = "salesperf.sale.fact"
    _description = "Sales Performance Facts"
    _auto = False
    _rec_name = "order_name"
    _order = "date desc, id desc"

    source = fields.Selection(
        [("sale", "Sales Order"), ("pos", "Point of Sale"), ("external", "Imported")],
        readonly=True,
    )
    channel = fields.Selection(CHANNELS, readonly=True)
    res_model = fields.Char(string="Source Model", readonly=True)
    res_id = fields.Many2oneReference(string="Source Line", model_field="res_model", readonly=True)
    order_reference = fields.Char(
        string="Orders", readonly=True, aggregator="count_distinct", help="Distinct orders"
    )
    order_name = fields.Char(string="Order Reference", readonly=True)
    date = fields.Date(
        readonly=True, help="Order date in the company's time zone (its address), UTC if unset."
    )
    order_datetime = fields.Datetime(
        string="Order Time (UTC)",
        readonly=True,
        help="Filtering on it, unlike on the local date, narrows the orders before their "
        "lines are read.",
    )
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Company Currency", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    commercial_partner_id = fields.Many2one("res.partner", string="Customer Entity", readonly=True)
    country_id = fields.Many2one("res.country", string="Customer Country", readonly=True)
    product_id = fields.Many2one("product.product", string="Product Variant", readonly=True)
    product_tmpl_id = fields.Many2one("product.template", string="Product", readonly=True)
    categ_id = fields.Many2one("product.category", string="Product Category", readonly=True)
    quantity = fields.Float(readonly=True, digits="Product Unit of Measure")
    revenue = fields.Monetary(string="Untaxed Revenue", readonly=True)
    margin = fields.Monetary(readonly=True)
    margin_percent = fields.Float(
        string="Margin (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 2),
        help="Margin / untaxed revenue × 100. Grouped, it is the margin of the group over its "
        "revenue, never an average of the lines' percentages.",
    )

    # ------------------------------------------------------------
    # SQL
    # ------------------------------------------------------------

    @property
    def _table_query(self):
        union = SQL(" UNION ALL ").join(SQL("(%s)", query) for query in self._fact_source_queries())
        return SQL(
            """SELECT facts.*, facts.margin / NULLIF(facts.revenue, 0) * 100 AS margin_percent
            FROM (%s) facts%s""",
            union,
            self._fact_flush_shared(),
        )

    @api.model
    def _read_group_select(self, aggregate_spec, query):
        """Margin % of a group: its margin over its revenue, whatever the
        aggregate asked (an average of the lines' percentages would weigh a
        1-cent line like a large one)."""
        if aggregate_spec.split(":")[0] == "margin_percent":
            return SQL(
                "SUM(%s) / NULLIF(SUM(%s), 0) * 100",
                self._field_to_sql(self._table, "margin", query),
                self._field_to_sql(self._table, "revenue", query),
            )
        return super()._read_group_select(aggregate_spec, query)

    def _fact_source_queries(self):
        """Hook: the ``SELECT`` of every source, each giving the same columns.

        Override to add a source (return ``super()`` plus your query); see
        :meth:`_fact_columns` for the columns and their order.
        """
        queries = [self._fact_query_sale(), self._fact_query_external()]
        if "pos.order.line" in self.env:
            queries.append(self._fact_query_pos())
        return queries

    @api.model
    def _fact_columns(self, values):
        """``SELECT`` list from ``{column: SQL}``, in the order every source uses."""
        order = (
            "id",
            "source",
            "channel",
            "res_model",
            "res_id",
            "order_reference",
            "order_name",
            "date",
            "order_datetime",
            "company_id",
            "currency_id",
            "team_id",
            "user_id",
            "partner_id",
            "commercial_partner_id",
            "country_id",
            "product_id",
            "product_tmpl_id",
            "categ_id",
            "quantity",
            "revenue",
            "margin",
        )
        return SQL(", ").join(
            SQL("%s AS %s", values[column], SQL.identifier(column)) for column in order
        )

    @api.model
    def _fact_local_date(self, datetime_column):
        """The company-local calendar day of a UTC timestamp column."""
        return SQL(
            "(%s AT TIME ZONE 'UTC' AT TIME ZONE COALESCE(company_partner.tz, 'UTC'))::date",
            datetime_column,
        )

    @api.model
    def _fact_company_joins(self, company_column):
        return SQL(
            """JOIN res_company company ON company.id = %s
            JOIN res_partner company_partner ON company_partner.id = company.partner_id""",
            company_column,
        )

    @api.model
    def _fact_product_joins(self, product_column, uom_column):
        return SQL(
            """LEFT JOIN product_product product ON product.id = %s
            LEFT JOIN product_template template ON template.id = product.product_tmpl_id
            LEFT JOIN uom_uom line_uom ON line_uom.id = %s
            LEFT JOIN uom_uom product_uom ON product_uom.id = template.uom_id""",
            product_column,
            uom_column,
        )

    @api.model
    def _fact_to_company_currency(self, amount, rate):
        """``amount`` divided by the document's stored rate (1 when unset)."""
        return SQL("%s / COALESCE(NULLIF(%s, 0), 1.0)", amount, rate)

    @api.model
    def _fact_quantity_in_product_uom(self, quantity):
        return SQL(
            "%s / COALESCE(line_uom.factor, 1.0) * COALESCE(product_uom.factor, 1.0)", quantity
        )

    def _fact_common_columns(self, source, line_model, order_model):
        return {
            "source": SQL("%s", source),
            "res_model": SQL("%s", line_model),
            "res_id": SQL("line.id"),
            "order_reference": SQL("%s || ',' || doc.id", order_model),
            "company_id": SQL("doc.company_id"),
            "currency_id": SQL("company.currency_id"),
            "product_id": SQL("line.product_id"),
            "product_tmpl_id": SQL("product.product_tmpl_id"),
            "categ_id": SQL("template.categ_id"),
        }

    def _fact_query_sale(self):
        """Confirmed sale order lines; e-commerce when the order has a website."""
        order_model = self.env["sale.order"]
        line_model = self.env["sale.order.line"]
        if "website_id" in order_model._fields:
            channel = SQL("CASE WHEN doc.website_id IS NULL THEN 'direct' ELSE 'ecommerce' END")
        else:
            channel = SQL("'direct'")
        rate = SQL("doc.currency_rate")
        values = self._fact_common_columns("sale", "sale.order.line", "sale.order")
        values.update(
            id=SQL("line.id::bigint * 10 + %s", SOURCE_ID_SLOT["sale"]),
            channel=channel,
            order_name=SQL("doc.name"),
            date=self._fact_local_date(SQL("doc.date_order")),
            order_datetime=SQL("doc.date_order"),
            team_id=SQL("doc.team_id"),
            user_id=SQL("doc.user_id"),
            partner_id=SQL("doc.partner_id"),
            commercial_partner_id=SQL("customer.commercial_partner_id"),
            country_id=SQL("customer.country_id"),
            quantity=self._fact_quantity_in_product_uom(SQL("line.product_uom_qty")),
            revenue=self._fact_to_company_currency(SQL("line.price_subtotal"), rate),
            margin=self._fact_to_company_currency(SQL("COALESCE(line.margin, 0)"), rate),
        )
        # every order has a customer: a LEFT JOIN only lets the database skip
        # it when no customer column is read (the KPI matrix's revenue)
        return SQL(
            """SELECT %(columns)s
            FROM sale_order_line line
            JOIN sale_order doc ON doc.id = line.order_id
            LEFT JOIN res_partner customer ON customer.id = doc.partner_id
            %(company_joins)s
            %(product_joins)s
            WHERE doc.state IN %(states)s
              AND line.display_type IS NULL
              AND line.is_downpayment IS NOT TRUE
              %(flush)s""",
            columns=self._fact_columns(values),
            company_joins=self._fact_company_joins(SQL("doc.company_id")),
            product_joins=self._fact_product_joins(SQL("line.product_id"), SQL("line.product_uom")),
            states=tuple(self.env["sale.report"]._get_done_states()),
            flush=self._fact_flush(
                order_model,
                [
                    "state",
                    "date_order",
                    "currency_rate",
                    "team_id",
                    "user_id",
                    "partner_id",
                    "company_id",
                    "name",
                ],
                line_model,
                [
                    "price_subtotal",
                    "margin",
                    "product_uom_qty",
                    "product_id",
                    "product_uom",
                    "display_type",
                    "is_downpayment",
                    "order_id",
                ],
            ),
        )

    def _fact_query_pos(self):
        """Paid, posted or invoiced Point of Sale order lines."""
        order_model = self.env["pos.order"]
        rate = SQL("doc.currency_rate")
        team = SQL("doc.crm_team_id") if "crm_team_id" in order_model._fields else SQL("NULL")
        values = self._fact_common_columns("pos", "pos.order.line", "pos.order")
        values.update(
            id=SQL("line.id::bigint * 10 + %s", SOURCE_ID_SLOT["pos"]),
            channel=SQL("'pos'"),
            order_name=SQL("doc.name"),
            date=self._fact_local_date(SQL("doc.date_order")),
            order_datetime=SQL("doc.date_order"),
            team_id=SQL("%s::integer", team),
            user_id=SQL("doc.user_id"),
            partner_id=SQL("doc.partner_id"),
            commercial_partner_id=SQL("customer.commercial_partner_id"),
            country_id=SQL("customer.country_id"),
            quantity=self._fact_quantity_in_product_uom(SQL("line.qty")),
            revenue=self._fact_to_company_currency(SQL("line.price_subtotal"), rate),
            margin=self._fact_to_company_currency(
                SQL("(line.price_subtotal - COALESCE(line.total_cost, 0))"), rate
            ),
        )
        return SQL(
            """SELECT %(columns)s
            FROM pos_order_line line
            JOIN pos_order doc ON doc.id = line.order_id
            LEFT JOIN res_partner customer ON customer.id = doc.partner_id
            %(company_joins)s
            %(product_joins)s
            WHERE doc.state IN ('paid', 'done', 'invoiced')
              %(flush)s""",
            columns=self._fact_columns(values),
            company_joins=self._fact_company_joins(SQL("doc.company_id")),
            product_joins=self._fact_product_joins(SQL("line.product_id"), SQL("template.uom_id")),
            flush=self._fact_flush(
                order_model,
                ["state", "date_order", "currency_rate", "user_id", "partner_id", "company_id"],
                self.env["pos.order.line"],
                ["price_subtotal", "total_cost", "qty", "product_id", "order_id"],
            ),
        )

    def _fact_query_external(self):
        """Lines imported from outside Odoo; refunds count negative."""
        rate = SQL("line.currency_rate")
        sign = SQL("CASE WHEN line.is_refund THEN -1 ELSE 1 END")
        values = {
            "id": SQL("line.id::bigint * 10 + %s", SOURCE_ID_SLOT["external"]),
            "source": SQL("'external'"),
            "channel": SQL("line.channel"),
            "res_model": SQL("'salesperf.external.sale'"),
            "res_id": SQL("line.id"),
            "order_reference": SQL(
                "'salesperf.external.sale,' || line.company_id || ',' || line.name"
            ),
            "order_name": SQL("line.name"),
            "date": SQL("line.date"),
            "order_datetime": SQL("line.date::timestamp"),
            "company_id": SQL("line.company_id"),
            "currency_id": SQL("company.currency_id"),
            "team_id": SQL("line.team_id"),
            "user_id": SQL("line.user_id"),
            "partner_id": SQL("line.partner_id"),
            "commercial_partner_id": SQL("customer.commercial_partner_id"),
            "country_id": SQL("customer.country_id"),
            "product_id": SQL("line.product_id"),
            "product_tmpl_id": SQL("product.product_tmpl_id"),
            "categ_id": SQL("template.categ_id"),
            "quantity": SQL("%s * ABS(line.quantity)", sign),
            "revenue": self._fact_to_company_currency(
                SQL("%s * ABS(line.price_subtotal)", sign), rate
            ),
            "margin": self._fact_to_company_currency(
                SQL("%s * (ABS(line.price_subtotal) - ABS(line.cost))", sign), rate
            ),
        }
        return SQL(
            """SELECT %(columns)s
            FROM salesperf_external_sale line
            LEFT JOIN res_partner customer ON customer.id = line.partner_id
            %(company_joins)s
            %(product_joins)s
            WHERE TRUE %(flush)s""",
            columns=self._fact_columns(values),
            company_joins=self._fact_company_joins(SQL("line.company_id")),
            product_joins=self._fact_product_joins(SQL("line.product_id"), SQL("template.uom_id")),
            flush=self._fact_flush(
                self.env["salesperf.external.sale"],
                [
                    "name",
                    "date",
                    "company_id",
                    "team_id",
                    "user_id",
                    "partner_id",
                    "product_id",
                    "quantity",
                    "price_subtotal",
                    "cost",
                    "currency_rate",
                    "is_refund",
                    "channel",
                ],
            ),
        )

    @api.model
    def _fact_flush_shared(self):
        """Flush what every source joins: companies, customers, products."""
        return self._fact_flush(
            self.env["res.company"],
            ["partner_id", "currency_id"],
            self.env["res.partner"],
            ["tz", "commercial_partner_id", "country_id"],
            self.env["product.product"],
            ["product_tmpl_id"],
            self.env["product.template"],
            ["categ_id", "uom_id"],
            self.env["uom.uom"],
            ["factor"],
        )

    @api.model
    def _fact_flush(self, *models_and_fields):
        """Empty SQL that flushes the given fields before the query runs."""
        pairs = zip(models_and_fields[::2], models_and_fields[1::2], strict=True)
        return SQL().join(
            SQL(to_flush=model._fields[name]) for model, names in pairs for name in names
        )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_open_source(self):
        """Open the order (or imported line) this fact comes from."""
        self.ensure_one()
        model, res_id = self.order_reference.split(",")[0], self.res_id
        if model == "salesperf.external.sale":
            return self.env[model].browse(res_id)._get_records_action()
        return self.env[self.res_model].browse(res_id).order_id._get_records_action()
