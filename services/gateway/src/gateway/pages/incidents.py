"""Incidents: every incident by status (open first, as the navigation leads here; then
acknowledged, resolved), so one acknowledged or resolved on the dashboard can be found again;
acknowledging and resolving one in place; and the open count that the dashboard's header asks
for again when an incident changes (the `incident-changed` event). The old /alerts addresses
lead here."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from cxshared.client import UpstreamConflict, UpstreamInvalid
from gateway.auth import Editor, Staff
from gateway.clients.metrics import MetricsClient
from gateway.clients.models import Incident
from gateway.dependencies import JourneyDep, MetricsDep
from gateway.pages.common import fetch
from gateway.web import is_htmx, redirect_for, render

router = APIRouter()

INCIDENT_CHANGED = "incident-changed"
# The open incidents a count reads: the dashboard shows as many.
OPEN_READ = 50
STATUSES = {
    "open": "Open",
    "acknowledged": "Acknowledged",
    "resolved": "Resolved",
    "": "All",
}
PAGE_SIZE = 20


@router.get("/incidents")
async def incidents_page(
    request: Request,
    user: Staff,
    journey: JourneyDep,
    metrics: MetricsDep,
    status: Annotated[str, Query(max_length=20)] = "open",
    journey_id: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """Incidents of one status (or all), newest first, a page at a time."""
    status = status if status in STATUSES else "open"
    notices: list[str] = []
    try:
        parts = await fetch(
            page=metrics.incidents(
                status=status or None,
                journey_id=journey_id or None,
                cursor=cursor or None,
                limit=PAGE_SIZE,
            ),
            journeys=journey.list_journeys(),
        )
    except UpstreamInvalid:  # a cursor from an older list, or edited by hand
        return redirect_for(request, "/incidents?" + _query(status, journey_id))
    notices.extend(parts.notices())
    page = parts["page"]
    incidents: list[Incident] = page.items if page else []
    journeys = parts["journeys"] or []
    context = {
        "title": "Incidents",
        "incidents": incidents,
        "status": status,
        "statuses": STATUSES,
        "journey_id": journey_id or "",
        "journeys": journeys,
        "journey_names": {j.id: j.name for j in journeys},
        "next_url": f"/incidents?{_query(status, journey_id)}&cursor={page.next_cursor}"
        if page and page.next_cursor
        else None,
        "first_url": f"/incidents?{_query(status, journey_id)}" if cursor else None,
        "metrics_missing": page is None,
        "notices": notices,
    }
    return render(request, "incidents/index.html", context)


@router.get("/alerts")
async def alerts_page(
    request: Request,
    user: Staff,
    status: Annotated[str, Query(max_length=20)] = "open",
    journey_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Where alerts were listed before incidents: their incidents now."""
    return redirect_for(request, "/incidents?" + _query(status, journey_id))


def _query(status: str, journey_id: str | None) -> str:
    return f"status={status}" + (f"&journey_id={journey_id}" if journey_id else "")


async def open_count(metrics: MetricsClient, journey_id: str | None) -> int:
    """How many incidents are open (up to the number the dashboard shows)."""
    page = await metrics.incidents(status="open", journey_id=journey_id, limit=OPEN_READ)
    return len(page.items)


@router.get("/incidents/count")
async def incidents_count(
    request: Request,
    user: Staff,
    metrics: MetricsDep,
    journey_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The open count, as the badge the dashboard shows; it asks again on `incident-changed`."""
    if not is_htmx(request):
        return redirect_for(request, "/incidents?status=open")
    parts = await fetch(count=open_count(metrics, journey_id or None))
    return render(
        request,
        "incidents/_count.html",
        {"open_count": parts["count"], "journey_id": journey_id or ""},
    )


def _back(to: str) -> str:
    """Where a plain form post returns: a page of this site, the dashboard by default."""
    return to if to.startswith(("/dashboard", "/incidents")) and "//" not in to else "/dashboard"


@router.post("/incidents/{incident_id}/acknowledge")
async def acknowledge_incident(
    request: Request,
    user: Editor,
    metrics: MetricsDep,
    incident_id: str,
    version: Annotated[int, Form()],
    note: Annotated[str, Form(max_length=5000)] = "",
    back: Annotated[str, Form(max_length=500)] = "/dashboard",
) -> Response:
    return await _update(
        request, metrics, user.user.email, incident_id, "acknowledged", version, note, back
    )


@router.post("/incidents/{incident_id}/resolve")
async def resolve_incident(
    request: Request,
    user: Editor,
    metrics: MetricsDep,
    incident_id: str,
    version: Annotated[int, Form()],
    reason: Annotated[str, Form(min_length=1, max_length=5000)],
    back: Annotated[str, Form(max_length=500)] = "/dashboard",
) -> Response:
    return await _update(
        request, metrics, user.user.email, incident_id, "resolved", version, reason, back
    )


async def _update(
    request: Request,
    metrics: MetricsClient,
    actor: str,
    incident_id: str,
    status: str,
    version: int,
    note: str,
    back: str,
) -> Response:
    try:
        incident = await metrics.update_incident(
            incident_id, status=status, version=version, note=note, acting_user=actor
        )
        message = ""
    except UpstreamConflict as exc:
        incident = await metrics.get_incident(incident_id)
        message = exc.detail
    if not is_htmx(request):
        return redirect_for(request, _back(back))
    context: dict[str, Any] = {
        "incident": incident,
        "message": message,
        "back": _back(back),
    }
    response = render(
        request, "dashboard/_incident.html", context, status_code=409 if message else 200
    )
    response.headers["HX-Trigger"] = INCIDENT_CHANGED
    return response
