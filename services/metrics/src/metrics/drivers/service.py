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
Performance, the quadrant's other axis, is the touchpoint's score against its own target (the
comparison the target-breach alert makes), so the quadrant never calls a touchpoint below its
target "possible overkill".
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import and_, func, or_, select
from sqlmodel import Session, col

from metrics.alerts.rules import Target
from metrics.customers.models import Customer
from metrics.customers.outcomes import FOLLOW_UP
from metrics.dimension.models import JourneyDim, TouchpointDim
from metrics.drivers.schemas import Outcome, Quadrant
from metrics.facts.models import ResponseFact
from metrics.scores import service as scores
from metrics.stats import drivers as stats
from metrics.stats import estimates

F = ResponseFact
# A logistic model says nothing with fewer churned (or kept) customers than this.
MIN_OUTCOME_EVENTS = 10
FUTURE_STATE = "future"
# Each metric's whole scale: a gap to target is read as a share of it.
SCALES = {"nps": (-100.0, 100.0), "csat": (0.0, 100.0), "ces": (1.0, 7.0)}


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
        statement = statement.where(scores.same_segment(F.segment, query.segment))
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
    """The touchpoints of the journey asked for, or of every journey as customers live it:
    a future-state design has no customers yet, so it is left out unless asked for."""
    statement = select(TouchpointDim).where(col(TouchpointDim.deleted).is_(False))
    if journey_id is not None:
        statement = statement.where(col(TouchpointDim.journey_id) == journey_id)
    else:
        future = select(col(JourneyDim.id)).where(col(JourneyDim.state) == FUTURE_STATE)
        statement = statement.where(col(TouchpointDim.journey_id).not_in(future))
    return list(
        session.execute(
            statement.order_by(col(TouchpointDim.journey_id), col(TouchpointDim.position))
        ).scalars()
    )


def performance(
    session: Session, query: Query, touchpoints: list[TouchpointDim]
) -> dict[str, dict[str, Any]]:
    """Each touchpoint's performance against its target over the period: the score of the
    target's metric, its interval and status (met / breached / uncertain, the rule of the
    target-breach alert), and the gap as a share of the metric's scale, so that NPS, CSAT and
    CES targets share one axis. With several targets the one furthest below counts. Without
    a target there is nothing to perform against: `value` is None. The mean experience
    (-2 ... +2) is kept beside it for reference."""
    filters = scores.Filters(start=query.start, end=query.end, segment=query.segment)
    sums = scores.grouped_sums(session, filters, [scores.R.touchpoint_id])
    result = {}
    for touchpoint in touchpoints:
        row = sums.get((touchpoint.id,), scores.EMPTY)
        answers = int(row["experience_n"])
        judged = [
            _against(metric, target, scores.estimate(metric, row))
            for metric, target in scores.targets_of(touchpoint).items()
        ]
        judged = [j for j in judged if j["value"] is not None]
        worst = min(judged, key=lambda j: j["value"], default=None)
        result[touchpoint.id] = {
            **(worst or {"value": None, "n": 0}),
            "experience": row["experience_sum"] / answers if answers else None,
        }
    return result


def _against(metric: str, target: Target, estimate: estimates.Estimate) -> dict[str, Any]:
    low_end, high_end = SCALES[metric]
    gap = None
    if estimate.value is not None:
        signed = estimate.value - target.value
        gap = (signed if target.direction == "at_least" else -signed) / (high_end - low_end)
    return {
        "value": gap,
        "metric": metric,
        "score": estimate.value,
        "low": estimate.low,
        "high": estimate.high,
        "n": estimate.n,
        "target": target.value,
        "direction": target.direction,
        "status": scores.target_status(estimate, target, target.min_responses),
    }


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

    measured = performance(session, query, ranked)
    drivers = []
    for j, touchpoint in enumerate(ranked):
        drivers.append(
            {
                **_describe(touchpoint, answered_by[touchpoint.id]),
                "correlation": correlations[j],
                "importance": importance.weights[j],
                "share": importance.shares[j],
                "performance": measured[touchpoint.id],
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
    """Importance above or below an even share (1/p); performance at or above its target or
    below it. A touchpoint without a target has no quadrant."""
    importance = 1 / len(drivers) if drivers else None
    for driver in drivers:
        value = driver["performance"]["value"]
        if value is None or importance is None:
            driver["quadrant"] = None
            continue
        important, good = driver["share"] >= importance, value >= 0
        driver["quadrant"] = (
            Quadrant.KEEP_UP
            if important and good
            else Quadrant.CONCENTRATE_HERE
            if important
            else Quadrant.POSSIBLE_OVERKILL
            if good
            else Quadrant.LOW_PRIORITY
        ).value
    return {"importance": importance, "performance": 0.0 if drivers else None}


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
