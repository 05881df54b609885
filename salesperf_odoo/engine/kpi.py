# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""KPI formulas.

The ORM layer measures a few additive sums per entity (salesperson, team or
company) and period: the *measures* below. Every KPI a user sees is either
one of those sums or a ratio of them, computed here by :func:`derive_kpis`.
Ratios whose denominator is zero are ``None`` ("not applicable"), never 0:
a salesperson without orders has no average order value, not one of zero.

:data:`KPI_DEFINITIONS` is the single source of the KPI list, its order,
units, exact definitions and directions (the README table is checked against it).
"""

from dataclasses import dataclass

#: Additive sums measured per entity and period by the ORM layer.
MEASURES = (
    "revenue",
    "margin",
    "quantity",
    "orders",
    "invoiced_revenue",
    "customers",
    "new_customers",
    "returning_customers",
    "pipeline_value",
    "weighted_pipeline",
    "won_count",
    "won_value",
    "lost_count",
    "cycle_days_total",
    "cycle_count",
    "activities_done",
    "records_checked",
    "records_complete",
    "forecast_scaled_error_total",
    "forecast_count",
    "forecast_error_total",
    "forecast_actual_total",
    "active_customers",
    "churned_customers",
    "value_at_risk",
)

#: Measures of what is expected to close in a period (open opportunities by
#: expected closing date): they lie ahead of today by nature, so they are
#: always measured over whole periods, even when a period in progress is
#: compared on the days elapsed (cut at today, the open pipeline would be
#: only the overdue deals).
WHOLE_PERIOD_MEASURES = frozenset({"pipeline_value", "weighted_pipeline"})


#: Which way a KPI should move: "up" (higher is better), "down" (lower is
#: better) or "neutral" (a change is information, neither good nor bad).
DIRECTIONS = ("up", "down", "neutral")


@dataclass(frozen=True)
class KpiDefinition:
    """One KPI: its code, label, unit, exact definition and direction.

    The direction decides the colour of a change, never its sign:

    - ``down``: more lost opportunities, a longer sales cycle, a larger
      forecast error (MASE), more churned customers and more value at risk
      are worse.
    - ``neutral``: the open and weighted pipeline count opportunities
      *expected* to close in the period; more of it may be new business or
      deals that slipped and were not closed, so a change is not judged.
      Quantity adds up units of different products (a box and a pallet
      count alike): revenue and margin judge the volume sold. A forecast
      bias is bad either way (too high or too low): its distance from 0
      matters, not its sign.
    - ``up``: every other KPI; money, orders, customers, win rate,
      activities and completeness are better higher.

    ``whole_period`` KPIs are measured over whole periods, even when a
    period in progress is compared on its days elapsed (see
    :data:`WHOLE_PERIOD_MEASURES`).
    """

    code: str
    label: str
    unit: str  # monetary | count | quantity | percent | days | ratio
    definition: str
    direction: str = "up"
    whole_period: bool = False

    def __post_init__(self):
        if self.direction not in DIRECTIONS:
            raise ValueError(f"Unknown KPI direction {self.direction!r}")


KPI_DEFINITIONS = (
    KpiDefinition(
        "revenue",
        "Revenue",
        "monetary",
        "Sum of the untaxed amount of confirmed sold lines dated in the period, in company "
        "currency at the rate of the order date.",
    ),
    KpiDefinition(
        "margin",
        "Margin",
        "monetary",
        "Sum of the margin (untaxed amount minus cost) of the same lines, in company currency "
        "at the rate of the order date.",
    ),
    KpiDefinition("margin_percent", "Margin %", "percent", "margin / revenue × 100."),
    KpiDefinition(
        "orders",
        "Orders",
        "count",
        "Number of distinct orders (sale orders, POS orders, imported orders) with at least "
        "one sold line in the period.",
    ),
    KpiDefinition("average_order_value", "Average order value", "monetary", "revenue / orders."),
    KpiDefinition(
        "invoiced_revenue",
        "Invoiced revenue",
        "monetary",
        "Sum of the untaxed amount of the product lines of posted customer invoices minus "
        "credit notes dated (invoice date) in the period, in company currency at the rate of "
        "the invoice date, credited to the invoice's salesperson.",
    ),
    KpiDefinition(
        "quantity",
        "Quantity",
        "quantity",
        "Sum of the quantities sold, in each product's unit of measure.",
        "neutral",
    ),
    KpiDefinition(
        "customers",
        "Customers",
        "count",
        "Number of distinct customers (commercial entities) with a sold line in the period.",
    ),
    KpiDefinition(
        "new_customers",
        "New customers",
        "count",
        "Customers of the period whose first-ever sold line in the company (any salesperson, "
        "any channel) is dated in the period.",
    ),
    KpiDefinition(
        "returning_customers",
        "Returning customers",
        "count",
        "Customers of the period who had bought from the company before the period started.",
    ),
    KpiDefinition(
        "repeat_purchase_rate",
        "Repeat-purchase rate",
        "percent",
        "returning customers / customers × 100.",
    ),
    KpiDefinition(
        "active_customers",
        "Active customers",
        "count",
        "Customers (commercial entities) not churned, active or at risk, in their latest "
        "customer score of the period's last month (of the latest refresh while the period is "
        "in progress), counted for the customer's salesperson and team.",
    ),
    KpiDefinition(
        "churned_customers",
        "Churned customers",
        "count",
        "Customers of the same scores whose last purchase is older than the company's churn delay.",
        "down",
    ),
    KpiDefinition(
        "value_at_risk",
        "Value at risk",
        "monetary",
        "Sum of the revenue of the last 12 months of the customers at risk in the same scores "
        "(probability of being active below the company's threshold, or later than twice "
        "their usual interval between purchases), in company currency.",
        "down",
    ),
    KpiDefinition(
        "pipeline_value",
        "Open pipeline",
        "monetary",
        "Sum of the expected revenue of open opportunities (active, probability below 100) "
        "whose expected closing date is in the period, always the whole period (also when a "
        "period in progress is compared on the days elapsed).",
        "neutral",
        whole_period=True,
    ),
    KpiDefinition(
        "weighted_pipeline",
        "Weighted pipeline",
        "monetary",
        "Sum of expected revenue × probability / 100 over the same opportunities (the whole "
        "period).",
        "neutral",
        whole_period=True,
    ),
    KpiDefinition(
        "won_count",
        "Won opportunities",
        "count",
        "Opportunities won (probability 100) closed on a day of the period in the company's "
        "time zone.",
    ),
    KpiDefinition(
        "won_value",
        "Won value",
        "monetary",
        "Sum of the expected revenue of the opportunities won in the period.",
    ),
    KpiDefinition(
        "lost_count",
        "Lost opportunities",
        "count",
        "Opportunities lost (archived with probability 0) closed on a day of the period in "
        "the company's time zone.",
        "down",
    ),
    KpiDefinition("win_rate", "Win rate", "percent", "won / (won + lost) × 100."),
    KpiDefinition(
        "average_cycle_days",
        "Average sales cycle",
        "days",
        "Average number of days from creation to closing of the opportunities won in the period.",
        "down",
    ),
    KpiDefinition(
        "activities_done",
        "Activities completed",
        "count",
        "Activities marked as done in the period by the salesperson (on any document), "
        "counted in the salesperson's main company and dated in its time zone.",
    ),
    KpiDefinition(
        "data_completeness",
        "Data completeness",
        "percent",
        "Share of the period's customers and of the open opportunities that satisfy every "
        "completeness rule (by default: email or phone, and country; for opportunities also "
        "expected revenue and expected closing date) × 100.",
    ),
    KpiDefinition(
        "forecast_mase",
        "Forecast MASE",
        "ratio",
        "Mean absolute scaled error of the statistical forecasts made one month ahead for the "
        "months of the period that have closed: mean of |forecast − actual| / scale, the scale "
        "being the series' in-sample mean absolute error of seasonal naive (below 1: better "
        "than seasonal naive). Each entity's own series (a team's forecast for the team).",
        "down",
    ),
    KpiDefinition(
        "forecast_bias",
        "Forecast bias %",
        "percent",
        "Sum of (forecast − actual) / sum of actual × 100 over the same forecasts: above 0 "
        "when they were too high, below 0 when too low.",
        "neutral",
    ),
)

KPI_CODES = tuple(kpi.code for kpi in KPI_DEFINITIONS)
KPI_DIRECTIONS = {kpi.code: kpi.direction for kpi in KPI_DEFINITIONS}
WHOLE_PERIOD_KPIS = frozenset(kpi.code for kpi in KPI_DEFINITIONS if kpi.whole_period)


def ratio(numerator, denominator, scale=1.0):
    """``numerator / denominator × scale``, or ``None`` when the denominator is 0."""
    if not denominator:
        return None
    return numerator / denominator * scale


def derive_kpis(measures):
    """Every KPI of :data:`KPI_DEFINITIONS` from one entity's measures.

    ``measures`` maps measure names of :data:`MEASURES` to numbers; a missing
    measure counts as 0.
    """
    unknown = set(measures) - set(MEASURES)
    if unknown:
        raise ValueError(f"Unknown measures: {', '.join(sorted(unknown))}")
    m = dict.fromkeys(MEASURES, 0)
    m.update({key: value or 0 for key, value in measures.items()})
    return {
        "revenue": m["revenue"],
        "margin": m["margin"],
        "margin_percent": ratio(m["margin"], m["revenue"], 100),
        "orders": m["orders"],
        "average_order_value": ratio(m["revenue"], m["orders"]),
        "invoiced_revenue": m["invoiced_revenue"],
        "quantity": m["quantity"],
        "customers": m["customers"],
        "new_customers": m["new_customers"],
        "returning_customers": m["returning_customers"],
        "repeat_purchase_rate": ratio(m["returning_customers"], m["customers"], 100),
        "active_customers": m["active_customers"],
        "churned_customers": m["churned_customers"],
        "value_at_risk": m["value_at_risk"],
        "pipeline_value": m["pipeline_value"],
        "weighted_pipeline": m["weighted_pipeline"],
        "won_count": m["won_count"],
        "won_value": m["won_value"],
        "lost_count": m["lost_count"],
        "win_rate": ratio(m["won_count"], m["won_count"] + m["lost_count"], 100),
        "average_cycle_days": ratio(m["cycle_days_total"], m["cycle_count"]),
        "activities_done": m["activities_done"],
        "data_completeness": ratio(m["records_complete"], m["records_checked"], 100),
        "forecast_mase": ratio(m["forecast_scaled_error_total"], m["forecast_count"]),
        "forecast_bias": ratio(m["forecast_error_total"], m["forecast_actual_total"], 100),
    }


def classify_customers(period_customers, first_purchase, period_start):
    """Count new and returning customers per entity.

    :param period_customers: iterable of ``(entity, customer)`` pairs, one per
        customer who bought from that entity in the period (duplicates are
        ignored).
    :param first_purchase: ``{customer: date}``, the customer's first-ever
        purchase in the company, whoever sold it.
    :param period_start: first day of the period.
    :returns: ``{entity: {"customers": n, "new_customers": n,
        "returning_customers": n}}``
    """
    counts = {}
    for entity, customer in set(period_customers):
        first = first_purchase.get(customer)
        if first is None:
            raise ValueError(f"No first purchase date for customer {customer!r}")
        row = counts.setdefault(
            entity, {"customers": 0, "new_customers": 0, "returning_customers": 0}
        )
        row["customers"] += 1
        row["new_customers" if first >= period_start else "returning_customers"] += 1
    return counts


def compare(current, reference):
    """Change from ``reference`` to ``current``: ``(delta, delta_percent)``.

    ``delta_percent`` is relative to the absolute reference value and is
    ``None`` when the reference is 0; both are ``None`` when either value is.
    """
    if current is None or reference is None:
        return None, None
    delta = current - reference
    return delta, ratio(delta, abs(reference), 100)


def change_tone(direction, delta):
    """``"good"``, ``"bad"`` or ``"neutral"``: how a change of ``delta`` reads
    for a KPI of ``direction``. No change, no comparable value (``None``) or
    a neutral KPI give ``"neutral"``."""
    if direction not in DIRECTIONS:
        raise ValueError(f"Unknown KPI direction {direction!r}")
    if not delta or direction == "neutral":
        return "neutral"
    return "good" if (delta > 0) == (direction == "up") else "bad"
