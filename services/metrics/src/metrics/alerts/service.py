"""Evaluating a touchpoint's alert rules against its rollups, and opening and resolving alerts."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Session, col

from cxshared.concurrency import ensure_fresh
from cxshared.crud import get_or_404
from cxshared.db import write_session
from cxshared.events.outbox import Outbox
from cxshared.pagination import PageParams, paginate
from cxshared.problems import Problem
from cxshared.timeutil import utcnow
from metrics.alerts.models import Alert, AlertStatus
from metrics.alerts.rules import METRICS, Signal, Target, evaluate
from metrics.config import Settings
from metrics.dimension.models import TouchpointDim
from metrics.facts.models import DailyRollup, ResponseFact
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

# The responses behind a signal: the bad answers of the window.
_BAD: dict[str, Any] = {
    "nps": col(ResponseFact.nps) <= 6,
    "csat": col(ResponseFact.csat) <= 3,
    "ces": col(ResponseFact.ces) <= 4,
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
    resolved: int = 0
    kept: int = 0

    def __add__(self, other: "Changes") -> "Changes":
        return Changes(
            self.opened + other.opened, self.resolved + other.resolved, self.kept + other.kept
        )


def alert_event(alert: Alert) -> dict[str, Any]:
    return {
        "alert_id": alert.id,
        "status": alert.status,
        "touchpoint_id": alert.touchpoint_id,
        "touchpoint_name": alert.touchpoint_name,
        "journey_id": alert.journey_id,
        "owner_team_id": alert.owner_team_id,
        "owner_name": alert.owner_name,
        "owner_email": alert.owner_email,
        "metric": alert.metric,
        "rule": alert.rule,
        "evidence": alert.evidence,
        "response_ids": alert.response_ids,
        "opened_at": alert.opened_at.isoformat(),
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
    }


def _behind(
    session: Session, touchpoint_id: str, metric: str, first: date, limit: int
) -> list[str]:
    column: InstrumentedAttribute[Any] = getattr(ResponseFact, metric)
    return list(
        session.execute(
            select(col(ResponseFact.response_id))
            .where(
                col(ResponseFact.touchpoint_id) == touchpoint_id,
                col(ResponseFact.day) >= first,
                col(ResponseFact.flagged).is_(False),
                column.is_not(None),
                _BAD[metric],
            )
            .order_by(col(ResponseFact.submitted_at).desc())
            .limit(limit)
        ).scalars()
    )


def _apply(
    session: Session,
    outbox: Outbox,
    touchpoint: TouchpointDim,
    signal: Signal,
    settings: Settings,
) -> Changes:
    key = f"{touchpoint.id}:{signal.metric}:{signal.rule}"
    live = session.execute(select(Alert).where(col(Alert.live_key) == key)).scalar_one_or_none()
    now = utcnow()
    if live is None and not signal.active:
        return Changes()
    if live is not None and not signal.active:
        live.status = AlertStatus.RESOLVED
        live.live_key = None
        live.resolved_at = now
        live.last_evaluated_at = now
        live.evidence = signal.evidence
        live.updated_at = now
        session.add(live)
        outbox.publish(session, type="alert.resolved", subject=live.id, data=alert_event(live))
        return Changes(resolved=1)
    first = date.fromisoformat(signal.evidence["window"]["from"])
    behind = _behind(session, touchpoint.id, signal.metric, first, settings.alert_response_ids)
    if live is not None:
        live.evidence = signal.evidence
        live.response_ids = behind
        live.last_evaluated_at = now
        session.add(live)
        return Changes(kept=1)
    alert = Alert(
        touchpoint_id=touchpoint.id,
        metric=signal.metric,
        rule=signal.rule,
        live_key=key,
        touchpoint_name=touchpoint.name,
        journey_id=touchpoint.journey_id,
        owner_team_id=touchpoint.owner_team_id,
        owner_name=touchpoint.owner_name,
        owner_email=touchpoint.owner_email,
        opened_at=now,
        evidence=signal.evidence,
        response_ids=behind,
        last_evaluated_at=now,
        updated_by="metrics",
    )
    session.add(alert)
    session.flush()
    outbox.publish(session, type="alert.opened", subject=alert.id, data=alert_event(alert))
    return Changes(opened=1)


def evaluate_touchpoint(
    session: Session, outbox: Outbox, touchpoint: TouchpointDim, settings: Settings, today: date
) -> Changes:
    targets = targets_of(touchpoint)
    first = today - timedelta(days=settings.alert_window_days + settings.alert_baseline_days)
    changes = Changes()
    for metric in METRICS:
        days = daily_figures(session, touchpoint.id, metric, first, today)
        if not days and metric not in targets:
            signals = [
                Signal(metric, rule, active=False, evidence={})
                for rule in _live_rules(session, touchpoint.id, metric)
            ]
        else:
            signals = evaluate(
                metric, days, today=today, target=targets.get(metric), settings=settings
            )
        for signal in signals:
            changes += _apply(session, outbox, touchpoint, signal, settings)
    return changes


def _live_rules(session: Session, touchpoint_id: str, metric: str) -> list[Any]:
    return list(
        session.execute(
            select(col(Alert.rule)).where(
                col(Alert.touchpoint_id) == touchpoint_id,
                col(Alert.metric) == metric,
                col(Alert.live_key).is_not(None),
            )
        ).scalars()
    )


def evaluate_touchpoints(
    engine: Any,
    outbox: Outbox,
    settings: Settings,
    touchpoint_ids: Iterable[str] | None = None,
    *,
    today: date | None = None,
) -> Changes:
    """Evaluates the given touchpoints (all, when None), each in its own write transaction.
    Touchpoints deleted from the journey resolve their alerts."""
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
                    total += _resolve_all(session, outbox, touchpoint)
                    continue
                total += evaluate_touchpoint(session, outbox, touchpoint, settings, today)
        except IntegrityError:
            # Another worker opened the same alert at the same moment: its alert stands.
            log.info("alerts.raced", touchpoint_id=touchpoint_id)
    return total


def _resolve_all(session: Session, outbox: Outbox, touchpoint: TouchpointDim) -> Changes:
    live = session.execute(
        select(Alert).where(
            col(Alert.touchpoint_id) == touchpoint.id,
            col(Alert.live_key).is_not(None),
        )
    ).scalars()
    resolved = 0
    now = utcnow()
    for alert in live:
        alert.status, alert.live_key, alert.resolved_at = AlertStatus.RESOLVED, None, now
        session.add(alert)
        outbox.publish(session, type="alert.resolved", subject=alert.id, data=alert_event(alert))
        resolved += 1
    return Changes(resolved=resolved)


def alerts(
    *,
    session: Session,
    params: PageParams,
    status: AlertStatus | None,
    touchpoint_id: str | None,
    journey_id: str | None,
    owner_team_id: str | None,
) -> tuple[list[Alert], str | None]:
    """A page of alerts, newest first, where each filter that is given matches."""
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


def get(*, session: Session, alert_id: str) -> Alert:
    return get_or_404(session, Alert, alert_id)


def acknowledge(
    *, session: Session, alert_id: str, note: str, actor: str, if_match: str | None
) -> Alert:
    """Acknowledges an open alert; it still resolves itself when its signal clears."""
    alert = get_or_404(session, Alert, alert_id)
    ensure_fresh(
        if_match, version=alert.version, updated_by=alert.updated_by, updated_at=alert.updated_at
    )
    if alert.status != AlertStatus.OPEN:
        raise Problem(409, "alert-not-open", "Alert not open", f"The alert is {alert.status}.")
    now = utcnow()
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = now
    alert.acknowledged_by = actor
    alert.note = note
    alert.version += 1
    alert.updated_at = now
    alert.updated_by = actor
    session.add(alert)
    session.commit()
    return alert
