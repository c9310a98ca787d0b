"""Commercial outcomes (docs/metrics.md, "Definitions: Commercial outcomes"): churn by NPS
category, revenue at risk, CLV."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from metrics.config import Settings
from metrics.customers.models import Customer, LatestNps
from metrics.dimension.models import TouchpointDim
from metrics.stats import estimates

CATEGORIES = ("promoter", "passive", "detractor")
FOLLOW_UP = timedelta(days=365)


def category(score: int) -> str:
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


@dataclass(frozen=True)
class Scored:
    customer: Customer
    latest: LatestNps
    category: str


def scored_customers(session: Session) -> list[Scored]:
    rows = session.execute(
        select(Customer, LatestNps).join(
            LatestNps, col(LatestNps.respondent_id) == Customer.external_id
        )
    ).all()
    return [Scored(c, latest, category(latest.score)) for c, latest in rows]


def churned_within_year(scored: Scored) -> bool:
    churn = scored.customer.churn_date
    return churn is not None and churn <= scored.latest.answered_at.date() + FOLLOW_UP


def churn_by_category(session: Session) -> dict[str, estimates.Estimate]:
    """For customers whose latest NPS answer is in each category, the share who churned within
    the 12 months after it (Wilson interval). Answers under a year old have had less time to
    show churn, so the rates are lower bounds until a year has passed."""
    return category_rates(scored_customers(session))


def category_rates(customers: Iterable[Scored]) -> dict[str, estimates.Estimate]:
    """The churn rate of each latest NPS category among `customers`."""
    counts: dict[str, list[int]] = {c: [0, 0] for c in CATEGORIES}
    for scored in customers:
        counts[scored.category][0] += churned_within_year(scored)
        counts[scored.category][1] += 1
    return {c: estimates.wilson(churned, n, scale=1) for c, (churned, n) in counts.items()}


def churn_probabilities(
    rates: dict[str, estimates.Estimate], settings: Settings
) -> dict[str, dict[str, Any]]:
    priors = {
        "promoter": settings.churn_prior_promoter,
        "passive": settings.churn_prior_passive,
        "detractor": settings.churn_prior_detractor,
    }
    result = {}
    for c in CATEGORIES:
        observed = rates[c]
        if observed.n >= settings.min_responses and observed.value is not None:
            result[c] = {
                "p": observed.value,
                "low": observed.low,
                "high": observed.high,
                "source": "observed",
                "n": observed.n,
            }
        else:
            # A prior is an assumption, not a sample: it has no interval.
            result[c] = {
                "p": priors[c],
                "low": None,
                "high": None,
                "source": "prior",
                "n": observed.n,
            }
    return result


def _expected(
    probabilities: dict[str, dict[str, Any]], revenue: dict[str, float]
) -> tuple[float, float, float]:
    """Σ over categories of p(churn) x the category's active annual revenue, with the interval
    MOVER makes of the churn rates' Wilson intervals (a prior's rate counts as exact)."""
    return estimates.weighted_sum(
        (
            revenue[c],
            estimates.Estimate(
                probabilities[c]["p"], probabilities[c]["low"], probabilities[c]["high"], 0
            ),
        )
        for c in CATEGORIES
    )


def revenue_at_risk(
    session: Session, settings: Settings, *, by: str | None, today: date
) -> dict[str, Any]:
    """Expected: Σ over active customers of p(churn | latest NPS category) x annual revenue,
    with its 95% interval from the churn rates' intervals. Flagged: the plain sum of annual
    revenue of active detractors."""
    probabilities = churn_probabilities(churn_by_category(session), settings)
    groups: dict[str, _Group] = defaultdict(_Group)
    touchpoints = {t.id: t for t in session.execute(select(TouchpointDim)).scalars()}
    for scored in scored_customers(session):
        customer = scored.customer
        if customer.churn_date is not None and customer.churn_date <= today:
            continue
        keys = ["all"]
        if by is not None:
            keys.append(group_key(by, scored, touchpoints))
        for key in keys:
            groups[key].add(scored.category, customer.annual_revenue)
    overall = groups.pop("all", _Group())
    return {
        **overall.figures(probabilities),
        "active_revenue": overall.revenue,
        "churn_probabilities": probabilities,
        "groups": sorted(
            (
                {"key": key, **group.figures(probabilities), "revenue": group.revenue}
                for key, group in groups.items()
            ),
            key=lambda g: -g["expected"],
        ),
    }


@dataclass
class _Group:
    """Active customers' annual revenue by latest NPS category, and their number."""

    by_category: dict[str, float] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0.0))
    customers: int = 0

    def add(self, category: str, revenue: float) -> None:
        self.by_category[category] += revenue
        self.customers += 1

    @property
    def revenue(self) -> float:
        return sum(self.by_category.values())

    def figures(self, probabilities: dict[str, dict[str, Any]]) -> dict[str, Any]:
        expected, low, high = _expected(probabilities, self.by_category)
        return {
            "expected": expected,
            "expected_low": low,
            "expected_high": high,
            "flagged": self.by_category["detractor"],
            "customers": self.customers,
        }


