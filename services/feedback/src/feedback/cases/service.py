"""Opening, routing and working cases. Every change is written with its history entry and its
event in the caller's transaction."""

import functools
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Engine, Insert, bindparam, func, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, delete, or_, select

from cxshared import deferred
from cxshared.concurrency import ensure_fresh
from cxshared.crud import get_or_404
from cxshared.db import is_sqlite, new_row, once_per_transaction, write_session
from cxshared.events.outbox import Outbox
from cxshared.problems import Problem, field_error
from feedback.cases import events, rules, sla
from feedback.cases.models import (
    Case,
    CaseContact,
    CaseHistory,
    CaseNote,
    CaseRule,
    CaseSource,
    CaseState,
    RootCause,
)
from feedback.cases.routing import (
    UNKNOWN,
    Assignment,
    owns_anything_there,
    route,
    teams_of,
    touchpoints_of_teams,
)
from feedback.ownership import service as ownership

ACTIVE = (CaseState.OPEN, CaseState.IN_PROGRESS, CaseState.WAITING_ON_CUSTOMER)
TRANSITIONS: dict[str, set[str]] = {
    CaseState.OPEN: {CaseState.IN_PROGRESS, CaseState.WAITING_ON_CUSTOMER, CaseState.RESOLVED},
    CaseState.IN_PROGRESS: {CaseState.WAITING_ON_CUSTOMER, CaseState.RESOLVED},
    CaseState.WAITING_ON_CUSTOMER: {CaseState.IN_PROGRESS, CaseState.RESOLVED},
    CaseState.RESOLVED: {CaseState.CLOSED, CaseState.OPEN},
    CaseState.CLOSED: {CaseState.OPEN},
}
ROUTING = "routing"


# Opening a case is on the capture's path (inside its write transaction): its rows go in as
# Core inserts of plain values, with statements built once (docs/benchmarks.md, "Cases").
_INSERT_HISTORY = insert(CaseHistory.__table__)  # type: ignore[attr-defined]


def record(
    session: Session, case: Case, actor: str, action: str, changes: dict[str, Any], now: datetime
) -> None:
    row = new_row(CaseHistory, case_id=case.id, actor=actor, action=action, changes=changes, at=now)
    session.execute(_INSERT_HISTORY, row)


@functools.cache
def _insert_case(on_sqlite: bool) -> Insert:
    dialect = sqlite if on_sqlite else postgresql
    table = Case.__table__  # type: ignore[attr-defined]
    statement: Insert = (
        dialect.insert(table)
        # Any conflict: the (response, rule) pair, or a customer's active outreach case.
        .on_conflict_do_nothing()
    )
    return statement


def new_case(
    session: Session,
    outbox: Outbox,
    policy: sla.CasePolicy,
    *,
    actor: str,
    now: datetime,
    assignment: Assignment | None = None,
    rule: Any = None,
    touchpoint: Any = UNKNOWN,
    team: Any = UNKNOWN,
    **values: Any,
) -> Any:
    """Opens a case routed to the touchpoint's owner (or given `assignment`); None when its
    response had opened one by this rule already, or (outreach) its customer has an active
    outreach case. In a grouped capture the case goes in with the batch (`cxshared.deferred`),
    where that is found only then: the case is returned, and goes in, with its history and
    events, or not at all. `opened_at` (a ticket's own time) defaults to now. `rule`, `touchpoint`
    and its owning `team` (the ownership read model's rows): when the caller has them.

    The case is written as a Core insert of plain values and returned as a plain object with
    the case's attributes (not a session's instance): this runs inside the capture's write
    transaction, where building a table model cost more than inserting it."""
    if touchpoint is UNKNOWN:
        touchpoint = ownership.touchpoint(session, values.get("touchpoint_id"))
    opened_at = values.pop("opened_at", None) or now
    routed = assignment is None
    assignment = assignment or route(session, values.get("touchpoint_id"), touchpoint, team)
    row = new_row(
        Case,
        **values,
        rule_id=rule.id if rule is not None else None,
        journey_id=touchpoint.journey_id if touchpoint else None,
        assignee_email=assignment.email,
        assignee_name=assignment.name,
        assignee_team_id=assignment.team_id,
        routed=routed,
        opened_at=opened_at,
        created_at=now,
        updated_at=now,
        updated_by=actor,
        first_contact_target_seconds=0,
        resolution_target_seconds=0,
    )
    case: Any = SimpleNamespace(**row)
    sla.set_targets(case, policy)
    # Gone in when this returns, or (a grouped capture) going in with its batch unless the
    # (response, rule) pair, or the customer's active outreach case, is there already: then
    # nothing below goes in either, and a concurrent insert of the same waits for the other to
    # commit, then does nothing.
    statement = _insert_case(is_sqlite(session.get_bind()))  # type: ignore[arg-type]
    key = Case.__table__.c.id  # type: ignore[attr-defined]
    if not deferred.insert_once(session, statement, vars(case), key=key):
        return None
    with deferred.depending_on(session, case.id):
        _announce_opened(session, outbox, case, actor, now, touchpoint, team, rule)
    return case


