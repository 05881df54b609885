# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Customer value: churn risk, expected purchases, lifetime value and RFM.

Units. Time is counted in *units* of ``unit_days`` days: weeks by default
(``unit_days=7``), as in the papers below, so that parameters fitted here
compare with the published ones. Money is in the caller's currency.

Summary of a customer (:func:`summarize`), from (customer, date, amount)
transactions up to the observation end; purchases on the same day count as
one purchase (their amounts are added):

- ``x``: frequency, the number of *repeat* purchase days (days − 1);
- ``t_x``: recency, time from the first to the last purchase day;
- ``T``: age, time from the first purchase day to the observation end;
- ``monetary_value``: mean amount of the repeat purchase days (the first
  purchase is left out, as Fader and Hardie do), ``None`` when ``x = 0``;
- ``usual_interval``: median gap in days between purchase days, ``None``
  with fewer than two purchase days;
- ``days_since_last``: days from the last purchase day to the observation
  end (the recency of RFM and of the fallback).

BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way").
While alive a customer buys at a Poisson rate λ ~ Gamma(r, α); after each
purchase they drop out with probability p ~ Beta(a, b). The log-likelihood of
one customer is ``ln L = A1 + A2 + ln(exp(A3) + δ(x>0) exp(A4))`` with::

    A1 = lnΓ(r+x) − lnΓ(r) + r ln α
    A2 = lnΓ(a+b) + lnΓ(b+x) − lnΓ(b) − lnΓ(a+b+x)
    A3 = −(r+x) ln(α+T)
    A4 = ln a − ln(b+x−1) − (r+x) ln(α+t_x)

computed with ``gammaln`` and ``logaddexp``. It is fitted by maximum
likelihood on the log-parameters (L-BFGS-B from several starts, the best
kept; a few hundred evaluations of the likelihood, so that 100,000
customers fit in seconds); a fit is "converged" when L-BFGS-B says so and
every parameter lies within [1e-6, 1e6] (one running off to a limit means
the data show no heterogeneity for the model to describe).
Then, for a customer (x, t_x, T)::

    P(alive) = 1 / (1 + δ(x>0) a/(b+x−1) ((α+T)/(α+t_x))^(r+x))

(1 for x = 0: in the model a customer can only drop out right after a repeat
purchase), and the expected number of purchases in the next t units
(eq. 10)::

    E[Y(t) | x, t_x, T] = (a+b+x−1)/(a−1)
        × [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]
        / (1 + δ(x>0) a/(b+x−1) ((α+T)/(α+t_x))^(r+x))

It holds for a ≠ 1 (for a < 1 both factors are negative; CDNOW has
a = 0.79); ₂F₁ (``scipy.special.hyp2f1``, |z| < 1 here) and the result are
checked to be finite and non-negative, else :class:`ModelUnavailable` is
raised.

Gamma-Gamma (Fader, Hardie & Lee 2005b, "RFM and CLV"; Colombo & Jiang
1999). Amounts of one customer are Gamma(p, ν), ν ~ Gamma(q, γ) across
customers. For a customer with x ≥ 1 repeat purchases of mean m::

    ln f(m | p, q, γ; x) = lnΓ(px+q) − lnΓ(px) − lnΓ(q) + q ln γ
                           + (px−1) ln m + px ln x − (px+q) ln(γ + m x)

fitted the same way on customers with x ≥ 1, and the expected order value is
``E(M | m, x) = p (γ + m x) / (p x + q − 1)`` (needs q > 1; for x = 0 it is
the population mean p γ / (q − 1)).

Lifetime value (:func:`customer_lifetime_value`) over H months, with a
stated monthly discount rate d (1 % by default) and months of
``DAYS_PER_MONTH`` days::

    CLV = Σ_{k=1..H} (E[Y(k·L)] − E[Y((k−1)·L)]) × E(M) / (1+d)^k

where L is a month in units and E[Y(·)] the conditional expectation above.
When the BG/NBD fit converges but Gamma-Gamma's does not (spend varies too
little between customers: q and γ run off to infinity together), E(M) is
Gamma-Gamma's limit without heterogeneity, the mean repeat purchase of all
customers, and each row says so (``order_value_source`` "mean" instead of
"gamma_gamma").

