# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import io
from datetime import date, datetime

import openpyxl
import pytest

from engine import report_xlsx
from engine.report_xlsx import ReportExportError, currency_format, write_period_report

MONTHS = [date(2024 + (3 + index) // 12, (3 + index) % 12 + 1, 1) for index in range(24)]

LABELS = {
    "summary": "Résumé",
    "kpis": "Indicateurs",
    "kpi": "Indicateur",
    "current": "Période",
    "previous": "Précédente",
    "last_year": "Année dernière",
    "change_previous": "Évolution / précédente",
    "change_last_year": "Évolution / an dernier",
    "targets": "Objectifs",
    "target": "Objectif",
    "actual": "Réalisé",
    "attainment": "Atteinte",
    "expected": "Attendu",
    "pacing": "Rythme",
    "status": "Statut",
    "trend": "Tendance",
    "month": "Mois",
    "revenue": "Chiffre d'affaires",
    "ranking": "Classement",
    "rank": "Rang",
    "salesperson": "Vendeur",
    "channels": "Canaux",
    "channel": "Canal",
    "share": "Part",
    "categories": "Catégories",
    "category": "Catégorie",
    "top_customers": "Meilleurs clients",
    "customer": "Client",
    "orders": "Commandes",
    "top_products": "Meilleurs produits",
    "product": "Produit",
    "quantity": "Quantité",
    "forecast": "Prévision",
    "forecast_low": "Bas (80 %)",
    "forecast_high": "Haut (80 %)",
    "method": "Méthode",
    "commission": "Commission",
    "commission_total": "Total des commissions",
    "statements": "Relevés",
    "scorecards": "Évaluations",
    "score": "Note",
    "band": "Niveau",
    "comment": "Commentaire",
    "suggestions": "Suggestions",
    "highlights": "Faits marquants",
    "total": "Total",
    "other": "Autres",
}


def report_data(**overrides):
    data = {
        "title": "Sales Performance Report: North, March 2026",
        "company": {"id": 1, "name": "YourCompany"},
        "currency": {"name": "USD", "symbol": "$", "position": "before", "decimals": 2},
        "scope": {"kind": "team", "id": 7, "name": "North <&> Nord"},
        "period": {
            "kind": "month",
            "start": date(2026, 3, 1),
            "end": date(2026, 3, 31),
            "label": "March 2026",
            "previous_label": "February 2026",
            "last_year_label": "March 2025",
            "in_progress": False,
        },
        "generated_on": "2026-04-02 09:15",
        "labels": dict(LABELS),
        "kpis": [
            {
                "code": "revenue",
                "label": "Revenue",
                "unit": "monetary",
                "direction": "up",
                "current": 1200.0,
                "previous": 1000.0,
                "last_year": 1500.0,
                "change_previous": 0.2,
                "change_last_year": -0.2,
                "tone_previous": "good",
                "tone_last_year": "bad",
            },
            {
                "code": "orders",
                "label": "Orders",
                "unit": "count",
                "direction": "up",
                "current": 30.0,
                "previous": 0.0,
                "last_year": None,
                "change_previous": None,
                "change_last_year": None,
                "tone_previous": "neutral",
                "tone_last_year": "neutral",
            },
            {
                "code": "margin_percent",
                "label": "Margin %",
                "unit": "percent",
                "direction": "up",
                "current": None,
                "previous": 0.25,
                "last_year": 0.2,
                "change_previous": None,
                "change_last_year": None,
                "tone_previous": "neutral",
                "tone_last_year": "neutral",
            },
        ],
        "targets": [
            {
                "metric": "revenue",
                "label": "Revenue",
                "unit": "monetary",
                "target": 2000.0,
                "actual": 1200.0,
                "attainment": 0.6,
                "expected": 1500.0,
                "pacing": 0.8,
                "status": "behind",
                "status_label": "En retard",
            }
        ],
        "trend": {
            "months": MONTHS,
            "labels": [month.strftime("%b %Y") for month in MONTHS],
            "revenue": [100.0 * (index + 1) for index in range(24)],
            "last_year": [50.0 * (index + 1) for index in range(24)],
            "target": [None] * 12 + [250.5] * 12,
        },
        "ranking": {
            "shown": True,
            "amounts_shown": True,
            "note": "",
            "rows": [
                {
                    "rank": 1,
                    "user_id": 5,
                    "name": "Alice",
                    "revenue": 1200.0,
                    "target": 1000.0,
                    "attainment": 1.2,
                    "is_reader": False,
                },
                {
                    "rank": 2,
                    "user_id": 6,
                    "name": "=Bob",
                    "revenue": 800.0,
                    "target": 1600.0,
                    "attainment": 0.5,
                    "is_reader": True,
                },
            ],
        },
        "channels": [
            {"key": "sale", "label": "Sales Orders", "revenue": 900.0, "share": 0.75},
            {"key": "pos", "label": "Point of Sale", "revenue": 300.0, "share": 0.25},
        ],
        "categories": [
            {"label": "Office", "revenue": 700.25, "share": 700.25 / 1200},
            {"label": "Autres", "revenue": 499.75, "share": 499.75 / 1200},
        ],
        "top_customers": [
            {"name": "Azure Interior", "revenue": 600.1, "orders": 3, "share": 0.5},
            {"name": "Deco Addict", "revenue": 300.2, "orders": 2, "share": 0.25},
        ],
        "top_products": [
            {"name": "Desk", "revenue": 500.0, "quantity": 2.5, "share": 0.4},
            {"name": "Chair", "revenue": 250.0, "quantity": 10.0, "share": 0.2},
        ],
        "forecast": None,
        "commission": None,
        "scorecards": None,
        "highlights": ["Revenue up 20 % on February", "=SUM(1,2) is text"],
        "charts": {},
    }
    data.update(overrides)
    return data


def workbook_bytes(data):
    stream = io.BytesIO()
    write_period_report(data, stream)
    return stream.getvalue()


def load(data, data_only):
    return openpyxl.load_workbook(io.BytesIO(workbook_bytes(data)), data_only=data_only)


@pytest.fixture(scope="module")
def values():
    return load(report_data(), data_only=True)


@pytest.fixture(scope="module")
def formulas():
    return load(report_data(), data_only=False)


# ----------------------------------------------------------------------
# sheets and formats
# ----------------------------------------------------------------------


def test_sheets_named_from_labels(values):
    assert values.sheetnames == [
        "Résumé",
        "Tendance",
        "Classement",
        "Mix",  # no "mix" label given: the English fallback
        "Meilleurs clients",
        "Meilleurs produits",
    ]


@pytest.mark.parametrize(
    ("currency", "expected"),
    [
        ({"symbol": "$", "position": "before", "decimals": 2}, '"$"#,##0.00'),
        ({"symbol": "€", "position": "after", "decimals": 2}, '#,##0.00" €"'),
        ({"symbol": "¥", "position": "before", "decimals": 0}, '"¥"#,##0'),
        ({"symbol": 'a"b', "position": "after", "decimals": 3}, '#,##0.000" a""b"'),
    ],
)
def test_currency_format(currency, expected):
    assert currency_format(currency) == expected


def test_money_cells_carry_the_currency_format(values):
    assert values["Résumé"]["B5"].number_format == '"$"#,##0.00'
    assert values["Tendance"]["B2"].number_format == '"$"#,##0.00'
    assert values["Résumé"]["E5"].number_format == "0.0%"
    # counts are not money
    assert values["Résumé"]["B6"].number_format == "#,##0"


def test_euro_after_the_amount():
    currency = {"name": "EUR", "symbol": "€", "position": "after", "decimals": 2}
    book = load(report_data(currency=currency), data_only=True)
    assert book["Résumé"]["B5"].number_format == '#,##0.00" €"'
    assert book["Meilleurs clients"]["B2"].number_format == '#,##0.00" €"'


def test_headers_frozen_and_filtered(values):
    summary = values["Résumé"]
    assert summary.freeze_panes == "B5"
    assert summary["A4"].value == "Indicateur"
    assert summary["A4"].font.b
    # header row 4 and the three KPI rows
    assert summary.auto_filter.ref == "A4:F7"
    trend = values["Tendance"]
    assert trend.freeze_panes == "B2"
    # header and 24 months, the total row left out of the filter
    assert trend.auto_filter.ref == "A1:E25"
    assert values["Classement"].freeze_panes == "C2"
    assert values["Meilleurs clients"].auto_filter.ref == "A1:D3"
    assert values["Résumé"].column_dimensions["A"].width > 10


# ----------------------------------------------------------------------
# summary
# ----------------------------------------------------------------------


def test_summary_values(values):
    sheet = values["Résumé"]
    assert sheet["A1"].value == "Sales Performance Report: North, March 2026"
    assert sheet["A2"].value == "North <&> Nord"
    assert sheet["B2"].value == "March 2026"
    assert sheet["C2"].value == datetime(2026, 3, 1)
    assert [cell.value for cell in sheet[5][:4]] == ["Revenue", 1200, 1000, 1500]
    # (1200 - 1000) / 1000 = 0.2 and (1200 - 1500) / 1500 = -0.2
    assert sheet["E5"].value == pytest.approx(0.2)
    assert sheet["F5"].value == pytest.approx(-0.2)
    # previous 0 and last year missing: no change
    assert sheet["E6"].value in ("", None)
    assert sheet["F6"].value in ("", None)
    # current missing: no change either (not -100 %)
    assert sheet["B7"].value is None
    assert sheet["E7"].value in ("", None)


def test_summary_formulas(formulas):
    sheet = formulas["Résumé"]
    assert sheet["E5"].value == '=IF(OR(B5="",C5=0),"",(B5-C5)/ABS(C5))'
    assert sheet["F5"].value == '=IF(OR(B5="",D5=0),"",(B5-D5)/ABS(D5))'
    # targets: title on row 9, header on 10, revenue on 11
    assert sheet["A9"].value == "Objectifs"
    assert sheet["D11"].value == '=IF(OR(B11="",B11=0),"",C11/B11)'
    assert sheet["F11"].value == '=IF(OR(E11="",E11=0),"",C11/E11)'


def test_summary_targets_and_highlights(values):
    sheet = values["Résumé"]
    assert [cell.value for cell in sheet[10]] == [
        "Indicateur",
        "Objectif",
        "Réalisé",
        "Atteinte",
        "Attendu",
        "Rythme",
        "Statut",
    ]
    # attainment 1200 / 2000 = 0.6, pacing 1200 / 1500 = 0.8
    assert sheet["D11"].value == pytest.approx(0.6)
    assert sheet["F11"].value == pytest.approx(0.8)
    assert sheet["G11"].value == "En retard"
    assert sheet["A13"].value == "Faits marquants"
    assert sheet["A14"].value == "Revenue up 20 % on February"
    # text that looks like a formula stays text
    assert sheet["A15"].value == "=SUM(1,2) is text"
    assert sheet["A15"].data_type == "s"


# ----------------------------------------------------------------------
# trend
# ----------------------------------------------------------------------


def test_trend_values_and_totals(values):
    sheet = values["Tendance"]
    assert [cell.value for cell in sheet[1]] == [
        "Mois",
        "Chiffre d'affaires",
        "Année dernière",
        "Objectif",
        "Évolution / an dernier",
    ]
    assert sheet["A2"].value == datetime(2024, 4, 1)
    assert sheet["A25"].value == datetime(2026, 3, 1)
    assert sheet["A2"].number_format == "mmm yyyy"
    assert sheet["B2"].value == 100 and sheet["B25"].value == 2400
    assert sheet["D2"].value is None and sheet["D25"].value == 250.5
    # change vs last year: (100 - 50) / 50 = 1.0 each month
    assert sheet["E2"].value == pytest.approx(1.0)
    # totals: 100 × (1 + … + 24) = 100 × 300 = 30,000; 50 × 300 = 15,000;
    # 12 × 250.5 = 3,006
    assert sheet["A26"].value == "Total"
    assert sheet["B26"].value == pytest.approx(30000.0)
    assert sheet["C26"].value == pytest.approx(15000.0)
    assert sheet["D26"].value == pytest.approx(3006.0)
    assert sheet["E26"].value == pytest.approx(1.0)


def test_trend_formulas_and_chart(formulas):
    sheet = formulas["Tendance"]
    assert sheet["B26"].value == "=SUM(B2:B25)"
    assert sheet["D26"].value == "=SUM(D2:D25)"
    assert sheet["E2"].value == '=IF(OR(B2="",C2=0),"",(B2-C2)/ABS(C2))'
    assert len(sheet._charts) == 1
    assert sheet._charts[0].tagname == "lineChart"
    assert len(sheet._charts[0].series) == 3


# ----------------------------------------------------------------------
# ranking
# ----------------------------------------------------------------------


def test_ranking_with_amounts(values, formulas):
    sheet = values["Classement"]
    assert [cell.value for cell in sheet[1]] == [
        "Rang",
        "Vendeur",
        "Chiffre d'affaires",
        "Objectif",
        "Atteinte",
    ]
    assert [cell.value for cell in sheet[3][:4]] == [2, "=Bob", 800, 1600]
    assert sheet["B3"].font.b  # the reader's own row
    assert not sheet["B2"].font.b
    # 1200 / 1000 = 1.2, 800 / 1600 = 0.5; totals 2000 / 2600
    assert sheet["E2"].value == pytest.approx(1.2)
    assert sheet["E3"].value == pytest.approx(0.5)
    assert sheet["C4"].value == pytest.approx(2000.0)
    assert sheet["E4"].value == pytest.approx(2000 / 2600)
    assert formulas["Classement"]["C4"].value == "=SUM(C2:C3)"


def test_ranking_without_amounts():
    data = report_data()
    data["ranking"] = dict(data["ranking"], amounts_shown=False)
    for row in data["ranking"]["rows"]:
        row.update(revenue=None, target=None, attainment=None)
    sheet = load(data, data_only=True)["Classement"]
    assert sheet.max_column == 2
    assert [cell.value for cell in sheet[1]] == ["Rang", "Vendeur"]
    assert sheet.max_row == 3  # no total row


def test_ranking_hidden_leaves_its_note():
    data = report_data()
    data["ranking"] = {"shown": False, "amounts_shown": False, "note": "Ranking hidden", "rows": []}
    book = load(data, data_only=True)
    assert "Classement" not in book.sheetnames
    texts = [row[0] for row in book["Résumé"].iter_rows(values_only=True)]
    assert "Ranking hidden" in texts


# ----------------------------------------------------------------------
# mix, customers, products
# ----------------------------------------------------------------------


def test_mix_totals_shares_and_charts(values, formulas):
    sheet = values["Mix"]
    assert sheet["A1"].value == "Canaux"
    assert [cell.value for cell in sheet[2]] == ["Canal", "Chiffre d'affaires", "Part"]
    # 900 / 1200 = 0.75; 300 / 1200 = 0.25
    assert sheet["C3"].value == pytest.approx(0.75)
    assert sheet["C4"].value == pytest.approx(0.25)
    assert sheet["B5"].value == pytest.approx(1200.0)
    assert sheet["C5"].value == pytest.approx(1.0)
    # categories after one blank row: title 7, header 8, rows 9-10, total 11
    assert sheet["A7"].value == "Catégories"
    # 700.25 + 499.75 = 1200.00; 700.25 / 1200 = 0.58354…
    assert sheet["B11"].value == pytest.approx(1200.0)
    assert sheet["C9"].value == pytest.approx(700.25 / 1200)
    mix = formulas["Mix"]
    assert mix["B5"].value == "=SUM(B3:B4)"
    assert mix["C3"].value == '=IF($B$5=0,"",B3/$B$5)'
    assert mix["B11"].value == "=SUM(B9:B10)"
    assert sorted(chart.tagname for chart in mix._charts) == ["barChart", "pieChart"]
    assert sheet.freeze_panes == "A3"


def test_customers_and_products(values, formulas):
    customers = values["Meilleurs clients"]
    assert [cell.value for cell in customers[1]] == [
        "Client",
        "Chiffre d'affaires",
        "Commandes",
        "Part",
    ]
    assert customers["B2"].value == 600.1
    # 600.10 + 300.20 = 900.30 to the cent; 3 + 2 orders; 0.5 + 0.25 of all revenue
    assert customers["B4"].value == pytest.approx(900.30, abs=0.005)
    assert customers["C4"].value == 5
    assert customers["D4"].value == pytest.approx(0.75)
    products = values["Meilleurs produits"]
    # 2.5 + 10 units
    assert products["C4"].value == pytest.approx(12.5)
    assert formulas["Meilleurs produits"]["B4"].value == "=SUM(B2:B3)"


# ----------------------------------------------------------------------
# optional sheets
# ----------------------------------------------------------------------


def test_optional_sheets_absent_when_none(values):
    assert not {"Prévision & Commission", "Évaluations"} & set(values.sheetnames)


def test_optional_sheets_present():
    data = report_data(
        forecast={
            "period_label": "April 2026",
            "forecast": 1300.0,
            "lo80": 1100.0,
            "hi80": 1500.0,
            "target": None,
            "method": "Holt-Winters",
        },
        commission={"total": 96.5, "statements": 2, "share_of_revenue": 96.5 / 1200},
        scorecards=[
            {
                "name": "Alice",
                "user_id": 5,
                "score": 82.5,
                "band": "A",
                "state_label": "Validée",
                "comment": "Bien",
                "suggestions": ["Call more", "Follow up"],
            }
        ],
    )
    book = load(data, data_only=True)
    assert book.sheetnames[-2:] == ["Prévision & Commission", "Évaluations"]
    forecast = book["Prévision & Commission"]
    assert forecast["A1"].value == "Prévision: April 2026"
    assert forecast["B2"].value == 1300.0
    assert forecast["B5"].value is None
    assert forecast["B6"].value == "Holt-Winters"
    assert forecast["A8"].value == "Commission"
    assert forecast["B9"].value == 96.5
    assert forecast["B11"].value == pytest.approx(96.5 / 1200)
    cards = book["Évaluations"]
    assert [cell.value for cell in cards[2]] == [
        "Alice",
        82.5,
        "A",
        "Validée",
        "Bien",
        "Call more\nFollow up",
    ]


def test_only_commission_names_the_sheet_after_it():
    data = report_data(commission={"total": 10.0, "statements": 1, "share_of_revenue": None})
    assert load(data, data_only=True).sheetnames[-1] == "Commission"


# ----------------------------------------------------------------------
# sheet names, output, bad input
# ----------------------------------------------------------------------


def test_sheet_names_made_valid_and_unique():
    labels = dict(
        LABELS, trend="Trend [24/m]: a very long name that Excel refuses", ranking="Résumé"
    )
    book = load(report_data(labels=labels), data_only=True)
    names = book.sheetnames
    assert names[1] == "Trend  24 m   a very long name "[:31]
    assert len(names[1]) <= 31
    assert names[2] == "Résumé (2)"


def test_missing_labels_fall_back_to_english():
    book = load(report_data(labels={}), data_only=True)
    assert book.sheetnames[:3] == ["Summary", "Trend", "Ranking"]
    assert book["Summary"]["A4"].value == "KPI"


def test_always_constant_memory(tmp_path, monkeypatch):
    seen = []
    original = report_xlsx.xlsxwriter.Workbook

    def recording_workbook(filename, options=None):
        seen.append(options)
        return original(filename, options)

    monkeypatch.setattr(report_xlsx.xlsxwriter, "Workbook", recording_workbook)
    path = tmp_path / "report.xlsx"
    write_period_report(report_data(), str(path))
    write_period_report(report_data(), io.BytesIO())
    assert [options["constant_memory"] for options in seen] == [True, True]
    assert openpyxl.load_workbook(path, data_only=True)["Résumé"]["B5"].value == 1200


def test_bad_trend_writes_nothing(tmp_path):
    data = report_data()
    data["trend"] = dict(data["trend"], revenue=data["trend"]["revenue"][:23])
    path = tmp_path / "report.xlsx"
    with pytest.raises(ReportExportError, match="24 months but 23 revenue"):
        write_period_report(data, path)
    assert not path.exists()
    stream = io.BytesIO()
    with pytest.raises(ReportExportError):
        write_period_report(data, stream)
    assert stream.getvalue() == b""


def test_empty_sections_still_make_a_workbook():
    data = report_data(kpis=[], targets=[], channels=[], categories=[], top_customers=[])
    data["trend"] = {
        "months": MONTHS,
        "labels": [],
        "revenue": [0.0] * 24,
        "last_year": [0.0] * 24,
        "target": [None] * 24,
    }
    book = load(data, data_only=True)
    assert book["Tendance"]["B26"].value == 0
    # 0 last year: no change
    assert book["Tendance"]["E26"].value in ("", None)
    # title, header, then the total row at once
    assert book["Mix"]["A3"].value == "Total"
    assert not book["Mix"]._charts


def test_kpi_headers_name_the_periods(values):
    sheet = values["Résumé"]
    assert [cell.value for cell in sheet[4][:4]] == [
        "Indicateur",
        "Période\nMarch 2026",
        "Précédente\nFebruary 2026",
        "Année dernière\nMarch 2025",
    ]
