# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from fractions import Fraction

import pytest

from engine.targets import (
    history_weights,
    missing_history,
    pace,
    period_forecast,
    seasonal_weights,
    shares,
    split_amount,
)

THRESHOLDS = (1.1, 0.95, 0.8)


def test_equal_split_places_the_remainder_on_the_first_children():
    # 100.00 in 3 = 33.333...: 10000 cents → 3333 each, 1 cent left, remainders
    # equal, so the first child gets it: 33.34 + 33.33 + 33.33 = 100.00
    assert split_amount(100, [1, 1, 1]) == [33.34, 33.33, 33.33]
    # 0.05 in 3: 5 cents → 1 each, 2 left → first two: 0.02 + 0.02 + 0.01
    assert split_amount(0.05, [1, 1, 1]) == [0.02, 0.02, 0.01]


def test_split_by_share_largest_remainder_wins():
    # 1000 by 2 : 3 : 5 with cents: 200, 300, 500 exactly
    assert split_amount(1000, [2, 3, 5]) == [200.0, 300.0, 500.0]
    # 10 units (rounding 1) by 1 : 1 : 1 : 3 = 1.667, 1.667, 1.667, 5
    # floors 1 + 1 + 1 + 5 = 8, 2 left to the largest remainders (0.667 each,
    # the first two listed): 2, 2, 1, 5
    assert split_amount(10, [1, 1, 1, 3], rounding=1) == [2.0, 2.0, 1.0, 5.0]
    # 100.00 by last year's 333.33 / 666.67: 3333.3 / 6666.7 cents → 3333 + 6666,
    # 1 cent left to the larger remainder (0.7, the second): 33.33 + 66.67
    assert split_amount(100, [333.33, 666.67]) == [33.33, 66.67]


def test_split_always_sums_to_the_parent():
    weights = [0.3, 1.7, 2.9, 0.1, 5.5, 3.3, 0.7]
    for total in (0, 0.01, 99.99, 1234.56, 1000000.01):
        parts = split_amount(total, weights)
        assert round(sum(parts), 2) == total
        assert all(round(part, 2) == part for part in parts)


def test_split_refuses_bad_input():
    with pytest.raises(ValueError, match="cannot be negative"):
        split_amount(-1, [1])
    with pytest.raises(ValueError, match="all be 0"):
        split_amount(10, [0, 0])
    with pytest.raises(ValueError, match="weights cannot be negative"):
        split_amount(10, [1, -1])
    with pytest.raises(ValueError, match="not a multiple"):
        split_amount(10.005, [1, 1])
    with pytest.raises(ValueError, match="Nothing to split"):
        split_amount(10, [])


def test_history_and_seasonal_weights():
    # nothing, 0 or a net return is no history
    assert missing_history([120.0, 0, None, -5]) == [False, True, True, True]
    assert history_weights([120.0, 0, None, -5], "zero") == [120, 0, 0, 0]
    # equal share: the three without history weigh the mean of the known, 120,
    # so each gets 120 / 480 = 1/4 of the whole, as in an equal split
    assert history_weights([120.0, 0, None, -5]) == [120, 120, 120, 120]
    assert history_weights([0, None]) is None  # no history: equal split instead
    assert history_weights([0, None], "zero") is None
    with pytest.raises(ValueError, match="Unknown choice"):
        history_weights([1, 0], "half")
    # Q1 profile over two years: Jan 10 + 30 = 40, Feb 20 + 20 = 40, Mar 0 + 20 = 20
    history = {(2023, 1): 10, (2023, 2): 20, (2024, 1): 30, (2024, 2): 20, (2024, 3): 20,
               (2024, 7): 999}  # fmt: skip
    assert seasonal_weights(history, [1, 2, 3]) == [40, 40, 20]
    assert seasonal_weights(history, [4, 5, 6]) is None


def test_person_without_history_gets_an_equal_share_or_nothing():
    # last year: 300, 100 and nothing; target 3000
    # equal share: the newcomer weighs the mean (300 + 100) / 2 = 200, total 600:
    # 3000 × 300/600 = 1500, × 100/600 = 500, × 200/600 = 1000 (= 3000 / 3)
    weights = history_weights([300.0, 100.0, 0.0], "equal")
    assert split_amount(3000, weights) == [1500.0, 500.0, 1000.0]
    # nothing: 3000 × 300/400 = 2250, × 100/400 = 750, 0
    weights = history_weights([300.0, 100.0, 0.0], "zero")
    assert split_amount(3000, weights) == [2250.0, 750.0, 0.0]
    # exact weights: last year's 0.1 + 0.2 cents, no float drift
    assert history_weights([0.1, 0.2, 0], "equal")[2] == Fraction(3, 20)


