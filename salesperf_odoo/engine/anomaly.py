# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Forecast errors and anomalies of closed months.

Two questions are asked of every month once it has closed:

- *How good was the forecast?* :func:`forecast_error` compares a forecast
  with what happened: the error (forecast − actual, positive when the
  forecast was too high), its absolute value and the absolute error scaled
  by the series' own scale (the in-sample mean absolute error of seasonal
  naive, see ``engine.forecast``). The mean of scaled errors is the MASE
  (below 1: better than seasonal naive was in-sample); the sum of errors
  over the sum of actuals is the bias.
- *Did something unusual happen?* Two rules, stated here once:

  1. **Outside the forecast band**: a month's actual strictly outside the
     95 % interval of the forecast made for it a month earlier
     (:func:`outside_band` with the forecast's ``lo95`` and ``hi95``).
  2. **Out of the usual range**: a percentage (a salesperson's discount
     or margin %) beyond :data:`THRESHOLD` robust standard deviations of
     its previous :data:`HISTORY_MONTHS` months (:func:`robust_band`): the
     band is ``median ± THRESHOLD × max(1.4826 × MAD, MIN_SPREAD)``, where
     MAD is the median absolute deviation from the median. The median and
     the MAD ignore one-off outliers that a mean and a standard deviation
     would follow. It needs at least :data:`MIN_HISTORY` months with a
     value among those months; the spread is floored at :data:`MIN_SPREAD`
     (points), so that a salesperson who always gave exactly the same
     discount is not flagged for a change of a fraction of a point.

The size of an anomaly is its distance beyond the bound it crossed (in the
unit of the values), and that distance in percent of the bound (``None``
when the bound is 0).
"""

import math
from dataclasses import dataclass

#: robust standard deviations beyond the median that make a value unusual
THRESHOLD = 3.0
#: 1.4826 × MAD estimates the standard deviation of normally distributed values
MAD_TO_SIGMA = 1.4826
#: previous months a value is compared with
HISTORY_MONTHS = 12
#: months with a value, among them, before a value can be judged at all
MIN_HISTORY = 6
#: smallest robust standard deviation (in points of the percentage)
MIN_SPREAD = 1.0

ABOVE = "above"
BELOW = "below"


@dataclass(frozen=True)
class ForecastError:
    """A forecast against its actual.

    ``scaled_error`` is ``None`` when the series has no scale (0 or
    unknown): such a forecast has an error and a bias but no MASE.
    """

    error: float
    abs_error: float
    scaled_error: float | None


@dataclass(frozen=True)
class Band:
    """What was expected, and the range of values that are not unusual."""

    expected: float
    lower: float
    upper: float


@dataclass(frozen=True)
class Anomaly:
    """A value outside its band: by how much, which way."""

    actual: float
    expected: float
    lower: float
    upper: float
    direction: str  # ABOVE or BELOW
    size: float  # distance beyond the bound crossed, > 0
    size_percent: float | None  # size / |bound| × 100, None when the bound is 0


def _check_number(name, value):
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if not (is_number and math.isfinite(value)):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    return float(value)


def forecast_error(forecast, actual, scale):
    """The error of ``forecast`` against ``actual``, scaled by ``scale``.

    >>> forecast_error(120.0, 100.0, 10.0)
    ForecastError(error=20.0, abs_error=20.0, scaled_error=2.0)

    :param scale: the series' scale (> 0), or 0 / ``None`` when unknown.
    :raises ValueError: for a value that is not a finite number, or a
        negative scale.
    """
    forecast = _check_number("forecast", forecast)
    actual = _check_number("actual", actual)
    if scale is not None:
        scale = _check_number("scale", scale)
        if scale < 0:
            raise ValueError(f"scale cannot be negative, not {scale!r}")
    error = forecast - actual
    return ForecastError(
        error=error,
        abs_error=abs(error),
        scaled_error=abs(error) / scale if scale else None,
    )


def mase(scaled_errors):
    """Mean of the scaled errors that exist (``None`` ones are left out);
    ``None`` when there is none."""
    known = [value for value in scaled_errors if value is not None]
    return sum(known) / len(known) if known else None


def bias_percent(errors, actuals):
    """``sum(errors) / sum(actuals) × 100``: positive when the forecasts were
    too high on the whole; ``None`` when the actuals sum to 0."""
    total = sum(actuals)
    return sum(errors) / total * 100 if total else None


def outside_band(actual, band):
    """An :class:`Anomaly` when ``actual`` is strictly outside ``band``
    (on a bound is inside), else ``None``.

    :raises ValueError: for a band whose lower bound is above its upper one,
        or values that are not finite numbers.
    """
    actual = _check_number("actual", actual)
    lower = _check_number("lower", band.lower)
    upper = _check_number("upper", band.upper)
    expected = _check_number("expected", band.expected)
    if lower > upper:
        raise ValueError(f"the band's lower bound {lower!r} is above its upper bound {upper!r}")
    if lower <= actual <= upper:
        return None
    if actual > upper:
        direction, bound, size = ABOVE, upper, actual - upper
    else:
        direction, bound, size = BELOW, lower, lower - actual
    return Anomaly(
        actual=actual,
        expected=expected,
        lower=lower,
        upper=upper,
        direction=direction,
        size=size,
        size_percent=size / abs(bound) * 100 if bound else None,
    )


def median(values):
    """The median of a non-empty sequence of numbers."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("the median of no value is undefined")
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def robust_band(
    history,
    threshold=THRESHOLD,
    min_history=MIN_HISTORY,
    min_spread=MIN_SPREAD,
):
    """The usual range of a value from its ``history``: ``median ± threshold ×
    max(MAD_TO_SIGMA × MAD, min_spread)``; ``None`` when the history has
    fewer than ``min_history`` values (``None`` values are months without
    one and are left out).

    >>> robust_band([10, 10, 11, 12, 9, 10])  # median 10, MAD 0.5 -> sigma 1.0 (floor)
    Band(expected=10.0, lower=7.0, upper=13.0)
    """
    values = [_check_number("history value", value) for value in history if value is not None]
    if len(values) < min_history:
        return None
    center = median(values)
    mad = median([abs(value - center) for value in values])
    sigma = max(MAD_TO_SIGMA * mad, min_spread)
    return Band(expected=center, lower=center - threshold * sigma, upper=center + threshold * sigma)


def unusual_value(value, history, **band_options):
    """An :class:`Anomaly` when ``value`` leaves the :func:`robust_band` of
    ``history``; ``None`` when it does not, or when the history is too short
    to say."""
    band = robust_band(history, **band_options)
    if band is None:
        return None
    return outside_band(value, band)
