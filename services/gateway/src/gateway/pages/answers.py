"""The answers behind a score: every score on the map, the dashboard and an alert links here
with its own filters, and this page lists the responses that score counts, with the score
beside them (docs/gateway.md, "From a score to its answers")."""

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from cxshared.client import UpstreamNotFound
from cxshared.timeutil import utcnow
from gateway.auth import Staff
from gateway.clients.feedback import FeedbackClient
from gateway.clients.journey import JourneyClient
from gateway.clients.models import AnswerPage, Filters, Score, Touchpoint
from gateway.dependencies import FeedbackDep, JourneyDep, MetricsDep
from gateway.pages.common import fetch
from gateway.present import CHANNELS, METRIC_NAMES
from gateway.web import render

router = APIRouter()

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366
CATEGORIES = {
    "nps": {"promoter": "promoters (9-10)", "passive": "passives (7-8)",
            "detractor": "detractors (0-6)"},
    "csat": {"satisfied": "satisfied (4-5)", "not_satisfied": "not satisfied (1-3)"},
    "ces": {"agree": "found it easy (5-7)", "not_agree": "did not find it easy (1-4)"},
}  # fmt: skip
Day = Annotated[date | None, Query()]
Text = Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00]*$")]


def period(days: int | None, start: date | None, end: date | None) -> tuple[date, date]:
    """The period a score covered: its first and last days, or the `days` up to today."""
    today = utcnow().date()
    end = min(end or today, today)
    if start is None or start > end:
        start = end - timedelta(days=(days if days and 0 < days <= MAX_DAYS else DEFAULT_DAYS) - 1)
    return max(start, end - timedelta(days=MAX_DAYS - 1)), end


async def _touchpoint(journey: JourneyClient, touchpoint_id: str) -> Touchpoint | None:
    """The touchpoint, or None once deleted from the map (its answers stay in the scores)."""
    try:
        return await journey.get_touchpoint(touchpoint_id)
    except UpstreamNotFound:
        return None


async def _held(feedback: FeedbackClient, response_ids: list[str]) -> set[str]:
    """Which of these responses feedback holds (one call for a page of answers)."""
    if not response_ids:
        return set()
    items, _ = await feedback.list_responses({"id": response_ids, "limit": len(response_ids)})
    return {item.id for item in items}


@router.get("/answers")
async def answers(
    request: Request,
    user: Staff,
    journey: JourneyDep,
    metrics: MetricsDep,
    feedback: FeedbackDep,
    metric: Annotated[str, Query(max_length=10)] = "nps",
    category: Text = None,
    touchpoint_id: Text = None,
    journey_id: Text = None,
    stage_id: Text = None,
    channel: Text = None,
    segment: Text = None,
    days: Annotated[int | None, Query()] = None,
    start: Annotated[Day, Query(alias="from")] = None,
    end: Annotated[Day, Query(alias="to")] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    metric = metric if metric in METRIC_NAMES else "nps"
    category = category if category in CATEGORIES[metric] else None
    filters = Filters(
        journey_id=journey_id or None,
        stage_id=stage_id or None,
        channel=channel if channel in CHANNELS else None,
        segment=segment or None,
    )
    first, last = period(days, start, end)
    calls: dict[str, Any] = {
        "score": metrics.score(
            metric, start=first, end=last, touchpoint_id=touchpoint_id or None, filters=filters
        ),
        "answers": metrics.answers(
            metric,
            start=first,
            end=last,
            touchpoint_id=touchpoint_id or None,
            filters=filters,
            category=category,
            cursor=cursor or None,
        ),
    }
    if touchpoint_id:
        calls["touchpoint"] = _touchpoint(journey, touchpoint_id)
    parts = await fetch(**calls)
    touchpoint: Touchpoint | None = parts["touchpoint"] if touchpoint_id else None
    document = None
    if touchpoint is not None:
        found_journey = await fetch(journey=journey.get_journey(touchpoint.journey_id))
        document = found_journey["journey"]
    found: AnswerPage | None = parts["answers"]
    # An answer whose response feedback holds links to it there; one imported from another
    # tool (the demo's year of history), or whose response was erased, has nothing to link to.
    held = await fetch(held=_held(feedback, [a.response_id for a in found.items] if found else []))
    score: Score | None = parts["score"]
    # What a link to another category, the next page or back keeps: every filter but those.
    kept = {
        "touchpoint_id": touchpoint_id or None,
        **filters.params(),
        "start": first,
        "end": last,
    }
    return render(
        request,
        "answers/index.html",
        {
            "title": f"Answers behind {METRIC_NAMES[metric]}",
            "metric": metric,
            "category": category,
            "categories": CATEGORIES[metric],
            "start": first,
            "end": last,
            "filters": filters,
            "touchpoint": touchpoint,
            "journey": document,
            "kept": kept,
            "score": score,
            "page": found,
            "cursor": cursor,
            "in_feedback": held["held"] or set(),
            "notices": parts.notices() + held.notices(),
        },
    )
