"""Evaluating a touchpoint's rules against its rollups and keeping its incident
(alerts.lifecycle decides; this module reads the figures and writes the decision), staff
acknowledging and resolving incidents, and the alerts recorded before incidents."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from cxshared.concurrency import ensure_fresh
from cxshared.crud import get_or_404
from cxshared.db import write_session
from cxshared.events.outbox import Outbox
from cxshared.pagination import PageParams, paginate
from cxshared.problems import Problem
from cxshared.timeutil import utcnow
from metrics.alerts import evidence, lifecycle
from metrics.alerts.lifecycle import Action, Decision, Track
from metrics.alerts.models import Alert, Incident, IncidentStatus
from metrics.alerts.rules import METRICS, Signal, Target, standard_signal
from metrics.alerts.schemas import IncidentRead
from metrics.config import Settings
from metrics.dimension.models import TouchpointDim
from metrics.facts.models import DailyRollup, ResponseFact
from metrics.observed import figures as observed
from metrics.stats.charts import Day

log = structlog.get_logger("metrics.alerts")
R = DailyRollup

# Per metric: n, sum and sum of squares of the per-response score, and the bad-answer count
# (see stats.charts.Day), as SQL over rollup rows.
_FIGURES = {
    "nps": (
        func.sum(R.nps_n),
        100 * (func.sum(R.promoters) - func.sum(R.detractors)),
        10000 * (func.sum(R.promoters) + func.sum(R.detractors)),
        func.sum(R.detractors),
    ),
    "csat": (
        func.sum(R.csat_n),
        100 * func.sum(R.csat_top2),
        10000 * func.sum(R.csat_top2),
        func.sum(R.csat_n) - func.sum(R.csat_top2),
    ),
    "ces": (
        func.sum(R.ces_n),
        func.sum(R.ces_sum),
        func.sum(R.ces_sum_sq),
        func.sum(R.ces_n) - func.sum(R.ces_agree),
    ),
}


def daily_figures(
    session: Session, touchpoint_id: str, metric: str, first: date, last: date
) -> dict[date, Day]:
    n, total, total_sq, bad = _FIGURES[metric]
    rows = session.execute(
        select(col(R.day), n, total, total_sq, bad)
        .where(col(R.touchpoint_id) == touchpoint_id, col(R.day).between(first, last))
        .group_by(col(R.day))
    ).all()
    return {
        row[0]: Day(int(row[1] or 0), float(row[2] or 0), float(row[3] or 0), int(row[4] or 0))
        for row in rows
        if row[1]
    }


def targets_of(touchpoint: TouchpointDim) -> dict[str, Target]:
    return {
        t["metric"]: Target(
            value=float(t["value"]),
            direction=t.get("direction", "at_least"),
            min_responses=int(t.get("min_responses", 30)),
        )
        for t in touchpoint.targets
        if t.get("metric") in METRICS and t.get("value") is not None
    }


@dataclass(frozen=True)
class Changes:
    opened: int = 0
    reopened: int = 0
    escalated: int = 0
    resolved: int = 0
    kept: int = 0

    def __add__(self, other: "Changes") -> "Changes":
        return Changes(
            self.opened + other.opened,
            self.reopened + other.reopened,
            self.escalated + other.escalated,
            self.resolved + other.resolved,
            self.kept + other.kept,
        )


def read(session: Session, incident: Incident) -> IncidentRead:
    """The incident as the API shows it: with the comments behind it, counted by theme."""
    shown = IncidentRead.model_validate(incident)
    shown.evidence = evidence.of(session, incident)
    return shown


def incident_event(session: Session, incident: Incident) -> dict[str, Any]:
    """The data of every incident.* event (docs/metrics.md, "Incidents and detection")."""
    said = evidence.of(session, incident)

    def when(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "incident_id": incident.id,
        "status": incident.status,
        "touchpoint_id": incident.touchpoint_id,
        "touchpoint_name": incident.touchpoint_name,
        "journey_id": incident.journey_id,
        "owner_team_id": incident.owner_team_id,
        "owner_name": incident.owner_name,
        "owner_email": incident.owner_email,
        "signals": incident.signals,
        "response_ids": incident.response_ids,
        "evidence": said.model_dump(mode="json") if said else None,
        "opened_at": incident.opened_at.isoformat(),
        "reopened_at": when(incident.reopened_at),
        "reopen_count": incident.reopen_count,
        "escalated_at": when(incident.escalated_at),
        "resolved_at": when(incident.resolved_at),
        "resolved_by": incident.resolved_by,
        "resolution": incident.resolution,
    }


def _behind(
    session: Session, touchpoint_id: str, metrics: list[str], first: date, limit: int
) -> list[str]:
    """The bad answers of the active signals' metrics since `first`, newest first; none whose
    comment reads positive."""
    if not metrics:
        return []
    return list(
        session.execute(
            select(col(ResponseFact.response_id))
            .where(
                col(ResponseFact.touchpoint_id) == touchpoint_id,
                evidence.submitted_within(first),
                col(ResponseFact.flagged).is_(False),
                evidence.NOT_POSITIVE,
                evidence.bad_answers(metrics),
            )
            .order_by(col(ResponseFact.submitted_at).desc())
            .limit(limit)
        ).scalars()
    )


def _records(
    known: list[dict[str, Any]], signals: list[Signal], today: date
) -> list[dict[str, Any]]:
    """The incident's signals once today's are in: each one it has seen, with its latest
    evidence; a signal joins when it is first active."""
    by_key = {f"{r['metric']}:{r['rule']}": dict(r) for r in known}
    for signal in signals:
        record = by_key.get(lifecycle.key(signal))
        if record is None:
            if not signal.active:
                continue
            record = {"metric": signal.metric, "rule": str(signal.rule)}
            record["first_seen"] = today.isoformat()
            by_key[lifecycle.key(signal)] = record
        record["active"] = signal.active
        if signal.active:
            record["last_seen"] = today.isoformat()
        record["evidence"] = signal.evidence
    return list(by_key.values())


def _track(incident: Incident | None) -> Track | None:
    if incident is None:
        return None
    resolved_on = None
    if incident.status == IncidentStatus.RESOLVED and incident.resolved_at is not None:
        # The day it closed, as evaluation counts days.
        resolved_on = max(incident.resolved_at.date(), incident.last_evaluated_day or date.min)
    skip = (
        (incident.baseline_skip_from, incident.baseline_skip_to)
        if incident.baseline_skip_from and incident.baseline_skip_to
        else None
    )
    return Track(
        live=incident.status != IncidentStatus.RESOLVED,
        baseline_until=incident.baseline_until,
        resolved_on=resolved_on,
        clear_days=incident.clear_days,
        last_day=incident.last_evaluated_day,
        keys=frozenset(f"{r['metric']}:{r['rule']}" for r in incident.signals),
        skip=skip,
    )


def latest_incident(session: Session, touchpoint_id: str) -> Incident | None:
    """The touchpoint's live incident, or else the one that closed last."""
    live: Incident | None = session.execute(
        select(Incident).where(col(Incident.live_key) == touchpoint_id)
    ).scalar_one_or_none()
    if live is not None:
        return live
    last: Incident | None = session.execute(
        select(Incident)
        .where(col(Incident.touchpoint_id) == touchpoint_id)
        .order_by(col(Incident.resolved_at).desc())
        .limit(1)
    ).scalar_one_or_none()
    return last


