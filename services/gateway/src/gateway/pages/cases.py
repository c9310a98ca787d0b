"""Cases (docs/cases.md): the inbox with its tabs, filters and bulk assign; the counts in the
navigation, which ask for themselves again every 30 s and after a change; the case page with the
response that opened it, the SLA clocks, state buttons, assignment, notes, the contact log, the
root cause and resolution, the history and the customer's timeline."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from cxshared.client import UpstreamConflict, UpstreamInvalid, UpstreamNotFound
from cxshared.deps import EngineDep
from cxshared.timeutil import utcnow
from gateway.auth import Editor, Staff
from gateway.clients.feedback import FeedbackClient
from gateway.clients.journey import JourneyClient
from gateway.clients.models import Case
from gateway.dependencies import FeedbackDep, JourneyDep
from gateway.pages.common import CASE_CHANGED, fetch
from gateway.users.models import Role
from gateway.users.service import SignedIn, staff_members
from gateway.web import is_htmx, redirect_for, render

router = APIRouter()

# Sent after any change to a case; the navigation's counts listen and fetch themselves again.
PAGE_SIZE = 25
VIEWS = {
    "mine": "Mine",
    "team": "My team's",
    "unassigned": "Unassigned",
    "breached": "Breached",
    "at_risk": "At risk",
    "all": "All",
}
STATES = {
    "open": "Open",
    "in_progress": "In progress",
    "waiting_on_customer": "Waiting on the customer",
    "resolved": "Resolved",
    "closed": "Closed",
}
# The moves feedback allows (docs/cases.md, States), as the buttons that make them.
TRANSITIONS: dict[str, list[tuple[str, str]]] = {
    "open": [("in_progress", "Start work"), ("waiting_on_customer", "Wait on the customer")],
    "in_progress": [("waiting_on_customer", "Wait on the customer")],
    "waiting_on_customer": [("in_progress", "Customer answered: resume")],
    "resolved": [("closed", "Close"), ("open", "Reopen")],
    "closed": [("open", "Reopen")],
}
RESOLVABLE = {"open", "in_progress", "waiting_on_customer"}
AGES = {
    "": "Any age",
    "1": "Over a day",
    "3": "Over 3 days",
    "7": "Over a week",
    "30": "Over 30 days",
}
CHANNELS = ["phone", "email", "sms", "chat", "in_person", "other"]
OUTCOMES = ["reached", "no_answer", "left_message", "wrong_number", "declined"]
CLOCKS = {"first_contact": "First contact", "resolution": "Resolution"}


def _is_admin(user: SignedIn) -> bool:
    return user.user.role == Role.ADMIN


def _views(user: SignedIn) -> dict[str, str]:
    """Unassigned cases are the admins' queue (docs/cases.md, Routing)."""
    return {k: v for k, v in VIEWS.items() if k != "unassigned" or _is_admin(user)}


def _view_params(view: str, email: str) -> dict[str, Any]:
    """The tabs: mine, my team's (teams I lead or own touchpoints for, as feedback's counts
    read them), unassigned, and my breached and at-risk cases (what the counts count)."""
    return {
        "mine": {"assignee": email},
        "team": {"team_of": email},
        "unassigned": {"unassigned": "true"},
        "breached": {"assignee": email, "breached": "true"},
        "at_risk": {"assignee": email, "at_risk": "true"},
    }.get(view, {})


