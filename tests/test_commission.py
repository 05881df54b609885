# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date
from decimal import Decimal as D

import pytest

from engine.commission import (
    Bonus,
    PlanError,
    PlanSpec,
    RateOverride,
    SourceLine,
    Tier,
    compute_commission,
    tier_amount,
    validate_plan,
    validate_shares,
)

# 0–10,000 at 5 %, 10,000–20,000 at 8 %, 20,000 and more at 10 %
AMOUNT_TIERS = (
    Tier(D(0), D(10000), D(5)),
    Tier(D(10000), D(20000), D(8)),
    Tier(D(20000), None, D(10)),
)
# below 100 % of target 4 %, 100–120 % 6 %, 120 % and more 9 %
ATTAINMENT_TIERS = (
    Tier(D(0), D(100), D(4)),
    Tier(D(100), D(120), D(6)),
    Tier(D(120), None, D(9)),
)


def line(number, base, day=1, **values):
    return SourceLine(
        key=("sale.order.line", number), date=date(2026, 1, day), base=D(str(base)), **values
    )


def commission_lines(result):
    return [res for res in result.lines if res.kind == "commission"]


def amounts(result, kind="commission"):
    return [res.amount for res in result.lines if res.kind == kind]


# ---------------------------------------------------------------------------
# Flat rate and rounding
# ---------------------------------------------------------------------------


def test_flat_rate_pays_each_line_its_rate():
    plan = PlanSpec(rate=D(5))
    result = compute_commission(plan, [line(1, 1000), line(2, "250.50"), line(3, -100)])
    # 1000 × 5 % = 50.00; 250.50 × 5 % = 12.525 → 12.53 (half up); -100 × 5 % = -5.00
    assert amounts(result) == [D("50.00"), D("12.53"), D("-5.00")]
    assert {res.rule for res in result.lines} == {"flat"}
    assert [res.rate for res in result.lines] == [D(5)] * 3
    assert result.lines[0].note == "5% on 1,000.00"
    assert result.lines[0].key == ("sale.order.line", 1)
    # 1000 + 250.50 − 100 = 1150.50; 50.00 + 12.53 − 5.00 = 57.53
    assert result.base_total == D("1150.50")
    assert result.commission == result.total == D("57.53")
    assert result.attainment is None
    assert result.bonus == result.override == result.cap_adjustment == 0
    assert result.warnings == ()


def test_floats_are_read_through_their_text():
    # 0.1 + 0.2 as floats is 0.30000000000000004; Decimal(str(x)) keeps 0.1 and 0.2
    plan = PlanSpec(rate=10.0)
    result = compute_commission(plan, [line(1, 0.1), line(2, 0.2)], target=0.3)
    assert result.base_total == D("0.3")
    assert result.attainment == 100


def test_each_line_is_rounded_and_totals_are_sums_of_rounded_lines():
    plan = PlanSpec(rate=D(5))
    lines = [line(1, "0.10"), line(2, "0.10"), line(3, "0.10")]
    result = compute_commission(plan, lines)
    # each 0.10 × 5 % = 0.005 → 0.01 (half up); the total is 0.01 × 3 = 0.03,
    # not 0.30 × 5 % = 0.015 → 0.02: a statement adds up to its lines
    assert amounts(result) == [D("0.01")] * 3
    assert result.commission == result.total == D("0.03")
    # no cents: 10 × 5 % = 0.5 → 1; 29 × 5 % = 1.45 → 1
    result = compute_commission(plan, [line(1, 10), line(2, 29)], digits=0)
    assert amounts(result) == [D(1), D(1)]
    assert result.total == 2


