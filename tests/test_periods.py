# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date

import pytest

from engine.periods import Period, period_containing, previous_period, same_period_last_year


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
