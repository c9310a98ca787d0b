"""Alerts: every alert by status (open, acknowledged, resolved), so one acknowledged on the
dashboard can be found again; acknowledging one in place; and the open count that the
dashboard's header asks for again when an alert changes (the `alert-changed` event)."""

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from cxshared.client import UpstreamConflict, UpstreamInvalid
from gateway.auth import Editor, Staff
from gateway.clients.models import Alert, Comment, Filters
from gateway.pages.common import fetch, journey_client, metrics_client
from gateway.web import is_htmx, redirect_for, render

router = APIRouter()

ALERT_CHANGED = "alert-changed"
# Under an alert: the three comments said most often among the newest fifty behind it.
ALERT_COMMENTS = 3
ALERT_COMMENTS_READ = 50
# The open alerts a count reads: the dashboard shows as many.
OPEN_READ = 50
STATUSES = {
    "open": "Open",
    "acknowledged": "Acknowledged",
    "resolved": "Resolved",
    "": "All",
}
PAGE_SIZE = 20


@dataclass(frozen=True)
class Said:
    """A comment (the newest of its wording) and how many of the comments read said it."""

    comment: Comment
    times: int


def _wording(text: str) -> str:
    """What two comments share when they say the same: case, spacing and the final full
    stop or exclamation mark aside."""
    return " ".join(text.casefold().split()).rstrip(".!")


def most_said(comments: list[Comment], limit: int) -> list[Said]:
    """The `limit` wordings said most often in `comments` (newest first), each with its
    newest comment; a tie goes to the more recent."""
    by_wording: dict[str, list[Comment]] = {}
    for comment in comments:
        by_wording.setdefault(_wording(comment.comment), []).append(comment)
    ranked = sorted(by_wording.values(), key=len, reverse=True)
    return [Said(group[0], len(group)) for group in ranked[:limit]]


async def comments_behind(request: Request, alert: Alert) -> list[Said]:
    """The comments at the alert's touchpoint in the window its evidence covers, those said
    most often first: for an NPS alert those of detractors, for the others the negative ones."""
    window = alert.evidence.get("window") or {}
    comments = await metrics_client(request).comments(
        filters=Filters(),
        touchpoint_id=alert.touchpoint_id,
        start=date.fromisoformat(window["from"]) if "from" in window else None,
        band="detractor" if alert.metric == "nps" else None,
        sentiment=None if alert.metric == "nps" else "negative",
        limit=ALERT_COMMENTS_READ,
    )
    return most_said(comments, ALERT_COMMENTS)


@router.get("/alerts")
async def alerts_page(
    request: Request,
    user: Staff,
    status: Annotated[str, Query(max_length=20)] = "acknowledged",
    journey_id: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """Alerts of one status (or all), newest first, a page at a time."""
    status = status if status in STATUSES else "acknowledged"
    metrics = metrics_client(request)
    notices: list[str] = []
    try:
        parts = await fetch(
            page=metrics.alerts(
                status=status or None,
                journey_id=journey_id or None,
                cursor=cursor or None,
                limit=PAGE_SIZE,
            ),
            journeys=journey_client(request).list_journeys(),
        )
    except UpstreamInvalid:  # a cursor from an older list, or edited by hand
        return redirect_for(request, "/alerts?" + _query(status, journey_id))
    notices.extend(parts.notices())
    page = parts["page"]
    alerts: list[Alert] = page.items if page else []
    journeys = parts["journeys"] or []
    context = {
        "title": "Alerts",
        "alerts": alerts,
        "status": status,
        "statuses": STATUSES,
        "journey_id": journey_id or "",
        "journeys": journeys,
        "journey_names": {j.id: j.name for j in journeys},
        "next_url": f"/alerts?{_query(status, journey_id)}&cursor={page.next_cursor}"
        if page and page.next_cursor
        else None,
        "first_url": f"/alerts?{_query(status, journey_id)}" if cursor else None,
        "metrics_missing": page is None,
        "notices": notices,
    }
    return render(request, "alerts/index.html", context)


def _query(status: str, journey_id: str | None) -> str:
    return f"status={status}" + (f"&journey_id={journey_id}" if journey_id else "")


async def open_count(request: Request, journey_id: str | None) -> int:
    """How many alerts are open (up to the number the dashboard shows)."""
    page = await metrics_client(request).alerts(
        status="open", journey_id=journey_id, limit=OPEN_READ
    )
    return len(page.items)


@router.get("/alerts/count")
async def alerts_count(
    request: Request,
    user: Staff,
    journey_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The open count, as the badge the dashboard shows; it asks again on `alert-changed`."""
    if not is_htmx(request):
        return redirect_for(request, "/alerts?status=open")
    parts = await fetch(count=open_count(request, journey_id or None))
    return render(
        request,
        "alerts/_count.html",
        {"open_count": parts["count"], "journey_id": journey_id or ""},
    )


def _back(to: str) -> str:
    """Where a plain form post returns: a page of this site, the dashboard by default."""
    return to if to.startswith(("/dashboard", "/alerts")) and "//" not in to else "/dashboard"


@router.post("/alerts/{alert_id}/acknowledge")
async def acknowledge_alert(
    request: Request,
    user: Editor,
    alert_id: str,
    version: Annotated[int, Form()],
    note: Annotated[str, Form(max_length=5000)] = "",
    back: Annotated[str, Form(max_length=500)] = "/dashboard",
) -> Response:
    metrics = metrics_client(request)
    try:
        alert = await metrics.acknowledge_alert(
            alert_id, version=version, note=note, acting_user=user.user.email
        )
        message = ""
    except UpstreamConflict as exc:
        alert = await metrics.get_alert(alert_id)
        message = exc.detail
    if not is_htmx(request):
        return redirect_for(request, _back(back))
    parts = await fetch(behind=comments_behind(request, alert))
    context: dict[str, Any] = {
        "alert": alert,
        "behind": parts["behind"] or [],
        "message": message,
        "back": _back(back),
    }
    response = render(
        request, "dashboard/_alert.html", context, status_code=409 if message else 200
    )
    response.headers["HX-Trigger"] = ALERT_CHANGED
    return response