def test_lines_are_walked_by_date_then_in_the_order_given():
    plan = PlanSpec(tier_basis="amount", tiers=AMOUNT_TIERS)
    # walk: line 1 (Jan 1) 0 → 6,000; then Jan 2 in the order given, line 3
    # before line 2: line 3 6,000 → 8,000; line 2 8,000 → 12,000
    given = [line(3, 2000, day=2), line(2, 4000, day=2), line(1, 6000, day=1)]
    result = compute_commission(plan, given)
    assert [res.key[1] for res in result.lines] == [1, 3, 2]
    # line 1: 6,000 × 5 % = 300; line 3: 2,000 × 5 % = 100;
    # line 2: 2,000 × 5 % + 2,000 × 8 % = 100 + 160 = 260
    assert amounts(result) == [D(300), D(100), D(260)]


# ---------------------------------------------------------------------------
# Tiers on amount
# ---------------------------------------------------------------------------


def test_tier_amount_graduated_and_retroactive_around_every_boundary():
    cases = [
        # total, graduated F(total), retroactive total × reached rate
        ("0", "0", "0"),
        # 9,999.99 × 5 % = 499.9995 either way
        ("9999.99", "499.9995", "499.9995"),
        # 10,000 × 5 % = 500; retroactive: 10,000 is in 10,000–20,000, 10,000 × 8 % = 800
        ("10000", "500", "800"),
        # 500 + 0.01 × 8 % = 500.0008; 10,000.01 × 8 % = 800.0008
        ("10000.01", "500.0008", "800.0008"),
        # 500 + 9,999.99 × 8 % = 500 + 799.9992 = 1,299.9992; 19,999.99 × 8 % = 1,599.9992
        ("19999.99", "1299.9992", "1599.9992"),
        # 500 + 800 = 1,300; 20,000 × 10 % = 2,000
        ("20000", "1300", "2000"),
        # 500 + 800 + 5,000 × 10 % = 1,800; 25,000 × 10 % = 2,500
        ("25000", "1800", "2500"),
        # a net refund stays in the first band: -100 × 5 % = -5
        ("-100", "-5", "-5"),
    ]
    for total, graduated, retroactive in cases:
        assert tier_amount(D(total), AMOUNT_TIERS, "graduated") == D(graduated), total
        assert tier_amount(D(total), AMOUNT_TIERS, "retroactive") == D(retroactive), total
    with pytest.raises(PlanError, match="Unknown tier mode"):
        tier_amount(D(1), AMOUNT_TIERS, "stepped")


def test_graduated_lines_sum_to_the_integral_and_refunds_take_back_where_they_leave():
    plan = PlanSpec(tier_basis="amount", tiers=AMOUNT_TIERS)
    lines = [line(1, 6000, 1), line(2, 6000, 2), line(3, -3000, 3), line(4, 2000, 4)]
    result = compute_commission(plan, lines)
    # line 1: 0 → 6,000: 6,000 × 5 % = 300
    # line 2: 6,000 → 12,000: 4,000 × 5 % + 2,000 × 8 % = 200 + 160 = 360
    # line 3 (refund): 12,000 → 9,000 leaves 10,000–12,000 at 8 % and
    #   9,000–10,000 at 5 %: −(2,000 × 8 % + 1,000 × 5 %) = −(160 + 50) = −210
    # line 4: 9,000 → 11,000: 1,000 × 5 % + 1,000 × 8 % = 50 + 80 = 130
    assert amounts(result) == [D(300), D(360), D(-210), D(130)]
    # 300 + 360 − 210 + 130 = 580 = F(11,000) = 10,000 × 5 % + 1,000 × 8 %
    assert result.commission == D(580) == tier_amount(D(11000), AMOUNT_TIERS, "graduated")
    second = result.lines[1]
    assert second.rule == "tier"
    assert second.rate == D(6)  # effective: 360 / 6,000 = 6 %
    assert second.note == ("5% on 4,000.00 in 0–10,000 band; 8% on 2,000.00 in 10,000–20,000 band")
    assert result.lines[2].note == (
        "5% on -1,000.00 in 0–10,000 band; 8% on -2,000.00 in 10,000–20,000 band"
    )