def group_key(by: str, scored: Scored, touchpoints: dict[str, TouchpointDim]) -> str:
    if by == "segment":
        return scored.customer.segment or "(none)"
    touchpoint = touchpoints.get(scored.latest.touchpoint_id)
    if touchpoint is None:
        return "(relationship survey)"
    if by == "journey":
        return touchpoint.journey_id
    return touchpoint.owner_team_id or "(no owner team)"


def retention_counts(session: Session, today: date) -> tuple[int, int]:
    """Customers active a year ago (started before then, not churned by then), and how many
    of them are still active today."""
    year_ago = today - timedelta(days=365)
    customers = session.execute(select(Customer)).scalars()
    at_risk = kept = 0
    for c in customers:
        if (c.start_date is None or c.start_date <= year_ago) and (
            c.churn_date is None or c.churn_date > year_ago
        ):
            at_risk += 1
            kept += c.churn_date is None or c.churn_date > today
    return kept, at_risk


def lifetime_value(margin: float, retention: float, discount: float) -> float | None:
    """annual margin x retention / (1 + discount - retention); None where that is unbounded
    (everyone retained and no discount)."""
    denominator = 1 + discount - retention
    return margin * retention / denominator if denominator > 0 else None


def customer_lifetime_value(
    session: Session, settings: Settings, *, segment: str | None, today: date
) -> dict[str, Any]:
    """The simple CLV with every input. Observed retention brings its Wilson interval, which
    the formula (increasing in retention) carries to an interval of the value; a retention set
    or assumed (a prior) has none. No active customers: no value, not 0 on a prior."""
    query = select(Customer)
    if segment is not None:
        query = query.where(func.lower(Customer.segment) == func.lower(segment))
    active = [
        c for c in session.execute(query).scalars() if c.churn_date is None or c.churn_date > today
    ]
    kept, basis = retention_counts(session, today)
    observed = estimates.wilson(kept, basis, scale=1)
    retention, source = observed, "observed"
    if settings.retention is not None:
        retention, source = estimates.Estimate(settings.retention, None, None, 0), "setting"
    elif observed.value is None:
        retention = estimates.Estimate(1 - settings.churn_prior_passive, None, None, 0)
        source = "prior"
    revenue = sum(c.annual_revenue for c in active) / len(active) if active else None
    margin = revenue * settings.margin_rate if revenue is not None else None
    value = low = high = None
    if margin is not None and retention.value is not None:
        value = lifetime_value(margin, retention.value, settings.discount_rate)
        if value is not None and retention.low is not None and retention.high is not None:
            low = lifetime_value(margin, retention.low, settings.discount_rate)
            high = lifetime_value(margin, retention.high, settings.discount_rate)
    return {
        "value": value,
        "low": low,
        "high": high,
        "missing": _clv_missing(active, value),
        "formula": "annual margin x retention / (1 + discount - retention)",
        "inputs": {
            "average_annual_revenue": revenue,
            "margin_rate": settings.margin_rate,
            "annual_margin": margin,
            "retention": retention.value,
            "retention_low": retention.low,
            "retention_high": retention.high,
            "retention_source": source,
            "retention_basis_customers": basis,
            "discount_rate": settings.discount_rate,
            "customers": len(active),
            "segment": segment,
        },
    }


def _clv_missing(active: list[Customer], value: float | None) -> str | None:
    if not active:
        return "no_customers"
    return "unbounded" if value is None else None
