"""The data-driven reasons a journey needs review (docs/metrics.md, "Review signals"), as of
a day: an incident open too long, a standard below its objective, an undocumented activity
customers meet often, a shipped action whose frozen effect is worse. Each reason has a stable
key, so that a review can acknowledge it and be flagged again only for new ones."""

from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, or_, select

from metrics.alerts.models import Incident, IncidentStatus
from metrics.effects import service as effects
from metrics.observed import figures
from metrics.observed.figures import Scope
from metrics.observed.mapping import Mapping, load_mapping
from metrics.reviews.schemas import ReviewSignal, SignalKind

WINDOW_DAYS = 28


def _signal(
    kind: SignalKind,
    of: str,
    *,
    journey_id: str,
    touchpoint_id: str | None,
    reason: str,
    since: date,
) -> ReviewSignal:
    """A reason, keyed by its kind and what it is `of` (an incident, a touchpoint, an
    activity, an action)."""
    return ReviewSignal(
        journey_id=journey_id,
        kind=kind,
        key=f"{kind}:{of}",
        touchpoint_id=touchpoint_id,
        reason=reason,
        since=since,
    )


def _incidents(
    session: Session, journey_id: str | None, as_of: date, incident_days: int
) -> list[ReviewSignal]:
    """Incidents open on `as_of` that opened more than `incident_days` days before it."""
    opened_by = as_of - timedelta(days=incident_days)
    day_after = datetime.combine(as_of + timedelta(days=1), time(), UTC)
    query = select(Incident).where(
        or_(
            col(Incident.status) != IncidentStatus.RESOLVED,
            col(Incident.resolved_at) >= day_after,  # resolved, but after `as_of`
        )
    )
    if journey_id is not None:
        query = query.where(col(Incident.journey_id) == journey_id)
    found = []
    for incident in session.exec(query).all():
        opened = incident.opened_at.date()
        if opened >= opened_by:
            continue
        days = (as_of - opened).days
        found.append(
            _signal(
                SignalKind.INCIDENT_OPEN,
                incident.id,
                journey_id=incident.journey_id,
                touchpoint_id=incident.touchpoint_id,
                reason=f"An incident on {incident.touchpoint_name or incident.touchpoint_id} "
                f"has been open since {opened.isoformat()}: {days} days, more than "
                f"{incident_days}.",
                since=opened,
            )
        )
    return found


def _journeys(mapping: Mapping, journey_id: str | None) -> list[str]:
    if journey_id is not None:
        return [journey_id]
    return sorted({t.journey_id for t in mapping.touchpoints.values()})


def _standards(session: Session, mapping: Mapping, scope: Scope) -> list[ReviewSignal]:
    found = []
    for standard in figures.standards(session, scope, mapping):
        if standard["status"] != "breached":
            continue
        compliance = standard["compliance"]
        touchpoint_id = standard["touchpoint_id"]
        found.append(
            _signal(
                SignalKind.STANDARD_MISSED,
                touchpoint_id,
                journey_id=scope.journey_id,
                touchpoint_id=touchpoint_id,
                reason=f"{standard['name'] or touchpoint_id}: its standard was met on "
                f"{compliance['value']:.1f}% of {compliance['n']} occasions in the "
                f"{WINDOW_DAYS} days to {scope.end.isoformat()}, below its objective of "
                f"{standard['objective']:.1f}%.",
                since=scope.start,
            )
        )
    return found


def _undocumented(
    session: Session, mapping: Mapping, scope: Scope, minimum: int
) -> list[ReviewSignal]:
    found = figures.differences(session, scope, mapping, min_cases=minimum, min_share=1.0)
    return [
        _signal(
            SignalKind.UNDOCUMENTED_TOUCHPOINT,
            item["activity"],
            journey_id=scope.journey_id,
            touchpoint_id=None,
            reason=f"Customers met '{item['activity']}', which no touchpoint of the map "
            f"lists, in {item['cases']['count']} of the journey's cases that started in the "
            f"{WINDOW_DAYS} days to {scope.end.isoformat()} (at least {minimum}).",
            since=scope.start,
        )
        for item in found["unmapped_activities"]
    ]


def _actions(session: Session, journey_id: str | None, as_of: date) -> list[ReviewSignal]:
    found = []
    for row in effects.worse(session, journey_id):
        assert row.computed_on is not None and row.result is not None
        if row.computed_on > as_of:
            continue
        found.append(
            _signal(
                SignalKind.ACTION_WORSE,
                row.id,
                journey_id=row.journey_id,
                touchpoint_id=None,
                reason=f"The shipped action '{row.title or row.id}' made the experience "
                f"worse: {row.result['reason']}",
                since=row.computed_on,
            )
        )
    return found


def review_signals(
    *,
    session: Session,
    journey_id: str | None,
    as_of: date,
    incident_days: int,
    undocumented_min: int,
) -> list[ReviewSignal]:
    """Every reason, of one journey or of all, by journey, kind and key."""
    mapping = load_mapping(session)
    start = as_of - timedelta(days=WINDOW_DAYS - 1)
    signals = _incidents(session, journey_id, as_of, incident_days)
    for journey in _journeys(mapping, journey_id):
        scope = Scope(journey, start, as_of)
        signals += _standards(session, mapping, scope)
        signals += _undocumented(session, mapping, scope, undocumented_min)
    signals += _actions(session, journey_id, as_of)
    return sorted(signals, key=lambda s: (s.journey_id, s.kind, s.key))
