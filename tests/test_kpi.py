# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import re
from datetime import date
from pathlib import Path

import pytest

from engine.kpi import (
    KPI_CODES,
    KPI_DEFINITIONS,
    KPI_DIRECTIONS,
    MEASURES,
    WHOLE_PERIOD_KPIS,
    WHOLE_PERIOD_MEASURES,
    KpiDefinition,
    change_tone,
    classify_customers,
    compare,
    derive_kpis,
)


def test_derive_kpis_ratios_by_hand():
    measures = {
        "revenue": 12000.0,
        "margin": 3000.0,
        "quantity": 40,
        "orders": 8,
        "customers": 5,
        "new_customers": 2,
        "returning_customers": 3,
        "pipeline_value": 50000.0,
        "weighted_pipeline": 17500.0,
        "won_count": 3,
        "won_value": 9000.0,
        "lost_count": 1,
        "cycle_days_total": 90,
        "cycle_count": 3,
        "activities_done": 11,
        "records_checked": 8,
        "records_complete": 6,
        "forecast_scaled_error_total": 3.0,
        "forecast_count": 2,
        "forecast_error_total": 20.0,
        "forecast_actual_total": 400.0,
        "active_customers": 7,
        "churned_customers": 2,
        "value_at_risk": 1250.0,
    }
    kpis = derive_kpis(measures)
    assert kpis["margin_percent"] == pytest.approx(25.0)  # 3000 / 12000 × 100
    assert kpis["average_order_value"] == pytest.approx(1500.0)  # 12000 / 8
    assert kpis["repeat_purchase_rate"] == pytest.approx(60.0)  # 3 / 5 × 100
    assert kpis["win_rate"] == pytest.approx(75.0)  # 3 / (3 + 1) × 100
    assert kpis["average_cycle_days"] == pytest.approx(30.0)  # 90 / 3
    assert kpis["data_completeness"] == pytest.approx(75.0)  # 6 / 8 × 100
    assert kpis["forecast_mase"] == pytest.approx(1.5)  # 3.0 / 2 forecasts
    assert kpis["forecast_bias"] == pytest.approx(5.0)  # 20 / 400 × 100
    assert kpis["revenue"] == 12000.0 and kpis["activities_done"] == 11
    # the customer-status KPIs are their measures, as counted
    assert (kpis["active_customers"], kpis["churned_customers"]) == (7, 2)
    assert kpis["value_at_risk"] == 1250.0
    assert tuple(kpis) == KPI_CODES


def test_ratios_without_denominator_are_not_applicable():
    kpis = derive_kpis({})
    for code in (
        "margin_percent",
        "average_order_value",
        "repeat_purchase_rate",
        "win_rate",
        "average_cycle_days",
        "data_completeness",
        "forecast_mase",
        "forecast_bias",
    ):
        assert kpis[code] is None, code
    assert kpis["revenue"] == 0 and kpis["orders"] == 0
    # counts, not ratios: no customer scored is 0 customers, not "not applicable"
    assert (kpis["active_customers"], kpis["churned_customers"], kpis["value_at_risk"]) == (
        0,
        0,
        0,
    )


def test_negative_revenue_month_keeps_sign():
    # A month of refunds only: revenue -200, margin -50 → margin % = -50 / -200 × 100 = 25.
    kpis = derive_kpis({"revenue": -200.0, "margin": -50.0, "orders": 1})
    assert kpis["margin_percent"] == pytest.approx(25.0)
    assert kpis["average_order_value"] == pytest.approx(-200.0)


def test_unknown_measure_is_refused():
    with pytest.raises(ValueError, match="Unknown measures: revenu"):
        derive_kpis({"revenu": 1})


def test_classify_customers_new_and_returning():
    start = date(2025, 3, 1)
    pairs = [
        ("alice", "acme"),  # first purchase 2025-03-04: new
        ("alice", "acme"),  # duplicate pair: counted once
        ("alice", "bolt"),  # first purchase 2024-11-20: returning
        ("bob", "acme"),  # acme is new for bob too: its first purchase is in the period
        ("bob", "core"),  # first purchase exactly on the first day: new
    ]
    first = {"acme": date(2025, 3, 4), "bolt": date(2024, 11, 20), "core": start}
    assert classify_customers(pairs, first, start) == {
        "alice": {"customers": 2, "new_customers": 1, "returning_customers": 1},
        "bob": {"customers": 2, "new_customers": 2, "returning_customers": 0},
    }
    with pytest.raises(ValueError, match="No first purchase date"):
        classify_customers([("alice", "ghost")], first, start)