def test_graduated_refund_below_zero_is_taken_back_at_the_first_band():
    plan = PlanSpec(tier_basis="amount", tiers=AMOUNT_TIERS)
    result = compute_commission(plan, [line(1, -200, 1), line(2, 1000, 2)])
    # 0 → −200: −200 × 5 % = −10; −200 → 800: 1,000 × 5 % = 50; sum 40 = F(800) = 800 × 5 %
    assert amounts(result) == [D(-10), D(50)]
    assert result.commission == D(40)


def test_retroactive_pays_every_line_at_the_band_the_total_reached():
    plan = PlanSpec(tier_basis="amount", tier_mode="retroactive", tiers=AMOUNT_TIERS)
    lines = [line(1, 6000, 1), line(2, 6000, 2), line(3, -3000, 3), line(4, 2000, 4)]
    result = compute_commission(plan, lines)
    # total 6,000 + 6,000 − 3,000 + 2,000 = 11,000: band 10,000–20,000, 8 % on every line
    # 480, 480, −240, 160 = 880 = 11,000 × 8 %
    assert amounts(result) == [D(480), D(480), D(-240), D(160)]
    assert [res.rate for res in result.lines] == [D(8)] * 4
    assert result.commission == D(880)
    assert result.lines[0].note == "8%: 10,000–20,000 band reached by the total 11,000.00"
    # one cent short of 10,000: 5 % everywhere; 6,000 × 5 % = 300, 3,999.99 × 5 % = 199.9995
    result = compute_commission(plan, [line(1, 6000), line(2, "3999.99")])
    assert amounts(result) == [D(300), D("200.00")]
    assert [res.rate for res in result.lines] == [D(5), D(5)]
    # exactly 10,000: 8 %: 480 + 320
    result = compute_commission(plan, [line(1, 6000), line(2, 4000)])
    assert amounts(result) == [D(480), D(320)]


# ---------------------------------------------------------------------------
# Tiers on attainment
# ---------------------------------------------------------------------------


def test_attainment_tiers_at_and_around_100_percent():
    graduated = PlanSpec(tier_basis="attainment", tiers=ATTAINMENT_TIERS)
    retroactive = replace_mode(graduated, "retroactive")
    target = D(10000)  # bands in amounts: 0–10,000 at 4 %, 10,000–12,000 at 6 %, 12,000– at 9 %

    # one cent below 100 %: 9,999.99 × 4 % = 399.9996 → 400.00, both modes, rate 4 %
    for plan in (graduated, retroactive):
        result = compute_commission(plan, [line(1, "9999.99")], target=target)
        assert result.lines[0].rate == D(4)
        assert result.lines[0].amount == D("400.00")
        assert result.attainment == D("99.9999")

    # exactly 100 %: graduated 10,000 × 4 % = 400 (all below the 100 % bound);
    # retroactive: 100 % is in the 100–120 % band, 10,000 × 6 % = 600
    result = compute_commission(graduated, [line(1, 10000)], target=target)
    assert (result.lines[0].rate, result.lines[0].amount) == (D(4), D(400))
    assert result.lines[0].note == "4% on 10,000.00 in 0%–100% band"
    assert result.attainment == 100
    result = compute_commission(retroactive, [line(1, 10000)], target=target)
    assert (result.lines[0].rate, result.lines[0].amount) == (D(6), D(600))

    # one cent above: graduated 400 + 0.01 × 6 % = 400.0006 → 400.00, the cent in the 6 % band;
    # retroactive 10,000.01 × 6 % = 600.0006 → 600.00
    result = compute_commission(graduated, [line(1, "10000.01")], target=target)
    assert result.lines[0].amount == D("400.00")
    assert result.lines[0].note == ("4% on 10,000.00 in 0%–100% band; 6% on 0.01 in 100%–120% band")
    result = compute_commission(retroactive, [line(1, "10000.01")], target=target)
    assert (result.lines[0].rate, result.lines[0].amount) == (D(6), D("600.00"))