Fallback (:func:`interval_risk`). When the model cannot be used (fewer than
:data:`MIN_REPEAT_CUSTOMERS` customers with a repeat purchase, a BG/NBD fit
that did not converge, a repeat purchase without value), the risk of a customer is the days
since their last purchase divided by their own usual interval: "active"
below 1.5, "late" from 1.5, "lapsed" from 2; "unknown" without a usual
interval (one purchase day). :func:`score_customers` says which was used.

RFM (:func:`rfm_scores`, :func:`rfm_segment`). Each of recency (days since
the last purchase), frequency and monetary value is scored 1..``bands`` by
rank: with ``rank`` the 1-based position of the value in ascending order,
equal values taking the lowest position (so that equal values get equal
scores), ``score = floor((rank − 1) × bands / n) + 1``. Recency is ranked
descending (the most recent customer scores highest). The segment is found
from R and FM = (F + M) / 2 by the first rule that contains both, a rule
being (name, (r_min, r_max), (fm_min, fm_max)), bounds inclusive; the default
rules are :data:`DEFAULT_RFM_RULES`.
"""

import itertools
import math
import statistics
from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy import optimize, special

DAYS_PER_MONTH = 365.25 / 12
MIN_REPEAT_CUSTOMERS = 20
LATE_RATIO = 1.5
LAPSED_RATIO = 2.0
# A fitted parameter outside [1/BOUND, BOUND] is a fit that ran off to a limit.
BOUND = 1e6

# First matching rule wins; R and FM bounds inclusive.
DEFAULT_RFM_RULES = (
    ("Champions", (4, 5), (4, 5)),
    ("Loyal", (3, 5), (3, 5)),
    ("Potential loyalists", (4, 5), (2, 3)),
    ("New", (4, 5), (1, 2)),
    ("Can't lose them", (1, 2), (4.5, 5)),
    ("At risk", (1, 2), (3, 4.5)),
    ("Hibernating", (2, 3), (1, 3)),
    ("Lost", (1, 5), (1, 5)),
)


class ModelUnavailable(Exception):
    """The probabilistic model cannot be used; the caller falls back."""


@dataclass(frozen=True)
class CustomerSummary:
    """Recency, frequency, age and value of one customer (see module doc)."""

    key: object
    x: int
    t_x: float
    T: float
    monetary_value: float | None
    first_purchase: date
    last_purchase: date
    usual_interval: float | None
    days_since_last: int


@dataclass(frozen=True)
class Fit:
    """Result of a maximum-likelihood fit."""

    params: tuple
    log_likelihood: float
    converged: bool


# --------------------------------------------------------------------------
# Summaries
# --------------------------------------------------------------------------


def summarize(transactions, observation_end, *, unit_days=7):
    """Summarise (customer key, date, amount) tuples per customer.

    Returns a dict key → :class:`CustomerSummary`. Raises ValueError on a
    negative or non-finite amount or a transaction after the observation end.
    """
    if unit_days <= 0:
        raise ValueError(f"unit_days must be positive, got {unit_days}.")
    by_customer = {}
    for key, day, amount in transactions:
        amount = float(amount)
        if not math.isfinite(amount) or amount < 0:
            raise ValueError(
                f"Amount of customer {key!r} on {day} must be a non-negative number, got {amount}."
            )
        if day > observation_end:
            raise ValueError(
                f"Purchase of customer {key!r} on {day} is after the observation end "
                f"{observation_end}."
            )
        days = by_customer.setdefault(key, {})
        days[day] = days.get(day, 0.0) + amount
    result = {}
    for key, days in by_customer.items():
        ordered = sorted(days)
        first, last = ordered[0], ordered[-1]
        x = len(ordered) - 1
        gaps = [(b - a).days for a, b in itertools.pairwise(ordered)]
        result[key] = CustomerSummary(
            key=key,
            x=x,
            t_x=(last - first).days / unit_days,
            T=(observation_end - first).days / unit_days,
            monetary_value=(sum(days[d] for d in ordered[1:]) / x) if x else None,
            first_purchase=first,
            last_purchase=last,
            usual_interval=float(statistics.median(gaps)) if gaps else None,
            days_since_last=(observation_end - last).days,
        )
    return result


def summarize_days(keys, days, amounts, observation_end, *, unit_days=7):
    """Summarise purchase days given as three parallel sequences, as
    :func:`summarize` does, in O(n log n) with numpy.

    ``keys`` are integer customer keys, ``days`` dates (``datetime.date`` or
    ``numpy.datetime64``), ``amounts`` the amounts; several entries of one
    customer and day are added, as in :func:`summarize`. For the hundred
    thousands of customers of a company's whole history, where the per-row
    Python of :func:`summarize` is the slow part. Same results, same errors.
    """
    if unit_days <= 0:
        raise ValueError(f"unit_days must be positive, got {unit_days}.")
    keys = np.asarray(keys, dtype=np.int64)
    day_numbers = np.asarray(days, dtype="datetime64[D]").astype(np.int64)
    amounts = np.asarray(amounts, dtype=float)
    if not (keys.shape == day_numbers.shape == amounts.shape):
        raise ValueError("Keys, days and amounts must have the same length.")
    end = np.datetime64(observation_end, "D").astype(np.int64)
    bad = ~np.isfinite(amounts) | (amounts < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"Amount of customer {int(keys[i])!r} on {_day(day_numbers[i])} must be a "
            f"non-negative number, got {amounts[i]}."
        )
    late = day_numbers > end
    if late.any():
        i = int(np.flatnonzero(late)[0])
        raise ValueError(
            f"Purchase of customer {int(keys[i])!r} on {_day(day_numbers[i])} is after the "
            f"observation end {observation_end}."
        )
    if not len(keys):
        return {}
    # one entry per (customer, day), sorted by customer then day
    order = np.lexsort((day_numbers, keys))
    keys, day_numbers, amounts = keys[order], day_numbers[order], amounts[order]
    new_day = np.ones(len(keys), dtype=bool)
    new_day[1:] = (keys[1:] != keys[:-1]) | (day_numbers[1:] != day_numbers[:-1])
    day_starts = np.flatnonzero(new_day)
    keys, day_numbers = keys[day_starts], day_numbers[day_starts]
    amounts = np.add.reduceat(amounts, day_starts)
    # customers: [start, stop) slices of the day entries
    new_customer = np.ones(len(keys), dtype=bool)
    new_customer[1:] = keys[1:] != keys[:-1]
    starts = np.flatnonzero(new_customer)
    stops = np.append(starts[1:], len(keys))
    counts = stops - starts
    first, last = day_numbers[starts], day_numbers[stops - 1]
    repeat_sum = np.add.reduceat(amounts, starts) - amounts[starts]
    medians = _group_medians(np.diff(day_numbers), keys, starts, counts)
    result = {}
    for i, key in enumerate(keys[starts].tolist()):
        x = int(counts[i]) - 1
        result[key] = CustomerSummary(
            key=key,
            x=x,
            t_x=float(last[i] - first[i]) / unit_days,
            T=float(end - first[i]) / unit_days,
            monetary_value=float(repeat_sum[i] / x) if x else None,
            first_purchase=_day(first[i]),
            last_purchase=_day(last[i]),
            usual_interval=float(medians[i]) if x else None,
            days_since_last=int(end - last[i]),
        )
    return result


def _day(day_number):
    return np.datetime64(int(day_number), "D").astype(object)


def _group_medians(diffs, keys, starts, counts):
    """Median gap of each customer: the gaps between their consecutive days
    (``diffs`` of the whole sorted day array, whose entries crossing two
    customers are left out), NaN for a customer with one day."""
    medians = np.full(len(starts), np.nan)
    if not len(diffs):
        return medians
    same = keys[1:] == keys[:-1]
    gap_owner = np.cumsum(np.r_[False, ~same])[1:][same]  # customer index of each gap
    gaps = diffs[same].astype(float)
    order = np.lexsort((gaps, gap_owner))
    gaps = gaps[order]
    n_gaps = counts - 1
    has = n_gaps > 0
    gap_starts = np.cumsum(np.r_[0, n_gaps[:-1]])
    lower = gap_starts + (n_gaps - 1) // 2
    upper = gap_starts + n_gaps // 2
    medians[has] = (gaps[lower[has]] + gaps[upper[has]]) / 2
    return medians


def _check_rft(x, t_x, T):
    x = np.asarray(x, dtype=float)
    t_x = np.asarray(t_x, dtype=float)
    T = np.asarray(T, dtype=float)
    if not (x.shape == t_x.shape == T.shape):
        raise ValueError("x, t_x and T must have the same length.")
    if not (np.isfinite(x).all() and np.isfinite(t_x).all() and np.isfinite(T).all()):
        raise ValueError("x, t_x and T must be finite numbers (no NaN).")
    if (x < 0).any() or (x != np.round(x)).any():
        raise ValueError("x (repeat purchases) must be non-negative whole numbers.")
    if (t_x < 0).any():
        raise ValueError("t_x (recency) must not be negative.")
    if (T < t_x).any():
        raise ValueError("T (age) must not be less than t_x (recency).")
    return x, t_x, T


def _check_params(params, count, names):
    params = tuple(float(v) for v in params)
    if len(params) != count or not all(math.isfinite(v) and v > 0 for v in params):
        raise ValueError(f"Parameters {names} must be {count} positive numbers, got {params}.")
    return params


# --------------------------------------------------------------------------
# BG/NBD
# --------------------------------------------------------------------------


def _bgnbd_ll_terms(params, x, t_x, T):
    r, alpha, a, b = params
    gln = special.gammaln
    a1 = gln(r + x) - gln(r) + r * np.log(alpha)
    a2 = gln(a + b) + gln(b + x) - gln(b) - gln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return a1 + a2 + np.logaddexp(a3, a4)


def bgnbd_log_likelihood(params, x, t_x, T):
    """Per-customer BG/NBD log-likelihoods (array) at (r, α, a, b)."""
    params = _check_params(params, 4, "(r, alpha, a, b)")
    x, t_x, T = _check_rft(x, t_x, T)
    return _bgnbd_ll_terms(params, x, t_x, T)


def _fit(neg_ll, starts):
    limit = math.log(BOUND) + 1.0
    bounds = [(-limit, limit)] * len(starts[0])
    best = None
    for start in starts:
        res = optimize.minimize(
            neg_ll,
            np.log(start),
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-8},
        )
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
    if best is None:
        return Fit(params=(), log_likelihood=-math.inf, converged=False)
    # A parameter running off to 0 or infinity (here: to the search's
    # bounds) means the data have no heterogeneity for the model to
    # describe: not a usable fit.
    inside = bool((np.abs(best.x) < math.log(BOUND)).all())
    return Fit(
        params=tuple(float(v) for v in np.exp(best.x)),
        log_likelihood=-float(best.fun),
        converged=bool(best.success) and inside,
    )


def fit_bgnbd(x, t_x, T):
    """Fit BG/NBD by maximum likelihood; returns a :class:`Fit` of (r, α, a, b)."""
    x, t_x, T = _check_rft(x, t_x, T)
    if not len(x):
        raise ValueError("No customer to fit.")

    mean_t = float(T.mean()) or 1.0
    # Customers with the same (x, t_x, T) have the same likelihood: each
    # distinct triple is evaluated once and weighted by its count (with
    # whole days, most one-time buyers share their triple with others).
    triples, counts = np.unique(np.column_stack([x, t_x, T]), axis=0, return_counts=True)
    x, t_x, T = triples[:, 0], triples[:, 1], triples[:, 2]

    def neg_ll(log_params):
        params = np.exp(np.clip(log_params, -30, 30))
        with np.errstate(over="ignore", invalid="ignore"):
            value = -(counts * _bgnbd_ll_terms(params, x, t_x, T)).sum()
        return value if np.isfinite(value) else 1e300

    starts = [
        (1.0, mean_t, 1.0, 1.0),
        (0.5, mean_t / 4, 1.0, 3.0),
        (0.2, 5.0, 0.8, 2.5),
        (2.0, mean_t * 2, 2.0, 5.0),
    ]
    return _fit(neg_ll, starts)


def _bgnbd_denominator(params, x, t_x, T):
    r, alpha, a, b = params
    with np.errstate(divide="ignore", invalid="ignore"):
        log_term = (
            np.log(a)
            - np.log(np.maximum(b + x - 1, 1e-300))
            + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        )
    return 1.0 + np.where(x > 0, np.exp(np.where(x > 0, log_term, 0.0)), 0.0)


def prob_alive(params, x, t_x, T):
    """Probability that each customer is still alive at T."""
    params = _check_params(params, 4, "(r, alpha, a, b)")
    x, t_x, T = _check_rft(x, t_x, T)
    return 1.0 / _bgnbd_denominator(params, x, t_x, T)


def expected_purchases(params, t, x, t_x, T):
    """Expected purchases of each customer in the next t units (eq. 10).

    Raises :class:`ModelUnavailable` when a = 1 or ₂F₁ does not give a
    finite value.
    """
    params = _check_params(params, 4, "(r, alpha, a, b)")
    x, t_x, T = _check_rft(x, t_x, T)
    if not (math.isfinite(t) and t >= 0):
        raise ValueError(f"The horizon t must be a non-negative number, got {t}.")
    r, alpha, a, b = params
    if abs(a - 1) < 1e-9:
        raise ModelUnavailable("BG/NBD expectation is undefined at a = 1.")
    if t == 0:
        return np.zeros_like(x)
    z = t / (alpha + T + t)
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
    if not np.isfinite(hyp).all():
        raise ModelUnavailable("The hypergeometric function 2F1 did not converge.")
    ratio = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t)))
    numerator = (a + b + x - 1) / (a - 1) * (1.0 - ratio * hyp)
    result = numerator / _bgnbd_denominator(params, x, t_x, T)
    if not np.isfinite(result).all() or (result < -1e-9).any():
        raise ModelUnavailable("The expected number of purchases is not a valid number.")
    return np.maximum(result, 0.0)


# --------------------------------------------------------------------------
# Gamma-Gamma
# --------------------------------------------------------------------------


def _check_xm(x, m):
    x = np.asarray(x, dtype=float)
    m = np.asarray(m, dtype=float)
    if x.shape != m.shape:
        raise ValueError("x and m must have the same length.")
    if not (np.isfinite(x).all() and np.isfinite(m).all()):
        raise ValueError("x and m must be finite numbers (no NaN).")
    if (x < 1).any() or (x != np.round(x)).any():
        raise ValueError("Gamma-Gamma needs customers with x >= 1 repeat purchases.")
    if (m <= 0).any():
        raise ValueError("The mean order value m must be positive.")
    return x, m


def _gg_ll_terms(params, x, m):
    p, q, gamma = params
    gln = special.gammaln
    px = p * x
    return (
        gln(px + q)
        - gln(px)
        - gln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + m * x)
    )


def gamma_gamma_log_likelihood(params, x, m):
    """Per-customer Gamma-Gamma log-likelihoods (array) at (p, q, γ)."""
    params = _check_params(params, 3, "(p, q, gamma)")
    x, m = _check_xm(x, m)
    return _gg_ll_terms(params, x, m)


def fit_gamma_gamma(x, m):
    """Fit Gamma-Gamma on customers with x ≥ 1; returns a :class:`Fit` of (p, q, γ)."""
    x, m = _check_xm(x, m)
    if not len(x):
        raise ValueError("No customer with a repeat purchase to fit.")

    def neg_ll(log_params):
        params = np.exp(np.clip(log_params, -30, 30))
        with np.errstate(over="ignore", invalid="ignore"):
            value = -_gg_ll_terms(params, x, m).sum()
        return value if np.isfinite(value) else 1e300

    mean_m = float(m.mean())
    starts = [(1.0, 1.0, mean_m), (5.0, 3.0, mean_m), (2.0, 5.0, mean_m * 2)]
    return _fit(neg_ll, starts)


def expected_order_value(params, x, m):
    """Expected order value p(γ + m x)/(p x + q − 1); x = 0 gives p γ/(q − 1)."""
    p, q, gamma = _check_params(params, 3, "(p, q, gamma)")
    if q <= 1:
        raise ModelUnavailable(f"Gamma-Gamma expectation needs q > 1, got q = {q:.4g}.")
    x = np.asarray(x, dtype=float)
    m = np.nan_to_num(np.asarray(m, dtype=float), nan=0.0)
    if (x < 0).any() or (m < 0).any():
        raise ValueError("x and m must not be negative.")
    m = np.where(x > 0, m, 0.0)
    return p * (gamma + m * x) / (p * x + q - 1)


# --------------------------------------------------------------------------
# Lifetime value
# --------------------------------------------------------------------------


def customer_lifetime_value(
    bgnbd_params,
    gg_params,
    x,
    t_x,
    T,
    m,
    *,
    months=12,
    monthly_discount=0.01,
    unit_days=7,
):
    """Discounted value of each customer's purchases over the next ``months`` months."""
    return expected_order_value(gg_params, x, m) * discounted_purchases(
        bgnbd_params, x, t_x, T, months=months, monthly_discount=monthly_discount,
        unit_days=unit_days,
    )  # fmt: skip


