"""Real test databases, built by running the migrations, never create_all.

Each worker migrates a template once per service; each test gets a database of its own that
holds exactly what the migrations left, so tests commit for real and never see each other's rows.
On SQLite that is a file copy of the template. On PostgreSQL it is CREATE DATABASE … TEMPLATE
the first time; a database a test has released is emptied back to the template's rows and
sequences and handed to the next test, because creating and dropping a database costs a
checkpoint and megabytes of WAL each time (seconds on a busy disk) where emptying a few rows
costs milliseconds. `CX_TEST_DATABASE=postgresql` selects PostgreSQL (`CX_TEST_POSTGRES_URL`,
default the local server with trust auth).
"""

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, Table, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from cxshared.db import make_engine, write_session
from cxshared.migrations import upgrade

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def backend() -> str:
    value = os.environ.get("CX_TEST_DATABASE", "sqlite").lower()
    if value in ("postgres", "postgresql"):
        return "postgresql"
    if value != "sqlite":
        raise ValueError(f"CX_TEST_DATABASE must be sqlite or postgresql, not {value!r}")
    return value


def hypothesis_seed() -> int:
    """The seed of the suite's random tests (fuzzing, the fault model) on this database: fixed,
    so a failure repeats on every machine, and different per database, so the two runs of the
    suite try different cases instead of the same ones twice."""
    return {"sqlite": 20261203, "postgresql": 20261206}[backend()]


def _admin_url() -> str:
    return os.environ.get("CX_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _pg_url(name: str) -> str:
    return make_url(_admin_url()).set(database=name).render_as_string(hide_password=False)


def _pg_execute(*statements: str) -> None:
    engine = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def _pg_create(name: str, template: str | None = None, *, durable: bool = False) -> None:
    _pg_execute(
        f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""),
        f'ALTER DATABASE "{name}" SET synchronous_commit = {"on" if durable else "off"}',
    )


@dataclass(frozen=True)
class _Blank:
    """What a freshly migrated PostgreSQL database holds: its tables (parents first), the rows
    the migrations seeded, each sequence's state, and the migration it is at."""

    tables: list[Table]
    seeds: dict[str, list[dict[str, Any]]]
    sequences: dict[str, tuple[int, bool]]
    head: str | None

    @classmethod
    def read(cls, url: str) -> "_Blank":
        engine = create_engine(url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                metadata = MetaData()
                metadata.reflect(connection)
                tables = [t for t in metadata.sorted_tables if t.name != "alembic_version"]
                seeds: dict[str, list[dict[str, Any]]] = {}
                for table in tables:
                    if rows := [dict(row) for row in connection.execute(table.select()).mappings()]:
                        seeds[table.name] = rows
                states = connection.execute(
                    text(
                        "SELECT sequencename, coalesce(last_value, start_value),"
                        " last_value IS NOT NULL FROM pg_sequences WHERE schemaname = 'public'"
                    )
                )
                sequences = {name: (value, called) for name, value, called in states}
                head = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        finally:
            engine.dispose()
        return cls(tables, seeds, sequences, head)

    def restore(self, url: str) -> bool:
        """Empties the database at `url` back to this state; False when it cannot be (a test
        changed its schema or still holds a lock), and the database should be dropped."""
        engine = create_engine(url, poolclass=NullPool)
        try:
            with engine.begin() as connection:
                connection.execute(text("SET LOCAL lock_timeout = '10s'"))
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
                head = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
                if head != self.head:
                    return False
                for table in reversed(self.tables):
                    connection.execute(table.delete())
                for table in self.tables:
                    if rows := self.seeds.get(table.name):
                        connection.execute(table.insert(), rows)
                for name, (value, called) in self.sequences.items():
                    connection.execute(
                        text("SELECT setval(:name, :value, :called)"),
                        {"name": f'"{name}"', "value": value, "called": called},
                    )
            return True
        except Exception:  # whatever went wrong, a new database is the answer
            return False
        finally:
            engine.dispose()


class DatabaseFactory:
    """Hands out migrated databases for one service, each as the migrations left it."""

    def __init__(
        self,
        *,
        service: str,
        script_location: Path,
        workdir: Path,
        worker: str,
        durable: bool = False,
    ) -> None:
        """`durable`: PostgreSQL commits wait for the disk, as in production (benchmarks);
        tests' databases do not (only a crash of the server could lose a commit)."""
        self.service = service
        self.durable = durable
        self.script_location = script_location
        self.workdir = workdir
        self.backend = backend()
        self.prefix = f"cxtest_{service}_{worker}_{uuid.uuid4().hex[:6]}"
        self._template: str | None = None
        self._blank: _Blank | None = None
        self._created: list[str] = []
        self._free: list[str] = []  # released PostgreSQL databases, emptied, ready again

    def _build_template(self) -> str:
        if self.backend == "sqlite":
            path = self.workdir / f"{self.prefix}_template.db"
            url = f"sqlite:///{path}"
            upgrade(self.script_location, url)
            engine = make_engine(url, pool_size=1)
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()
            return str(path)
        name = f"{self.prefix}_template"
        _pg_create(name)
        self._created.append(name)
        upgrade(self.script_location, _pg_url(name))
        self._blank = _Blank.read(_pg_url(name))
        return name

    def new_url(self) -> str:
        if self._template is None:
            self._template = self._build_template()
        suffix = uuid.uuid4().hex[:10]
        if self.backend == "sqlite":
            path = self.workdir / f"{self.prefix}_{suffix}.db"
            shutil.copyfile(self._template, path)
            return f"sqlite:///{path}"
        if self._free:
            return _pg_url(self._free.pop())
        name = f"{self.prefix}_{suffix}"
        _pg_create(name, self._template, durable=self.durable)
        self._created.append(name)
        return _pg_url(name)

    def release(self, url: str) -> None:
        """The test is done with `url`: on PostgreSQL it is emptied for the next test (dropped
        if that cannot be done); SQLite's copy is deleted."""
        if self.backend == "sqlite":
            path = Path(make_url(url).database or "")
            for leftover in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
                leftover.unlink(missing_ok=True)
            return
        name = make_url(url).database
        if name not in self._created:
            return
        if self._blank is not None and self._blank.restore(url):
            self._free.append(name)
            return
        _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._created.remove(name)

    def close(self) -> None:
        if self.backend == "postgresql":
            for name in reversed(self._created):
                _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self._created.clear()
            self._free.clear()


def fetch_all(database_url: str, statement: Any) -> list[Any]:
    """The rows (or entities) of `statement`, read on a connection of its own: what another
    process would see."""
    engine = make_engine(database_url, pool_size=1)
    try:
        with Session(engine) as session:
            return list(session.exec(statement).all())
    finally:
        engine.dispose()


@contextmanager
def writer_held(engine: Engine) -> Iterator[None]:
    """Another thread's write transaction, open for the length of the block (it has taken
    SQLite's write lock by the time the block starts)."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with write_session(engine) as session:
            session.execute(text("SELECT 1"))
            holding.set()
            release.wait(60)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    holding.wait(10)
    try:
        yield
    finally:
        release.set()
        thread.join(10)
