# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import math

import numpy as np
import pytest

from engine import forecast as forecast_module
from engine.forecast import METHODS, Forecast, forecast_many, forecast_series

Z80 = 1.2815515655446004
Z95 = 1.959963984540054


def assert_ordered(result):
    for lo95, lo80, point, hi80, hi95 in zip(
        result.lo95, result.lo80, result.point, result.hi80, result.hi95, strict=True
    ):
        assert lo95 <= lo80 <= point <= hi80 <= hi95


def test_constant_series_is_forecast_exactly_with_no_spread():
    # every candidate forecasts 5; every backtest error is 0, so the intervals
    # have no width; seasonal naive and naive errors are 0, so the scale is the
    # mean absolute value: 5
    result = forecast_series([5.0] * 30, 6)
    assert isinstance(result, Forecast)
    assert result.method in METHODS
    assert result.point == pytest.approx([5.0] * 6)
    assert result.lo95 == pytest.approx([5.0] * 6)
    assert result.hi95 == pytest.approx([5.0] * 6)
    assert result.backtest_mase == pytest.approx(0.0)
    assert result.scale == 5.0


def test_pure_seasonal_series_repeats_its_season():
    season = [10, 12, 14, 16, 18, 20, 22, 20, 18, 16, 14, 12]
    result = forecast_series(season * 4, 18)
    # next 18 months: the season, then its first 6 months again
    assert result.point == pytest.approx(season + season[:6], rel=1e-6)
    assert result.backtest_mase == pytest.approx(0.0, abs=1e-6)
    # seasonal naive's in-sample error is 0, so the scale is the mean absolute
    # value: (10+12+14+16+18+20+22+20+18+16+14+12) / 12 = 192 / 12 = 16
    assert result.scale == 16.0


def test_linear_trend_is_extended_by_arima_with_drift():
    # y = 10 + 2t for t = 0..35: the last value is 80, the change each month 2;
    # only ARIMA(0,1,0) with drift forecasts 80 + 2h exactly, so the backtest
    # keeps it alone (the combination with worse candidates would err more)
    result = forecast_series([10 + 2 * t for t in range(36)], 12)
    assert result.method == "arima"
    assert result.point == pytest.approx([80 + 2 * h for h in range(1, 13)], rel=1e-6)
    assert result.backtest_mase == pytest.approx(0.0, abs=1e-6)
    # 36 months = 3 seasons: seasonal naive's in-sample MAE is 12 months x 2 = 24
    assert result.scale == 24.0


def test_very_short_series_get_the_mean():
    result = forecast_series([3.0, 5.0, 7.0], 3)
    assert result.method == "mean"
    assert result.backtest_mase is None
    assert result.point == (5.0, 5.0, 5.0)
    # sample standard deviation 2, times sqrt(1 + 1/3) for a new value
    sigma = 2 * math.sqrt(4 / 3)
    assert result.lo80[0] == pytest.approx(5 - Z80 * sigma)
    assert result.hi95[0] == pytest.approx(5 + Z95 * sigma)
    # 5 - 1.96 x 2.309 = 0.47: still above 0
    assert result.lo95[0] == pytest.approx(5 - Z95 * sigma)
    # naive in-sample MAE: (|5-3| + |7-5|) / 2 = 2
    assert result.scale == 2.0


def test_intermittent_series_gets_croston_sba():
    values = [4, 0, 0, 0, 6, 0, 0, 2, 0, 0]
    result = forecast_series(values, 4)
    # 10 months, 3 with sales: 10 / 3 = 3.3 months between sales >= 1.32
    assert result.method == "croston_sba"
    # backtest from month 5 (half the history): before it, sales of 4 and 6 after
    # 1 and 4 months, so size 5 and interval 2.5 to start; then alpha 0.1:
    #   t=0 (4 after 1):  size 5 + .1(4-5) = 4.9,      interval 2.5 + .1(1-2.5) = 2.35
    #   t=4 (6 after 4):  size 4.9 + .1(6-4.9) = 5.01, interval 2.35 + .1(4-2.35) = 2.515
    #   t=7 (2 after 3):  size 5.01 + .1(2-5.01) = 4.709,
    #                     interval 2.515 + .1(3-2.515) = 2.5635
    # SBA: (1 - 0.1/2) x 4.709 / 2.5635 = 1.74508...
    assert result.point == pytest.approx([0.95 * 4.709 / 2.5635] * 4)
    assert_ordered(result)


