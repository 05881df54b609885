# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import base64
import csv
import io
import math
import re
import zipfile
from collections import defaultdict
from datetime import date, datetime

try:
    import openpyxl
except ImportError:  # in Odoo's requirements: only XLSX files need it
    openpyxl = None

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import clean_context

#: Columns of an import file, in the order of the documentation: the field of
#: ``salesperf.external.sale`` each fills, the English names accepted in the header
#: (besides the field's technical name and its label in the user's language), and
#: whether the column and its value are required (the model's required fields
#: without a default).
IMPORT_COLUMNS = [
    ("external_ref", ("External Reference",), False),
    ("name", ("Order Reference",), True),
    ("date", ("Date", "Order Date"), True),
    ("user_id", ("Salesperson",), True),
    ("product_id", ("Product",), True),
    ("quantity", ("Quantity",), True),
    ("price_subtotal", ("Untaxed Amount",), True),
    ("cost", ("Cost",), False),
    ("currency_id", ("Currency",), False),
    ("is_refund", ("Refund",), False),
    ("partner_id", ("Customer",), False),
    ("team_id", ("Team", "Sales Team"), False),
    ("channel", ("Channel",), False),
    ("origin", ("Origin", "Source"), False),
]
REQUIRED_COLUMNS = [fname for fname, _names, required in IMPORT_COLUMNS if required]
COLUMN_TITLES = {fname: names[0] for fname, names, _required in IMPORT_COLUMNS}
NAME_COLUMNS = ("user_id", "product_id", "partner_id", "currency_id", "team_id")
TRUE_WORDS = {"1", "true", "yes", "y", "t", "x"}
FALSE_WORDS = {"", "0", "false", "no", "n", "f"}
CSV_SEPARATORS = (",", ";", "\t")


def _header_key(text):
    """Header names compare without case, spaces or underscores."""
    return re.sub(r"[\s_]+", "", str(text or "")).lower()


def _cell_text(value):
    """A cell as text: XLSX numbers without a spurious ``.0``, nothing as ``""``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _parse_date(value):
    """A date from an XLSX date cell or ISO text; ``ValueError`` or ``TypeError``
    otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise TypeError(value)
    return date.fromisoformat(value.strip()[:10])


def _parse_number(value):
    """A finite float from an XLSX number or text with a dot as decimal separator.

    Raises ``ValueError`` or ``TypeError`` for what is not a number,
    ``ArithmeticError`` for NaN and infinities (``float()`` accepts them).
    """
    if isinstance(value, bool):
        raise TypeError(value)
    number = float(value.strip() if isinstance(value, str) else value)
    if not math.isfinite(number):
        raise ArithmeticError(value)
    return number


