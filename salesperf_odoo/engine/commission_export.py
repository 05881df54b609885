# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Commission statements for finance: an Excel workbook and a payroll CSV.

Plain rows in (dicts keyed by the column keys below), a file out; nothing
here knows about Odoo.

**Workbook** (:func:`write_commission_workbook`). Three sheets: a summary
(one row per statement: salesperson, period, plan, commissionable amount,
target, attainment, commission, bonuses, team override, cap, adjustments,
of which clawbacks, total payable, currency, status), the detail lines with
their sources, and the adjustments of closed periods. It is written with
xlsxwriter's ``constant_memory`` option: each row goes to a temporary file
as soon as the next one starts, so memory stays flat whatever the number of
rows, and the rows are consumed from any iterable (a database cursor, a
generator). The price of that mode is that rows are written once, top to
bottom, which fixes the layout:

- each sheet starts with one header row, frozen, under an autofilter that
  covers the header and the data rows;
- a sheet's rows come **grouped by currency** (all the rows of one currency
  one after the other; :class:`ExportError` otherwise);
- after the data, one **total row per currency**, whose cells are
  ``=SUBTOTAL(9,H2:H41)`` over that currency's rows. ``SUBTOTAL(9, …)`` and
  not ``SUM``: it leaves out the rows the autofilter hides, so the totals
  always add up what is shown. Amounts of different currencies are never
  added together: there is no grand total when there are several currencies.
  Each formula also carries its computed value (the exact ``Decimal`` sum of
  the cells above), so readers that do not calculate formulas see the total;
- a sheet that would pass Excel's 1,048,576 rows continues on a new sheet
  (``Lines (2)``…), with its own header and totals.

Money cells get the number format of their currency (symbol before or after,
its decimal places); percentages (attainment, rates) are given as
percentages (5 means 5 %) and written as fractions with a percent format.
Text is always written as text, never interpreted as a formula.

**Payroll CSV** (:func:`write_payroll_csv`): one row per statement (a
salesperson, company and period), with the salesperson's payroll reference;
a row without one refuses the whole file before anything is written. Its
header uses fixed machine names, whatever the user's language, so that a
payroll import can map them once.
"""

import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

#: Rows of an Excel sheet, header and totals included.
EXCEL_MAX_ROWS = 1_048_576
#: Longest text an Excel cell holds.
EXCEL_MAX_TEXT = 32_767
#: Longest name of an Excel sheet, and the characters it may not contain.
SHEET_NAME_MAX = 31
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


class ExportError(ValueError):
    """The rows cannot be exported as given (English message)."""


@dataclass(frozen=True)
class CurrencyStyle:
    """How amounts of one currency look: ``1,234.50 €`` or ``$ 1,234.50``."""

    code: str
    symbol: str = ""
    position: str = "after"  # "before" | "after", as res.currency.position
    decimal_places: int = 2

    def number_format(self):
        """The Excel number format of the currency's amounts."""
        number = "#,##0" + ("." + "0" * self.decimal_places if self.decimal_places > 0 else "")
        symbol = self.symbol or self.code
        if not symbol:
            return number
        quoted = '"' + symbol.replace('"', '""') + '"'
        if self.position == "before":
            return f"{quoted} {number}"
        return f"{number} {quoted}"

    def quantum(self):
        return Decimal(1).scaleb(-max(self.decimal_places, 0))


@dataclass(frozen=True)
class Column:
    """One column of a sheet. ``kind``: text, date, money, percent or integer.
    ``total``: the column gets a SUBTOTAL in each currency's total row."""

    key: str
    label: str
    kind: str = "text"
    width: float = 14
    total: bool = False


SUMMARY_COLUMNS = (
    Column("statement", "Statement", width=34),
    Column("salesperson", "Salesperson", width=24),
    Column("payroll_ref", "Payroll Reference", width=16),
    Column("company", "Company", width=22),
    Column("date_from", "Period Start", "date", 12),
    Column("date_to", "Period End", "date", 12),
    Column("plan", "Plan", width=24),
    Column("base_amount", "Commissionable Amount", "money", 17, True),
    Column("target_amount", "Target", "money", 15, True),
    Column("attainment", "Attainment", "percent", 11),
    Column("commission_amount", "Commission", "money", 15, True),
    Column("bonus_amount", "Bonuses", "money", 14, True),
    Column("override_amount", "Team Override", "money", 14, True),
    Column("cap_amount", "Cap", "money", 13, True),
    Column("adjustment_amount", "Adjustments", "money", 14, True),
    Column("clawback_amount", "of which Clawbacks", "money", 14, True),
    Column("total_amount", "Total Payable", "money", 16, True),
    Column("currency", "Currency", width=9),
    Column("state", "Status", width=16),
)

