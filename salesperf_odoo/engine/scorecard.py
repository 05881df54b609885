# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Performance scorecards: weighted KPI scores, rating bands and coaching
suggestions.

Plain data in, plain data out; the ORM layer reads the KPIs of every
salesperson of a period in one grouped computation, hands them here and
stores the results.

**Score of one KPI** (:func:`kpi_score`), in points out of 100 at target:

- higher is better: ``min(actual / target, cap / 100) × 100``;
- lower is better (a KPI whose direction is ``"down"`` in
  ``engine.kpi.KPI_DEFINITIONS``, e.g. the sales cycle):
  ``min(target / actual, cap / 100) × 100``, an actual of 0 reaching the cap;
- a KPI without a value (``None``: no order for an average order value, no
  closed opportunity for a win rate) or below 0 (refunds) scores 0;
- a target of ``None`` or 0 or less is no target: :class:`ScorecardError`
  (the ORM layer lists who lacks one before calling).

``cap`` is a percentage of the target (120 = at most 120 points).

**Weighted score** (:func:`weighted_score`): ``Σ weight × score / 100``, the
weights in % totalling 100 (:func:`check_weights`), so a person exactly at
every target scores 100.

**Band** (:func:`band_for`): the band with the highest lower bound not above
the score (a score exactly on a bound gets that band); below every bound, no
band (``None``).

**Suggestions** (:func:`select_suggestions`): each rule looks at one KPI with
one condition:

- ``"median"``: the person's value lags the team median by at least
  ``threshold`` % of the median (``(median − actual) / median × 100``, or
  ``(actual − median) / median × 100`` when lower is better); needs a median
  above 0 and at least two people in the team;
- ``"target"``: the value lags the KPI's target by at least ``threshold`` %
  (same formula against the target);
- ``"coverage"``: the open weighted pipeline is below ``threshold`` × the
  remaining gap to the revenue target (``gap = target − revenue`` > 0); the
  lag is ``(threshold × gap − pipeline) / (threshold × gap) × 100``.

Triggered rules are ranked by lag (largest first, then by the rules'
order); one suggestion per KPI (its largest lag), at most ``limit``. Each
comes with the figures that triggered it (``actual``, ``median``,
``target``, ``lag``, ``pipeline``, ``gap``, ``factor``, ``coverage``), which
the rule's text names as ``%(actual)s``-style placeholders (:func:`render`).

