"""Inserts a grouped transaction runs together, just before it commits.

A grouped write (`cxshared.groupcommit`) adds rows nothing in its transaction reads again: its
events, their deliveries, a case with its history. Each insert on its own costs a statement's
round trip and SQLAlchemy's work per statement, which on the capture path cost more than the
row. Under group commit those rows are kept here instead and inserted once per table for the
whole batch (one executemany), before the commit; a write that fails drops the rows it had
added with its savepoint (docs/platform.md, "Group commit").

A row inserted only if it is not there yet (`insert_once`: a case opens once per response and
rule) gates the rows added under `depending_on` it: they go in only if it did.

Outside group commit there is no collector: each statement runs at once.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Insert, select
from sqlmodel import Session

_KEY = "cxshared.deferred"
# `insert_once`'s statements with a RETURNING of their key (rowcount is not told everywhere).
_RETURNING: dict[Insert, Insert] = {}


@dataclass(frozen=True)
class _Row:
    statement: Insert
    values: dict[str, Any]
    gate: Any = None  # the key of the `insert_once` row this one goes in with
    key: Any = None  # for an `insert_once` row: its key column


class DeferredInserts:
    """Rows for Core inserts, in the order they were added. Flushed one statement at a time:
    first the `insert_once` rows, then the others, statements in the order each was first
    used. A row may refer to an `insert_once` row, or to a row of a statement used before its
    own (a delivery to its event), not after."""

    def __init__(self) -> None:
        self._rows: list[_Row] = []
        self._gate: Any = None

    def add(self, statement: Insert, values: dict[str, Any]) -> None:
        self._rows.append(_Row(statement, values, gate=self._gate))

    def add_once(self, statement: Insert, values: dict[str, Any], key: Column[Any]) -> None:
        self._rows.append(_Row(statement, values, key=key))

    @contextmanager
    def gated(self, key: Any) -> Iterator[None]:
        self._gate = key
        try:
            yield
        finally:
            self._gate = None

    def mark(self) -> int:
        """Where a write begins: `drop_since(mark)` forgets what it added."""
        return len(self._rows)

    def drop_since(self, mark: int) -> None:
        del self._rows[mark:]
        self._gate = None

    def flush(self, session: Session) -> None:
        rows, self._rows = self._rows, []
        inserted: set[Any] = set()
        for statement, batch in _by_statement(r for r in rows if r.key is not None):
            # One prepared statement for all (an executemany), then which keys are there: the
            # keys are new ids, so there means inserted now. A RETURNING would make SQLAlchemy
            # render a statement of many VALUES each time, which cost four times as much.
            key = next(r.key for r in rows if r.statement is statement)
            session.execute(statement, batch)
            wanted = [values[key.name] for values in batch]
            inserted.update(session.execute(select(key).where(key.in_(wanted))).scalars())
        plain = (r for r in rows if r.key is None and (r.gate is None or r.gate in inserted))
        for statement, batch in _by_statement(plain):
            session.execute(statement, batch)

    def attach(self, session: Session) -> None:
        session.info[_KEY] = self

    @staticmethod
    def detach(session: Session) -> None:
        session.info.pop(_KEY, None)


def _by_statement(rows: Iterator[_Row] | Any) -> list[tuple[Insert, list[dict[str, Any]]]]:
    grouped: dict[Insert, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row.statement, []).append(row.values)
    return list(grouped.items())


def _collector(session: Session) -> DeferredInserts | None:
    found: DeferredInserts | None = session.info.get(_KEY)
    return found


def insert(
    session: Session, statement: Insert, rows: dict[str, Any] | list[dict[str, Any]]
) -> None:
    """Inserts `rows` with `statement` in the session's transaction: with the batch before its
    commit when the session is a grouped one, else now. Only for rows nothing in the same
    transaction reads back."""
    deferred = _collector(session)
    if deferred is None:
        if rows:
            session.execute(statement, rows)
        return
    for values in [rows] if isinstance(rows, dict) else rows:
        deferred.add(statement, values)


def insert_once(
    session: Session, statement: Insert, values: dict[str, Any], key: Column[Any]
) -> bool:
    """Inserts a row with a `statement` that does nothing on a conflict; `key` is its table's
    key column, whose value in `values` is new. False when it ran now and found the row there;
    True when it inserted it, or when it goes in with the batch, where the rows added
    `depending_on` it go in only if it does."""
    deferred = _collector(session)
    if deferred is None:
        returning = _RETURNING.get(statement)
        if returning is None:  # built once per statement: building costs more than running
            returning = _RETURNING[statement] = statement.returning(key)
        return session.execute(returning, values).first() is not None
    deferred.add_once(statement, values, key)
    return True


@contextmanager
def depending_on(session: Session, key: Any) -> Iterator[None]:
    """Rows `insert`ed in this block go in only if the `insert_once` row whose key is `key` does
    (it has, when it ran at once)."""
    deferred = _collector(session)
    if deferred is None:
        yield
        return
    with deferred.gated(key):
        yield