def test_compare():
    assert compare(150.0, 120.0) == pytest.approx((30.0, 25.0))  # 30 / 120 × 100
    assert compare(-30.0, -60.0) == pytest.approx((30.0, 50.0))  # 30 / |-60| × 100
    assert compare(10.0, 0.0) == (10.0, None)
    assert compare(None, 5.0) == (None, None)


def test_change_tone_follows_the_direction_not_the_sign():
    # more revenue is good, more lost opportunities bad, a longer cycle bad
    assert change_tone(KPI_DIRECTIONS["revenue"], 30.0) == "good"
    assert change_tone(KPI_DIRECTIONS["revenue"], -30.0) == "bad"
    assert change_tone(KPI_DIRECTIONS["lost_count"], 2) == "bad"
    assert change_tone(KPI_DIRECTIONS["lost_count"], -1) == "good"
    assert change_tone(KPI_DIRECTIONS["average_cycle_days"], 4.5) == "bad"
    # more active customers is good; more churned customers or value at risk bad
    assert change_tone(KPI_DIRECTIONS["active_customers"], 3) == "good"
    assert change_tone(KPI_DIRECTIONS["churned_customers"], 2) == "bad"
    assert change_tone(KPI_DIRECTIONS["value_at_risk"], -500.0) == "good"
    # a pipeline change is not judged; no change or nothing to compare is neutral
    assert change_tone(KPI_DIRECTIONS["pipeline_value"], 5000.0) == "neutral"
    assert change_tone("up", 0) == "neutral"
    assert change_tone("down", None) == "neutral"
    with pytest.raises(ValueError, match="Unknown KPI direction"):
        change_tone("sideways", 1)


def test_every_kpi_has_a_direction():
    assert set(KPI_DIRECTIONS) == set(KPI_CODES)
    assert {code for code, d in KPI_DIRECTIONS.items() if d == "down"} == {
        "lost_count",
        "average_cycle_days",
        "forecast_mase",
        "churned_customers",
        "value_at_risk",
    }
    assert {code for code, d in KPI_DIRECTIONS.items() if d == "neutral"} == {
        "pipeline_value",
        "weighted_pipeline",
        "quantity",
        "forecast_bias",
    }
    with pytest.raises(ValueError, match="Unknown KPI direction"):
        KpiDefinition("x", "X", "count", "x", "higher")


def test_every_kpi_is_documented_in_the_readme():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    documented = set(re.findall(r"^\| `(\w+)` \|", readme, re.MULTILINE))
    assert documented == set(KPI_CODES)
    # the "better when" column says each KPI's direction
    words = {"up": "higher", "down": "lower", "neutral": "not judged"}
    better_when = dict(
        re.findall(r"^\| `(\w+)` \|[^|]+\|[^|]+\| ([^|]+?) \|", readme, re.MULTILINE)
    )
    assert better_when == {kpi.code: words[kpi.direction] for kpi in KPI_DEFINITIONS}
    assert len({kpi.code for kpi in KPI_DEFINITIONS}) == len(KPI_DEFINITIONS)
    assert "records_complete" in MEASURES


def test_pipeline_kpis_are_measured_over_whole_periods():
    # opportunities by expected closing date lie ahead of today: the two
    # pipeline KPIs and their measures, and nothing else
    assert WHOLE_PERIOD_KPIS == {"pipeline_value", "weighted_pipeline"}
    assert WHOLE_PERIOD_MEASURES == {"pipeline_value", "weighted_pipeline"}
    assert WHOLE_PERIOD_MEASURES <= set(MEASURES)
    for kpi in KPI_DEFINITIONS:
        assert ("whole period" in kpi.definition) == kpi.whole_period, kpi.code
