"""Storing activity events exactly once and keeping the observed rollups in the same
transaction (docs/observed.md). A batch's customers have their counters computed from their
stored events before and after the batch; the difference is added to the rollups. So events
arriving late or out of order (a clock that went backwards, a replayed log) land where their
time puts them, and the result is what a rebuild from every stored event gives."""

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import structlog
from sqlalchemy import Engine, column, delete, func, insert, select, table, text, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from cxshared.db import is_sqlite, write_session
from cxshared.indicators import indicator_activities
from cxshared.problems import Problem
from cxshared.timeutil import as_utc, utcnow
from metrics.config import Settings
from metrics.customers.models import Customer
from metrics.dimension.models import JourneyDim, StageDim, TouchpointDim
from metrics.dimension.service import TABLES
from metrics.ingest.importer import SQLITE_IMPORT_PRAGMAS, one_of
from metrics.observed.mapping import Mapping, load_mapping
from metrics.observed.models import DAY, MONTH, ActivityEvent, ObservedRollup, ObservedState
from metrics.observed.schemas import ActivityIn, RebuildReport
from metrics.observed.trails import (
    SEP,
    Activity,
    Counters,
    contributions,
    digest,
    ms_of,
    occasions,
)

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

    @property
    def cutting(self) -> tuple[int, int]:
        """What cuts trails into counters: rollups built with other values do not add up."""
        return (self.case_gap_days, self.loop_window_days)

    def counters(
        self,
        activities: Iterable[Activity],
        mapping: Mapping,
        out: Counters | None = None,
        segment: str = "",
    ) -> Counters:
        """One customer's counters, for every customer and (when they have one) for their
        segment."""
        if not segment:
            return contributions(
                activities,
                mapping,
                gap_ms=self.case_gap_days * DAY_MS,
                loop_ms=self.loop_window_days * DAY_MS,
                out=out,
            )
        mine = self.counters(activities, mapping)
        out = Counters() if out is None else out
        out.merge(mine)
        out.merge(mine.in_segment(segment))
        return out


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


def _utc_text(moment: datetime) -> str:
    """A UTC time as SQLAlchemy writes a DateTime to SQLite: 2026-12-07 04:41:05.000000."""
    return moment.replace(tzinfo=None).isoformat(" ", "microseconds")


def event_row(item: ActivityIn, *, limits: Limits, now: datetime) -> dict[str, Any]:
    """The stored row of a valid event; BadActivity names what is wrong."""
    occurred_at = as_utc(item.occurred_at)
    if occurred_at > now + limits.clock_skew:
        raise BadActivity(
            "occurred_at",
            f"{occurred_at.isoformat()} is in the future (the clock skew allowed is "
            f"{int(limits.clock_skew.total_seconds())} s)",
        )
    attributes = (
        json.dumps(item.attributes, sort_keys=True, separators=(",", ":"))
        if item.attributes
        else "{}"
    )
    if len(attributes.encode()) > limits.attributes_bytes:
        raise BadActivity(
            "attributes", f"at most {limits.attributes_bytes} bytes as JSON, not {len(attributes)}"
        )
    stamp = _utc_text(occurred_at)
    body = "\x1f".join((item.customer_id, item.activity, stamp, item.channel, attributes))
    return {
        "event_id": item.event_id,
        "customer_id": item.customer_id,
        "activity": item.activity,
        "occurred_at": occurred_at,
        "channel": item.channel,
        "attributes": attributes,
        "digest": hashlib.blake2b(body.encode(), digest_size=16).hexdigest(),
        "recorded_at": now,
        "at_ms": ms_of(occurred_at),
        "stamp": stamp,
    }


EVENT_COLUMNS = (
    "event_id",
    "customer_id",
    "activity",
    "occurred_at",
    "channel",
    "attributes",
    "digest",
    "recorded_at",
)
# activity_event without its column types, for the bulk insert.
EVENTS = ActivityEvent.__table__  # type: ignore[attr-defined]
PLAIN_EVENTS = table("activity_event", *(column(name) for name in EVENT_COLUMNS))


def insert_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """A Core bulk insert of the values as the database keeps them: the attributes as JSON
    text, and on SQLite the times as UTC text. Without the column types, no conversion runs
    per value, which took a third of an import's time (docs/benchmarks.md)."""
    if session.get_bind().dialect.name == "sqlite":
        recorded = {row["recorded_at"] for row in rows}
        as_text = {moment: _utc_text(moment) for moment in recorded}
        values = [
            {
                **{k: row[k] for k in EVENT_COLUMNS},
                "occurred_at": row["stamp"],
                "recorded_at": as_text[row["recorded_at"]],
            }
            for row in rows
        ]
    else:
        values = [{k: row[k] for k in EVENT_COLUMNS} for row in rows]
    session.execute(insert(PLAIN_EVENTS), values)


