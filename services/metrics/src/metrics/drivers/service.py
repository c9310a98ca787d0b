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
from sqlalchemy import and_, func, null, or_, select
from sqlmodel import Session, col

from metrics.alerts.rules import Target
from metrics.customers.models import Customer, LatestNps
from metrics.customers.outcomes import FOLLOW_UP
from metrics.dimension.models import JourneyDim, TouchpointDim
from metrics.drivers.schemas import Outcome, Quadrant, Reason
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


def customer_scores(
    session: Session, query: Query, *, up_to_latest_nps: bool = False
) -> dict[str, CustomerScores]:
    """Per customer: their mean experience at each touchpoint and their relationship NPS; for
    churn, their latest touchpoint answer (reading every one is a good part of the NPS call's
    time, so it is skipped there). `up_to_latest_nps` keeps only the answers given up to the
    customer's latest NPS answer, what was known when the churn model's outcome year began."""
    relationship = and_(col(F.touchpoint_id) == "", col(F.nps).is_not(None))
    latest = func.max(F.submitted_at) if query.outcome is Outcome.CHURN else null()
    statement = (
        select(
            col(F.respondent_id),
            col(F.touchpoint_id),
            func.avg(F.experience),
            func.avg(F.nps),
            latest,
        )
        .where(
            col(F.day).between(query.start, query.end),
            col(F.flagged).is_(False),
            col(F.respondent_id).is_not(None),
            or_(relationship, and_(col(F.touchpoint_id) != "", col(F.experience).is_not(None))),
        )
        .group_by(F.respondent_id, F.touchpoint_id)
    )
    if up_to_latest_nps:
        statement = statement.join(
            LatestNps,
            and_(
                col(LatestNps.respondent_id) == F.respondent_id,
                col(F.submitted_at) <= LatestNps.answered_at,
            ),
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
        if last is not None and (scores_of.last_answer is None or last > scores_of.last_answer):
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


@dataclass
class Analysis:
    """The model's answer for the drivers analysed (those with enough customers and variance)."""

    importance: list[float]
    correlations: list[float | None]
    importance_intervals: list[tuple[float | None, float | None]]
    correlation_intervals: list[tuple[float | None, float | None]]
    models: list[dict[str, Any]]
    unpaired: list[tuple[int, int, int]]  # (driver, driver, customers who answered both)
    replicates: int


def analyse(session: Session, query: Query) -> dict[str, Any]:
    touchpoints = candidate_touchpoints(session, query.journey_id)
    candidates = {t.id for t in touchpoints}
    data = customer_scores(session, query)
    if query.outcome is Outcome.NPS:
        rows = {r: s for r, s in data.items() if s.relationship_nps is not None}
        outcome = {r: float(s.relationship_nps or 0) for r, s in rows.items()}
        basis = "customers who answered a relationship NPS survey and a touchpoint survey"
    else:
        answered = {r: s for r, s in data.items() if s.last_answer}
        churn = churn_outcomes(session, sorted(answered))
        rows = {r: s for r, s in answered.items() if r in churn}
        outcome = {r: float(_churned(churn[r], s)) for r, s in rows.items()}
        basis = "customers with a customer record who answered a touchpoint survey"

    customers = sorted(r for r, s in rows.items() if candidates & s.touchpoints.keys())
    column = {t.id: j for j, t in enumerate(touchpoints)}
    everything = np.full((len(customers), len(touchpoints)), np.nan)
    for i, customer in enumerate(customers):
        for touchpoint_id, score in rows[customer].touchpoints.items():
            if touchpoint_id in column:
                everything[i, column[touchpoint_id]] = score
    answered = (~np.isnan(everything)).sum(axis=0)
    answered_by = {t.id: int(answered[j]) for j, t in enumerate(touchpoints)}
    enough = [j for j, t in enumerate(touchpoints) if answered[j] >= query.min_customers]
    matrix = everything[:, enough]
    y = np.array([outcome[c] for c in customers], dtype=float)

    insufficient = _insufficient(query, basis, len(customers), y, enough)
    with stats.one_thread():
        correlations, _ = stats.pairwise(np.column_stack([matrix, y]))
        varying = [
            j for j in range(len(enough)) if not insufficient and not np.isnan(correlations[j, -1])
        ]
        found = _analysis(query.outcome, matrix[:, varying], y)
    analysed = [touchpoints[enough[j]] for j in varying]

    reasons: dict[str, str] = {}
    for touchpoint in touchpoints:
        if answered_by[touchpoint.id] < query.min_customers:
            reasons[touchpoint.id] = Reason.TOO_FEW_CUSTOMERS
        elif insufficient:
            reasons[touchpoint.id] = Reason.NO_MODEL
        elif touchpoint not in analysed:
            reasons[touchpoint.id] = Reason.NO_VARIANCE
    total = sum(found.importance)
    measured = performance(session, query, analysed)
    drivers, unranked = [], []
    for j, touchpoint in enumerate(analysed):
        low, high = found.correlation_intervals[j]
        importance_low, importance_high = found.importance_intervals[j]
        figures = {
            "correlation": found.correlations[j],
            "correlation_low": low,
            "correlation_high": high,
            "importance": found.importance[j],
            "importance_low": importance_low,
            "importance_high": importance_high,
            "share": found.importance[j] / total if total > 0 else 0.0,
        }
        if low is None or high is None or low <= 0 <= high:
            reasons[touchpoint.id] = Reason.INTERVAL_INCLUDES_ZERO
            unranked.append((touchpoint, figures))
            continue
        drivers.append(
            {
                **_describe(touchpoint, answered_by[touchpoint.id]),
                **figures,
                "performance": measured[touchpoint.id],
            }
        )
    thresholds = _classify(drivers, len(analysed))
    drivers.sort(key=lambda d: -d["share"])
    for rank, driver in enumerate(drivers, start=1):
        driver["rank"] = rank
    figures_of = {t.id: figures for t, figures in unranked}
    single = found.models[0] if len(found.models) == 1 else None
    return {
        "outcome": query.outcome.value,
        "period": {"from": query.start, "to": query.end},
        "basis": basis,
        "customers": len(customers),
        "churned": int(y.sum()) if query.outcome is Outcome.CHURN else None,
        "min_customers": query.min_customers,
        "min_shared_customers": stats.MIN_SHARED_CUSTOMERS,
        "replicates": found.replicates,
        "method": (single["method"] if single else "separate_models") if analysed else None,
        "r_squared": single["r_squared"] if single and analysed else None,
        "insufficient": insufficient,
        "note": _note(query.outcome, found, analysed),
        "models": [
            {**model, "touchpoint_ids": [analysed[j].id for j in model["touchpoint_ids"]]}
            for model in found.models
        ],
        "unpaired": [
            {"first": _name(analysed[i]), "second": _name(analysed[j]), "shared": shared}
            for i, j, shared in found.unpaired
        ],
        "thresholds": thresholds,
        "drivers": drivers,
        "too_little_data": [
            {
                **_describe(t, answered_by[t.id]),
                "needed": query.min_customers,
                "reason": reasons[t.id],
                "why": _why(reasons[t.id], answered_by[t.id], query.min_customers),
                **figures_of.get(t.id, {}),
            }
            for t in touchpoints
            if t.id in reasons
        ],
    }


def _why(reason: str, n: int, needed: int) -> str:
    if reason == Reason.TOO_FEW_CUSTOMERS:
        return f"answered by {n} of the customers analysed; {needed} are needed"
    if reason == Reason.NO_VARIANCE:
        return "its scores, or the outcome, are the same for every customer who answered it"
    if reason == Reason.NO_MODEL:
        return "nothing could be analysed (see insufficient)"
    return "its link with the outcome is within the noise: the 95% interval includes zero"


def _name(touchpoint: TouchpointDim) -> dict[str, str]:
    return {"touchpoint_id": touchpoint.id, "name": touchpoint.name}


def _analysis(outcome: Outcome, matrix: Any, y: Any) -> Analysis:
    """Importance and correlation with the outcome of each driver (column of `matrix`), each
    with its 95% bootstrap interval, and the models fitted."""
    p = matrix.shape[1]
    if p == 0:
        return Analysis([], [], [], [], [], [], 0)
    data = np.column_stack([matrix, y])
    correlations, shared = stats.pairwise(data)
    plan = stats.plan(correlations[:p, :p], shared[:p, :p])
    unpaired = [(i, j, int(shared[i, j])) for i, j in plan.unpaired]
    answered = ~np.isnan(matrix)
    replicates = stats.replicates_for(len(y), p + 1)
    bootstrap = {"replicates": replicates, "seed": stats.BOOTSTRAP_SEED}
    if outcome is Outcome.NPS:
        fitted, fitted_r_squared = stats.fit(plan.groups, correlations[None])
        importance, r_squared = fitted[0], [float(r2) for r2 in fitted_r_squared[0]]
        draws = stats.bootstrap_linear(data, plan.groups, **bootstrap)
        models = [
            {
                "touchpoint_ids": group,
                "method": stats.method_of(len(group)),
                "customers": int(answered[:, group].any(axis=1).sum()),
                "r_squared": r2,
            }
            for group, r2 in zip(plan.groups, r_squared, strict=True)
        ]
    else:
        filled = np.where(answered, matrix, np.nanmean(matrix, axis=0))
        found = stats.logistic_relative_weights(filled, y)
        importance = np.array(found.weights)
        draws = stats.bootstrap_logistic(matrix, y, **bootstrap)
        models = [
            {
                "touchpoint_ids": list(range(p)),
                "method": found.method,
                "customers": len(y),
                "r_squared": found.r_squared,
            }
        ]
    return Analysis(
        importance=[float(w) for w in importance],
        correlations=[float(r) for r in correlations[:p, p]],
        importance_intervals=draws.intervals(draws.importance),
        correlation_intervals=draws.intervals(draws.correlation),
        models=models,
        unpaired=unpaired,
        replicates=replicates,
    )


def _note(outcome: Outcome, found: Analysis, analysed: list[TouchpointDim]) -> str | None:
    """What was done, in words, when not every pair of touchpoints could be compared."""
    if not found.unpaired:
        return None
    pairs = len(found.unpaired)
    thin = (
        f"{pairs} pair{'s' if pairs > 1 else ''} of touchpoints "
        f"{'were' if pairs > 1 else 'was'} answered together by fewer than "
        f"{stats.MIN_SHARED_CUSTOMERS} customers and not compared"
    )
    if outcome is Outcome.CHURN:
        return (
            f"{thin}; the churn model fills a touchpoint a customer did not answer with the "
            "mean of those who did, so what it says about those pairs rests on filled-in values."
        )
    models = len(found.models)
    return (
        f"{thin}. Touchpoints were fitted together only where every pair was compared: "
        f"{models} separate models, each on its own customers. A touchpoint's importance is its "
        "part of its own model's R² (a touchpoint alone: its squared correlation with NPS), so "
        "no single R² covers them all."
    )


def _churned(churn_date: date | None, scores_of: CustomerScores) -> bool:
    assert scores_of.last_answer is not None
    return churn_date is not None and churn_date <= scores_of.last_answer.date() + FOLLOW_UP


def _insufficient(
    query: Query, basis: str, customers: int, y: Any, enough: list[Any]
) -> str | None:
    if customers < query.min_customers:
        there = "there is 1" if customers == 1 else f"there are {customers}"
        return f"{query.min_customers} {basis} are needed; {there}."
    if not enough:
        return f"No touchpoint was answered by {query.min_customers} of those customers."
    if query.outcome is Outcome.CHURN:
        churned = int(y.sum())
        if min(churned, customers - churned) < MIN_OUTCOME_EVENTS:
            return (
                f"{churned} of {customers} customers churned; a churn model needs at least "
                f"{MIN_OUTCOME_EVENTS} who churned and {MIN_OUTCOME_EVENTS} who stayed."
            )
    return None


def _classify(drivers: list[dict[str, Any]], analysed: int) -> dict[str, float | None]:
    """Importance above or below an even share (1 / the touchpoints analysed); performance at or
    above its target or below it. A touchpoint without a target has no quadrant."""
    importance = 1 / analysed if drivers else None
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