def _announce_opened(
    session: Session,
    outbox: Outbox,
    case: Any,
    actor: str,
    now: datetime,
    touchpoint: Any,
    team: Any,
    rule: Any,
) -> None:
    """A new case's history and events."""
    history = [
        new_row(
            CaseHistory,
            case_id=case.id,
            actor=actor,
            action="opened",
            changes={"reason": case.reason, "source": case.source},
            at=now,
        )
    ]
    if team is UNKNOWN or (team and team.id != case.assignee_team_id):
        team = ownership.team(session, case.assignee_team_id)
    data = events.case_data(session, case, now, touchpoint=touchpoint, team=team, rule=rule)
    events.publish(session, outbox, case, events.OPENED, now, data=data)
    if case.assignee_email or case.assignee_team_id:
        history.append(
            new_row(
                CaseHistory,
                case_id=case.id,
                actor=actor,
                action="assigned",
                changes=_assignee(case),
                at=now,
            )
        )
        events.publish(
            session, outbox, case, events.ASSIGNED, now, data=data, previous_assignee=None
        )
    deferred.insert(session, _INSERT_HISTORY, history)


_RULES = CaseRule.__table__  # type: ignore[attr-defined]
_RULES_OF = select(_RULES).where(
    or_(_RULES.c.survey_id == bindparam("survey_id"), _RULES.c.survey_id.is_(None)),
    _RULES.c.enabled.is_(True),
)


def rules_for(session: Session, survey_id: str) -> list[Any]:
    """The survey's own enabled rules, or the global ones when it has none (rows with the
    rule's columns: read on every completed answer)."""
    found = session.execute(_RULES_OF, {"survey_id": survey_id}).all()
    own = [r for r in found if r.survey_id is not None]
    return own or list(found)


def _rule_title(touchpoint: Any, why: str) -> str:
    """What a rule saw, and where: "Courier delivers: NPS 1 (0-3)"."""
    if touchpoint and touchpoint.name:
        return f"{touchpoint.name}: {why}"[:200]
    return (why[:1].upper() + why[1:])[:200]


def open_from_rules(
    session: Session,
    outbox: Outbox,
    policy: sla.CasePolicy,
    *,
    response: Any,
    questions: list[dict[str, Any]],
    now: datetime,
) -> list[Any]:
    """Opens a case for each rule a completed response meets (once per rule, ever). The rules
    and the touchpoint's ownership are read once per transaction: a grouped capture's batch
    reads them once for all its answers."""
    opened = []
    touchpoint: Any = UNKNOWN
    team: Any = UNKNOWN
    survey_id, touchpoint_id = response.survey_id, response.touchpoint_id
    found = once_per_transaction(
        session, ("case-rules", survey_id), lambda: rules_for(session, survey_id)
    )
    for rule in found:
        why = rules.reason(rule, questions, response.answers)
        if why is None:
            continue
        if touchpoint is UNKNOWN:
            touchpoint, team = once_per_transaction(
                session,
                ("case-touchpoint", touchpoint_id),
                lambda: _with_team(session, ownership.touchpoint(session, touchpoint_id)),
            )
        case = new_case(
            session,
            outbox,
            policy,
            actor="rule",
            now=now,
            rule=rule,
            touchpoint=touchpoint,
            team=team,
            source=CaseSource.RULE,
            response_id=response.id,
            survey_id=survey_id,
            touchpoint_id=touchpoint_id,
            respondent_external_id=response.respondent_external_id,
            title=_rule_title(touchpoint, why),
            description=response.comment[:5000],
            reason=why,
            priority=rule.priority,
        )
        if case is not None:
            opened.append(case)
    return opened


def _with_team(session: Session, touchpoint: Any) -> tuple[Any, Any]:
    """The touchpoint's row and its owning team's (None when it has none)."""
    return touchpoint, ownership.team(session, touchpoint.owner_team_id) if touchpoint else None