**Commission** (:func:`multiply_amount`, :func:`cap_adjustment`): a plan may
multiply each commission line by the factor of the person's rating. Money
follows ``engine.commission``'s rules: every number becomes
``Decimal(str(x))``, each line's product is rounded half up to the
currency's decimals, and a plan cap is applied again on the rounded lines,
rounded down, so the total never exceeds the cap.
"""

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from statistics import median as _median

CONDITIONS = ("median", "target", "coverage")

#: Names a suggestion's text may use as ``%(name)s`` placeholders.
FIGURES = ("kpi", "actual", "median", "target", "lag", "pipeline", "gap", "factor", "coverage")

#: Tolerance on the weights' total (weights are typed with 2 decimals).
WEIGHT_TOLERANCE = 1e-6


class ScorecardError(ValueError):
    """Bad scorecard input (weights, target, band or rule)."""


# ------------------------------------------------------------
# SCORES
# ------------------------------------------------------------


def kpi_score(actual, target, cap, lower_is_better=False):
    """Points of one KPI (see the module docstring); ``cap`` in % of the target."""
    if target is None or target <= 0:
        raise ScorecardError("A KPI is scored against a target above 0.")
    if cap is None or cap <= 0:
        raise ScorecardError("The cap of a KPI must be above 0 %.")
    if actual is None or actual < 0:
        return 0.0
    ceiling = cap / 100
    if lower_is_better:
        ratio = ceiling if actual == 0 else min(target / actual, ceiling)
    else:
        ratio = min(actual / target, ceiling)
    return ratio * 100


def check_weights(weights):
    """Refuse weights that are negative or do not total 100 (%)."""
    weights = list(weights)
    if not weights:
        raise ScorecardError("A scorecard needs at least one KPI.")
    if any(weight is None or weight <= 0 for weight in weights):
        raise ScorecardError("Every KPI weight must be above 0 %.")
    total = sum(weights)
    if abs(total - 100) > WEIGHT_TOLERANCE:
        raise ScorecardError(f"The KPI weights total {total:g} %, not 100 %.")


def weighted_points(weight, score):
    """The part of the total score one KPI gives: ``weight × score / 100``."""
    return weight * score / 100


def weighted_score(lines):
    """``Σ weight × score / 100`` over ``(weight, score)`` pairs."""
    pairs = list(lines)
    check_weights(weight for weight, _score in pairs)
    return sum(weighted_points(weight, score) for weight, score in pairs)


def check_bands(bands):
    """Refuse bands with a negative bound or two bands on the same bound."""
    bounds = [lower for _label, lower in bands]
    if any(lower is None or lower < 0 for lower in bounds):
        raise ScorecardError("A band's minimum score cannot be negative.")
    if len(set(bounds)) != len(bounds):
        raise ScorecardError("Two bands cannot start at the same score.")


def band_for(score, bands):
    """The key of the band ``score`` falls in, or ``None`` below every band.

    :param bands: ``(key, lower bound)`` pairs, in any order.
    """
    check_bands(bands)
    for key, lower in sorted(bands, key=lambda band: band[1], reverse=True):
        if score >= lower:
            return key
    return None


# ------------------------------------------------------------
# SUGGESTIONS
# ------------------------------------------------------------


@dataclass(frozen=True)
class SuggestionRule:
    """One rule: ``kpi`` code, ``condition`` (see :data:`CONDITIONS`),
    ``threshold`` (% for median and target, a factor for coverage)."""

    key: object
    kpi: str
    condition: str
    threshold: float
    sequence: int = 10
    lower_is_better: bool = False


@dataclass(frozen=True)
class Suggestion:
    rule: object  # the rule's key
    kpi: str
    lag: float  # % behind (the ranking key)
    figures: dict = field(default_factory=dict)


def median(values):
    """Median of the values that are not ``None``; ``None`` without any."""
    present = [value for value in values if value is not None]
    return _median(present) if present else None


def lag_percent(actual, reference, lower_is_better=False):
    """How far ``actual`` is behind ``reference``, in % of the reference;
    ``None`` when either is missing or the reference is not above 0.
    Negative when ahead."""
    if actual is None or reference is None or reference <= 0:
        return None
    behind = (actual - reference) if lower_is_better else (reference - actual)
    return behind / reference * 100


def _coverage_suggestion(rule, pipeline, gap):
    if gap is None or gap <= 0 or rule.threshold <= 0:
        return None
    needed = rule.threshold * gap
    pipeline = pipeline or 0.0
    if pipeline >= needed:
        return None
    return Suggestion(
        rule.key,
        rule.kpi,
        (needed - pipeline) / needed * 100,
        {
            "pipeline": pipeline,
            "gap": gap,
            "factor": rule.threshold,
            "coverage": pipeline / gap,
        },
    )


def evaluate_rule(rule, actual, team_median, target, pipeline=None, gap=None, team_size=0):
    """The :class:`Suggestion` of ``rule`` for one person, or ``None`` when
    it does not trigger (see the module docstring)."""
    if rule.condition not in CONDITIONS:
        raise ScorecardError(f"Unknown suggestion condition {rule.condition!r}.")
    if rule.condition == "coverage":
        return _coverage_suggestion(rule, pipeline, gap)
    if rule.condition == "median":
        if team_size < 2:
            return None
        reference = team_median
    else:
        reference = target
    lag = lag_percent(actual, reference, rule.lower_is_better)
    if lag is None or lag <= 0 or lag < rule.threshold:
        return None
    figures = {"actual": actual, "lag": lag}
    figures["median" if rule.condition == "median" else "target"] = reference
    return Suggestion(rule.key, rule.kpi, lag, figures)


def select_suggestions(
    rules, kpis, medians, targets, pipeline=None, gap=None, team_size=0, limit=3
):
    """The suggestions for one person, ranked by lag (largest first).

    :param rules: :class:`SuggestionRule` (the active ones).
    :param kpis: ``{kpi code: value}`` of the person.
    :param medians: ``{kpi code: team median}``.
    :param targets: ``{kpi code: target}`` (the person's, where one exists).
    :param pipeline: open weighted pipeline still expected in the period.
    :param gap: revenue target minus revenue, for the coverage rules.
    :param team_size: people in the person's team (the median needs two).
    :param limit: most suggestions returned (one per KPI).
    """
    triggered = []
    for rule in rules:
        suggestion = evaluate_rule(
            rule,
            kpis.get(rule.kpi),
            medians.get(rule.kpi),
            targets.get(rule.kpi),
            pipeline=pipeline,
            gap=gap,
            team_size=team_size,
        )
        if suggestion:
            triggered.append((suggestion, rule.sequence))
    triggered.sort(key=lambda item: (-item[0].lag, item[1]))
    chosen, seen = [], set()
    for suggestion, _sequence in triggered:
        if suggestion.kpi in seen:
            continue
        seen.add(suggestion.kpi)
        chosen.append(suggestion)
        if len(chosen) == limit:
            break
    return chosen


def render(text, figures):
    """``text`` with its ``%(name)s`` placeholders replaced by ``figures``
    (already formatted strings); unknown names or a malformed placeholder
    raise :class:`ScorecardError`."""
    values = dict.fromkeys(FIGURES, "")
    values.update(figures)
    try:
        return text % values
    except (KeyError, ValueError, TypeError) as error:
        raise ScorecardError(
            f"The text uses a placeholder other than {', '.join(FIGURES)}: {error}"
        ) from error


# ------------------------------------------------------------
# COMMISSION
# ------------------------------------------------------------


def _decimal(value):
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


def multiply_amount(amount, factor, digits=2):
    """``amount × factor`` rounded half up to ``digits`` decimals (Decimal)."""
    if _decimal(factor) < 0:
        raise ScorecardError("A rating's commission factor cannot be negative.")
    quantum = Decimal(1).scaleb(-digits)
    return (_decimal(amount) * _decimal(factor)).quantize(quantum, ROUND_HALF_UP)


def cap_adjustment(earned, cap, digits=2):
    """The (negative) line that brings ``earned`` back to ``cap``, rounded
    down; 0 without a cap or below it."""
    earned = _decimal(earned)
    if cap is None or earned <= _decimal(cap):
        return Decimal(0)
    quantum = Decimal(1).scaleb(-digits)
    return (_decimal(cap) - earned).quantize(quantum, ROUND_FLOOR)
