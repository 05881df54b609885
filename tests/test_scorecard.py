# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from decimal import Decimal

import pytest

from engine.scorecard import (
    ScorecardError,
    SuggestionRule,
    band_for,
    cap_adjustment,
    check_weights,
    evaluate_rule,
    kpi_score,
    lag_percent,
    median,
    multiply_amount,
    render,
    select_suggestions,
    weighted_score,
)

BANDS = [("A", 90), ("B", 75), ("C", 60), ("D", 0)]


def test_kpi_score_against_target_with_cap():
    # 8,000 / 10,000 = 0.8 → 80 points
    assert kpi_score(8000, 10000, 120) == pytest.approx(80.0)
    # 15,000 / 10,000 = 1.5, capped at 120 % → 120 points
    assert kpi_score(15000, 10000, 120) == pytest.approx(120.0)
    # exactly on the cap: 12,000 / 10,000 = 1.2 → 120
    assert kpi_score(12000, 10000, 120) == pytest.approx(120.0)


def test_kpi_score_lower_is_better():
    # a 40-day cycle against a 30-day target: 30 / 40 = 0.75 → 75 points
    assert kpi_score(40, 30, 120, lower_is_better=True) == pytest.approx(75.0)
    # 20 days against 30: 30 / 20 = 1.5, capped at 110 → 110
    assert kpi_score(20, 30, 110, lower_is_better=True) == pytest.approx(110.0)
    # no lost deal at all: the cap, 100
    assert kpi_score(0, 5, 100, lower_is_better=True) == pytest.approx(100.0)


def test_kpi_score_without_value_or_below_zero_is_zero():
    assert kpi_score(None, 30, 120) == 0.0
    assert kpi_score(-50, 1000, 120) == 0.0


def test_kpi_score_needs_a_target_and_a_cap():
    for target in (None, 0, -1):
        with pytest.raises(ScorecardError, match="target above 0"):
            kpi_score(10, target, 120)
    with pytest.raises(ScorecardError, match="cap"):
        kpi_score(10, 10, 0)


def test_weighted_score_by_hand():
    # revenue 80 × 50 % = 40, margin 120 × 20 % = 24,
    # new customers 50 × 15 % = 7.5, activities 100 × 15 % = 15 → 86.5
    lines = [(50, 80.0), (20, 120.0), (15, 50.0), (15, 100.0)]
    assert weighted_score(lines) == pytest.approx(86.5)


def test_weights_must_total_100():
    with pytest.raises(ScorecardError, match="total 90 %, not 100 %"):
        check_weights([50, 20, 20])
    with pytest.raises(ScorecardError, match="above 0"):
        check_weights([110, -10])
    with pytest.raises(ScorecardError, match="at least one"):
        check_weights([])
    # 33.33 + 33.33 + 33.34 = 100 exactly
    check_weights([33.33, 33.33, 33.34])


def test_band_by_descending_lower_bounds():
    assert band_for(86.5, BANDS) == "B"
    # exactly on a bound: that band
    assert band_for(90, BANDS) == "A"
    assert band_for(89.999, BANDS) == "B"
    assert band_for(0, BANDS) == "D"
    # given in any order
    assert band_for(61, list(reversed(BANDS))) == "C"
    # below every band
    assert band_for(10, [("A", 90), ("B", 50)]) is None
    with pytest.raises(ScorecardError, match="same score"):
        band_for(10, [("A", 50), ("B", 50)])


def test_median_and_lag():
    assert median([10, None, 30, 20]) == 20
    assert median([10, 20, 30, 40]) == 25
    assert median([None]) is None
    # 20 against 40: (40 − 20) / 40 = 50 % behind
    assert lag_percent(20, 40) == pytest.approx(50.0)
    # lower is better: 45 days against 30: (45 − 30) / 30 = 50 % behind
    assert lag_percent(45, 30, lower_is_better=True) == pytest.approx(50.0)
    assert lag_percent(20, 0) is None