def _assignee(case: Case) -> dict[str, Any]:
    return {
        "email": case.assignee_email,
        "name": case.assignee_name,
        "team_id": case.assignee_team_id,
    }


def assign(
    session: Session,
    outbox: Outbox,
    case: Case,
    assignment: Assignment,
    *,
    actor: str,
    now: datetime,
    routed: bool,
    action: str = "assigned",
) -> None:
    before = _assignee(case)
    case.assignee_email, case.assignee_name = assignment.email, assignment.name
    case.assignee_team_id = assignment.team_id
    case.routed = routed
    after = _assignee(case)
    if before == after:
        return
    _touch(case, actor, now)
    session.add(case)
    record(session, case, actor, action, {"before": before, "after": after}, now)
    events.publish(session, outbox, case, events.ASSIGNED, now, previous_assignee=before)


def _touch(case: Case, actor: str, now: datetime) -> None:
    case.version += 1
    case.updated_at = now
    case.updated_by = actor


def follow_owners(
    session: Session,
    outbox: Outbox,
    *,
    touchpoints: set[str],
    teams: set[str],
    now: datetime,
) -> int:
    """After journey changed who owns `touchpoints` or leads `teams`: an open, routed case
    stays with its assignee while they still own something in its journey, else it moves to
    whoever routing names now. Returns the cases moved."""
    affected = touchpoints | touchpoints_of_teams(session, teams)
    if not affected:
        return 0
    moved = 0
    cases = session.exec(
        select(Case)
        .where(
            col(Case.touchpoint_id).in_(affected),
            col(Case.state).in_(ACTIVE),
            Case.routed == True,  # noqa: E712
        )
        .with_for_update()
    ).all()
    for case in cases:
        touchpoint = ownership.touchpoint(session, case.touchpoint_id)
        if (
            case.assignee_email
            and touchpoint is not None
            and owns_anything_there(session, case.assignee_email, touchpoint)
        ):
            continue
        target = route(session, case.touchpoint_id)
        if target.email == case.assignee_email and target.team_id == case.assignee_team_id:
            continue
        assign(
            session, outbox, case, target, actor=ROUTING, now=now, routed=True, action="rerouted"
        )
        moved += 1
    return moved


def announce_breaches(session: Session, outbox: Outbox, case: Case, now: datetime) -> int:
    """Announces each clock's breach once: the flag is set only where it is still unset, so two
    workers (or a worker and a request) cannot both announce it."""
    announced = 0
    for clock in sla.unannounced_breaches(case, now):
        column = f"{clock}_breached_at"
        done = session.execute(
            update(Case.__table__)  # type: ignore[attr-defined]
            .where(Case.__table__.c.id == case.id, Case.__table__.c[column].is_(None))  # type: ignore[attr-defined]
            .values({column: now})
        ).rowcount
        if not done:
            continue
        setattr(case, column, now)
        lead = ownership.team(session, case.assignee_team_id)
        record(session, case, ROUTING, "breached", {"clock": clock}, now)
        events.publish(
            session,
            outbox,
            case,
            events.BREACHED,
            now,
            clock=clock,
            escalate_to={"email": lead.lead_email, "name": lead.lead_name} if lead else None,
        )
        announced += 1
    return announced


def sweep_breaches(engine: Engine, outbox: Outbox, policy: sla.CasePolicy, limit: int = 200) -> int:
    """Announces the breaches of running clocks that are past due. Safe in every process."""
    now = policy.now()
    with write_session(engine) as session:
        due = session.exec(
            select(Case)
            .where(
                or_(
                    (col(Case.first_contact_due_at) <= now)
                    & col(Case.first_contact_breached_at).is_(None),
                    (col(Case.resolution_due_at) <= now)
                    & col(Case.resolution_breached_at).is_(None),
                )
            )
            .limit(limit)
        ).all()
        return sum(announce_breaches(session, outbox, case, now) for case in due)


def get_case(session: Session, case_id: str, *, lock: bool = False) -> Case:
    return get_or_404(session, Case, case_id, lock=lock)


def _check_root_cause(session: Session, case: Case, root_cause_id: str | None) -> None:
    if root_cause_id is None:
        return
    cause = session.get(RootCause, root_cause_id)
    if cause is None or not cause.active or cause.journey_id not in (None, case.journey_id):
        raise field_error(
            "root_cause_id", "not a root cause of this case's journey", "unknown_reference"
        )