LINE_COLUMNS = (
    Column("statement", "Statement", width=34),
    Column("salesperson", "Salesperson", width=24),
    Column("date_from", "Period Start", "date", 12),
    Column("kind", "Kind", width=14),
    Column("rule", "Rule", width=20),
    Column("date", "Date", "date", 12),
    Column("document", "Document", width=18),
    Column("source_model", "Source Model", width=22),
    Column("source_id", "Source ID", "integer", 10),
    Column("customer", "Customer", width=24),
    Column("product", "Product", width=26),
    Column("base", "Base", "money", 15, True),
    Column("rate", "Rate", "percent", 9),
    Column("amount", "Amount", "money", 15, True),
    Column("currency", "Currency", width=9),
    Column("note", "Explanation", width=50),
    Column("corrected_statement", "Corrects Statement", width=34),
)

ADJUSTMENT_COLUMNS = (
    Column("statement", "Statement", width=34),
    Column("salesperson", "Salesperson", width=24),
    Column("date_from", "Period Start", "date", 12),
    Column("corrected_statement", "Corrects Statement", width=34),
    Column("date", "Date", "date", 12),
    Column("document", "Document", width=18),
    Column("rule", "Rule", width=20),
    Column("base", "Base", "money", 15, True),
    Column("amount", "Amount", "money", 15, True),
    Column("currency", "Currency", width=9),
    Column("manual", "Manual Correction", width=10),
    Column("note", "Explanation", width=50),
)

#: The payroll file's columns: fixed machine names, stable across languages.
PAYROLL_COLUMNS = (
    "payroll_ref",
    "salesperson",
    "login",
    "company",
    "period_start",
    "period_end",
    "currency",
    "total_payable",
    "statement",
    "statement_id",
    "status",
)

#: Default (English) sheet names and words; the caller passes translations.
DEFAULT_LABELS = {
    "summary_sheet": "Summary",
    "lines_sheet": "Lines",
    "adjustments_sheet": "Adjustments",
    "total": "Total",
}


@dataclass
class SheetStats:
    """What was written for one table (possibly over several sheets)."""

    sheets: list = field(default_factory=list)
    rows: int = 0
    #: ``{currency: {column key: Decimal}}``: the totals written
    totals: dict = field(default_factory=dict)


@dataclass
class WorkbookStats:
    summary: SheetStats
    lines: SheetStats
    adjustments: SheetStats


# ----------------------------------------------------------------------
# WORKBOOK
# ----------------------------------------------------------------------


def sheet_name(label, taken=()):
    """``label`` made a valid Excel sheet name, unique among ``taken``."""
    name = SHEET_NAME_FORBIDDEN.sub(" ", str(label)).strip().strip("'")[:SHEET_NAME_MAX]
    name = name or "Sheet"
    candidate, number = name, 1
    lowered = {t.lower() for t in taken}
    while candidate.lower() in lowered:
        number += 1
        suffix = f" ({number})"
        candidate = name[: SHEET_NAME_MAX - len(suffix)] + suffix
    return candidate


def _decimal(value):
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


class _Formats:
    """The workbook's cell formats, made once each."""

    def __init__(self, workbook, currencies):
        self.workbook = workbook
        self.currencies = dict(currencies or {})
        self.header = workbook.add_format(
            {
                "bold": True,
                "bg_color": "#D9E1F2",
                "bottom": 1,
                "text_wrap": True,
                "valign": "top",
            }
        )
        self.date = workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.percent = workbook.add_format({"num_format": "0.00##%"})
        self.integer = workbook.add_format({"num_format": "0"})
        self.total_label = workbook.add_format({"bold": True, "top": 1})
        self.total_blank = workbook.add_format({"top": 1})
        self._money = {}

    def style(self, code):
        style = self.currencies.get(code)
        if style is None:
            style = self.currencies[code] = CurrencyStyle(code=code or "")
        return style

    def money(self, code, bold=False):
        key = (code, bold)
        if key not in self._money:
            properties = {"num_format": self.style(code).number_format()}
            if bold:
                properties.update(bold=True, top=1)
            self._money[key] = self.workbook.add_format(properties)
        return self._money[key]


