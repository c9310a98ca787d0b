"""Key-driver analysis (docs/metrics.md, "Definitions: Drivers"): which touchpoints explain
loyalty and churn.

The unit is the customer (the respondent's external id). A customer's score at a touchpoint is the
mean of their experience scores there in the period (each response's scored answers rescaled to
-2 ... +2, so NPS, CSAT and CES touchpoints share one scale).

- Against relationship NPS: the outcome is the customer's mean answer to the relationship NPS
  surveys (surveys bound to no touchpoint) in the period. Correlations are pairwise, each from
  the customers who answered both, so a customer counts for every touchpoint they did answer.
- Against churn: the outcome is whether the customer (from the customer records) churned within
  the 12 months after their latest touchpoint answer. Logistic regression needs complete rows, so
  a touchpoint a customer did not answer takes the mean of those who did; n counts real answers.

A touchpoint backed by fewer than the minimum customers is listed apart, not ranked.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import numpy as np
from sqlalchemy import and_, func, or_, select
from sqlmodel import Session, col

from metrics.customers.models import Customer
from metrics.customers.outcomes import FOLLOW_UP
from metrics.dimension.models import TouchpointDim
from metrics.facts.models import ResponseFact
from metrics.scores import service as scores
from metrics.stats import drivers as stats

F = ResponseFact
# A logistic model says nothing with fewer churned (or kept) customers than this.
MIN_OUTCOME_EVENTS = 10


class Outcome(StrEnum):
    NPS = "nps"
    CHURN = "churn"


class Quadrant(StrEnum):
    CONCENTRATE_HERE = "concentrate_here"  # important, performing below the others
    KEEP_UP = "keep_up"  # important, performing above
    LOW_PRIORITY = "low_priority"  # less important, below
    POSSIBLE_OVERKILL = "possible_overkill"  # less important, above


@dataclass
class CustomerScores:
    touchpoints: dict[str, float] = field(default_factory=dict)
    relationship_nps: float | None = None
    last_answer: datetime | None = None


@dataclass(frozen=True)
class Query:
    start: date
    end: date
    outcome: Outcome
    journey_id: str | None
    segment: str | None
    min_customers: int


def customer_scores(session: Session, query: Query) -> dict[str, CustomerScores]:
    """Per customer: their mean experience at each touchpoint and their relationship NPS."""
    relationship = and_(col(F.touchpoint_id) == "", col(F.nps).is_not(None))
    statement = (
        select(
            col(F.respondent_id),
            col(F.touchpoint_id),
            func.avg(F.experience),
            func.avg(F.nps),
            func.max(F.submitted_at),
        )
        .where(
            col(F.day).between(query.start, query.end),
            col(F.flagged).is_(False),
            col(F.respondent_id).is_not(None),
            or_(relationship, and_(col(F.touchpoint_id) != "", col(F.experience).is_not(None))),
        )
        .group_by(F.respondent_id, F.touchpoint_id)
    )
    if query.segment is not None:
        statement = statement.where(col(F.segment) == query.segment)
    result: dict[str, CustomerScores] = defaultdict(CustomerScores)
    for respondent, touchpoint, experience, nps, last in session.execute(statement).all():
        scores_of = result[respondent]
        if touchpoint == "":
            scores_of.relationship_nps = float(nps)
            continue
        scores_of.touchpoints[touchpoint] = float(experience)
        if scores_of.last_answer is None or last > scores_of.last_answer:
            scores_of.last_answer = last
    return result


def churn_outcomes(session: Session, respondents: list[str]) -> dict[str, date | None]:
    """Churn date (or None) of each respondent who has a customer record."""
    found: dict[str, date | None] = {}
    for start in range(0, len(respondents), 500):
        chunk = respondents[start : start + 500]
        rows = session.execute(
            select(col(Customer.external_id), col(Customer.churn_date)).where(
                col(Customer.external_id).in_(chunk)
            )
        ).all()
        found.update({external_id: churn for external_id, churn in rows})
    return found


def candidate_touchpoints(session: Session, journey_id: str | None) -> list[TouchpointDim]:
    statement = select(TouchpointDim).where(col(TouchpointDim.deleted).is_(False))
    if journey_id is not None:
        statement = statement.where(col(TouchpointDim.journey_id) == journey_id)
    return list(
        session.execute(
            statement.order_by(col(TouchpointDim.journey_id), col(TouchpointDim.position))
        ).scalars()
    )


def performance(session: Session, query: Query) -> dict[str, tuple[float | None, int]]:
    """Each touchpoint's mean experience (-2 ... +2) over every answer in the period."""
    filters = scores.Filters(start=query.start, end=query.end, segment=query.segment)
    sums = scores.grouped_sums(session, filters, [scores.R.touchpoint_id])
    result = {}
    for (touchpoint,), row in sums.items():
        n = int(row["experience_n"])
        result[touchpoint] = (row["experience_sum"] / n if n else None, n)
    return result


