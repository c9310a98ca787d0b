"""A journey as its customers went through it: the map's differences from what their activity
events show (touchpoints no one reaches, activities no touchpoint maps, transitions the map
does not show) and the most common paths (docs/observed.md)."""

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from cxshared.timeutil import utcnow
from gateway.auth import Staff
from gateway.dependencies import JourneyDep, MetricsDep
from gateway.pages.common import fetch
from gateway.web import render

router = APIRouter()

PERIODS = {30: "last 30 days", 90: "last 90 days", 365: "last 12 months"}
DEFAULT_DAYS = 90
PATHS = 10


@router.get("/journeys/{journey_id}/observed")
async def observed_page(
    request: Request,
    user: Staff,
    journey: JourneyDep,
    metrics: MetricsDep,
    journey_id: str,
    days: Annotated[int, Query(description="The period, in days")] = DEFAULT_DAYS,
    segment: Annotated[str, Query(max_length=100, description="A customer segment")] = "",
) -> Response:
    days = days if days in PERIODS else DEFAULT_DAYS
    end = utcnow().date()
    start = end - timedelta(days=days - 1)
    among = {"segment": segment or None}
    parts = await fetch(
        journey=journey.get_journey(journey_id),
        differences=metrics.observed(journey_id, "differences", start=start, end=end, **among),
        paths=metrics.observed(journey_id, "paths", start=start, end=end, limit=PATHS, **among),
        standards=metrics.observed(journey_id, "standards", start=start, end=end, **among),
        costs=metrics.observed(journey_id, "standards/cost", start=start, end=end, **among),
        segments=metrics.segments(),
    )
    differences: dict[str, Any] | None = parts["differences"]
    context = {
        "title": "Designed vs observed",
        "journey": parts["journey"],
        "differences": differences,
        "paths": parts["paths"],
        "standards": (parts["standards"] or {}).get("standards", []),
        "costs": (parts["costs"] or {}).get("standards", []),
        "cases": differences["cases"] if differences else 0,
        "days": days,
        "periods": PERIODS,
        "segment": segment,
        "segments": [s["key"] for s in parts["segments"] or [] if s["customers"]],
        "notices": parts.notices(),
    }
    return render(request, "journeys/observed.html", context)
