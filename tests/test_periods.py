# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date

import pytest

from engine.periods import (
    Period,
    comparison_periods,
    first_days,
    full_comparison_periods,
    is_in_progress,
    period_containing,
    previous_period,
    same_period_last_year,
)


def test_month_containing_a_leap_day():
    # February 2024 has 29 days: 1st to 29th.
    period = period_containing("month", date(2024, 2, 17))
    assert (period.start, period.end, period.days) == (date(2024, 2, 1), date(2024, 2, 29), 29)


def test_quarter_and_year_bounds():
    # 2025-08-05 is in Q3: July 1st to September 30th (31 + 31 + 30 = 92 days).
    quarter = period_containing("quarter", date(2025, 8, 5))
    assert (quarter.start, quarter.end, quarter.days) == (date(2025, 7, 1), date(2025, 9, 30), 92)
    year = period_containing("year", date(2025, 8, 5))
    assert (year.start, year.end, year.days) == (date(2025, 1, 1), date(2025, 12, 31), 365)


def test_previous_calendar_periods_cross_year_boundaries():
    # The month before January 2025 is December 2024; the quarter before Q1 2025 is Q4 2024.
    january = period_containing("month", date(2025, 1, 10))
    assert previous_period(january) == Period(date(2024, 12, 1), date(2024, 12, 31), "month")
    q1 = period_containing("quarter", date(2025, 2, 1))
    assert previous_period(q1) == Period(date(2024, 10, 1), date(2024, 12, 31), "quarter")


def test_previous_custom_range_has_same_length():
    # 10 to 19 March is 10 days; the 10 days before end on 9 March and start on 28 February.
    custom = Period(date(2025, 3, 10), date(2025, 3, 19))
    assert previous_period(custom) == Period(date(2025, 2, 28), date(2025, 3, 9))


def test_same_period_last_year():
    # March 2024 a year earlier is March 2023; a custom range ending 29 Feb 2024
    # ends on 28 Feb 2023 (no 29th that year).
    march = period_containing("month", date(2024, 3, 3))
    assert same_period_last_year(march) == Period(date(2023, 3, 1), date(2023, 3, 31), "month")
    custom = Period(date(2024, 2, 20), date(2024, 2, 29))
    assert same_period_last_year(custom) == Period(date(2023, 2, 20), date(2023, 2, 28))


def test_bad_periods_are_refused():
    with pytest.raises(ValueError, match="before it starts"):
        Period(date(2025, 3, 2), date(2025, 3, 1))
    with pytest.raises(ValueError, match="Unknown period kind"):
        Period(date(2025, 3, 1), date(2025, 3, 2), "week")
    with pytest.raises(ValueError, match="single date"):
        period_containing("custom", date(2025, 3, 1))
    assert date(2025, 3, 1) in Period(date(2025, 3, 1), date(2025, 3, 1))


def test_month_in_progress_compares_the_same_days():
    # 27 November 2026: 1–27 Nov against 1–27 Oct 2026 and 1–27 Nov 2025 (27 days each)
    november = period_containing("month", date(2026, 11, 14))
    periods = comparison_periods(november, date(2026, 11, 27))
    assert periods == {
        "current": Period(date(2026, 11, 1), date(2026, 11, 27)),
        "previous": Period(date(2026, 10, 1), date(2026, 10, 27)),
        "last_year": Period(date(2025, 11, 1), date(2025, 11, 27)),
    }
    assert {name: period.days for name, period in periods.items()} == dict.fromkeys(periods, 27)


def test_elapsed_days_are_clamped_to_a_shorter_month():
    # 30 March 2025 (30 days): February 2025 has only 28, so all of it;
    # March 2024 gives 1–30 March 2024
    march = period_containing("month", date(2025, 3, 1))
    periods = comparison_periods(march, date(2025, 3, 30))
    assert periods["current"] == Period(date(2025, 3, 1), date(2025, 3, 30))
    assert periods["previous"] == Period(date(2025, 2, 1), date(2025, 2, 28), "month")
    assert periods["last_year"] == Period(date(2024, 3, 1), date(2024, 3, 30))
    # 29 February 2024 (leap): 29 days of January 2024 and all of February 2023 (28 days)
    february = period_containing("month", date(2024, 2, 1))
    periods = comparison_periods(february, date(2024, 2, 29))
    assert periods["current"] == february
    assert periods["previous"] == Period(date(2024, 1, 1), date(2024, 1, 29))
    assert periods["last_year"] == Period(date(2023, 2, 1), date(2023, 2, 28), "month")


