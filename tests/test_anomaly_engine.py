# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import math

import pytest

from engine.anomaly import (
    ABOVE,
    BELOW,
    HISTORY_MONTHS,
    MAD_TO_SIGMA,
    MIN_HISTORY,
    MIN_SPREAD,
    THRESHOLD,
    Band,
    bias_percent,
    forecast_error,
    mase,
    median,
    outside_band,
    robust_band,
    unusual_value,
)


def test_the_stated_rule():
    assert (THRESHOLD, MAD_TO_SIGMA, HISTORY_MONTHS, MIN_HISTORY, MIN_SPREAD) == (
        3.0,
        1.4826,
        12,
        6,
        1.0,
    )


def test_forecast_error_by_hand():
    # forecast 120, actual 100: error 120 - 100 = 20, scale 10 -> 20 / 10 = 2.0
    result = forecast_error(120.0, 100.0, 10.0)
    assert (result.error, result.abs_error, result.scaled_error) == (20.0, 20.0, 2.0)
    # too low by 20: error -20, absolute 20, scaled 20 / 8 = 2.5
    result = forecast_error(80.0, 100.0, 8.0)
    assert (result.error, result.abs_error, result.scaled_error) == (-20.0, 20.0, 2.5)
    # integers are numbers too
    assert forecast_error(5, 5, 1).scaled_error == 0.0


def test_forecast_error_without_scale_has_no_scaled_error():
    assert forecast_error(120.0, 100.0, 0.0).scaled_error is None
    assert forecast_error(120.0, 100.0, None).scaled_error is None
    assert forecast_error(120.0, 100.0, None).error == 20.0


@pytest.mark.parametrize(
    ("forecast", "actual", "scale"),
    [(math.nan, 1.0, 1.0), (1.0, math.inf, 1.0), ("1", 1.0, 1.0), (1.0, 1.0, -2.0), (True, 1, 1)],
)
def test_forecast_error_refuses_what_is_not_a_number(forecast, actual, scale):
    with pytest.raises(ValueError):
        forecast_error(forecast, actual, scale)


def test_mase_and_bias_by_hand():
    # (2.0 + 1.0) / 2, the unscaled one left out
    assert mase([2.0, 1.0, None]) == 1.5
    assert mase([None]) is None
    assert mase([]) is None
    # (20 - 10) / (100 + 100) × 100 = 5 %
    assert bias_percent([20.0, -10.0], [100.0, 100.0]) == 5.0
    assert bias_percent([20.0], [0.0]) is None


def test_outside_band_above_and_below():
    band = Band(expected=100.0, lower=80.0, upper=120.0)
    above = outside_band(130.0, band)
    # 130 - 120 = 10 above the upper bound, 10 / 120 × 100 = 8.33 %
    assert above.direction == ABOVE
    assert above.size == 10.0
    assert above.size_percent == pytest.approx(8.3333333)
    assert (above.actual, above.expected, above.lower, above.upper) == (130.0, 100.0, 80.0, 120.0)
    below = outside_band(70.0, band)
    # 80 - 70 = 10 below the lower bound, 10 / 80 × 100 = 12.5 %
    assert (below.direction, below.size, below.size_percent) == (BELOW, 10.0, 12.5)


def test_a_bound_itself_is_inside():
    band = Band(expected=100.0, lower=80.0, upper=120.0)
    assert outside_band(120.0, band) is None
    assert outside_band(80.0, band) is None
    assert outside_band(100.0, band) is None


def test_a_bound_of_zero_has_no_percentage():
    # a refund month: -5 is 5 below a lower bound of 0
    anomaly = outside_band(-5.0, Band(expected=10.0, lower=0.0, upper=30.0))
    assert (anomaly.direction, anomaly.size, anomaly.size_percent) == (BELOW, 5.0, None)


def test_an_inverted_band_is_refused():
    with pytest.raises(ValueError, match="above its upper bound"):
        outside_band(1.0, Band(expected=1.0, lower=2.0, upper=1.0))
    with pytest.raises(ValueError):
        outside_band(math.nan, Band(expected=1.0, lower=0.0, upper=2.0))


def test_median():
    assert median([3, 1, 2]) == 2.0
    assert median([4, 1, 3, 2]) == 2.5
    with pytest.raises(ValueError):
        median([])


def test_robust_band_by_hand():
    history = [10, 12, 11, 13, 9, 10, 11, 12, 10, 11, 12, 11]
    # sorted 9 10 10 10 11 11 11 11 12 12 12 13: median (11 + 11) / 2 = 11
    # deviations sorted 0 0 0 0 1 1 1 1 1 1 2 2: MAD (1 + 1) / 2 = 1
    # sigma 1.4826 × 1 = 1.4826; band 11 ± 3 × 1.4826 = [6.5522, 15.4478]
    band = robust_band(history)
    assert band.expected == 11.0
    assert band.lower == pytest.approx(6.5522)
    assert band.upper == pytest.approx(15.4478)
    assert unusual_value(15.0, history) is None
    anomaly = unusual_value(16.0, history)
    # 16 - 15.4478 = 0.5522 above; 0.5522 / 15.4478 × 100 = 3.5747 %
    assert anomaly.direction == ABOVE
    assert anomaly.size == pytest.approx(0.5522)
    assert anomaly.size_percent == pytest.approx(3.5747, abs=1e-4)
    anomaly = unusual_value(5.0, history)
    # 6.5522 - 5 = 1.5522 below
    assert (anomaly.direction, anomaly.size) == (BELOW, pytest.approx(1.5522))


def test_robust_band_ignores_a_one_off_outlier():
    # one month at 50: a mean ± 3 sd band (mean 16.67, sd 16.33) would reach
    # 65.7 and never flag 40; the median 10 with MAD 0 (spread floored at
    # 1 point) keeps the band at 10 ± 3 = [7, 13]
    history = [10, 10, 10, 10, 10, 50]
    assert robust_band(history) == Band(expected=10.0, lower=7.0, upper=13.0)
    assert unusual_value(40.0, history).direction == ABOVE
    # the floor: a change of half a point from a constant history is usual
    assert unusual_value(10.5, [10.0] * 12) is None


def test_robust_band_needs_a_minimum_history():
    assert robust_band([10, 11, 12, 10, 11]) is None  # 5 months < 6
    assert unusual_value(99.0, [10, 11, 12, 10, 11]) is None
    # months without a value do not count
    assert robust_band([None, 10, None, 11, 12, 10, None, 11]) is None
    assert robust_band([None, 10, 10, 11, 12, 10, 11]) is not None


def test_robust_band_options():
    # threshold 2 and no floor: 11 ± 2 × 1.4826
    band = robust_band([10, 12, 11, 13, 9, 10], threshold=2.0, min_spread=0.0, min_history=3)
    # sorted 9 10 10 11 12 13: median 10.5; deviations 1.5 .5 .5 .5 1.5 2.5 -> MAD 1.0
    assert band.expected == 10.5
    assert band.upper == pytest.approx(10.5 + 2 * 1.4826)
    with pytest.raises(ValueError):
        robust_band([10, math.nan, 11, 12, 10, 11])
