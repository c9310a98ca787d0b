"""Alembic per service: run migrations programmatically (only `migrate` and the tests import
this; whether a database is at head is cxshared.schema_level, which needs no alembic)."""

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy import event as sa_event
from sqlalchemy.engine import make_url

from cxshared.db import make_engine


def alembic_config(script_location: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    config.attributes["database_url"] = database_url
    return config


def upgrade(script_location: Path, database_url: str, revision: str = "head") -> None:
    ensure_database(database_url)
    command.upgrade(alembic_config(script_location, database_url), revision)


def ensure_database(database_url: str) -> None:
    """On PostgreSQL, create the service's database when it does not exist yet (one database
    per service, on a server the operator gives; the role needs CREATEDB for this)."""
    url = make_url(database_url)
    name = url.database
    if url.get_backend_name() != "postgresql" or not name:
        return
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if not exists:
                quoted = connection.dialect.identifier_preparer.quote(name)
                connection.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        server.dispose()


def run_env(target_metadata: object) -> None:
    """The body of every service's migrations/env.py."""
    from alembic import context

    config = context.config
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database url given to alembic")
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(context, connectable, target_metadata)
        return
    engine = make_engine(url, pool_size=1)
    if engine.dialect.name == "sqlite":
        # A batch operation rebuilds a table on SQLite (copy, drop, rename): with foreign keys
        # enforced, dropping a parent deletes its children's rows by their ON DELETE CASCADE.
        # Off for the migration (it cannot be changed inside a transaction), then checked.
        @sa_event.listens_for(engine, "connect")
        def _no_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA foreign_keys=OFF")

    try:
        with engine.connect() as connection:
            _run(context, connection, target_metadata)
            if engine.dialect.name == "sqlite":
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"migration left rows whose parents are gone: {broken[:5]}")
    finally:
        engine.dispose()


def _run(context: object, connection: object, target_metadata: object) -> None:
    ctx = context  # alembic.context is a module proxy; keep mypy out of its dynamic API
    ctx.configure(  # type: ignore[attr-defined]
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with ctx.begin_transaction():  # type: ignore[attr-defined]
        ctx.run_migrations()  # type: ignore[attr-defined]
