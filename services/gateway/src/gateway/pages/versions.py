"""A journey's map versions (journey keeps one at every publish and one for each day of live
changes): the list, one version's map read-only, what changed between two, and restoring one as
a new draft journey. A version number that is not one (or not this journey's) is said on the
page, beside the versions there are."""

import asyncio
import re
import secrets
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from cxshared.client import UpstreamNotFound
from gateway.auth import Editor, Staff
from gateway.clients.journey import JourneyClient
from gateway.clients.models import Journey, VersionComparison, VersionPage
from gateway.dependencies import JourneyDep
from gateway.pages.common import fetch
from gateway.present import EMOTIONS, label, target_text
from gateway.web import redirect_for, render

router = APIRouter()

REASONS = {"published": "Published", "changed": "Changed while live"}
PER_PAGE = 50
_NUMBER = re.compile(r"\d{1,7}")
_RESTORE_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
JOURNEY_LABELS = {
    "name": "Name",
    "description": "Description",
    "persona_id": "Persona",
    "state": "State",
    "status": "Status",
    "owner_name": "Owner",
    "owner_email": "Owner's email",
    "review_cadence_days": "Review every (days)",
}
STAGE_LABELS = {
    "name": "Name",
    "description": "Description",
    "experience": "Experience",
    "designed_emotion": "Designed emotion",
}


def version_number(raw: str) -> int | None:
    """A version number as typed in a link or the picker: 1, 2, 3 ...; None for anything
    else."""
    raw = raw.strip()
    if not _NUMBER.fullmatch(raw) or not 1 <= int(raw) <= 1_000_000:
        return None
    return int(raw)


def _not_a_number(raw: str) -> str:
    shown = raw.strip()[:40] or "nothing"
    return f"“{shown}” is not a version number: versions are numbered 1, 2, 3 …"


def _no_such_version(number: int, latest: int) -> str:
    if latest == 0:
        return f"There is no version {number}: this journey has no versions yet."
    if latest == 1:
        return f"There is no version {number}: this journey has only version 1."
    return f"There is no version {number}: this journey has versions 1 to {latest}."


async def _latest(journey: JourneyClient, journey_id: str) -> int:
    """The newest version's number (versions are numbered from 1 without gaps); 0: none."""
    page = await journey.list_versions(journey_id, limit=1)
    return page.items[0].number if page.items else 0


async def _with_latest(journey: JourneyClient, journey_id: str) -> tuple[Journey, int]:
    return await asyncio.gather(journey.get_journey(journey_id), _latest(journey, journey_id))


# -- the list ----------------------------------------------------------------------------------


async def _versions_page(
    request: Request,
    journey: JourneyClient,
    journey_id: str,
    *,
    cursor: str | None = None,
    problem: str = "",
    status_code: int = 200,
) -> Response:
    parts = await fetch(
        journey=journey.get_journey(journey_id),
        versions=journey.list_versions(journey_id, cursor=cursor, limit=PER_PAGE),
        latest=_latest(journey, journey_id) if cursor else _nothing(),
    )
    document: Journey | None = parts["journey"]
    page: VersionPage | None = parts["versions"]
    latest = parts["latest"] or (page.items[0].number if page and page.items and not cursor else 0)
    return render(
        request,
        "journeys/versions.html",
        {
            "title": f"Versions of {document.name}" if document else "Versions",
            "journey": document,
            "journey_id": journey_id,
            "versions": page,
            "latest": latest,
            "picked": (max(latest - 1, 1), latest),
            "cursor": cursor,
            "reasons": REASONS,
            "problem": problem,
            "restore_key": secrets.token_urlsafe(16),
            "notices": parts.notices(),
        },
        status_code=status_code,
    )


async def _nothing() -> None:
    return None


