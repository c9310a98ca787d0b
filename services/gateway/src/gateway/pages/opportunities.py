"""A journey's opportunities as a board: open, in progress, done, dismissed; each with its
value, effort, priority and the responses that show it."""

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from cxshared.client import UpstreamConflict, UpstreamInvalid
from gateway.auth import Editor, Staff
from gateway.pages.common import feedback_client, fetch, journey_client
from gateway.web import is_htmx, redirect_for, render

router = APIRouter()

COLUMNS = {"open": "Open", "in_progress": "In progress", "done": "Done", "dismissed": "Dismissed"}
KINDS = {"pain_point": "Pain point", "unmet_need": "Unmet need", "idea": "Idea"}
EVIDENCE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


async def _board(
    request: Request, journey_id: str, *, status_code: int = 200, **extra: Any
) -> Response:
    journey = journey_client(request)
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
        **extra,
    }
    template = "opportunities/_board.html" if is_htmx(request) else "opportunities/index.html"
    return render(request, template, context, status_code=status_code)


@router.get("/journeys/{journey_id}/opportunities")
async def opportunities(request: Request, user: Staff, journey_id: str) -> Response:
    return await _board(request, journey_id)


def _number(raw: str, low: int, high: int) -> int | None:
    return int(raw) if raw.isdigit() and low <= int(raw) <= high else None


@router.post("/journeys/{journey_id}/opportunities")
async def add_opportunity(
    request: Request,
    user: Editor,
    journey_id: str,
    place: Annotated[str, Form(max_length=64)] = "",
    title: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=20)] = "idea",
    customer_value: Annotated[str, Form(max_length=3)] = "",
    business_value: Annotated[str, Form(max_length=3)] = "",
    effort: Annotated[str, Form(max_length=1)] = "",
    evidence: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    values = {
        "place": place,
        "title": title,
        "kind": kind,
        "customer_value": customer_value,
        "business_value": business_value,
        "effort": effort,
        "evidence": evidence,
    }
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
    fields["evidence"] = ids
    if not fields["title"]:
        errors["title"] = "Give it a title."
    if not place:
        errors["place"] = "Choose the stage or touchpoint it belongs to."
    if not errors:
        journey = journey_client(request)
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
        return await _board(request, journey_id, status_code=422, errors=errors, values=values)
    if not is_htmx(request):
        return redirect_for(request, f"/journeys/{journey_id}/opportunities")
    return await _board(request, journey_id)


@router.post("/opportunities/{opportunity_id}/status")
async def move_opportunity(
    request: Request,
    user: Editor,
    opportunity_id: str,
    journey_id: Annotated[str, Form(max_length=64)],
    version: Annotated[int, Form()],
    status: Annotated[str, Form(max_length=20)],
) -> Response:
    errors = {}
    if status in COLUMNS:
        try:
            await journey_client(request).update_opportunity(
                opportunity_id,
                version=version,
                changes={"status": status},
                acting_user=user.user.email,
            )
        except UpstreamConflict as exc:
            errors[opportunity_id] = exc.detail
    if not is_htmx(request) and not errors:
        return redirect_for(request, f"/journeys/{journey_id}/opportunities")
    return await _board(request, journey_id, errors=errors, status_code=412 if errors else 200)


@router.get("/responses/{response_id}")
async def response_detail(request: Request, user: Staff, response_id: str) -> Response:
    """One response, as evidence: what the customer answered to each question."""
    feedback = feedback_client(request)
    found = await feedback.get_response(response_id)
    parts = await fetch(survey=feedback.get_survey(found.survey_id))
    return render(
        request,
        "opportunities/response.html",
        {"title": "Response", "response": found, "survey": parts["survey"]},
    )