_EVENTS = {
    Action.OPEN: "incident.opened",
    Action.REOPEN: "incident.reopened",
    Action.ESCALATE: "incident.escalated",
    Action.RESOLVE: "incident.resolved",
}


def _apply(
    session: Session,
    outbox: Outbox,
    touchpoint: TouchpointDim,
    incident: Incident | None,
    decision: Decision,
    settings: Settings,
    today: date,
) -> Changes:
    if decision.action == Action.NONE or decision.baseline_until is None:
        return Changes()
    now = utcnow()
    if decision.action == Action.OPEN or incident is None:
        incident = Incident(
            touchpoint_id=touchpoint.id,
            opened_at=now,
            baseline_until=decision.baseline_until,
            last_evaluated_at=now,
            updated_by="metrics",
        )
    if decision.action in (Action.OPEN, Action.REOPEN, Action.ESCALATE):
        incident.status, incident.live_key = IncidentStatus.OPEN, touchpoint.id
        incident.touchpoint_name, incident.journey_id = touchpoint.name, touchpoint.journey_id
        incident.owner_team_id, incident.owner_name = (
            touchpoint.owner_team_id,
            touchpoint.owner_name,
        )
        incident.owner_email = touchpoint.owner_email
    if decision.action == Action.REOPEN:
        incident.reopened_at, incident.reopen_count = now, incident.reopen_count + 1
        incident.resolved_at, incident.resolved_by, incident.resolution = None, None, ""
    if decision.action == Action.ESCALATE:
        incident.escalated_at = now
    if decision.action == Action.RESOLVE:
        incident.status, incident.live_key = IncidentStatus.RESOLVED, None
        incident.resolved_at, incident.resolved_by = now, "metrics"
        incident.resolution = (
            f"Back in control for {decision.clear_days} consecutive evaluated days."
        )
    incident.signals = _records(incident.signals, decision.signals, today)
    active = decision.active
    if active:
        first = min(date.fromisoformat(s.evidence["window"]["from"]) for s in active)
        metrics = sorted({s.metric for s in active})
        incident.response_ids = _behind(
            session, touchpoint.id, metrics, first, settings.alert_response_ids
        )
    incident.baseline_until = decision.baseline_until
    incident.baseline_skip_from, incident.baseline_skip_to = decision.skip or (None, None)
    incident.clear_days = decision.clear_days
    incident.last_evaluated_day = today
    incident.last_evaluated_at = now
    incident.updated_at = now
    session.add(incident)
    session.flush()
    event = _EVENTS.get(decision.action)
    if event is not None:
        outbox.publish(
            session, type=event, subject=incident.id, data=incident_event(session, incident)
        )
    return Changes(
        opened=decision.action == Action.OPEN,
        reopened=decision.action == Action.REOPEN,
        escalated=decision.action == Action.ESCALATE,
        resolved=decision.action == Action.RESOLVE,
        kept=decision.action == Action.KEEP,
    )