# Any fixed number: the key of the PostgreSQL advisory lock below.
ROLLUP_LOCK = 0x0B5E_7ED


def serialize_rollups(session: Session) -> None:
    """One transaction at a time changes the observed rollups. A batch's delta is its customers'
    counters after it minus before it, which is only right if no other batch changes the same
    customers meanwhile. SQLite's write transactions are serial already (BEGIN IMMEDIATE); on
    PostgreSQL a transaction-scoped advisory lock makes them so."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(ROLLUP_LOCK)))


def is_stale(session: Session, limits: Limits) -> bool:
    """The rollups were built under another mapping, or another case gap or loop window."""
    state = session.get(ObservedState, 1)
    if state is None:
        return False
    built_with = (state.case_gap_days, state.loop_window_days)
    return state.stale_since is not None or built_with != limits.cutting


def _built_with(session: Session, limits: Limits) -> ObservedState:
    state = session.get(ObservedState, 1) or ObservedState(id=1)
    state.case_gap_days, state.loop_window_days = limits.cutting
    session.add(state)
    return state


def mark_stale(session: Session, *, even_if_empty: bool = False) -> None:
    """The mapping changed: rollups built with the old one no longer add up with new events.
    `even_if_empty`: an import that rebuilds them at its end (no events yet or not)."""
    if (
        not even_if_empty
        and session.execute(select(col(ActivityEvent.event_id)).limit(1)).first() is None
    ):
        return  # nothing observed yet: nothing to recompute
    state = session.get(ObservedState, 1) or ObservedState(id=1)
    if state.stale_since is None:
        state.stale_since = utcnow()
        session.add(state)
        log.info("observed.stale")


def mapping_signature(session: Session, entity: str, entity_id: str) -> Any:
    """What of a dimension row the activity mapping depends on: a touchpoint's activities,
    indicator and place while it has either, whether a stage or journey is deleted."""
    if entity not in ("touchpoint", "stage", "journey"):
        return None
    row = session.get(TABLES[entity], entity_id)
    if isinstance(row, JourneyDim | StageDim):
        return row.deleted
    if not isinstance(row, TouchpointDim):
        return False
    if row.deleted or not (row.activities or row.indicator):
        return None
    indicator = json.dumps(row.indicator, sort_keys=True) if row.indicator else None
    return (tuple(row.activities), row.journey_id, row.stage_id, indicator)


def _activities_of(
    session: Session, customers: list[str], engine: Engine, mapping: Mapping
) -> dict[str, list[Activity]]:
    found: dict[str, list[Activity]] = {}
    where = one_of(EVENTS.c.customer_id, customers, engine)
    for customer, trail in _trails(session, where, mapping):  # unordered: a customer's rows
        found.setdefault(customer, []).extend(trail)  # may come in several runs
    return found


def _trails(
    session: Session, where: Any, mapping: Mapping | None, *, ordered: bool = False
) -> Iterator[tuple[str, list[Activity]]]:
    """Each customer's activities among the events `where` selects; their attributes only when
    an indicator of `mapping` reads them (None: always)."""
    columns = [EVENTS.c.customer_id, EVENTS.c.occurred_at, EVENTS.c.event_id, EVENTS.c.activity]
    if mapping is None or mapping.reads_attributes:
        columns.append(EVENTS.c.attributes)
    query = select(*columns).where(where)
    if ordered:
        query = query.order_by(EVENTS.c.customer_id).execution_options(yield_per=20_000)
    current: str | None = None
    trail: list[Activity] = []
    for customer, at, *rest in session.execute(query):
        if customer != current and trail:
            yield str(current), trail
            trail = []
        current = customer
        trail.append(Activity(ms_of(as_utc(at)), *rest))
    if trail:
        yield str(current), trail


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


# journey (for a segment's counters: journey SEP segment), kind, grain, day, label
GrainKey = tuple[str, str, str, date, str]


def _place(journey: str) -> tuple[str, str]:
    """(journey, segment) of a counter's journey part."""
    found, _, segment = journey.partition(SEP)
    return found, segment


