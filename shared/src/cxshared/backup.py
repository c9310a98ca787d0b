"""Backup and restore of a service's database, as one file.

SQLite: an online, consistent copy through SQLite's backup API (the service may keep running
while it is taken). PostgreSQL: pg_dump's custom format, restored with pg_restore in one
transaction. Restore replaces everything in the database with the backup's contents; stop the
service first, and run `migrate` after restoring a backup from an older version.
"""

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    pass


def _sqlite_path(database_url: str) -> Path | None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory database has nothing to back up")
    return Path(url.database)


def _libpq_url(database_url: str) -> str:
    """pg_dump and pg_restore take libpq's URL, without SQLAlchemy's driver name."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL's client tools)")
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()}")


def backup(database_url: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    source = _sqlite_path(database_url)
    if source is not None:
        if not source.exists():
            raise BackupError(f"no database at {source}")
        with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
            live.backup(copy)
        return
    _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", _libpq_url(database_url)])


def restore(database_url: str, source: Path) -> None:
    if not source.exists():
        raise BackupError(f"no backup at {source}")
    target = _sqlite_path(database_url)
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(source) as saved, sqlite3.connect(target) as live:
            saved.backup(live)
        return
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={_libpq_url(database_url)}",
            str(source),
        ]
    )
