# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import csv
import io
import tracemalloc
from datetime import date
from decimal import Decimal as D

import openpyxl
import pytest

from engine.commission_export import (
    ADJUSTMENT_COLUMNS,
    LINE_COLUMNS,
    PAYROLL_COLUMNS,
    SUMMARY_COLUMNS,
    CurrencyStyle,
    ExportError,
    sheet_name,
    write_commission_workbook,
    write_payroll_csv,
)

EUR = CurrencyStyle("EUR", "€", "after", 2)
USD = CurrencyStyle("USD", "$", "before", 2)
JPY = CurrencyStyle("JPY", "¥", "before", 0)
CURRENCIES = {style.code: style for style in (EUR, USD, JPY)}

JANUARY = (date(2026, 1, 1), date(2026, 1, 31))


def summary_row(statement, salesperson, currency, total, **values):
    row = {
        "statement": statement,
        "salesperson": salesperson,
        "payroll_ref": f"P-{salesperson}",
        "login": f"{salesperson.lower()}@example.com",
        "company": "Acme",
        "date_from": JANUARY[0],
        "date_to": JANUARY[1],
        "plan": "Standard",
        "currency": currency,
        "state": "Approved",
        "state_code": "approved",
        "total_amount": total,
    }
    row.update(values)
    return row


def line_row(statement, currency, base, amount, **values):
    row = {
        "statement": statement,
        "salesperson": statement.split(" ")[0],
        "date_from": JANUARY[0],
        "kind": "Commission",
        "rule": "Plan rate",
        "date": date(2026, 1, 15),
        "document": "S00001",
        "source_model": "sale.order.line",
        "source_id": 7,
        "base": base,
        "rate": 5,
        "amount": amount,
        "currency": currency,
    }
    row.update(values)
    return row


# two euro statements, then one dollar statement
SUMMARY = [
    summary_row(
        "Sonia January",
        "Sonia",
        "EUR",
        537.25,
        base_amount=10000.0,
        target_amount=8000.0,
        attainment=125.0,
        commission_amount=500.25,
        bonus_amount=50.0,
        adjustment_amount=-13.0,
        clawback_amount=-20.0,
    ),
    summary_row(
        "Sam January",
        "Sam",
        "EUR",
        100.1,
        base_amount=2002.0,
        commission_amount=100.1,
    ),
    summary_row(
        "Tom January",
        "Tom",
        "USD",
        -7.5,
        base_amount=0.0,
        adjustment_amount=-7.5,
        clawback_amount=-7.5,
        state="Draft",
        state_code="draft",
    ),
]


def column_letter(columns, key):
    return openpyxl.utils.get_column_letter(1 + [c.key for c in columns].index(key))


def read(path, data_only=False):
    return openpyxl.load_workbook(path, data_only=data_only)


@pytest.fixture
def workbook_path(tmp_path):
    return tmp_path / "commissions.xlsx"


# ----------------------------------------------------------------------
# SUMMARY
# ----------------------------------------------------------------------


