"""Database engine and session helpers: SQLite (embedded) and PostgreSQL through the same code.

SQLite runs in WAL mode with a busy timeout and foreign keys on. Transactions that write start
with ``BEGIN IMMEDIATE`` so that two writers queue on the lock instead of failing half-way with
"database is locked"; reads stay deferred and run beside a writer.
"""

import functools
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic_core import PydanticUndefined
from sqlalchemy import JSON, DateTime, Engine, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel

from cxshared.timeutil import as_utc

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

WRITE_OPTION = "cx_write"
# The longest a PostgreSQL statement waits for a row lock.
LOCK_TIMEOUT_MS = 5_000
SQLITE_BUSY_TIMEOUT_MS = 15_000
# Each SQLite engine's queue of writers (below).
_WRITERS: "weakref.WeakKeyDictionary[Engine, _Writers]" = weakref.WeakKeyDictionary()

JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always hands back an aware datetime (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


# SQLite connections are cheap to keep and costly to churn (each new one re-runs the pragmas):
# enough for every thread of the server's pool (40) plus the relay, so none is closed on return.
SQLITE_POOL_SIZE = 48


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        if parsed.drivername == "postgresql":
            url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_size=pool_size,
            max_overflow=pool_size,
            # No request waits longer than this for a row lock: it fails instead of queueing
            # behind a stuck transaction (and code on the event loop never waits unbounded).
            connect_args={"options": f"-c lock_timeout={LOCK_TIMEOUT_MS}"},
        )

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        pool_size=max(pool_size, SQLITE_POOL_SIZE),
        max_overflow=8,
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    _WRITERS[engine] = _Writers(engine)
    return engine


class _Writers:
    """Writers in one process queue on a lock instead of in SQLite's busy handler.

    SQLite admits one writer at a time; a writer that finds the database locked sleeps and
    retries (up to 100 ms a sleep), which under load makes for long tails. Here a write
    transaction first takes a process-wide lock, released by the dialect's own commit or
    rollback (the pool's reset on return goes through rollback too), so the next writer starts
    the moment the previous one ends. Other processes still meet in the busy handler.
    """

    def __init__(self, engine: Engine) -> None:
        self.lock = threading.Lock()
        self.holders: set[int] = set()
        # Threads that took the lock in `try_begin_write`, for the begin hook to take over.
        self.taken: set[int] = set()
        dialect = engine.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(dbapi_connection: Any) -> None:
            try:
                commit(dbapi_connection)
            finally:
                self.release(dbapi_connection)

        def do_rollback(dbapi_connection: Any) -> None:
            try:
                rollback(dbapi_connection)
            finally:
                self.release(dbapi_connection)

        dialect.do_commit = do_commit  # type: ignore[method-assign]
        dialect.do_rollback = do_rollback  # type: ignore[method-assign]
        event.listen(engine, "begin", self.begin)

    def release(self, dbapi_connection: Any) -> None:
        # Commit and rollback get the pool's proxy, begin gets the raw connection: compare raw.
        raw = getattr(dbapi_connection, "dbapi_connection", dbapi_connection)
        if id(raw) in self.holders:
            self.holders.discard(id(raw))
            self.lock.release()

    def begin(self, connection: Connection) -> None:
        if not connection.get_execution_options().get(WRITE_OPTION, False):
            connection.exec_driver_sql("BEGIN")
            return
        raw = connection.connection.dbapi_connection
        thread = threading.get_ident()
        if thread in self.taken:
            self.taken.discard(thread)
            self.holders.add(id(raw))
        elif self.lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            self.holders.add(id(raw))
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.release(raw)
            raise


def begin_write(session: Session) -> None:
    """Make the session's next transaction a write transaction (BEGIN IMMEDIATE on SQLite)."""
    session.connection(execution_options={WRITE_OPTION: True})


def try_begin_write(session: Session) -> bool:
    """`begin_write` if it need not wait for another writer of this process; False, with
    nothing started, if it would. For code on the event loop, which must never wait for a
    writer whose end may itself wait for the loop (a request's session is closed by the loop).
    PostgreSQL has no such lock: there the write starts (waits for row locks are bounded by
    LOCK_TIMEOUT_MS on every connection)."""
    engine = session.get_bind()
    writers = _WRITERS.get(engine) if isinstance(engine, Engine) else None
    if writers is None:
        begin_write(session)
        return True
    if not writers.lock.acquire(blocking=False):
        return False
    thread = threading.get_ident()
    writers.taken.add(thread)
    try:
        begin_write(session)
    finally:
        if thread in writers.taken:  # the begin hook never ran: the lock is still ours
            writers.taken.discard(thread)
            writers.lock.release()
    return True


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session whose transaction writes; commits on success, rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        begin_write(session)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def once_per_transaction(session: Session, key: Any, load: Callable[[], T]) -> T:
    """`load()`, read once per transaction of `session` and kept for the rest of it under
    `key`: for what a busy write path reads on every write and its transaction does not
    change (webhook subscriptions, case rules, who owns a touchpoint), read once for a grouped
    transaction's whole batch. Not for anything the same transaction may write."""
    transaction = session.get_transaction()
    if transaction is None:
        return load()
    memo = session.info.get(_MEMO)
    if memo is None or memo[0] is not transaction:
        memo = (transaction, {})
        session.info[_MEMO] = memo
    values: dict[Any, Any] = memo[1]
    if key not in values:
        values[key] = load()
    value: T = values[key]
    return value


_MEMO = "cxshared.once_per_transaction"


def new_row(model: type[SQLModel], **values: Any) -> dict[str, Any]:
    """A new row's column values for a Core insert, every column not given taking the model's
    default as its constructor would. For the paths that insert a row per request: a table
    model's constructor validates nothing yet costs 0.1-0.25 ms (pydantic looks at each default
    factory's signature, SQLAlchemy instruments each attribute), more than the insert."""
    defaults = _defaults(model)
    unknown = values.keys() - defaults.keys()
    if unknown:
        raise TypeError(f"{model.__name__} has no column {', '.join(sorted(unknown))}")
    row = {}
    for key, (default, factory) in defaults.items():
        if key in values:
            row[key] = values[key]
        elif factory is not None:
            row[key] = factory()
        elif default is PydanticUndefined:
            raise TypeError(f"{model.__name__}.{key} needs a value")
        else:
            row[key] = default
    return row


@functools.cache
def _defaults(model: type[SQLModel]) -> dict[str, tuple[Any, Callable[[], Any] | None]]:
    fields = model.model_fields
    return {
        column.key: (fields[column.key].default, fields[column.key].default_factory)  # type: ignore[misc]
        for column in model.__table__.columns  # type: ignore[attr-defined]
    }