def test_failing_and_exploding_fits_fall_back(monkeypatch):
    def raising(setup):
        raise RuntimeError("fit failed")

    def not_finite(setup):
        backtest, final = forecast_module._candidate_naive(setup)
        return backtest, final * np.nan

    def exploding(setup):
        backtest, final = forecast_module._candidate_naive(setup)
        return backtest, final * 1e9

    monkeypatch.setitem(forecast_module._CANDIDATES, "theta", raising)
    monkeypatch.setitem(forecast_module._CANDIDATES, "damped", not_finite)
    monkeypatch.setitem(forecast_module._CANDIDATES, "arima", exploding)
    rng = np.random.default_rng(3)
    values = 100 + rng.normal(0, 5, 48)
    result = forecast_series(values, 6)
    assert all(math.isfinite(v) for v in result.point + result.lo95 + result.hi95)
    assert max(result.point) < 200
    assert_ordered(result)


def test_all_candidates_failing_ends_on_naive(monkeypatch):
    def raising(setup):
        raise ValueError("fit failed")

    for code in ("theta", "damped", "damped_seasonal", "arima", "ses", "snaive"):
        monkeypatch.setitem(forecast_module._CANDIDATES, code, raising)
    result = forecast_series([1.0, 4.0, 2.0, 5.0, 3.0, 6.0, 4.0, 7.0], 2)
    # the next candidates are naive (last value 7) and mean; the backtest picks one
    assert result.method in ("naive", "mean", "combination")
    assert all(math.isfinite(v) for v in result.point)


def test_huge_values_stay_finite():
    rng = np.random.default_rng(5)
    values = 1e300 * (1 + rng.random(40))
    result = forecast_series(values, 12)
    assert all(math.isfinite(v) for v in result.point + result.hi95 + result.lo95)
    assert_ordered(result)


def test_forecasts_of_a_falling_series_stay_non_negative():
    values = [200 - 8 * t for t in range(24)]  # ends at 16, falls 8 a month
    cut = forecast_series(values, 12)
    assert min(cut.point) >= 0
    assert min(cut.lo95) >= 0
    free = forecast_series(values, 12, nonnegative=False)
    # the same trend left alone goes below 0 within 12 months (16 - 8h < 0 for h > 2)
    assert min(free.point) < 0


def test_intervals_are_ordered_and_widen_with_the_step():
    rng = np.random.default_rng(7)
    for _ in range(20):
        n = int(rng.integers(6, 80))
        values = np.maximum(0, 50 + rng.normal(0, 10, n).cumsum())
        result = forecast_series(values, 18)
        assert_ordered(result)
        widths = np.subtract(result.hi95, result.lo95)
        assert len(result.point) == 18
        assert result.scale > 0
        if min(result.lo95) > 0:
            assert np.all(np.diff(widths) >= -1e-9)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        forecast_series([1.0, float("nan"), 2.0], 3)
    with pytest.raises(ValueError):
        forecast_series([1.0, 2.0], 0)
    with pytest.raises(ValueError):
        forecast_series([1.0, 2.0], 3, season_length=0)


def test_forecast_many_equals_forecast_series_in_parallel_and_alone():
    rng = np.random.default_rng(11)
    series = {
        f"user:{index}": np.maximum(0, 100 + rng.normal(0, 10, int(rng.integers(3, 60))).cumsum())
        for index in range(forecast_module.PARALLEL_FROM + 10)
    }
    parallel = forecast_many(series, 6, processes=2)
    assert list(parallel) == list(series)
    for key in list(series)[::7]:
        assert parallel[key] == forecast_series(series[key], 6)
    small = dict(list(series.items())[:5])
    assert forecast_many(small, 6) == {key: forecast_series(v, 6) for key, v in small.items()}


def offset_candidate(offset, final):
    """A candidate whose backtest errs by ``offset`` everywhere and whose
    final forecast is ``final`` (both in units of the series' largest value)."""

    def candidate(setup):
        return setup.targets() + offset, np.full(setup.horizon, final)

    return candidate