@router.get("/journeys/{journey_id}/versions")
async def list_versions(
    request: Request,
    user: Staff,
    journey: JourneyDep,
    journey_id: str,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    return await _versions_page(request, journey, journey_id, cursor=cursor)


# -- what changed --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    subject: str  # the touchpoint, stage or field
    where: str = ""  # its stage, or the stage's field
    before: str = ""
    after: str = ""


@dataclass(frozen=True)
class Section:
    """One kind of change, as a table: `subject` and `where` name its first columns (`where`
    empty: none); `changes` adds Before and After."""

    title: str
    subject: str
    where: str
    changes: bool
    rows: list[Difference] = field(default_factory=list)


def _owner_text(owner: dict[str, Any]) -> str:
    team = owner.get("owner_team_name") or ("a team" if owner.get("owner_team_id") else "no team")
    name = owner.get("owner_name") or "no named owner"
    email = f" <{owner['owner_email']}>" if owner.get("owner_email") else ""
    return f"{team} · {name}{email}"


def _targets_text(targets: list[dict[str, Any]] | None) -> str:
    return "; ".join(target_text(t) for t in targets or []) or "none"


def _value_text(key: str, value: Any) -> str:
    if value is None or value == "":
        return "none"
    if key == "designed_emotion":
        return str(EMOTIONS.get(int(value), value))
    if key in ("state", "status"):
        return label(str(value))
    return str(value)


def _place(stage: str, position: int) -> str:
    return f"{stage}, place {position + 1}"


def differences(found: VersionComparison) -> list[Section]:
    """What changed, by kind, in the words the map uses; only the kinds with changes."""
    touchpoint, stage = "Touchpoint", "Stage"
    sections = [
        Section(
            "Added",
            "What",
            "Where",
            False,
            [Difference(s.name, "a new stage") for s in found.stages_added]
            + [Difference(t.name, t.stage_name) for t in found.touchpoints_added],
        ),
        Section(
            "Removed",
            "What",
            "Where",
            False,
            [Difference(s.name, "a stage") for s in found.stages_removed]
            + [Difference(t.name, t.stage_name) for t in found.touchpoints_removed],
        ),
        Section(
            "Moved",
            touchpoint,
            "",
            True,
            [
                Difference(
                    t.name,
                    before=_place(t.from_stage_name, t.from_position),
                    after=_place(t.stage_name, t.position),
                )
                for t in found.touchpoints_moved
            ],
        ),
        Section(
            "Re-owned",
            touchpoint,
            stage,
            True,
            [
                Difference(t.name, t.stage_name, _owner_text(t.before), _owner_text(t.after))
                for t in found.touchpoints_reowned
            ],
        ),
        Section(
            "Renamed",
            touchpoint,
            stage,
            True,
            [
                Difference(t.name, t.stage_name, str(t.before), str(t.after))
                for t in found.touchpoints_renamed
            ],
        ),
        Section(
            "Standards changed",
            touchpoint,
            stage,
            True,
            [
                Difference(t.name, t.stage_name, t.before or "none", t.after or "none")
                for t in found.standards_changed
            ],
        ),
        Section(
            "Targets changed",
            touchpoint,
            stage,
            True,
            [
                Difference(t.name, t.stage_name, _targets_text(t.before), _targets_text(t.after))
                for t in found.targets_changed
            ],
        ),
        Section(
            "Stages changed",
            stage,
            "Field",
            True,
            [
                Difference(
                    s.name,
                    STAGE_LABELS.get(key, label(key)),
                    _value_text(key, change.before),
                    _value_text(key, change.after),
                )
                for s in found.stages_changed
                for key, change in s.changes.items()
            ],
        ),
        Section(
            "The journey itself",
            "Field",
            "",
            True,
            [
                Difference(
                    JOURNEY_LABELS.get(key, label(key)),
                    before=_value_text(key, change.before),
                    after=_value_text(key, change.after),
                )
                for key, change in found.journey.items()
            ],
        ),
    ]
    return [section for section in sections if section.rows]


def _picked(raw_from: str | None, raw_to: str | None, latest: int) -> tuple[int, int, str, int]:
    """The two versions to compare (the previous and the latest unless given), and what is
    wrong with them: a message and its status, or ("", 200)."""
    default_from, default_to = max(latest - 1, 1), latest
    if latest == 0:
        return (
            0,
            0,
            "This journey has no versions yet: the first is kept when it is published.",
            200,
        )
    numbers = []
    for raw, default in ((raw_from, default_from), (raw_to, default_to)):
        if raw is None or not raw.strip():
            numbers.append(default)
            continue
        number = version_number(raw)
        if number is None:
            return default_from, default_to, _not_a_number(raw), 422
        numbers.append(number)
    for number in numbers:
        if number > latest:  # 422, not 404: htmx swaps it in for the picker's boosted form
            return numbers[0], numbers[1], _no_such_version(number, latest), 422
    if latest < 2:
        return numbers[0], numbers[1], "Comparing needs two versions: this journey has one.", 200
    return numbers[0], numbers[1], "", 200


@router.get("/journeys/{journey_id}/versions/compare")
async def compare_versions(
    request: Request,
    user: Staff,
    journey: JourneyDep,
    journey_id: str,
    from_: Annotated[str | None, Query(alias="from", max_length=100)] = None,
    to: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    document, latest = await _with_latest(journey, journey_id)
    first, second, problem, status_code = _picked(from_, to, latest)
    context: dict[str, Any] = {
        "title": f"Compare versions of {document.name}",
        "journey": document,
        "latest": latest,
        "picked": (first, second),
        "problem": problem,
        "sections": None,
        "versions": {},
        "reasons": REASONS,
    }
    if not problem:
        found, before, after = await asyncio.gather(
            journey.compare_versions(journey_id, from_version=first, to_version=second),
            journey.get_version(journey_id, first),
            journey.get_version(journey_id, second),
        )
        context |= {"sections": differences(found), "versions": {first: before, second: after}}
    return render(request, "journeys/compare.html", context, status_code=status_code)


# -- one version -------------------------------------------------------------------------------


@router.get("/journeys/{journey_id}/versions/{number}")
async def view_version(
    request: Request, user: Staff, journey: JourneyDep, journey_id: str, number: str
) -> Response:
    wanted = version_number(number)
    if wanted is None:
        return await _versions_page(
            request, journey, journey_id, problem=_not_a_number(number), status_code=404
        )
    document, latest = await _with_latest(journey, journey_id)
    if wanted > latest:
        problem = _no_such_version(wanted, latest)
        return await _versions_page(request, journey, journey_id, problem=problem, status_code=404)
    version = await journey.get_version(journey_id, wanted)
    return render(
        request,
        "journeys/version.html",
        {
            "title": f"{document.name}, version {wanted}",
            "journey": document,
            "version": version,
            "latest": latest,
            "reasons": REASONS,
            "restore_key": secrets.token_urlsafe(16),
        },
    )


@router.post("/journeys/{journey_id}/versions/{number}/restore")
async def restore_version(
    request: Request,
    user: Editor,
    journey: JourneyDep,
    journey_id: str,
    number: str,
    restore_key: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """A new draft journey with the version's map. The form's key makes a second click (or a
    browser's retry) answer with the same draft instead of making another."""
    wanted = version_number(number)
    if wanted is None:
        return await _versions_page(
            request, journey, journey_id, problem=_not_a_number(number), status_code=404
        )
    key = restore_key if _RESTORE_KEY.fullmatch(restore_key) else secrets.token_urlsafe(16)
    try:
        draft = await journey.restore_version(
            journey_id,
            wanted,
            acting_user=user.user.email,
            idempotency_key=f"restore:{journey_id}:{wanted}:{key}",
        )
    except UpstreamNotFound:
        await journey.get_journey(journey_id)  # an unknown journey is the page's own 404
        problem = _no_such_version(wanted, await _latest(journey, journey_id))
        return await _versions_page(request, journey, journey_id, problem=problem, status_code=404)
    return redirect_for(request, f"/journeys/{draft.id}?restored={wanted}")
