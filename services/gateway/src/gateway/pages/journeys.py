"""The journey map: stages as columns, touchpoints as cards with their live scores, edited in
place. Every form also works without JavaScript (a plain POST answers 303 to the map)."""

import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from cxshared.client import UpstreamConflict, UpstreamInvalid, UpstreamUnavailable
from cxshared.timeutil import utcnow
from gateway.auth import Editor, Staff
from gateway.charts import emotion_chart
from gateway.clients.journey import JourneyClient
from gateway.clients.metrics import MetricsClient
from gateway.clients.models import Action, Journey, Overlay, Team, Touchpoint
from gateway.dependencies import JourneyDep, MetricsDep
from gateway.improvement import affected, review_flags
from gateway.pages.common import fetch
from gateway.present import TOUCHPOINT_LABELS, UNIT_SECONDS, differences, history_entry
from gateway.web import is_htmx, redirect_for, render

router = APIRouter()

PERIODS = {7: "last 7 days", 30: "last 30 days", 90: "last 90 days", 365: "last 12 months"}
DEFAULT_DAYS = 30
TARGET_METRICS = ("nps", "csat", "ces")
TOUCHPOINT_CHANGED = "touchpoint-changed"
BOARD_CHANGED = "board-changed"

Days = Annotated[int, Query(description="The period the scores cover, in days")]
# The board's forms carry the period on screen, so the board they re-render keeps it.
DaysField = Annotated[int, Form(description="The period the scores on screen cover, in days")]


@router.get("/journeys")
async def list_journeys(
    request: Request, user: Staff, journey: JourneyDep, metrics: MetricsDep
) -> Response:
    """Every journey, each flagged when what cxloop measured calls for a review."""
    parts = await fetch(journeys=journey.list_journeys(), overdue=journey.overdue_reviews())
    journeys = parts["journeys"]
    flags = await fetch(flags=review_flags(journey, metrics, [j.id for j in journeys or []]))
    reasons = {k: [s["reason"] for s in f.reasons] for k, f in (flags["flags"] or {}).items()}
    for late in parts["overdue"] or []:
        reasons.setdefault(late["journey_id"], []).insert(
            0,
            f"Its review is {late['days_overdue']} days overdue (last reviewed "
            f"{late['last_reviewed_date'] or 'never'}).",
        )
    return render(
        request,
        "journeys/index.html",
        {
            "title": "Journeys",
            "journeys": journeys,
            "flags": {k: v for k, v in reasons.items() if v},
            "notices": parts.notices() + flags.notices(),
        },
    )


def _days(days: int) -> int:
    return days if days in PERIODS else DEFAULT_DAYS


def _map_url(journey_id: str, days: int, anchor: str = "") -> str:
    """The map as the user left it: the same period, scrolled to `anchor`."""
    query = "" if _days(days) == DEFAULT_DAYS else f"?days={_days(days)}"
    return f"/journeys/{journey_id}{query}{f'#{anchor}' if anchor else ''}"


LAYERS = ("scores", "observed")


async def _observed_layer(
    metrics: MetricsClient, journey_id: str, start: date, end: date
) -> dict[str, Any] | None:
    """What customers did, for the board's observed layer: each touchpoint's reach, where
    customers went next from it, and the activities no touchpoint stands for, placed after the
    touchpoint they most often follow. None when metrics is down or knows nothing of it."""
    parts = await fetch(
        reach=metrics.observed(journey_id, "reach", start=start, end=end),
        flows=metrics.observed(journey_id, "flows", start=start, end=end),
        differences=metrics.observed(journey_id, "differences", start=start, end=end),
    )
    reach, flows, differences = parts["reach"], parts["flows"], parts["differences"]
    if reach is None or flows is None or differences is None:
        return None
    onward: dict[str, list[dict[str, Any]]] = {}
    for flow in sorted(flows["flows"], key=lambda f: -f["count"]):
        onward.setdefault(flow["from_touchpoint_id"], []).append(flow)
    ghosts: dict[str | None, list[dict[str, Any]]] = {}
    for activity in differences["unmapped_activities"]:
        place = activity["where"][0] if activity["where"] else {}
        ghosts.setdefault(place.get("after_touchpoint_id"), []).append({**activity, "place": place})
    return {
        "cases": reach["cases"],
        "reach": {t["touchpoint_id"]: t["reach"] for t in reach["touchpoints"]},
        "onward": {k: v[:3] for k, v in onward.items()},
        "ghosts": ghosts,
        "unmapped": {
            t["touchpoint_id"] for t in differences["unreached_touchpoints"] if not t["mapped"]
        },
    }