def test_candidates_are_weighted_by_their_backtest_error(monkeypatch):
    # a flat series of 10: values are divided by 10 inside, and the scale is
    # the mean absolute value 10 (seasonal naive and naive err by 0), so a
    # backtest offset of 0.1 is a MASE of 0.1
    for code, offset, final in (
        ("theta", 0.1, 1.0),
        ("damped", 0.2, 2.0),
        ("arima", 0.2, 3.0),
        ("damped_seasonal", 0.2, 4.0),
        ("snaive", 0.2, 6.0),
    ):
        monkeypatch.setitem(forecast_module._CANDIDATES, code, offset_candidate(offset, final))
    result = forecast_series([10.0] * 40, 6)
    # weights 1/0.1^2 : 1/0.2^2 (x4) = 100 : 25 : 25 : 25 : 25, shares .5 and .125;
    # point (.5x1 + .125x(2 + 3 + 4 + 6)) x 10 = (.5 + 1.875) x 10 = 23.75
    assert result.method == "combination"
    assert [code for code, _weight in result.components] == [
        "theta",
        "damped",
        "arima",
        "damped_seasonal",
        "snaive",
    ]
    assert [weight for _code, weight in result.components] == pytest.approx([0.5] + [0.125] * 4)
    assert result.point == pytest.approx([23.75] * 6)
    # the combined backtest errs by .5x.1 + 4 x .125x.2 = 0.15
    assert result.backtest_mase == pytest.approx(0.15)
    # every step's backtest error is 0.15 x 10 = 1.5, widened by 1.15: 1.725
    sigma = 1.5 * forecast_module.SIGMA_FACTOR
    assert sigma == pytest.approx(1.725)
    assert result.lo80 == pytest.approx([23.75 - Z80 * sigma] * 6)
    assert result.hi95 == pytest.approx([23.75 + Z95 * sigma] * 6)


def test_a_dominant_candidate_is_used_alone(monkeypatch):
    for code, offset, final in (
        ("theta", 0.01, 1.0),
        ("damped", 0.5, 2.0),
        ("arima", 0.5, 3.0),
        ("damped_seasonal", 0.5, 4.0),
        ("snaive", 0.5, 4.0),
    ):
        monkeypatch.setitem(forecast_module._CANDIDATES, code, offset_candidate(offset, final))
    result = forecast_series([10.0] * 40, 6)
    # weights 10000 : 4 : 4 : 4 : 4, theta holds 10000 / 10016 = 99.8 % >= 95 %
    assert result.method == "theta"
    assert result.components == (("theta", 1.0),)
    assert result.point == pytest.approx([10.0] * 6)
    assert result.backtest_mase == pytest.approx(0.01)


def test_short_histories_never_get_a_seasonal_model():
    season = [10, 12, 14, 16, 18, 20, 22, 20, 18, 16, 14, 12]
    # 20 months, under two seasons: seasonal naive is not a candidate, so the
    # first fallback (SES) forecasts instead
    result = forecast_series((season * 2)[:20], 6, methods=["snaive"])
    assert result.method == "ses"
    # 30 months: two seasons and 6 backtest origins, seasonal naive applies
    result = forecast_series((season * 3)[:30], 6, methods=["snaive"])
    assert result.method == "snaive"
    assert result.point == pytest.approx(season[6:12])
    with pytest.raises(ValueError):
        forecast_series(season * 3, 6, methods=["prophet"])


@pytest.mark.parametrize("core", ["ses", "theta", "damped", "arima", "holt_winters"])
def test_each_backtest_origin_only_sees_the_periods_before_it(core):
    # one pass over the whole series serves every origin: the forecast made
    # from origin o must equal a fit on series[:o] alone
    rng = np.random.default_rng(13)
    series = 1 + 0.02 * np.arange(60) + rng.normal(0, 0.1, 60)
    function = {
        "ses": forecast_module._ses_core,
        "theta": forecast_module._theta_core,
        "damped": forecast_module._damped_core,
        "arima": forecast_module._arima_core(1),
        "holt_winters": forecast_module._holt_winters_core(12),
    }[core]
    origins = np.arange(30, 60)
    together = function(series, origins, 6)
    for row, origin in enumerate(origins):
        alone = function(series[:origin], np.array([origin]), 6)[0]
        assert together[row] == pytest.approx(alone, rel=1e-9, abs=1e-12)


def test_weekly_and_non_seasonal_series():
    rng = np.random.default_rng(17)
    weeks = 200 + 50 * np.sin(2 * np.pi * np.arange(130) / 52) + rng.normal(0, 5, 130)
    weekly = forecast_series(weeks, 8, season_length=52)
    assert len(weekly.point) == 8
    assert_ordered(weekly)
    flat = forecast_series(100 + rng.normal(0, 5, 40), 8, season_length=1)
    assert "snaive" not in dict(flat.components)
    assert_ordered(flat)