def test_summary_rows_totals_and_formats(workbook_path):
    stats = write_commission_workbook(str(workbook_path), SUMMARY, currencies=CURRENCIES)
    sheet = read(workbook_path)["Summary"]
    values = read(workbook_path, data_only=True)["Summary"]

    assert [cell.value for cell in sheet[1]] == [c.label for c in SUMMARY_COLUMNS]
    # header, 3 statements, one total per currency (EUR then USD), nothing more
    assert sheet.max_row == 6
    total = column_letter(SUMMARY_COLUMNS, "total_amount")
    assert [sheet[f"{total}{row}"].value for row in (2, 3, 4)] == [537.25, 100.1, -7.5]

    # EUR total over rows 2-3, USD over row 4: never one across currencies
    assert sheet["A5"].value == "Total EUR"
    assert sheet[f"{total}5"].value == f"=SUBTOTAL(9,{total}2:{total}3)"
    assert sheet["A6"].value == "Total USD"
    assert sheet[f"{total}6"].value == f"=SUBTOTAL(9,{total}4:{total}4)"
    currency = column_letter(SUMMARY_COLUMNS, "currency")
    assert (sheet[f"{currency}5"].value, sheet[f"{currency}6"].value) == ("EUR", "USD")
    # the formulas sum the cells above: 537.25 + 100.10 = 637.35; their cached
    # values are those sums, so readers without a calculation engine see them
    assert sum(D(str(sheet[f"{total}{row}"].value)) for row in (2, 3)) == D("637.35")
    assert values[f"{total}5"].value == 637.35
    assert values[f"{total}6"].value == -7.5
    base = column_letter(SUMMARY_COLUMNS, "base_amount")
    assert sheet[f"{base}5"].value == f"=SUBTOTAL(9,{base}2:{base}3)"
    # 10,000 + 2,002 = 12,002
    assert values[f"{base}5"].value == 12002
    clawback = column_letter(SUMMARY_COLUMNS, "clawback_amount")
    assert values[f"{clawback}5"].value == -20
    assert stats.summary.totals["EUR"]["total_amount"] == D("637.35")
    assert stats.summary.totals["USD"]["clawback_amount"] == D("-7.5")
    assert stats.summary.rows == 3

    # attainment 125 % is the fraction 1.25 shown as a percentage; none
    # without a target
    attainment = column_letter(SUMMARY_COLUMNS, "attainment")
    assert sheet[f"{attainment}2"].value == 1.25
    assert sheet[f"{attainment}2"].number_format == "0.00##%"
    assert sheet[f"{attainment}3"].value is None
    # each amount in its currency's format
    assert sheet[f"{total}2"].number_format == '#,##0.00 "€"'
    assert sheet[f"{total}4"].number_format == '"$" #,##0.00'
    assert sheet[f"{total}6"].number_format == '"$" #,##0.00'
    assert sheet[f"{total}6"].font.b
    date_from = column_letter(SUMMARY_COLUMNS, "date_from")
    assert sheet[f"{date_from}2"].value.date() == date(2026, 1, 1)
    assert sheet[f"{date_from}2"].number_format == "yyyy-mm-dd"
    # header frozen (and the statement and salesperson columns), filter on
    # the header and the data rows, not on the totals
    assert sheet.freeze_panes == "C2"
    last = openpyxl.utils.get_column_letter(len(SUMMARY_COLUMNS))
    assert sheet.auto_filter.ref == f"A1:{last}4"
    assert sheet.column_dimensions["A"].width == pytest.approx(34, abs=1)


def test_labels_translate_sheets_and_headers(workbook_path):
    labels = {
        "summary_sheet": "Résumé",
        "lines_sheet": "Lignes/Détail",
        "adjustments_sheet": "Ajustements",
        "total": "Total en",
        "salesperson": "Vendeur",
    }
    write_commission_workbook(str(workbook_path), SUMMARY[:1], labels=labels)
    book = read(workbook_path)
    # "/" is not allowed in a sheet name
    assert book.sheetnames == ["Résumé", "Lignes Détail", "Ajustements"]
    assert book["Résumé"]["B1"].value == "Vendeur"
    assert book["Résumé"]["A3"].value == "Total en EUR"


def test_sheet_names_are_valid_and_unique():
    assert sheet_name("a" * 40) == "a" * 31
    assert sheet_name("Lines", ["lines"]) == "Lines (2)"
    assert sheet_name("x" * 31, ["x" * 31]) == "x" * 27 + " (2)"
    assert sheet_name("[]") == "Sheet"


def test_rows_must_be_grouped_by_currency(workbook_path):
    rows = [SUMMARY[0], SUMMARY[2], SUMMARY[1]]  # EUR, USD, EUR again
    with pytest.raises(ExportError, match="not grouped by currency"):
        write_commission_workbook(str(workbook_path), rows)


def test_text_is_never_a_formula(workbook_path):
    row = summary_row('=HYPERLINK("x")', "@Sam", "EUR", 1.0)
    write_commission_workbook(str(workbook_path), [row])
    cell = read(workbook_path)["Summary"]["A2"]
    assert cell.value == '=HYPERLINK("x")'
    assert cell.data_type == "s"


def test_currency_formats():
    assert EUR.number_format() == '#,##0.00 "€"'
    assert USD.number_format() == '"$" #,##0.00'
    assert JPY.number_format() == '"¥" #,##0'
    assert CurrencyStyle("XQQ", 'a"b').number_format() == '#,##0.00 "a""b"'
    # no symbol: the code
    assert CurrencyStyle("CHF").number_format() == '#,##0.00 "CHF"'


# ----------------------------------------------------------------------
# LINES AND ADJUSTMENTS
# ----------------------------------------------------------------------