class _Table:
    """Writes one table of rows, grouped by currency, on one or more sheets."""

    def __init__(self, workbook, formats, name, columns, labels, max_rows, freeze_columns):
        if max_rows < 3:
            raise ExportError("A sheet needs room for a header, a row and a total.")
        self.workbook = workbook
        self.formats = formats
        self.name = name
        self.columns = columns
        self.labels = labels
        self.max_rows = max_rows
        self.freeze_columns = freeze_columns
        self.money_columns = [
            (index, column) for index, column in enumerate(columns) if column.kind == "money"
        ]
        self.total_columns = [column.key for column in columns if column.total]
        self.currency_index = next(
            (index for index, column in enumerate(columns) if column.key == "currency"), None
        )
        self.stats = SheetStats()
        self.closed_currencies = set()
        self.sheet = None
        self._open_sheet()

    # -- sheets --------------------------------------------------------

    def _open_sheet(self):
        taken = [sheet.get_name() for sheet in self.workbook.worksheets()]
        label = (
            self.name if not self.stats.sheets else f"{self.name} ({len(self.stats.sheets) + 1})"
        )
        self.sheet = self.workbook.add_worksheet(sheet_name(label, taken))
        self.stats.sheets.append(self.sheet.get_name())
        self.row = 1
        self.blocks = []  # [currency, first row, last row, {column: Decimal}]
        for index, column in enumerate(self.columns):
            self.sheet.set_column(index, index, column.width)
            self.sheet.write_string(
                0, index, self.labels.get(column.key, column.label), self.formats.header
            )
        self.sheet.set_row(0, 30)
        self.sheet.freeze_panes(1, self.freeze_columns)

    def _close_sheet(self):
        last_data_row = self.row - 1
        self.sheet.autofilter(0, 0, last_data_row, len(self.columns) - 1)
        for currency, first, last, sums in self.blocks:
            self._write_total(currency, first, last, sums)
            totals = self.stats.totals.setdefault(currency, {})
            for key, value in sums.items():
                totals[key] = totals.get(key, Decimal(0)) + value

    def _write_total(self, currency, first, last, sums):
        """One total row of ``currency`` over the rows ``first..last``."""
        row = self.row
        total_label = self.labels.get("total", DEFAULT_LABELS["total"])
        for index, column in enumerate(self.columns):
            if index == 0:
                self.sheet.write_string(
                    row, 0, f"{total_label} {currency}".strip(), self.formats.total_label
                )
            elif column.total:
                letter = xl_col_to_name(index)
                self.sheet.write_formula(
                    row,
                    index,
                    f"=SUBTOTAL(9,{letter}{first + 1}:{letter}{last + 1})",
                    self.formats.money(currency, bold=True),
                    float(sums[column.key]),
                )
            elif index == self.currency_index:
                self.sheet.write_string(row, index, currency, self.formats.total_label)
            else:
                self.sheet.write_blank(row, index, None, self.formats.total_blank)
        self.row += 1

    # -- rows ----------------------------------------------------------

    def add_row(self, values):
        currency = values.get("currency") or ""
        current = self.blocks[-1][0] if self.blocks else None
        if currency != current and currency in self.closed_currencies:
            raise ExportError(
                f"The rows of the {self.name!r} sheet are not grouped by currency: "
                f"{currency!r} comes back after other currencies."
            )
        new_block = currency != current
        # this row, then a total row for each currency of the sheet
        if self.row + 1 + len(self.blocks) + new_block > self.max_rows:
            self._close_sheet()
            self._open_sheet()
            new_block = True
        if new_block:
            if current is not None:
                self.closed_currencies.add(current)
            self.blocks.append(
                [currency, self.row, self.row, {key: Decimal(0) for key in self.total_columns}]
            )
        block = self.blocks[-1]
        self._write_cells(values, currency, block[3])
        block[2] = self.row
        self.row += 1
        self.stats.rows += 1

    def _write_cells(self, values, currency, sums):
        sheet, formats, row = self.sheet, self.formats, self.row
        for index, column in enumerate(self.columns):
            value = values.get(column.key)
            if value is None or value is False or value == "":
                continue
            kind = column.kind
            if kind == "money":
                amount = _decimal(value)
                sheet.write_number(row, index, float(amount), formats.money(currency))
                if column.total:
                    sums[column.key] += amount
            elif kind == "percent":
                sheet.write_number(row, index, float(_decimal(value) / 100), formats.percent)
            elif kind == "integer":
                sheet.write_number(row, index, int(value), formats.integer)
            elif kind == "date" and isinstance(value, date):
                sheet.write_datetime(row, index, value, formats.date)
            else:
                sheet.write_string(row, index, str(value)[:EXCEL_MAX_TEXT])

    def close(self):
        self._close_sheet()
        return self.stats


