"""What case events carry: enough for metrics' case figures and for an integrator to mirror
each case into a help desk from the webhooks alone."""

from datetime import datetime
from typing import Any

from sqlmodel import Session

from cxshared.events.outbox import Outbox
from feedback.cases import sla
from feedback.cases.models import Case, CaseRule, RootCause
from feedback.cases.routing import UNKNOWN
from feedback.ownership import service as ownership
from feedback.ownership.models import TouchpointOwner

OPENED, ASSIGNED, UPDATED = "case.opened", "case.assigned", "case.updated"
BREACHED, RESOLVED, CLOSED, REOPENED = (
    "case.breached",
    "case.resolved",
    "case.closed",
    "case.reopened",
)
EVENT_TYPES = [OPENED, ASSIGNED, UPDATED, BREACHED, RESOLVED, CLOSED, REOPENED]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def clock_data(case: Case, clock: str, now: datetime) -> dict[str, Any]:
    view = sla.view(case, clock, now)
    return {
        "target_seconds": view.target_seconds,
        "used_seconds": round(view.used_seconds, 3),
        "due_at": _iso(view.due_at),
        "running": view.running,
        "stopped": view.stopped,
        "at_risk": view.at_risk,
        "breached": view.breached,
    }


def case_data(
    session: Session,
    case: Case,
    now: datetime,
    *,
    touchpoint: TouchpointOwner | None = None,
    team: Any = UNKNOWN,
    rule: Any = None,
) -> dict[str, Any]:
    """`touchpoint`, the assignee's `team` and `rule`: the case's, when the caller has them
    (the capture does)."""
    if touchpoint is None:
        touchpoint = ownership.touchpoint(session, case.touchpoint_id)
    if team is UNKNOWN:
        team = ownership.team(session, case.assignee_team_id)
    if rule is None and case.rule_id:
        rule = session.get(CaseRule, case.rule_id)
    cause = session.get(RootCause, case.root_cause_id) if case.root_cause_id else None
    return {
        "case_id": case.id,
        "version": case.version,
        "source": case.source,
        "rule": {"id": rule.id, "name": rule.name, "kind": rule.kind} if rule else None,
        "response_id": case.response_id,
        "survey_id": case.survey_id,
        "touchpoint_id": case.touchpoint_id,
        "touchpoint_name": touchpoint.name if touchpoint else None,
        "journey_id": case.journey_id,
        "journey_name": touchpoint.journey_name if touchpoint else None,
        "respondent_external_id": case.respondent_external_id,
        "title": case.title,
        "description": case.description,
        "reason": case.reason,
        "priority": case.priority,
        "state": case.state,
        "assignee": {
            "email": case.assignee_email,
            "name": case.assignee_name,
            "team_id": case.assignee_team_id,
            "team_name": team.name if team else None,
            "routed": case.routed,
        },
        "root_cause": {"id": cause.id, "name": cause.name} if cause else None,
        "resolution": case.resolution,
        "recovered": case.recovered,
        "follow_up": {
            "sent_at": _iso(case.followup_sent_at),
            "answered_at": _iso(case.followup_answered_at),
            "score": case.followup_score,
        },
        "opened_at": _iso(case.opened_at),
        "first_contact_at": _iso(case.first_contact_at),
        "resolved_at": _iso(case.resolved_at),
        "closed_at": _iso(case.closed_at),
        "sla": {
            sla.FIRST_CONTACT: clock_data(case, sla.FIRST_CONTACT, now),
            sla.RESOLUTION: clock_data(case, sla.RESOLUTION, now),
        },
        "updated_by": case.updated_by,
    }


def publish(
    session: Session,
    outbox: Outbox,
    case: Case,
    kind: str,
    now: datetime,
    *,
    data: dict[str, Any] | None = None,
    **extra: Any,
) -> None:
    """`data`: the case's `case_data` when the caller has it already."""
    if data is None:
        data = case_data(session, case, now)
    outbox.publish(session, type=kind, subject=case.id, data={**data, **extra})