class SalesperfExternalSaleImport(models.TransientModel):
    """Import a whole CSV / XLSX file of external sales, or nothing.

    Every row is checked before anything is written, and every problem is
    reported with its line in the file. Names (salespeople, products,
    customers, currencies, teams) are looked up with one search per column for
    the whole file, and conversion rates once per currency and period between
    two rate dates. The new lines are then inserted in bulk, in the transaction
    of the button's call; a line whose external reference exists in the company
    is updated instead, if it changed.
    """

    _name = "salesperf.external.sale.import"
    _description = "Import External Sales"

    file = fields.Binary(attachment=False)
    file_name = fields.Char()
    company_id = fields.Many2one("res.company", compute="_compute_company_id")
    state = fields.Selection(
        [("draft", "Upload"), ("error", "Errors"), ("done", "Imported")],
        required=True,
        default="draft",
    )
    error_message = fields.Text(string="Errors", readonly=True)
    error_count = fields.Integer(readonly=True)
    created_count = fields.Integer(string="Created", readonly=True)
    updated_count = fields.Integer(string="Updated", readonly=True)
    unchanged_count = fields.Integer(string="Unchanged", readonly=True)

    @api.depends_context("company")
    def _compute_company_id(self):
        self.company_id = self.env.company

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_import(self):
        """Check the whole file; import all of it if every row is valid, else nothing."""
        self.ensure_one()
        self.check_access("write")
        company = self._get_import_company()
        header, rows = self._read_file()
        lines, errors = self._prepare_lines(header, rows, company)
        if errors:
            errors.sort(key=lambda error: error[0])
            self.write(
                {
                    "state": "error",
                    "error_count": len(errors),
                    "error_message": "\n".join(message for _line, message in errors),
                    "created_count": 0,
                    "updated_count": 0,
                    "unchanged_count": 0,
                }
            )
        else:
            counts = self._save_lines(lines, company)
            self.write(dict(counts, state="done", error_count=0, error_message=False))
        return self._action_reopen()

    def action_view_lines(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "salesperf_odoo.salesperf_external_sale_action"
        )

    def _action_reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "name": _("Import Sales"),
        }

    # ------------------------------------------------------------
    # READING THE FILE
    # ------------------------------------------------------------

    def _get_import_company(self):
        """The user's current company: never a company sent by the client."""
        company = self.env.company
        if company not in self.env.companies:
            raise AccessError(
                _("You cannot import sales into company %(company)s.", company=company.name)
            )
        return company

    def _read_file(self):
        """Return the header cells and ``(line number, cells)`` of every non-empty row.

        Line numbers are those of the file: the header is line 1.
        """
        if not self.file:
            raise UserError(_("Choose a CSV or XLSX file to import."))
        content = base64.b64decode(self.file)
        name = (self.file_name or "").lower()
        if name.endswith(".xlsx") or (not name and content[:4] == b"PK\x03\x04"):
            rows = self._read_xlsx(content)
        elif name.endswith((".csv", ".txt")) or not name:
            rows = self._read_csv(content)
        else:
            raise UserError(
                _(
                    "File %(file)s is neither CSV nor XLSX: save it as CSV (UTF-8) or as "
                    "an Excel workbook (.xlsx).",
                    file=self.file_name,
                )
            )
        rows = [(line, cells) for line, cells in rows if any(_cell_text(c) for c in cells)]
        if not rows or rows[0][0] != 1:
            raise UserError(_("Line 1 of the file must hold the names of the columns."))
        if len(rows) == 1:
            raise UserError(_("The file has no sale below its line of column names."))
        return rows[0][1], rows[1:]

    def _read_csv(self, content):
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise UserError(_("The CSV file is neither UTF-8 nor Windows-1252 text."))
        first_line = text.split("\n", 1)[0]
        separator = max(CSV_SEPARATORS, key=first_line.count)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
        rows = []
        try:
            for cells in reader:
                # a quoted value may span lines: the row starts after the previous one
                start = reader.line_num - sum(cell.count("\n") for cell in cells)
                rows.append((start, cells))
        except csv.Error as error:
            raise UserError(
                _("Line %(line)s: %(error)s", line=reader.line_num, error=error)
            ) from error
        return rows

    def _read_xlsx(self, content):
        if openpyxl is None:
            raise UserError(_("Reading XLSX files needs the Python library openpyxl."))
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
            raise UserError(
                _("File %(file)s is not a readable XLSX workbook.", file=self.file_name)
            ) from error
        try:
            sheet = workbook.worksheets[0]
            return list(enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1))
        finally:
            workbook.close()

    # ------------------------------------------------------------
    # CHECKING THE ROWS
    # ------------------------------------------------------------

    def _prepare_lines(self, header, rows, company):
        """Return ``(lines, errors)``: the values of each row ready to be written,
        and ``(line number, message)`` for every problem found in the file."""
        columns, errors = self._map_header(header)
        if errors:
            return [], errors
        channels = self._channel_names()
        parsed = [self._parse_row(line, cells, columns, channels, errors) for line, cells in rows]
        resolved, default_teams = self._resolve_names(parsed, company)
        lines = []
        first_line_of_ref = {}
        for row in parsed:
            values = self._row_values(row, resolved, default_teams, company, errors)
            ref = values["external_ref"]
            if ref in first_line_of_ref:
                errors.append(
                    (
                        row["line"],
                        _(
                            "Line %(line)s: %(column)s '%(value)s' is already on line "
                            "%(first)s: a line of the source system is imported once.",
                            line=row["line"],
                            column=row["labels"]["external_ref"],
                            value=ref,
                            first=first_line_of_ref[ref],
                        ),
                    )
                )
            elif ref:
                first_line_of_ref[ref] = row["line"]
            lines.append(values)
        return lines, errors

    def _map_header(self, header):
        """Return ``({field: (column index, header text)}, errors)`` for the header row."""
        labels = self.env["salesperf.external.sale"].fields_get(list(COLUMN_TITLES), ["string"])
        accepted = {}
        for fname, names, _required in IMPORT_COLUMNS:
            for name in (fname, labels[fname]["string"], *names):
                accepted[_header_key(name)] = fname
        columns, errors = {}, []
        for index, cell in enumerate(header):
            text = _cell_text(cell)
            if not text:
                continue
            fname = accepted.get(_header_key(text))
            if not fname:
                errors.append((1, _("Line 1: unknown column '%(column)s'.", column=text)))
            elif fname in columns:
                errors.append((1, _("Line 1: column '%(column)s' appears twice.", column=text)))
            else:
                columns[fname] = (index, text)
        for fname in REQUIRED_COLUMNS:
            if fname not in columns:
                errors.append(
                    (1, _("Line 1: column '%(column)s' is missing.", column=COLUMN_TITLES[fname]))
                )
        if errors:
            expected = ", ".join(
                names[0] + (" *" if required else "") for _fname, names, required in IMPORT_COLUMNS
            )
            errors.append((1, _("Expected columns (* required): %(columns)s.", columns=expected)))
        return columns, errors

    @api.model
    def _channel_names(self):
        """Channel codes by lower-case code or label (English and the user's language)."""
        field = self.env["salesperf.external.sale"]._fields["channel"]
        translated = dict(field._description_selection(self.env))
        names = {}
        for code, label in field.selection:
            names[code.lower()] = names[label.lower()] = code
            names[translated.get(code, label).lower()] = code
        return names

    def _parse_row(self, line, cells, columns, channels, errors):
        """Read the cells of one row into a dict: texts, date, numbers and flags."""
        row = {"line": line, "labels": {}, "raw": {}, "text": {}}
        for fname, (index, label) in columns.items():
            value = cells[index] if index < len(cells) else None
            row["labels"][fname] = label
            row["raw"][fname] = value
            row["text"][fname] = _cell_text(value)
        for fname in REQUIRED_COLUMNS:
            if not row["text"][fname]:
                errors.append(
                    (
                        line,
                        _(
                            "Line %(line)s: %(column)s is required.",
                            line=line,
                            column=row["labels"][fname],
                        ),
                    )
                )
        self._parse_date_cell(row, errors)
        for fname in ("quantity", "price_subtotal", "cost"):
            self._parse_number_cell(row, fname, errors)
        self._parse_refund_cell(row, errors)
        self._parse_channel_cell(row, channels, errors)
        return row

    def _parse_date_cell(self, row, errors):
        row["date"] = False
        if not row["text"]["date"]:
            return
        try:
            row["date"] = _parse_date(row["raw"]["date"])
        except (TypeError, ValueError):
            errors.append(
                (
                    row["line"],
                    _(
                        "Line %(line)s: %(column)s '%(value)s' is not a date "
                        "(expected YYYY-MM-DD).",
                        line=row["line"],
                        column=row["labels"]["date"],
                        value=row["text"]["date"],
                    ),
                )
            )

    def _parse_number_cell(self, row, fname, errors):
        row[fname] = 0.0
        text = row["text"].get(fname)
        if not text:
            return
        try:
            row[fname] = _parse_number(row["raw"][fname])
        except ArithmeticError:
            errors.append(
                (
                    row["line"],
                    _(
                        "Line %(line)s: %(column)s '%(value)s' is not a finite number.",
                        line=row["line"],
                        column=row["labels"][fname],
                        value=text,
                    ),
                )
            )
        except (TypeError, ValueError):
            errors.append(
                (
                    row["line"],
                    _(
                        "Line %(line)s: %(column)s '%(value)s' is not a number "
                        "(expected e.g. 1234.56, with a dot and no thousands separator).",
                        line=row["line"],
                        column=row["labels"][fname],
                        value=text,
                    ),
                )
            )

    def _parse_refund_cell(self, row, errors):
        text = row["text"].get("is_refund", "")
        row["is_refund"] = text.lower() in TRUE_WORDS
        if text.lower() not in TRUE_WORDS | FALSE_WORDS:
            errors.append(
                (
                    row["line"],
                    _(
                        "Line %(line)s: %(column)s '%(value)s' is neither yes nor no "
                        "(expected 1 or 0, yes or no, true or false).",
                        line=row["line"],
                        column=row["labels"]["is_refund"],
                        value=text,
                    ),
                )
            )

    def _parse_channel_cell(self, row, channels, errors):
        text = row["text"].get("channel", "")
        row["channel"] = channels.get(text.lower()) if text else "other"
        if not row["channel"]:
            errors.append(
                (
                    row["line"],
                    _(
                        "Line %(line)s: %(column)s '%(value)s' is not a channel "
                        "(expected one of: %(choices)s).",
                        line=row["line"],
                        column=row["labels"]["channel"],
                        value=text,
                        choices=", ".join(sorted(set(channels.values()))),
                    ),
                )
            )

    # ------------------------------------------------------------
    # RESOLVING NAMES: one search per column for the whole file
    # ------------------------------------------------------------

    def _resolve_names(self, parsed, company):
        """Look up every name of the file, one search per column.

        Returns ``({field: {name: (id, problem)}}, {user id: default team})``
        where ``problem`` is False or a kind of problem for ``_name_problem``.
        """
        names = defaultdict(set)
        for row in parsed:
            for fname in NAME_COLUMNS:
                if row["text"].get(fname):
                    names[fname].add(row["text"][fname])
        users = self._resolve_salespeople(names["user_id"], company)
        resolved = {
            "user_id": users,
            "product_id": self._resolve_products(names["product_id"], company),
            "partner_id": self._resolve_customers(names["partner_id"], company),
            "currency_id": self._resolve_currencies(names["currency_id"]),
            "team_id": self._resolve_teams(names["team_id"], company),
        }
        salespeople = self.env["res.users"].browse(
            user_id for user_id, _problem in users.values() if user_id
        )
        # the team the model gives a line without team, and its company: one read
        default_teams = {user.id: user.sale_team_id for user in salespeople}
        salespeople.sale_team_id.mapped("company_id")
        return resolved, default_teams

    @staticmethod
    def _index(records, *fnames):
        """``{value: records}`` of ``records`` for each field of ``fnames``."""
        index = defaultdict(records.browse)
        for record in records:
            for fname in fnames:
                if record[fname]:
                    index[record[fname]] |= record
        return index

    @staticmethod
    def _pick(candidates):
        """``(id, False)`` for a single candidate, ``(False, problem kind)`` otherwise."""
        if len(candidates) == 1:
            return candidates.id, False
        return False, "ambiguous" if candidates else "unknown"

    def _resolve_salespeople(self, names, company):
        """Internal users by login, else by name; a name shared by several users
        counts only those of the company."""
        if not names:
            return {}
        users = self.env["res.users"].search_fetch(
            [("share", "=", False), "|", ("login", "in", list(names)), ("name", "in", list(names))],
            ["login", "name", "company_ids", "sale_team_id"],
        )
        by_login, by_name = self._index(users, "login"), self._index(users, "name")
        result = {}
        for name in names:
            candidates = by_login.get(name) or by_name.get(name) or users.browse()
            in_company = candidates.filtered(lambda user: company in user.company_ids)
            if len(candidates) > 1 and in_company:
                candidates = in_company
            result[name] = self._pick(candidates)
            if result[name][0] and company not in candidates.company_ids:
                result[name] = (False, "company")
        return result

    def _resolve_products(self, names, company):
        """Products of the company (or shared) by internal reference, else by name."""
        if not names:
            return {}
        products = self.env["product.product"].search_fetch(
            [
                ("company_id", "in", [False, company.id]),
                "|",
                ("default_code", "in", list(names)),
                ("name", "in", list(names)),
            ],
            ["default_code", "name"],
        )
        by_code, by_name = self._index(products, "default_code"), self._index(products, "name")
        return {
            name: self._pick(by_code.get(name) or by_name.get(name) or products.browse())
            for name in names
        }

    def _resolve_customers(self, names, company):
        """Contacts of the company (or shared) by reference, else by name or full name."""
        if not names:
            return {}
        partners = self.env["res.partner"].search_fetch(
            [
                ("company_id", "in", [False, company.id]),
                "|",
                "|",
                ("ref", "in", list(names)),
                ("name", "in", list(names)),
                ("complete_name", "in", list(names)),
            ],
            ["ref", "name", "complete_name"],
        )
        by_ref, by_name = (
            self._index(partners, "ref"),
            self._index(partners, "name", "complete_name"),
        )
        return {
            name: self._pick(by_ref.get(name) or by_name.get(name) or partners.browse())
            for name in names
        }

    def _resolve_currencies(self, codes):
        """Active currencies by ISO code, whatever the case of the file."""
        if not codes:
            return {}
        currencies = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search_fetch([("name", "in", sorted({code.upper() for code in codes}))], ["active"])
        )
        by_code = {currency.name: currency for currency in currencies}
        result = {}
        for code in codes:
            currency = by_code.get(code.upper(), currencies.browse())
            result[code] = self._pick(currency)
            if currency and not currency.active:
                result[code] = (False, "inactive")
        return result

    def _resolve_teams(self, names, company):
        """Sales teams by name; a team of another company is refused."""
        if not names:
            return {}
        teams = self.env["crm.team"].search_fetch([("name", "in", list(names))], ["company_id"])
        by_name = self._index(teams, "name")
        result = {}
        for name in names:
            candidates = by_name.get(name, teams.browse())
            own = candidates.filtered(
                lambda team: not team.company_id or team.company_id == company
            )
            result[name] = self._pick(own)
            if candidates and not own:
                result[name] = (False, "company")
        return result

    def _name_problem(self, fname, problem, **args):
        """The message of a name that does not resolve; ``args``: line, column,
        value and company."""
        messages = {
            "unknown": {
                "user_id": lambda: _(
                    "Line %(line)s: %(column)s '%(value)s': no internal user has this name "
                    "or login.",
                    **args,
                ),
                "product_id": lambda: _(
                    "Line %(line)s: %(column)s '%(value)s': no product of company %(company)s "
                    "has this internal reference or name.",
                    **args,
                ),
                "partner_id": lambda: _(
                    "Line %(line)s: %(column)s '%(value)s': no contact of company %(company)s "
                    "has this name or reference.",
                    **args,
                ),
                "currency_id": lambda: _(
                    "Line %(line)s: %(column)s '%(value)s' is not a currency code (e.g. EUR).",
                    **args,
                ),
                "team_id": lambda: _(
                    "Line %(line)s: %(column)s '%(value)s': no sales team has this name.",
                    **args,
                ),
            },
            "ambiguous": {
                "user_id": lambda: _(
                    "Line %(line)s: %(column)s '%(value)s' is the name of several users: "
                    "give their login.",
                    **args,
                ),
                "product_id": lambda: _(
                    "Line %(line)s: %(column)s '%(value)s' is the name of several products: "
                    "give the internal reference.",
                    **args,
                ),
                "partner_id": lambda: _(
                    "Line %(line)s: %(column)s '%(value)s' is the name of several contacts: "
                    "give their reference.",
                    **args,
                ),
                "team_id": lambda: _(
                    "Line %(line)s: %(column)s '%(value)s' is the name of several sales teams.",
                    **args,
                ),
            },
            "company": {
                "user_id": lambda: _(
                    "Line %(line)s: %(column)s '%(value)s' does not work for company %(company)s.",
                    **args,
                ),
                "team_id": lambda: _(
                    "Line %(line)s: %(column)s '%(value)s' belongs to another company than "
                    "%(company)s.",
                    **args,
                ),
            },
            "inactive": {
                "currency_id": lambda: _(
                    "Line %(line)s: %(column)s '%(value)s' is not active: activate the "
                    "currency first.",
                    **args,
                ),
            },
        }
        return messages[problem][fname]()

    # ------------------------------------------------------------
    # VALUES OF A ROW
    # ------------------------------------------------------------

    def _row_values(self, row, resolved, default_teams, company, errors):
        """The create / write values of a parsed row; adds its problems to ``errors``."""
        line, text = row["line"], row["text"]
        values = {
            "external_ref": text.get("external_ref") or False,
            "name": text["name"],
            "date": row["date"],
            "company_id": company.id,
            "user_id": False,
            "team_id": False,
            "partner_id": False,
            "product_id": False,
            "quantity": row["quantity"],
            "currency_id": company.currency_id.id,
            "price_subtotal": row["price_subtotal"],
            "cost": row["cost"],
            "is_refund": row["is_refund"],
            "channel": row["channel"],
            "origin": text.get("origin") or False,
        }
        for fname, matches in resolved.items():
            if not text.get(fname):
                continue
            values[fname], problem = matches[text[fname]]
            if problem:
                errors.append(
                    (
                        line,
                        self._name_problem(
                            fname,
                            problem,
                            line=line,
                            column=row["labels"][fname],
                            value=text[fname],
                            company=company.name,
                        ),
                    )
                )
        if values["user_id"] and not text.get("team_id"):
            team = default_teams[values["user_id"]]
            values["team_id"] = team.id
            if team.company_id and team.company_id != company:
                errors.append(
                    (
                        line,
                        _(
                            "Line %(line)s: the team of salesperson '%(value)s' belongs to "
                            "another company than %(company)s: give a team in a column Team.",
                            line=line,
                            value=text["user_id"],
                            company=company.name,
                        ),
                    )
                )
        self._validate_signs(row, values, errors)
        return values

    def _validate_signs(self, row, values, errors):
        """Only refunds may have negative figures (they count negative anyway)."""
        if values["is_refund"]:
            return
        for fname in ("quantity", "price_subtotal", "cost"):
            if values[fname] < 0:
                errors.append(
                    (
                        row["line"],
                        _(
                            "Line %(line)s: %(column)s %(value)s is negative but the row is "
                            "not a refund: mark it as a refund or enter a positive figure.",
                            line=row["line"],
                            column=row["labels"][fname],
                            value=row["text"][fname],
                        ),
                    )
                )

    # ------------------------------------------------------------
    # WRITING
    # ------------------------------------------------------------

    def _save_lines(self, lines, company):
        """Create the new lines in one batch and update those whose external
        reference exists in the company; unchanged lines are not written."""
        # no default_* key of the action's context may slip into the lines
        Line = self.env(context=clean_context(self.env.context))["salesperf.external.sale"]
        currencies = {
            currency.id: currency
            for currency in self.env["res.currency"].browse({v["currency_id"] for v in lines})
        }
        rates = Line._currency_rates(
            (company, currencies[values["currency_id"]], values["date"]) for values in lines
        )
        for values in lines:
            values["currency_rate"] = rates[
                company, currencies[values["currency_id"]], values["date"]
            ]
        existing = Line.browse()
        refs = [values["external_ref"] for values in lines if values["external_ref"]]
        if refs:
            existing = Line.search_fetch(
                [("company_id", "=", company.id), ("external_ref", "in", refs)], list(lines[0])
            )
        by_ref = {line.external_ref: line for line in existing}
        to_create, to_write = [], defaultdict(list)  # {changes: ids of lines}
        for values in lines:
            line = by_ref.get(values["external_ref"])
            if not line:
                to_create.append(values)
            elif changes := self._line_changes(line, values):
                to_write[tuple(sorted(changes.items()))].append(line.id)
        Line._create_imported(to_create)
        for changes, ids in to_write.items():
            Line.browse(ids).write(dict(changes))
        updated = sum(len(ids) for ids in to_write.values())
        return {
            "created_count": len(to_create),
            "updated_count": updated,
            "unchanged_count": len(existing) - updated,
        }

    @api.model
    def _line_changes(self, line, values):
        """The values that differ from ``line``, compared as the database keeps them."""
        changes = {}
        for fname, value in values.items():
            field = line._fields[fname]
            if field.type == "many2one":
                current, new = line[fname].id, value
            else:
                current, new = line[fname], field.convert_to_cache(value, line)
            if (current or False) != (new or False):
                changes[fname] = value
        # amounts are rounded to their currency: write them with it, so that the lines
        # written together share it; and write what the model would otherwise recompute
        if changes.keys() & {"price_subtotal", "cost", "currency_id"}:
            changes.update(
                currency_id=values["currency_id"],
                price_subtotal=values["price_subtotal"],
                cost=values["cost"],
            )
        if changes.keys() & {"currency_id", "date"}:
            changes["currency_rate"] = values["currency_rate"]
        if "user_id" in changes:
            changes["team_id"] = values["team_id"]
        return changes
