# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Statistical sales forecasts with prediction intervals.

Public API
----------

- :func:`forecast_series` forecasts one monthly (or weekly, or any regular)
  series: point forecast, 80 % and 95 % intervals, the method used, the
  backtest error of that method and the series' scale.
- :func:`forecast_many` does the same for many series in one call, over the
  machine's cores for large inputs.
- :class:`Forecast` is what both return; :data:`METHODS` names the methods.

Candidate methods
-----------------

All are written in numpy; smoothing parameters are chosen on a grid by the
sum of squared one-step errors (all grid points are run at once).

``snaive``
    Seasonal naive: the value of the same period one season earlier.
``naive``, ``mean``
    The last value; the mean of the history.
``ses``
    Simple exponential smoothing (level starts at the first value).
``theta``
    The Theta method as SES with drift (Hyndman & Billah, 2003): SES level
    plus half the slope of the least-squares line of the history.
``damped``
    Additive damped-trend exponential smoothing (level and slope start from
    the least-squares line of the first ten points).
``damped_seasonal``
    The same on the seasonally adjusted series, seasonality put back.
``holt_winters``
    Holt-Winters with a damped trend on the series itself: level, slope
    and seasons start from the first two seasons; seasons multiplicative
    when those are positive, additive otherwise.
``arima``
    A fast ARIMA: ARIMA(p,0,0)(0,1,0)\\ :sub:`m` (seasonal differences)
    with or without drift when seasonal candidates apply (see below),
    ARIMA(p,1,0) with or without drift otherwise; the autoregression is
    fitted by least squares, ``p`` (0 to 3) and the drift are chosen by
    AIC.
``croston_sba``
    Croston's method with the Syntetos-Boylan correction, smoothing 0.1,
    for intermittent series; demand size and interval start at their means
    over the periods before the first backtest origin.

Seasonal adjustment follows the M4 competition's benchmarks: classical
decomposition (multiplicative when the series is positive, additive
otherwise). ``theta`` and ``ses`` use it only when the 90 % test on the
autocorrelation at lag ``m`` says the series is seasonal (as statsmodels'
``ThetaModel`` does; under :data:`SHORT_SEASONS` seasons of history the
test runs at 80 %, since it has little power there); ``damped_seasonal``
always, and ``damped`` never, so that the backtest weighs both when the
test is unsure.

How the forecast is chosen
--------------------------

By a rolling-origin backtest on the series' own history. The backtest's
origins are the last ``horizon + season_length`` periods, fewer when that
would leave less than two full seasons (with seasonal candidates) or half
the history (without) before the first one. Each origin ``o`` refits
every candidate on the periods before ``o`` (smoothing parameters, AR
coefficients and order, drift; seasonal indices come from the periods
before the first origin) and forecasts up to ``min(horizon, periods
left)`` steps. A candidate's backtest error is the mean absolute error over
every origin and step, divided by :attr:`Forecast.scale` (a MASE).

The forecast is then a weighted mean of the candidates ``theta``,
``damped``, ``arima`` (12 periods or more), ``damped_seasonal`` and
``snaive`` (when seasonal candidates apply, see below) and
``holt_winters`` (the same, from :data:`SHORT_SEASONS` seasons of history:
on fewer, its parameters are chosen on too few periods and it hurts the
combination), each weighted by
the inverse square of its backtest MASE, so a candidate twice as bad
counts four times less (``combination``). When one candidate holds at least :data:`DOMINANT` of
the weight, it is used alone and named. ``ses``, ``naive`` and ``mean``
are fallbacks only. On the 1,428 monthly series of the M3 competition
(``bench/eval_forecast.py``) this weighted combination beats each
candidate alone and picking the backtest's best one.

The ``backtest_mase`` returned is that of the forecast returned (for a
combination, of the same weighted mean of the backtest forecasts; the
weights come from the same backtest, so it is slightly optimistic).

Special cases, in this order:

- zero periods before the first non-zero one (a salesperson who joined,
  a product launched) are dropped: the history starts with the first sale;
- fewer than :data:`MIN_POINTS` periods: ``mean`` (no backtest);
- every period zero: ``naive`` (zeros);
- intermittent series (average interval between non-zero periods of at
  least :data:`INTERMITTENT_ADI`): ``croston_sba``;
- seasonal candidates (``snaive``, ``damped_seasonal``, ``holt_winters``,
  seasonal ``ses``, ``theta`` and ``arima``) apply only when the history
  holds two full seasons before the first backtest origin and at least 3
  origins after it, i.e. ``2 * season_length + 3`` periods; never under
  two full seasons.

