# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Speed of the statistical forecaster against statsmodels' ThetaModel.

Builds 2,000 deterministic monthly sales-like series (36 to 126 months:
seasonal with trend, trend only, flat and noisy, intermittent), forecasts
them 18 months ahead with :func:`engine.forecast.forecast_many` (method
choice included, over every core) and fits statsmodels' ``ThetaModel``
(period 12) to the same series over the same number of processes, in the
same run. Prints series per second of both, their ratio, and the load
average before and after, since other work on the machine slows both.

Usage::

    python3 bench/bench_forecast.py [--series 2000] [--processes N] [--seed 42]
"""

import argparse
import multiprocessing
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "salesperf_odoo"))

from engine.forecast import forecast_many

HORIZON = 18
SEASON = 12


def sales_series(count, seed):
    """``{key: history}``: a deterministic mix of sales-like monthly series."""
    rng = np.random.default_rng(seed)
    series = {}
    for index in range(count):
        n = int(rng.integers(36, 127))
        t = np.arange(n)
        level = rng.uniform(1_000, 100_000)
        kind = index % 4
        if kind == 3:  # intermittent: a deal now and then
            deals = rng.random(n) < rng.uniform(0.15, 0.5)
            values = deals * rng.gamma(2.0, level / 2, n)
        else:
            trend = 1 + rng.uniform(-0.01, 0.02) * t if kind < 2 else np.ones(n)
            phase = rng.uniform(0, 2 * np.pi)
            amplitude = rng.uniform(0.1, 0.4) if kind == 0 else 0.0
            seasonal = 1 + amplitude * np.sin(2 * np.pi * t / SEASON + phase)
            noise = rng.normal(1, rng.uniform(0.05, 0.3), n)
            values = np.maximum(0.0, level * trend * seasonal * noise)
        series[f"series:{index}"] = np.round(values, 2)
    return series


def theta_model(history):
    from statsmodels.tsa.forecasting.theta import ThetaModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(ThetaModel(history, period=SEASON).fit().forecast(HORIZON))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--series", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=os.cpu_count())
    parser.add_argument("--seed", type=int, default=42)
    arguments = parser.parse_args()
    series = sales_series(arguments.series, arguments.seed)
    load_before = os.getloadavg()

    start = time.perf_counter()
    forecasts = forecast_many(series, HORIZON, SEASON, processes=arguments.processes)
    ours = time.perf_counter() - start

    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(arguments.processes) as pool:
        pool.map(theta_model, list(series.values()), chunksize=16)
    theta = time.perf_counter() - start
    load_after = os.getloadavg()

    methods = {}
    for forecast in forecasts.values():
        methods[forecast.method] = methods.get(forecast.method, 0) + 1
    count = len(series)
    print(
        f"{count} series of 36-126 months, {HORIZON} months ahead, "
        f"{arguments.processes} processes on {os.cpu_count()} cores"
    )
    print(f"forecast_many (method choice included): {ours:.2f} s, {count / ours:.0f} series/s")
    print(f"statsmodels ThetaModel alone:           {theta:.2f} s, {count / theta:.0f} series/s")
    print(f"ratio: {theta / ours:.1f} x the series/s of ThetaModel")
    print("methods: " + ", ".join(f"{k} {v}" for k, v in sorted(methods.items())))
    before = " ".join(f"{value:.2f}" for value in load_before)
    after = " ".join(f"{value:.2f}" for value in load_after)
    print(f"load average (1, 5, 15 min) before: {before}, after: {after}")


if __name__ == "__main__":
    main()