def test_attainment_tiers_over_several_lines():
    graduated = PlanSpec(tier_basis="attainment", tiers=ATTAINMENT_TIERS)
    lines = [line(1, 8000, 1), line(2, 4000, 2)]
    result = compute_commission(graduated, lines, target=D(10000))
    # line 1: 8,000 × 4 % = 320; line 2: 8,000 → 12,000: 2,000 × 4 % + 2,000 × 6 % = 80 + 120 = 200
    assert amounts(result) == [D(320), D(200)]
    # F(12,000) = 10,000 × 4 % + 2,000 × 6 % = 400 + 120 = 520
    assert result.commission == D(520)
    # retroactive: 12,000 = exactly 120 %, band 120 %– at 9 %: 720 + 360
    result = compute_commission(replace_mode(graduated, "retroactive"), lines, target=D(10000))
    assert amounts(result) == [D(720), D(360)]
    assert result.attainment == 120


def test_attainment_tiers_without_target_pay_nothing_and_warn():
    plan = PlanSpec(
        tier_basis="attainment",
        tiers=ATTAINMENT_TIERS,
        overrides=(RateOverride("product", 7, D(10)),),
    )
    lines = [line(1, 5000), line(2, 1000, product_id=7)]
    result = compute_commission(plan, lines)
    # the plan line pays 0; the product rate still pays 1,000 × 10 % = 100
    assert amounts(result) == [D(0), D(100)]
    assert result.lines[0].rule == "tier"
    assert result.lines[0].note == "No target: attainment tiers pay nothing"
    assert result.warnings == ("No target: attainment tiers pay nothing.",)
    # a target of 0 is no target either
    assert compute_commission(plan, lines, target=0).warnings == result.warnings


# ---------------------------------------------------------------------------
# Accelerator
# ---------------------------------------------------------------------------


def test_flat_accelerator_on_the_part_above_target():
    plan = PlanSpec(rate=D(5), accelerator=D(2))
    result = compute_commission(plan, [line(1, 8000, 1), line(2, 4000, 2)], target=D(10000))
    # line 1: 8,000 × 5 % = 400; line 2 crosses the target at 10,000:
    # 2,000 × 5 % + 2,000 × 5 % × 2 = 100 + 200 = 300
    assert amounts(result) == [D(400), D(300)]
    assert result.lines[1].note == "5% on 2,000.00; 5% × 2 on 2,000.00 above target"
    assert result.lines[1].rate == D("7.5")  # 300 / 4,000
    # exactly at target: nothing is above it, 10,000 × 5 % = 500
    result = compute_commission(plan, [line(1, 10000)], target=D(10000))
    assert amounts(result) == [D(500)]


def test_graduated_accelerator_splits_the_band_at_the_target():
    plan = PlanSpec(
        tier_basis="amount",
        tiers=(Tier(D(0), D(10000), D(5)), Tier(D(10000), None, D(8))),
        accelerator=D("1.5"),
    )
    result = compute_commission(plan, [line(1, 12000)], target=D(8000))
    # 8,000 × 5 % = 400; 8,000–10,000 above target: 2,000 × 5 % × 1.5 = 150;
    # 10,000–12,000: 2,000 × 8 % × 1.5 = 240; 400 + 150 + 240 = 790
    assert amounts(result) == [D(790)]


def test_retroactive_accelerator_spread_pro_rata():
    plan = PlanSpec(
        tier_basis="amount",
        tier_mode="retroactive",
        tiers=(Tier(D(0), D(10000), D(5)), Tier(D(10000), None, D(8))),
        accelerator=D("1.5"),
    )
    result = compute_commission(plan, [line(1, 8000, 1), line(2, 4000, 2)], target=D(10000))
    # total 12,000 reaches 8 %: 12,000 × 8 % = 960, plus (12,000 − 10,000) × 8 % × 0.5 = 80
    # = 1,040, pro rata: 8,000 / 12,000 × 1,040 = 693.333… → 693.33,
    # 4,000 / 12,000 × 1,040 = 346.666… → 346.67
    assert amounts(result) == [D("693.33"), D("346.67")]
    assert result.commission == D("1040.00")
    # effective rate 8 × (1 + 0.5 × 2,000 / 12,000) = 8.6666…
    assert result.lines[0].rate.quantize(D("0.0001")) == D("8.6667")


