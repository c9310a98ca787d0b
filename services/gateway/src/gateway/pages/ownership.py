"""Who owns what: touchpoints without an owner, handoffs between teams, each owner's load and
journeys overdue for review, each with a way to fix it on the spot."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from cxshared.client import UpstreamConflict, UpstreamInvalid
from gateway.auth import Editor, Staff
from gateway.clients.journey import JourneyClient
from gateway.clients.metrics import MetricsClient
from gateway.clients.models import JourneySummary, Review, Touchpoint
from gateway.dependencies import JourneyDep, MetricsDep
from gateway.improvement import Flagged, review_flags
from gateway.pages.common import fetch
from gateway.web import is_htmx, redirect_for, render

router = APIRouter()

# Sent after an owner is saved in place; the page's report listens, and fetches itself again.
TOUCHPOINT_CHANGED = "touchpoint-changed"


async def _page(
    request: Request,
    journey: JourneyClient,
    metrics: MetricsClient,
    journey_id: str | None,
    *,
    include_drafts: bool = False,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """Live current-state journeys only, unless `include_drafts` (docs/journey.md)."""
    parts = await fetch(
        report=journey.ownership(journey_id=journey_id, include_drafts=include_drafts),
        overdue=journey.overdue_reviews(include_drafts=include_drafts),
        teams=journey.list_teams(),
        journeys=journey.list_journeys(),
    )
    journeys = parts["journeys"] or []
    flags = await fetch(flags=review_flags(journey, metrics, [j.id for j in journeys]))
    return render(
        request,
        "ownership/index.html",
        {
            "title": "Ownership",
            "report": parts["report"],
            "reviews": _to_review(journeys, parts["overdue"] or [], flags["flags"] or {}),
            "teams": parts["teams"] or [],
            "journeys": parts["journeys"] or [],
            "journey_id": journey_id or "",
            "include_drafts": include_drafts,
            "versions": {j.id: j.version for j in parts["journeys"] or []},
            "notices": parts.notices() + flags.notices(),
            "errors": {},
            **extra,
        },
        status_code=status_code,
    )


@dataclass(frozen=True)
class ToReview:
    """A journey that needs a review: overdue by its cadence, or flagged by what cxloop
    measured (reasons no review has dealt with), or both."""

    journey: JourneySummary
    overdue: dict[str, Any] | None
    reasons: list[dict[str, Any]]
    latest: Review | None


def _to_review(
    journeys: list[JourneySummary], overdue: list[dict[str, Any]], flags: dict[str, Flagged]
) -> list[ToReview]:
    late = {r["journey_id"]: r for r in overdue}
    rows = []
    for summary in journeys:
        flagged = flags.get(summary.id)
        reasons = flagged.reasons if flagged else []
        if summary.id in late or reasons:
            rows.append(
                ToReview(
                    summary, late.get(summary.id), reasons, flagged.latest if flagged else None
                )
            )
    return sorted(rows, key=lambda r: (-len(r.reasons), -(r.overdue or {}).get("days_overdue", 0)))


@router.get("/ownership")
async def ownership(
    request: Request,
    user: Staff,
    journey: JourneyDep,
    metrics: MetricsDep,
    journey_id: Annotated[str | None, Query(max_length=64)] = None,
    drafts: Annotated[bool, Query(description="Also drafts and future states")] = False,
) -> Response:
    return await _page(request, journey, metrics, journey_id or None, include_drafts=drafts)


@router.get("/ownership/touchpoints/{touchpoint_id}/assign")
async def owner_form(
    request: Request, user: Staff, journey: JourneyDep, touchpoint_id: str
) -> Response:
    if not is_htmx(request):
        return redirect_for(request, f"/touchpoints/{touchpoint_id}/edit")
    touchpoint = await journey.get_touchpoint(touchpoint_id)
    return await _owner_form(request, journey, touchpoint)


@router.post("/touchpoints/{touchpoint_id}/owner")
async def assign_owner(
    request: Request,
    user: Editor,
    journey: JourneyDep,
    touchpoint_id: str,
    version: Annotated[int, Form()],
    owner_team_id: Annotated[str, Form(max_length=64)] = "",
    owner_name: Annotated[str, Form(max_length=200)] = "",
    owner_email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    """Only the owner fields of a touchpoint: the gap is fixed where it is listed."""
    changes = {
        "owner_team_id": owner_team_id or None,
        "owner_name": owner_name.strip(),
        "owner_email": owner_email.strip() or None,
    }
    form = {
        "version": str(version),
        "owner_team_id": owner_team_id,
        "owner_name": owner_name,
        "owner_email": owner_email,
    }
    try:
        touchpoint = await journey.update_touchpoint(
            touchpoint_id, version=version, changes=changes, acting_user=user.user.email
        )
    except UpstreamConflict:
        # Saved by someone else first: say who, keep what was typed, overwrite nothing.
        current = await journey.get_touchpoint(touchpoint_id)
        return await _owner_form(
            request, journey, current, values=form, conflict=current, status_code=412
        )
    except UpstreamInvalid as exc:
        current = await journey.get_touchpoint(touchpoint_id)
        return await _owner_form(
            request, journey, current, values=form, error=exc.detail, status_code=422
        )
    if not is_htmx(request):
        return redirect_for(request, "/ownership")
    # What the touchpoint still lacks, as the report says, for its row.
    report = await journey.ownership(journey_id=touchpoint.journey_id, include_drafts=False)
    gap = next((g for g in report["gaps"] if g["touchpoint_id"] == touchpoint_id), None)
    response = await _owner_form(
        request, journey, touchpoint, missing=gap["missing"] if gap else []
    )
    response.headers["HX-Trigger"] = TOUCHPOINT_CHANGED
    return response


async def _owner_form(
    request: Request,
    journey: JourneyClient,
    touchpoint: Touchpoint,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    teams = await journey.list_teams()
    context = {"tp": touchpoint, "teams": teams, "values": {}, "error": "", "conflict": None}
    return render(
        request, "ownership/_assigned.html", {**context, **extra}, status_code=status_code
    )


@router.post("/journeys/{journey_id}/reviews")
async def record_review(
    request: Request,
    user: Editor,
    journey: JourneyDep,
    metrics: MetricsDep,
    journey_id: str,
    decision: Annotated[str, Form(max_length=5000)] = "",
    acknowledged: Annotated[list[str] | None, Form(max_length=200)] = None,
) -> Response:
    """Records a review: who (the signed-in user), today, what was decided, and the reasons it
    dealt with, which then no longer flag the journey."""
    error = ""
    if not decision.strip():
        error = "Say what the review decided: it is kept with the journey."
    else:
        try:
            await journey.create_review(
                journey_id,
                fields={"decision": decision.strip(), "acknowledged": acknowledged or []},
                acting_user=user.user.email,
            )
        except (UpstreamConflict, UpstreamInvalid) as exc:
            error = exc.detail
    if error:
        return await _page(
            request, journey, metrics, None, errors={journey_id: error}, status_code=422
        )
    return redirect_for(request, "/ownership#reviews-title")
