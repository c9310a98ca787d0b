"""One opportunity and its evidence: what shows it, found by search across the answers, cases,
comment themes, incidents and observed-journey findings of its place, and attached or removed
there (docs/improvement.md, "Evidence")."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from cxshared.client import UpstreamConflict, UpstreamInvalid
from gateway.auth import Editor, Staff
from gateway.clients.feedback import FeedbackClient
from gateway.clients.metrics import MetricsClient
from gateway.clients.models import Filters, Journey, Opportunity
from gateway.dependencies import FeedbackDep, JourneyDep, MetricsDep
from gateway.improvement import ACTION_STATES, opportunity_touchpoints, places, priority_items, rank
from gateway.pages.common import fetch
from gateway.web import redirect_for, render

router = APIRouter()

KINDS = {
    "response": "Answers",
    "case": "Cases",
    "theme": "Comment themes",
    "incident": "Incidents",
    "finding": "Observed-journey findings",
}
OFFERED = 20
FINDINGS_DAYS = 90
SEPARATOR = "\x1f"  # between a picked reference's kind, id and label in one form value


@dataclass(frozen=True)
class Found:
    """Something offered as evidence: its reference and what to show for it."""

    kind: str
    id: str
    label: str
    detail: str = ""

    @property
    def value(self) -> str:
        return SEPARATOR.join((self.kind, self.id, self.label[:200]))


def _matches(words: str, *texts: str | None) -> bool:
    wanted = words.lower().split()
    said = " ".join(t or "" for t in texts).lower()
    return all(w in said for w in wanted)


async def _search(
    kind: str,
    words: str,
    opportunity: Opportunity,
    document: Journey | None,
    feedback: FeedbackClient,
    metrics: MetricsClient,
) -> list[Found]:
    """The newest of `kind` at the opportunity's place (its touchpoint, or its stage's) whose
    text has every word searched for."""
    touchpoints = set(opportunity_touchpoints(opportunity, document))
    journey_id = opportunity.journey_id
    if kind == "response":
        comments = await metrics.comments(
            filters=Filters(journey_id=journey_id),
            touchpoint_id=opportunity.touchpoint_id,
            limit=200,
        )
        return [
            Found(
                "response",
                c.response_id,
                c.comment[:200],
                " · ".join(
                    ([f"NPS answer {c.nps}"] if c.nps is not None else [])
                    + [f"{c.submitted_at:%d %b %Y}"]
                ),
            )
            for c in comments
            if (opportunity.touchpoint_id or c.touchpoint_id in touchpoints)
            and _matches(words, c.comment)
        ]
    if kind == "case":
        cases = await feedback.list_cases(
            {"journey_id": journey_id, "touchpoint_id": opportunity.touchpoint_id, "limit": 100}
        )
        return [
            Found(
                "case", c.id, c.title, f"{c.state.replace('_', ' ')}, opened {c.opened_at:%d %b %Y}"
            )
            for c in sorted(cases.items, key=lambda c: c.opened_at, reverse=True)
            if (opportunity.touchpoint_id or c.touchpoint_id in touchpoints)
            and _matches(words, c.title, c.description or "", c.reason or "")
        ]
    if kind == "theme":
        return [
            Found("theme", t.id, t.name, t.description)
            for t in await metrics.themes(journey_id)
            if _matches(words, t.name, t.description, " ".join(t.phrases))
        ]
    if kind == "incident":
        incidents = await metrics.incidents(journey_id=journey_id, limit=100)
        return [
            Found(
                "incident",
                i.id,
                f"{i.touchpoint_name or 'A touchpoint'}: "
                + ", ".join(sorted({s.metric.upper() for s in i.signals}) or ["alert"]),
                f"{i.status} · opened {i.opened_at:%d %b %Y}",
            )
            for i in incidents.items
            if i.touchpoint_id in touchpoints and _matches(words, i.touchpoint_name)
        ]
    today = date.today()
    differences = await metrics.observed(
        journey_id, "differences", start=today - timedelta(days=FINDINGS_DAYS - 1), end=today
    )
    findings = []
    for activity in (differences or {}).get("unmapped_activities", []):
        findings.append(
            Found(
                "finding",
                f"undocumented:{activity['activity']}"[:64],
                f"Undocumented touchpoint: customers did “{activity['activity']}”",
                f"{activity['occurrences']:,} times in {FINDINGS_DAYS} days",
            )
        )
    for hop in (differences or {}).get("unexpected_transitions", []):
        if {hop["from_touchpoint_id"], hop["to_touchpoint_id"]} & touchpoints:
            findings.append(
                Found(
                    "finding",
                    f"jump:{hop['from_touchpoint_id'][:24]}:{hop['to_touchpoint_id'][:24]}",
                    f"Customers go from {hop['from_name']} straight to {hop['to_name']}",
                    f"{hop['count']:,} times in {FINDINGS_DAYS} days",
                )
            )
    return [f for f in findings if _matches(words, f.label)]


async def _page(
    request: Request,
    opportunity_id: str,
    journey: Any,
    feedback: FeedbackClient,
    metrics: MetricsClient,
    *,
    kind: str = "",
    words: str = "",
    error: str = "",
    status_code: int = 200,
) -> Response:
    opportunity = await journey.get_opportunity(opportunity_id)
    parts = await fetch(
        journey=journey.get_journey(opportunity.journey_id),
        actions=journey.list_actions(opportunity.journey_id),
    )
    document = parts["journey"]
    searched = kind in KINDS
    calls: dict[str, Any] = {
        "priorities": metrics.priorities(
            opportunity.journey_id, priority_items([opportunity], document)
        )
    }
    if searched:
        calls["found"] = _search(kind, words, opportunity, document, feedback, metrics)
    measured = await fetch(**calls)
    attached = {(e.kind, e.id) for e in opportunity.evidence}
    found = (
        [f for f in (measured["found"] or []) if (f.kind, f.id) not in attached][:OFFERED]
        if searched
        else None
    )
    data = (measured["priorities"] or {}).get(opportunity.id)
    context = {
        "title": opportunity.title,
        "o": opportunity,
        "ranked": rank(opportunity, data),
        "journey": document,
        "places": places(document),
        "kinds": KINDS,
        "kind": kind,
        "words": words,
        "found": found,
        "error": error,
        "counts": {k: sum(1 for e in opportunity.evidence if e.kind == k) for k in KINDS},
        "actions": [a for a in parts["actions"] or [] if opportunity.id in a.opportunity_ids],
        "action_states": ACTION_STATES,
        "notices": parts.notices() + measured.notices(),
    }
    return render(request, "opportunities/evidence.html", context, status_code=status_code)


@router.get("/opportunities/{opportunity_id}")
async def opportunity_page(
    request: Request,
    user: Staff,
    journey: JourneyDep,
    feedback: FeedbackDep,
    metrics: MetricsDep,
    opportunity_id: str,
    kind: Annotated[str, Query(max_length=20)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    return await _page(request, opportunity_id, journey, feedback, metrics, kind=kind, words=q)


@router.post("/opportunities/{opportunity_id}/evidence")
async def change_evidence(
    request: Request,
    user: Editor,
    journey: JourneyDep,
    feedback: FeedbackDep,
    metrics: MetricsDep,
    opportunity_id: str,
    version: Annotated[int, Form()],
    picked: Annotated[list[str] | None, Form(max_length=300)] = None,
    remove: Annotated[str, Form(max_length=300)] = "",
    kind: Annotated[str, Form(max_length=20)] = "",
    q: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Attaches the references picked from a search, or removes one."""
    opportunity = await journey.get_opportunity(opportunity_id)
    current = [e.model_dump() for e in opportunity.evidence]
    if remove:
        gone = tuple(remove.split(SEPARATOR, 1))
        evidence = [e for e in current if (e["kind"], e["id"]) != gone]
    else:
        added = []
        for value in picked or []:
            parts = value.split(SEPARATOR, 2)
            if len(parts) == 3 and parts[0] in KINDS and 0 < len(parts[1]) <= 64:
                added.append({"kind": parts[0], "id": parts[1], "label": parts[2][:200]})
        if not added:
            return await _page(
                request, opportunity_id, journey, feedback, metrics, kind=kind, words=q,
                error="Tick what to attach first.", status_code=422,
            )  # fmt: skip
        evidence = current + added
    try:
        await journey.update_opportunity(
            opportunity_id,
            version=version,
            changes={"evidence": evidence},
            acting_user=user.user.email,
        )
    except (UpstreamConflict, UpstreamInvalid) as exc:
        return await _page(
            request, opportunity_id, journey, feedback, metrics, kind=kind, words=q,
            error=exc.detail, status_code=409,
        )  # fmt: skip
    search = urlencode({"kind": kind, "q": q}) if kind else ""
    return redirect_for(request, f"/opportunities/{opportunity_id}?{search}".rstrip("?"))
