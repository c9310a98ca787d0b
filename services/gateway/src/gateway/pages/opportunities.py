"""A journey's opportunities as a board: open, in progress, done, dismissed; each with its
value, effort, priority and the responses that show it."""

import re
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from cxshared.client import UpstreamConflict, UpstreamInvalid, UpstreamNotFound
from gateway.auth import Editor, Staff
from gateway.clients.feedback import FeedbackClient
from gateway.clients.journey import JourneyClient
from gateway.clients.metrics import MetricsClient
from gateway.dependencies import FeedbackDep, JourneyDep, MetricsDep
from gateway.improvement import (
    ACTION_MOVES,
    ACTION_STATES,
    VERDICTS,
    measured_effect,
    places,
    priority_items,
    rank,
)
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
    metrics: MetricsClient,
    journey_id: str,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    parts = await fetch(
        journey=journey.get_journey(journey_id),
        items=journey.list_opportunities(journey_id),
        actions=journey.list_actions(journey_id),
    )
    document = parts["journey"]
    items = parts["items"] or []
    actions = parts["actions"] or []
    shipped = [a for a in actions if a.state == "shipped" and a.shipped_at]
    measured = await fetch(
        priorities=metrics.priorities(journey_id, priority_items(items, document)),
        **{f"effect-{a.id}": measured_effect(metrics, a, document) for a in shipped},
    )
    data = measured["priorities"] or {}
    ranked = sorted((rank(o, data.get(o.id)) for o in items), key=lambda r: -r.priority)
    titles = {o.id: o.title for o in items}
    answered: dict[str, list[Any]] = {}
    for action in actions:
        for opportunity_id in action.opportunity_ids:
            answered.setdefault(opportunity_id, []).append(action)
    context = {
        "title": "Opportunities",
        "journey": document,
        "journey_id": journey_id,
        "columns": {key: [r for r in ranked if r.opportunity.status == key] for key in COLUMNS},
        "column_names": COLUMNS,
        "kinds": KINDS,
        "places": places(document),
        "notices": parts.notices() + measured.notices(),
        "errors": {},
        "values": {},
        "found": None,
        "picked": [],
        "bands": BANDS,
        "actions": {key: [a for a in actions if a.state == key] for key in ACTION_STATES},
        "action_states": ACTION_STATES,
        "action_moves": ACTION_MOVES,
        "effects": {a.id: measured[f"effect-{a.id}"] for a in shipped},
        "verdicts": VERDICTS,
        "titles": titles,
        "answered": answered,
        "today": date.today(),
        **extra,
    }
    template = "opportunities/_board.html" if is_htmx(request) else "opportunities/index.html"
    return render(request, template, context, status_code=status_code)


@router.get("/opportunities")
async def all_opportunities(
    request: Request, user: Staff, journey: JourneyDep, metrics: MetricsDep
) -> Response:
    """Every journey with its opportunities counted by status and its three open ones with the
    highest priority, ranked as on its board; each journey's board is a click away."""
    parts = await fetch(journeys=journey.list_journeys())
    journeys = parts["journeys"] or []
    boards = await fetch(
        **{j.id: journey.list_opportunities(j.id) for j in journeys},
        **{f"map-{j.id}": journey.get_journey(j.id) for j in journeys},
    )
    opened = {j.id: [o for o in boards[j.id] or [] if o.status == "open"] for j in journeys}
    measured = await fetch(
        **{
            j.id: metrics.priorities(j.id, priority_items(opened[j.id], boards[f"map-{j.id}"]))
            for j in journeys
        }
    )
    rows = []
    for summary in sorted(journeys, key=lambda j: (j.state != "current", j.name)):
        items = boards[summary.id] or []
        data = measured[summary.id] or {}
        ranked = sorted(
            (rank(o, data.get(o.id)) for o in opened[summary.id]), key=lambda r: -r.priority
        )
        rows.append(
            {
                "journey": summary,
                "counts": {key: sum(1 for o in items if o.status == key) for key in COLUMNS},
                "top": ranked[:3],
            }
        )
    context = {
        "title": "Opportunities",
        "rows": rows,
        "column_names": COLUMNS,
        "notices": parts.notices() + boards.notices() + measured.notices(),
    }
    return render(request, "opportunities/all.html", context)