def analyse(session: Session, query: Query) -> dict[str, Any]:
    touchpoints = candidate_touchpoints(session, query.journey_id)
    data = customer_scores(session, query)
    if query.outcome is Outcome.NPS:
        rows = {r: s for r, s in data.items() if s.relationship_nps is not None and s.touchpoints}
        outcome = {r: float(s.relationship_nps or 0) for r, s in rows.items()}
        basis = "customers who answered a relationship NPS survey and a touchpoint survey"
    else:
        answered = {r: s for r, s in data.items() if s.touchpoints and s.last_answer}
        churn = churn_outcomes(session, sorted(answered))
        rows = {r: s for r, s in answered.items() if r in churn}
        outcome = {r: float(_churned(churn[r], s)) for r, s in rows.items()}
        basis = "customers with a customer record who answered a touchpoint survey"

    customers = sorted(rows)
    answered_by = {
        t.id: sum(1 for c in customers if t.id in rows[c].touchpoints) for t in touchpoints
    }
    ranked = [t for t in touchpoints if answered_by[t.id] >= query.min_customers]
    apart = [t for t in touchpoints if answered_by[t.id] < query.min_customers]
    matrix = np.full((len(customers), len(ranked)), np.nan)
    for i, customer in enumerate(customers):
        for j, touchpoint in enumerate(ranked):
            matrix[i, j] = rows[customer].touchpoints.get(touchpoint.id, np.nan)
    y = np.array([outcome[c] for c in customers], dtype=float)

    insufficient = _insufficient(query, basis, len(customers), y, ranked)
    if insufficient:
        apart, ranked = touchpoints, []
    importance, correlations = _importance(query.outcome, matrix, y, len(ranked))

    measured = performance(session, query)
    drivers = []
    for j, touchpoint in enumerate(ranked):
        value, n = measured.get(touchpoint.id, (None, 0))
        drivers.append(
            {
                **_describe(touchpoint, answered_by[touchpoint.id]),
                "correlation": correlations[j],
                "importance": importance.weights[j],
                "share": importance.shares[j],
                "performance": {"value": value, "n": n},
            }
        )
    thresholds = _classify(drivers)
    drivers.sort(key=lambda d: -d["share"])
    for rank, driver in enumerate(drivers, start=1):
        driver["rank"] = rank
    return {
        "outcome": query.outcome.value,
        "period": {"from": query.start, "to": query.end},
        "basis": basis,
        "customers": len(customers),
        "churned": int(y.sum()) if query.outcome is Outcome.CHURN else None,
        "min_customers": query.min_customers,
        "method": importance.method if drivers else None,
        "r_squared": importance.r_squared if drivers else None,
        "insufficient": insufficient,
        "thresholds": thresholds,
        "drivers": drivers,
        "too_little_data": [
            {**_describe(t, answered_by[t.id]), "needed": query.min_customers} for t in apart
        ],
    }


def _churned(churn_date: date | None, scores_of: CustomerScores) -> bool:
    assert scores_of.last_answer is not None
    return churn_date is not None and churn_date <= scores_of.last_answer.date() + FOLLOW_UP


def _insufficient(
    query: Query, basis: str, customers: int, y: Any, ranked: list[Any]
) -> str | None:
    if customers < query.min_customers:
        there = "there is 1" if customers == 1 else f"there are {customers}"
        return f"{query.min_customers} {basis} are needed; {there}."
    if not ranked:
        return f"No touchpoint was answered by {query.min_customers} of those customers."
    if query.outcome is Outcome.CHURN:
        churned = int(y.sum())
        if min(churned, customers - churned) < MIN_OUTCOME_EVENTS:
            return (
                f"{churned} of {customers} customers churned; a churn model needs at least "
                f"{MIN_OUTCOME_EVENTS} who churned and {MIN_OUTCOME_EVENTS} who stayed."
            )
    return None


def _importance(
    outcome: Outcome, matrix: Any, y: Any, p: int
) -> tuple[stats.Importance, list[float | None]]:
    if p == 0:
        return stats.Importance([], 0.0, ""), []
    if outcome is Outcome.NPS:
        full = stats.pairwise_correlations(np.column_stack([matrix, y]))
        rxx, rxy = full[:p, :p], full[:p, p]
        method = stats.shapley if p <= stats.SHAPLEY_MAX_DRIVERS else stats.relative_weights
        return method(rxx, rxy), [float(r) for r in rxy]
    filled = np.where(np.isnan(matrix), np.nanmean(matrix, axis=0), matrix)
    correlations = [
        float(np.corrcoef(filled[:, j], y)[0, 1]) if filled[:, j].std() > 0 else None
        for j in range(p)
    ]
    return stats.logistic_relative_weights(filled, y), correlations


def _classify(drivers: list[dict[str, Any]]) -> dict[str, float | None]:
    """Importance above or below the average share (1/p); performance above or below the mean
    performance of the ranked touchpoints."""
    measured = [d["performance"]["value"] for d in drivers if d["performance"]["value"] is not None]
    importance = 1 / len(drivers) if drivers else None
    middle = float(np.mean(measured)) if measured else None
    for driver in drivers:
        value = driver["performance"]["value"]
        if value is None or middle is None or importance is None:
            driver["quadrant"] = None
            continue
        important, good = driver["share"] >= importance, value >= middle
        driver["quadrant"] = (
            Quadrant.KEEP_UP
            if important and good
            else Quadrant.CONCENTRATE_HERE
            if important
            else Quadrant.POSSIBLE_OVERKILL
            if good
            else Quadrant.LOW_PRIORITY
        ).value
    return {"importance": importance, "performance": middle}


def _describe(touchpoint: TouchpointDim, n: int) -> dict[str, Any]:
    return {
        "touchpoint_id": touchpoint.id,
        "name": touchpoint.name,
        "journey_id": touchpoint.journey_id,
        "stage_id": touchpoint.stage_id,
        "owner_team_id": touchpoint.owner_team_id,
        "owner_name": touchpoint.owner_name,
        "n": n,
    }