def active_outreach(session: Session, respondent_external_id: str) -> Case | None:
    """The customer's outreach case being worked, if any (at most one: a unique index)."""
    return session.exec(
        select(Case).where(
            Case.source == CaseSource.OUTREACH,
            Case.respondent_external_id == respondent_external_id,
            col(Case.state).in_(ACTIVE),
        )
    ).first()


def _change_state(session: Session, case: Case, state: str, now: datetime) -> str | None:
    """Moves the case's state and its clocks; returns the event the move announces."""
    if state not in TRANSITIONS[case.state]:
        raise Problem(
            409,
            "invalid-transition",
            "Invalid transition",
            f"A case that is {case.state} cannot become {state}; it can become "
            f"{', '.join(sorted(TRANSITIONS[case.state]))}.",
        )
    reopening = case.state not in ACTIVE and state in ACTIVE
    if reopening and case.source == CaseSource.OUTREACH and case.respondent_external_id:
        other = active_outreach(session, case.respondent_external_id)
        if other is not None:
            raise Problem(
                409,
                "outreach-active",
                "Another outreach case is active",
                f"The customer's outreach case {other.id} is being worked; work that one.",
            )
    before, case.state = case.state, state
    if state == CaseState.RESOLVED:
        case.resolved_at = now
        sla.pause(case, now)
        return events.RESOLVED
    if state == CaseState.CLOSED:
        case.closed_at = now
        sla.pause(case, now)
        return events.CLOSED
    if state == CaseState.WAITING_ON_CUSTOMER:
        sla.pause(case, now)
        return None
    sla.resume(case, now)
    if before in (CaseState.RESOLVED, CaseState.CLOSED):
        case.resolved_at = case.closed_at = None
        return events.REOPENED
    return None


def update_case(
    session: Session,
    outbox: Outbox,
    policy: sla.CasePolicy,
    *,
    case_id: str,
    patch: dict[str, Any],
    if_match: str | None,
    actor: str,
) -> Case:
    now = policy.now()
    case = get_case(session, case_id, lock=True)
    ensure_fresh(
        if_match, version=case.version, updated_by=case.updated_by, updated_at=case.updated_at
    )
    assignment = {
        k: patch.pop(k)
        for k in ("assignee_email", "assignee_name", "assignee_team_id")
        if k in patch
    }
    state = patch.pop("state", None)
    if "root_cause_id" in patch:
        _check_root_cause(session, case, patch["root_cause_id"])
    changes: dict[str, Any] = {}
    for name, value in patch.items():
        if getattr(case, name) != value:
            changes[name] = {"before": getattr(case, name), "after": value}
            setattr(case, name, value)
    if "priority" in changes:
        sla.set_targets(case, policy)
    kinds: list[str] = []
    if state is not None and state != case.state:
        if state == CaseState.RESOLVED and not case.resolution.strip():
            raise field_error("resolution", "say how it was put right before resolving", "required")
        changes["state"] = {"before": case.state, "after": state}
        kind = _change_state(session, case, state, now)
        if kind:
            kinds.append(kind)
    if changes:
        _touch(case, actor, now)
        session.add(case)
        record(session, case, actor, "updated", changes, now)
        session.flush()
        for kind in kinds or [events.UPDATED]:
            events.publish(session, outbox, case, kind, now, changes=changes)
    if assignment:
        target = Assignment(
            assignment.get("assignee_email", case.assignee_email),
            assignment.get("assignee_name", case.assignee_name),
            assignment.get("assignee_team_id", case.assignee_team_id),
        )
        assign(session, outbox, case, target, actor=actor, now=now, routed=False)
    announce_breaches(session, outbox, case, now)
    return case


def add_note(
    session: Session, outbox: Outbox, policy: sla.CasePolicy, *, case_id: str, body: str, actor: str
) -> CaseNote:
    now = policy.now()
    case = get_case(session, case_id, lock=True)
    note = CaseNote(case_id=case.id, body=body, author=actor, created_at=now)
    session.add(note)
    record(session, case, actor, "note_added", {"note_id": note.id}, now)
    events.publish(
        session,
        outbox,
        case,
        events.UPDATED,
        now,
        note={"id": note.id, "body": body, "author": actor},
    )
    return note


