# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Check the customer-value fits against the published CDNOW parameters.

Data: the CDNOW cohort summary of Fader and Hardie (2,357 customers, 39
weeks of calibration, time in weeks): ``cdnow_customers_summary.csv``
(columns frequency, recency, T) and, for Gamma-Gamma,
``cdnow_customers_summary_with_transactions.csv`` (columns x, t_x, T,
zbar: the mean value of the repeat purchases). Both ship in the
``datasets/`` folder of the ``lifetimes`` package (MIT; not a dependency of
the addon)::

    pip download lifetimes --no-deps -d /tmp/lt
    cd /tmp/lt && unzip -o Lifetimes-*.whl 'lifetimes/datasets/*'
    python3 bench/eval_customer_value.py --data /tmp/lt/lifetimes/datasets

The script fits BG/NBD on all customers and Gamma-Gamma on those with a
repeat purchase with ``engine.customer_value``, and prints the parameters
next to those published by Fader, Hardie & Lee (2005, "Counting your
customers the easy way") and (2005b, "RFM and CLV"), the relative
differences and the time each fit took.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "salesperf_odoo"))

from engine.customer_value import expected_purchases, fit_bgnbd, fit_gamma_gamma

PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "LL": -9582.4}
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def _read(path):
    return np.genfromtxt(path, delimiter=",", names=True)


def _column(data, *names):
    for name in names:
        if name in data.dtype.names:
            return data[name].astype(float)
    raise SystemExit(f"None of the columns {names} found.")


def _print(title, names, ours, published, seconds):
    print(f"\n{title} (fit in {seconds:.2f} s)")
    print(f"{'':>8} {'ours':>12} {'published':>12} {'rel. diff':>10}")
    for name, value in zip(names, ours, strict=True):
        ref = published[name]
        print(f"{name:>8} {value:12.4f} {ref:12.4f} {(value - ref) / abs(ref):10.2%}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", required=True, help="folder holding the CDNOW summary files")
    args = parser.parse_args()
    folder = Path(args.data)

    summary = _read(folder / "cdnow_customers_summary.csv")
    x = _column(summary, "frequency", "x")
    t_x = _column(summary, "recency", "t_x")
    T = _column(summary, "T")
    start = time.perf_counter()
    bg = fit_bgnbd(x, t_x, T)
    seconds = time.perf_counter() - start
    print(f"CDNOW: {len(x)} customers, {int((x > 0).sum())} with a repeat purchase")
    _print(
        f"BG/NBD (converged: {bg.converged})",
        ("r", "alpha", "a", "b", "LL"),
        (*bg.params, bg.log_likelihood),
        PUBLISHED_BGNBD,
        seconds,
    )
    # Paper, section 5: x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in 39 weeks.
    example = expected_purchases(bg.params, 39.0, [2], [30.43], [38.86])[0]
    print(f"E[Y(39) | x=2, t_x=30.43, T=38.86] = {example:.4f} (published 1.226)")

    detail = _read(folder / "cdnow_customers_summary_with_transactions.csv")
    x = _column(detail, "x", "frequency")
    m = _column(detail, "zbar", "monetary_value")
    repeat = x > 0
    start = time.perf_counter()
    gg = fit_gamma_gamma(x[repeat], m[repeat])
    seconds = time.perf_counter() - start
    _print(
        f"Gamma-Gamma on {int(repeat.sum())} customers (converged: {gg.converged}, "
        f"LL {gg.log_likelihood:.1f})",
        ("p", "q", "gamma"),
        gg.params,
        PUBLISHED_GG,
        seconds,
    )


if __name__ == "__main__":
    main()
