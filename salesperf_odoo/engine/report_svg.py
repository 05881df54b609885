# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Charts of the printed period report, as plain SVG 1.1 strings.

The PDF is printed by wkhtmltopdf, whose old WebKit has no JavaScript charts,
no CSS variables and no ``dominant-baseline``: these charts are static SVG
with presentation attributes only (``text-anchor`` as an attribute, text
moved down by a third of its size to sit centred on a line), the generic
``sans-serif`` font, and every text escaped (names may hold ``<``, ``&``,
quotes or Chinese).

- :func:`line_chart`: one or more series over the same labels (months), with
  a legend, a y axis of 4 to 6 round ticks (1, 2 or 5 × 10^k) that always
  includes 0, gaps where a value is ``None`` and dashed series.
- :func:`bar_chart`: horizontal bars, one per row, with the value at the end
  of each bar; negative values go left of the zero line.

Without any non-zero value, both return a chart of the same size showing the
caller's ``empty_text`` (already translated) instead of an empty frame.
"""

import math
import re
import unicodedata
from html import escape

#: Colours given to series without one (colour-blind friendly, print well).
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#7f7f7f")
AXIS_COLOR = "#666666"
GRID_COLOR = "#e0e0e0"
TEXT_COLOR = "#333333"
FONT_SIZE = 10
#: Most and fewest ticks on a value axis.
MAX_TICKS = 6
MIN_TICKS = 4

_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
# Characters XML 1.0 does not allow, even escaped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# ----------------------------------------------------------------------
# HELPERS
# ----------------------------------------------------------------------


def compact_number(value):
    """``1234.5`` → ``1.2k``, ``3_400_000`` → ``3.4M``, ``-500`` → ``-500``,
    ``0.25`` → ``0.25``: short enough for an axis label."""
    if value is None:
        return ""
    magnitude = abs(value)
    for divisor, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        # from 999.5 on, "1k" rather than "999.5" (and 999_950 "1M", not "1000k")
        if magnitude >= divisor * 0.9995:
            return _strip_zero(f"{value / divisor:.1f}") + suffix
    if magnitude >= 10 or magnitude == 0:
        return _strip_zero(f"{value:.0f}")
    return _strip_zero(f"{value:.2f}")


def _strip_zero(text):
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def nice_ticks(low, high):
    """Round tick values covering ``low..high`` and 0: multiples of a step of
    1, 2 or 5 × 10^k, between :data:`MIN_TICKS` and :data:`MAX_TICKS` of them
    when possible (the tightest such axis). ``[]`` when there is nothing to
    show (both bounds 0)."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        return []
    span = high - low
    exponent = math.floor(math.log10(span / MAX_TICKS))
    best = None
    for power in range(exponent - 1, exponent + 3):
        for mantissa in (1, 2, 5):
            step = mantissa * 10.0**power
            first = math.floor(low / step + 1e-9)
            last = math.ceil(high / step - 1e-9)
            count = last - first + 1
            fits = MIN_TICKS <= count <= MAX_TICKS
            # the tightest axis that fits; if none fits, the closest to 5 ticks
            rank = (0 if fits else 1, step if fits else abs(count - 5))
            if best is None or rank < best[0]:
                best = (rank, step, first, last)
    _rank, step, first, last = best
    digits = max(0, -math.floor(math.log10(step)))
    return [round(index * step, digits) for index in range(first, last + 1)]


def _text(value):
    """Text escaped for XML content and attributes."""
    return escape(_XML_INVALID.sub("", str(value)), quote=True)


def _num(value):
    """A coordinate, one decimal at most."""
    return _strip_zero(f"{value:.1f}")


def text_width(text, size=FONT_SIZE):
    """Rough width in pixels of ``text`` in a sans-serif font: wide (CJK)
    characters count a full em, others a bit more than half."""
    width = 0.0
    for char in str(text):
        width += 1.0 if unicodedata.east_asian_width(char) in ("W", "F") else 0.6
    return width * size


def _truncate(text, max_width, size=FONT_SIZE):
    """``text`` cut with an ellipsis so that it fits ``max_width`` pixels."""
    text = str(text)
    if text_width(text, size) <= max_width:
        return text
    cut = ""
    for char in text:
        if text_width(cut + char + "…", size) > max_width:
            break
        cut += char
    return cut + "…"


