"""Who a case goes to: the touchpoint's named owner, else its team's lead, else nobody (the
unassigned queue), from feedback's read model of journey's ownership."""

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, or_, select

from feedback.ownership import service as ownership
from feedback.ownership.models import OwnerTeam, TouchpointOwner


@dataclass(frozen=True)
class Assignment:
    email: str | None
    name: str = ""
    team_id: str | None = None


# Not looked up yet (None: looked up, and unknown or deleted).
UNKNOWN: Any = object()


def route(
    session: Session, touchpoint_id: str | None, touchpoint: Any = UNKNOWN, team: Any = UNKNOWN
) -> Assignment:
    """`touchpoint`: the read model's row for `touchpoint_id`, and `team` its owning team's
    (None: it has none), when the caller has them."""
    if touchpoint is UNKNOWN:
        touchpoint = ownership.touchpoint(session, touchpoint_id)
    if touchpoint is None:
        return Assignment(None)
    if touchpoint.owner_email:
        return Assignment(touchpoint.owner_email, touchpoint.owner_name, touchpoint.owner_team_id)
    if team is UNKNOWN:
        team = ownership.team(session, touchpoint.owner_team_id)
    if team is not None and team.lead_email:
        return Assignment(team.lead_email, team.lead_name, team.id)
    return Assignment(None, "", touchpoint.owner_team_id)


def owns_anything_there(session: Session, email: str, touchpoint: TouchpointOwner) -> bool:
    """Whether `email` still owns a touchpoint of `touchpoint`'s journey (or it), or leads a
    team that does."""
    where = (
        TouchpointOwner.journey_id == touchpoint.journey_id
        if touchpoint.journey_id
        else TouchpointOwner.id == touchpoint.id
    )
    there = select(TouchpointOwner).where(where, TouchpointOwner.deleted == False)  # noqa: E712
    for owned in session.exec(there):
        if owned.owner_email == email:
            return True
    led = select(OwnerTeam.id).where(OwnerTeam.lead_email == email, OwnerTeam.deleted == False)  # noqa: E712
    return (
        session.exec(
            select(TouchpointOwner.id).where(
                where,
                TouchpointOwner.deleted == False,  # noqa: E712
                col(TouchpointOwner.owner_team_id).in_(led),
            )
        ).first()
        is not None
    )


def touchpoints_of_teams(session: Session, team_ids: set[str]) -> set[str]:
    if not team_ids:
        return set()
    return set(
        session.exec(
            select(TouchpointOwner.id).where(col(TouchpointOwner.owner_team_id).in_(team_ids))
        )
    )


def teams_of(session: Session, email: str) -> set[str]:
    """The teams a person leads or owns touchpoints for."""
    led = session.exec(select(OwnerTeam.id).where(OwnerTeam.lead_email == email))
    owning = session.exec(
        select(TouchpointOwner.owner_team_id).where(
            TouchpointOwner.owner_email == email,
            or_(col(TouchpointOwner.owner_team_id).is_not(None)),
        )
    )
    return {t for t in [*led, *owning] if t}