def evaluate_touchpoint(
    session: Session, outbox: Outbox, touchpoint: TouchpointDim, settings: Settings, today: date
) -> Changes:
    incident = latest_incident(session, touchpoint.id)
    track = _track(incident)
    first = lifecycle.first_day(track, today, settings)
    figures = {m: daily_figures(session, touchpoint.id, m, first, today) for m in METRICS}
    decision = lifecycle.assess(
        figures,
        track,
        targets=targets_of(touchpoint),
        today=today,
        settings=settings,
        also=_standard(session, touchpoint, settings, today),
    )
    return _apply(session, outbox, touchpoint, incident, decision, settings, today)


def _standard(
    session: Session, touchpoint: TouchpointDim, settings: Settings, today: date
) -> list[Signal]:
    """The touchpoint's experience standard over the alert window, when it has an indicator."""
    if not touchpoint.indicator:
        return []
    start = today - timedelta(days=settings.alert_window_days - 1)
    met, missed = observed.occasions(session, touchpoint.journey_id, touchpoint.id, start, today)
    return [
        standard_signal(
            met,
            missed,
            indicator=touchpoint.indicator,
            window=(start, today),
            minimum=settings.min_responses,
        )
    ]


def evaluate_touchpoints(
    engine: Any,
    outbox: Outbox,
    settings: Settings,
    touchpoint_ids: Iterable[str] | None = None,
    *,
    today: date | None = None,
) -> Changes:
    """Evaluates the given touchpoints (all, when None), each in its own write transaction.
    Touchpoints deleted from the journey resolve their incident."""
    today = today or utcnow().date()
    with Session(engine) as session:
        query = select(col(TouchpointDim.id))
        if touchpoint_ids is not None:
            query = query.where(col(TouchpointDim.id).in_(list(touchpoint_ids)))
        ids = list(session.execute(query).scalars())
    total = Changes()
    for touchpoint_id in ids:
        try:
            with write_session(engine) as session:
                touchpoint = session.get(TouchpointDim, touchpoint_id)
                if touchpoint is None:
                    continue
                if touchpoint.deleted:
                    total += _close_deleted(session, outbox, touchpoint)
                    continue
                total += evaluate_touchpoint(session, outbox, touchpoint, settings, today)
        except IntegrityError:
            # Another worker opened the touchpoint's incident at the same moment: it stands.
            log.info("incidents.raced", touchpoint_id=touchpoint_id)
    return total