def _color(value, index):
    if value and _COLOR.match(str(value)):
        return value
    return PALETTE[index % len(PALETTE)]


def _svg(width, height, body):
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
        f'width="{_num(width)}" height="{_num(height)}" viewBox="0 0 {_num(width)} {_num(height)}" '
        f'font-family="sans-serif" font-size="{FONT_SIZE}" fill="{TEXT_COLOR}">'
        + "".join(body)
        + "</svg>"
    )


def _label(x, y, text, anchor="start", extra=""):
    """A text centred vertically on ``y``: its baseline a third of the font
    size below (wkhtmltopdf ignores ``dominant-baseline``)."""
    return (
        f'<text x="{_num(x)}" y="{_num(y + FONT_SIZE * 0.35)}" text-anchor="{anchor}"{extra}>'
        f"{_text(text)}</text>"
    )


def _empty(width, height, empty_text):
    return _svg(
        width,
        height,
        [
            (
                f'<rect x="0.5" y="0.5" width="{_num(width - 1)}" height="{_num(height - 1)}" '
                f'fill="none" stroke="{GRID_COLOR}"/>'
            ),
            _label(width / 2, height / 2, empty_text, "middle", extra=f' fill="{AXIS_COLOR}"'),
        ],
    )


def _has_data(values):
    return any(value for value in values if value is not None)


# ----------------------------------------------------------------------
# LINE CHART
# ----------------------------------------------------------------------


def line_chart(labels, series, *, width=760, height=260, value_format=None, empty_text="No data"):
    """A line chart of ``series`` (``[{"name", "values", "color", "dash"}]``,
    one value per label, ``None`` for a gap) over ``labels``, as SVG.

    ``value_format(value) -> str`` labels the y axis (default:
    :func:`compact_number`)."""
    value_format = value_format or compact_number
    labels = [str(label) for label in labels]
    series = [
        {
            "name": str(serie.get("name") or ""),
            "values": list(serie.get("values") or [])[: len(labels)],
            "color": _color(serie.get("color"), index),
            "dash": bool(serie.get("dash")),
        }
        for index, serie in enumerate(series or [])
    ]
    values = [value for serie in series for value in serie["values"] if value is not None]
    if not labels or not _has_data(values):
        return _empty(width, height, empty_text)

    ticks = nice_ticks(min(values), max(values))
    tick_texts = [value_format(tick) for tick in ticks]
    legend_height = 20
    label_height = 16
    # x labels centred under their point: room for half of one at each end
    widest = max(text_width(label) for label in labels) + 8
    left = max(8 + max(text_width(text) for text in tick_texts), widest / 2)
    right, top = max(12, widest / 2), 10
    bottom = height - label_height - legend_height
    plot_width = max(width - left - right, 1)
    low, high = ticks[0], ticks[-1]

    def y_of(value):
        return bottom - (value - low) / (high - low) * (bottom - top)

    def x_of(index):
        if len(labels) == 1:
            return left + plot_width / 2
        return left + plot_width * index / (len(labels) - 1)

    body = []
    # y axis: grid lines and tick labels; the zero line drawn darker
    for tick, text in zip(ticks, tick_texts, strict=True):
        y = y_of(tick)
        color = AXIS_COLOR if tick == 0 else GRID_COLOR
        body.append(
            f'<line x1="{_num(left)}" y1="{_num(y)}" x2="{_num(width - right)}" y2="{_num(y)}" '
            f'stroke="{color}" stroke-width="1"/>'
        )
        body.append(_label(left - 4, y, text, "end"))
    # x labels: as many as fit without overlapping, always the last one
    slot = plot_width / max(len(labels) - 1, 1)
    every = max(1, math.ceil(widest / slot))
    for index in range(len(labels)):
        if (len(labels) - 1 - index) % every:
            continue
        x = x_of(index)
        body.append(
            f'<line x1="{_num(x)}" y1="{_num(bottom)}" x2="{_num(x)}" y2="{_num(bottom + 3)}" '
            f'stroke="{AXIS_COLOR}"/>'
        )
        body.append(_label(x, bottom + 10, labels[index], "middle"))
    # the series: one path per series, a new segment after each gap
    for serie in series:
        body.extend(_series_shapes(serie, x_of, y_of))
    # legend, one line under the labels
    x = left
    legend_y = height - legend_height / 2
    for serie in series:
        dash = ' stroke-dasharray="5,3"' if serie["dash"] else ""
        body.append(
            f'<line x1="{_num(x)}" y1="{_num(legend_y)}" x2="{_num(x + 18)}" y2="{_num(legend_y)}" '
            f'stroke="{serie["color"]}" stroke-width="2"{dash}/>'
        )
        name = _truncate(serie["name"], max(width - x - 24, 10))
        body.append(_label(x + 22, legend_y, name))
        x += 22 + text_width(name) + 16
    return _svg(width, height, body)


