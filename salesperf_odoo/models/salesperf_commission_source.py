# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from collections import defaultdict
from datetime import datetime, time, timedelta

from odoo import api, fields, models
from odoo.tools import SQL

#: What a salesperson is credited with (``salesperf.commission.plan.basis``).
BASES = ("ordered", "invoiced", "collected")
#: Which amount of a credited line counts (``salesperf.commission.plan.measure``).
COMMISSION_MEASURES = ("revenue", "margin")


class SalesperfCommissionSource(models.AbstractModel):
    """The lines a salesperson is credited with over a period.

    Three bases:

    - ``ordered``: the sold lines of ``salesperf.sale.fact`` (confirmed sale
      order lines, paid Point of Sale lines, imported lines), by their
      company-local order date;
    - ``invoiced``: the lines of ``salesperf.invoice.fact`` (posted customer
      invoices and credit notes, credit notes negative), by invoice date;
    - ``collected``: for each reconciliation (``account.partial.reconcile``)
      of an invoice's receivable line with a payment (a payment's entry or
      a bank statement line; a credit note, an exchange difference or a
      write-off entry is no payment), each line of the invoice × the part
      of the invoice that reconciliation paid, dated by the payment's date.
      The part paid is measured in the invoice's currency (reconciled amount
      in that currency / the invoice's total): a payment of 40 % of an
      invoice credits 40 % of its lines, valued as the invoice booked them,
      whatever the rate of the payment's day.

    Credit goes to the salespeople of the order's ``salesperf.commission.split``
    lines (for invoices and payments: the order of each invoiced line), each
    with its share, when the order has some; else 100 % to the document's
    salesperson (the order's, the invoice's, the Point of Sale order's, the
    imported line's). Lines of nobody are credited to nobody.

    No access rule applies (SQL): callers decide who may read whose lines.
    """

    _name = "salesperf.commission.source"
    _description = "Commission Source Lines"

    # ------------------------------------------------------------
    # PUBLIC API
    # ------------------------------------------------------------

    @api.model
    def _commission_sources(self, company, date_from, date_to, basis, measure, users=None):
        """``{user_id: [dict, ...]}`` of the credited lines of salespeople
        ``users`` (``res.users`` recordset, ``None`` = every salesperson) in
        ``company`` whose company-local date is in ``[date_from, date_to]``.

        One SQL query whatever the number of users and lines; each user's
        lines are in ``(date, source_model, source_id)`` order. Each dict:

        - ``key`` (str): unique per user, e.g. ``"sale.order.line,42"``,
          ``"account.move.line,7"``, ``"account.partial.reconcile,5,account.move.line,7"``
        - ``source_model``, ``source_id``: the record a statement line points
          to (``sale.order.line`` / ``pos.order.line`` /
          ``salesperf.external.sale`` / ``account.move.line`` /
          ``account.partial.reconcile``)
        - ``document`` (str): the order, invoice or payment name
        - ``origin`` (str): what the document settles: the invoice of a
          payment, the invoice a credit note reverses, else ``""``
        - ``date`` (date): company-local
        - ``amount`` (float): credited revenue or margin (``measure``) in
          company currency, after the split share
        - ``revenue``, ``margin`` (float): the whole line's, before the share
        - ``share`` (float, 0..1)
        - ``product_id``, ``categ_id``, ``partner_id`` (the customer's
          commercial entity), ``team_id``: ids or ``False``
        - ``order_key`` (str): groups the lines of one order (ordered) or
          invoice (invoiced, collected), e.g. ``"sale.order,3"``, ``"account.move,8"``
        - ``is_new_customer`` (bool): the customer's first sold line
          (ordered, any channel, as the KPI "New customers") or first posted
          invoice (invoiced, collected) in the company is dated in
          ``[date_from, date_to]``
        """
        if basis not in BASES:
            raise ValueError(f"Unknown commission basis {basis!r}")
        if measure not in COMMISSION_MEASURES:
            raise ValueError(f"Unknown commission measure {measure!r}")
        company.ensure_one()
        date_from = fields.Date.to_date(date_from)
        date_to = fields.Date.to_date(date_to)
        lines, first_dates = {
            "ordered": self._commission_query_ordered,
            "invoiced": self._commission_query_invoiced,
            "collected": self._commission_query_collected,
        }[basis](company, date_from, date_to)
        query = SQL(
            """WITH lines AS (%(lines)s),
            first_dates AS (%(first_dates)s)
            SELECT lines.*,
                COALESCE(split.user_id, lines.user_id) AS credited_user_id,
                COALESCE(split.share, 100.0) / 100.0 AS share,
                COALESCE(first_dates.first_date >= %(date_from)s, FALSE) AS is_new_customer
            FROM lines
            LEFT JOIN salesperf_commission_split split ON split.order_id = lines.order_id
            LEFT JOIN first_dates ON first_dates.partner_id = lines.partner_id
            WHERE COALESCE(split.user_id, lines.user_id) IS NOT NULL
              %(users)s
            ORDER BY lines.date, lines.source_model, lines.source_id, credited_user_id
            %(flush)s""",
            lines=lines,
            first_dates=first_dates,
            date_from=date_from,
            users=(
                SQL("AND COALESCE(split.user_id, lines.user_id) IN %s", tuple(users.ids) or (None,))
                if users is not None
                else SQL()
            ),
            flush=self._commission_flush(
                self.env["salesperf.commission.split"], ["order_id", "user_id", "share"]
            ),
        )
        result = defaultdict(list)
        for row in self.env.execute_query_dict(query):
            share = row["share"]
            result[row["credited_user_id"]].append(
                {
                    "key": row["key"],
                    "source_model": row["source_model"],
                    "source_id": row["source_id"],
                    "document": row["document"] or "",
                    "origin": row["origin"] or "",
                    "date": row["date"],
                    "amount": row[measure] * share,
                    "revenue": row["revenue"],
                    "margin": row["margin"],
                    "share": share,
                    "product_id": row["product_id"] or False,
                    "categ_id": row["categ_id"] or False,
                    "partner_id": row["partner_id"] or False,
                    "team_id": row["team_id"] or False,
                    "order_key": row["order_key"],
                    "is_new_customer": row["is_new_customer"],
                }
            )
        return dict(result)

    @api.model
    def _commission_category_parents(self, categ_ids):
        """``{categ_id: (categ_id, parent_id, grand-parent id, ...)}``, the
        category then its parents, nearest first, in one query."""
        categ_ids = [categ_id for categ_id in set(categ_ids) if categ_id]
        if not categ_ids:
            return {}
        rows = self.env.execute_query(
            SQL(
                "SELECT id, parent_path FROM product_category WHERE id IN %s%s",
                tuple(categ_ids),
                self._commission_flush(self.env["product.category"], ["parent_path"]),
            )
        )
        return {
            categ_id: tuple(int(part) for part in reversed(parent_path.strip("/").split("/")))
            for categ_id, parent_path in rows
        }

    # ------------------------------------------------------------
    # SOURCES
    # ------------------------------------------------------------
    # Each returns ``(lines, first_dates)``: the SELECT of the period's lines
    # with the columns key, source_model, source_id, document, origin, date,
    # revenue, margin, product_id, categ_id, partner_id, team_id, order_key,
    # user_id (the document's salesperson) and order_id (the sale order whose
    # split applies, or NULL), and the SELECT of (partner_id, first_date) of
    # their customers. ``lines`` may be referred to in ``first_dates``.

    @api.model
    def _commission_query_ordered(self, company, date_from, date_to):
        """The sold lines of the sales facts, split along their sale order."""
        facts_query = self.env["salesperf.sale.fact"]._table_query
        # the order time a day wider on each side of the local dates (time
        # zones span UTC-12 to UTC+14) lets the database narrow the orders
        after = datetime.combine(date_from - timedelta(days=1), time.min)
        before = datetime.combine(date_to + timedelta(days=2), time.min)
        lines = SQL(
            """SELECT facts.res_model || ',' || facts.res_id AS key,
                facts.res_model AS source_model,
                facts.res_id AS source_id,
                facts.order_name AS document,
                '' AS origin,
                facts.date AS date,
                facts.revenue AS revenue,
                facts.margin AS margin,
                facts.product_id AS product_id,
                facts.categ_id AS categ_id,
                facts.commercial_partner_id AS partner_id,
                facts.team_id AS team_id,
                facts.order_reference AS order_key,
                facts.user_id AS user_id,
                sale_line.order_id AS order_id
            FROM (%(facts)s) facts
            LEFT JOIN sale_order_line sale_line
                ON facts.source = 'sale' AND sale_line.id = facts.res_id
            WHERE facts.company_id = %(company)s
              AND facts.order_datetime >= %(after)s AND facts.order_datetime < %(before)s
              AND facts.date >= %(date_from)s AND facts.date <= %(date_to)s""",
            facts=facts_query,
            company=company.id,
            after=after,
            before=before,
            date_from=date_from,
            date_to=date_to,
        )
        first_dates = SQL(
            """SELECT facts.commercial_partner_id AS partner_id, MIN(facts.date) AS first_date
            FROM (%(facts)s) facts
            WHERE facts.company_id = %(company)s
              AND facts.commercial_partner_id IN (SELECT partner_id FROM lines)
              AND facts.order_datetime < %(before)s
              AND facts.date <= %(date_to)s
            GROUP BY facts.commercial_partner_id""",
            facts=facts_query,
            company=company.id,
            before=before,
            date_to=date_to,
        )
        return lines, first_dates

    @api.model
    def _commission_query_invoiced(self, company, date_from, date_to):
        """The invoice facts dated in the period."""
        facts_query = self.env["salesperf.invoice.fact"]._invoice_fact_query(
            SQL(
                "doc.company_id = %s AND doc.invoice_date >= %s AND doc.invoice_date <= %s",
                company.id,
                date_from,
                date_to,
            )
        )
        lines = SQL(
            """SELECT 'account.move.line,' || facts.id AS key,
                'account.move.line' AS source_model,
                facts.id AS source_id,
                facts.move_name AS document,
                -- a credit note names the invoice it reverses
                COALESCE(reversed.name, '') AS origin,
                facts.date AS date,
                facts.revenue AS revenue,
                facts.margin AS margin,
                facts.product_id AS product_id,
                facts.categ_id AS categ_id,
                facts.commercial_partner_id AS partner_id,
                facts.team_id AS team_id,
                'account.move,' || facts.move_id AS order_key,
                facts.user_id AS user_id,
                facts.order_id AS order_id
            FROM (%s) facts
            JOIN account_move move ON move.id = facts.move_id
            LEFT JOIN account_move reversed ON reversed.id = move.reversed_entry_id%s""",
            facts_query,
            self._commission_flush(self.env["account.move"], ["reversed_entry_id", "name"]),
        )
        return lines, self._commission_first_invoice_dates(company, date_to)

    @api.model
    def _commission_query_collected(self, company, date_from, date_to):
        """The invoice facts × the part of their invoice each payment of the
        period reconciled."""
        payments = SQL(
            """SELECT part.id AS partial_id,
                invoice.id AS invoice_id,
                payment.name AS payment_name,
                payment.date AS payment_date,
                CASE WHEN part.debit_move_id = invoice_line.id
                    THEN part.debit_amount_currency
                    ELSE part.credit_amount_currency
                END / NULLIF(invoice.amount_total, 0) AS paid_part
            FROM account_partial_reconcile part
            JOIN account_move_line invoice_line
                ON invoice_line.id IN (part.debit_move_id, part.credit_move_id)
            JOIN account_account account
                ON account.id = invoice_line.account_id
               AND account.account_type = 'asset_receivable'
            JOIN account_move invoice ON invoice.id = invoice_line.move_id
            JOIN account_move_line payment_line ON payment_line.id = CASE
                WHEN part.debit_move_id = invoice_line.id THEN part.credit_move_id
                ELSE part.debit_move_id
            END
            JOIN account_move payment ON payment.id = payment_line.move_id
            WHERE invoice.company_id = %(company)s
              AND invoice.state = 'posted'
              AND invoice.move_type IN ('out_invoice', 'out_refund')
              AND payment.id != invoice.id
              AND (payment.origin_payment_id IS NOT NULL OR payment.statement_line_id IS NOT NULL)
              AND payment.date >= %(date_from)s AND payment.date <= %(date_to)s
              %(flush)s""",
            company=company.id,
            date_from=date_from,
            date_to=date_to,
            flush=self._commission_flush(
                self.env["account.partial.reconcile"],
                [
                    "debit_move_id",
                    "credit_move_id",
                    "debit_amount_currency",
                    "credit_amount_currency",
                ],
                self.env["account.move.line"],
                ["account_id", "move_id"],
                self.env["account.account"],
                ["account_type"],
                self.env["account.move"],
                [
                    "name",
                    "date",
                    "state",
                    "move_type",
                    "company_id",
                    "amount_total",
                    "origin_payment_id",
                    "statement_line_id",
                ],
            ),
        )
        facts_query = self.env["salesperf.invoice.fact"]._invoice_fact_query(
            SQL("doc.id IN (SELECT invoice_id FROM payments)")
        )
        lines = SQL(
            """WITH payments AS (%(payments)s)
            SELECT 'account.partial.reconcile,' || payments.partial_id
                    || ',account.move.line,' || facts.id AS key,
                'account.partial.reconcile' AS source_model,
                payments.partial_id AS source_id,
                payments.payment_name AS document,
                facts.move_name AS origin,
                payments.payment_date AS date,
                facts.revenue * payments.paid_part AS revenue,
                facts.margin * payments.paid_part AS margin,
                facts.product_id AS product_id,
                facts.categ_id AS categ_id,
                facts.commercial_partner_id AS partner_id,
                facts.team_id AS team_id,
                'account.move,' || facts.move_id AS order_key,
                facts.user_id AS user_id,
                facts.order_id AS order_id
            FROM payments
            JOIN (%(facts)s) facts ON facts.move_id = payments.invoice_id
            WHERE payments.paid_part IS NOT NULL""",
            payments=payments,
            facts=facts_query,
        )
        return lines, self._commission_first_invoice_dates(company, date_to)

    @api.model
    def _commission_first_invoice_dates(self, company, date_to):
        """First posted customer invoice date of each customer of ``lines``."""
        return SQL(
            """SELECT doc.commercial_partner_id AS partner_id, MIN(doc.invoice_date) AS first_date
            FROM account_move doc
            WHERE doc.company_id = %(company)s
              AND doc.state = 'posted'
              AND doc.move_type = 'out_invoice'
              AND doc.commercial_partner_id IN (SELECT partner_id FROM lines)
              AND doc.invoice_date <= %(date_to)s
            GROUP BY doc.commercial_partner_id
            %(flush)s""",
            company=company.id,
            date_to=date_to,
            flush=self._commission_flush(
                self.env["account.move"],
                ["company_id", "state", "move_type", "commercial_partner_id", "invoice_date"],
            ),
        )

    @api.model
    def _commission_flush(self, *models_and_fields):
        """Empty SQL that flushes the given fields before the query runs."""
        return self.env["salesperf.sale.fact"]._fact_flush(*models_and_fields)