def discounted_purchases(bgnbd_params, x, t_x, T, *, months=12, monthly_discount=0.01, unit_days=7):
    """Σ over the next ``months`` months of each month's expected purchases
    divided by (1 + discount)^month: the lifetime value of one unit of money
    per purchase."""
    if int(months) != months or months < 1:
        raise ValueError(f"The horizon must be a whole number of months >= 1, got {months}.")
    if not (math.isfinite(monthly_discount) and monthly_discount > -1):
        raise ValueError(f"The monthly discount rate must be > -1, got {monthly_discount}.")
    month = DAYS_PER_MONTH / unit_days
    total = 0.0
    previous = expected_purchases(bgnbd_params, 0.0, x, t_x, T)
    for k in range(1, int(months) + 1):
        current = expected_purchases(bgnbd_params, k * month, x, t_x, T)
        total = total + (current - previous) / (1.0 + monthly_discount) ** k
        previous = current
    return total


# --------------------------------------------------------------------------
# Fallback and the whole computation
# --------------------------------------------------------------------------


def interval_risk(days_since_last, usual_interval):
    """(ratio, status) of the days since the last purchase to the usual interval."""
    if days_since_last is None or days_since_last < 0:
        raise ValueError(f"Days since the last purchase must be >= 0, got {days_since_last}.")
    if usual_interval is None:
        return None, "unknown"
    if usual_interval <= 0:
        raise ValueError(f"The usual interval must be positive, got {usual_interval}.")
    ratio = days_since_last / usual_interval
    if ratio >= LAPSED_RATIO:
        return ratio, "lapsed"
    if ratio >= LATE_RATIO:
        return ratio, "late"
    return ratio, "active"


