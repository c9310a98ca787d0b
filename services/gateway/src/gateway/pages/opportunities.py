"""A journey's opportunities as a board: open, in progress, done, dismissed; each with its
value, effort, priority and the responses that show it."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from cxshared.client import UpstreamConflict, UpstreamInvalid
from gateway.auth import Editor, Staff
from gateway.clients.feedback import FeedbackClient
from gateway.clients.journey import JourneyClient
from gateway.dependencies import FeedbackDep, JourneyDep
from gateway.pages.common import fetch
from gateway.web import is_htmx, redirect_for, render

router = APIRouter()

COLUMNS = {"open": "Open", "in_progress": "In progress", "done": "Done", "dismissed": "Dismissed"}
KINDS = {"pain_point": "Pain point", "unmet_need": "Unmet need", "idea": "Idea"}
EVIDENCE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
BANDS = {
    "detractor": "detractors (0-6)",
    "passive": "passives (7-8)",
    "promoter": "promoters (9-10)",
}
EVIDENCE_OFFERED = 20


async def _board(
    request: Request,
    journey: JourneyClient,
    journey_id: str,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    parts = await fetch(
        journey=journey.get_journey(journey_id), items=journey.list_opportunities(journey_id)
    )
    items = sorted(parts["items"] or [], key=lambda o: -o.priority)
    places: dict[str, str] = {}
    if parts["journey"]:
        for stage in parts["journey"].stages:
            places[stage.id] = stage.name
            for tp in stage.touchpoints:
                places[tp.id] = f"{stage.name}: {tp.name}"
    context = {
        "title": "Opportunities",
        "journey": parts["journey"],
        "journey_id": journey_id,
        "columns": {key: [o for o in items if o.status == key] for key in COLUMNS},
        "column_names": COLUMNS,
        "kinds": KINDS,
        "places": places,
        "notices": parts.notices(),
        "errors": {},
        "values": {},
        "found": None,
        "picked": [],
        "bands": BANDS,
        **extra,
    }
    template = "opportunities/_board.html" if is_htmx(request) else "opportunities/index.html"
    return render(request, template, context, status_code=status_code)


@router.get("/opportunities")
async def all_opportunities(request: Request, user: Staff, journey: JourneyDep) -> Response:
    """Every journey with its opportunities counted by status and its three open ones with the
    highest priority; each journey's board is a click away."""
    parts = await fetch(journeys=journey.list_journeys())
    journeys = parts["journeys"] or []
    boards = await fetch(**{j.id: journey.list_opportunities(j.id) for j in journeys})
    rows = []
    for summary in sorted(journeys, key=lambda j: (j.state != "current", j.name)):
        items = boards[summary.id] or []
        open_items = sorted((o for o in items if o.status == "open"), key=lambda o: -o.priority)
        rows.append(
            {
                "journey": summary,
                "counts": {key: sum(1 for o in items if o.status == key) for key in COLUMNS},
                "top": open_items[:3],
            }
        )
    context = {
        "title": "Opportunities",
        "rows": rows,
        "column_names": COLUMNS,
        "notices": parts.notices() + boards.notices(),
    }
    return render(request, "opportunities/all.html", context)


@router.get("/journeys/{journey_id}/opportunities")
async def opportunities(
    request: Request, user: Staff, journey: JourneyDep, journey_id: str
) -> Response:
    return await _board(request, journey, journey_id)


def _number(raw: str, low: int, high: int) -> int | None:
    return int(raw) if raw.isdigit() and low <= int(raw) <= high else None