def write_commission_workbook(
    target,
    summary_rows,
    line_rows=(),
    adjustment_rows=(),
    currencies=None,
    labels=None,
    max_rows=EXCEL_MAX_ROWS,
    tmpdir=None,
):
    """Write the commission workbook to ``target`` (a path or a binary file
    object) and return its :class:`WorkbookStats`.

    ``summary_rows``, ``line_rows`` and ``adjustment_rows`` are iterables of
    dicts keyed by the keys of :data:`SUMMARY_COLUMNS`, :data:`LINE_COLUMNS`
    and :data:`ADJUSTMENT_COLUMNS`, each grouped by ``currency``; they are
    read once, in order, and never held in memory. ``currencies`` maps a
    currency code to its :class:`CurrencyStyle`. ``labels`` maps column keys
    and ``summary_sheet``, ``lines_sheet``, ``adjustments_sheet`` and
    ``total`` to the caller's (translated) words.
    """
    labels = {**DEFAULT_LABELS, **(labels or {})}
    options = {"constant_memory": True}
    if tmpdir:
        options["tmpdir"] = tmpdir
    workbook = xlsxwriter.Workbook(target, options)
    try:
        formats = _Formats(workbook, currencies)
        tables = {}
        for key, sheet_key, columns, rows, freeze in (
            ("summary", "summary_sheet", SUMMARY_COLUMNS, summary_rows, 2),
            ("lines", "lines_sheet", LINE_COLUMNS, line_rows, 2),
            ("adjustments", "adjustments_sheet", ADJUSTMENT_COLUMNS, adjustment_rows, 2),
        ):
            table = _Table(workbook, formats, labels[sheet_key], columns, labels, max_rows, freeze)
            for values in rows:
                table.add_row(values)
            tables[key] = table.close()
    finally:
        workbook.close()
    return WorkbookStats(**tables)


# ----------------------------------------------------------------------
# PAYROLL CSV
# ----------------------------------------------------------------------

#: Characters that make a spreadsheet read a CSV cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value):
    """Text as is, but never a formula when the file is opened in a
    spreadsheet: a leading ``=``, ``+``, ``-``, ``@`` gets a quote."""
    text = "" if value is None or value is False else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _csv_date(value):
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat() if isinstance(value, date) else _csv_text(value)


def missing_payroll_refs(rows):
    """Salespeople (names, sorted, once each) of ``rows`` without a payroll reference."""
    return sorted(
        {
            str(row.get("salesperson") or "")
            for row in rows
            if not str(row.get("payroll_ref") or "").strip()
        }
    )


def write_payroll_csv(target, rows, currencies=None, delimiter=","):
    """Write the payroll file to ``target`` (a path, or a text file object
    opened with ``newline=""``) and return the number of rows written.

    ``rows`` are summary rows (see :data:`SUMMARY_COLUMNS`, plus ``login``
    and ``statement_id``): one per statement. Amounts are plain decimals
    (``-1234.50``: a point, no thousands separator) with the currency's
    decimal places, dates ISO. Every row needs a ``payroll_ref``; otherwise
    :class:`ExportError` names the salespeople without one and nothing is
    written.
    """
    rows = list(rows)
    missing = missing_payroll_refs(rows)
    if missing:
        raise ExportError("No payroll reference for: " + ", ".join(missing))
    currencies = dict(currencies or {})
    records = []
    for row in rows:
        code = row.get("currency") or ""
        style = currencies.get(code) or CurrencyStyle(code=code)
        total = _decimal(row.get("total_amount") or 0).quantize(
            style.quantum(), rounding=ROUND_HALF_UP
        )
        records.append(
            [
                _csv_text(str(row["payroll_ref"]).strip()),
                _csv_text(row.get("salesperson")),
                _csv_text(row.get("login")),
                _csv_text(row.get("company")),
                _csv_date(row.get("date_from")),
                _csv_date(row.get("date_to")),
                _csv_text(code),
                f"{total:f}",
                _csv_text(row.get("statement")),
                str(row.get("statement_id") or ""),
                _csv_text(row.get("state_code") or row.get("state")),
            ]
        )
    if isinstance(target, str):
        with open(target, "w", encoding="utf-8", newline="") as handle:
            _write_csv_records(handle, records, delimiter)
    else:
        _write_csv_records(target, records, delimiter)
    return len(records)


def _write_csv_records(handle, records, delimiter):
    writer = csv.writer(handle, delimiter=delimiter)
    writer.writerow(PAYROLL_COLUMNS)
    writer.writerows(records)