def score_customers(
    summaries,
    *,
    horizons_months=(3, 6, 12),
    clv_months=12,
    monthly_discount=0.01,
    unit_days=7,
    min_repeat_customers=MIN_REPEAT_CUSTOMERS,
):
    """Score customers with BG/NBD + Gamma-Gamma, or the interval fallback.

    ``summaries`` is a list of :class:`CustomerSummary` (of one company). Returns
    ``(method, rows, reason)`` with method "bgnbd" or "interval", rows one dict
    per customer in the order given, and the reason for a fallback (or None).
    """
    summaries = list(summaries)
    rows = []
    for s in summaries:
        ratio, status = interval_risk(s.days_since_last, s.usual_interval)
        rows.append({"key": s.key, "interval_ratio": ratio, "interval_status": status})
    try:
        _score_model(
            summaries, rows, horizons_months, clv_months, monthly_discount, unit_days,
            min_repeat_customers,
        )  # fmt: skip
    except ModelUnavailable as exc:
        return "interval", rows, str(exc)
    return "bgnbd", rows, None


def _score_model(summaries, rows, horizons, clv_months, discount, unit_days, min_repeat):
    repeat = [s for s in summaries if s.x > 0]
    if len(repeat) < min_repeat:
        raise ModelUnavailable(
            f"Only {len(repeat)} customers with a repeat purchase (at least {min_repeat} needed)."
        )
    x = np.array([s.x for s in summaries], dtype=float)
    t_x = np.array([s.t_x for s in summaries], dtype=float)
    T = np.array([s.T for s in summaries], dtype=float)
    m = np.array([s.monetary_value or 0.0 for s in summaries], dtype=float)
    bg = fit_bgnbd(x, t_x, T)
    if not bg.converged:
        raise ModelUnavailable("The BG/NBD fit did not converge.")
    xr = np.array([s.x for s in repeat], dtype=float)
    mr = np.array([s.monetary_value for s in repeat], dtype=float)
    if (mr <= 0).any():
        raise ModelUnavailable("Some repeat purchases have no value: Gamma-Gamma cannot be fitted.")
    gg = fit_gamma_gamma(xr, mr)
    if gg.converged:
        order_value = expected_order_value(gg.params, x, m)
        value_source = "gamma_gamma"
    else:
        # Gamma-Gamma's limit when spend does not vary between customers:
        # every customer's expected order value is the mean repeat purchase.
        order_value = np.full(len(x), float((xr * mr).sum() / xr.sum()))
        value_source = "mean"
    alive = prob_alive(bg.params, x, t_x, T)
    month = DAYS_PER_MONTH / unit_days
    expected = {h: expected_purchases(bg.params, h * month, x, t_x, T) for h in horizons}
    clv = order_value * discounted_purchases(
        bg.params, x, t_x, T, months=clv_months, monthly_discount=discount, unit_days=unit_days
    )
    for i, row in enumerate(rows):
        row["prob_alive"] = float(alive[i])
        for h in horizons:
            row[f"expected_{h}m"] = float(expected[h][i])
        row["expected_order_value"] = float(order_value[i])
        row["clv"] = float(clv[i])
        row["bgnbd_params"] = bg.params
        row["gamma_gamma_params"] = gg.params if gg.converged else None
        row["order_value_source"] = value_source


