# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Commission of one salesperson for one period.

Plain data in, plain data out: a :class:`PlanSpec`, the salesperson's credited
:class:`SourceLine` (already multiplied by their split share), the period's
target and, for a team manager, the bases of the teams they lead. The result is
one :class:`ResultLine` per source line, bonus, team override and cap, each
saying which rule produced it, so a statement can be traced to its sources.

**Money.** Every number received is converted with ``Decimal(str(x))`` and
computed in ``Decimal``. Sums, tiers, thresholds and the target are compared
unrounded. Only each output line's ``amount`` is rounded, half up, to
``digits`` decimals; the result's totals are sums of the rounded line amounts,
so a statement's total equals the sum of its lines to the cent. Rates are
percentages (5 means 5 %).

**Rules of** :func:`compute_commission`:

1. *Order and measure.* Lines are walked by date, the lines of one day in
   the order they are given (the ORM gives them by document and line). The tier
   measure is the cumulative base of all the lines walked so far, overridden
   lines included. Amount tiers are bands of that amount; attainment tiers are
   bands of attainment, converted to amounts as ``bound × target / 100``.
   A band is ``[lower, upper)``: an amount exactly on a bound is in the upper
   band. The first band starts at 0 and also takes whatever falls below 0
   (refunds before any sale); the last band is open.
2. *Tiers.* Graduated: a line pays ``F(cum + base) − F(cum)``, where ``F`` is
   the integral of the band rates from 0, so the lines of a period sum exactly
   to ``F(total)`` and a refund (negative base) takes back at the rate of the
   bands it leaves. Retroactive: every line paid by the plan pays
   ``base × rate`` of the band the period's total reached. Flat (tier basis
   ``"none"``): ``base × plan.rate``, walked as one open band from 0.
3. *Accelerator.* On the part of the cumulative amount above 100 % of the
   target, the plan rate is multiplied by ``accelerator``. Flat and graduated:
   inside ``F`` (a line crossing the target pays the accelerated rate on its
   part above it). Retroactive: the whole total at the reached rate plus
   ``(total − target) × rate × (accelerator − 1)``, spread over the lines pro
   rata of their bases, i.e. each plan line's rate is
   ``rate × (1 + (accelerator − 1) × (total − target) / total)``. Without a
   target the accelerator is ignored, with a warning.
4. *Rate overrides.* A line whose product has an override pays ``base ×``
   that rate; else the nearest category of ``category_ids`` (the product's
   category, then its parents) that has one; else the plan's rule. Priority:
   product, then nearest category, then plan. Overridden lines are neither
   tiered nor accelerated, but they count in the cumulative measure (and in
   the total that picks the retroactive band).
5. *Threshold.* If the period's total (``threshold_basis == "amount"``) or its
   attainment (``"attainment"``) is below ``threshold``, every commission and
   manager override line keeps its base with rate 0 and amount 0, rule
   ``"threshold"``, and a note saying why. Exactly at the threshold pays.
   An attainment threshold without a target is never reached (warning).
   Bonuses are not gated by the threshold.
