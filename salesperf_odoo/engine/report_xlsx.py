# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""The period report (month, quarter, year) as an Excel workbook.

One plain dict in (the period report's data, the same the PDF prints; every
label in it already translated), one ``.xlsx`` out; nothing here knows about
Odoo. Sheets, each named after its translated title:

- **Summary**: title, scope and period; the KPIs (current, previous period,
  same period last year, and the changes as formulas
  ``=IF(OR(B5="",C5=0),"",(B5-C5)/ABS(C5))``); the targets with attainment
  and pacing formulas; the highlights.
- **Trend**: 24 months of revenue, last year and target, a total row of
  ``=SUM()`` formulas and a native line chart.
- **Ranking** (when the reader may see it; the amount columns only when the
  reader may see amounts).
- **Mix**: channels and categories with totals and share formulas, a pie
  and a bar chart.
- **Customers**, **Products**: the top 10 with totals.
- **Forecast & Commission** and **Scorecards**, only when the data has them.

Every formula carries its computed value as cached result, so readers that
do not recalculate (previews, openpyxl's ``data_only``) still see figures.
The workbook is always written in xlsxwriter's ``constant_memory`` mode
(rows flushed to disk one after the other), so each sheet is planned top to
bottom: a row is never written after a row below it.
"""

import math
import os
import shutil
import tempfile
from datetime import date, datetime

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from .commission_export import sheet_name

#: English words used only when the caller's labels lack a key.
DEFAULT_LABELS = {
    "summary": "Summary",
    "kpis": "Key Figures",
    "kpi": "KPI",
    "current": "Current",
    "previous": "Previous",
    "last_year": "Last Year",
    "change_previous": "Change vs Previous",
    "change_last_year": "Change vs Last Year",
    "targets": "Targets",
    "target": "Target",
    "actual": "Actual",
    "attainment": "Attainment",
    "expected": "Expected",
    "pacing": "Pacing",
    "status": "Status",
    "trend": "Trend",
    "month": "Month",
    "revenue": "Revenue",
    "ranking": "Ranking",
    "rank": "Rank",
    "salesperson": "Salesperson",
    "mix": "Mix",
    "channels": "Channels",
    "channel": "Channel",
    "share": "Share",
    "categories": "Categories",
    "category": "Category",
    "top_customers": "Customers",
    "customer": "Customer",
    "orders": "Orders",
    "top_products": "Products",
    "product": "Product",
    "quantity": "Quantity",
    "forecast": "Forecast",
    "forecast_low": "Low (80%)",
    "forecast_high": "High (80%)",
    "method": "Method",
    "commission": "Commission",
    "commission_total": "Commission Total",
    "statements": "Statements",
    "share_of_revenue": "Share of Revenue",
    "scorecards": "Scorecards",
    "score": "Score",
    "band": "Band",
    "comment": "Comment",
    "suggestions": "Suggestions",
    "highlights": "Highlights",
    "total": "Total",
    "other": "Other",
    "period": "Period",
    "generated_on": "Generated on",
}

#: Number formats of the KPI units other than money.
UNIT_FORMATS = {
    "count": "#,##0",
    "quantity": "#,##0.00",
    "percent": "0.0%",
    "days": "0.0",
    "ratio": "0.00",
}
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"
MONTH_FORMAT = "mmm yyyy"
MAX_COLUMN_WIDTH = 60
TREND_MONTHS = 24


class ReportExportError(ValueError):
    """The data cannot be written as given (English message)."""


def currency_format(currency):
    """The Excel number format of ``currency`` (``{"symbol", "position",
    "decimals"}``): ``"$"#,##0.00`` or ``#,##0.00" €"``."""
    currency = currency or {}
    decimals = int(currency.get("decimals", 2) or 0)
    number = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    symbol = currency.get("symbol") or currency.get("name") or ""
    if not symbol:
        return number
    symbol = str(symbol).replace('"', '""')
    if currency.get("position") == "before":
        return f'"{symbol}"{number}'
    return f'{number}" {symbol}"'


# ----------------------------------------------------------------------
# CHANGES, SHARES: the values the formulas compute
# ----------------------------------------------------------------------


def relative_change(current, reference):
    """``(current - reference) / |reference|``, ``""`` when either is missing
    or the reference is 0: what ``=IF(OR(B5="",C5=0),"",(B5-C5)/ABS(C5))``
    gives."""
    if current is None or not reference:
        return ""
    return (current - reference) / abs(reference)


def ratio(numerator, denominator):
    """``numerator / denominator``, ``""`` when either is missing or the
    denominator is 0."""
    if numerator is None or not denominator:
        return ""
    return numerator / denominator


# ----------------------------------------------------------------------
# SHEET WRITER
# ----------------------------------------------------------------------


class _Formats:
    """The workbook's cell formats, made once each."""

    def __init__(self, workbook, currency):
        self.workbook = workbook
        self.money_format = currency_format(currency)
        self._cache = {}

    def get(self, num_format=None, **properties):
        key = (num_format, tuple(sorted(properties.items())))
        if key not in self._cache:
            values = dict(properties)
            if num_format:
                values["num_format"] = num_format
            self._cache[key] = self.workbook.add_format(values)
        return self._cache[key]

    def header(self):
        return self.get(bold=True, bg_color="#D9E1F2", bottom=1, text_wrap=True, valign="top")

    def money(self, **properties):
        return self.get(self.money_format, **properties)

    def percent(self, **properties):
        return self.get(PERCENT_FORMAT, **properties)

    def unit(self, unit, **properties):
        if unit == "monetary":
            return self.money(**properties)
        return self.get(UNIT_FORMATS.get(unit, "#,##0.00"), **properties)


class _Sheet:
    """One worksheet written top to bottom (``constant_memory``): ``self.row``
    is the next row to write and only moves down. Keeps each column's widest
    text to size the columns at the end."""

    def __init__(self, book, label):
        taken = [sheet.get_name() for sheet in book.workbook.worksheets()]
        self.book = book
        self.formats = book.formats
        self.worksheet = book.workbook.add_worksheet(sheet_name(label, taken))
        self.name = self.worksheet.get_name()
        self.row = 0
        self.widths = {}

    def _fit(self, col, text, width=None):
        length = width if width is not None else len(str(text)) + 2
        self.widths[col] = max(self.widths.get(col, 8), min(length, MAX_COLUMN_WIDTH))

    def cell(self, col, value, cell_format=None):
        """Write one value on the current row: text as text, numbers, dates;
        ``None`` as a blank cell (keeping the format)."""
        sheet, row = self.worksheet, self.row
        if value is None or value == "":
            sheet.write_blank(row, col, None, cell_format)
        elif isinstance(value, bool):
            sheet.write_boolean(row, col, value, cell_format)
        elif isinstance(value, int | float):
            sheet.write_number(row, col, value, cell_format)
            self._fit(col, None, 14)
        elif isinstance(value, datetime | date):
            sheet.write_datetime(row, col, value, cell_format)
            self._fit(col, None, 12)
        else:
            sheet.write_string(row, col, str(value), cell_format)
            self._fit(col, value)

    def formula(self, col, formula, value, cell_format=None):
        """A formula with its computed ``value`` as cached result."""
        self.worksheet.write_formula(self.row, col, formula, cell_format, value)
        self._fit(col, None, 14)

    def text(self, col, value, cell_format=None):
        self.cell(col, "" if value is None else str(value), cell_format)

    def header(self, labels, height=30):
        self.worksheet.set_row(self.row, height)
        for col, label in enumerate(labels):
            self.worksheet.write_string(self.row, col, str(label), self.formats.header())
            self._fit(col, label, min(len(str(label)) + 2, 24))
        self.next()

    def title(self, text, size=12):
        self.worksheet.write_string(
            self.row, 0, str(text), self.formats.get(bold=True, font_size=size)
        )
        self.next()

    def next(self, rows=1):
        self.row += rows

    def finish(self):
        for col, width in self.widths.items():
            self.worksheet.set_column(col, col, width)


def cell_ref(row, col, absolute=False):
    """``B5`` (``$B$5``) of the 0-based ``row`` and ``col``."""
    return xl_rowcol_to_cell(row, col, row_abs=absolute, col_abs=absolute)


def column_range(col, first_row, last_row):
    """``B2:B25`` of the 0-based rows ``first_row..last_row`` of ``col``."""
    letter = xl_col_to_name(col)
    return f"{letter}{first_row + 1}:{letter}{last_row + 1}"


def _sum(values):
    return math.fsum(value for value in values if value is not None)


class _Book:
    """The workbook, its formats and labels."""

    def __init__(self, workbook, data):
        self.workbook = workbook
        self.data = data
        self.labels = {**DEFAULT_LABELS, **(data.get("labels") or {})}
        self.formats = _Formats(workbook, data.get("currency"))

    def label(self, key):
        return self.labels.get(key) or DEFAULT_LABELS.get(key, key)

    def sheet(self, key):
        return _Sheet(self, self.label(key))

    # -- summary -------------------------------------------------------

    def write_summary(self):
        data, formats = self.data, self.formats
        sheet = self.sheet("summary")
        period = data.get("period") or {}
        scope = data.get("scope") or {}
        sheet.title(data.get("title") or "", 14)
        # row 2: scope, period and its dates; row 3: when it was made
        sheet.text(0, scope.get("name"), formats.get(bold=True))
        sheet.text(1, period.get("label"))
        sheet.cell(2, period.get("start"), formats.get(DATE_FORMAT))
        sheet.cell(3, period.get("end"), formats.get(DATE_FORMAT))
        sheet.next()
        generated = data.get("generated_on")
        if generated:
            sheet.text(0, self.label("generated_on"))
            sheet.text(1, generated)
        sheet.next()
        self._write_kpis(sheet, data.get("kpis") or [])
        self._write_targets(sheet, data.get("targets") or [])
        highlights = list(data.get("highlights") or [])
        ranking = data.get("ranking") or {}
        if not ranking.get("shown", True) and ranking.get("note"):
            highlights.append(ranking["note"])
        if highlights:
            sheet.next()
            sheet.title(self.label("highlights"))
            for highlight in highlights:
                sheet.worksheet.write_string(sheet.row, 0, str(highlight))
                sheet.next()
        sheet.worksheet.freeze_panes(4, 1)
        sheet.finish()
        sheet.worksheet.set_column(0, 0, 28)

    def _with_period(self, key, period_key):
        """A column header and, on a second line, the period it shows."""
        period_label = (self.data.get("period") or {}).get(period_key)
        return f"{self.label(key)}\n{period_label}" if period_label else self.label(key)

    def _write_kpis(self, sheet, kpis):
        """Header on row 4, KPIs from row 5: A label, B current, C previous,
        D last year, E and F the changes as formulas."""
        formats = self.formats
        header_row = sheet.row
        sheet.header(
            [
                self.label("kpi"),
                self._with_period("current", "label"),
                self._with_period("previous", "previous_label"),
                self._with_period("last_year", "last_year_label"),
                self.label("change_previous"),
                self.label("change_last_year"),
            ],
            height=32,
        )
        tones = {"good": {"font_color": "#006100"}, "bad": {"font_color": "#9C0006"}}
        for kpi in kpis:
            row = sheet.row
            number = formats.unit(kpi.get("unit"))
            sheet.text(0, kpi.get("label"))
            for col, key in ((1, "current"), (2, "previous"), (3, "last_year")):
                sheet.cell(col, kpi.get(key), number)
            for col, reference_col, key, tone in (
                (4, 2, "previous", "tone_previous"),
                (5, 3, "last_year", "tone_last_year"),
            ):
                current, reference = cell_ref(row, 1), cell_ref(row, reference_col)
                sheet.formula(
                    col,
                    f'=IF(OR({current}="",{reference}=0),"",({current}-{reference})/ABS({reference}))',
                    relative_change(kpi.get("current"), kpi.get(key)),
                    formats.percent(**tones.get(kpi.get(tone), {})),
                )
            sheet.next()
        last_row = max(sheet.row - 1, header_row + 1)
        sheet.worksheet.autofilter(header_row, 0, last_row, 5)

    def _write_targets(self, sheet, targets):
        """Target, actual, attainment (=actual/target), expected by today,
        pacing (=actual/expected), status."""
        if not targets:
            return
        formats = self.formats
        sheet.next()
        sheet.title(self.label("targets"))
        sheet.header(
            [
                self.label("kpi"),
                self.label("target"),
                self.label("actual"),
                self.label("attainment"),
                self.label("expected"),
                self.label("pacing"),
                self.label("status"),
            ]
        )
        for target in targets:
            row = sheet.row
            number = formats.unit(target.get("unit"))
            sheet.text(0, target.get("label"))
            sheet.cell(1, target.get("target"), number)
            sheet.cell(2, target.get("actual"), number)
            goal, actual, expected = (cell_ref(row, col) for col in (1, 2, 4))
            sheet.formula(
                3,
                f'=IF(OR({goal}="",{goal}=0),"",{actual}/{goal})',
                ratio(target.get("actual"), target.get("target")),
                formats.percent(),
            )
            sheet.cell(4, target.get("expected"), number)
            sheet.formula(
                5,
                f'=IF(OR({expected}="",{expected}=0),"",{actual}/{expected})',
                ratio(target.get("actual"), target.get("expected")),
                formats.percent(),
            )
            sheet.text(6, target.get("status_label") or target.get("status"))
            sheet.next()

    # -- trend ---------------------------------------------------------

    def write_trend(self):
        trend = self.data.get("trend") or {}
        months = list(trend.get("months") or [])
        series = {key: list(trend.get(key) or []) for key in ("revenue", "last_year", "target")}
        for key, values in series.items():
            if len(values) != len(months):
                raise ReportExportError(
                    f"The trend has {len(months)} months but {len(values)} {key} values."
                )
        formats = self.formats
        sheet = self.sheet("trend")
        keys = ("revenue", "last_year", "target")
        sheet.header(
            [self.label("month")]
            + [self.label(key) for key in keys]
            + [self.label("change_last_year")]
        )
        first = sheet.row
        for index, month in enumerate(months):
            row = sheet.row
            sheet.cell(0, month, formats.get(MONTH_FORMAT, align="left"))
            for col, key in enumerate(keys, start=1):
                sheet.cell(col, series[key][index], formats.money())
            current, last_year = cell_ref(row, 1), cell_ref(row, 2)
            sheet.formula(
                4,
                f'=IF(OR({current}="",{last_year}=0),"",({current}-{last_year})/ABS({last_year}))',
                relative_change(series["revenue"][index], series["last_year"][index]),
                formats.percent(),
            )
            sheet.next()
        last = sheet.row - 1
        if months:
            sheet.worksheet.autofilter(first - 1, 0, last, 4)
            total_row = sheet.row
            sheet.text(0, self.label("total"), formats.get(bold=True, top=1))
            for col, key in enumerate(keys, start=1):
                sheet.formula(
                    col,
                    f"=SUM({column_range(col, first, last)})",
                    _sum(series[key]),
                    formats.money(bold=True, top=1),
                )
            current, last_year = cell_ref(total_row, 1), cell_ref(total_row, 2)
            sheet.formula(
                4,
                f'=IF({last_year}=0,"",({current}-{last_year})/ABS({last_year}))',
                relative_change(_sum(series["revenue"]), _sum(series["last_year"])),
                formats.percent(bold=True, top=1),
            )
            sheet.next()
            chart = self.workbook.add_chart({"type": "line"})
            for col, key in enumerate(keys, start=1):
                line = {"width": 2.25}
                if key == "target":
                    line["dash_type"] = "dash"
                chart.add_series(
                    {
                        "name": [sheet.name, 0, col],
                        "categories": [sheet.name, first, 0, last, 0],
                        "values": [sheet.name, first, col, last, col],
                        "line": line,
                        "marker": {"type": "none"},
                    }
                )
            chart.set_title({"name": self.label("trend")})
            chart.set_legend({"position": "bottom"})
            chart.set_x_axis({"num_format": MONTH_FORMAT})
            chart.set_y_axis(
                {"num_format": formats.money_format, "major_gridlines": {"visible": True}}
            )
            chart.set_size({"width": 760, "height": 360})
            sheet.worksheet.insert_chart(1, 6, chart)
        sheet.worksheet.freeze_panes(1, 1)
        sheet.finish()

    # -- ranking -------------------------------------------------------

    def write_ranking(self):
        ranking = self.data.get("ranking") or {}
        if not ranking.get("shown"):
            return
        formats = self.formats
        amounts = bool(ranking.get("amounts_shown"))
        sheet = self.sheet("ranking")
        columns = [self.label("rank"), self.label("salesperson")]
        if amounts:
            columns += [self.label("revenue"), self.label("target"), self.label("attainment")]
        sheet.header(columns)
        first = sheet.row
        rows = ranking.get("rows") or []
        for values in rows:
            row = sheet.row
            bold = {"bold": True} if values.get("is_reader") else {}
            sheet.cell(0, values.get("rank"), formats.get("0", align="left", **bold))
            sheet.text(1, values.get("name"), formats.get(**bold) if bold else None)
            if amounts:
                sheet.cell(2, values.get("revenue"), formats.money(**bold))
                sheet.cell(3, values.get("target"), formats.money(**bold))
                revenue, goal = cell_ref(row, 2), cell_ref(row, 3)
                sheet.formula(
                    4,
                    f'=IF(OR({revenue}="",{goal}="",{goal}=0),"",{revenue}/{goal})',
                    ratio(values.get("revenue"), values.get("target")),
                    formats.percent(**bold),
                )
            sheet.next()
        last = sheet.row - 1
        sheet.worksheet.autofilter(first - 1, 0, max(last, first), len(columns) - 1)
        if amounts and rows:
            total_row = sheet.row
            sheet.text(1, self.label("total"), formats.get(bold=True, top=1))
            sheet.cell(0, None, formats.get(top=1))
            for col, key in ((2, "revenue"), (3, "target")):
                sheet.formula(
                    col,
                    f"=SUM({column_range(col, first, last)})",
                    _sum(values.get(key) for values in rows),
                    formats.money(bold=True, top=1),
                )
            revenue, goal = cell_ref(total_row, 2), cell_ref(total_row, 3)
            sheet.formula(
                4,
                f'=IF({goal}=0,"",{revenue}/{goal})',
                ratio(
                    _sum(values.get("revenue") for values in rows),
                    _sum(values.get("target") for values in rows),
                ),
                formats.percent(bold=True, top=1),
            )
            sheet.next()
        sheet.worksheet.freeze_panes(1, 2)
        sheet.finish()

    # -- mix -----------------------------------------------------------

    def write_mix(self):
        sheet = self.sheet("mix")
        charts = []
        for index, (key, label_key, chart_type) in enumerate(
            (("channels", "channel", "pie"), ("categories", "category", "bar"))
        ):
            rows = self.data.get(key) or []
            if index:
                sheet.next()
            sheet.title(self.label(key))
            header_row = sheet.row
            sheet.header([self.label(label_key), self.label("revenue"), self.label("share")])
            if index == 0:
                sheet.worksheet.freeze_panes(header_row + 1, 0)
            first, last = self._write_shares(sheet, rows)
            if index == 0:
                sheet.worksheet.autofilter(header_row, 0, max(last, first), 2)
            if rows:
                charts.append((header_row, key, chart_type, first, last))
        for chart_index, (_header_row, key, chart_type, first, last) in enumerate(charts):
            chart = self.workbook.add_chart({"type": chart_type})
            series = {
                "name": self.label(key),
                "categories": [sheet.name, first, 0, last, 0],
                "values": [sheet.name, first, 1, last, 1],
            }
            if chart_type == "pie":
                series["data_labels"] = {"percentage": True}
            chart.add_series(series)
            chart.set_title({"name": self.label(key)})
            if chart_type == "bar":
                chart.set_legend({"none": True})
                chart.set_y_axis({"reverse": True})
                chart.set_x_axis({"num_format": self.formats.money_format})
            chart.set_size({"width": 480, "height": 300})
            sheet.worksheet.insert_chart(1 + 16 * chart_index, 4, chart)
        sheet.finish()

    def _write_shares(self, sheet, rows):
        """Label, revenue and share (=revenue / total) rows, then a total row;
        returns the first and last data rows."""
        formats = self.formats
        first = sheet.row
        last = first + len(rows) - 1
        total_row = last + 1
        total = _sum(row.get("revenue") for row in rows)
        total_cell = cell_ref(total_row, 1, absolute=True)
        for values in rows:
            sheet.text(0, values.get("label"))
            sheet.cell(1, values.get("revenue"), formats.money())
            sheet.formula(
                2,
                f'=IF({total_cell}=0,"",{cell_ref(sheet.row, 1)}/{total_cell})',
                ratio(values.get("revenue"), total),
                formats.percent(),
            )
            sheet.next()
        sheet.text(0, self.label("total"), formats.get(bold=True, top=1))
        if rows:
            sheet.formula(
                1, f"=SUM({column_range(1, first, last)})", total, formats.money(bold=True, top=1)
            )
            sheet.formula(
                2,
                f"=SUM({column_range(2, first, last)})",
                ratio(total, total) if total else 0.0,
                formats.percent(bold=True, top=1),
            )
        sheet.next()
        return first, last

    # -- customers, products ---------------------------------------------

    def write_top(self, key, name_label, extra_key, extra_format):
        """A top 10 (customers or products): name, revenue, ``extra_key``
        (orders or quantity), share of all revenue; totals of the ten."""
        formats = self.formats
        rows = self.data.get(key) or []
        sheet = self.sheet(key)
        sheet.header(
            [
                self.label(name_label),
                self.label("revenue"),
                self.label(extra_key),
                self.label("share"),
            ]
        )
        first = sheet.row
        for values in rows:
            sheet.text(0, values.get("name"))
            sheet.cell(1, values.get("revenue"), formats.money())
            sheet.cell(2, values.get(extra_key), formats.get(extra_format))
            sheet.cell(3, values.get("share"), formats.percent())
            sheet.next()
        last = sheet.row - 1
        sheet.worksheet.autofilter(first - 1, 0, max(last, first), 3)
        sheet.text(0, self.label("total"), formats.get(bold=True, top=1))
        if rows:
            for col, field_key, cell_format in (
                (1, "revenue", formats.money(bold=True, top=1)),
                (2, extra_key, formats.get(extra_format, bold=True, top=1)),
                (3, "share", formats.percent(bold=True, top=1)),
            ):
                sheet.formula(
                    col,
                    f"=SUM({column_range(col, first, last)})",
                    _sum(values.get(field_key) for values in rows),
                    cell_format,
                )
        sheet.next()
        sheet.worksheet.freeze_panes(1, 1)
        sheet.finish()

    # -- forecast and commission -------------------------------------------

    def write_forecast_commission(self):
        forecast, commission = self.data.get("forecast"), self.data.get("commission")
        if forecast is None and commission is None:
            return
        formats = self.formats
        parts = [
            self.label(key)
            for key, value in (("forecast", forecast), ("commission", commission))
            if value is not None
        ]
        sheet = _Sheet(self, " & ".join(parts))
        if forecast is not None:
            title = self.label("forecast")
            if forecast.get("period_label"):
                title = f"{title}: {forecast['period_label']}"
            sheet.title(title)
            for key, value_key, cell_format in (
                ("forecast", "forecast", formats.money()),
                ("forecast_low", "lo80", formats.money()),
                ("forecast_high", "hi80", formats.money()),
                ("target", "target", formats.money()),
                ("method", "method", None),
            ):
                sheet.text(0, self.label(key))
                value = forecast.get(value_key)
                if key == "method":
                    sheet.text(1, value)
                else:
                    sheet.cell(1, value, cell_format)
                sheet.next()
            sheet.next()
        if commission is not None:
            sheet.title(self.label("commission"))
            for key, value, cell_format in (
                ("commission_total", commission.get("total"), formats.money()),
                ("statements", commission.get("statements"), formats.get("#,##0")),
                ("share_of_revenue", commission.get("share_of_revenue"), formats.percent()),
            ):
                sheet.text(0, self.label(key))
                sheet.cell(1, value, cell_format)
                sheet.next()
        sheet.finish()

    # -- scorecards ----------------------------------------------------

    def write_scorecards(self):
        scorecards = self.data.get("scorecards")
        if scorecards is None:
            return
        formats = self.formats
        sheet = self.sheet("scorecards")
        sheet.header(
            [
                self.label("salesperson"),
                self.label("score"),
                self.label("band"),
                self.label("status"),
                self.label("comment"),
                self.label("suggestions"),
            ]
        )
        wrap = formats.get(text_wrap=True, valign="top")
        for card in scorecards:
            sheet.text(0, card.get("name"), formats.get(valign="top"))
            sheet.cell(1, card.get("score"), formats.get("0.0", valign="top"))
            sheet.text(2, card.get("band"), formats.get(valign="top", align="center"))
            sheet.text(3, card.get("state_label"), formats.get(valign="top"))
            sheet.text(4, card.get("comment"), wrap)
            sheet.text(5, "\n".join(str(item) for item in card.get("suggestions") or []), wrap)
            sheet.next()
        sheet.worksheet.autofilter(0, 0, max(sheet.row - 1, 1), 5)
        sheet.worksheet.freeze_panes(1, 1)
        sheet.finish()
        sheet.worksheet.set_column(4, 5, 50)


def _fill(workbook, data):
    book = _Book(workbook, data)
    book.write_summary()
    book.write_trend()
    book.write_ranking()
    book.write_mix()
    book.write_top("top_customers", "customer", "orders", "#,##0")
    book.write_top("top_products", "product", "quantity", "#,##0.00")
    book.write_forecast_commission()
    book.write_scorecards()


def write_period_report(data, output, tmpdir=None):
    """Write the period report ``data`` to ``output``: a path, or a binary
    stream (a ``BytesIO``) that receives the finished file.

    Always in ``constant_memory`` mode: a stream gets a temporary file
    written that way, then copied into it. On an error nothing is written to
    ``output``."""
    if isinstance(output, str | os.PathLike):
        workbook = xlsxwriter.Workbook(os.fspath(output), _options(tmpdir))
        _fill(workbook, data)
        workbook.close()
        return
    with tempfile.TemporaryDirectory(dir=tmpdir) as directory:
        path = os.path.join(directory, "report.xlsx")
        workbook = xlsxwriter.Workbook(path, _options(directory))
        _fill(workbook, data)
        workbook.close()
        with open(path, "rb") as handle:
            shutil.copyfileobj(handle, output)


def _options(tmpdir):
    options = {"constant_memory": True}
    if tmpdir:
        options["tmpdir"] = tmpdir
    return options