def test_shares_are_percentages_with_2_decimals_adding_up_to_100():
    # 1/3 each: 33.333...% → 3333 ten-thousandths each, 1 left to the first
    assert shares([1, 1, 1]) == [0.3334, 0.3333, 0.3333]
    # raw weights such as 315,278.9258 never reach the user: 315278.9258 /
    # 415278.9258 = 0.759198, 100000 / 415278.9258 = 0.240802: 7591.98 and
    # 2408.02 ten-thousandths, floors 7591 + 2408 = 9999, the 1 left to the
    # larger remainder (0.98, the first): 75.92 % + 24.08 %
    assert shares([315278.9258, 100000]) == [0.7592, 0.2408]
    assert sum(Fraction(str(share)) for share in shares([3, 7, 11, 13])) == 1


def test_pacing_halfway_behind_with_coverage():
    # target 10000 over 20 working days, 10 elapsed: expected 5000;
    # actual 3500 → 3500 / 5000 = 0.70 < 0.80: behind
    p = pace(10000, 3500, 10, 20, THRESHOLDS, pipeline=9750)
    assert p.expected_to_date == 5000
    assert p.attainment == pytest.approx(35.0)  # 3500 / 10000 × 100
    assert p.gap == 6500  # 10000 - 3500
    assert p.run_rate == pytest.approx(7000)  # 3500 × 20 / 10
    assert p.status == "behind"
    assert p.coverage == pytest.approx(1.5)  # 9750 / 6500


def test_pacing_statuses_at_the_thresholds():
    # expected 5000 at mid-period; ratios 1.1 / 0.95 / 0.8 exactly hit each status
    assert pace(10000, 5500, 10, 20, THRESHOLDS).status == "ahead"
    assert pace(10000, 4750, 10, 20, THRESHOLDS).status == "on_track"
    assert pace(10000, 4000, 10, 20, THRESHOLDS).status == "at_risk"
    assert pace(10000, 3999, 10, 20, THRESHOLDS).status == "behind"


def test_pacing_edges():
    done = pace(1000, 1200, 20, 20, THRESHOLDS)
    # target exceeded: no gap, no coverage needed; 1200 / 1000 = 1.2 ≥ 1.1: ahead
    assert (done.gap, done.coverage, done.status) == (0, None, "ahead")
    assert done.attainment == pytest.approx(120.0)
    start = pace(1000, 0, 0, 20, THRESHOLDS)
    assert (start.expected_to_date, start.run_rate, start.status) == (0, None, "on_track")
    assert pace(0, 0, 5, 20, THRESHOLDS).attainment is None
    with pytest.raises(ValueError, match="at least one working day"):
        pace(1000, 0, 0, 0, THRESHOLDS)
    with pytest.raises(ValueError, match="must decrease"):
        pace(1000, 0, 1, 20, (0.8, 0.95, 1.1))


def test_period_forecast_adds_points_and_half_widths_in_quadrature():
    # two months 100 [70, 130] and 200 [160, 240]: point 100 + 200 = 300;
    # below sqrt(30² + 40²) = 50, above sqrt(30² + 40²) = 50: [250, 350]
    # (not 300 - 70 = 230 and 300 + 70 = 370, the sum of the half-widths)
    result = period_forecast([(100, 70, 130), (200, 160, 240)])
    assert (result.point, result.lo80, result.hi80) == (300, 250, 350)
    # one month: its own interval
    result = period_forecast([(120.5, 100.25, 150.75)])
    assert (result.point, result.lo80, result.hi80) == (120.5, 100.25, 150.75)


def test_period_forecast_keeps_lopsided_sides_and_known_months():
    # 40 [10, 80] and 40 [0, 70]: below sqrt(30² + 40²) = 50, above
    # sqrt(40² + 30²) = 50; 500 already sold in the period's first month:
    # 500 + 80 = 580 [530, 630]
    result = period_forecast([(40, 10, 80), (40, 0, 70)], known=500)
    assert (result.point, result.lo80, result.hi80) == (580, 530, 630)
    # a month forecast at 0 with a bound at 0 below never takes the bound
    # under 0: 10 [0, 40] and 0 [0, 0] → below sqrt(10²) = 10, above 30
    result = period_forecast([(10, 0, 40), (0, 0, 0)])
    assert (result.point, result.lo80, result.hi80) == (10, 0, 40)
    # nothing forecast: what is known, without uncertainty
    result = period_forecast([], known=75.5)
    assert (result.point, result.lo80, result.hi80) == (75.5, 75.5, 75.5)
    assert period_forecast([]) == period_forecast([], known=0.0)
