# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Coherent forecasts across levels (salesperson, team, company...).

A hierarchy is given by its *bottom* keys (e.g. salespeople) and *groups*:
each aggregate key (a team, the company) maps to the bottom keys whose sum
it is. The summing matrix ``S`` has one row per key (aggregates first, in
the order of ``groups``, then the bottom keys) and one column per bottom
key; ``S[i, j]`` is 1 when bottom key ``j`` is part of key ``i``.

:func:`reconcile` turns independent forecasts ``y`` (one per key and
period) into coherent ones ``S @ P @ y``, period by period:

``wls_struct`` (default)
    Weighted least squares with structural scaling (Athanasopoulos et al.,
    2017): ``P = (S' W⁻¹ S)⁻¹ S' W⁻¹`` where ``W`` is diagonal and holds
    the number of bottom keys under each key. Every level's forecast counts,
    the detailed ones (each a small part of the total) less than under OLS.
``ols``
    Ordinary least squares: ``P = (S' S)⁻¹ S'``.
``bottom_up``
    The bottom forecasts unchanged; aggregates are their sums.

The reconciled bottom values are then cut at 0 where every base forecast
of that period was non-negative (sales), and every aggregate is recomputed
as the sum of its bottom keys, so aggregates equal those sums up to float
rounding. Intervals move with their point: each bound is shifted by the
change of the point (lower bounds cut at 0 when the base lower bound was
non-negative), so they stay ordered and still contain the point.
"""

from dataclasses import replace

import numpy as np

RECONCILIATION_METHODS = ("wls_struct", "ols", "bottom_up")


def _summing_matrix(bottom, groups):
    """``(keys, S)``: aggregates first, then the bottom keys."""
    position = {key: index for index, key in enumerate(bottom)}
    if len(position) != len(bottom):
        raise ValueError("A bottom key is listed twice")
    rows = []
    for aggregate, members in groups.items():
        if aggregate in position:
            raise ValueError(f"{aggregate!r} is both an aggregate and a bottom key")
        row = np.zeros(len(bottom))
        for member in members:
            if member not in position:
                raise ValueError(f"{member!r}, in {aggregate!r}, is not a bottom key")
            row[position[member]] = 1.0
        rows.append(row)
    summing = np.vstack([*rows, np.eye(len(bottom))])
    return list(groups) + list(bottom), summing


def _projection(summing, method):
    if method == "bottom_up":
        projection = np.zeros((summing.shape[1], summing.shape[0]))
        projection[:, summing.shape[0] - summing.shape[1] :] = np.eye(summing.shape[1])
        return projection
    if method == "ols":
        weights = np.ones(summing.shape[0])
    elif method == "wls_struct":
        weights = summing.sum(axis=1)
        weights[weights == 0] = 1.0
    else:
        raise ValueError(f"Unknown reconciliation method {method!r}")
    scaled = summing.T / weights  # S' W^-1
    return np.linalg.solve(scaled @ summing, scaled)


def _moved(forecast, point):
    """``forecast`` with its point replaced and its intervals shifted with it."""
    shift = np.asarray(point) - np.asarray(forecast.point)
    bounds = {}
    for name in ("lo80", "hi80", "lo95", "hi95"):
        base = np.asarray(getattr(forecast, name), dtype=float)
        moved = base + shift
        if name.startswith("lo"):
            moved = np.where(base >= 0, np.maximum(moved, 0.0), moved)
            moved = np.minimum(moved, point)
        else:
            moved = np.maximum(moved, point)
        bounds[name] = moved
    bounds["lo95"] = np.minimum(bounds["lo95"], bounds["lo80"])
    bounds["hi95"] = np.maximum(bounds["hi95"], bounds["hi80"])
    return replace(
        forecast,
        point=tuple(float(v) for v in point),
        **{name: tuple(float(v) for v in values) for name, values in bounds.items()},
    )


def reconcile(bottom, groups, forecasts, method="wls_struct"):
    """Make forecasts of a hierarchy add up.

    :param bottom: the bottom keys (e.g. ``"user:7"``), in any order.
    :param groups: mapping of each aggregate key (e.g. ``"team:3"``,
        ``"company"``) to the bottom keys it sums.
    :param forecasts: a :class:`~.forecast.Forecast` for every key of
        ``bottom`` and ``groups``, all over the same horizon.
    :param method: ``"wls_struct"``, ``"ols"`` or ``"bottom_up"`` (see the
        module documentation).
    :returns: dict of every key to its reconciled forecast (method, backtest
        error and scale kept from the base forecast).
    :raises ValueError: on a missing forecast, unequal horizons, an unknown
        method or a group naming an unknown bottom key.
    """
    bottom = list(bottom)
    if not bottom:
        if groups:
            raise ValueError("A hierarchy needs bottom keys")
        return {}
    keys, summing = _summing_matrix(bottom, groups)
    missing = [key for key in keys if key not in forecasts]
    if missing:
        raise ValueError(f"No forecast for {missing[0]!r}")
    base = np.array([forecasts[key].point for key in keys], dtype=float)
    if base.ndim != 2:
        raise ValueError("Every forecast of a hierarchy needs the same horizon")
    projection = _projection(summing, method)
    bottom_values = projection @ base
    nonnegative = np.all(base >= 0, axis=0)
    bottom_values = np.where(nonnegative[None, :], np.maximum(bottom_values, 0.0), bottom_values)
    coherent = summing @ bottom_values
    return {key: _moved(forecasts[key], coherent[row]) for row, key in enumerate(keys)}


def adjust_to_total(forecasts, total):
    """Move forecasts so that they add up to a fixed total, period by period.

    The difference between ``total.point`` and the sum of the points is
    shared in proportion to the points (top-down by forecast proportions,
    which keeps every share of the total and non-negativity); when the
    points of a period sum to 0 or some are negative, equally. Intervals
    move with their point, as in :func:`reconcile`.

    :param forecasts: mapping of a key to its :class:`~.forecast.Forecast`.
    :param total: the forecast the others must add up to.
    :returns: dict of every key to its adjusted forecast.
    :raises ValueError: when the horizons differ or ``forecasts`` is empty.
    """
    if not forecasts:
        raise ValueError("There is no forecast to adjust")
    keys = list(forecasts)
    points = np.array([forecasts[key].point for key in keys], dtype=float)
    target = np.asarray(total.point, dtype=float)
    if points.ndim != 2 or points.shape[1] != len(target):
        raise ValueError("Every forecast needs the horizon of the total")
    sums = points.sum(axis=0)
    proportional = (sums != 0) & np.all(points >= 0, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(proportional, points / np.where(sums == 0, 1.0, sums), 1.0 / len(keys))
    adjusted = points + shares * (target - sums)
    return {key: _moved(forecasts[key], adjusted[row]) for row, key in enumerate(keys)}