def test_rules_median_target_and_coverage():
    win = SuggestionRule("win", "win_rate", "median", 20)
    # 20 % win rate against a team median of 40 %: 50 % behind ≥ 20 %
    found = evaluate_rule(win, 20, 40, None, team_size=3)
    assert found.lag == pytest.approx(50.0)
    assert found.figures == {"actual": 20, "median": 40, "lag": pytest.approx(50.0)}
    # 35 against 40: 12.5 % behind < 20 %: nothing
    assert evaluate_rule(win, 35, 40, None, team_size=3) is None
    # alone in the team: no median to lag
    assert evaluate_rule(win, 20, 40, None, team_size=1) is None
    activities = SuggestionRule("act", "activities_done", "target", 25)
    # 12 activities against a target of 20: (20 − 12) / 20 = 40 % behind
    found = evaluate_rule(activities, 12, None, 20)
    assert (found.lag, found.figures["target"]) == (pytest.approx(40.0), 20)
    coverage = SuggestionRule("cov", "weighted_pipeline", "coverage", 3)
    # gap 10,000: 3 × 10,000 = 30,000 needed, 12,000 in the pipeline:
    # (30,000 − 12,000) / 30,000 = 60 % behind, coverage 12,000 / 10,000 = 1.2
    found = evaluate_rule(coverage, None, None, None, pipeline=12000, gap=10000)
    assert found.lag == pytest.approx(60.0)
    assert found.figures["coverage"] == pytest.approx(1.2)
    # 30,000 covers it exactly: nothing; no gap (target reached): nothing
    assert evaluate_rule(coverage, None, None, None, pipeline=30000, gap=10000) is None
    assert evaluate_rule(coverage, None, None, None, pipeline=0, gap=0) is None


def test_suggestions_ranked_by_lag_one_per_kpi():
    rules = [
        SuggestionRule("win-median", "win_rate", "median", 10, sequence=1),
        SuggestionRule("win-target", "win_rate", "target", 10, sequence=2),
        SuggestionRule("aov", "average_order_value", "median", 10, sequence=3),
        SuggestionRule("new", "new_customers", "median", 10, sequence=4),
        SuggestionRule("cov", "weighted_pipeline", "coverage", 3, sequence=5),
    ]
    kpis = {"win_rate": 30.0, "average_order_value": 900.0, "new_customers": 4}
    medians = {"win_rate": 40.0, "average_order_value": 1000.0, "new_customers": 4}
    targets = {"win_rate": 60.0}
    found = select_suggestions(
        rules, kpis, medians, targets, pipeline=5000, gap=10000, team_size=4, limit=3
    )
    # win rate vs target: (60 − 30) / 60 = 50 %; vs median (40 − 30) / 40 = 25 %:
    # only the larger for the KPI; coverage (30,000 − 5,000) / 30,000 = 83.3 %;
    # average order value (1,000 − 900) / 1,000 = 10 %; new customers at the median
    assert [(s.rule, round(s.lag, 2)) for s in found] == [
        ("cov", 83.33),
        ("win-target", 50.0),
        ("aov", 10.0),
    ]
    assert [s.rule for s in select_suggestions(rules, kpis, medians, targets, limit=1)] == [
        "win-target"
    ]


def test_render_with_named_figures():
    text = "Win rate %(actual)s vs team median %(median)s."
    assert (
        render(text, {"actual": "20 %", "median": "40 %"}) == "Win rate 20 % vs team median 40 %."
    )
    with pytest.raises(ScorecardError, match="placeholder"):
        render("%(unknown)s", {})
    with pytest.raises(ScorecardError, match="placeholder"):
        render("100 % done", {})


def test_commission_multiplier_and_cap_in_decimal():
    # 123.45 × 1.1 = 135.795 → 135.80 (half up); 0.05 × 0.9 = 0.045 → 0.05
    assert multiply_amount(123.45, 1.1) == Decimal("135.80")
    assert multiply_amount(Decimal("0.05"), Decimal("0.9")) == Decimal("0.05")
    # no binary float error: 1.15 × 100 = 115.00 exactly
    assert multiply_amount(1.15, 100) == Decimal("115.00")
    with pytest.raises(ScorecardError, match="negative"):
        multiply_amount(10, -1)
    # 220.00 earned, cap 150: −70.00; 149.99 under the cap: nothing
    assert cap_adjustment(Decimal("220.00"), 150) == Decimal("-70.00")
    assert cap_adjustment(Decimal("149.99"), 150) == Decimal(0)
    assert cap_adjustment(Decimal(500), None) == Decimal(0)
