"""Commercial outcomes (docs/metrics.md, "Definitions: Commercial outcomes"): churn by NPS
category, revenue at risk, CLV."""

from collections import defaultdict
from dataclasses import dataclass
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
    counts: dict[str, list[int]] = {c: [0, 0] for c in CATEGORIES}
    for scored in scored_customers(session):
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
            result[c] = {"p": observed.value, "source": "observed", "n": observed.n}
        else:
            result[c] = {"p": priors[c], "source": "prior", "n": observed.n}
    return result


def revenue_at_risk(
    session: Session, settings: Settings, *, by: str | None, today: date
) -> dict[str, Any]:
    """Expected: Σ over active customers of p(churn | latest NPS category) x annual revenue.
    Flagged: the plain sum of annual revenue of active detractors."""
    probabilities = churn_probabilities(churn_by_category(session), settings)
    groups: dict[str, dict[str, float]] = defaultdict(
        lambda: {"expected": 0.0, "flagged": 0.0, "revenue": 0.0, "customers": 0}
    )
    touchpoints = {t.id: t for t in session.execute(select(TouchpointDim)).scalars()}
    for scored in scored_customers(session):
        customer = scored.customer
        if customer.churn_date is not None and customer.churn_date <= today:
            continue
        keys = ["all"]
        if by is not None:
            keys.append(_group(by, scored, touchpoints))
        for key in keys:
            group = groups[key]
            group["expected"] += probabilities[scored.category]["p"] * customer.annual_revenue
            group["flagged"] += customer.annual_revenue if scored.category == "detractor" else 0
            group["revenue"] += customer.annual_revenue
            group["customers"] += 1
    overall = groups.pop("all", {"expected": 0.0, "flagged": 0.0, "revenue": 0.0, "customers": 0})
    return {
        "expected": overall["expected"],
        "flagged": overall["flagged"],
        "active_revenue": overall["revenue"],
        "customers": int(overall["customers"]),
        "churn_probabilities": probabilities,
        "groups": [
            {
                "key": key,
                **{k: v for k, v in values.items() if k != "customers"},
                "customers": int(values["customers"]),
            }
            for key, values in sorted(groups.items(), key=lambda kv: -kv[1]["expected"])
        ],
    }


def _group(by: str, scored: Scored, touchpoints: dict[str, TouchpointDim]) -> str:
    if by == "segment":
        return scored.customer.segment or "(none)"
    touchpoint = touchpoints.get(scored.latest.touchpoint_id)
    if touchpoint is None:
        return "(relationship survey)"
    if by == "journey":
        return touchpoint.journey_id
    return touchpoint.owner_team_id or "(no owner team)"


def observed_retention(session: Session, today: date) -> tuple[float | None, int]:
    """Share of customers active a year ago (started before then, not churned by then) still
    active today."""
    year_ago = today - timedelta(days=365)
    customers = session.execute(select(Customer)).scalars()
    at_risk = kept = 0
    for c in customers:
        if (c.start_date is None or c.start_date <= year_ago) and (
            c.churn_date is None or c.churn_date > year_ago
        ):
            at_risk += 1
            kept += c.churn_date is None or c.churn_date > today
    return (kept / at_risk if at_risk else None), at_risk


def customer_lifetime_value(
    session: Session, settings: Settings, *, segment: str | None, today: date
) -> dict[str, Any]:
    query = select(Customer)
    if segment is not None:
        query = query.where(func.lower(Customer.segment) == func.lower(segment))
    active = [
        c for c in session.execute(query).scalars() if c.churn_date is None or c.churn_date > today
    ]
    revenue = sum(c.annual_revenue for c in active) / len(active) if active else 0.0
    retention, basis = observed_retention(session, today)
    source = "observed"
    if settings.retention is not None:
        retention, source = settings.retention, "setting"
    elif retention is None:
        retention, source = 1 - settings.churn_prior_passive, "prior"
    margin = revenue * settings.margin_rate
    value = margin * retention / (1 + settings.discount_rate - retention)
    return {
        "value": value,
        "formula": "annual margin x retention / (1 + discount - retention)",
        "inputs": {
            "average_annual_revenue": revenue,
            "margin_rate": settings.margin_rate,
            "annual_margin": margin,
            "retention": retention,
            "retention_source": source,
            "retention_basis_customers": basis,
            "discount_rate": settings.discount_rate,
            "customers": len(active),
            "segment": segment,
        },
    }
