"""Storing activity events exactly once and keeping the observed rollups in the same
transaction (docs/observed.md). A batch's customers have their counters computed from their
stored events before and after the batch; the difference is added to the rollups. So events
arriving late or out of order (a clock that went backwards, a replayed log) land where their
time puts them, and the result is what a rebuild from every stored event gives."""

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from cxshared.db import write_session
from cxshared.problems import Problem
from cxshared.timeutil import as_utc, utcnow
from metrics.config import Settings
from metrics.dimension.models import JourneyDim, StageDim, TouchpointDim
from metrics.dimension.service import TABLES
from metrics.ingest.importer import one_of
from metrics.observed.mapping import Mapping, load_mapping
from metrics.observed.models import ActivityEvent, ObservedRollup, ObservedState
from metrics.observed.schemas import ActivityIn, RebuildReport
from metrics.observed.trails import Activity, Counters, Key, contributions, digest, ms_of

log = structlog.get_logger("metrics.observed")
ATTEMPTS = 3
DAY_MS = 86_400_000


@dataclass(frozen=True)
class Limits:
    """What a valid event may be, and how trails are cut (settings; docs/observed.md)."""

    clock_skew: timedelta = timedelta(minutes=5)
    attributes_bytes: int = 2048
    case_gap_days: int = 30
    loop_window_days: int = 7

    @classmethod
    def of(cls, settings: Settings) -> "Limits":
        return cls(
            clock_skew=timedelta(seconds=settings.activity_clock_skew_seconds),
            attributes_bytes=settings.activity_attributes_bytes,
            case_gap_days=settings.observed_case_gap_days,
            loop_window_days=settings.observed_loop_window_days,
        )

    def counters(self, activities: Iterable[Activity], mapping: Mapping) -> Counters:
        return contributions(
            activities,
            mapping,
            gap_ms=self.case_gap_days * DAY_MS,
            loop_ms=self.loop_window_days * DAY_MS,
        )


class BadActivity(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ClashingActivity(ValueError):
    """An event id already stored (or earlier in the batch) with another body."""

    def __init__(self, event_id: str, where: str = "") -> None:
        super().__init__(
            f"{where}event {event_id} was received before with a different body; an event id "
            "names one event forever"
        )
        self.event_id = event_id


def clash_problem(exc: ClashingActivity) -> Problem:
    return Problem(409, "activity-clash", "Event id reused", str(exc), event_id=exc.event_id)


def event_row(item: ActivityIn, *, limits: Limits, now: datetime) -> dict[str, Any]:
    """The stored row of a valid event; BadActivity names what is wrong."""
    occurred_at = as_utc(item.occurred_at)
    if occurred_at > now + limits.clock_skew:
        raise BadActivity(
            "occurred_at",
            f"{occurred_at.isoformat()} is in the future (the clock skew allowed is "
            f"{int(limits.clock_skew.total_seconds())} s)",
        )
    attributes = json.dumps(item.attributes, sort_keys=True, separators=(",", ":"))
    if len(attributes.encode()) > limits.attributes_bytes:
        raise BadActivity(
            "attributes", f"at most {limits.attributes_bytes} bytes as JSON, not {len(attributes)}"
        )
    body = "\x1f".join(
        (item.customer_id, item.activity, occurred_at.isoformat(), item.channel, attributes)
    )
    return {
        "event_id": item.event_id,
        "customer_id": item.customer_id,
        "activity": item.activity,
        "occurred_at": occurred_at,
        "channel": item.channel,
        "attributes": item.attributes,
        "digest": hashlib.blake2b(body.encode(), digest_size=16).hexdigest(),
        "recorded_at": now,
    }


def is_stale(session: Session) -> bool:
    state = session.get(ObservedState, 1)
    return state is not None and state.stale_since is not None


def mark_stale(session: Session) -> None:
    """The mapping changed: rollups built with the old one no longer add up with new events."""
    if session.execute(select(col(ActivityEvent.event_id)).limit(1)).first() is None:
        return  # nothing observed yet: nothing to recompute
    state = session.get(ObservedState, 1) or ObservedState(id=1)
    if state.stale_since is None:
        state.stale_since = utcnow()
        session.add(state)
        log.info("observed.stale")


def mapping_signature(session: Session, entity: str, entity_id: str) -> Any:
    """What of a dimension row the activity mapping depends on: a touchpoint's activities and
    place while it has any, whether a stage or journey is deleted."""
    if entity not in ("touchpoint", "stage", "journey"):
        return None
    row = session.get(TABLES[entity], entity_id)
    if isinstance(row, JourneyDim | StageDim):
        return row.deleted
    if not isinstance(row, TouchpointDim):
        return False
    if row.deleted or not row.activities:
        return None
    return (tuple(row.activities), row.journey_id, row.stage_id)


def _activities_of(
    session: Session, customers: list[str], engine: Engine
) -> dict[str, list[Activity]]:
    table = ActivityEvent.__table__  # type: ignore[attr-defined]
    found: dict[str, list[Activity]] = {}
    for customer, at, event_id, activity in session.execute(
        select(table.c.customer_id, table.c.occurred_at, table.c.event_id, table.c.activity).where(
            one_of(table.c.customer_id, customers, engine)
        )
    ):
        found.setdefault(customer, []).append(Activity(ms_of(as_utc(at)), event_id, activity))
    return found


def _fresh(session: Session, rows: list[dict[str, Any]], engine: Engine) -> list[dict[str, Any]]:
    """The rows not stored yet; a repeat must be the same event."""
    unique: dict[str, dict[str, Any]] = {}
    for row in rows:
        first = unique.setdefault(row["event_id"], row)
        if first["digest"] != row["digest"]:
            raise ClashingActivity(row["event_id"])
    stored = dict(
        session.execute(
            select(col(ActivityEvent.event_id), col(ActivityEvent.digest)).where(
                one_of(col(ActivityEvent.event_id), list(unique), engine)
            )
        ).all()
    )
    for event_id, known in stored.items():
        if unique[event_id]["digest"] != known:
            raise ClashingActivity(event_id)
    return [row for event_id, row in unique.items() if event_id not in stored]


def write_counters(session: Session, counters: Counters) -> None:
    """Adds the counters to the rollups: one upsert that increments, on either database."""
    rows = [
        {
            "journey_id": journey,
            "day": day,
            "kind": kind,
            "key": digest(kind, text),
            "label": text,
            "count": count,
            "millis": millis,
        }
        for (journey, day, kind, text), (count, millis) in counters.nonzero().items()
    ]
    if not rows:
        return
    table = ObservedRollup.__table__  # type: ignore[attr-defined]
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    statement = dialect.insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["journey_id", "day", "kind", "key"],
        set_={
            "count": table.c.count + statement.excluded.count,
            "millis": table.c.millis + statement.excluded.millis,
        },
    )
    session.execute(statement, rows)


