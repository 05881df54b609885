# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Reporting periods: calendar months, quarters, years and custom ranges.

A period is a closed interval of dates ``[start, end]``. Comparisons use the
period just before (of the same kind, or of the same length for a custom
range) and the same period one year earlier: in full, or, while the period
is in progress, like for like (:func:`comparison_periods`).
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

PERIOD_KINDS = ("month", "quarter", "year", "custom")

#: How a period in progress is compared: its days up to today against as
#: many days of each reference period ("elapsed"), or whole periods ("full").
COMPARISON_MODES = ("elapsed", "full")


@dataclass(frozen=True)
class Period:
    """A closed interval of dates, ``start`` and ``end`` included."""

    start: date
    end: date
    kind: str = "custom"

    def __post_init__(self):
        if self.kind not in PERIOD_KINDS:
            raise ValueError(f"Unknown period kind {self.kind!r}")
        if self.end < self.start:
            raise ValueError(f"Period ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self):
        """Number of calendar days in the period, both ends included."""
        return (self.end - self.start).days + 1

    def __contains__(self, day):
        return self.start <= day <= self.end


def _shift_months(day, months):
    """``day`` moved by ``months`` months, clamped to the target month's end."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def period_containing(kind, day):
    """The month, quarter or year that contains ``day``."""
    if kind == "month":
        start = day.replace(day=1)
        months = 1
    elif kind == "quarter":
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        months = 3
    elif kind == "year":
        start = date(day.year, 1, 1)
        months = 12
    else:
        raise ValueError(f"A {kind!r} period cannot be derived from a single date")
    end = _shift_months(start, months) - timedelta(days=1)
    return Period(start, end, kind)


def previous_period(period):
    """The period just before ``period``.

    Calendar periods step back one month, quarter or year; a custom range
    steps back by its own length, ending the day before it starts.
    """
    if period.kind == "custom":
        end = period.start - timedelta(days=1)
        return Period(end - timedelta(days=period.days - 1), end, "custom")
    return period_containing(period.kind, period.start - timedelta(days=1))


def same_period_last_year(period):
    """``period`` one year earlier (29 February falls back to the 28th)."""
    start = _shift_months(period.start, -12)
    if period.kind == "custom":
        return Period(start, _shift_months(period.end, -12), "custom")
    return period_containing(period.kind, start)


def first_days(period, days):
    """The first ``days`` days of ``period`` as a custom range, clamped to
    its end (the 30 first days of February are February)."""
    if days < 1:
        raise ValueError(f"A period has at least one day, not {days}")
    end = min(period.start + timedelta(days=days - 1), period.end)
    if end == period.end:
        return period
    return Period(period.start, end, "custom")


def is_in_progress(period, today):
    """Whether ``today`` falls inside ``period``: its figures are not final yet."""
    return today in period


def full_comparison_periods(period):
    """``period``, the period before and the same period a year earlier, whole.

    :returns: ``{"current": Period, "previous": Period, "last_year": Period}``
    """
    return {
        "current": period,
        "previous": previous_period(period),
        "last_year": same_period_last_year(period),
    }


def comparison_periods(period, today, mode="elapsed"):
    """The periods a KPI of ``period`` is compared across, on ``today``.

    In ``"full"`` mode, or when ``today`` is not inside ``period``: the
    period, the period before and the same period a year earlier, whole.
    In ``"elapsed"`` mode, while the period is in progress: its days up to
    ``today`` and the same number of first days of each reference period,
    each clamped to its own end (1–30 March against 1–28 February). The
    current period then also stops at ``today``. Even on its last day a
    period in progress may be compared with cut periods (29 February 2024
    against 1–29 January): compare with :func:`full_comparison_periods` to
    know whether all three are whole.

    What lies ahead by nature (opportunities by expected closing date) is
    not counted on these days: see ``engine.kpi.WHOLE_PERIOD_MEASURES``.

    :returns: ``{"current": Period, "previous": Period, "last_year": Period}``
    """
    if mode not in COMPARISON_MODES:
        raise ValueError(f"Unknown comparison mode {mode!r}")
    full = full_comparison_periods(period)
    if mode == "full" or not is_in_progress(period, today):
        return full
    days = (today - period.start).days + 1
    return {name: first_days(whole, days) for name, whole in full.items()}
