"""Keeping the ownership read model from journey's `touchpoint.*` and `team.*` events.

Each event is applied in the transaction that records its id, so a duplicate (a retry, a
replay, two relays) changes nothing; a row only ever moves to a newer version of its entity
(a deletion carries the version after the last edit), so late arrivals change nothing either.
"""

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import bindparam, insert, select
from sqlmodel import Session, col

from cxshared.events.ingest import EventEnvelope, invalid_event
from cxshared.timeutil import utcnow
from feedback.ownership.models import IngestedEvent, OwnerTeam, TouchpointOwner
from feedback.ownership.schemas import EntityData

_TOUCHPOINT_FIELDS = ("name", "journey_id", "owner_name", "owner_email", "owner_team_id")
_TEAM_FIELDS = ("name", "lead_name", "lead_email")


@dataclass
class Applied:
    applied: int = 0
    duplicates: int = 0
    ignored: int = 0
    touchpoints: set[str] = field(default_factory=set)
    teams: set[str] = field(default_factory=set)


def _entity(event: EventEnvelope, index: int) -> dict[str, Any]:
    try:
        return EntityData.model_validate(event.data).model_dump()
    except ValidationError as exc:
        raise invalid_event(exc, event, index, "feedback") from exc


def _newer(row: TouchpointOwner | OwnerTeam | None, version: int) -> bool:
    return row is None or row.version < version


def _touchpoint(session: Session, data: dict[str, Any], deleted: bool) -> bool:
    row = session.get(TouchpointOwner, data["id"])
    if not _newer(row, int(data["version"])):
        return False
    row = row or TouchpointOwner(id=data["id"])
    for name in _TOUCHPOINT_FIELDS:
        if name in data:
            setattr(row, name, data[name])
    journey = data.get("journey") or {}
    row.journey_name = str(journey.get("name", row.journey_name))
    row.version = int(data["version"])
    row.deleted = deleted
    session.add(row)
    team = data.get("owner_team") or {}
    # A touchpoint names its team without the team's version or lead: it fills a team not
    # seen yet and never overwrites one that came from the team's own events.
    if team.get("id") and session.get(OwnerTeam, team["id"]) is None:
        session.add(OwnerTeam(id=team["id"], name=team.get("name", "")))
    return True


def _team(session: Session, data: dict[str, Any], deleted: bool) -> bool:
    row = session.get(OwnerTeam, data["id"])
    if not _newer(row, int(data["version"])):
        return False
    row = row or OwnerTeam(id=data["id"])
    for name in _TEAM_FIELDS:
        if name in data:
            setattr(row, name, data[name])
    row.version = int(data["version"])
    row.deleted = deleted
    session.add(row)
    return True


def ingest(session: Session, events: list[EventEnvelope]) -> Applied:
    """Applies the events not seen before, in the caller's write transaction."""
    ids = {e.id for e in events}
    seen = set(
        session.execute(
            select(col(IngestedEvent.id)).where(col(IngestedEvent.id).in_(ids))
        ).scalars()
    )
    result = Applied()
    processed = []
    for index, event in enumerate(events):
        if event.id in seen:
            result.duplicates += 1
            continue
        seen.add(event.id)
        entity, _, verb = event.type.partition(".")
        if entity not in ("touchpoint", "team"):
            result.ignored += 1
        else:
            data = _entity(event, index)
            deleted = verb == "deleted" or bool(data.get("deleted", False))
            if entity == "touchpoint" and _touchpoint(session, data, deleted):
                result.touchpoints.add(data["id"])
            elif entity == "team" and _team(session, data, deleted):
                result.teams.add(data["id"])
            result.applied += 1
        processed.append({"id": event.id, "type": event.type, "processed_at": utcnow()})
        session.flush()
    if processed:
        session.execute(insert(IngestedEvent.__table__), processed)  # type: ignore[attr-defined]
    return result


_TOUCHPOINTS = TouchpointOwner.__table__  # type: ignore[attr-defined]
_TEAMS = OwnerTeam.__table__  # type: ignore[attr-defined]
# Core reads of one row, built once: a case opens inside the capture's transaction, and an
# ORM lookup (a session's instance for a row only read) cost four times the query.
_TOUCHPOINT = select(_TOUCHPOINTS).where(
    _TOUCHPOINTS.c.id == bindparam("id"), _TOUCHPOINTS.c.deleted.is_(False)
)
_TEAM = select(_TEAMS).where(_TEAMS.c.id == bindparam("id"), _TEAMS.c.deleted.is_(False))


def touchpoint(session: Session, touchpoint_id: str | None) -> Any:
    """The touchpoint as journey last described it (a row with TouchpointOwner's columns);
    None if unknown or deleted."""
    if not touchpoint_id:
        return None
    return session.execute(_TOUCHPOINT, {"id": touchpoint_id}).first()


def team(session: Session, team_id: str | None) -> Any:
    """The team (a row with OwnerTeam's columns); None if unknown or deleted."""
    if not team_id:
        return None
    return session.execute(_TEAM, {"id": team_id}).first()
