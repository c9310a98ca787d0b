"""Bulk import of activity event logs (CSV or JSON Lines; docs/observed.md). Each batch is one
transaction: its new events and their rollups together. Events already stored are skipped, so
an interrupted import is simply run again; a bad row stops the import at its batch, naming the
row, and the batches before it stay.

With `rebuild`, the rollups are marked stale first, each batch stores its events alone, and
the rollups are computed once from every stored event at the end: each customer's trail is
then read and counted once, not again with every batch that adds to it, which is what a large
log sorted by time costs (docs/benchmarks.md, "Observed journeys"). An import stopped midway
leaves the rollups stale until it is run again or `rebuild-observed` runs."""

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from pydantic import ValidationError
from sqlalchemy import Engine

from cxshared.db import write_session
from cxshared.timeutil import utcnow
from metrics.ingest.importer import BadRow, rows_of
from metrics.observed.schemas import ActivityIn, RebuildReport
from metrics.observed.service import (
    BadActivity,
    ClashingActivity,
    Limits,
    event_row,
    mark_stale,
    record_once,
)
from metrics.observed.service import (
    rebuild as rebuild_rollups,
)

BATCH = 20_000
COLUMNS = ("event_id", "customer_id", "activity", "occurred_at", "channel", "attributes")


@dataclass
class Progress:
    read: int = 0
    recorded: int = 0
    duplicates: int = 0
    stale: bool = False
    rebuilt: RebuildReport | None = None


def _from_csv(raw: dict[str, Any], line: int) -> dict[str, Any]:
    """CSV cells are text; `attributes` is a JSON object in its cell, empty for none."""
    values = {k: v for k, v in raw.items() if k in COLUMNS and v not in (None, "")}
    unknown = sorted(k for k in raw if k not in COLUMNS)
    if unknown:
        raise BadRow(f"row {line}: unknown column {unknown[0]!r} (columns: {', '.join(COLUMNS)})")
    if "attributes" in values:
        try:
            values["attributes"] = json.loads(values["attributes"])
        except json.JSONDecodeError as exc:
            raise BadRow(f"row {line}: attributes must be a JSON object ({exc.msg})") from exc
    return values


def parse(
    raw: dict[str, Any], line: int, *, limits: Limits, fmt: str, now: datetime
) -> dict[str, Any]:
    values = _from_csv(raw, line) if fmt == "csv" else raw
    try:
        item = ActivityIn.model_validate(values)
        return event_row(item, limits=limits, now=now)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "row"
        raise BadRow(f"row {line}: {where}: {first['msg']}") from exc
    except BadActivity as exc:
        raise BadRow(f"row {line}: {exc}") from exc


def _batches(
    stream: IO[str], fmt: str, limits: Limits
) -> Iterator[tuple[list[dict[str, Any]], dict[str, int]]]:
    batch: list[dict[str, Any]] = []
    lines: dict[str, int] = {}
    first = 2 if fmt == "csv" else 1
    now = utcnow()  # once a batch: the time checked against and recorded
    for line, raw in enumerate(rows_of(stream, fmt), start=first):
        row = parse(raw, line, limits=limits, fmt=fmt, now=now)
        batch.append(row)
        lines[row["event_id"]] = line
        if len(batch) == BATCH:
            yield batch, lines
            batch, lines, now = [], {}, utcnow()
    if batch:
        yield batch, lines


def import_activities(
    engine: Engine,
    stream: IO[str],
    *,
    fmt: str,
    limits: Limits,
    report: Callable[[Progress, float], None] = lambda progress, rate: None,
    rebuild: bool = False,
) -> Progress:
    progress = Progress()
    started = time.monotonic()
    if rebuild:
        with write_session(engine) as session:
            mark_stale(session, even_if_empty=True)
    for batch, lines in _batches(stream, fmt, limits):
        try:
            recorded, duplicates, stale = record_once(engine, batch, limits=limits, bulk=True)
        except ClashingActivity as exc:
            raise ClashingActivity(exc.event_id, f"row {lines[exc.event_id]}: ") from exc
        progress.read += len(batch)
        progress.recorded += recorded
        progress.duplicates += duplicates
        progress.stale = stale
        report(progress, progress.read / max(time.monotonic() - started, 1e-9))
    if rebuild:
        with write_session(engine) as session:
            progress.rebuilt = rebuild_rollups(session, limits=limits, replace=True)
        progress.stale = False
    return progress