def test_lines_and_adjustments(workbook_path):
    lines = [
        line_row("Sonia January", "EUR", 1000.0, 50.0),
        line_row("Sonia January", "EUR", 200.5, 10.03, customer="Acme", product="[X] Widget"),
        line_row(
            "Sonia January",
            "EUR",
            -300.0,
            -15.0,
            kind="Adjustment",
            corrected_statement="Sonia December",
        ),
        line_row("Tom January", "JPY", 1000, 50, rate=None),
    ]
    adjustments = [
        {
            "statement": "Sonia January",
            "salesperson": "Sonia",
            "date_from": JANUARY[0],
            "corrected_statement": "Sonia December",
            "date": date(2025, 12, 31),
            "document": "S00009",
            "rule": "Plan rate",
            "base": -300.0,
            "amount": -15.0,
            "currency": "EUR",
            "manual": "No",
            "note": "Order cancelled",
        }
    ]
    stats = write_commission_workbook(
        str(workbook_path), SUMMARY[:1], lines, adjustments, currencies=CURRENCIES
    )
    book = read(workbook_path)
    sheet = book["Lines"]
    assert [cell.value for cell in sheet[1]] == [c.label for c in LINE_COLUMNS]
    amount = column_letter(LINE_COLUMNS, "amount")
    base = column_letter(LINE_COLUMNS, "base")
    # 4 lines, then the EUR total of rows 2-4 and the JPY total of row 5
    assert sheet.max_row == 7
    assert sheet[f"{amount}6"].value == f"=SUBTOTAL(9,{amount}2:{amount}4)"
    assert sheet[f"{amount}7"].value == f"=SUBTOTAL(9,{amount}5:{amount}5)"
    # 50.00 + 10.03 - 15.00 = 45.03 ; bases 1,000 + 200.50 - 300 = 900.50
    assert sum(D(str(sheet[f"{amount}{row}"].value)) for row in (2, 3, 4)) == D("45.03")
    assert stats.lines.totals["EUR"] == {"base": D("900.5"), "amount": D("45.03")}
    assert stats.lines.totals["JPY"] == {"base": D(1000), "amount": D(50)}
    assert book["Lines"][f"{base}5"].number_format == '"¥" #,##0'
    rate = column_letter(LINE_COLUMNS, "rate")
    assert sheet[f"{rate}2"].value == 0.05
    assert sheet[f"{rate}5"].value is None
    source = column_letter(LINE_COLUMNS, "source_id")
    assert sheet[f"{source}2"].value == 7
    corrected = column_letter(LINE_COLUMNS, "corrected_statement")
    assert sheet[f"{corrected}4"].value == "Sonia December"
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(LINE_COLUMNS))}5"
    assert sheet.freeze_panes == "C2"

    adjustment_sheet = book["Adjustments"]
    assert [cell.value for cell in adjustment_sheet[1]] == [c.label for c in ADJUSTMENT_COLUMNS]
    adjusted = column_letter(ADJUSTMENT_COLUMNS, "amount")
    assert adjustment_sheet[f"{adjusted}2"].value == -15
    assert adjustment_sheet[f"{adjusted}3"].value == f"=SUBTOTAL(9,{adjusted}2:{adjusted}2)"
    assert stats.adjustments.rows == 1


def test_empty_tables_keep_their_header(workbook_path):
    stats = write_commission_workbook(str(workbook_path), [])
    book = read(workbook_path)
    assert book.sheetnames == ["Summary", "Lines", "Adjustments"]
    last = openpyxl.utils.get_column_letter(len(ADJUSTMENT_COLUMNS))
    assert book["Adjustments"].max_row == 1
    assert book["Adjustments"].auto_filter.ref == f"A1:{last}1"
    assert stats.lines.rows == 0 and stats.lines.totals == {}


