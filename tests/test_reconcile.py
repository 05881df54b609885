# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import numpy as np
import pytest

from engine.forecast import Forecast, forecast_series
from engine.reconcile import adjust_to_total, reconcile


def flat(value, spread=2.0, steps=1, method="theta"):
    """A forecast of ``value`` every step, 80 % +- spread, 95 % +- 2 spread."""
    return Forecast(
        method=method,
        point=(value,) * steps,
        lo80=(value - spread,) * steps,
        hi80=(value + spread,) * steps,
        lo95=(value - 2 * spread,) * steps,
        hi95=(value + 2 * spread,) * steps,
        backtest_mase=0.5,
        scale=1.0,
    )


def two_people():
    # total = a + b, base forecasts a 10, b 20, total 36: 6 too many
    return ["a", "b"], {"total": ["a", "b"]}, {"a": flat(10), "b": flat(20), "total": flat(36)}


def test_bottom_up_sums_the_bottom():
    bottom, groups, base = two_people()
    result = reconcile(bottom, groups, base, method="bottom_up")
    assert result["a"].point == (10.0,)
    assert result["b"].point == (20.0,)
    assert result["total"].point == (30.0,)  # 10 + 20
    # the total's intervals move with its point: 36 +- 2 becomes 30 +- 2
    assert result["total"].lo80 == (28.0,)
    assert result["total"].hi95 == (34.0,)


def test_ols_shares_the_difference_equally_among_three_nodes():
    # S = [[1,1],[1,0],[0,1]]; S'S = [[2,1],[1,2]], inverse [[2,-1],[-1,2]] / 3
    # S'y = [36+10, 36+20] = [46, 56] -> a = (92-56)/3 = 12, b = (-46+112)/3 = 22
    bottom, groups, base = two_people()
    result = reconcile(bottom, groups, base, method="ols")
    assert result["a"].point == pytest.approx((12.0,))
    assert result["b"].point == pytest.approx((22.0,))
    assert result["total"].point == pytest.approx((34.0,))
    assert result["a"].lo80 == pytest.approx((10.0,))  # 12 - 2


def test_wls_structural_trusts_the_total_less():
    # W = diag(2, 1, 1) (bottom keys under each node); S'W^-1 = [[.5,1,0],[.5,0,1]]
    # S'W^-1 S = [[1.5,.5],[.5,1.5]], inverse [[.75,-.25],[-.25,.75]]
    # S'W^-1 y = [18+10, 18+20] = [28, 38]
    # a = .75*28 - .25*38 = 11.5, b = -.25*28 + .75*38 = 21.5, total 33
    bottom, groups, base = two_people()
    result = reconcile(bottom, groups, base)
    assert result["a"].point == pytest.approx((11.5,))
    assert result["b"].point == pytest.approx((21.5,))
    assert result["total"].point == pytest.approx((33.0,))
    assert result["total"].method == "theta"


def test_three_levels_add_up():
    bottom = ["u1", "u2", "u3", "u4"]
    groups = {"company": bottom, "team:1": ["u1", "u2"], "team:2": ["u3", "u4"]}
    base = {
        "u1": flat(5, steps=3),
        "u2": flat(7, steps=3),
        "u3": flat(1, spread=3, steps=3),
        "u4": flat(0.5, steps=3),
        "team:1": flat(14, steps=3),
        "team:2": flat(0, steps=3),
        "company": flat(30, steps=3),
    }
    for method in ("wls_struct", "ols", "bottom_up"):
        result = reconcile(bottom, groups, base, method=method)
        for step in range(3):
            users = {key: result[key].point[step] for key in bottom}
            assert min(users.values()) >= 0
            team1 = users["u1"] + users["u2"]
            team2 = users["u3"] + users["u4"]
            assert result["team:1"].point[step] == pytest.approx(team1, abs=1e-9)
            assert result["team:2"].point[step] == pytest.approx(team2, abs=1e-9)
            assert result["company"].point[step] == pytest.approx(team1 + team2, abs=1e-9)
        for forecast in result.values():
            for lo95, lo80, point, hi80, hi95 in zip(
                forecast.lo95,
                forecast.lo80,
                forecast.point,
                forecast.hi80,
                forecast.hi95,
                strict=True,
            ):
                assert lo95 <= lo80 <= point <= hi80 <= hi95
                assert point >= 0


def test_coherent_forecasts_are_left_alone():
    bottom = ["a", "b"]
    groups = {"total": ["a", "b"]}
    base = {"a": flat(10), "b": flat(20), "total": flat(30)}
    result = reconcile(bottom, groups, base)
    assert result["a"].point == pytest.approx((10.0,))
    assert result["total"].point == pytest.approx((30.0,))


def test_reconcile_refuses_incomplete_hierarchies():
    bottom, groups, base = two_people()
    del base["total"]
    with pytest.raises(ValueError):
        reconcile(bottom, groups, base)
    with pytest.raises(ValueError):
        reconcile(["a"], {"total": ["a", "x"]}, {"a": flat(1), "total": flat(1)})
    bottom, groups, base = two_people()
    with pytest.raises(ValueError):
        reconcile(bottom, groups, base, method="mint")
    with pytest.raises(ValueError):
        reconcile([], {"total": []}, {"total": flat(1)})
    assert reconcile([], {}, {}) == {}


def test_adjust_to_total_shares_the_difference_by_forecast():
    # 10 + 30 = 40 against a total of 60: 20 more, shared 10/40 and 30/40
    # -> 10 + 5 = 15 and 30 + 15 = 45
    result = adjust_to_total({"a": flat(10), "b": flat(30)}, flat(60))
    assert result["a"].point == pytest.approx((15.0,))
    assert result["b"].point == pytest.approx((45.0,))
    assert result["a"].hi80 == pytest.approx((17.0,))  # 15 + 2
    assert sum(f.point[0] for f in result.values()) == pytest.approx(60.0)


def test_adjust_to_total_shares_equally_from_zero():
    # both forecasts are 0: the total 9 goes 4.5 and 4.5
    result = adjust_to_total({"a": flat(0), "b": flat(0)}, flat(9))
    assert result["a"].point == pytest.approx((4.5,))
    assert result["b"].point == pytest.approx((4.5,))
    with pytest.raises(ValueError):
        adjust_to_total({}, flat(9))


def test_reconciled_statistical_forecasts_add_up_to_the_cent():
    rng = np.random.default_rng(23)
    months = np.arange(48)
    users = {
        f"user:{index}": np.maximum(
            0,
            1000 * (index + 1) * (1 + 0.3 * np.sin(2 * np.pi * months / 12))
            + rng.normal(0, 200, 48),
        )
        for index in range(4)
    }
    teams = {"team:1": ["user:0", "user:1"], "team:2": ["user:2", "user:3"]}
    groups = {**teams, "company": list(users)}
    history = dict(users)
    for team, members in teams.items():
        history[team] = sum(users[member] for member in members)
    history["company"] = sum(users.values())
    base = {key: forecast_series(values, 18) for key, values in history.items()}
    result = reconcile(list(users), groups, base)
    for step in range(18):
        for aggregate, members in groups.items():
            total = sum(result[member].point[step] for member in members)
            # coherent to far below a cent (float rounding only)
            assert result[aggregate].point[step] == pytest.approx(total, abs=1e-6)
    for forecast in result.values():
        for lo95, lo80, point, hi80, hi95 in zip(
            forecast.lo95, forecast.lo80, forecast.point, forecast.hi80, forecast.hi95, strict=True
        ):
            assert 0 <= lo95 <= lo80 <= point <= hi80 <= hi95