@router.get("/journeys/{journey_id}/opportunities")
async def opportunities(
    request: Request, user: Staff, journey: JourneyDep, metrics: MetricsDep, journey_id: str
) -> Response:
    return await _board(request, journey, metrics, journey_id)


def _number(raw: str, low: int, high: int) -> int | None:
    return int(raw) if raw.isdigit() and low <= int(raw) <= high else None


@router.post("/journeys/{journey_id}/opportunities")
async def add_opportunity(
    request: Request,
    user: Editor,
    journey: JourneyDep,
    feedback: FeedbackDep,
    metrics: MetricsDep,
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
        return await _board(
            request, journey, metrics, journey_id, values=values, found=found, picked=chosen
        )
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
            errors = _upstream_errors(exc, "title")
    if errors:
        return await _board(
            request,
            journey,
            metrics,
            journey_id,
            status_code=422,
            errors=errors,
            values=values,
            picked=chosen,
        )
    if not is_htmx(request):
        return redirect_for(request, f"/journeys/{journey_id}/opportunities")
    return await _board(request, journey, metrics, journey_id)


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
    metrics: MetricsDep,
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
    return await _after_write(request, journey, metrics, journey_id, errors, 412)


async def _after_write(
    request: Request,
    journey: JourneyClient,
    metrics: MetricsClient,
    journey_id: str,
    errors: dict[str, str],
    status_code: int,
    **extra: Any,
) -> Response:
    """The board again (or a redirect to it for a plain form that worked)."""
    if not is_htmx(request) and not errors:
        return redirect_for(request, f"/journeys/{journey_id}/opportunities")
    return await _board(
        request,
        journey,
        metrics,
        journey_id,
        errors=errors,
        status_code=status_code if errors else 200,
        **extra,
    )


def _upstream_errors(exc: UpstreamInvalid, fallback: str) -> dict[str, str]:
    return {k.split(".")[0]: v for k, v in exc.field_errors.items()} or {fallback: exc.detail}


async def _saving(errors: dict[str, str], key: str, write: Awaitable[Any]) -> None:
    """Awaits a change to one card; what the backend refused becomes that card's error."""
    try:
        await write
    except UpstreamConflict as exc:
        errors[key] = exc.detail
    except UpstreamInvalid as exc:
        errors[key] = "; ".join(_upstream_errors(exc, "").values())


@router.post("/opportunities/{opportunity_id}/priority")
async def override_priority(
    request: Request,
    user: Editor,
    journey: JourneyDep,
    metrics: MetricsDep,
    opportunity_id: str,
    journey_id: Annotated[str, Form(max_length=64)],
    version: Annotated[int, Form()],
    priority: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
    clear: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    """Sets the priority by hand, with the reason kept in the opportunity's history; or clears
    the override, so the priority from data (or the hand-set values) stands again."""
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {"priority_override": None}
    if not clear:
        try:
            value = float(priority.strip())
        except ValueError:
            value = -1.0
        if not 0 <= value <= 100:
            errors[opportunity_id] = "The priority is a number from 0 to 100."
        elif not reason.strip():
            errors[opportunity_id] = "Say why the priority is set by hand: the reason is kept."
        changes = {"priority_override": value, "priority_reason": reason.strip()}
    if not errors:
        await _saving(
            errors,
            opportunity_id,
            journey.update_opportunity(
                opportunity_id, version=version, changes=changes, acting_user=user.user.email
            ),
        )
    # What was typed stays in the form when it is refused.
    values = {f"override_{opportunity_id}": (priority, reason)} if errors else {}
    return await _after_write(request, journey, metrics, journey_id, errors, 422, values=values)


@router.post("/journeys/{journey_id}/actions")
async def add_action(
    request: Request,
    user: Editor,
    journey: JourneyDep,
    metrics: MetricsDep,
    journey_id: str,
    title: Annotated[str, Form(max_length=200)] = "",
    touchpoint_ids: Annotated[list[str] | None, Form(max_length=64)] = None,
    opportunity_id: Annotated[str, Form(max_length=64)] = "",
    owner_name: Annotated[str, Form(max_length=200)] = "",
    due_date: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Plans an action: what changes, at which touchpoints, answering which opportunity."""
    values = {
        "action_title": title,
        "action_touchpoints": touchpoint_ids or [],
        "action_opportunity": opportunity_id,
        "action_owner": owner_name,
        "action_due": due_date,
    }
    errors: dict[str, str] = {}
    fields: dict[str, Any] = {
        "title": title.strip(),
        "touchpoint_ids": list(dict.fromkeys(touchpoint_ids or [])),
        "opportunity_ids": [opportunity_id] if opportunity_id else [],
        "owner_name": owner_name.strip(),
    }
    if not fields["title"]:
        errors["action_title"] = "Give it a title."
    if not fields["touchpoint_ids"]:
        errors["action_touchpoints"] = "Choose the touchpoints it changes: its effect is "
        errors["action_touchpoints"] += "measured there."
    if due_date:
        try:
            fields["due_date"] = date.fromisoformat(due_date).isoformat()
        except ValueError:
            errors["action_due"] = "A date, like 2027-01-31."
    if not errors:
        try:
            await journey.create_action(journey_id, fields=fields, acting_user=user.user.email)
        except UpstreamInvalid as exc:
            found = _upstream_errors(exc, "title")
            errors = {f"action_{k.removesuffix('_ids')}": v for k, v in found.items()}
    if errors:
        return await _board(
            request, journey, metrics, journey_id, status_code=422, errors=errors, values=values
        )
    return await _after_write(request, journey, metrics, journey_id, errors, 200)


@router.post("/actions/{action_id}/state")
async def move_action(
    request: Request,
    user: Editor,
    journey: JourneyDep,
    metrics: MetricsDep,
    action_id: str,
    journey_id: Annotated[str, Form(max_length=64)],
    version: Annotated[int, Form()],
    state: Annotated[str, Form(max_length=20)],
    shipped_on: Annotated[str, Form(max_length=10)] = "",
    back: Annotated[str, Form(max_length=10)] = "",
    correct: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    """Moves an action on; shipping takes the day it reached customers (today by default), from
    which its effect is measured."""
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {"state": state}
    if state == "shipped" and not shipped_on:
        errors[action_id] = "Give the day it shipped: its effect is measured from that day."
    elif state == "shipped":
        try:
            day = date.fromisoformat(shipped_on)
        except ValueError:
            errors[action_id] = "The ship date is a date, like 2027-01-31."
        else:
            if day > date.today():
                errors[action_id] = "The ship date cannot be in the future."
            elif day < date.today():
                changes["shipped_at"] = f"{day.isoformat()}T12:00:00Z"
            elif correct:  # moved to today: its start, which has passed
                changes["shipped_at"] = f"{day.isoformat()}T00:00:00Z"
    if state not in ACTION_STATES:
        errors[action_id] = "Choose a state."
    if not errors:
        await _saving(
            errors,
            action_id,
            journey.update_action(
                action_id, version=version, changes=changes, acting_user=user.user.email
            ),
        )
    if back == "action" and not is_htmx(request):
        if errors:  # said on the action's own page, where the form was
            return redirect_for(
                request, f"/actions/{action_id}?{urlencode({'error': errors[action_id]})}"
            )
        return redirect_for(request, f"/actions/{action_id}")
    return await _after_write(request, journey, metrics, journey_id, errors, 409)


@router.get("/responses/{response_id}")
async def response_detail(
    request: Request,
    user: Staff,
    feedback: FeedbackDep,
    metrics: MetricsDep,
    response_id: str,
) -> Response:
    """One response, as evidence: what the customer answered to each question. An answer
    imported into metrics (no survey of cxloop took it) shows as metrics counts it."""
    try:
        found = await feedback.get_response(response_id)
    except UpstreamNotFound:
        imported = await metrics.answer(response_id)
        return render(request, "opportunities/answer.html", {"title": "Answer", "answer": imported})
    parts = await fetch(survey=feedback.get_survey(found.survey_id))
    return render(
        request,
        "opportunities/response.html",
        {"title": "Response", "response": found, "survey": parts["survey"]},
    )
