# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Pipeline forecast: forecast categories and stage win rates.

Forecast categories (as Salesforce names them), from the most to the least
certain:

- ``commit``: the salesperson expects to close it; by default an
  opportunity in a won stage or at a probability of at least
  :data:`COMMIT_FROM` %;
- ``best_case``: could close; by default at least :data:`BEST_CASE_FROM` %;
- ``pipeline``: open, still uncertain; by default above 0 %;
- ``omitted``: not counted in the forecast; by default at 0 % or lost
  (archived).

Calibrated probabilities replace the probability a salesperson typed by
what happened before: the *win rate of a stage* is the share of the
opportunities that were in that stage, among those closed (won or lost)
over the last 12 months, that ended won. An opportunity counts once for
every stage it visited, whatever the order and however many times. A
stage with fewer than :data:`MIN_CLOSED` closed opportunities has no
calibrated rate: callers then fall back to a broader history (the
company's rather than the team's) and finally to the opportunity's own
probability.
"""

from collections import defaultdict
from dataclasses import dataclass

FORECAST_CATEGORIES = ("commit", "best_case", "pipeline", "omitted")

#: probability (%) from which an open opportunity is committed by default
COMMIT_FROM = 70.0
#: probability (%) from which an open opportunity is a best case by default
BEST_CASE_FROM = 40.0
#: closed opportunities a stage needs before its win rate is used
MIN_CLOSED = 10


@dataclass(frozen=True)
class StageRate:
    """Win rate of one stage: ``won`` of ``closed`` opportunities that were in
    it ended won. ``rate`` is in percent (like ``crm.lead.probability``), or
    ``None`` when fewer than the minimum closed opportunities were in it."""

    rate: float | None
    won: int
    closed: int


def check_probability(probability):
    """``probability`` as a float in [0, 100]; ``None`` counts as 0.

    :raises ValueError: for anything else (NaN, out of range, not a number)
    """
    if probability is None:
        return 0.0
    is_number = isinstance(probability, int | float) and not isinstance(probability, bool)
    # NaN fails the range test too
    if not (is_number and 0 <= probability <= 100):
        raise ValueError(f"probability must be a number between 0 and 100, not {probability!r}")
    return float(probability)


def default_category(probability, is_won_stage=False, active=True):
    """The forecast category an opportunity gets when nobody chose one.

    - archived (lost): ``omitted``;
    - in a won stage: ``commit``;
    - probability ≥ :data:`COMMIT_FROM`: ``commit``;
    - probability ≥ :data:`BEST_CASE_FROM`: ``best_case``;
    - probability > 0: ``pipeline``;
    - otherwise (0 %, or no probability): ``omitted``.

    :param probability: percent, 0 to 100 (``None`` counts as 0)
    :raises ValueError: for a probability out of [0, 100] or not a number
    """
    probability = check_probability(probability)
    if not active:
        return "omitted"
    if is_won_stage or probability >= COMMIT_FROM:
        return "commit"
    if probability >= BEST_CASE_FROM:
        return "best_case"
    if probability > 0:
        return "pipeline"
    return "omitted"


def calibrate_stage_rates(history, min_closed=MIN_CLOSED):
    """Win rate of each stage from the opportunities that closed.

    :param history: iterable of ``(stages visited, won)``, one per closed
        opportunity: ``stages visited`` is an iterable of stage keys (stage
        ids; repeats count once, ``None`` is no stage and is left out),
        ``won`` is true when it was won, false when lost
    :param min_closed: closed opportunities a stage needs to get a rate
        (at least 1)
    :return: ``{stage: StageRate}`` for every stage visited at least once;
        ``rate`` = 100 × won / closed, or ``None`` below ``min_closed``
    :raises ValueError: for a ``min_closed`` below 1
    """
    if isinstance(min_closed, bool) or not isinstance(min_closed, int) or min_closed < 1:
        raise ValueError(f"min_closed must be a whole number of at least 1, not {min_closed!r}")
    won_count = defaultdict(int)
    closed_count = defaultdict(int)
    for stages, won in history:
        for stage in set(stages) - {None}:
            closed_count[stage] += 1
            if won:
                won_count[stage] += 1
    return {
        stage: StageRate(
            rate=100.0 * won_count[stage] / closed if closed >= min_closed else None,
            won=won_count[stage],
            closed=closed,
        )
        for stage, closed in closed_count.items()
    }


def calibrated_probability(probability, *rates):
    """The first calibrated rate of ``rates`` (``StageRate`` or ``None``, from
    the narrowest history to the broadest), else ``probability`` itself."""
    for rate in rates:
        if rate is not None and rate.rate is not None:
            return rate.rate
    return check_probability(probability)
