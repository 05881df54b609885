# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Target splitting, attainment and pacing.

Splitting turns a parent target into children whose amounts add up to the
parent **exactly**, to the currency's rounding: shares are computed in whole
rounding units, each child gets the floor of its share, and the units left
over go one by one to the children with the largest remainders; among equal
remainders, to the child listed first (the *largest remainder* rule).
"""

import math
from dataclasses import dataclass
from fractions import Fraction

#: Pacing statuses, from best to worst.
STATUSES = ("ahead", "on_track", "at_risk", "behind")


def _units(amount, rounding):
    """``amount`` as a whole number of rounding units (exact, no float drift)."""
    units = Fraction(str(amount)) / Fraction(str(rounding))
    if units.denominator != 1:
        raise ValueError(f"{amount} is not a multiple of the rounding {rounding}")
    return units.numerator


def split_amount(total, weights, rounding=0.01):
    """Split ``total`` in proportion to ``weights``, summing exactly to it.

    :param total: amount to split, a multiple of ``rounding``, 0 or more.
    :param weights: one non-negative weight per child, not all 0.
    :param rounding: the currency's rounding (0.01 for cents, 1 for counts).
    :returns: a list of amounts, one per child, in the order of ``weights``.
    """
    if total < 0:
        raise ValueError("A target cannot be negative")
    if not weights:
        raise ValueError("Nothing to split into")
    if any(weight < 0 for weight in weights):
        raise ValueError("Split weights cannot be negative")
    weights = [Fraction(str(weight)) for weight in weights]
    weight_total = sum(weights)
    if not weight_total:
        raise ValueError("Split weights cannot all be 0")
    units = _units(total, rounding)
    exact = [units * weight / weight_total for weight in weights]
    floors = [share.numerator // share.denominator for share in exact]
    left_over = units - sum(floors)
    # largest remainder first; equal remainders: the child listed first
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for index in order[:left_over]:
        floors[index] += 1
    step = Fraction(str(rounding))
    return [float(units_ * step) for units_ in floors]


#: What a child without history gets when the others are weighed by theirs:
#: an equal share of the whole (``"equal"``) or nothing (``"zero"``).
WITHOUT_HISTORY = ("equal", "zero")


def shares(weights, rounding=Fraction(1, 10000)):
    """Each weight's share of the total, as a ratio rounded to ``rounding``
    (0.0001: a percentage with 2 decimals), the shares adding up to exactly 1
    (the largest remainder rule of :func:`split_amount`)."""
    return split_amount(1, weights, rounding)


def missing_history(history):
    """One flag per child: ``True`` where it has no history (nothing, 0 or
    less), so that the user sees who would otherwise get nothing."""
    return [not (value or 0) > 0 for value in history]


def history_weights(history, without_history="equal"):
    """Weights from each child's history (e.g. last year's sales), or ``None``
    when no child has any (the caller then splits equally).

    :param history: one amount per child; ``None``, 0 or less is no history.
    :param without_history: what a child without history gets:

        - ``"equal"``: an equal share of the whole, as in an equal split. It
          weighs the mean of the children with history: with ``n`` children,
          ``k`` of them without history and ``H`` the history of the others,
          each gets ``(H / (n - k)) / (H + k × H / (n - k)) = 1 / n``; the
          others share the rest in proportion to their history;
        - ``"zero"``: nothing; the others share the whole.
    :returns: exact weights (fractions), one per child.
    """
    if without_history not in WITHOUT_HISTORY:
        raise ValueError(f"Unknown choice for children without history: {without_history}")
    cleaned = [max(Fraction(str(value or 0)), Fraction(0)) for value in history]
    known = [value for value in cleaned if value]
    if not known:
        return None
    if without_history == "zero":
        return cleaned
    mean = sum(known) / len(known)
    return [value or mean for value in cleaned]


def seasonal_weights(monthly_history, months):
    """Weights of ``months`` (1-12) from the monthly profile of past years.

    :param monthly_history: ``{(year, month): amount}`` over 1 to 3 past years.
    :param months: the months to weigh, e.g. ``[1, 2, 3]`` for a first quarter.
    :returns: one weight per month (the month's total over all years), or
        ``None`` when those months have no history.
    """
    profile = dict.fromkeys(months, 0)
    for (_year, month), amount in monthly_history.items():
        if month in profile:
            profile[month] += max(amount or 0, 0)
    weights = [profile[month] for month in months]
    return weights if any(weights) else None


@dataclass(frozen=True)
class PeriodForecast:
    """The forecast of a period of one or several months, with its 80 %
    interval: what a target for the period can be checked against."""

    point: float
    lo80: float
    hi80: float


def period_forecast(months, known=0.0):
    """The forecast of a period from the forecasts of its months.

    The point is the sum of the monthly points. The interval assumes that
    the monthly forecast errors are **independent**: the variance of a sum
    of independent errors is the sum of their variances, so the half-widths
    of the monthly intervals add up in quadrature, the square root of the sum
    of their squares. Each side is combined on its own (the lower half-width
    ``point - lo80``, the upper ``hi80 - point``), since a monthly interval of
    non-negative sales may be lopsided. With non-negative monthly bounds the
    combined lower bound stays at or above ``known``: the root of a sum of
    squares is at most the sum.

    Errors of one series in consecutive months are often positively
    correlated in practice (a level shift lasts): the interval is then too
    narrow; fully correlated errors would add the half-widths themselves.

    :param months: ``(point, lo80, hi80)`` of each month forecast.
    :param known: what is already known of the period's other months (their
        actual revenue), added to the point with no uncertainty.
    :returns: a :class:`PeriodForecast`.
    """
    point = known + sum(month[0] for month in months)
    below = math.sqrt(sum(max(value - low, 0.0) ** 2 for value, low, _high in months))
    above = math.sqrt(sum(max(high - value, 0.0) ** 2 for value, _low, high in months))
    return PeriodForecast(point=point, lo80=point - below, hi80=point + above)


@dataclass(frozen=True)
class Pacing:
    """Where an entity stands against a target on a given day."""

    target: float
    actual: float
    attainment: float | None  # actual / target × 100
    gap: float  # what is left to reach the target (0 once reached)
    expected_to_date: float  # target × elapsed working days / working days
    run_rate: float | None  # projection to period end at the pace so far
    status: str
    coverage: float | None  # pipeline expected in the rest of the period / gap


def pace(target, actual, elapsed_days, total_days, thresholds, pipeline=0.0):
    """Attainment, gap, expected-to-date, run-rate, status and coverage.

    :param elapsed_days: working days of the period up to the day, included.
    :param total_days: working days of the whole period.
    :param thresholds: ``(ahead, on_track, at_risk)`` minimum ratios of
        actual to expected-to-date, e.g. ``(1.1, 0.95, 0.8)``; below the last
        one the status is "behind".
    :param pipeline: weighted open pipeline expected to close in the rest of
        the period.
    """
    if total_days <= 0:
        raise ValueError("A period needs at least one working day")
    elapsed_days = min(max(elapsed_days, 0), total_days)
    ahead, on_track, at_risk = thresholds
    if not ahead >= on_track >= at_risk:
        raise ValueError("Pacing thresholds must decrease: ahead ≥ on track ≥ at risk")
    expected = target * elapsed_days / total_days
    gap = max(target - actual, 0)
    if not expected:
        # first day of the period, or a zero target: nothing was expected yet
        status = "ahead" if actual > 0 else "on_track"
    else:
        ratio = actual / expected
        status = next(
            (
                name
                for name, minimum in zip(STATUSES[:3], thresholds, strict=True)
                if ratio >= minimum
            ),
            "behind",
        )
    return Pacing(
        target=target,
        actual=actual,
        attainment=actual / target * 100 if target else None,
        gap=gap,
        expected_to_date=expected,
        run_rate=actual * total_days / elapsed_days if elapsed_days else None,
        status=status,
        coverage=pipeline / gap if gap else None,
    )