async def _board(
    journey: JourneyClient,
    metrics: MetricsClient,
    journey_id: str,
    days: int,
    layer: str = "scores",
) -> dict[str, Any]:
    """Everything the board shows: the journey, its live scores and the teams; with the
    observed layer, what customers did."""
    today = utcnow().date()
    start = today - timedelta(days=days - 1)
    parts = await fetch(
        journey=journey.get_journey(journey_id),
        overlay=metrics.journey_overlay(
            journey_id, start=today - timedelta(days=days - 1), end=today
        ),
        standards=metrics.observed(
            journey_id, "standards", start=today - timedelta(days=days - 1), end=today
        ),
        teams=journey.list_teams(),
        actions=journey.list_actions(journey_id),
        observed=_observed_layer(metrics, journey_id, start, today)
        if layer == "observed"
        else _nothing(),
    )
    document: Journey | None = parts["journey"]
    overlay: Overlay | None = parts["overlay"]
    teams: list[Team] = parts["teams"] or []
    context: dict[str, Any] = {
        "journey": document,
        "journey_id": journey_id,
        "days": days,
        "periods": PERIODS,
        "notices": parts.notices(),
        "teams": teams,
        "team_names": {team.id: team.name for team in teams},
        "scores": overlay.touchpoint_scores() if overlay else {},
        "scores_missing": overlay is None,
        "standards": _standards(parts["standards"]),
        "layer": layer,
        "observed": parts["observed"],
        "errors": {},
        "summary": _summary(document),
        "actions_at": _recent_actions(parts["actions"] or [], document, today),
    }
    if document is not None:
        measured = overlay.stage_emotions() if overlay else {}
        context["chart"] = emotion_chart(
            [
                (
                    stage.name,
                    stage.designed_emotion,
                    measured[stage.id].measured if stage.id in measured else None,
                )
                for stage in document.stages
            ]
        )
    return context


RECENT_DAYS = 180  # how long a shipped action stays on its touchpoints' cards


def _stamp(action: Action) -> float:
    return action.shipped_at.timestamp() if action.shipped_at else 0.0


def _recent_actions(
    actions: list[Action], document: Journey | None, today: date
) -> dict[str, list[Action]]:
    """By touchpoint, the actions under way there and those shipped in the last RECENT_DAYS."""
    found: dict[str, list[Action]] = {}
    for action in actions:
        if action.state == "abandoned" or (
            action.shipped_at is not None and (today - action.shipped_at.date()).days > RECENT_DAYS
        ):
            continue
        for touchpoint in affected(action, document):
            found.setdefault(touchpoint, []).append(action)
    for listed in found.values():  # under way first, then the most recently shipped
        listed.sort(key=lambda a: (a.shipped_at is not None, -_stamp(a)))
    return found


async def _nothing() -> None:
    return None