A candidate that raises, returns a non-finite value, or whose forecast
goes further than ten times the range of the history beyond its largest
absolute value (an exploding fit) is dropped: the others make the
forecast. When every candidate failed, the first of ``ses``, ``naive``,
``mean`` that works is used (``naive`` and ``mean`` always work).

Intervals
---------

Normal intervals around the point, with a standard deviation per step
``h``: the root mean square of the backtest's ``h``-step errors of the
forecast returned (made non-decreasing in ``h``; beyond the steps the
backtest reached, grown as ``sqrt(h)``), times :data:`SIGMA_FACTOR`. The
backtest's errors come from fits on shorter histories just before the
forecast, and understate the errors to come: unwidened, the intervals
held 78 % and 91 % of the M3 monthly actuals; widened by 1.15, 84 % and
94 % (M3), 80 % and 92 % (M1), 76 % and 89 % with only 36 months of
history (``bench/eval_forecast.py`` prints the coverage).
Without a backtest (``mean`` of a very short history), the standard
deviation of the history. With ``nonnegative`` the point and the bounds are
cut at 0. Each interval thus contains its point, and the 95 % interval the
80 % one.

Speed
-----

Each smoothing method runs all its grid points in one numpy pass over the
series, and one pass serves every backtest origin (the sums of squared
errors up to each origin are cumulative sums; the AR regressions use
cumulative cross-products): about 2.5 ms of CPU for a monthly series of 36
to 126 months, choice and intervals included. :func:`forecast_many` forks
one process per core for large inputs (``bench/bench_forecast.py``).
"""

import math
import multiprocessing
import os
from dataclasses import dataclass

import numpy as np

#: method code: label
METHODS = {
    "mean": "Mean",
    "naive": "Naive",
    "snaive": "Seasonal naive",
    "ses": "Simple exponential smoothing",
    "theta": "Theta",
    "damped": "Damped trend",
    "damped_seasonal": "Damped trend, seasonal",
    "holt_winters": "Holt-Winters",
    "arima": "ARIMA",
    "croston_sba": "Croston (SBA)",
    "combination": "Combination",
}

#: below this many periods, the forecast is the mean of the history
MIN_POINTS = 6
#: weight share from which one candidate is used alone instead of the combination
DOMINANT = 0.95
#: average interval between non-zero periods from which a series is intermittent
INTERMITTENT_ADI = 1.32
#: backtest origins needed after two full seasons for seasonal candidates
MIN_SEASONAL_ORIGINS = 3
#: seasons of history under which the seasonality test runs at 80 % instead
#: of 90 %, and ``holt_winters`` is left out of the combination
SHORT_SEASONS = 4
#: widening of the backtest's error spread (calibrated on M3 monthly, see module doc)
SIGMA_FACTOR = 1.15
#: inputs from this many series are spread over several processes
PARALLEL_FROM = 200

_Z80 = 1.2815515655446004
_Z95 = 1.959963984540054
_ALPHAS = np.array([0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
_CROSTON_ALPHA = 0.1
_MASE_FLOOR = 1e-6  # backtest errors below this count as this (exact fits)
_EXPLODE = 10.0  # a forecast beyond this many ranges past the history has exploded


@dataclass(frozen=True)
class Forecast:
    """Forecast of one series.

    :ivar method: code of the method used (a key of :data:`METHODS`);
        ``combination`` when the point is a weighted mean of candidates.
    :ivar point: point forecasts; ``point[0]`` is the first period after
        the history.
    :ivar lo80: lower bounds of the 80 % intervals, one per period.
    :ivar hi80: upper bounds of the 80 % intervals.
    :ivar lo95: lower bounds of the 95 % intervals.
    :ivar hi95: upper bounds of the 95 % intervals.
    :ivar backtest_mase: the rolling-origin backtest's mean absolute error
        of what was chosen, divided by :attr:`scale`; ``None`` when the
        history was too short for a backtest.
    :ivar scale: in-sample mean absolute error of the seasonal naive
        forecast (of the naive one under two full seasons); when that is 0,
        the mean absolute value of the history, else 1. Always > 0.
    :ivar components: ``(method, weight)`` pairs of a combination, largest
        weight first (weights sum to 1); ``((method, 1.0),)`` otherwise.
    """

    method: str
    point: tuple[float, ...]
    lo80: tuple[float, ...]
    hi80: tuple[float, ...]
    lo95: tuple[float, ...]
    hi95: tuple[float, ...]
    backtest_mase: float | None
    scale: float
    components: tuple[tuple[str, float], ...] = ()

    def __post_init__(self):
        if not self.components:
            object.__setattr__(self, "components", ((self.method, 1.0),))


# ---------------------------------------------------------------------------
# Set-up shared by the candidates
# ---------------------------------------------------------------------------


class _Setup:
    """One series prepared for the candidates (divided by its largest absolute value).

    ``origins`` are the backtest origins (forecasts start at ``x[o]``);
    ``steps`` is how many steps every candidate forecasts from each origin
    (at least the horizon); ``depth`` how many of them the backtest checks.
    """

    def __init__(self, x, season_length, horizon, seasonal_allowed, origins):
        self.x = x
        self.n = len(x)
        self.m = season_length
        self.horizon = horizon
        self.seasonal_allowed = seasonal_allowed
        self.origins = origins
        self.depth = min(horizon, self.n - int(origins[0]))
        self.steps = max(horizon, self.depth)
        self.seasonal = seasonal_allowed and _is_seasonal(x, season_length)
        self.cache = {}

    def targets(self):
        """Actual values at each origin and step, NaN past the history."""
        index = self.origins[:, None] + np.arange(self.depth)[None, :]
        values = np.full(index.shape, np.nan)
        inside = index < self.n
        values[inside] = self.x[index[inside]]
        return values


def _first_origin(n, season_length, horizon, seasonal_allowed):
    """First backtest origin: enough history before it, at most
    ``horizon + season_length`` origins after it."""
    min_train = 2 * season_length if seasonal_allowed else max(4, math.ceil(n / 2))
    return max(min_train, n - horizon - season_length)


def _is_seasonal(x, m):
    """90 % test on the autocorrelation at lag ``m`` (M4 benchmarks); 80 %
    under :data:`SHORT_SEASONS` seasons."""
    n = len(x)
    if m < 2 or n < 2 * m:
        return False
    centred = x - x.mean()
    denominator = float(centred @ centred)
    if denominator <= 0:
        return False
    acf = np.array([centred[k:] @ centred[: n - k] for k in range(1, m + 1)]) / denominator
    quantile = 1.645 if n >= SHORT_SEASONS * m else 1.2816
    limit = quantile * math.sqrt((1 + 2 * float(acf[:-1] @ acf[:-1])) / n)
    return abs(acf[-1]) > limit


def _seasonal_indices(x, m):
    """Classical decomposition: ``(indices, multiplicative)``.

    ``indices[k]`` is the seasonal factor (or term) of the periods at
    position ``k`` modulo ``m`` from the start of ``x``: the mean ratio to
    (or difference from) the centred moving average over a season,
    normalised to a mean of 1 (or 0). Multiplicative when the series and
    its moving average are positive and every factor comes out positive.
    """
    weights = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    trend = np.convolve(x, weights, mode="valid")
    offset = (len(weights) - 1) // 2
    centred = x[offset : offset + len(trend)]
    positions = np.arange(offset, offset + len(trend)) % m
    counts = np.maximum(np.bincount(positions, minlength=m), 1)
    if x.min() > 0 and trend.min() > 0:
        indices = np.bincount(positions, weights=centred / trend, minlength=m) / counts
        indices = indices / indices.mean()
        if indices.min() > 0:
            return indices, True
    indices = np.bincount(positions, weights=centred - trend, minlength=m) / counts
    return indices - indices.mean(), False


def _adjusted(setup, which):
    """``(adjusted series, seasonal factor of every period, multiplicative)``.

    The factors cover the history and the steps after it; ``which`` is
    ``"backtest"`` (indices from the periods before the first origin) or
    ``"final"`` (indices from the whole history).
    """
    key = ("adjusted", which)
    if key not in setup.cache:
        x, m = setup.x, setup.m
        train = x[: int(setup.origins[0])] if which == "backtest" else x
        indices, multiplicative = _seasonal_indices(train, m)
        factors = indices[np.arange(setup.n + setup.steps) % m]
        if multiplicative:
            adjusted = x / factors[: setup.n]
        else:
            adjusted = x - factors[: setup.n]
        setup.cache[key] = (adjusted, factors, multiplicative)
    return setup.cache[key]


def _reseason(forecasts, origins, factors, multiplicative):
    index = origins[:, None] + np.arange(forecasts.shape[1])[None, :]
    return forecasts * factors[index] if multiplicative else forecasts + factors[index]


def _run(setup, core, seasonal):
    """Run ``core(series, origins, steps)`` for the backtest and the final fit.

    Returns ``(backtest, final)``: forecasts per backtest origin and step
    (``depth`` steps), and the final forecast (``horizon`` steps).
    """
    origins, n = setup.origins, setup.n
    if not seasonal:
        every = np.r_[origins, n]
        forecasts = core(setup.x, every, setup.steps)
        return forecasts[:-1, : setup.depth], forecasts[-1, : setup.horizon]
    adjusted, factors, multiplicative = _adjusted(setup, "backtest")
    backtest = _reseason(core(adjusted, origins, setup.depth), origins, factors, multiplicative)
    adjusted, factors, multiplicative = _adjusted(setup, "final")
    last = np.array([n])
    final = _reseason(core(adjusted, last, setup.horizon), last, factors, multiplicative)
    return backtest, final[0]


# ---------------------------------------------------------------------------
# Candidates: core(series, origins, steps) -> forecasts (len(origins), steps)
# ---------------------------------------------------------------------------


def _ses_pass(series):
    """SES over every alpha of the grid: (prefix SSE, level after each period)."""
    n = len(series)
    level = np.full(len(_ALPHAS), series[0])
    levels = np.empty((n, len(_ALPHAS)))
    squares = np.empty((n, len(_ALPHAS)))
    for t in range(n):
        error = series[t] - level
        squares[t] = error * error
        level = level + _ALPHAS * error
        levels[t] = level
    sse = np.vstack([np.zeros(len(_ALPHAS)), np.cumsum(squares, axis=0)])
    return sse, levels


def _ses_at(series, origins):
    """Best alpha and level at each origin (fitted on the periods before it)."""
    sse, levels = _ses_pass(series)
    best = np.argmin(sse[origins], axis=1)
    return _ALPHAS[best], levels[origins - 1, best]


def _ses_core(series, origins, steps):
    _alpha, level = _ses_at(series, origins)
    return np.repeat(level[:, None], steps, axis=1)


def _slopes(series, origins):
    """Least-squares slope of ``series[:o]`` for every origin ``o``."""
    t = np.arange(len(series), dtype=float)
    sum_t = np.r_[0.0, np.cumsum(t)][origins]
    sum_tt = np.r_[0.0, np.cumsum(t * t)][origins]
    sum_y = np.r_[0.0, np.cumsum(series)][origins]
    sum_ty = np.r_[0.0, np.cumsum(t * series)][origins]
    count = origins.astype(float)
    denominator = count * sum_tt - sum_t * sum_t
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = (count * sum_ty - sum_t * sum_y) / denominator
    return np.where(denominator > 0, slope, 0.0)


def _theta_core(series, origins, steps):
    alpha, level = _ses_at(series, origins)
    drift = _slopes(series, origins) / 2
    h = np.arange(1, steps + 1)[None, :]
    alpha = alpha[:, None]
    weight = (h - 1) + 1 / alpha - (1 - alpha) ** origins[:, None] / alpha
    return level[:, None] + drift[:, None] * weight


_DAMPED_GRID = np.array(
    [
        (alpha, alpha * beta, phi)
        for alpha in (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)
        for beta in (0.02, 0.1, 0.3)
        for phi in (0.8, 0.9, 0.95, 0.98)
    ]
).T


def _damped_core(series, origins, steps):
    alpha, beta, phi = _DAMPED_GRID
    n = len(series)
    first = min(10, int(origins[0]))
    slope0 = _slopes(series, np.array([first]))[0]
    level = np.full(len(alpha), series[:first].mean() - slope0 * (first + 1) / 2)
    trend = np.full(len(alpha), slope0)
    levels = np.empty((n, len(alpha)))
    trends = np.empty((n, len(alpha)))
    squares = np.empty((n, len(alpha)))
    for t in range(n):
        fitted = level + phi * trend
        error = series[t] - fitted
        squares[t] = error * error
        level = fitted + alpha * error
        trend = phi * trend + beta * error
        levels[t] = level
        trends[t] = trend
    sse = np.vstack([np.zeros(len(alpha)), np.cumsum(squares, axis=0)])
    best = np.argmin(sse[origins], axis=1)
    phi_best = phi[best][:, None]
    h = np.arange(1, steps + 1)[None, :]
    damping = phi_best * (1 - phi_best**h) / (1 - phi_best)
    return levels[origins - 1, best][:, None] + trends[origins - 1, best][:, None] * damping


_HW_GRID = np.array(
    [
        (alpha, alpha * beta, gamma, phi)
        for alpha in (0.1, 0.3, 0.5, 0.8)
        for beta in (0.01, 0.1)
        for gamma in (0.01, 0.1, 0.3)
        for phi in (0.9, 0.98)
    ]
).T


def _holt_winters_core(m):
    def core(series, origins, steps):
        return _holt_winters_forecasts(series, origins, steps, m)

    return core


def _holt_winters_forecasts(series, origins, steps, m):
    """Damped Holt-Winters over the grid (error-correction form).

    Starts at period ``m`` from the first two seasons (before every
    origin): level and slope from their means, seasons from the first one;
    multiplicative when those two seasons and their line are positive.
    """
    alpha, beta, gamma, phi = _HW_GRID
    size, n = len(alpha), len(series)
    first, second = series[:m].mean(), series[m : 2 * m].mean()
    slope = (second - first) / m
    line = first + slope * (np.arange(m) - (m - 1) / 2)
    multiplicative = bool(series[: 2 * m].min() > 0 and line.min() > 0)
    season = np.repeat(
        (series[:m] / line if multiplicative else series[:m] - line)[:, None], size, 1
    )
    level = np.full(size, line[-1])
    trend = np.full(size, slope)
    start = int(origins[0]) - 1  # states are kept from here on
    levels = np.empty((n, size))
    trends = np.empty((n, size))
    seasons = np.empty((n - start, m, size))
    squares = np.zeros((n, size))
    levels[:m], trends[:m] = level, trend
    if start < m:
        seasons[: m - start] = season
    for t in range(m, n):
        factor = season[t % m]
        base = level + phi * trend
        if multiplicative:
            error = series[t] - base * factor
            relative = error / factor
            level = base + alpha * relative
            trend = phi * trend + beta * relative
            season[t % m] = factor + gamma * error / base
        else:
            error = series[t] - base - factor
            level = base + alpha * error
            trend = phi * trend + beta * error
            season[t % m] = factor + gamma * error
        squares[t] = error * error
        levels[t], trends[t] = level, trend
        if t >= start:
            seasons[t - start] = season
    sse = np.vstack([np.zeros(size), np.cumsum(squares, axis=0)])[origins]
    best = np.argmin(np.where(np.isfinite(sse), sse, np.inf), axis=1)
    phi_best = phi[best][:, None]
    h = np.arange(1, steps + 1)[None, :]
    damping = phi_best * (1 - phi_best**h) / (1 - phi_best)
    base = levels[origins - 1, best][:, None] + trends[origins - 1, best][:, None] * damping
    position = (origins[:, None] + np.arange(steps)[None, :]) % m
    factors = seasons[origins[:, None] - 1 - start, position, best[:, None]]
    return base * factors if multiplicative else base + factors


def _snaive_core(m):
    def core(series, origins, steps):
        index = origins[:, None] - m + (np.arange(steps)[None, :] % m)
        return series[index]

    return core


def _naive_core(series, origins, steps):
    return np.repeat(series[origins - 1][:, None], steps, axis=1)


def _mean_core(series, origins, steps):
    means = np.r_[0.0, np.cumsum(series)][origins] / origins
    return np.repeat(means[:, None], steps, axis=1)


_AR_MODELS = tuple((p, drift) for p in range(4) for drift in (False, True))


def _arima_core(lag):
    """ARIMA on the difference at ``lag`` (1, or the season length)."""

    def core(series, origins, steps):
        return _arima_forecasts(series, origins, steps, lag)

    return core


def _arima_forecasts(series, origins, steps, lag):
    order = 3
    diff = series[lag:] - series[:-lag]  # diff[i] is the change into period i + lag
    rows = np.arange(order, len(diff))
    design = np.column_stack([np.ones(len(rows))] + [diff[rows - k] for k in range(1, order + 1)])
    target = diff[rows]
    # prefix sums over the rows whose period (row + lag) is before the origin
    cross = np.cumsum(design[:, :, None] * design[:, None, :], axis=0)
    cross = np.concatenate([np.zeros((1, order + 1, order + 1)), cross])
    moment = np.concatenate([np.zeros((1, order + 1)), np.cumsum(design * target[:, None], 0)])
    energy = np.r_[0.0, np.cumsum(target * target)]
    used = np.clip(origins - lag - order, 0, len(rows))
    best_aic = np.full(len(origins), np.inf)
    coefficients = np.zeros((len(origins), order + 1))
    for p, drift in _AR_MODELS:
        columns = ([0] if drift else []) + list(range(1, p + 1))
        k = len(columns)
        count = used.astype(float)
        ok = count >= k + 3
        beta = np.zeros((len(origins), k))
        rss = energy[used].copy()
        if k:
            xtx = cross[used][:, columns][:, :, columns] + 1e-9 * np.eye(k)
            xty = moment[used][:, columns]
            beta = np.linalg.solve(xtx, xty[:, :, None])[:, :, 0]
            rss = rss - np.einsum("ok,ok->o", beta, xty)
        with np.errstate(divide="ignore", invalid="ignore"):
            aic = count * np.log(np.maximum(rss, 1e-12) / np.maximum(count, 1)) + 2 * k
        better = ok & (aic < best_aic)
        best_aic = np.where(better, aic, best_aic)
        full = np.zeros((len(origins), order + 1))
        full[:, columns] = beta
        coefficients[better] = full[better]
    # recursion from each origin
    history = np.zeros((len(origins), lag + steps))
    changes = np.zeros((len(origins), order + steps))
    for j in range(lag):
        history[:, j] = series[origins - lag + j]
    for k in range(order):
        position = origins - lag - order + k  # index into diff
        changes[:, k] = np.where(position >= 0, diff[np.maximum(position, 0)], 0.0)
    for h in range(steps):
        change = coefficients[:, 0] + sum(
            coefficients[:, k] * changes[:, order + h - k] for k in range(1, order + 1)
        )
        changes[:, order + h] = change
        history[:, lag + h] = history[:, h] + change
    return history[:, lag:]


def _croston_core(series, origins, steps):
    """Croston-SBA; size and interval start at their means before the first origin."""
    n = len(series)
    sizes = np.empty(n)
    intervals = np.empty(n)
    nonzero = np.flatnonzero(series[: int(origins[0])])
    if not len(nonzero):
        nonzero = np.flatnonzero(series)[:1]
    size = float(series[nonzero].mean()) if len(nonzero) else 0.0
    interval = float(np.diff(nonzero, prepend=-1).mean()) if len(nonzero) else 1.0
    since = 0
    for t in range(n):
        since += 1
        if series[t] != 0:
            size += _CROSTON_ALPHA * (series[t] - size)
            interval += _CROSTON_ALPHA * (since - interval)
            since = 0
        sizes[t] = size
        intervals[t] = interval
    rate = (1 - _CROSTON_ALPHA / 2) * sizes[origins - 1] / intervals[origins - 1]
    return np.repeat(rate[:, None], steps, axis=1)


def _candidate_snaive(setup):
    return _run(setup, _snaive_core(setup.m), False)


def _candidate_naive(setup):
    return _run(setup, _naive_core, False)


def _candidate_mean(setup):
    return _run(setup, _mean_core, False)


def _candidate_ses(setup):
    return _run(setup, _ses_core, setup.seasonal)


def _candidate_theta(setup):
    return _run(setup, _theta_core, setup.seasonal)


def _candidate_damped(setup):
    return _run(setup, _damped_core, False)


def _candidate_damped_seasonal(setup):
    return _run(setup, _damped_core, True)


def _candidate_holt_winters(setup):
    return _run(setup, _holt_winters_core(setup.m), False)


def _candidate_arima(setup):
    lag = setup.m if setup.seasonal_allowed else 1
    return _run(setup, _arima_core(lag), False)


def _candidate_croston_sba(setup):
    return _run(setup, _croston_core, False)


#: candidates by method code, tried in this order when backtest errors tie
_CANDIDATES = {
    "theta": _candidate_theta,
    "damped": _candidate_damped,
    "damped_seasonal": _candidate_damped_seasonal,
    "holt_winters": _candidate_holt_winters,
    "arima": _candidate_arima,
    "ses": _candidate_ses,
    "snaive": _candidate_snaive,
    "croston_sba": _candidate_croston_sba,
    "naive": _candidate_naive,
    "mean": _candidate_mean,
}

#: used when every candidate considered failed, in this order (never fail)
_FALLBACKS = ("ses", "naive", "mean")


def _candidate_codes(setup, intermittent, methods):
    """Candidates for a series: the combined ones, or those of ``methods``."""
    if intermittent:
        return ["croston_sba"]
    combined = ["theta", "damped"]
    if setup.n >= 12:
        combined.append("arima")
    if setup.seasonal_allowed:
        combined += ["damped_seasonal", "snaive"]
        if setup.n >= SHORT_SEASONS * setup.m:
            combined.append("holt_winters")
    if methods is None:
        return combined
    unknown = set(methods) - set(_CANDIDATES)
    if unknown:
        raise ValueError(f"Unknown forecasting method {min(unknown)!r}")
    return [code for code in combined + list(_FALLBACKS) if code in methods]


# ---------------------------------------------------------------------------
# Choice, intervals, public functions
# ---------------------------------------------------------------------------


def _scale(y, m):
    """In-sample MAE of seasonal naive (naive under two seasons), > 0."""
    lag = m if m > 1 and len(y) >= 2 * m else 1
    if len(y) > lag:
        mae = float(np.mean(np.abs(y[lag:] - y[:-lag])))
        if mae > 0:
            return mae
    mean_abs = float(np.mean(np.abs(y))) if len(y) else 0.0
    return mean_abs if mean_abs > 0 else 1.0


def _try_candidate(code, setup, nonnegative, spread):
    """``(backtest, final)`` of a candidate, or None when it failed."""
    try:
        with np.errstate(all="ignore"):
            backtest, final = _CANDIDATES[code](setup)
    except Exception:  # noqa: BLE001 - any failing fit falls back to the next method
        return None
    backtest = np.asarray(backtest, dtype=float)
    final = np.asarray(final, dtype=float)
    if final.shape != (setup.horizon,) or not np.all(np.isfinite(final)):
        return None
    limit = 1.0 + _EXPLODE * spread  # the history lies within [-1, 1]
    if np.any(np.abs(final) > limit):
        return None
    backtest = np.clip(
        np.nan_to_num(backtest, nan=limit, posinf=limit, neginf=-limit), -limit, limit
    )
    if nonnegative:
        backtest = np.maximum(backtest, 0.0)
        final = np.maximum(final, 0.0)
    return backtest, final


def _sigmas(errors, horizon, fallback):
    """Standard deviation per step from backtest errors (see module doc)."""
    sigmas = np.full(horizon, np.nan)
    reached = 0
    for h in range(min(horizon, errors.shape[1])):
        column = errors[:, h]
        column = column[np.isfinite(column)]
        if len(column) < 3:
            break
        sigmas[h] = math.sqrt(float(np.mean(column * column)))
        reached = h + 1
    if not reached:
        return fallback * np.sqrt(np.arange(1, horizon + 1))
    sigmas[:reached] = np.maximum.accumulate(sigmas[:reached])
    steps = np.arange(reached + 1, horizon + 1)
    sigmas[reached:] = sigmas[reached - 1] * np.sqrt(steps / reached)
    return sigmas * SIGMA_FACTOR


def _build(method, point, sigmas, backtest_mase, scale, unit, nonnegative, components=()):
    point = np.asarray(point, dtype=float)
    bounds = []
    for z in (_Z80, _Z95):
        lower, upper = point - z * sigmas, point + z * sigmas
        if nonnegative:
            lower = np.maximum(lower, 0.0)
        bounds.extend([lower, upper])
    lo80, hi80, lo95, hi95 = bounds

    def values(array):
        return tuple(float(v) * unit for v in array)

    return Forecast(
        method=method,
        point=values(point),
        lo80=values(lo80),
        hi80=values(hi80),
        lo95=values(np.minimum(lo95, lo80)),
        hi95=values(np.maximum(hi95, hi80)),
        backtest_mase=backtest_mase,
        scale=scale,
        components=components,
    )


def _short_forecast(y, horizon, scale, nonnegative):
    """Fewer than MIN_POINTS periods: the mean, +- the standard deviation."""
    if not len(y):
        zeros = np.zeros(horizon)
        return _build("mean", zeros, zeros, None, scale, 1.0, nonnegative)
    mean = float(np.mean(y))
    if nonnegative:
        mean = max(mean, 0.0)
    spread = float(np.std(y, ddof=1)) * math.sqrt(1 + 1 / len(y)) if len(y) > 1 else abs(mean)
    return _build(
        "mean", np.full(horizon, mean), np.full(horizon, spread), None, scale, 1.0, nonnegative
    )


def _check(values, horizon, season_length):
    y = np.asarray(values, dtype=float).ravel()
    if not np.all(np.isfinite(y)):
        raise ValueError("A series to forecast must hold finite numbers only")
    if int(horizon) != horizon or horizon < 1:
        raise ValueError("The forecast horizon must be a whole number of periods, 1 or more")
    if int(season_length) != season_length or season_length < 1:
        raise ValueError("The season length must be a whole number of periods, 1 or more")
    return y, int(horizon), int(season_length)


def forecast_series(values, horizon, season_length=12, *, nonnegative=True, methods=None):
    """Forecast one series ``horizon`` periods ahead.

    :param values: the history, oldest first, one number per period, no gap
        (a period without sales is 0); leading zero periods are ignored.
    :param horizon: number of periods to forecast (1 or more).
    :param season_length: periods per season: 12 for monthly data, 52 for
        weekly, 1 for none.
    :param nonnegative: cut forecasts and interval bounds at 0 (sales).
    :param methods: codes of the candidates to consider (default: all);
        a candidate that does not apply to the series (a seasonal one on a
        short history, ``croston_sba`` on a regular one) is skipped, and
        ``naive`` is used when none is left. The special cases (short,
        all-zero and intermittent series) apply whatever ``methods`` says.
    :returns: a :class:`Forecast`; see the module documentation for the
        methods, how one is chosen and how the intervals are made.
    :raises ValueError: on a non-finite value or a bad horizon or season
        length.
    """
    y, horizon, m = _check(values, horizon, season_length)
    if np.any(y):
        y = y[np.flatnonzero(y)[0] :]  # before the first sale, nothing was sold yet
    n = len(y)
    scale = _scale(y, m)
    if n < MIN_POINTS:
        return _short_forecast(y, horizon, scale, nonnegative)
    unit = float(np.max(np.abs(y)))
    if unit == 0:
        zeros = np.zeros(horizon)
        return _build("naive", zeros, zeros, 0.0, scale, 1.0, nonnegative)
    x = y / unit
    seasonal_allowed = m > 1 and n >= 2 * m + MIN_SEASONAL_ORIGINS
    origins = np.arange(_first_origin(n, m, horizon, seasonal_allowed), n)
    setup = _Setup(x, m, horizon, seasonal_allowed, origins)
    nonzero = np.flatnonzero(y)
    intermittent = n / max(len(nonzero), 1) >= INTERMITTENT_ADI
    spread = float(x.max() - x.min()) or 1.0
    results = {}
    for code in _candidate_codes(setup, intermittent, methods):
        result = _try_candidate(code, setup, nonnegative, spread)
        if result is not None:
            results[code] = result
    for code in _FALLBACKS:
        if results:
            break
        result = _try_candidate(code, setup, nonnegative, spread)
        if result is not None:
            results[code] = result
    return _choose(setup, results, scale / unit, scale, unit, nonnegative)


def _choose(setup, results, scale_unit, scale, unit, nonnegative):
    """Weigh the candidates by their backtest error; build the forecast."""
    targets = setup.targets()
    errors = {code: targets - backtest for code, (backtest, _final) in results.items()}
    mase = {code: float(np.nanmean(np.abs(error))) / scale_unit for code, error in errors.items()}
    codes = list(results)
    weights = np.array([max(mase[code], _MASE_FLOOR) ** -2.0 for code in codes])
    weights /= weights.sum()
    lead = int(np.argmax(weights))
    components = ()
    if weights[lead] >= DOMINANT:
        method = codes[lead]
        point, error, score = results[method][1], errors[method], mase[method]
    else:
        ranked = sorted(zip(codes, weights, strict=True), key=lambda pair: -pair[1])
        components = tuple((code, float(weight)) for code, weight in ranked)
        method = "combination"
        pairs = list(zip(weights, codes, strict=True))
        point = sum(weight * results[code][1] for weight, code in pairs)
        backtest = sum(weight * results[code][0] for weight, code in pairs)
        error = targets - backtest
        score = float(np.nanmean(np.abs(error))) / scale_unit
    fallback = float(np.std(setup.x)) or 0.0
    sigmas = _sigmas(error, setup.horizon, fallback)
    return _build(method, point, sigmas, score, scale, unit, nonnegative, components)


def _forecast_chunk(arguments):
    items, horizon, season_length, options = arguments
    return [
        (key, forecast_series(values, horizon, season_length, **options)) for key, values in items
    ]


def forecast_many(
    series, horizon, season_length=12, *, nonnegative=True, processes=None, methods=None
):
    """Forecast many series, each exactly as :func:`forecast_series` would.

    :param series: mapping of a key (any hashable) to its history.
    :param horizon: number of periods to forecast.
    :param season_length: periods per season (12 monthly, 52 weekly, 1).
    :param nonnegative: cut forecasts and interval bounds at 0.
    :param methods: candidates to consider, as for :func:`forecast_series`.
    :param processes: worker processes; ``None`` uses every core. Inputs of
        fewer than :data:`PARALLEL_FROM` series, or ``processes=1``, run in
        this process; larger ones are split in chunks over a pool of forked
        processes (where the platform can fork).
    :returns: dict of key to :class:`Forecast`, in the order of ``series``.
    """
    items = list(series.items())
    options = {"nonnegative": nonnegative, "methods": methods}
    if processes is None:
        processes = os.cpu_count() or 1
    if processes <= 1 or len(items) < PARALLEL_FROM:
        return dict(_forecast_chunk((items, horizon, season_length, options)))
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:
        return dict(_forecast_chunk((items, horizon, season_length, options)))
    size = max(1, math.ceil(len(items) / (processes * 4)))
    chunks = [
        (items[start : start + size], horizon, season_length, options)
        for start in range(0, len(items), size)
    ]
    with context.Pool(processes) as pool:
        results = pool.map(_forecast_chunk, chunks)
    return {key: forecast for chunk in results for key, forecast in chunk}