def add_contact(
    session: Session,
    outbox: Outbox,
    policy: sla.CasePolicy,
    *,
    case_id: str,
    values: dict[str, Any],
    actor: str,
) -> CaseContact:
    """Logs an attempt to reach the customer; the first stops the first-contact clock."""
    now = policy.now()
    case = get_case(session, case_id, lock=True)
    contact = CaseContact(case_id=case.id, author=actor, created_at=now, **values)
    contact.contacted_at = min(contact.contacted_at, now)
    session.add(contact)
    if case.first_contact_at is None:
        case.first_contact_at = contact.contacted_at
        case.first_contact_seconds = max(
            0.0, sla.active_seconds(case, now) - (now - contact.contacted_at).total_seconds()
        )
        sla.refresh_due(case)
        _touch(case, actor, now)
        session.add(case)
    record(
        session,
        case,
        actor,
        "contact_logged",
        {"contact_id": contact.id, "channel": contact.channel, "outcome": contact.outcome},
        now,
    )
    session.flush()
    events.publish(
        session,
        outbox,
        case,
        events.UPDATED,
        now,
        contact={
            "id": contact.id,
            "channel": contact.channel,
            "outcome": contact.outcome,
            "contacted_at": contact.contacted_at.isoformat(),
        },
    )
    announce_breaches(session, outbox, case, now)
    return contact


def erase(session: Session, *, external_id: str, response_ids: list[str]) -> list[str]:
    """Deletes the respondent's cases (their notes, contacts and history go with them);
    returns their ids, so that the events naming them can go too."""
    conditions: list[Any] = [col(Case.respondent_external_id) == external_id]
    if response_ids:
        conditions.append(col(Case.response_id).in_(response_ids))
    case_ids = list(session.exec(select(Case.id).where(or_(*conditions))).all())
    if case_ids:
        for key in (CaseNote.case_id, CaseContact.case_id, CaseHistory.case_id, Case.id):
            session.exec(delete(key.class_).where(col(key).in_(case_ids)))  # type: ignore[attr-defined]
    return case_ids


def read(session: Session, case: Case, now: datetime) -> dict[str, Any]:
    data = events.case_data(session, case, now)
    data["id"] = data.pop("case_id")
    clocks = data["sla"].values()
    data["at_risk"] = any(c["at_risk"] for c in clocks)
    data["breached"] = any(c["breached"] for c in clocks)
    return data


def _breached(now: datetime) -> Any:
    return or_(
        col(Case.first_contact_breached_at).is_not(None),
        col(Case.resolution_breached_at).is_not(None),
        col(Case.first_contact_due_at) <= now,
        col(Case.resolution_due_at) <= now,
    )


def _at_risk(now: datetime) -> Any:
    return ~_breached(now) & or_(
        col(Case.first_contact_risk_at) <= now, col(Case.resolution_risk_at) <= now
    )


def filtered(filters: dict[str, Any], now: datetime, *, session: Session) -> Any:
    query = select(Case)
    if filters.get("team_of") is not None:
        # The same teams as `counts`' team figure.
        query = query.where(col(Case.assignee_team_id).in_(teams_of(session, filters["team_of"])))
    for name in ("journey_id", "touchpoint_id", "priority", "state", "source"):
        if filters.get(name) is not None:
            query = query.where(getattr(Case, name) == filters[name])
    if filters.get("respondent_external_id"):
        query = query.where(col(Case.respondent_external_id).in_(filters["respondent_external_id"]))
    if filters.get("active") is not None:
        working = col(Case.state).in_(ACTIVE)
        query = query.where(working if filters["active"] else ~working)
    if filters.get("assignee") is not None:
        query = query.where(Case.assignee_email == filters["assignee"])
    if filters.get("unassigned") is not None:
        unassigned = col(Case.assignee_email).is_(None)
        query = query.where(unassigned if filters["unassigned"] else ~unassigned)
    if filters.get("breached") is not None:
        query = query.where(_breached(now) if filters["breached"] else ~_breached(now))
    if filters.get("at_risk") is not None:
        query = query.where(_at_risk(now) if filters["at_risk"] else ~_at_risk(now))
    if filters.get("opened_before") is not None:
        query = query.where(Case.opened_at < filters["opened_before"])
    if filters.get("opened_after") is not None:
        query = query.where(Case.opened_at >= filters["opened_after"])
    return query


def counts(session: Session, *, email: str, now: datetime) -> dict[str, int]:
    def count(*where: Any) -> int:
        return int(
            session.exec(
                select(func.count()).select_from(Case).where(col(Case.state).in_(ACTIVE), *where)
            ).one()
        )

    teams = teams_of(session, email)
    mine = Case.assignee_email == email
    return {
        "mine": count(mine),
        "team": count(col(Case.assignee_team_id).in_(teams)) if teams else 0,
        "unassigned": count(col(Case.assignee_email).is_(None)),
        "breached": count(mine, _breached(now)),
        "at_risk": count(mine, _at_risk(now)),
    }