def _standards(found: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Each measured standard's compliance over the board's period, by touchpoint id."""
    return {s["touchpoint_id"]: s for s in (found or {}).get("standards", [])}


@dataclass(frozen=True)
class Summary:
    """The map at a glance, over every stage."""

    touchpoints: int
    unowned: int  # no team or no named owner: a gap, as journey's ownership report counts it
    moments: int  # moments of truth


def _summary(journey: Journey | None) -> Summary:
    touchpoints = [tp for stage in (journey.stages if journey else []) for tp in stage.touchpoints]
    return Summary(
        touchpoints=len(touchpoints),
        unowned=sum(1 for tp in touchpoints if not tp.owner_team_id or not tp.owner_name),
        moments=sum(1 for tp in touchpoints if tp.moment_of_truth),
    )


@router.get("/journeys/{journey_id}/summary")
async def journey_summary(
    request: Request, user: Staff, journey: JourneyDep, journey_id: str
) -> Response:
    """The map's summary again, after an edit in place (the fragment asks on its own)."""
    if not is_htmx(request):
        return redirect_for(request, _map_url(journey_id, DEFAULT_DAYS))
    document = await journey.get_journey(journey_id)
    return render(
        request, "journeys/_summary.html", {"journey": document, "summary": _summary(document)}
    )


@router.get("/journeys/{journey_id}")
async def journey_map(
    request: Request,
    user: Staff,
    journey: JourneyDep,
    metrics: MetricsDep,
    journey_id: str,
    days: Days = DEFAULT_DAYS,
    layer: Annotated[str, Query(description="scores or observed")] = "scores",
    restored: Annotated[str, Query(description="The version just restored as this draft")] = "",
) -> Response:
    layer = layer if layer in LAYERS else "scores"
    context = await _board(journey, metrics, journey_id, _days(days), layer)
    title = context["journey"].name if context["journey"] else "Journey"
    template = "journeys/_board.html" if is_htmx(request) else "journeys/map.html"
    restored = restored if restored.isascii() and restored.isdigit() and len(restored) <= 7 else ""
    return render(request, template, {"title": title, **context, "restored": restored})


async def _board_changed(
    request: Request,
    journey: JourneyClient,
    metrics: MetricsClient,
    journey_id: str,
    days: int,
    **extra: Any,
) -> Response:
    """After a change to the board: a plain form goes back to the map, htmx gets the board;
    both over the period the user was looking at."""
    if not is_htmx(request):
        return redirect_for(request, _map_url(journey_id, days))
    return await _board_fragment(
        request, journey, metrics, journey_id, days, event=BOARD_CHANGED, **extra
    )


async def _board_fragment(
    request: Request,
    journey: JourneyClient,
    metrics: MetricsClient,
    journey_id: str,
    days: int,
    *,
    event: str,
    **extra: Any,
) -> Response:
    context = await _board(journey, metrics, journey_id, _days(days))
    response = render(request, "journeys/_board.html", {**context, **extra})
    response.headers["HX-Trigger"] = event
    return response


async def _board_with_error(
    request: Request,
    journey: JourneyClient,
    metrics: MetricsClient,
    journey_id: str,
    days: int,
    *,
    error: dict[str, str],
    status_code: int,
) -> Response:
    """The board again, with a message where the failed form is (`error`: form id -> text)."""
    context = await _board(journey, metrics, journey_id, _days(days))
    template = "journeys/_board.html" if is_htmx(request) else "journeys/map.html"
    title = context["journey"].name if context["journey"] else "Journey"
    return render(
        request, template, {"title": title, **context, "errors": error}, status_code=status_code
    )


async def _card(
    request: Request,
    journey: JourneyClient,
    metrics: MetricsClient,
    touchpoint: Touchpoint,
    days: int,
    **extra: Any,
) -> Response:
    """One card, its scores over the period the board shows."""
    today = utcnow().date()
    days = _days(days)
    parts = await fetch(
        overlay=metrics.journey_overlay(
            touchpoint.journey_id, start=today - timedelta(days=days - 1), end=today
        ),
        standards=metrics.observed(
            touchpoint.journey_id, "standards", start=today - timedelta(days=days - 1), end=today
        ),
        teams=journey.list_teams(),
    )
    overlay: Overlay | None = parts["overlay"]
    teams: list[Team] = parts["teams"] or []
    return render(
        request,
        "journeys/_touchpoint_card.html",
        {
            "tp": touchpoint,
            "scores": overlay.touchpoint_scores() if overlay else {},
            "scores_missing": overlay is None,
            "standards": _standards(parts["standards"]),
            "team_names": {team.id: team.name for team in teams},
            "days": days,
            **extra,
        },
    )


@router.get("/touchpoints/{touchpoint_id}/card")
async def touchpoint_card(
    request: Request,
    user: Staff,
    journey: JourneyDep,
    metrics: MetricsDep,
    touchpoint_id: str,
    days: Days = DEFAULT_DAYS,
) -> Response:
    touchpoint = await journey.get_touchpoint(touchpoint_id)
    return await _card(request, journey, metrics, touchpoint, days)


async def _edit_form(
    request: Request,
    journey: JourneyClient,
    touchpoint: Touchpoint,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    conflict: Touchpoint | None = None,
    status_code: int = 200,
    days: int = DEFAULT_DAYS,
) -> Response:
    teams = await journey.list_teams()
    found: list[tuple[str, str]] = []
    if conflict is not None:
        names = {team.id: team.name for team in teams}
        theirs = {k: str(v) for k, v in _form_values(conflict, checked="on").items()}
        mine = {**(values or {})}
        theirs["owner_team_id"] = names.get(theirs["owner_team_id"], "")
        mine["owner_team_id"] = names.get(mine.get("owner_team_id", ""), "")
        found = differences(theirs, mine, TOUCHPOINT_LABELS, {"moment_of_truth"})
    context = {
        "title": f"Edit {touchpoint.name}",
        "days": _days(days),
        "tp": touchpoint,
        "values": values or _form_values(touchpoint),
        "errors": errors or {},
        "conflict": conflict,
        "differences": found,
        "teams": teams,
    }
    template = "journeys/_touchpoint_form.html" if is_htmx(request) else "journeys/edit.html"
    return render(request, template, context, status_code=status_code)


@router.get("/touchpoints/{touchpoint_id}/edit")
async def edit_touchpoint(
    request: Request,
    user: Staff,
    journey: JourneyDep,
    touchpoint_id: str,
    days: Days = DEFAULT_DAYS,
) -> Response:
    touchpoint = await journey.get_touchpoint(touchpoint_id)
    return await _edit_form(request, journey, touchpoint, days=days)


def _form_values(touchpoint: Touchpoint, *, checked: Any = True) -> dict[str, Any]:
    """The editor's fields as the stored touchpoint fills them (`checked`: a ticked box)."""
    values: dict[str, Any] = {
        "name": touchpoint.name,
        "description": touchpoint.description,
        "channel": touchpoint.channel,
        "interaction": touchpoint.interaction,
        "owner_team_id": touchpoint.owner_team_id or "",
        "owner_name": touchpoint.owner_name,
        "owner_email": touchpoint.owner_email or "",
        "moment_of_truth": checked if touchpoint.moment_of_truth else "",
        "standard": touchpoint.standard,
        "designed_emotion": ""
        if touchpoint.designed_emotion is None
        else str(touchpoint.designed_emotion),
    }
    for metric in TARGET_METRICS:
        target = next((t for t in touchpoint.targets if t.metric == metric), None)
        values[f"target_{metric}"] = "" if target is None else f"{target.value:g}"
    values.update(_indicator_values(touchpoint.indicator))
    return values


# The indicator's form fields per kind: (form field, the indicator's key).
INDICATOR_FIELDS = {
    "time_between": [("tb_from", "from_activity"), ("tb_to", "to_activity")],
    "attribute": [("at_activity", "activity"), ("at_attribute", "attribute")],
    "not_needed": [("nn_after", "after_activity"), ("nn_activity", "activity")],
}
WITHIN_FIELDS = {"time_between": "tb", "not_needed": "nn"}


def _unit_of(seconds: int) -> tuple[str, str]:
    """(amount, unit) for a duration: the largest unit it is a whole number of."""
    for unit in ("days", "hours", "minutes"):
        if seconds % UNIT_SECONDS[unit] == 0:
            return str(seconds // UNIT_SECONDS[unit]), unit
    return str(seconds), "seconds"


def _indicator_values(indicator: dict[str, Any] | None) -> dict[str, str]:
    """The indicator's form fields as the stored indicator fills them."""
    if not indicator:
        return {"ind_kind": ""}
    kind = str(indicator.get("kind", ""))
    values = {"ind_kind": kind}
    for name, key in INDICATOR_FIELDS.get(kind, []):
        values[name] = str(indicator.get(key, ""))
    if kind in WITHIN_FIELDS:
        prefix = WITHIN_FIELDS[kind]
        values[f"{prefix}_within"], values[f"{prefix}_unit"] = _unit_of(
            int(indicator.get("within_seconds", 0))
        )
    if kind == "attribute":
        value = indicator.get("value")
        values["at_operator"] = str(indicator.get("operator", "eq"))
        values["at_value"] = (
            str(value).lower() if isinstance(value, bool) else f"{value:g}"
            if isinstance(value, float | int) else str(value)
        )  # fmt: skip
    values["ind_objective"] = f"{float(indicator.get('objective', 0)) * 100:g}"
    values["ind_declared"] = ", ".join(indicator.get("declared_activities", []))
    return values


def _indicator(form: dict[str, str]) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The indicator the form describes (None: not measured), and what only the form can tell
    is wrong. The rest journey checks (the names, the ranges) and says by field."""
    kind = form.get("ind_kind", "")
    if kind not in INDICATOR_FIELDS:
        return None, {}
    errors: dict[str, str] = {}
    indicator: dict[str, Any] = {"kind": kind}
    for name, key in INDICATOR_FIELDS[kind]:
        indicator[key] = form.get(name, "").strip()
    if kind in WITHIN_FIELDS:
        prefix = WITHIN_FIELDS[kind]
        amount = form.get(f"{prefix}_within", "").strip()
        unit = UNIT_SECONDS.get(form.get(f"{prefix}_unit", "minutes"), 60)
        if not amount.isdigit():
            errors[f"{prefix}_within"] = "a whole number"
        else:
            indicator["within_seconds"] = int(amount) * unit
    if kind == "attribute":
        indicator["operator"] = form.get("at_operator", "eq")
        indicator["value"] = _typed(form.get("at_value", "").strip())
    try:
        indicator["objective"] = float(form.get("ind_objective", "").strip().rstrip("%")) / 100
    except ValueError:
        errors["ind_objective"] = "a percentage, e.g. 95"
    declared = [n.strip() for n in form.get("ind_declared", "").split(",") if n.strip()]
    indicator["declared_activities"] = declared
    return indicator, errors


def _typed(raw: str) -> float | bool | str:
    """An attribute value as typed: a number, true or false, else the text."""
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    try:
        return float(raw)
    except ValueError:
        return raw


def _changes(form: dict[str, str], touchpoint: Touchpoint) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's fields as a PATCH body, and the errors only the form can find."""
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "description": form.get("description", ""),
        "channel": form.get("channel", touchpoint.channel),
        "interaction": form.get("interaction", touchpoint.interaction),
        "owner_team_id": form.get("owner_team_id") or None,
        "owner_name": form.get("owner_name", "").strip(),
        "owner_email": form.get("owner_email", "").strip() or None,
        "moment_of_truth": form.get("moment_of_truth") == "on",
        "standard": form.get("standard", ""),
    }
    emotion = form.get("designed_emotion", "")
    changes["designed_emotion"] = int(emotion) if emotion.lstrip("-").isdigit() else None
    targets = []
    for metric in TARGET_METRICS:
        raw = form.get(f"target_{metric}", "").strip()
        if not raw:
            continue
        try:
            value = float(raw.rstrip("%"))
        except ValueError:
            errors[f"target_{metric}"] = "must be a number"
            continue
        kept = next((t for t in touchpoint.targets if t.metric == metric), None)
        target: dict[str, Any] = {"metric": metric, "value": value}
        if kept is not None:
            target.update(direction=kept.direction, min_responses=kept.min_responses)
        targets.append(target)
    changes["targets"] = targets
    changes["indicator"], indicator_errors = _indicator(form)
    errors.update(indicator_errors)
    return changes, errors


_TARGET_FIELD = re.compile(r"^targets\[\d+\]\.(nps|csat|ces)\b")


def _indicator_field(backend_field: str) -> str:
    """indicator.attribute.value is the attribute's value input; what no input holds is the
    section's error."""
    parts = re.split(r"[.\[]", backend_field)
    kind = parts[1] if len(parts) > 2 else ""
    key = parts[2] if len(parts) > 2 else ""
    named = dict((k, f) for f, k in INDICATOR_FIELDS.get(kind, []))
    named |= {"objective": "ind_objective", "declared_activities": "ind_declared"}
    named |= {"operator": "at_operator", "value": "at_value"}
    if kind in WITHIN_FIELDS:
        named["within_seconds"] = f"{WITHIN_FIELDS[kind]}_within"
    return named.get(key, "indicator")


def _field_of(backend_field: str) -> str:
    """A backend field error's place on the form: targets[0].nps.value is the NPS target's
    input, owner_email is owner_email."""
    target = _TARGET_FIELD.match(backend_field)
    if target:
        return f"target_{target.group(1)}"
    if backend_field.startswith("indicator"):
        return _indicator_field(backend_field)
    return re.split(r"[.\[]", backend_field, maxsplit=1)[0]


@router.post("/touchpoints/{touchpoint_id}")
async def update_touchpoint(
    request: Request,
    user: Editor,
    journey: JourneyDep,
    metrics: MetricsDep,
    touchpoint_id: str,
    version: Annotated[int, Form()],
    days: DaysField = DEFAULT_DAYS,
) -> Response:
    current = await journey.get_touchpoint(touchpoint_id)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    changes, errors = _changes(form, current)
    if errors:
        return await _edit_form(
            request, journey, current, values=form, errors=errors, status_code=422, days=days
        )
    try:
        updated = await journey.update_touchpoint(
            touchpoint_id, version=version, changes=changes, acting_user=user.user.email
        )
    except UpstreamConflict:
        # Someone else saved first: show whose version is there now and keep this form's
        # values on screen, unsaved. Nothing is overwritten.
        return await _edit_form(
            request, journey, current, values=form, conflict=current, status_code=412, days=days
        )
    except UpstreamInvalid as exc:
        found = {_field_of(field): message for field, message in exc.field_errors.items()}
        return await _edit_form(
            request,
            journey,
            current,
            values=form,
            errors=found or {"": exc.detail},
            status_code=422,
            days=days,
        )
    if not is_htmx(request):
        return redirect_for(request, _map_url(updated.journey_id, days, f"tp-{updated.id}"))
    response = await _card(request, journey, metrics, updated, days, saved=True)
    response.headers["HX-Trigger"] = TOUCHPOINT_CHANGED
    return response


@router.post("/touchpoints/{touchpoint_id}/indicator-preview")
async def preview_indicator(
    request: Request, user: Editor, metrics: MetricsDep, touchpoint_id: str
) -> Response:
    """The editor's indicator judged on the last 30 days, before it is saved: one sentence."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    indicator, errors = _indicator(form)
    context: dict[str, Any] = {"preview": None, "problem": ""}
    if indicator is None:
        context["problem"] = "Choose what measures the standard first."
    elif errors:
        context["problem"] = "; ".join(
            f"{TOUCHPOINT_LABELS.get(k, k)}: {v}" for k, v in errors.items()
        )
    else:
        try:
            context["preview"] = await metrics.preview_standard(indicator)
        except UpstreamInvalid as exc:
            context["problem"] = "; ".join(exc.field_errors.values()) or exc.detail
        except UpstreamUnavailable:
            context["problem"] = "The metrics service is not answering; try again in a moment."
    return render(request, "journeys/_indicator_preview.html", context)


@router.post("/touchpoints/{touchpoint_id}/move")
async def move_touchpoint(
    request: Request,
    user: Editor,
    journey: JourneyDep,
    metrics: MetricsDep,
    touchpoint_id: str,
    version: Annotated[int, Form()],
    direction: Annotated[str, Form(pattern="^(up|down)$")],
    days: DaysField = DEFAULT_DAYS,
) -> Response:
    current = await journey.get_touchpoint(touchpoint_id)
    position = current.position - 1 if direction == "up" else current.position + 1
    if position >= 0:
        # Moved by someone else meanwhile: the board below shows where it is now.
        with suppress(UpstreamConflict):
            await journey.move_touchpoint(
                touchpoint_id, version=version, position=position, acting_user=user.user.email
            )
    if not is_htmx(request):
        return redirect_for(request, _map_url(current.journey_id, days, f"tp-{touchpoint_id}"))
    return await _board_fragment(
        request,
        journey,
        metrics,
        current.journey_id,
        days,
        event=BOARD_CHANGED,
        focus=(touchpoint_id, direction),
    )


@router.post("/touchpoints/{touchpoint_id}/delete")
async def delete_touchpoint(
    request: Request,
    user: Editor,
    journey: JourneyDep,
    metrics: MetricsDep,
    touchpoint_id: str,
    version: Annotated[int, Form()],
    days: DaysField = DEFAULT_DAYS,
) -> Response:
    current = await journey.get_touchpoint(touchpoint_id)
    try:
        await journey.delete_touchpoint(touchpoint_id, version=version, acting_user=user.user.email)
    except UpstreamConflict:
        return await _edit_form(
            request, journey, current, conflict=current, status_code=412, days=days
        )
    return await _board_changed(request, journey, metrics, current.journey_id, days)


@router.post("/stages/{stage_id}/touchpoints")
async def add_touchpoint(
    request: Request,
    user: Editor,
    journey: JourneyDep,
    metrics: MetricsDep,
    stage_id: str,
    journey_id: Annotated[str, Form()],
    name: Annotated[str, Form(max_length=200)] = "",
    channel: Annotated[str, Form()] = "web",
    days: DaysField = DEFAULT_DAYS,
) -> Response:
    fields = {
        "name": name.strip(),
        "channel": channel,
        "interaction": "digital" if channel in ("web", "mobile_app", "email", "sms") else "human",
    }
    try:
        await journey.create_touchpoint(stage_id, fields=fields, acting_user=user.user.email)
    except UpstreamInvalid as exc:
        message = "Give the touchpoint a name." if not name.strip() else exc.detail
        return await _board_with_error(
            request,
            journey,
            metrics,
            journey_id,
            days,
            error={f"add-{stage_id}": message},
            status_code=422,
        )
    return await _board_changed(request, journey, metrics, journey_id, days)


@router.post("/journeys/{journey_id}/stages")
async def add_stage(
    request: Request,
    user: Editor,
    journey: JourneyDep,
    metrics: MetricsDep,
    journey_id: str,
    name: Annotated[str, Form(max_length=200)] = "",
    days: DaysField = DEFAULT_DAYS,
) -> Response:
    try:
        await journey.create_stage(
            journey_id, fields={"name": name.strip()}, acting_user=user.user.email
        )
    except UpstreamInvalid:
        return await _board_with_error(
            request,
            journey,
            metrics,
            journey_id,
            days,
            error={"add-stage": "Give the stage a name."},
            status_code=422,
        )
    return await _board_changed(request, journey, metrics, journey_id, days)


@router.post("/stages/{stage_id}/delete")
async def delete_stage(
    request: Request,
    user: Editor,
    journey: JourneyDep,
    metrics: MetricsDep,
    stage_id: str,
    journey_id: Annotated[str, Form()],
    version: Annotated[int, Form()],
    days: DaysField = DEFAULT_DAYS,
) -> Response:
    try:
        await journey.delete_stage(stage_id, version=version, acting_user=user.user.email)
    except UpstreamConflict as exc:
        return await _board_with_error(
            request,
            journey,
            metrics,
            journey_id,
            days,
            error={f"stage-{stage_id}": exc.detail},
            status_code=409,
        )
    return await _board_changed(request, journey, metrics, journey_id, days)


@router.get("/touchpoints/{touchpoint_id}/history")
async def touchpoint_history(
    request: Request, user: Staff, journey: JourneyDep, touchpoint_id: str
) -> Response:
    touchpoint = await journey.get_touchpoint(touchpoint_id)
    parts = await fetch(
        changes=journey.touchpoint_history(touchpoint_id),
        document=journey.get_journey(touchpoint.journey_id),
        teams=journey.list_teams(),
    )
    names = {team.id: team.name for team in parts["teams"] or []}
    document: Journey | None = parts["document"]
    if document is not None:
        names[document.id] = document.name
        names.update({stage.id: stage.name for stage in document.stages})
    return render(
        request,
        "journeys/history.html",
        {
            "title": f"History of {touchpoint.name}",
            "tp": touchpoint,
            "entries": [history_entry(change, names) for change in parts["changes"] or []],
            "notices": parts.notices(),
        },
    )
