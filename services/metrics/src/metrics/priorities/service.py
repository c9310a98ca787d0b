"""Priority from data (docs/improvement.md, "Priority from data"): what a piece of work at some
touchpoints is worth by what cxloop measures there, against the effort it costs.

customer value = the share of the period's NPS answers at its touchpoints that detractors gave;
business value = its share of the journey's revenue at risk from detractors (active customers
whose latest NPS answer, a detractor's, was given there, their annual revenue times the churn
probability of detractors); priority = the mean of the two / (1 + effort), on the same 0-100
scale as the hand-set priority, so the two compare."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from metrics.config import Settings
from metrics.customers import outcomes
from metrics.dimension.models import TouchpointDim
from metrics.facts.models import DailyRollup
from metrics.priorities.schemas import PrioritiesRead, Priority, PriorityItem, ThemeCost
from metrics.scores import service as scores
from metrics.scores.service import EMPTY, Filters
from metrics.themes import figures as theme_figures

THEMES_SHOWN = 3


@dataclass
class _AtRisk:
    customers: int = 0
    detractors: int = 0
    revenue: float = 0.0  # the detractors' annual revenue


def _at_risk(session: Session, touchpoints: set[str], today: date) -> dict[str, _AtRisk]:
    """Active customers by the touchpoint of their latest NPS answer."""
    found: dict[str, _AtRisk] = defaultdict(_AtRisk)
    for scored in outcomes.scored_customers(session):
        where = scored.latest.touchpoint_id
        churned = scored.customer.churn_date
        if where not in touchpoints or (churned is not None and churned <= today):
            continue
        group = found[where]
        group.customers += 1
        if scored.category == "detractor":
            group.detractors += 1
            group.revenue += scored.customer.annual_revenue
    return found


def priorities(
    session: Session,
    settings: Settings,
    *,
    journey_id: str,
    items: list[PriorityItem],
    days: int,
    today: date,
) -> PrioritiesRead:
    start = today - timedelta(days=days - 1)
    names = dict(
        session.execute(
            select(col(TouchpointDim.id), col(TouchpointDim.name)).where(
                col(TouchpointDim.journey_id) == journey_id
            )
        ).all()
    )
    sums = {
        key[0]: found
        for key, found in scores.grouped_sums(
            session,
            Filters(start=start, end=today, journey_id=journey_id),
            [DailyRollup.touchpoint_id],
        ).items()
        if key
    }
    p_detractor = outcomes.churn_probabilities(outcomes.churn_by_category(session), settings)[
        "detractor"
    ]["p"]
    at_risk = _at_risk(session, set(names), today)
    journey_risk = p_detractor * sum(g.revenue for g in at_risk.values())
    costs: dict[str, list[ThemeCost]] = defaultdict(list)
    themes = theme_figures.figures(
        session=session, journey_id=journey_id, start=start, end=today, min_responses=1
    )
    for theme in themes.items:
        for at in theme.touchpoints:
            points = at.impact.points.value
            if points:
                costs[at.touchpoint_id].append(
                    ThemeCost(theme_id=theme.theme_id, name=theme.name, points=points)
                )
    return PrioritiesRead(
        journey_id=journey_id,
        start=start.isoformat(),
        end=today.isoformat(),
        currency=settings.currency,
        journey_revenue_at_risk=round(journey_risk, 2),
        items=[
            _priority(item, names, sums, at_risk, costs, p_detractor, journey_risk, settings)
            for item in items
        ],
    )


def _priority(
    item: PriorityItem,
    names: dict[str, str],
    sums: dict[str, scores.Sums],
    at_risk: dict[str, _AtRisk],
    costs: dict[str, list[ThemeCost]],
    p_detractor: float,
    journey_risk: float,
    settings: Settings,
) -> Priority:
    here = [t for t in dict.fromkeys(item.touchpoint_ids) if t in names]
    total = dict(EMPTY)
    for touchpoint in here:
        if touchpoint in sums:
            total = scores.add(total, sums[touchpoint])
    answers, detractors = int(total["nps_n"]), int(total["detractors"])
    risk = _AtRisk()
    for touchpoint in here:
        group = at_risk.get(touchpoint, _AtRisk())
        risk.customers += group.customers
        risk.detractors += group.detractors
        risk.revenue += group.revenue
    revenue = p_detractor * risk.revenue
    themes = sorted((c for t in here for c in costs.get(t, [])), key=lambda c: -c.points)[
        :THEMES_SHOWN
    ]
    common = {
        "id": item.id,
        "answers": answers,
        "detractors": detractors,
        "customers": risk.customers,
        "detractor_customers": risk.detractors,
        "revenue_at_risk": round(revenue, 2),
        "themes": themes,
        "effort": item.effort,
    }
    if answers == 0:
        return Priority(
            **common,
            measured=False,
            priority=None,
            customer_value=None,
            business_value=None,
            explanation="No NPS answers at its touchpoints in the period: the hand-set "
            "values stand.",
        )
    customer_value = round(100 * detractors / answers)
    business_value = round(100 * revenue / journey_risk) if journey_risk > 0 else 0
    priority = round((customer_value + business_value) / 2 / (1 + item.effort), 1)
    whom = (
        f"{risk.detractors:,} detractor customer{'s' if risk.detractors != 1 else ''} of "
        f"{risk.customers:,} whose latest NPS answer was here"
    )
    said = [
        f"Customer value {customer_value}: {customer_value}% of {answers:,} NPS "
        f"answer{'s' if answers != 1 else ''} here came from detractors",
        f"business value {business_value}: ≈ {revenue:,.0f} {settings.currency} revenue at risk "
        f"a year from {whom}, {business_value}% of the journey's"
        if revenue > 0
        else f"business value 0: no revenue at risk from {whom} (no detractor here with "
        "revenue, or no churn seen among detractors)",
    ]
    if themes:
        said.append(
            "comment themes over the year: "
            + ", ".join(f"“{t.name}” costs {t.points:.1f} NPS points here" for t in themes)
        )
    said.append(f"effort {item.effort}/5")
    return Priority(
        **common,
        measured=True,
        priority=priority,
        customer_value=customer_value,
        business_value=business_value,
        explanation="; ".join(said) + ".",
    )