def record(
    session: Session, rows: list[dict[str, Any]], *, limits: Limits
) -> tuple[int, int, bool]:
    """Stores the events not seen before and updates the rollups; (recorded, duplicates,
    whether the rollups are stale)."""
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    fresh = _fresh(session, rows, engine)
    stale = is_stale(session)
    if fresh and not stale:
        by_customer: dict[str, list[Activity]] = {}
        for row in fresh:
            by_customer.setdefault(row["customer_id"], []).append(
                Activity(ms_of(row["occurred_at"]), row["event_id"], row["activity"])
            )
        stored = _activities_of(session, list(by_customer), engine)
        mapping = load_mapping(session)
        delta = Counters()
        for customer, added in by_customer.items():
            before = stored.get(customer, [])
            if before:
                delta.merge(limits.counters(before, mapping), sign=-1)
            delta.merge(limits.counters(before + added, mapping))
        write_counters(session, delta)
    if fresh:
        session.execute(insert(ActivityEvent.__table__), fresh)  # type: ignore[attr-defined]
    return len(fresh), len(rows) - len(fresh), stale


def record_once(
    engine: Engine, rows: list[dict[str, Any]], *, limits: Limits
) -> tuple[int, int, bool]:
    """`record` in a transaction of its own, tried again when a concurrent sender stored one
    of the events first (the retry then sees it as a repeat)."""
    attempt = 1
    while True:
        try:
            with write_session(engine) as session:
                return record(session, rows, limits=limits)
        except IntegrityError:
            if attempt == ATTEMPTS:
                raise
            attempt += 1


def _every_customer(session: Session) -> Iterator[list[Activity]]:
    table = ActivityEvent.__table__  # type: ignore[attr-defined]
    current: str | None = None
    trail: list[Activity] = []
    for customer, at, event_id, activity in session.execute(
        select(table.c.customer_id, table.c.occurred_at, table.c.event_id, table.c.activity)
        .order_by(table.c.customer_id)
        .execution_options(yield_per=20_000)
    ):
        if customer != current and trail:
            yield trail
            trail = []
        current = customer
        trail.append(Activity(ms_of(as_utc(at)), event_id, activity))
    if trail:
        yield trail


def stored_counters(session: Session) -> dict[Key, tuple[int, int]]:
    table = ObservedRollup.__table__  # type: ignore[attr-defined]
    return {
        (journey, day, kind, text): (count, millis)
        for journey, day, kind, text, count, millis in session.execute(
            select(
                table.c.journey_id,
                table.c.day,
                table.c.kind,
                table.c.label,
                table.c.count,
                table.c.millis,
            ).where((table.c.count != 0) | (table.c.millis != 0))
        )
    }


def rebuild(session: Session, *, limits: Limits, replace: bool) -> RebuildReport:
    """Recomputes every rollup from the stored events and compares; with `replace`, writes the
    recomputed rollups and clears the stale mark."""
    mapping = load_mapping(session)
    expected = Counters()
    events = 0
    for trail in _every_customer(session):
        events += len(trail)
        expected.merge(limits.counters(trail, mapping))
    want = expected.nonzero()
    have = stored_counters(session)
    report = RebuildReport(
        agree=sum(1 for k, v in want.items() if have.get(k) == v),
        differ=sum(1 for k, v in want.items() if k in have and have[k] != v),
        missing=sum(1 for k in want if k not in have),
        extra=sum(1 for k in have if k not in want),
        rebuilt=replace,
        events=events,
        at=utcnow(),
    )
    if replace:
        session.execute(delete(ObservedRollup))
        write_counters(session, expected)
        state = session.get(ObservedState, 1) or ObservedState(id=1)
        state.stale_since = None
        state.rebuilt_at = report.at
        session.add(state)
    log.info("observed.rebuild", **report.model_dump(exclude={"at"}))
    return report