@router.get("/cases")
async def inbox(
    request: Request,
    user: Staff,
    feedback: FeedbackDep,
    journey: JourneyDep,
    engine: EngineDep,
    view: Annotated[str, Query(max_length=20)] = "mine",
    journey_id: Annotated[str, Query(max_length=64)] = "",
    touchpoint_id: Annotated[str, Query(max_length=64)] = "",
    priority: Annotated[str, Query(max_length=20)] = "",
    state: Annotated[str, Query(max_length=30)] = "active",
    assignee: Annotated[str, Query(max_length=320)] = "",
    age: Annotated[str, Query(max_length=4)] = "",
    cursor: Annotated[str, Query(max_length=512)] = "",
) -> Response:
    views = _views(user)
    view = view if view in views else "mine"
    filters = {
        "view": view,
        "journey_id": journey_id,
        "touchpoint_id": touchpoint_id,
        "priority": priority if priority in ("high", "normal") else "",
        "state": state if state in STATES or state == "all" else "active",
        "assignee": assignee.strip(),
        "age": age if age in AGES else "",
    }
    params = {
        **_view_params(view, user.user.email),
        "journey_id": filters["journey_id"],
        "touchpoint_id": filters["touchpoint_id"],
        "priority": filters["priority"],
        "cursor": cursor,
        "limit": PAGE_SIZE,
    }
    if filters["assignee"] and view in ("team", "all"):
        params["assignee"] = filters["assignee"]
    if filters["state"] == "active":
        params["active"] = "true"
    elif filters["state"] != "all":
        params["state"] = filters["state"]
    if filters["age"]:
        params["opened_before"] = (utcnow() - timedelta(days=int(filters["age"]))).isoformat()
    query = urlencode({k: v for k, v in filters.items() if v})
    try:
        parts = await fetch(
            page=feedback.list_cases(params),
            counts=feedback.case_counts(user.user.email),
            groups=journey.touchpoints_by_journey(),
            teams=journey.list_teams(),
            staff=run_in_threadpool(staff_members, engine),
        )
    except UpstreamInvalid:  # a cursor from an older list, or a filter edited by hand
        return redirect_for(request, f"/cases?view={view}")
    page = parts["page"]
    context = {
        "title": "Cases",
        "cases": page.items if page else [],
        "feedback_missing": page is None,
        "case_counts": parts["counts"],
        "views": views,
        "filters": filters,
        "states": STATES,
        "ages": AGES,
        "groups": parts["groups"] or [],
        "teams": parts["teams"] or [],
        "staff": parts["staff"],
        "here": f"/cases?{query}",
        "next_url": f"/cases?{query}&cursor={page.next_cursor}"
        if page and page.next_cursor
        else None,
        "first_url": f"/cases?{query}" if cursor else None,
        "message": request.query_params.get("assigned", ""),
        "notices": parts.notices(),
    }
    return render(request, "cases/index.html", context)


@router.get("/cases/counts")
async def counts(request: Request, user: Staff, feedback: FeedbackDep) -> Response:
    """The navigation's counts; htmx asks for them every 30 s and after a change."""
    if not is_htmx(request):
        return redirect_for(request, "/cases")
    parts = await fetch(counts=feedback.case_counts(user.user.email))
    return render(request, "cases/_counts.html", {"case_counts": parts["counts"]})


def _assignment(choice: str, staff: list[tuple[str, str]]) -> dict[str, Any] | None:
    """A person ("user:<email>") or a team ("team:<id>") as feedback's assignee fields."""
    kind, _, value = choice.partition(":")
    if kind == "user":
        names = dict(staff)
        if value in names:
            return {"assignee_email": value, "assignee_name": names[value]}
    if kind == "team" and value:
        return {"assignee_email": None, "assignee_name": "", "assignee_team_id": value}
    return None


def _back(to: str, fallback: str = "/cases") -> str:
    return to if to.startswith("/cases") and "//" not in to else fallback


@router.post("/cases/assign")
async def bulk_assign(
    request: Request,
    user: Editor,
    feedback: FeedbackDep,
    engine: EngineDep,
    case: Annotated[list[str], Form(max_length=PAGE_SIZE)] = [],  # noqa: B006 (FastAPI's form list)
    assignee: Annotated[str, Form(max_length=400)] = "",
    back: Annotated[str, Form(max_length=1000)] = "/cases",
) -> Response:
    """Each ticked case ("<id>:<version>") to one person or team. A case changed meanwhile is
    left as it is and named, never overwritten."""
    changes = _assignment(assignee, await run_in_threadpool(staff_members, engine))
    if changes is None or not case:
        note = "Tick the cases and choose whom to give them to." if case else "Tick a case first."
        return redirect_for(request, _with_message(_back(back), note))
    moved, stale = 0, 0
    for item in case:
        case_id, _, version = item.rpartition(":")
        if not case_id or not version.isdigit():
            continue
        try:
            await feedback.update_case(
                case_id, version=int(version), changes=changes, acting_user=user.user.email
            )
            moved += 1
        except (UpstreamConflict, UpstreamNotFound):
            stale += 1
    note = f"Assigned {moved} case{'s' if moved != 1 else ''}."
    if stale:
        note += (
            f" {stale} had changed since the list was shown and were left as they are:"
            " look at them again."
        )
    response = redirect_for(request, _with_message(_back(back), note))
    response.headers["HX-Trigger"] = CASE_CHANGED
    return response


