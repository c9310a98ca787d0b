"""What the opportunities board, the action page and the journey map share about improvement
work: which touchpoints an action changes, how its measured effect reads, and which priority an
opportunity stands at (docs/improvement.md)."""

import asyncio
from dataclasses import dataclass
from typing import Any

from gateway.clients.journey import JourneyClient
from gateway.clients.metrics import MetricsClient
from gateway.clients.models import Action, Journey, Opportunity, Review

ACTION_STATES = {
    "planned": "Planned",
    "in_progress": "In progress",
    "shipped": "Shipped",
    "abandoned": "Abandoned",
}
# The moves an action may make from each state, as its buttons name them (journey's
# TRANSITIONS; shipped is final).
ACTION_MOVES = {
    "planned": [("in_progress", "Start"), ("shipped", "Ship"), ("abandoned", "Abandon")],
    "in_progress": [("shipped", "Ship"), ("planned", "Back to planned"), ("abandoned", "Abandon")],
    "shipped": [],
    "abandoned": [("planned", "Plan again")],
}
VERDICTS = {
    "too_early": "Too early",
    "not_enough_data": "Not enough data",
    "no_measurable_effect": "No measurable effect",
    "improved": "Improved",
    "worse": "Worse",
    "mixed": "Mixed",
}
EFFECT_METRICS = {
    "nps": "NPS",
    "csat": "CSAT",
    "ces": "CES",
    "compliance": "Standards met",
    "churn": "Churn",
}


def affected(action: Action, journey: Journey | None) -> list[str]:
    """The touchpoints the action changes: those it names, then every one of the stages it
    names, each once (as journey's `affected_touchpoint_ids`)."""
    ids = list(action.touchpoint_ids)
    if journey is not None:
        for stage in journey.stages:
            if stage.id in action.stage_ids:
                ids.extend(t.id for t in stage.touchpoints)
    return list(dict.fromkeys(ids))


def places(journey: Journey | None) -> dict[str, str]:
    """Stage and touchpoint ids → what a page calls them ("Stage: touchpoint")."""
    named: dict[str, str] = {}
    for stage in journey.stages if journey else []:
        named[stage.id] = stage.name
        for tp in stage.touchpoints:
            named[tp.id] = f"{stage.name}: {tp.name}"
    return named


def opportunity_touchpoints(opportunity: Opportunity, journey: Journey | None) -> list[str]:
    """Where an opportunity is measured: its touchpoint, or every touchpoint of its stage."""
    if opportunity.touchpoint_id:
        return [opportunity.touchpoint_id]
    for stage in journey.stages if journey else []:
        if stage.id == opportunity.stage_id:
            return [t.id for t in stage.touchpoints]
    return []


def priority_items(
    opportunities: list[Opportunity], journey: Journey | None
) -> list[dict[str, Any]]:
    """What metrics' priority from data takes of each opportunity."""
    return [
        {
            "id": o.id,
            "touchpoint_ids": opportunity_touchpoints(o, journey)[:200],
            "effort": o.effort,
        }
        for o in opportunities
    ]


@dataclass(frozen=True)
class Ranked:
    """An opportunity with the priority it stands at and where that comes from: `override`
    (staff, with a reason), `data` (metrics' priority from data) or `hand` (its hand-set
    values)."""

    opportunity: Opportunity
    priority: float
    source: str
    data: dict[str, Any] | None

    @property
    def hand(self) -> float:
        o = self.opportunity
        return round((o.customer_value + o.business_value) / 2 / (1 + o.effort), 1)


def rank(opportunity: Opportunity, data: dict[str, Any] | None) -> Ranked:
    measured = data if data and data.get("measured") else None
    if opportunity.priority_override is not None:
        return Ranked(opportunity, opportunity.priority_override, "override", measured)
    if measured is not None:
        return Ranked(opportunity, float(measured["priority"]), "data", measured)
    return Ranked(opportunity, opportunity.priority, "hand", None)


async def measured_effect(
    metrics: MetricsClient, action: Action, journey: Journey | None
) -> dict[str, Any] | None:
    """A shipped action's effect as metrics stored it (`frozen` once its after window is over),
    or measured now while metrics has not stored it yet (just shipped); None when it names no
    touchpoint."""
    touchpoints = affected(action, journey)
    if not touchpoints or action.shipped_at is None:
        return None
    stored = await metrics.action_effect(action.id)
    if (
        stored is not None
        and stored["effect"]["shipped_on"] == action.shipped_at.date().isoformat()
    ):
        return {
            **stored["effect"],
            "frozen": stored["frozen"],
            "computed_on": stored["computed_on"],
        }
    found = await metrics.effect(action.journey_id, touchpoints[:50], action.shipped_at.date())
    return {**found, "frozen": False, "computed_on": None}


@dataclass(frozen=True)
class Flagged:
    """A journey's review: the reasons it needs one that no review has dealt with yet, and its
    latest review."""

    reasons: list[dict[str, Any]]
    latest: Review | None


async def review_flags(
    journey: JourneyClient, metrics: MetricsClient, journey_ids: list[str]
) -> dict[str, Flagged]:
    """For each journey with a review signal (metrics), the signals whose keys none of its
    recorded reviews acknowledged."""
    signals = await metrics.review_signals()
    by_journey: dict[str, list[dict[str, Any]]] = {}
    for signal in signals:
        if signal["journey_id"] in journey_ids:
            by_journey.setdefault(signal["journey_id"], []).append(signal)
    reviews = await asyncio.gather(*(journey.list_reviews(j) for j in by_journey))
    flagged = {}
    for journey_id, found in zip(by_journey, reviews, strict=True):
        dealt = {key for review in found for key in review.acknowledged}
        flagged[journey_id] = Flagged(
            reasons=[s for s in by_journey[journey_id] if s["key"] not in dealt],
            latest=found[0] if found else None,
        )
    return flagged