def test_accelerator_without_target_is_ignored_with_a_warning():
    plan = PlanSpec(rate=D(5), accelerator=D(2))
    result = compute_commission(plan, [line(1, 12000)])
    assert amounts(result) == [D(600)]  # 12,000 × 5 %
    assert result.warnings == ("No target: the accelerator is ignored.",)


# ---------------------------------------------------------------------------
# Rate overrides
# ---------------------------------------------------------------------------


def test_product_beats_category_beats_plan_and_the_nearest_category_wins():
    plan = PlanSpec(
        rate=D(5),
        overrides=(
            RateOverride("category", 7, D(3)),  # parent category
            RateOverride("category", 8, D(6)),  # its child
            RateOverride("product", 101, D(12)),
        ),
    )
    lines = [
        line(1, 1000, product_id=101, category_ids=(8, 7)),  # product: 12 % → 120
        line(2, 1000, product_id=102, category_ids=(8, 7)),  # nearest category 8: 6 % → 60
        line(3, 1000, product_id=103, category_ids=(9, 7)),  # 9 has none, parent 7: 3 % → 30
        line(4, 1000, product_id=104, category_ids=(9,)),  # plan: 5 % → 50
    ]
    result = compute_commission(plan, lines)
    assert amounts(result) == [D(120), D(60), D(30), D(50)]
    assert [res.rule for res in result.lines] == ["product", "category", "category", "flat"]
    assert [res.rate for res in result.lines] == [D(12), D(6), D(3), D(5)]
    assert [res.note for res in result.lines] == [
        "Product rate 12% on 1,000.00",
        "Product category rate 6% on 1,000.00",
        "Parent category rate 3% on 1,000.00",
        "5% on 1,000.00",
    ]


def test_overridden_lines_count_in_the_cumulative_measure():
    tiers = (Tier(D(0), D(1000), D(5)), Tier(D(1000), None, D(10)))
    overrides = (RateOverride("product", 101, D(2)),)
    lines = [line(1, 1000, 1, product_id=101), line(2, 500, 2, product_id=102)]
    graduated = PlanSpec(tier_basis="amount", tiers=tiers, overrides=overrides)
    result = compute_commission(graduated, lines)
    # line 1: 1,000 × 2 % = 20 and the measure reaches 1,000;
    # line 2: 1,000 → 1,500 in the 10 % band: 50 (25 if line 1 did not count)
    assert amounts(result) == [D(20), D(50)]
    # retroactive: the total 1,500 (both lines) reaches 10 %: 500 × 10 % = 50
    result = compute_commission(replace_mode(graduated, "retroactive"), lines)
    assert amounts(result) == [D(20), D(50)]


# ---------------------------------------------------------------------------
# Threshold
# ---------------------------------------------------------------------------


def test_amount_threshold_exactly_at_it_pays():
    plan = PlanSpec(rate=D(5), threshold=D(5000), manager_rate=D(1))
    teams = [("team", 1), D(10000)]
    below = compute_commission(plan, [line(1, 3000), line(2, "1999.99")], team_bases=[teams])
    # 3,000 + 1,999.99 = 4,999.99 < 5,000: lines keep their base, rate 0, amount 0
    assert [(res.rule, res.base, res.rate, res.amount) for res in below.lines] == [
        ("threshold", D(3000), D(0), D(0)),
        ("threshold", D("1999.99"), D(0), D(0)),
        ("threshold", D(10000), D(0), D(0)),  # the manager override too
    ]
    assert below.lines[0].note == "Below the threshold of 5,000.00 (total 4,999.99): nothing paid"
    assert below.total == 0
    at = compute_commission(plan, [line(1, 3000), line(2, 2000)], team_bases=[teams])
    # 3,000 × 5 % = 150, 2,000 × 5 % = 100, team 10,000 × 1 % = 100
    assert amounts(at) == [D(150), D(100)]
    assert amounts(at, "override") == [D(100)]
    assert at.total == D(350)