def by_grain(counters: Counters) -> dict[GrainKey, tuple[int, int]]:
    """Each day's counters, and the same summed per month (grain `m`, dated the 1st): a
    year's figures read 12 months and the days at either end instead of 365 days."""
    rows: dict[GrainKey, tuple[int, int]] = {}
    months: dict[GrainKey, list[int]] = {}
    for (journey, day, kind, words), (count, millis) in counters.nonzero().items():
        rows[(journey, kind, DAY, day, words)] = (count, millis)
        month = months.setdefault((journey, kind, MONTH, day.replace(day=1), words), [0, 0])
        month[0] += count
        month[1] += millis
    rows.update({k: (c, m) for k, (c, m) in months.items() if c or m})
    return rows


def write_counters(session: Session, counters: Counters) -> None:
    """Adds the counters to the rollups: one upsert that increments, on either database."""
    rows = [
        {
            "journey_id": _place(journey)[0],
            "segment": _place(journey)[1],
            "kind": kind,
            "grain": grain,
            "day": day,
            "key": digest(kind, words),
            "label": words,
            "count": count,
            "millis": millis,
        }
        for (journey, kind, grain, day, words), (count, millis) in by_grain(counters).items()
    ]
    if not rows:
        return
    table = ObservedRollup.__table__  # type: ignore[attr-defined]
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    statement = dialect.insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["journey_id", "segment", "kind", "grain", "day", "key"],
        set_={
            "count": table.c.count + statement.excluded.count,
            "millis": table.c.millis + statement.excluded.millis,
        },
    )
    session.execute(statement, rows)


def record(
    session: Session, rows: list[dict[str, Any]], *, limits: Limits
) -> tuple[int, int, bool]:
    """Stores the events not seen before and updates the rollups (not while they are stale:
    the rebuild counts every stored event); (recorded, duplicates, whether the rollups are
    stale)."""
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    serialize_rollups(session)
    fresh = _fresh(session, rows, engine)
    stale = is_stale(session, limits)
    if fresh and not stale:
        if session.get(ObservedState, 1) is None:
            _built_with(session, limits)
        mapping = load_mapping(session)
        attributes = mapping.reads_attributes
        by_customer: dict[str, list[Activity]] = {}
        for row in fresh:
            by_customer.setdefault(row["customer_id"], []).append(
                Activity(
                    row["at_ms"],
                    row["event_id"],
                    row["activity"],
                    row["attributes"] if attributes else None,
                )
            )
        stored = _activities_of(session, list(by_customer), engine, mapping)
        segments = segments_of(session, list(by_customer))
        delta = Counters()
        for customer, added in by_customer.items():
            before = stored.get(customer, [])
            segment = segments.get(customer, "")
            if before:
                delta.merge(limits.counters(before, mapping, segment=segment), sign=-1)
            limits.counters(before + added, mapping, out=delta, segment=segment)
        write_counters(session, delta)
    if fresh:
        insert_events(session, fresh)
    return len(fresh), len(rows) - len(fresh), stale


def record_once(
    engine: Engine, rows: list[dict[str, Any]], *, limits: Limits, bulk: bool = False
) -> tuple[int, int, bool]:
    """`record` in a transaction of its own, tried again when a concurrent sender stored one
    of the events first (the retry then sees it as a repeat). `bulk`: an import's batch, with
    the SQLite page cache and checkpoints of the responses' import."""
    attempt = 1
    while True:
        try:
            with write_session(engine) as session:
                if bulk and is_sqlite(engine):
                    for pragma in SQLITE_IMPORT_PRAGMAS:
                        session.execute(text(pragma))
                return record(session, rows, limits=limits)
        except IntegrityError:
            if attempt == ATTEMPTS:
                raise
            attempt += 1


def erase_customer(session: Session, customer_id: str) -> int:
    """Deletes a customer's activity events (`respondent.erased`) and takes them out of the
    rollups, counted as they were built; returns how many there were."""
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    serialize_rollups(session)
    mapping = load_mapping(session)
    trail = _activities_of(session, [customer_id], engine, mapping).get(customer_id, [])
    if not trail:
        return 0
    state = session.get(ObservedState, 1)
    if state is not None and state.stale_since is None and state.case_gap_days is not None:
        built = Limits(
            case_gap_days=state.case_gap_days, loop_window_days=state.loop_window_days or 0
        )
        delta = Counters()
        segment = segments_of(session, [customer_id]).get(customer_id, "")
        delta.merge(built.counters(trail, mapping, segment=segment), sign=-1)
        write_counters(session, delta)
    session.execute(delete(ActivityEvent).where(col(ActivityEvent.customer_id) == customer_id))
    return len(trail)


def _every_customer(session: Session, mapping: Mapping) -> Iterator[tuple[str, list[Activity]]]:
    yield from _trails(session, true(), mapping, ordered=True)