@router.post("/journeys/{journey_id}/opportunities")
async def add_opportunity(
    request: Request,
    user: Editor,
    journey: JourneyDep,
    feedback: FeedbackDep,
    journey_id: str,
    place: Annotated[str, Form(max_length=64)] = "",
    title: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=20)] = "idea",
    customer_value: Annotated[str, Form(max_length=3)] = "",
    business_value: Annotated[str, Form(max_length=3)] = "",
    effort: Annotated[str, Form(max_length=1)] = "",
    evidence: Annotated[str, Form(max_length=20000)] = "",
    picked: Annotated[list[str] | None, Form(max_length=64)] = None,
    find_text: Annotated[str, Form(max_length=200)] = "",
    find_band: Annotated[str, Form(max_length=20)] = "",
    find: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    values = {
        "place": place,
        "title": title,
        "kind": kind,
        "customer_value": customer_value,
        "business_value": business_value,
        "effort": effort,
        "evidence": evidence,
        "find_text": find_text,
        "find_band": find_band,
    }
    chosen = [i for i in picked or [] if EVIDENCE_ID.fullmatch(i)]
    if find:
        found = await _find_evidence(journey, feedback, journey_id, place, find_text, find_band)
        return await _board(request, journey, journey_id, values=values, found=found, picked=chosen)
    errors: dict[str, str] = {}
    fields: dict[str, Any] = {"title": title.strip(), "kind": kind if kind in KINDS else "idea"}
    for name, raw, low, high in (
        ("customer_value", customer_value, 0, 100),
        ("business_value", business_value, 0, 100),
        ("effort", effort, 0, 5),
    ):
        if raw.strip():
            number = _number(raw.strip(), low, high)
            if number is None:
                errors[name] = f"a whole number from {low} to {high}"
            fields[name] = number
    ids = [i for i in re.split(r"[\s,]+", evidence) if i]
    if any(not EVIDENCE_ID.fullmatch(i) for i in ids):
        errors["evidence"] = "response ids, separated by spaces or commas"
    fields["evidence"] = list(dict.fromkeys(chosen + ids))
    if not fields["title"]:
        errors["title"] = "Give it a title."
    if not place:
        errors["place"] = "Choose the stage or touchpoint it belongs to."
    if not errors:
        document = await journey.get_journey(journey_id)
        stage_ids = {s.id for s in document.stages}
        try:
            await journey.create_opportunity(
                stage_id=place if place in stage_ids else None,
                touchpoint_id=None if place in stage_ids else place,
                fields=fields,
                acting_user=user.user.email,
            )
        except UpstreamInvalid as exc:
            errors = {k.split(".")[0]: v for k, v in exc.field_errors.items()} or {
                "title": exc.detail
            }
    if errors:
        return await _board(
            request,
            journey,
            journey_id,
            status_code=422,
            errors=errors,
            values=values,
            picked=chosen,
        )
    if not is_htmx(request):
        return redirect_for(request, f"/journeys/{journey_id}/opportunities")
    return await _board(request, journey, journey_id)


@dataclass(frozen=True)
class Found:
    """A response offered as evidence: when, its NPS answer and what the customer wrote."""

    id: str
    at: datetime | None
    nps: int | None
    said: str


async def _find_evidence(
    journey: JourneyClient,
    feedback: FeedbackClient,
    journey_id: str,
    place: str,
    text: str,
    band: str,
) -> list[Found]:
    """The newest complete responses at the chosen touchpoint (any, for a stage or none) whose
    comment contains `text`, in the NPS `band` when one is chosen."""
    document = await journey.get_journey(journey_id)
    touchpoints = {t.id for s in document.stages for t in s.touchpoints}
    params = {
        "status": "complete",
        "touchpoint_id": place if place in touchpoints else None,
        "text": text.strip() or None,
        "band": band if band in BANDS else None,
        "limit": EVIDENCE_OFFERED,
    }
    try:
        items, _ = await feedback.list_responses(params)
    except UpstreamInvalid:
        return []
    return [
        Found(
            id=item.id,
            at=item.completed_at or item.submitted_at,
            nps=next((v for v in item.answers.values() if type(v) is int), None),
            said=" ".join(v for v in item.answers.values() if isinstance(v, str)),
        )
        for item in items
    ]


@router.post("/opportunities/{opportunity_id}/status")
async def move_opportunity(
    request: Request,
    user: Editor,
    journey: JourneyDep,
    opportunity_id: str,
    journey_id: Annotated[str, Form(max_length=64)],
    version: Annotated[int, Form()],
    status: Annotated[str, Form(max_length=20)],
) -> Response:
    errors = {}
    if status in COLUMNS:
        try:
            await journey.update_opportunity(
                opportunity_id,
                version=version,
                changes={"status": status},
                acting_user=user.user.email,
            )
        except UpstreamConflict as exc:
            errors[opportunity_id] = exc.detail
    if not is_htmx(request) and not errors:
        return redirect_for(request, f"/journeys/{journey_id}/opportunities")
    return await _board(
        request, journey, journey_id, errors=errors, status_code=412 if errors else 200
    )


@router.get("/responses/{response_id}")
async def response_detail(
    request: Request, user: Staff, feedback: FeedbackDep, response_id: str
) -> Response:
    """One response, as evidence: what the customer answered to each question."""
    found = await feedback.get_response(response_id)
    parts = await fetch(survey=feedback.get_survey(found.survey_id))
    return render(
        request,
        "opportunities/response.html",
        {"title": "Response", "response": found, "survey": parts["survey"]},
    )