def test_attainment_threshold_exactly_at_it_pays():
    plan = PlanSpec(rate=D(5), threshold=D(80), threshold_basis="attainment")
    below = compute_commission(plan, [line(1, "7999.99")], target=D(10000))
    # 7,999.99 / 10,000 = 79.9999 % < 80 %
    assert below.lines[0].rule == "threshold"
    assert below.lines[0].amount == 0
    assert below.lines[0].note == "Below the threshold of 80% attainment (79.9999%): nothing paid"
    at = compute_commission(plan, [line(1, 8000)], target=D(10000))
    assert amounts(at) == [D(400)]  # 80 % exactly: 8,000 × 5 %
    # without a target the attainment threshold cannot be reached
    none = compute_commission(plan, [line(1, 8000)])
    assert none.lines[0].rule == "threshold"
    assert none.total == 0
    assert none.warnings == ("No target: the attainment threshold cannot be reached.",)


def test_bonuses_are_not_gated_by_the_threshold():
    plan = PlanSpec(rate=D(5), threshold=D(5000), bonuses=(Bonus("new_customer", D(100)),))
    result = compute_commission(plan, [line(1, 1000, partner_id=3, is_new_customer=True)])
    assert amounts(result) == [D(0)]
    assert amounts(result, "bonus") == [D(100)]
    assert result.total == D(100)


# ---------------------------------------------------------------------------
# Bonuses
# ---------------------------------------------------------------------------


def test_new_customer_bonus_once_per_customer_times_the_share():
    plan = PlanSpec(bonuses=(Bonus("new_customer", D(300)),))
    lines = [
        line(1, 1000, 1, partner_id=1, is_new_customer=True, share=D("0.5"), order_key="S1"),
        line(2, 1000, 2, partner_id=1, is_new_customer=True, share=D(1), order_key="S2"),
        line(3, 500, 3, partner_id=2, is_new_customer=True, order_key="S3"),
        line(4, 500, 4, partner_id=3, is_new_customer=False, order_key="S4"),
        line(5, -50, 5, partner_id=4, is_new_customer=True, order_key="S5"),  # a refund only
    ]
    result = compute_commission(plan, lines)
    bonuses = [res for res in result.lines if res.kind == "bonus"]
    # customer 1 once, on its first line, share 50 %: 300 × 0.5 = 150; customer 2: 300
    assert [(res.key, res.rule, res.base, res.rate, res.amount) for res in bonuses] == [
        ("S1", "bonus_new_customer", D(300), D(50), D(150)),
        ("S3", "bonus_new_customer", D(300), D(100), D(300)),
    ]
    assert bonuses[0].note == "New customer bonus × 50% share"
    assert result.bonus == D(450)
    assert result.total == D(450)


def test_product_bonus_once_per_order_times_the_share():
    plan = PlanSpec(bonuses=(Bonus("product", D(50), product_id=101, label="Gold kit"),))
    lines = [
        line(1, 100, 1, product_id=101, order_key="S1"),
        line(2, 100, 1, product_id=101, order_key="S1"),  # same order: no second bonus
        line(3, 100, 2, product_id=101, order_key="S2", share=D("0.25")),
        line(4, 100, 2, product_id=102, order_key="S3"),  # another product
        line(5, -100, 3, product_id=101, order_key="S4"),  # a refund earns no bonus
        line(6, 0, 3, product_id=101, order_key="S5"),  # nor a free line
    ]
    result = compute_commission(plan, lines)
    # S1: 50; S2: 50 × 0.25 = 12.50
    assert [(res.key, res.amount) for res in result.lines if res.kind == "bonus"] == [
        ("S1", D(50)),
        ("S2", D("12.50")),
    ]
    assert result.lines[-1].rule == "bonus_product"
    assert result.lines[-2].note == "Gold kit"