def _close(
    session: Session, outbox: Outbox, incident: Incident, *, actor: str, reason: str
) -> None:
    now = utcnow()
    incident.status, incident.live_key = IncidentStatus.RESOLVED, None
    incident.resolved_at, incident.resolved_by, incident.resolution = now, actor, reason
    incident.updated_at, incident.updated_by = now, actor
    session.add(incident)
    outbox.publish(
        session,
        type="incident.resolved",
        subject=incident.id,
        data=incident_event(session, incident),
    )


def _close_deleted(session: Session, outbox: Outbox, touchpoint: TouchpointDim) -> Changes:
    live = session.execute(
        select(Incident).where(col(Incident.live_key) == touchpoint.id)
    ).scalar_one_or_none()
    if live is None:
        return Changes()
    _close(session, outbox, live, actor="metrics", reason="The touchpoint was deleted.")
    return Changes(resolved=1)


def incidents(
    *,
    session: Session,
    params: PageParams,
    status: IncidentStatus | None,
    touchpoint_id: str | None,
    journey_id: str | None,
    owner_team_id: str | None,
) -> tuple[list[Incident], str | None]:
    """A page of incidents, newest first, where each filter that is given matches."""
    query = select(Incident)
    for column, value in (
        (Incident.status, status),
        (Incident.touchpoint_id, touchpoint_id),
        (Incident.journey_id, journey_id),
        (Incident.owner_team_id, owner_team_id),
    ):
        if value is not None:
            query = query.where(col(column) == value)
    return paginate(session, query, order_by=[col(Incident.id)], params=params, descending=True)


def get_incident(*, session: Session, incident_id: str) -> Incident:
    return get_or_404(session, Incident, incident_id)


def _editable(session: Session, incident_id: str, if_match: str | None) -> Incident:
    incident = get_or_404(session, Incident, incident_id)
    ensure_fresh(
        if_match,
        version=incident.version,
        updated_by=incident.updated_by,
        updated_at=incident.updated_at,
    )
    return incident


def acknowledge(
    *, session: Session, incident_id: str, note: str, actor: str, if_match: str | None
) -> Incident:
    """Acknowledges an open incident; it still closes itself once back in control."""
    incident = _editable(session, incident_id, if_match)
    if incident.status != IncidentStatus.OPEN:
        raise Problem(
            409, "incident-not-open", "Incident not open", f"The incident is {incident.status}."
        )
    now = utcnow()
    incident.status = IncidentStatus.ACKNOWLEDGED
    incident.acknowledged_at, incident.acknowledged_by, incident.note = now, actor, note
    incident.version += 1
    incident.updated_at, incident.updated_by = now, actor
    session.add(incident)
    session.commit()
    return incident


def resolve(
    *,
    session: Session,
    outbox: Outbox,
    incident_id: str,
    reason: str,
    actor: str,
    if_match: str | None,
) -> Incident:
    """Resolves an open or acknowledged incident with the staff's reason. A signal within
    `incident_reopen_days` reopens it."""
    incident = _editable(session, incident_id, if_match)
    if incident.status == IncidentStatus.RESOLVED:
        raise Problem(
            409, "incident-resolved", "Incident already resolved", "The incident is resolved."
        )
    incident.version += 1
    _close(session, outbox, incident, actor=actor, reason=reason)
    session.commit()
    return incident


def alerts(
    *,
    session: Session,
    params: PageParams,
    status: str | None,
    touchpoint_id: str | None,
    journey_id: str | None,
    owner_team_id: str | None,
) -> tuple[list[Alert], str | None]:
    """A page of the alerts recorded before incidents, newest first, filtered."""
    query = select(Alert)
    for column, value in (
        (Alert.status, status),
        (Alert.touchpoint_id, touchpoint_id),
        (Alert.journey_id, journey_id),
        (Alert.owner_team_id, owner_team_id),
    ):
        if value is not None:
            query = query.where(col(column) == value)
    return paginate(session, query, order_by=[col(Alert.id)], params=params, descending=True)


def get_alert(*, session: Session, alert_id: str) -> Alert:
    return get_or_404(session, Alert, alert_id)
