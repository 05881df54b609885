# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import math

import pytest

from engine.pipeline import (
    BEST_CASE_FROM,
    COMMIT_FROM,
    FORECAST_CATEGORIES,
    MIN_CLOSED,
    StageRate,
    calibrate_stage_rates,
    calibrated_probability,
    default_category,
)

NEW, QUALIFIED, PROPOSITION, WON = 1, 2, 3, 4


def test_categories_in_order_of_certainty():
    assert FORECAST_CATEGORIES == ("commit", "best_case", "pipeline", "omitted")
    assert 0 < BEST_CASE_FROM < COMMIT_FROM <= 100


@pytest.mark.parametrize(
    ("probability", "is_won_stage", "active", "expected"),
    [
        (100, False, True, "commit"),
        (70, False, True, "commit"),  # the threshold itself is commit
        (69.99, False, True, "best_case"),
        (40, False, True, "best_case"),
        (39.99, False, True, "pipeline"),
        (0.01, False, True, "pipeline"),
        (0, False, True, "omitted"),
        (None, False, True, "omitted"),  # no probability counts as 0
        (10, True, True, "commit"),  # a won stage commits whatever the probability
        (0, False, False, "omitted"),  # lost
        (90, False, False, "omitted"),  # archived: not in any forecast
        (100, True, False, "omitted"),
    ],
)
def test_default_category(probability, is_won_stage, active, expected):
    assert default_category(probability, is_won_stage, active) == expected


@pytest.mark.parametrize("probability", [-0.01, 100.01, math.nan, "50", True])
def test_default_category_rejects_bad_probabilities(probability):
    with pytest.raises(ValueError, match="probability"):
        default_category(probability)


def _history():
    """12 closed opportunities, by the stages they went through.

    - 3 went New → Qualified → Proposition → Won;
    - 1 went New → Won directly;
    - 2 went New → Proposition (skipping Qualified), then lost there;
    - 1 went New → Qualified → New → Qualified, then lost (repeats count once);
    - 5 were lost in New.
    """
    return (
        [([NEW, QUALIFIED, PROPOSITION, WON], True)] * 3
        + [([NEW, WON], True)]
        + [([NEW, PROPOSITION], False)] * 2
        + [([NEW, QUALIFIED, NEW, QUALIFIED], False)]
        + [([NEW], False)] * 5
    )


def test_calibrate_stage_rates_by_hand():
    rates = calibrate_stage_rates(_history(), min_closed=3)
    # New: all 12 were in it, 3 + 1 = 4 won: 4 / 12 = 33.33 %
    assert rates[NEW].won == 4
    assert rates[NEW].closed == 12
    assert rates[NEW].rate == pytest.approx(100 * 4 / 12)
    # Qualified: 3 won + 1 lost = 4 closed: 3 / 4 = 75 %
    assert rates[QUALIFIED] == StageRate(rate=75.0, won=3, closed=4)
    # Proposition: 3 won + 2 lost = 5 closed: 3 / 5 = 60 %
    assert rates[PROPOSITION] == StageRate(rate=60.0, won=3, closed=5)
    # Won: the 4 won ones: 4 / 4 = 100 %
    assert rates[WON] == StageRate(rate=100.0, won=4, closed=4)


def test_too_few_closed_gives_no_rate():
    # with a minimum of 5: Qualified (4 closed) and Won (4) get no rate;
    # Proposition (5) and New (12) keep theirs
    rates = calibrate_stage_rates(_history(), min_closed=5)
    assert rates[QUALIFIED] == StageRate(rate=None, won=3, closed=4)
    assert rates[WON].rate is None
    assert rates[PROPOSITION].rate == 60.0
    assert rates[NEW].rate == pytest.approx(100 * 4 / 12)
    # the default minimum: only New has 12 ≥ MIN_CLOSED = 10 closed
    assert MIN_CLOSED == 10
    default_rates = calibrate_stage_rates(_history())
    assert [stage for stage, rate in default_rates.items() if rate.rate is not None] == [NEW]


def test_no_history_and_no_stage():
    assert calibrate_stage_rates([]) == {}
    # an opportunity without any stage counts for none
    assert calibrate_stage_rates([([None], True), ([], False)], min_closed=1) == {}
    # a generator is read once
    rates = calibrate_stage_rates((([NEW], won) for won in (True, False)), min_closed=1)
    assert rates == {NEW: StageRate(rate=50.0, won=1, closed=2)}


@pytest.mark.parametrize("min_closed", [0, -1, 2.5, None, True])
def test_calibrate_rejects_bad_minimum(min_closed):
    with pytest.raises(ValueError, match="min_closed"):
        calibrate_stage_rates(_history(), min_closed=min_closed)


def test_calibrated_probability_falls_back():
    team = StageRate(rate=None, won=1, closed=2)
    company = StageRate(rate=25.0, won=3, closed=12)
    # the team has too few: the company's rate is used
    assert calibrated_probability(80, team, company) == 25.0
    # the team's own rate first
    assert calibrated_probability(80, StageRate(60.0, 6, 10), company) == 60.0
    # no rate anywhere: the opportunity's own probability
    assert calibrated_probability(80, team, None) == 80.0
    assert calibrated_probability(None) == 0.0
    with pytest.raises(ValueError, match="probability"):
        calibrated_probability(120, team)
