# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import xml.etree.ElementTree as ET

import pytest

from engine.report_svg import bar_chart, compact_number, line_chart, nice_ticks

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun"]


def parse(svg):
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    return root


def texts(root):
    return [element.text for element in root.iter(SVG + "text")]


def paths(root):
    return [element.get("d") for element in root.iter(SVG + "path")]


# ----------------------------------------------------------------------
# ticks and numbers
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        # span 1234: step 200 needs 0..1400 = 8 ticks (too many), 500 needs 0..1500 = 4
        (0, 1234, [0, 500, 1000, 1500]),
        # span 100: step 20 gives 0..100 = 6 ticks, the tightest that fits
        (0, 100, [0, 20, 40, 60, 80, 100]),
        # through zero: step 200 gives -400..1000 = 8 ticks, 500 gives -500..1000 = 4
        (-300, 1000, [-500, 0, 500, 1000]),
        # all negative: the axis still reaches 0; step 1 gives -5..0 = 6 ticks
        (-5, -1, [-5, -4, -3, -2, -1, 0]),
        # 7: step 1 would be 8 ticks, step 2 gives 0, 2, 4, 6, 8 = 5
        (0, 7, [0, 2, 4, 6, 8]),
        # fractions: 0.03 with step 0.01 = 4 ticks, no float noise
        (0, 0.03, [0, 0.01, 0.02, 0.03]),
    ],
)
def test_nice_ticks(low, high, expected):
    ticks = nice_ticks(low, high)
    assert ticks == expected
    assert 4 <= len(ticks) <= 6
    assert 0 in ticks


def test_nice_ticks_nothing_to_show():
    assert nice_ticks(0, 0) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0"),
        (0.25, "0.25"),
        (999, "999"),
        (1000, "1k"),
        (1234.5, "1.2k"),
        (-1500, "-1.5k"),
        (3_400_000, "3.4M"),
        # 999,950 is 1.0M rounded, not "1000k"
        (999_950, "1M"),
        (2_500_000_000, "2.5B"),
    ],
)
def test_compact_number(value, expected):
    assert compact_number(value) == expected


# ----------------------------------------------------------------------
# line chart
# ----------------------------------------------------------------------


def test_line_chart_is_plain_svg_with_legend_and_axis():
    svg = line_chart(
        MONTHS,
        [
            {"name": "Revenue", "values": [100, 200, 300, 400, 500, 1234], "color": "#1f77b4"},
            {"name": "Target", "values": [600] * 6, "color": "#d62728", "dash": True},
        ],
        width=600,
        height=240,
    )
    root = parse(svg)
    assert root.get("viewBox") == "0 0 600 240"
    assert (root.get("width"), root.get("height")) == ("600", "240")
    assert "sans-serif" in root.get("font-family")
    assert "<script" not in svg and "var(" not in svg and "dominant-baseline" not in svg
    words = texts(root)
    # axis 0..1234 → ticks 0, 500, 1000, 1500 in the compact format
    for tick in ("0", "500", "1k", "1.5k"):
        assert tick in words
    assert "Revenue" in words and "Target" in words
    # one path per series, the target dashed (the legend line too)
    assert len(paths(root)) == 2
    dashed = [e for e in root.iter() if e.get("stroke-dasharray")]
    assert len(dashed) == 2
    assert all(e.get("stroke") == "#d62728" for e in dashed)


def test_line_chart_value_format():
    root = parse(
        line_chart(
            MONTHS, [{"name": "R", "values": [0, 1, 2, 3, 4, 5]}], value_format="${:.0f}".format
        )
    )
    # 0..5 with step 1 → 6 ticks, formatted by the caller
    assert {"$0", "$1", "$2", "$3", "$4", "$5"} <= set(texts(root))


def test_line_chart_none_leaves_a_gap():
    root = parse(line_chart(MONTHS, [{"name": "R", "values": [100, 200, None, 300, 400, None]}]))
    (d,) = paths(root)
    # two segments: months 1-2 and 4-5, each starting with a move
    assert d.count("M") == 2
    assert d.count("L") == 2


def test_line_chart_lone_value_gets_a_dot():
    root = parse(line_chart(MONTHS, [{"name": "R", "values": [None, None, 500, None, None, None]}]))
    assert len(list(root.iter(SVG + "circle"))) == 1


def test_line_chart_escapes_text():
    name = 'Smith & <Sons> "Ltd" 销售额'
    svg = line_chart(
        ["<Jan>", "Feb & Mar"], [{"name": name, "values": [1, 2], "color": '"><script>'}]
    )
    root = parse(svg)
    assert name in texts(root)
    assert "<Jan>" in texts(root)
    assert "<script" not in svg
    assert "&lt;Sons&gt;" in svg


def test_line_chart_negative_values_axis_through_zero():
    root = parse(line_chart(MONTHS, [{"name": "R", "values": [-300, 1000, 0, 0, 0, 0]}]))
    words = texts(root)
    # -300..1000 → ticks -500, 0, 500, 1000
    assert {"-500", "0", "500", "1k"} <= set(words)


@pytest.mark.parametrize("values", [[], [None] * 6, [0] * 6])
def test_line_chart_empty(values):
    labels = MONTHS if values else []
    svg = line_chart(labels, [{"name": "R", "values": values}], empty_text="Aucune donnée")
    root = parse(svg)
    assert texts(root) == ["Aucune donnée"]
    assert root.get("viewBox") == "0 0 760 260"
    assert not paths(root)


# ----------------------------------------------------------------------
# bar chart
# ----------------------------------------------------------------------


def test_bar_chart_bars_proportional():
    rows = [{"label": "Office", "value": 1000}, {"label": "Chairs & <Desks>", "value": 250}]
    svg = bar_chart(rows, width=360)
    root = parse(svg)
    assert root.get("width") == "360"
    bars = list(root.iter(SVG + "rect"))
    assert len(bars) == 2
    widths = [float(bar.get("width")) for bar in bars]
    # 250 is a quarter of 1000
    assert widths[1] == pytest.approx(widths[0] / 4, abs=0.1)
    words = texts(root)
    assert "Chairs & <Desks>" in words
    assert "1k" in words and "250" in words
    # default height: 2 rows × (14 + 8) + 8 = 52
    assert root.get("height") == "52"


def test_bar_chart_negative_value_left_of_zero():
    rows = [{"label": "A", "value": 300}, {"label": "B", "value": -100}]
    root = parse(bar_chart(rows))
    line = next(root.iter(SVG + "line"))
    zero = float(line.get("x1"))
    first, second = root.iter(SVG + "rect")
    assert float(first.get("x")) == pytest.approx(zero, abs=0.1)
    assert float(second.get("x")) + float(second.get("width")) == pytest.approx(zero, abs=0.1)
    # 100 is a third of 300
    assert float(second.get("width")) == pytest.approx(float(first.get("width")) / 3, abs=0.1)


def test_bar_chart_long_label_is_cut():
    label = "A very long product category name that cannot fit"
    root = parse(bar_chart([{"label": label, "value": 5}], width=300))
    (cut,) = [text for text in texts(root) if text.startswith("A very")]
    assert cut.endswith("…") and len(cut) < len(label)


@pytest.mark.parametrize("rows", [[], [{"label": "A", "value": 0}]])
def test_bar_chart_empty(rows):
    root = parse(bar_chart(rows, empty_text="No data"))
    assert texts(root) == ["No data"]
    assert not [rect for rect in root.iter(SVG + "rect") if rect.get("fill") != "none"]