def _with_message(url: str, message: str) -> str:
    cleaned = "&".join(p for p in url.split("&") if not p.startswith("assigned="))
    return cleaned + ("&" if "?" in cleaned else "?") + urlencode({"assigned": message})


@router.post("/cases/open")
async def open_case(
    request: Request,
    user: Editor,
    feedback: FeedbackDep,
    response_id: Annotated[str, Form(max_length=64)],
    title: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """A case opened by hand from a response; it is routed to the touchpoint's owner."""
    case = await feedback.create_case(
        {"response_id": response_id, "title": title.strip() or "Follow up this answer"},
        acting_user=user.user.email,
    )
    response = redirect_for(request, f"/cases/{case.id}")
    response.headers["HX-Trigger"] = CASE_CHANGED
    return response


@dataclass
class Desk:
    """What the case page is built from; a failed write shows it again, with what was typed."""

    request: Request
    feedback: FeedbackClient
    journey: JourneyClient
    engine: Engine


async def _desk(
    request: Request, feedback: FeedbackDep, journey: JourneyDep, engine: EngineDep
) -> Desk:
    return Desk(request, feedback, journey, engine)


DeskDep = Annotated[Desk, Depends(_desk)]


async def _invalid(
    desk: Desk, user: SignedIn, case_id: str, exc: UpstreamInvalid, values: dict[str, str]
) -> Response:
    """Feedback refused the change: the page again, its messages beside the fields."""
    errors = {k.split(".")[-1]: v for k, v in exc.field_errors.items()} or {"": exc.detail}
    return await _case_page(desk, user, case_id, status_code=422, errors=errors, values=values)


async def _case_page(
    desk: Desk,
    user: SignedIn,
    case_id: str,
    *,
    status_code: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    conflict: str = "",
    follow_up_link: str = "",
) -> Response:
    request, feedback, journey = desk.request, desk.feedback, desk.journey
    case = await feedback.get_case(case_id)
    parts = await fetch(
        notes=feedback.case_notes(case_id),
        contacts=feedback.case_contacts(case_id),
        history=feedback.case_history(case_id),
        causes=feedback.root_causes(case.journey_id),
        response=_response_of(feedback, case),
        timeline=_timeline_of(feedback, case),
        counts=feedback.case_counts(user.user.email),
        teams=journey.list_teams(),
        staff=run_in_threadpool(staff_members, desk.engine),
    )
    context = {
        "title": case.title,
        "case": case,
        "notes": parts["notes"] or [],
        "contacts": parts["contacts"] or [],
        "history": list(reversed(parts["history"] or [])),
        "causes": parts["causes"] or [],
        "answered": parts["response"],
        "timeline": parts["timeline"],
        "case_counts": parts["counts"],
        "teams": parts["teams"] or [],
        "team_names": {t.id: t.name for t in parts["teams"] or []},
        "staff": parts["staff"],
        "states": STATES,
        "moves": TRANSITIONS.get(case.state, []),
        "resolvable": case.state in RESOLVABLE,
        "clocks": CLOCKS,
        "channels": CHANNELS,
        "outcomes": OUTCOMES,
        "now": utcnow(),
        "values": values or {},
        "errors": errors or {},
        "conflict": conflict,
        "follow_up_link": follow_up_link,
        "notices": parts.notices(),
    }
    return render(request, "cases/detail.html", context, status_code=status_code)


async def _response_of(feedback: FeedbackClient, case: Case) -> Any:
    if not case.response_id:
        return None
    try:
        return await feedback.get_response(case.response_id)
    except UpstreamNotFound:
        return None


async def _timeline_of(feedback: FeedbackClient, case: Case) -> Any:
    if not case.respondent_external_id:
        return None
    return await feedback.respondent_timeline(case.respondent_external_id)


@router.get("/cases/{case_id}")
async def case_page(
    user: Staff,
    desk: DeskDep,
    case_id: str,
) -> Response:
    return await _case_page(desk, user, case_id)


@router.post("/cases/{case_id}")
async def update_case(
    user: Editor,
    desk: DeskDep,
    case_id: str,
    version: Annotated[int, Form()],
    state: Annotated[str, Form(max_length=30)] = "",
    assignee: Annotated[str, Form(max_length=400)] = "",
    root_cause_id: Annotated[str, Form(max_length=64)] = "",
    resolution: Annotated[str | None, Form(max_length=5000)] = None,
) -> Response:
    """One form's change (a state button, the assignee, or the resolution with its root
    cause), sent with the version the page showed: a stale one changes nothing, and the page
    says so with what was typed still in its form."""
    changes: dict[str, Any] = {}
    if state:
        changes["state"] = state
    if assignee:
        staff = await run_in_threadpool(staff_members, desk.engine)
        changes.update(_assignment(assignee, staff) or {})
    if root_cause_id:
        changes["root_cause_id"] = root_cause_id
    if resolution is not None:
        changes["resolution"] = resolution.strip()
    typed = {
        k: v
        for k, v in {
            "state": state,
            "assignee": assignee,
            "root_cause_id": root_cause_id,
            "resolution": resolution or "",
        }.items()
        if v
    }
    try:
        await desk.feedback.update_case(
            case_id, version=version, changes=changes, acting_user=user.user.email
        )
    except UpstreamConflict as exc:
        stale = exc.problem.get("status") == 412 or "stale-version" in str(
            exc.problem.get("type", "")
        )
        return await _case_page(
            desk,
            user,
            case_id,
            status_code=412 if stale else 409,
            conflict=_stale_message(exc.problem) if stale else exc.detail,
            values=typed,
        )
    except UpstreamInvalid as exc:
        return await _invalid(desk, user, case_id, exc, typed)
    return _changed(desk.request, case_id)


def _stale_message(problem: Any) -> str:
    who = str(problem.get("updated_by") or "Someone")
    return (
        f"{who} changed this case after you opened it, so your change was not saved. "
        "The page now shows the case as it is; what you typed is still in the form: "
        "check it against their change and send it again."
    )


def _changed(request: Request, case_id: str) -> Response:
    response = redirect_for(request, f"/cases/{case_id}")
    response.headers["HX-Trigger"] = CASE_CHANGED
    return response


@router.post("/cases/{case_id}/follow-up")
async def make_follow_up(user: Editor, desk: DeskDep, case_id: str) -> Response:
    """A recovery follow-up link for a resolved case, shown once on its page for staff to send
    (the link's token is not kept anywhere they could read it again; a new one retires it)."""
    try:
        made = await desk.feedback.make_follow_up(case_id, acting_user=user.user.email)
    except UpstreamConflict as exc:
        return await _case_page(desk, user, case_id, status_code=409, conflict=exc.detail)
    link = str(desk.request.base_url).rstrip("/") + made["link"]
    return await _case_page(desk, user, case_id, follow_up_link=link)


@router.post("/cases/{case_id}/notes")
async def add_note(
    user: Editor,
    desk: DeskDep,
    case_id: str,
    body: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    if not body.strip():
        return await _case_page(
            desk,
            user,
            case_id,
            status_code=422,
            errors={"body": "Write the note first."},
        )
    await desk.feedback.add_case_note(case_id, body.strip(), acting_user=user.user.email)
    return _changed(desk.request, case_id)


@router.post("/cases/{case_id}/contacts")
async def add_contact(
    user: Editor,
    desk: DeskDep,
    case_id: str,
    channel: Annotated[str, Form(max_length=20)],
    outcome: Annotated[str, Form(max_length=20)],
    contacted_at: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """A contact with the customer; `contacted_at` is a local date and time the browser's
    field sends, read as UTC (the page says so)."""
    fields: dict[str, Any] = {"channel": channel, "outcome": outcome, "note": note.strip()}
    values = {"channel": channel, "outcome": outcome, "contacted_at": contacted_at, "note": note}
    if contacted_at:
        try:
            fields["contacted_at"] = (
                datetime.fromisoformat(contacted_at).replace(tzinfo=UTC).isoformat()
            )
        except ValueError:
            return await _case_page(
                desk,
                user,
                case_id,
                status_code=422,
                values=values,
                errors={"contacted_at": "Give a date and time, like 2026-12-01 14:30."},
            )
    try:
        await desk.feedback.add_case_contact(case_id, fields, acting_user=user.user.email)
    except UpstreamInvalid as exc:
        return await _invalid(desk, user, case_id, exc, values)
    return _changed(desk.request, case_id)