def test_refunds_may_forecast_below_zero_when_allowed():
    # a salesperson's net sales with refunds falling steadily from 50 to -65
    values = [50 - 5 * t for t in range(24)]
    free = forecast_series(values, 3, nonnegative=False)
    # the trend goes on: -70, -75, -80 (ARIMA with drift fits it exactly)
    assert free.point == pytest.approx([-70, -75, -80], rel=1e-6)
    assert_ordered(free)


def test_zeros_before_the_first_sale_are_ignored():
    season = [10, 12, 14, 16, 18, 20, 22, 20, 18, 16, 14, 12]
    # a salesperson who joined after 20 months: without the leading zeros the
    # series would look intermittent (50 months, 30 with sales: 50/30 = 1.67)
    joined = forecast_series([0.0] * 20 + (season * 3)[:30], 6)
    alone = forecast_series((season * 3)[:30], 6)
    assert joined == alone
    assert joined.method != "croston_sba"


@pytest.mark.parametrize("dip", [1.0, 0.0])
def test_holt_winters_repeats_a_pure_season(dip):
    # the first two seasons have the same mean, so the slope starts at 0, the
    # level at the mean and the seasons at the first season's ratios to it
    # (differences when a month is 0: additive seasons); every one-step error
    # is then 0 for every grid point, and the forecast is the season again
    season = [10, 12, 14, 16, 18, 20, 22, 20, 18, 16, 14, dip]
    result = forecast_series(season * 5, 15, methods=["holt_winters"])
    assert result.method == "holt_winters"
    assert result.point == pytest.approx(season + season[:3], rel=1e-6, abs=1e-6)
    assert result.backtest_mase == pytest.approx(0.0, abs=1e-6)
    assert_ordered(result)


def test_holt_winters_joins_from_four_seasons():
    rng = np.random.default_rng(23)
    months = np.arange(60)
    values = 100 + 0.5 * months + 20 * np.sin(2 * np.pi * months / 12) + rng.normal(0, 4, 60)
    # 47 months: under four seasons, its parameters would be chosen on too few
    # periods; 48 months: a candidate of the combination
    short = forecast_series(values[:47], 12)
    assert "holt_winters" not in dict(short.components)
    assert short.method != "holt_winters"
    long = forecast_series(values[:48], 12)
    assert "holt_winters" in dict(long.components)
    assert_ordered(long)


def test_holt_winters_with_a_month_near_zero_stays_finite():
    # multiplicative seasons with one month at 1e-9 of the others: the grid
    # points that blow up are dropped by the sum of squared errors, the
    # forecast stays finite, non-negative and ordered
    season = [100.0] * 11 + [1e-7]
    rng = np.random.default_rng(29)
    values = np.array(season * 6) * (1 + rng.normal(0, 0.2, 72)) + 1e-9
    result = forecast_series(np.abs(values), 18, methods=["holt_winters"])
    assert all(math.isfinite(v) for v in result.point + result.lo95 + result.hi95)
    assert min(result.lo95) >= 0.0
    assert_ordered(result)


def between_the_limits(n, seed):
    """A noisy seasonal series whose lag-12 autocorrelation passes the 80 % test, not the 90 %."""
    rng = np.random.default_rng(seed)
    months = np.arange(n)
    for _attempt in range(500):
        x = 10 + np.sin(2 * np.pi * months / 12) + rng.normal(0, 1.6, n)
        c = x - x.mean()
        acf = np.array([c[k:] @ c[: n - k] for k in range(1, 13)]) / (c @ c)
        bound = math.sqrt((1 + 2 * float(acf[:11] @ acf[:11])) / n)
        if 1.2816 * bound < abs(acf[11]) <= 1.645 * bound:
            return x
    raise AssertionError("no series between the two limits")


def test_seasonality_test_is_looser_under_four_seasons():
    # the autocorrelation at lag 12 is tested against quantile x sqrt((1 +
    # 2 x sum of the squared autocorrelations at lags 1..11) / n): 1.2816
    # (80 %) under four seasons, 1.645 (90 %) from four seasons
    assert forecast_module._is_seasonal(between_the_limits(36, 0), 12)
    assert forecast_module._is_seasonal(between_the_limits(47, 1), 12)
    assert not forecast_module._is_seasonal(between_the_limits(48, 2), 12)
    assert not forecast_module._is_seasonal(between_the_limits(72, 3), 12)