6. *Bonuses* (fixed amounts; ``base`` is the bonus, ``rate`` the share in %):
   ``new_customer``: one per distinct ``partner_id`` of a line with
   ``is_new_customer`` and a positive base, × the share of that customer's
   first such line; ``product``: one per distinct order (``order_key``, else
   the line's own key) with a positive-base line of the product, × the share
   of its first such line; ``target_reached``: once when attainment ≥ 100
   (exactly 100 counts); never without a target (warning).
7. *Manager override.* One ``"override"`` line per team base:
   ``base × manager_rate``.
8. *Cap.* If the rounded commission + bonus + override exceed ``cap``, one
   ``"cap"`` line brings the total back to the cap: ``cap − that sum``,
   rounded down, so the total never exceeds the cap.

Without a target, attainment tiers pay nothing (warning) while overridden
lines still pay their rate. A target of 0 (or ``None``) is no target.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

TIER_BASES = ("none", "amount", "attainment")
TIER_MODES = ("graduated", "retroactive")
THRESHOLD_BASES = ("amount", "attainment")
OVERRIDE_KINDS = ("product", "category")
BONUS_CONDITIONS = ("new_customer", "product", "target_reached")

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

BONUS_LABELS = {
    "new_customer": "New customer bonus",
    "product": "Product bonus",
    "target_reached": "Target reached bonus",
}


class PlanError(ValueError):
    """A plan or its input cannot be computed; the message is user-facing (English)."""


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tier:
    """Band ``[lower, upper)`` of the tier measure; ``upper`` None = no end."""

    lower: Decimal  # amount (company currency) or attainment % per plan.tier_basis
    upper: Decimal | None
    rate: Decimal  # percent


@dataclass(frozen=True)
class RateOverride:
    kind: str  # "product" | "category"
    target_id: int  # product.product id or product.category id
    rate: Decimal  # percent, replaces the plan rate for matching lines


@dataclass(frozen=True)
class Bonus:
    condition: str  # "new_customer" | "product" | "target_reached"
    amount: Decimal  # fixed amount, company currency
    product_id: int | None = None
    label: str = ""


@dataclass(frozen=True)
class PlanSpec:
    rate: Decimal = ZERO  # flat rate (percent), used when tier_basis == "none"
    tier_basis: str = "none"  # "none" | "amount" | "attainment"
    tier_mode: str = "graduated"  # "graduated" | "retroactive"
    tiers: tuple[Tier, ...] = ()
    accelerator: Decimal = ONE  # rate multiplier above 100 % of target (1 = none)
    threshold: Decimal = ZERO  # nothing paid below it
    threshold_basis: str = "amount"  # "amount" | "attainment"
    cap: Decimal | None = None  # max commission + bonuses + override per period
    overrides: tuple[RateOverride, ...] = ()
    bonuses: tuple[Bonus, ...] = ()
    manager_rate: Decimal = ZERO  # percent of the led teams' commissionable amount


@dataclass(frozen=True)
class SourceLine:
    key: tuple  # opaque, unique per line for one salesperson
    date: date  # company-local date of the line
    base: Decimal  # credited amount after the split share, may be negative
    share: Decimal = ONE  # the salesperson's split share (0..1), for bonuses
    product_id: int | None = None
    category_ids: tuple[int, ...] = ()  # the product's category then its parents
    order_key: object = None  # groups lines of one order (bonus "product")
    partner_id: int | None = None  # commercial entity
    is_new_customer: bool = False  # first order of that customer falls in this period


@dataclass(frozen=True)
class ResultLine:
    kind: str  # "commission" | "bonus" | "override" | "cap"
    key: tuple | None  # source key, order key, team key, or None (cap, target bonus)
    rule: str  # "flat", "tier", "category", "product", "threshold", "bonus_*", ...
    base: Decimal
    rate: Decimal  # percent actually applied (effective rate for graduated lines)
    amount: Decimal  # rounded to digits
    note: str  # short English explanation


@dataclass(frozen=True)
class CommissionResult:
    lines: tuple[ResultLine, ...]
    base_total: Decimal  # sum of source bases (unrounded)
    attainment: Decimal | None  # base_total / target * 100, None without target
    commission: Decimal  # sum of "commission" line amounts
    bonus: Decimal  # sum of "bonus" line amounts
    override: Decimal  # sum of "override" line amounts
    cap_adjustment: Decimal  # the "cap" line (<= 0)
    total: Decimal  # commission + bonus + override + cap_adjustment
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class _Band:
    """A tier converted to amounts; ``rate`` already multiplied by the accelerator."""

    lower: Decimal
    upper: Decimal | None
    base_rate: Decimal
    rate: Decimal
    label: str
    accelerated: bool = False


# ---------------------------------------------------------------------------
# Formatting of notes
# ---------------------------------------------------------------------------


def _dec(value):
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def _number(value):
    """10000 → "10,000", 12.50 → "12.5" (no exponent, no trailing zeros)."""
    return f"{value.normalize():,f}"


def _percent(rate):
    return _number(rate.quantize(Decimal("0.0001"), ROUND_HALF_UP)) + "%"


def _money(value, digits):
    return f"{value:,.{digits}f}"


def _band_label(tier, tier_basis):
    unit = "%" if tier_basis == "attainment" else ""
    upper = "" if tier.upper is None else _number(tier.upper) + unit
    return f"{_number(tier.lower)}{unit}–{upper}"


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


def _normalized(plan):
    return replace(
        plan,
        rate=_dec(plan.rate),
        tiers=tuple(
            Tier(_dec(tier.lower), _dec(tier.upper), _dec(tier.rate)) for tier in plan.tiers
        ),
        accelerator=_dec(plan.accelerator),
        threshold=_dec(plan.threshold),
        cap=_dec(plan.cap),
        overrides=tuple(replace(item, rate=_dec(item.rate)) for item in plan.overrides),
        bonuses=tuple(replace(item, amount=_dec(item.amount)) for item in plan.bonuses),
        manager_rate=_dec(plan.manager_rate),
    )


def _check_choices(plan):
    if plan.tier_basis not in TIER_BASES:
        raise PlanError(f"Unknown tier basis {plan.tier_basis!r}.")
    if plan.tier_mode not in TIER_MODES:
        raise PlanError(f"Unknown tier mode {plan.tier_mode!r}.")
    if plan.threshold_basis not in THRESHOLD_BASES:
        raise PlanError(f"Unknown threshold basis {plan.threshold_basis!r}.")


def _check_amounts(plan):
    if plan.rate < 0:
        raise PlanError("The commission rate cannot be negative.")
    if plan.manager_rate < 0:
        raise PlanError("The manager override rate cannot be negative.")
    if plan.threshold < 0:
        raise PlanError("The threshold cannot be negative.")
    if plan.cap is not None and plan.cap < 0:
        raise PlanError("The cap cannot be negative.")
    if plan.accelerator < 1:
        raise PlanError("The accelerator multiplies the rate above target: it cannot be below 1.")


def _check_tiers(plan):
    if plan.tier_basis == "none":
        if plan.tiers:
            raise PlanError("The plan has tiers but no tier basis: choose amount or attainment.")
        return
    if not plan.tiers:
        raise PlanError("A tiered plan needs at least one tier.")
    tiers = sorted(plan.tiers, key=lambda tier: tier.lower)
    if tiers[0].lower != 0:
        raise PlanError("The first tier must start at 0.")
    for index, tier in enumerate(tiers):
        label = _band_label(tier, plan.tier_basis)
        if tier.rate < 0:
            raise PlanError(f"The rate of tier {label} cannot be negative.")
        if tier.upper is None:
            if index != len(tiers) - 1:
                raise PlanError(f"Only the last tier can be open-ended, not {label}.")
            continue
        if tier.upper <= tier.lower:
            raise PlanError(f"Tier {label}: the upper bound must be above the lower bound.")
        if index == len(tiers) - 1:
            raise PlanError(f"The last tier ({label}) must be open-ended (no upper bound).")
        following = tiers[index + 1]
        if following.lower < tier.upper:
            raise PlanError(f"Tiers {label} and {_band_label(following, plan.tier_basis)} overlap.")
        if following.lower > tier.upper:
            raise PlanError(
                f"Gap between tiers {label} and {_band_label(following, plan.tier_basis)}."
            )


def _check_overrides(plan):
    seen = set()
    for override in plan.overrides:
        if override.kind not in OVERRIDE_KINDS:
            raise PlanError(f"Unknown rate override kind {override.kind!r}.")
        if override.rate < 0:
            raise PlanError(f"The {override.kind} rate cannot be negative.")
        if (override.kind, override.target_id) in seen:
            raise PlanError(f"Two rates are set for the same {override.kind}.")
        seen.add((override.kind, override.target_id))


def _check_bonuses(plan):
    for bonus in plan.bonuses:
        if bonus.condition not in BONUS_CONDITIONS:
            raise PlanError(f"Unknown bonus condition {bonus.condition!r}.")
        if bonus.amount < 0:
            raise PlanError("A bonus amount cannot be negative.")
        if bonus.condition == "product" and not bonus.product_id:
            raise PlanError("A product bonus needs a product.")


def validate_plan(plan: PlanSpec) -> None:
    """Raise :class:`PlanError` unless ``plan`` can be computed.

    Refused: unknown choices, negative rates, amounts, threshold or cap, an
    accelerator below 1, tiers without tier basis (or a tier basis without
    tiers), a first tier not starting at 0, a band whose upper bound is not
    above its lower bound, overlapping or gapped tiers, an open band that is
    not the last, a last band that is not open, two overrides of the same
    product or category, a product bonus without product.
    """
    plan = _normalized(plan)
    _check_choices(plan)
    _check_amounts(plan)
    _check_tiers(plan)
    _check_overrides(plan)
    _check_bonuses(plan)


def validate_shares(shares: Iterable[Decimal]) -> None:
    """Raise :class:`PlanError` unless the split shares (percent) total exactly 100.

    Each share must be above 0 and at most 100; the sum is exact (33.33 +
    33.33 + 33.34 is accepted, 3 × 33.33 = 99.99 is not).
    """
    shares = [_dec(share) for share in shares]
    if not shares:
        raise PlanError("A split needs at least one salesperson.")
    for share in shares:
        if not 0 < share <= HUNDRED:
            raise PlanError(f"A split share must be above 0% and at most 100%, not {share}%.")
    total = sum(shares, ZERO)
    if total != HUNDRED:
        raise PlanError(f"The split shares must total 100%, not {_number(total)}%.")


# ---------------------------------------------------------------------------
# Tiers
# ---------------------------------------------------------------------------


def _bands(tiers, tier_basis="amount", target=None, accelerator=ONE, split=False):
    """Tiers as amount bands, sorted; split at the target when ``split``."""
    bands = []
    for tier in sorted(tiers, key=lambda tier: tier.lower):
        lower, upper = tier.lower, tier.upper
        if tier_basis == "attainment":
            lower = lower * target / HUNDRED
            upper = None if upper is None else upper * target / HUNDRED
        label = _band_label(tier, tier_basis) if tier_basis != "none" else ""
        band = _Band(lower, upper, tier.rate, tier.rate, label)
        if not split or (upper is not None and upper <= target):
            bands.append(band)
        elif lower >= target:
            bands.append(replace(band, rate=tier.rate * accelerator, accelerated=True))
        else:
            bands.append(replace(band, upper=target))
            bands.append(
                replace(band, lower=target, rate=tier.rate * accelerator, accelerated=True)
            )
    return bands


def _pieces(start, end, bands):
    """Signed length of ``[start, end)`` in each band (negative when ``end < start``).

    The first band also takes what lies below its lower bound (below 0).
    """
    sign = ONE
    if end < start:
        start, end, sign = end, start, -ONE
    pieces = []
    for index, band in enumerate(bands):
        low = start if index == 0 else max(start, band.lower)
        high = end if band.upper is None else min(end, band.upper)
        if high > low:
            pieces.append((band, sign * (high - low)))
    return pieces


def _band_at(amount, bands):
    """The band that ``amount`` reached: the last one whose lower bound is ≤ it."""
    reached = bands[0]
    for band in bands[1:]:
        if band.lower <= amount:
            reached = band
    return reached


def tier_amount(total, tiers, mode) -> Decimal:
    """Commission (unrounded) on ``total`` with amount ``tiers``, no accelerator.

    Graduated: ``F(total)``, the integral of the band rates from 0;
    retroactive: ``total × rate`` of the band ``total`` reached.
    """
    total = _dec(total)
    tiers = [Tier(_dec(tier.lower), _dec(tier.upper), _dec(tier.rate)) for tier in tiers]
    if mode not in TIER_MODES:
        raise PlanError(f"Unknown tier mode {mode!r}.")
    if not tiers:
        return ZERO
    bands = _bands(tiers)
    if mode == "retroactive":
        return total * _band_at(total, bands).rate / HUNDRED
    return sum((length * band.rate for band, length in _pieces(ZERO, total, bands)), ZERO) / HUNDRED


# ---------------------------------------------------------------------------
# Commission lines
# ---------------------------------------------------------------------------


@dataclass
class _Draft:
    """A result line before rounding."""

    kind: str
    key: object
    rule: str
    base: Decimal
    rate: Decimal
    amount: Decimal
    note: str


class _LineRule:
    """Pays one source line by the plan's rate rules (rules 1 to 4)."""

    def __init__(self, plan, total, target, digits, warnings):
        self.plan = plan
        self.digits = digits
        self.product_rates = {o.target_id: o.rate for o in plan.overrides if o.kind == "product"}
        self.category_rates = {o.target_id: o.rate for o in plan.overrides if o.kind == "category"}
        self.rule = "flat" if plan.tier_basis == "none" else "tier"
        self.graduated = plan.tier_basis == "none" or plan.tier_mode == "graduated"
        if target is None and plan.accelerator > 1:
            warnings.append("No target: the accelerator is ignored.")
        self.bands = None  # attainment tiers without target: nothing to pay by the plan
        if plan.tier_basis == "attainment" and target is None:
            warnings.append("No target: attainment tiers pay nothing.")
            return
        tiers = plan.tiers or (Tier(ZERO, None, plan.rate),)
        split = self.graduated and target is not None and plan.accelerator > 1
        self.bands = _bands(tiers, plan.tier_basis, target, plan.accelerator, split=split)
        if not self.graduated:
            self.retroactive = _retroactive_rate(plan, self.bands, total, target, digits)

    def pay(self, line, start):
        """The draft of ``line``, walked from the cumulative measure ``start``."""
        draft = self._override(line)
        if draft is not None:
            return draft
        if self.bands is None:
            note = "No target: attainment tiers pay nothing"
            return _Draft("commission", line.key, self.rule, line.base, ZERO, ZERO, note)
        if self.graduated:
            return self._graduated(line, start)
        rate, note = self.retroactive
        amount = line.base * rate / HUNDRED
        return _Draft("commission", line.key, self.rule, line.base, rate, amount, note)

    def _override(self, line):
        """A line paid by its product's rate or its nearest category's, or None."""
        if line.product_id in self.product_rates:
            return self._overridden(line, "product", self.product_rates[line.product_id], "Product")
        for depth, category_id in enumerate(line.category_ids):
            if category_id in self.category_rates:
                where = "Product category" if depth == 0 else "Parent category"
                return self._overridden(line, "category", self.category_rates[category_id], where)
        return None

    def _overridden(self, line, rule, rate, where):
        note = f"{where} rate {_percent(rate)} on {_money(line.base, self.digits)}"
        amount = line.base * rate / HUNDRED
        return _Draft("commission", line.key, rule, line.base, rate, amount, note)

    def _graduated(self, line, start):
        """``F(start + base) − F(start)``, with the band pieces in the note."""
        pieces = _pieces(start, start + line.base, self.bands)
        amount = sum((length * band.rate for band, length in pieces), ZERO) / HUNDRED
        if line.base:
            rate = amount * HUNDRED / line.base
        else:
            rate = _band_at(start, self.bands).rate
        note = "; ".join(self._piece_note(band, length) for band, length in pieces)
        note = note or f"{_percent(rate)} on {_money(line.base, self.digits)}"
        return _Draft("commission", line.key, self.rule, line.base, rate, amount, note)

    def _piece_note(self, band, length):
        rate = _percent(band.base_rate)
        if band.accelerated:
            rate += f" × {_number(self.plan.accelerator)}"
        note = f"{rate} on {_money(length, self.digits)}"
        if band.label:
            note += f" in {band.label} band"
        if band.accelerated:
            note += " above target"
        return note


def _retroactive_rate(plan, bands, total, target, digits):
    """(rate of every plan line, note) when the tiers are retroactive."""
    band = _band_at(total, bands)
    note = f"{_percent(band.rate)}: {band.label} band reached by the total {_money(total, digits)}"
    rate = band.rate
    if target is not None and plan.accelerator > 1 and total > target:
        rate = band.rate * (ONE + (plan.accelerator - ONE) * (total - target) / total)
        note += (
            f", × {_number(plan.accelerator)} on the {_money(total - target, digits)} above"
            f" target spread pro rata: {_percent(rate)}"
        )
    return rate, note


def _commission_drafts(plan, lines, total, target, digits, warnings):
    """One draft per source line, in walk order."""
    rule = _LineRule(plan, total, target, digits, warnings)
    drafts = []
    cumulative = ZERO
    for line in lines:
        drafts.append(rule.pay(line, cumulative))
        cumulative += line.base
    return drafts


def _threshold_failure(plan, total, target, digits, warnings):
    """Why nothing is paid (a note), or None when the threshold is met."""
    if not plan.threshold:
        return None
    if plan.threshold_basis == "amount":
        if total >= plan.threshold:
            return None
        return (
            f"Below the threshold of {_money(plan.threshold, digits)}"
            f" (total {_money(total, digits)}): nothing paid"
        )
    if target is None:
        warnings.append("No target: the attainment threshold cannot be reached.")
        return f"No target: the {_percent(plan.threshold)} attainment threshold is not reached"
    # compared without dividing: total / target × 100 >= threshold
    if total * HUNDRED >= plan.threshold * target:
        return None
    return (
        f"Below the threshold of {_percent(plan.threshold)} attainment"
        f" ({_percent(total * HUNDRED / target)}): nothing paid"
    )


# ---------------------------------------------------------------------------
# Bonuses, manager override
# ---------------------------------------------------------------------------


def _bonus_draft(bonus, key, share):
    label = bonus.label or BONUS_LABELS[bonus.condition]
    rate = share * HUNDRED
    note = label if share == 1 else f"{label} × {_percent(rate)} share"
    rule = f"bonus_{bonus.condition}"
    if bonus.condition == "target_reached":
        rule = "bonus_target"
    return _Draft("bonus", key, rule, bonus.amount, rate, bonus.amount * share, note)


def _bonus_drafts(plan, lines, total, target, warnings):
    drafts = []
    for bonus in plan.bonuses:
        if bonus.condition == "target_reached":
            if target is None:
                warnings.append("No target: the target bonus cannot be earned.")
            elif total >= target:
                drafts.append(_bonus_draft(bonus, None, ONE))
            continue
        seen = set()
        for line in lines:
            if line.base <= 0:
                continue
            order = line.key if line.order_key is None else line.order_key
            if bonus.condition == "new_customer" and line.is_new_customer:
                group = line.partner_id  # once per customer
            elif bonus.condition == "product" and line.product_id == bonus.product_id:
                group = order  # once per order
            else:
                continue
            if group not in seen:
                seen.add(group)
                drafts.append(_bonus_draft(bonus, order, line.share))
    return drafts


def _override_drafts(plan, team_bases, digits):
    drafts = []
    if not plan.manager_rate:
        return drafts
    for team_key, base in team_bases:
        base = _dec(base)
        note = (
            f"Manager override {_percent(plan.manager_rate)} on the team's {_money(base, digits)}"
        )
        amount = base * plan.manager_rate / HUNDRED
        drafts.append(
            _Draft("override", team_key, "manager_override", base, plan.manager_rate, amount, note)
        )
    return drafts


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def _source_lines(lines):
    lines = [
        replace(
            line,
            base=_dec(line.base),
            share=_dec(line.share),
            category_ids=tuple(line.category_ids),
        )
        for line in lines
    ]
    keys = set()
    for line in lines:
        if line.key in keys:
            raise PlanError(f"Two source lines have the same key {line.key!r}.")
        keys.add(line.key)
    # a stable sort: the lines of one day keep the caller's order (keys are
    # opaque, and "line,100" sorts before "line,99" as text)
    return sorted(lines, key=lambda line: line.date)


def _target(target):
    target = _dec(target)
    if target is not None and target < 0:
        raise PlanError("A target cannot be negative.")
    return target or None


def compute_commission(plan, lines, target=None, team_bases=(), digits=2) -> CommissionResult:
    """Commission of one salesperson over one period (rules in the module docstring).

    :param plan: a :class:`PlanSpec` (validated here, :class:`PlanError` if wrong).
    :param lines: the salesperson's :class:`SourceLine` of the period.
    :param target: the period's target amount; ``None`` or 0 = no target.
    :param team_bases: ``(team_key, base)`` of the teams the salesperson leads.
    :param digits: decimals of the currency; each line amount is rounded to them.
    """
    plan = _normalized(plan)
    validate_plan(plan)
    lines = _source_lines(lines)
    target = _target(target)
    total = sum((line.base for line in lines), ZERO)
    warnings = []
    drafts = _commission_drafts(plan, lines, total, target, digits, warnings)
    drafts += _bonus_drafts(plan, lines, total, target, warnings)
    overrides = _override_drafts(plan, team_bases, digits)
    failure = _threshold_failure(plan, total, target, digits, warnings)
    if failure:
        drafts = [
            replace(d, rule="threshold", rate=ZERO, amount=ZERO, note=failure)
            if d.kind == "commission"
            else d
            for d in drafts
        ]
        overrides = [
            replace(d, rule="threshold", rate=ZERO, amount=ZERO, note=failure) for d in overrides
        ]
    quantum = ONE.scaleb(-digits)
    result = [
        ResultLine(
            d.kind, d.key, d.rule, d.base, d.rate, d.amount.quantize(quantum, ROUND_HALF_UP), d.note
        )
        for d in drafts + overrides
    ]
    sums = {
        kind: sum((r.amount for r in result if r.kind == kind), ZERO)
        for kind in ("commission", "bonus", "override")
    }
    earned = sums["commission"] + sums["bonus"] + sums["override"]
    cap_adjustment = ZERO
    if plan.cap is not None and earned > plan.cap:
        cap_adjustment = (plan.cap - earned).quantize(quantum, ROUND_FLOOR)
        note = f"Capped at {_money(plan.cap, digits)} (earned {_money(earned, digits)})"
        result.append(ResultLine("cap", None, "cap", earned, ZERO, cap_adjustment, note))
    return CommissionResult(
        lines=tuple(result),
        base_total=total,
        attainment=None if target is None else total * HUNDRED / target,
        commission=sums["commission"],
        bonus=sums["bonus"],
        override=sums["override"],
        cap_adjustment=cap_adjustment,
        total=earned + cap_adjustment,
        warnings=tuple(warnings),
    )
