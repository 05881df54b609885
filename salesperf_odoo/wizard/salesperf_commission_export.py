# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import base64
import contextlib
import io
import logging
import os
import tempfile
import time

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..engine import commission_export as export
from ..models.salesperf_commission_statement import COMMISSION_MANAGER

_logger = logging.getLogger(__name__)

#: Lines fetched from the database at a time: memory stays flat whatever
#: the number of lines.
FETCH_SIZE = 5000
#: The statement fields of the summary, read with the user's rights.
SUMMARY_FIELDS = [
    "name",
    "user_id",
    "company_id",
    "currency_id",
    "plan_id",
    "date_from",
    "date_to",
    "base_amount",
    "target_amount",
    "attainment",
    "commission_amount",
    "bonus_amount",
    "override_amount",
    "cap_amount",
    "adjustment_amount",
    "clawback_amount",
    "total_amount",
    "state",
]


class SalesperfCommissionExport(models.TransientModel):
    """Export commission statements for finance: an Excel workbook (summary,
    lines with their sources, adjustments) or the payroll CSV.

    Only Commission Managers export, and only statements that their record
    rules let them read (their allowed companies): the ids sent by the
    client are checked against those rules, never trusted. Every statement
    but a cancelled one is exported, its status in a column. One summary row
    per statement, in its company's currency; totals per currency, never
    across currencies. Lines are streamed from a server-side cursor into a
    workbook written in constant-memory mode.

    From code (a benchmark, a scheduled export)::

        wizard = env["salesperf.commission.export"].create(
            {"statement_ids": [Command.set(ids)], "file_format": "xlsx"}
        )
        wizard.action_export()  # stores file_data (base64) and file_name
        stats = wizard._write_file("/tmp/commissions.xlsx")  # or any file path
    """

    _name = "salesperf.commission.export"
    _description = "Export Commission Statements"

    statement_ids = fields.Many2many(
        "salesperf.commission.statement",
        "salesperf_commission_export_statement_rel",
        "export_id",
        "statement_id",
        string="Statements",
        default=lambda self: self._default_statement_ids(),
    )
    statement_count = fields.Integer(compute="_compute_statement_count")
    file_format = fields.Selection(
        [("xlsx", "Excel workbook"), ("csv", "Payroll file (CSV)")],
        string="Format",
        default="xlsx",
        required=True,
        help="Excel workbook: a summary per salesperson and period with totals per currency, "
        "every line with its source, and the adjustments of closed periods. Payroll file: "
        "one row per salesperson and period with their payroll reference and total payable.",
    )
    file_data = fields.Binary(string="File", attachment=False, readonly=True)
    file_name = fields.Char(readonly=True)

    @api.model
    def _default_statement_ids(self):
        context = self.env.context
        if context.get("active_model") != "salesperf.commission.statement":
            return []
        return [Command.set(context.get("active_ids") or [])]

    @api.depends("statement_ids")
    def _compute_statement_count(self):
        for wizard in self:
            wizard.statement_count = len(wizard.statement_ids)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_export(self):
        """Write the file, keep it on the wizard and download it."""
        self.ensure_one()
        started = time.monotonic()
        statements = self._checked_statements()
        file_name = self._file_name(statements)
        with tempfile.TemporaryDirectory(prefix="salesperf_export_") as tmpdir:
            path = os.path.join(tmpdir, file_name)
            stats = self._write_file(path, statements)
            with open(path, "rb") as handle:
                data = base64.b64encode(handle.read())
        self.write({"file_data": data, "file_name": file_name})
        if isinstance(stats, int):
            written = f"{stats} payroll rows"
        else:
            written = f"{stats.lines.rows} lines, {stats.adjustments.rows} adjustments"
        _logger.info(
            "Commission export %s: %d statements, %s, %.1f s",
            file_name,
            len(statements),
            written,
            time.monotonic() - started,
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/file_data/{file_name}?download=true",
            "target": "download",
        }

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _checked_statements(self):
        """The selected statements, read with the user's rights: a
        Commission Manager's, of their allowed companies, none cancelled."""
        self.ensure_one()
        if not (self.env.su or self.env.user.has_group(COMMISSION_MANAGER)):
            raise AccessError(_("Only a Commission Manager exports commission statements."))
        # the ids as stored, unfiltered, to compare with what the record rules
        # let the user read: nothing is read through this sudo
        selected = self.sudo().with_context(active_test=False).statement_ids.ids
        if not selected:
            raise UserError(_("Select the statements to export."))
        Statement = self.env["salesperf.commission.statement"]
        statements = Statement.search([("id", "in", selected)])
        if len(statements) != len(selected):
            raise AccessError(
                _(
                    "%(count)s of the selected statements belong to companies you are not "
                    "working in (or were deleted): select your companies and the statements "
                    "again.",
                    count=len(selected) - len(statements),
                )
            )
        cancelled = statements.filtered(lambda s: s.state == "cancel")
        if cancelled:
            raise UserError(
                _(
                    "Cancelled statements are not exported: %(names)s.",
                    names=", ".join(cancelled.mapped("name")),
                )
            )
        return statements

    def _file_name(self, statements):
        first = min(statements.mapped("date_from"))
        last = max(statements.mapped("date_to"))
        period = first.strftime("%Y-%m")
        if last.strftime("%Y-%m") != period:
            period = f"{period}_{last:%Y-%m}"
        if self.file_format == "csv":
            return f"commissions_payroll_{period}.csv"
        return f"commissions_{period}.xlsx"

    def _write_file(self, target, statements=None):
        """Write the export of ``statements`` (by default the wizard's,
        checked) to ``target``, a file path or a binary file object. Returns
        the engine's :class:`~..engine.commission_export.WorkbookStats` (or
        the number of payroll rows)."""
        self.ensure_one()
        if statements is None:
            statements = self._checked_statements()
        # lines are read with SQL below: what the ORM holds must be in the database
        self.env.flush_all()
        summary = self._summary_rows(statements)
        currencies = self._currency_styles(statements)
        if self.file_format == "csv":
            return self._write_payroll(target, summary, currencies)
        info = {row["statement_id"]: row for row in summary}
        order = [row["statement_id"] for row in summary]
        with (
            contextlib.closing(self._line_rows(statements, order, info)) as lines,
            contextlib.closing(self._adjustment_rows(statements, order, info)) as adjustments,
        ):
            return export.write_commission_workbook(
                target,
                summary,
                lines,
                adjustments,
                currencies=currencies,
                labels=self._labels(),
            )

    def _write_payroll(self, target, summary, currencies):
        missing = export.missing_payroll_refs(summary)
        if missing:
            raise UserError(
                _(
                    "These salespeople have no payroll reference: %(names)s. Set it on their "
                    "user (Commissions ▸ Payroll References) and export again.",
                    names=", ".join(missing),
                )
            )
        if isinstance(target, str):
            return export.write_payroll_csv(target, summary, currencies)
        # a binary file object gets UTF-8 text, and is left open
        handle = io.TextIOWrapper(target, encoding="utf-8", newline="")
        try:
            return export.write_payroll_csv(handle, summary, currencies)
        finally:
            handle.flush()
            handle.detach()

    # ------------------------------------------------------------
    # ROWS
    # ------------------------------------------------------------

    def _summary_rows(self, statements):
        """One row per statement, grouped by currency, then by period and
        salesperson: the order of every sheet."""
        states = dict(
            self.env["salesperf.commission.statement"]
            ._fields["state"]
            ._description_selection(self.env)
        )
        users = {
            user["id"]: user
            for user in statements.user_id.with_context(active_test=False).read(
                ["login", "salesperf_payroll_ref"]
            )
        }
        currencies = {
            currency["id"]: currency["name"] for currency in statements.currency_id.read(["name"])
        }
        rows = []
        for values in statements.read(SUMMARY_FIELDS):
            user = users[values["user_id"][0]]
            has_target = bool(values["target_amount"])
            rows.append(
                {
                    "statement_id": values["id"],
                    "statement": values["name"],
                    "salesperson": values["user_id"][1],
                    "payroll_ref": (user["salesperf_payroll_ref"] or "").strip(),
                    "login": user["login"],
                    "company": values["company_id"][1],
                    "date_from": values["date_from"],
                    "date_to": values["date_to"],
                    "plan": values["plan_id"] and values["plan_id"][1],
                    "base_amount": values["base_amount"],
                    "target_amount": values["target_amount"] if has_target else None,
                    "attainment": values["attainment"] if has_target else None,
                    "commission_amount": values["commission_amount"],
                    "bonus_amount": values["bonus_amount"],
                    "override_amount": values["override_amount"],
                    "cap_amount": values["cap_amount"],
                    "adjustment_amount": values["adjustment_amount"],
                    "clawback_amount": values["clawback_amount"],
                    "total_amount": values["total_amount"],
                    "currency": currencies[values["currency_id"][0]],
                    "state": states[values["state"]],
                    "state_code": values["state"],
                }
            )
        rows.sort(
            key=lambda row: (
                row["currency"],
                row["date_from"],
                (row["salesperson"] or "").lower(),
                row["company"],
                row["statement_id"],
            )
        )
        return rows

    def _currency_styles(self, statements):
        return {
            currency.name: export.CurrencyStyle(
                code=currency.name,
                symbol=currency.symbol or "",
                position=currency.position,
                decimal_places=currency.decimal_places,
            )
            for currency in statements.currency_id
        }

    def _line_query(self, statements, order, adjustments_only=False):
        """The lines of ``statements`` in the summary's ``order`` (then by
        kind, date, id), through the record rules of the user, with their
        customer, product and corrected statement."""
        Line = self.env["salesperf.commission.line"]
        domain = [("statement_id", "in", statements.ids)]
        if adjustments_only:
            domain.append(("kind", "=", "adjustment"))
        query = Line._search(domain)
        line = query.table
        query.add_join(
            "JOIN",
            "export_order",
            SQL(
                "(SELECT * FROM unnest(%s::int[]) WITH ORDINALITY AS ordered(statement_id, seq))",
                order,
            ),
            SQL('"export_order"."statement_id" = %s', SQL.identifier(line, "statement_id")),
        )
        query.add_join(
            "LEFT JOIN",
            "export_partner",
            "res_partner",
            SQL('"export_partner"."id" = %s', SQL.identifier(line, "partner_id")),
        )
        query.add_join(
            "LEFT JOIN",
            "export_product",
            "product_product",
            SQL('"export_product"."id" = %s', SQL.identifier(line, "product_id")),
        )
        query.add_join(
            "LEFT JOIN",
            "export_template",
            "product_template",
            SQL('"export_template"."id" = "export_product"."product_tmpl_id"'),
        )
        query.order = SQL(
            '"export_order"."seq", %s, %s, %s',
            SQL.identifier(line, "kind"),
            SQL.identifier(line, "date"),
            SQL.identifier(line, "id"),
        )
        lang = self.env.lang or "en_US"
        return query.select(
            SQL.identifier(line, "statement_id"),
            SQL.identifier(line, "kind"),
            SQL.identifier(line, "rule"),
            SQL.identifier(line, "date"),
            SQL.identifier(line, "document"),
            SQL.identifier(line, "source_model"),
            SQL.identifier(line, "source_id"),
            SQL('"export_partner"."name"'),
            SQL('"export_product"."default_code"'),
            SQL(
                """COALESCE("export_template"."name"->>%s, "export_template"."name"->>'en_US')""",
                lang,
            ),
            SQL.identifier(line, "base"),
            SQL.identifier(line, "rate"),
            SQL.identifier(line, "amount"),
            SQL.identifier(line, "note"),
            # a scalar subquery by primary key, not a join: right after a
            # computation the planner believes the new lines are few and
            # would scan every statement for each line
            SQL(
                "(SELECT corrected.name FROM salesperf_commission_statement corrected"
                " WHERE corrected.id = %s)",
                SQL.identifier(line, "corrected_statement_id"),
            ),
            SQL.identifier(line, "is_manual"),
        )

    def _stream(self, name, query):
        """The rows of ``query``, fetched :data:`FETCH_SIZE` at a time from a
        server-side cursor: never all in memory."""
        cursor = SQL.identifier(name)
        self.env.cr.execute(SQL("DECLARE %s NO SCROLL CURSOR FOR %s", cursor, query))
        try:
            while True:
                self.env.cr.execute(SQL("FETCH FORWARD %s FROM %s", FETCH_SIZE, cursor))
                rows = self.env.cr.fetchall()
                if not rows:
                    return
                yield from rows
        finally:
            self.env.cr.execute(SQL("CLOSE %s", cursor))

    def _line_labels(self):
        Line = self.env["salesperf.commission.line"]
        kinds = dict(Line._fields["kind"]._description_selection(self.env))
        rules = {}

        def rule_label(rule):
            if rule not in rules:
                rules[rule] = Line.new({"rule": rule}).rule_label if rule else ""
            return rules[rule]

        return kinds, rule_label

    def _line_rows(self, statements, order, info):
        kinds, rule_label = self._line_labels()
        query = self._line_query(statements, order)
        for (
            statement_id,
            kind,
            rule,
            day,
            document,
            source_model,
            source_id,
            customer,
            code,
            product,
            base,
            rate,
            amount,
            note,
            corrected,
            _manual,
        ) in self._stream("salesperf_export_lines", query):
            statement = info[statement_id]
            yield {
                "statement": statement["statement"],
                "salesperson": statement["salesperson"],
                "date_from": statement["date_from"],
                "kind": kinds.get(kind, kind),
                "rule": rule_label(rule),
                "date": day,
                "document": document,
                "source_model": source_model,
                "source_id": source_id or None,
                "customer": customer,
                "product": f"[{code}] {product}" if code and product else product,
                "base": base,
                "rate": rate if kind != "adjustment" else None,
                "amount": amount,
                "currency": statement["currency"],
                "note": note,
                "corrected_statement": corrected,
            }

    def _adjustment_rows(self, statements, order, info):
        _kinds, rule_label = self._line_labels()
        query = self._line_query(statements, order, adjustments_only=True)
        yes, no = _("Yes"), _("No")
        for (
            statement_id,
            _kind,
            rule,
            day,
            document,
            _source_model,
            _source_id,
            _customer,
            _code,
            _product,
            base,
            _rate,
            amount,
            note,
            corrected,
            manual,
        ) in self._stream("salesperf_export_adjustments", query):
            statement = info[statement_id]
            yield {
                "statement": statement["statement"],
                "salesperson": statement["salesperson"],
                "date_from": statement["date_from"],
                "corrected_statement": corrected,
                "date": day,
                "document": document,
                "rule": rule_label(rule),
                "base": base,
                "amount": amount,
                "currency": statement["currency"],
                "manual": yes if manual else no,
                "note": note,
            }

    def _labels(self):
        """Sheet names and column headers in the user's language."""
        return {
            "summary_sheet": _("Summary"),
            "lines_sheet": _("Lines"),
            "adjustments_sheet": _("Adjustments"),
            "total": _("Total"),
            "statement": _("Statement"),
            "salesperson": _("Salesperson"),
            "payroll_ref": _("Payroll Reference"),
            "company": _("Company"),
            "date_from": _("Period Start"),
            "date_to": _("Period End"),
            "plan": _("Plan"),
            "base_amount": _("Commissionable Amount"),
            "target_amount": _("Target"),
            "attainment": _("Attainment"),
            "commission_amount": _("Commission"),
            "bonus_amount": _("Bonuses"),
            "override_amount": _("Team Override"),
            "cap_amount": _("Cap"),
            "adjustment_amount": _("Adjustments"),
            "clawback_amount": _("of which Clawbacks"),
            "total_amount": _("Total Payable"),
            "currency": _("Currency"),
            "state": _("Status"),
            "kind": _("Kind"),
            "rule": _("Rule"),
            "date": _("Date"),
            "document": _("Document"),
            "source_model": _("Source Model"),
            "source_id": _("Source ID"),
            "customer": _("Customer"),
            "product": _("Product"),
            "base": _("Base"),
            "rate": _("Rate"),
            "amount": _("Amount"),
            "note": _("Explanation"),
            "corrected_statement": _("Corrects Statement"),
            "manual": _("Manual Correction"),
        }