def segments_of(session: Session, customers: list[str] | None) -> dict[str, str]:
    """The segment of each of `customers` (None: every customer) that has one, from the
    customer records; a customer with no record or no segment has none."""
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    query = select(col(Customer.external_id), col(Customer.segment)).where(
        col(Customer.segment) != ""
    )
    if customers is not None:
        if not customers:
            return {}
        query = query.where(one_of(col(Customer.external_id), customers, engine))
    return {str(c): str(s) for c, s in session.execute(query)}


def resegment(session: Session, moved: dict[str, tuple[str, str]]) -> None:
    """Customers whose segment changed (old, new): their counters leave the old segment's
    rollups and join the new one's. Nothing to do while the rollups are stale (the rebuild
    reads the segments as they are)."""
    state = session.get(ObservedState, 1)
    if not moved or state is None or state.stale_since is not None:
        return
    if state.case_gap_days is None:
        return
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    serialize_rollups(session)
    built = Limits(case_gap_days=state.case_gap_days, loop_window_days=state.loop_window_days or 0)
    mapping = load_mapping(session)
    trails = _activities_of(session, list(moved), engine, mapping)
    delta = Counters()
    for customer, trail in trails.items():
        old, new = moved[customer]
        mine = built.counters(trail, mapping)
        if old:
            delta.merge(mine.in_segment(old), sign=-1)
        if new:
            delta.merge(mine.in_segment(new))
    write_counters(session, delta)


def stored_counters(session: Session) -> dict[GrainKey, tuple[int, int]]:
    table = ObservedRollup.__table__  # type: ignore[attr-defined]
    return {
        (f"{journey}{SEP}{segment}" if segment else journey, kind, grain, day, words): (
            count,
            millis,
        )
        for journey, segment, kind, grain, day, words, count, millis in session.execute(
            select(
                table.c.journey_id,
                table.c.segment,
                table.c.kind,
                table.c.grain,
                table.c.day,
                table.c.label,
                table.c.count,
                table.c.millis,
            ).where((table.c.count != 0) | (table.c.millis != 0))
        )
    }


def rebuild(session: Session, *, limits: Limits, replace: bool) -> RebuildReport:
    """Recomputes every rollup from the stored events and compares; with `replace`, writes the
    recomputed rollups and clears the stale mark."""
    if replace:
        serialize_rollups(session)
    mapping = load_mapping(session)
    expected = Counters()
    events = 0
    segments = segments_of(session, None)
    for customer, trail in _every_customer(session, mapping):
        events += len(trail)
        limits.counters(trail, mapping, out=expected, segment=segments.get(customer, ""))
    want = by_grain(expected)
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
        state = _built_with(session, limits)
        state.stale_since = None
        state.rebuilt_at = report.at
    log.info("observed.rebuild", **report.model_dump(exclude={"at"}))
    return report


def _judged_trails(
    session: Session, indicator: dict[str, Any], start: date, end: date
) -> dict[str, list[tuple[int, bool]]]:
    """Each customer's occasions (when, met) of the indicator on the days start to end, judged
    on the stored events of its activities."""
    names = indicator_activities(indicator)
    first = datetime.combine(start, time.min, UTC)
    last = datetime.combine(end + timedelta(days=1), time.min, UTC) + timedelta(
        seconds=int(indicator.get("within_seconds", 0))
    )
    where = (
        EVENTS.c.activity.in_(names)
        & (EVENTS.c.occurred_at >= first)
        & (EVENTS.c.occurred_at < last)
    )
    trails: dict[str, list[Activity]] = {}
    for customer, trail in _trails(session, where, None):
        trails.setdefault(customer, []).extend(trail)
    judged = {}
    for customer, trail in trails.items():
        found = [
            (at_ms, ok)
            for at_ms, ok in occasions(indicator, sorted(trail))
            if start <= datetime.fromtimestamp(at_ms / 1000, UTC).date() <= end
        ]
        if found:
            judged[customer] = found
    return judged


def preview(session: Session, indicator: dict[str, Any], start: date, end: date) -> tuple[int, int]:
    """(met, missed) occasions on the days start to end of an indicator not saved yet, judged on
    the stored events of its activities (the rollups only know saved indicators)."""
    met = missed = 0
    for found in _judged_trails(session, indicator, start, end).values():
        for _, ok in found:
            met, missed = met + ok, missed + (not ok)
    return met, missed


def customers_judged(
    session: Session, indicator: dict[str, Any], start: date, end: date
) -> dict[str, bool]:
    """Each customer with an occasion on the days start to end: True when every one of theirs
    met the standard, False when any missed it."""
    return {
        customer: all(ok for _, ok in found)
        for customer, found in _judged_trails(session, indicator, start, end).items()
    }