def test_quarter_in_progress_counts_days_not_dates():
    # 10 March 2025 in Q1: 31 (Jan) + 28 (Feb) + 10 = 69 days.
    # Q4 2024 from 1 October: 31 + 30 = 61, so day 69 is 8 December;
    # Q1 2024 (leap year): 31 + 29 = 60, so day 69 is 9 March 2024.
    q1 = period_containing("quarter", date(2025, 1, 1))
    periods = comparison_periods(q1, date(2025, 3, 10))
    assert periods["current"] == Period(date(2025, 1, 1), date(2025, 3, 10))
    assert periods["previous"] == Period(date(2024, 10, 1), date(2024, 12, 8))
    assert periods["last_year"] == Period(date(2024, 1, 1), date(2024, 3, 9))


def test_full_periods_and_periods_not_in_progress():
    november = period_containing("month", date(2026, 11, 1))
    full = {
        "current": november,
        "previous": Period(date(2026, 10, 1), date(2026, 10, 31), "month"),
        "last_year": Period(date(2025, 11, 1), date(2025, 11, 30), "month"),
    }
    # the choice of full periods, while November is in progress
    assert comparison_periods(november, date(2026, 11, 27), "full") == full
    # a past or future month is compared in full either way
    assert comparison_periods(november, date(2026, 12, 2)) == full
    assert comparison_periods(november, date(2026, 10, 31)) == full
    assert not is_in_progress(november, date(2026, 12, 1))
    assert is_in_progress(november, date(2026, 11, 1))
    with pytest.raises(ValueError, match="Unknown comparison mode"):
        comparison_periods(november, date(2026, 11, 27), "working_days")


def test_first_day_of_a_period_and_custom_ranges():
    # on 1 November: one day against 1 October and 1 November 2025
    november = period_containing("month", date(2026, 11, 1))
    periods = comparison_periods(november, date(2026, 11, 1))
    assert periods["previous"] == Period(date(2026, 10, 1), date(2026, 10, 1))
    assert periods["last_year"] == Period(date(2025, 11, 1), date(2025, 11, 1))
    # custom 10–19 March (10 days) on the 12th: 3 days of each side;
    # the 10 days before start on 28 February
    custom = Period(date(2025, 3, 10), date(2025, 3, 19))
    periods = comparison_periods(custom, date(2025, 3, 12))
    assert periods["current"] == Period(date(2025, 3, 10), date(2025, 3, 12))
    assert periods["previous"] == Period(date(2025, 2, 28), date(2025, 3, 2))
    assert periods["last_year"] == Period(date(2024, 3, 10), date(2024, 3, 12))
    with pytest.raises(ValueError, match="at least one day"):
        first_days(custom, 0)


def test_a_period_ending_today_may_be_compared_with_cut_periods():
    # 29 February 2024, the last day of a leap February: all of February,
    # but only 1–29 January (29 days of 31), and February 2023 (28 days)
    february = period_containing("month", date(2024, 2, 1))
    periods = comparison_periods(february, date(2024, 2, 29))
    full = full_comparison_periods(february)
    assert periods["current"] == full["current"] == february
    assert periods["previous"] == Period(date(2024, 1, 1), date(2024, 1, 29))
    assert full["previous"] == Period(date(2024, 1, 1), date(2024, 1, 31), "month")
    assert periods != full
    # 31 March 2025, the last day of Q1 (31 + 28 + 31 = 90 days): Q4 2024 has
    # 92, cut at day 90 = 29 December (31 + 30 + 29); Q1 2024 has 91 (leap),
    # cut at day 90 = 30 March (31 + 29 + 30)
    q1 = period_containing("quarter", date(2025, 1, 1))
    periods = comparison_periods(q1, date(2025, 3, 31))
    assert periods == {
        "current": q1,
        "previous": Period(date(2024, 10, 1), date(2024, 12, 29)),
        "last_year": Period(date(2024, 1, 1), date(2024, 3, 30)),
    }
    assert periods != full_comparison_periods(q1)
    # 31 December 2025: a year of 365 days against 2024's 366, cut at 30
    # December; December against November (30 days), whole: full periods
    year = period_containing("year", date(2025, 1, 1))
    assert comparison_periods(year, date(2025, 12, 31))["last_year"] == Period(
        date(2024, 1, 1), date(2024, 12, 30)
    )
    december = period_containing("month", date(2025, 12, 1))
    assert comparison_periods(december, date(2025, 12, 31)) == full_comparison_periods(december)