def test_full_sheet_continues_on_the_next(workbook_path):
    """With room for 5 rows a sheet holds a header, 3 lines and their total."""
    lines = [line_row("Sonia January", "EUR", 100, index) for index in range(1, 8)]
    stats = write_commission_workbook(str(workbook_path), [], lines, max_rows=5)
    book = read(workbook_path)
    assert stats.lines.sheets == ["Lines", "Lines (2)", "Lines (3)"]
    assert book.sheetnames == ["Summary", "Lines", "Lines (2)", "Lines (3)", "Adjustments"]
    amount = column_letter(LINE_COLUMNS, "amount")
    for name, expected in (("Lines", [1, 2, 3]), ("Lines (2)", [4, 5, 6]), ("Lines (3)", [7])):
        sheet = book[name]
        assert sheet.max_row <= 5
        assert sheet["A1"].value == "Statement"
        rows = range(2, 2 + len(expected))
        assert [sheet[f"{amount}{row}"].value for row in rows] == expected
        last = 1 + len(expected)
        assert sheet[f"{amount}{last + 1}"].value == f"=SUBTOTAL(9,{amount}2:{amount}{last})"
    # 1 + 2 + ... + 7 = 28 over the three sheets
    assert stats.lines.totals["EUR"]["amount"] == 28


def test_a_new_currency_near_the_end_of_a_sheet_keeps_room_for_its_total(workbook_path):
    # rows 1-2 EUR, then USD: row 3 would leave no room for two totals in 5 rows
    lines = [
        line_row("A", "EUR", 1, 1),
        line_row("A", "EUR", 1, 2),
        line_row("B", "USD", 1, 3),
    ]
    stats = write_commission_workbook(str(workbook_path), [], lines, max_rows=5)
    book = read(workbook_path)
    assert stats.lines.sheets == ["Lines", "Lines (2)"]
    assert book["Lines"].max_row == 4  # header, 2 EUR lines, EUR total
    assert book["Lines (2)"].max_row == 3  # header, the USD line, USD total


def test_a_file_object_target():
    buffer = io.BytesIO()
    write_commission_workbook(buffer, SUMMARY)
    buffer.seek(0)
    assert openpyxl.load_workbook(buffer)["Summary"].max_row == 6


def test_memory_stays_flat_whatever_the_number_of_lines(tmp_path):
    """Constant-memory mode: rows go to disk as they are written. Writing
    4,000 lines peaks well under 2 MB of Python memory (the same workbook
    kept in memory peaks around 8 MB), and 16,000 lines no higher."""

    def lines(count):
        for index in range(count):
            yield line_row("Sonia January", "EUR", 100 + index % 7, 5, document=f"S{index:05d}")

    peaks = []
    for count in (4000, 16000):
        tracemalloc.start()
        try:
            write_commission_workbook(str(tmp_path / f"{count}.xlsx"), [], lines(count))
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    assert peaks[0] < 2_000_000
    assert peaks[1] < peaks[0] + 500_000


# ----------------------------------------------------------------------
# PAYROLL CSV
# ----------------------------------------------------------------------


def test_payroll_csv(tmp_path):
    path = tmp_path / "payroll.csv"
    rows = [
        dict(SUMMARY[0], statement_id=11),
        dict(SUMMARY[2], statement_id=12),
        summary_row(
            "Ken January", "Ken", "JPY", 1234.5, statement_id=13, payroll_ref="-42", company="+Co"
        ),
    ]
    assert write_payroll_csv(str(path), rows, currencies=CURRENCIES) == 3
    with open(path, encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    assert records[0] == list(PAYROLL_COLUMNS)
    assert records[1] == [
        "P-Sonia",
        "Sonia",
        "sonia@example.com",
        "Acme",
        "2026-01-01",
        "2026-01-31",
        "EUR",
        "537.25",
        "Sonia January",
        "11",
        "approved",
    ]
    # -7.5 with the euro's two decimals
    assert records[2][7] == "-7.50"
    assert records[2][10] == "draft"
    # 1,234.5 yen with no decimals, half up: 1235; text starting like a
    # formula is quoted for spreadsheets, amounts are not
    assert records[3][7] == "1235"
    assert records[3][0] == "'-42"
    assert records[3][3] == "'+Co"


def test_payroll_csv_refuses_rows_without_reference(tmp_path):
    path = tmp_path / "payroll.csv"
    rows = [
        summary_row("A", "Sonia", "EUR", 1),
        summary_row("B", "Tom", "EUR", 1, payroll_ref=" "),
        summary_row("C", "Sam", "EUR", 1, payroll_ref=False),
        summary_row("D", "Tom", "EUR", 1, payroll_ref=""),
    ]
    with pytest.raises(ExportError, match="No payroll reference for: Sam, Tom$"):
        write_payroll_csv(str(path), rows)
    # nothing half-written
    assert not path.exists()
    handle = io.StringIO()
    with pytest.raises(ExportError):
        write_payroll_csv(handle, rows)
    assert handle.getvalue() == ""