def test_target_bonus_at_exactly_100_percent():
    plan = PlanSpec(bonuses=(Bonus("target_reached", D(200)),))
    reached = compute_commission(plan, [line(1, 6000), line(2, 4000)], target=D(10000))
    bonus = reached.lines[-1]
    assert (bonus.kind, bonus.key, bonus.rule, bonus.amount) == ("bonus", None, "bonus_target", 200)
    assert reached.total == D(200)
    missed = compute_commission(plan, [line(1, 6000), line(2, "3999.99")], target=D(10000))
    assert missed.bonus == 0
    assert amounts(missed, "bonus") == []
    no_target = compute_commission(plan, [line(1, 6000)])
    assert no_target.bonus == 0
    assert no_target.warnings == ("No target: the target bonus cannot be earned.",)


# ---------------------------------------------------------------------------
# Manager override and cap
# ---------------------------------------------------------------------------


def test_manager_override_per_team():
    plan = PlanSpec(rate=D(5), manager_rate=D(2))
    teams = [(("crm.team", 1), D(50000)), (("crm.team", 2), D("12345.67"))]
    result = compute_commission(plan, [line(1, 1000)], team_bases=teams)
    overrides = [res for res in result.lines if res.kind == "override"]
    # 50,000 × 2 % = 1,000; 12,345.67 × 2 % = 246.9134 → 246.91
    assert [(res.key, res.rule, res.amount) for res in overrides] == [
        (("crm.team", 1), "manager_override", D(1000)),
        (("crm.team", 2), "manager_override", D("246.91")),
    ]
    assert result.override == D("1246.91")
    # 1,000 × 5 % = 50 + 1,246.91 = 1,296.91
    assert result.total == D("1296.91")
    # no manager rate, no override lines
    assert compute_commission(PlanSpec(rate=D(5)), [], team_bases=teams).lines == ()


def test_cap_limits_commission_bonus_and_override():
    plan = PlanSpec(rate=D(10), cap=D(1000), bonuses=(Bonus("target_reached", D(100)),))
    result = compute_commission(plan, [line(1, 8000), line(2, 4000)], target=D(10000))
    # 800 + 400 + bonus 100 = 1,300 > 1,000: cap line 1,000 − 1,300 = −300
    cap = result.lines[-1]
    assert (cap.kind, cap.key, cap.rule, cap.base, cap.amount) == (
        "cap",
        None,
        "cap",
        D(1300),
        D(-300),
    )
    assert cap.note == "Capped at 1,000.00 (earned 1,300.00)"
    assert (result.commission, result.bonus, result.cap_adjustment) == (1200, 100, -300)
    assert result.total == D(1000)
    # exactly at the cap or below: no cap line
    result = compute_commission(plan, [line(1, 9000)], target=D(10000))
    assert result.total == D(900)  # 9,000 × 10 %, no bonus (90 %)
    assert [res.kind for res in result.lines] == ["commission"]
    result = compute_commission(replace_cap(plan, D(900)), [line(1, 9000)], target=D(10000))
    assert result.cap_adjustment == 0
    assert result.total == D(900)


def test_cap_never_lets_the_total_exceed_it():
    # a cap with more decimals than the currency: 999.996 − 1,000.00 earned = −0.004,
    # rounded down to −0.01 (half up would give −0.00 and pay 1,000.00 over the cap),
    # so the total 999.99 stays under the cap
    plan = PlanSpec(rate=D(10), cap=D("999.996"))
    result = compute_commission(plan, [line(1, 10000)])
    assert result.cap_adjustment == D("-0.01")
    assert result.total == D("999.99")


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