# --------------------------------------------------------------------------
# RFM
# --------------------------------------------------------------------------


def _band_scores(values, bands, descending=False):
    values = np.asarray(values, dtype=float)
    if not np.isfinite(values).all():
        raise ValueError("RFM values must be finite numbers (no NaN).")
    n = len(values)
    keyed = -values if descending else values
    # 1-based position in ascending order, ties take the lowest position.
    ranks = np.searchsorted(np.sort(keyed), keyed, side="left") + 1
    return (np.floor((ranks - 1) * bands / n) + 1).astype(int)


def rfm_scores(recency_days, frequency, monetary, bands=5):
    """(R, F, M) integer score arrays 1..bands by rank (see module doc)."""
    if int(bands) != bands or bands < 2:
        raise ValueError(f"The number of bands must be a whole number >= 2, got {bands}.")
    recency_days = np.asarray(recency_days, dtype=float)
    frequency = np.asarray(frequency, dtype=float)
    monetary = np.asarray(monetary, dtype=float)
    if not (recency_days.shape == frequency.shape == monetary.shape):
        raise ValueError("Recency, frequency and monetary value must have the same length.")
    if (recency_days < 0).any() or (frequency < 0).any():
        raise ValueError("Recency and frequency must not be negative.")
    if not len(recency_days):
        empty = np.array([], dtype=int)
        return empty, empty, empty
    return (
        _band_scores(recency_days, bands, descending=True),
        _band_scores(frequency, bands),
        _band_scores(monetary, bands),
    )


def rfm_segment(r, f_m, rules=DEFAULT_RFM_RULES):
    """Name of the first rule whose R and FM ranges contain (r, f_m), else None."""
    for name, (r_lo, r_hi), (fm_lo, fm_hi) in rules:
        if r_lo <= r <= r_hi and fm_lo <= f_m <= fm_hi:
            return name
    return None
