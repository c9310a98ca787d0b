"""Whether a database is at the schema level this code expects, without importing alembic.

Every service checks it when it starts and on `/readyz`. Alembic itself (with Mako) costs each
process 10-20 MB it needs only to migrate, so the check reads the two things it compares
directly: the revisions the migration files declare (their module-level `revision` and
`down_revision`, as alembic reads them) and the `alembic_version` table. A unit test holds the
heads found here equal to alembic's own (`ScriptDirectory.get_heads`) for every service.
"""

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, inspect, text


class SchemaMismatch(RuntimeError):
    pass


@dataclass(frozen=True)
class Revisions:
    known: frozenset[str]
    heads: frozenset[str]


def _declared(path: Path) -> tuple[str | None, tuple[str, ...]]:
    """A migration file's (revision, down revisions)."""
    found: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target = value = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            found[target.id] = ast.literal_eval(value)  # type: ignore[arg-type]
    revision, down = found.get("revision"), found.get("down_revision")
    downs = (down,) if isinstance(down, str) else tuple(down or ())  # type: ignore[arg-type]
    return (revision if isinstance(revision, str) else None), downs


@functools.cache
def revisions(script_location: Path) -> Revisions:
    """The revisions of a service's migrations: all of them, and the heads (those no other
    revision revises). Read once per process: the files do not change while it runs."""
    known: set[str] = set()
    revised: set[str] = set()
    for path in sorted((script_location / "versions").glob("*.py")):
        revision, downs = _declared(path)
        if revision is not None:
            known.add(revision)
            revised.update(downs)
    return Revisions(frozenset(known), frozenset(known - revised))


def head_revisions(script_location: Path) -> set[str]:
    return set(revisions(script_location).heads)


def current_revisions(engine: Engine) -> set[str]:
    """The revisions the database is at (none before its first migration)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return set()
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        return set(rows)


def check_at_head(engine: Engine, script_location: Path) -> None:
    """Refuse to run against a schema this code does not know (or one that is behind)."""
    current = current_revisions(engine)
    found = revisions(script_location)
    if current != found.heads:
        unknown = current - found.known
        if unknown:
            raise SchemaMismatch(
                f"database is at revision {sorted(unknown)}, which this version does not know"
            )
        raise SchemaMismatch(
            f"database is at {sorted(current) or 'no revision'}, expected {sorted(found.heads)}: "
            "run the service's `migrate` command"
        )