def _series_shapes(serie, x_of, y_of):
    """The path of one series (``M`` again after each ``None``) and a dot for
    each value standing alone between two gaps."""
    commands, shapes = [], []
    values = serie["values"]
    for index, value in enumerate(values):
        if value is None:
            continue
        previous_gap = index == 0 or values[index - 1] is None
        next_gap = index == len(values) - 1 or values[index + 1] is None
        point = f"{_num(x_of(index))} {_num(y_of(value))}"
        commands.append(("M" if previous_gap else "L") + point)
        if previous_gap and next_gap:
            shapes.append(
                f'<circle cx="{_num(x_of(index))}" cy="{_num(y_of(value))}" r="2.5" '
                f'fill="{serie["color"]}"/>'
            )
    if commands:
        dash = ' stroke-dasharray="5,3"' if serie["dash"] else ""
        shapes.insert(
            0,
            f'<path d="{" ".join(commands)}" fill="none" stroke="{serie["color"]}" '
            f'stroke-width="2" stroke-linejoin="round"{dash}/>',
        )
    return shapes


# ----------------------------------------------------------------------
# BAR CHART
# ----------------------------------------------------------------------

BAR_HEIGHT = 14
BAR_GAP = 8


def bar_chart(
    rows, *, width=360, height=None, value_format=None, empty_text="No data", color=PALETTE[0]
):
    """Horizontal bars of ``rows`` (``[{"label", "value"}]``), top to bottom,
    as SVG; the value is written at the end of each bar (``value_format``,
    default :func:`compact_number`). ``height`` defaults to what the rows
    need."""
    value_format = value_format or compact_number
    rows = [
        {"label": str(row.get("label") or ""), "value": float(row.get("value") or 0.0)}
        for row in rows or []
    ]
    if height is None:
        height = max(len(rows), 1) * (BAR_HEIGHT + BAR_GAP) + BAR_GAP
    if not _has_data(row["value"] for row in rows):
        return _empty(width, max(height, 40), empty_text)

    color = _color(color, 0)
    texts = [value_format(row["value"]) for row in rows]
    value_room = max(text_width(text) for text in texts) + 6
    label_room = min(max(text_width(row["label"]) for row in rows) + 8, width * 0.4)
    low = min(0.0, min(row["value"] for row in rows))
    high = max(0.0, max(row["value"] for row in rows))
    start = label_room + (value_room if low < 0 else 0)
    end = width - (value_room if high > 0 else 4)
    scale = (end - start) / (high - low)
    zero = start - low * scale
    slot = (height - BAR_GAP) / len(rows)
    bar = min(BAR_HEIGHT, slot * 0.7)

    body = []
    for index, (row, text) in enumerate(zip(rows, texts, strict=True)):
        middle = BAR_GAP / 2 + slot * index + slot / 2
        label = _truncate(row["label"], label_room - 8)
        body.append(_label(label_room - 6, middle, label, "end"))
        length = abs(row["value"]) * scale
        x = zero if row["value"] >= 0 else zero - length
        body.append(
            f'<rect x="{_num(x)}" y="{_num(middle - bar / 2)}" width="{_num(length)}" '
            f'height="{_num(bar)}" fill="{color}"/>'
        )
        if row["value"] >= 0:
            body.append(_label(zero + length + 3, middle, text))
        else:
            body.append(_label(zero - length - 3, middle, text, "end"))
    body.append(
        f'<line x1="{_num(zero)}" y1="{_num(BAR_GAP / 2)}" x2="{_num(zero)}" '
        f'y2="{_num(height - BAR_GAP / 2)}" stroke="{AXIS_COLOR}"/>'
    )
    return _svg(width, height, body)
