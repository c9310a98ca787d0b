"""Real test databases, built by running the migrations, never create_all.

Each worker migrates a template once per service; each test gets its own copy (a file copy on
SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL), so tests commit for real and never see each
other's rows. `CX_TEST_DATABASE=postgresql` selects PostgreSQL (`CX_TEST_POSTGRES_URL`, default
the local server with trust auth).
"""

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
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


def _pg_create(name: str, template: str | None = None) -> None:
    _pg_execute(
        f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""),
        f'ALTER DATABASE "{name}" SET synchronous_commit = off',
    )


class DatabaseFactory:
    """Hands out fresh, migrated databases for one service."""

    def __init__(self, *, service: str, script_location: Path, workdir: Path, worker: str) -> None:
        self.service = service
        self.script_location = script_location
        self.workdir = workdir
        self.backend = backend()
        self.prefix = f"cxtest_{service}_{worker}_{uuid.uuid4().hex[:6]}"
        self._template: str | None = None
        self._created: list[str] = []

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
        return name

    def new_url(self) -> str:
        if self._template is None:
            self._template = self._build_template()
        suffix = uuid.uuid4().hex[:10]
        if self.backend == "sqlite":
            path = self.workdir / f"{self.prefix}_{suffix}.db"
            shutil.copyfile(self._template, path)
            return f"sqlite:///{path}"
        name = f"{self.prefix}_{suffix}"
        _pg_create(name, self._template)
        self._created.append(name)
        return _pg_url(name)

    def drop(self, url: str) -> None:
        if self.backend == "postgresql":
            name = make_url(url).database
            _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if name in self._created:
                self._created.remove(name)

    def close(self) -> None:
        if self.backend == "postgresql":
            for name in reversed(self._created):
                _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self._created.clear()


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
