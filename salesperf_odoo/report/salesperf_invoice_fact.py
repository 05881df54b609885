# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import api, fields, models
from odoo.tools import SQL


class SalesperfInvoiceFact(models.Model):
    """One row per invoiced line: what was billed, when and by whom.

    Read-only reporting model (like ``salesperf.sale.fact``, with the same
    column names where they mean the same): the product lines
    (``display_type = 'product'``, down payments included: they are billed)
    of posted customer invoices and credit notes, dated by their invoice
    date, which is a calendar day already. Credit notes count negative.

    - ``revenue`` is the untaxed amount in company currency at the rate of
      the invoice date, as the invoice booked it (``-balance``).
    - ``margin`` is ``revenue`` minus the cost: the linked sale order line's
      ``purchase_price`` converted to company currency with its order's
      ``currency_rate``, × the invoiced quantity (negative on credit notes),
      when the line comes from a sale order line; otherwise the product's
      cost (``standard_price`` for the invoice's company) × the quantity in
      the product's unit of measure, negative on credit notes.
    - ``quantity`` is in the product's unit of measure, negative on credit notes.
    - ``user_id`` is the invoice's salesperson, ``team_id`` its sales team.
    """

    _name = "salesperf.invoice.fact"
    _description = "Sales Performance Invoice Facts"
    _auto = False
    _rec_name = "move_name"
    _order = "date desc, id desc"

    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    move_name = fields.Char(string="Invoice Number", readonly=True)
    move_type = fields.Selection(
        [("out_invoice", "Customer Invoice"), ("out_refund", "Customer Credit Note")],
        string="Type",
        readonly=True,
    )
    date = fields.Date(string="Invoice Date", readonly=True)
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
    sale_line_id = fields.Many2one("sale.order.line", string="Sales Order Line", readonly=True)
    order_id = fields.Many2one("sale.order", string="Sales Order", readonly=True)
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
        return SQL(
            """SELECT facts.*, facts.margin / NULLIF(facts.revenue, 0) * 100 AS margin_percent
            FROM (%s) facts""",
            self._invoice_fact_query(),
        )

    @api.model
    def _read_group_select(self, aggregate_spec, query):
        """Margin % of a group: its margin over its revenue (see
        ``salesperf.sale.fact._read_group_select``)."""
        if aggregate_spec.split(":")[0] == "margin_percent":
            return SQL(
                "SUM(%s) / NULLIF(SUM(%s), 0) * 100",
                self._field_to_sql(self._table, "margin", query),
                self._field_to_sql(self._table, "revenue", query),
            )
        return super()._read_group_select(aggregate_spec, query)

    @api.model
    def _invoice_fact_query(self, where=None):
        """The ``SELECT`` of the facts, optionally narrowed by ``where`` (an
        ``SQL`` condition on ``doc`` (account_move) and ``line``
        (account_move_line)), so that a caller reading a few invoices lets
        the database narrow them before reading their lines."""
        sale_facts = self.env["salesperf.sale.fact"]
        sign = SQL("CASE WHEN doc.move_type = 'out_refund' THEN -1 ELSE 1 END")
        quantity = sale_facts._fact_quantity_in_product_uom(SQL("line.quantity"))
        order_cost = sale_facts._fact_to_company_currency(
            SQL("COALESCE(sale_line.purchase_price, 0)"), SQL("sale_order.currency_rate")
        )
        product_cost = SQL(
            "COALESCE((product.standard_price ->> doc.company_id::text)::numeric, 0)"
        )
        cost = SQL(
            """%(sign)s * CASE WHEN sale_line.id IS NOT NULL
                THEN %(order_cost)s * line.quantity
                ELSE %(product_cost)s * %(quantity)s
            END""",
            sign=sign,
            order_cost=order_cost,
            product_cost=product_cost,
            quantity=quantity,
        )
        return SQL(
            """SELECT line.id::bigint AS id,
                doc.id AS move_id,
                doc.name AS move_name,
                doc.move_type AS move_type,
                doc.invoice_date AS date,
                doc.company_id AS company_id,
                company.currency_id AS currency_id,
                doc.team_id AS team_id,
                doc.invoice_user_id AS user_id,
                doc.partner_id AS partner_id,
                doc.commercial_partner_id AS commercial_partner_id,
                customer.country_id AS country_id,
                line.product_id AS product_id,
                product.product_tmpl_id AS product_tmpl_id,
                template.categ_id AS categ_id,
                sale_line.id AS sale_line_id,
                sale_line.order_id AS order_id,
                %(sign)s * %(quantity)s AS quantity,
                -line.balance AS revenue,
                -line.balance - %(cost)s AS margin
            FROM account_move_line line
            JOIN account_move doc ON doc.id = line.move_id
            LEFT JOIN res_partner customer ON customer.id = doc.partner_id
            JOIN res_company company ON company.id = doc.company_id
            %(product_joins)s
            LEFT JOIN LATERAL (
                SELECT MIN(rel.order_line_id) AS order_line_id
                FROM sale_order_line_invoice_rel rel
                WHERE rel.invoice_line_id = line.id
            ) sale_link ON TRUE
            LEFT JOIN sale_order_line sale_line ON sale_line.id = sale_link.order_line_id
            LEFT JOIN sale_order ON sale_order.id = sale_line.order_id
            WHERE doc.state = 'posted'
              AND doc.move_type IN ('out_invoice', 'out_refund')
              AND line.display_type = 'product'
              %(where)s
              %(flush)s""",
            sign=sign,
            quantity=quantity,
            cost=cost,
            product_joins=sale_facts._fact_product_joins(
                SQL("line.product_id"), SQL("line.product_uom_id")
            ),
            where=SQL("AND %s", where) if where is not None else SQL(),
            flush=self._invoice_fact_flush(),
        )

    @api.model
    def _invoice_fact_flush(self):
        """Empty SQL that flushes every field the facts read."""
        return self.env["salesperf.sale.fact"]._fact_flush(
            self.env["account.move"],
            [
                "name",
                "move_type",
                "state",
                "invoice_date",
                "company_id",
                "team_id",
                "invoice_user_id",
                "partner_id",
                "commercial_partner_id",
            ],
            self.env["account.move.line"],
            [
                "move_id",
                "display_type",
                "product_id",
                "product_uom_id",
                "quantity",
                "balance",
                "sale_line_ids",
            ],
            self.env["sale.order.line"],
            ["purchase_price", "order_id"],
            self.env["sale.order"],
            ["currency_rate"],
            self.env["res.company"],
            ["currency_id"],
            self.env["res.partner"],
            ["country_id"],
            self.env["product.product"],
            ["product_tmpl_id", "standard_price"],
            self.env["product.template"],
            ["categ_id", "uom_id"],
            self.env["uom.uom"],
            ["factor"],
        )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_open_source(self):
        """Open the invoice or credit note this fact comes from."""
        self.ensure_one()
        return self.move_id._get_records_action()