def tiered(*tiers, **values):
    return PlanSpec(tier_basis="amount", tiers=tuple(Tier(*tier) for tier in tiers), **values)


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (tiered((0, 100, 5), (50, None, 8)), "overlap"),
        (tiered((0, 100, 5), (150, None, 8)), "Gap between tiers 0–100 and 150–"),
        (tiered((10, None, 5)), "first tier must start at 0"),
        (tiered((0, 100, -1), (100, None, 8)), "rate of tier 0–100 cannot be negative"),
        (tiered((0, None, 5), (100, None, 8)), "Only the last tier can be open-ended"),
        (tiered((0, 100, 5)), "must be open-ended"),
        (tiered((0, 0, 5), (0, None, 8)), "upper bound must be above the lower bound"),
        (tiered(), "at least one tier"),
        (PlanSpec(rate=-1), "rate cannot be negative"),
        (PlanSpec(rate=5, accelerator=D("0.9")), "cannot be below 1"),
        (PlanSpec(tiers=(Tier(0, None, 5),)), "no tier basis"),
        (PlanSpec(threshold=-1), "threshold cannot be negative"),
        (PlanSpec(cap=-1), "cap cannot be negative"),
        (PlanSpec(manager_rate=-1), "manager override rate"),
        (PlanSpec(tier_basis="units"), "Unknown tier basis"),
        (PlanSpec(tier_mode="stepped"), "Unknown tier mode"),
        (PlanSpec(threshold_basis="units"), "Unknown threshold basis"),
        (PlanSpec(overrides=(RateOverride("brand", 1, 5),)), "Unknown rate override kind"),
        (PlanSpec(overrides=(RateOverride("product", 1, -5),)), "product rate cannot be negative"),
        (
            PlanSpec(overrides=(RateOverride("category", 1, 5), RateOverride("category", 1, 6))),
            "Two rates are set for the same category",
        ),
        (PlanSpec(bonuses=(Bonus("birthday", 5),)), "Unknown bonus condition"),
        (PlanSpec(bonuses=(Bonus("new_customer", -5),)), "bonus amount cannot be negative"),
        (PlanSpec(bonuses=(Bonus("product", 5),)), "product bonus needs a product"),
    ],
)
def test_validate_plan_refuses(plan, message):
    with pytest.raises(PlanError, match=message):
        validate_plan(plan)
    with pytest.raises(PlanError, match=message):
        compute_commission(plan, [line(1, 100)])


def test_validate_plan_accepts_good_plans_in_any_tier_order():
    validate_plan(PlanSpec(rate=5))
    validate_plan(tiered((0, 10000, 5), (10000, None, 8), accelerator=1.5, cap=0))
    # tiers given unsorted are checked in bound order
    validate_plan(tiered((20000, None, 10), (0, 10000, 5), (10000, 20000, 8)))
    validate_plan(PlanSpec(tier_basis="attainment", tiers=ATTAINMENT_TIERS, threshold=80))


def test_bad_input_lines_and_target_are_refused():
    with pytest.raises(PlanError, match="same key"):
        compute_commission(PlanSpec(rate=5), [line(1, 100), line(1, 200)])
    with pytest.raises(PlanError, match="target cannot be negative"):
        compute_commission(PlanSpec(rate=5), [line(1, 100)], target=-1)


def test_validate_shares_totals_exactly_100():
    validate_shares([D("33.33"), D("33.33"), D("33.34")])
    validate_shares([100])
    validate_shares([33.33, 66.67])  # floats read through their text
    with pytest.raises(PlanError, match="total 100%, not 99.99%"):
        validate_shares([D("33.33")] * 3)
    with pytest.raises(PlanError, match="total 100%, not 100.01%"):
        validate_shares([D(50), D("50.01")])
    with pytest.raises(PlanError, match="above 0% and at most 100%"):
        validate_shares([D(0), D(100)])
    with pytest.raises(PlanError, match="above 0% and at most 100%"):
        validate_shares([D(120), D(-20)])
    with pytest.raises(PlanError, match="at least one"):
        validate_shares([])


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def replace_mode(plan, mode):
    return PlanSpec(**{**plan.__dict__, "tier_mode": mode})


def replace_cap(plan, cap):
    return PlanSpec(**{**plan.__dict__, "cap": cap})
