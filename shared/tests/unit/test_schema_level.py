"""The schema-level check reads the migration files itself: it must find what alembic finds."""

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from cxshared.schema_level import revisions
from feedback.main import MIGRATIONS as FEEDBACK
from gateway.main import MIGRATIONS as GATEWAY
from journey.main import MIGRATIONS as JOURNEY
from metrics.main import MIGRATIONS as METRICS


@pytest.mark.parametrize("location", [JOURNEY, FEEDBACK, METRICS, GATEWAY])
def test_the_heads_and_revisions_are_alembics(location: Path) -> None:
    script = ScriptDirectory(str(location))
    found = revisions(location)
    assert found.heads == set(script.get_heads())
    assert found.known == {r.revision for r in script.walk_revisions()}


def _migration(folder: Path, name: str, revision: str, down: str) -> None:
    (folder / f"{name}.py").write_text(
        f'"""{name}"""\n\nrevision: str = {revision!r}\ndown_revision = {down}\n'
        "branch_labels = None\ndepends_on = None\n\n\ndef upgrade() -> None:\n    pass\n\n\n"
        "def downgrade() -> None:\n    pass\n"
    )


def test_branches_and_merges_are_read_as_alembic_reads_them(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    (tmp_path / "script.py.mako").write_text("")
    _migration(versions, "a", "aaa", "None")
    _migration(versions, "b", "bbb", "'aaa'")
    _migration(versions, "c", "ccc", "'aaa'")
    branched = revisions(tmp_path)
    assert branched.heads == {"bbb", "ccc"} == set(ScriptDirectory(str(tmp_path)).get_heads())
    revisions.cache_clear()
    _migration(versions, "d", "ddd", "('bbb', 'ccc')")
    merged = revisions(tmp_path)
    assert merged.heads == {"ddd"} == set(ScriptDirectory(str(tmp_path)).get_heads())
    assert merged.known == {"aaa", "bbb", "ccc", "ddd"}


@pytest.mark.parametrize("service", ["journey", "feedback", "metrics", "gateway"])
def test_a_serving_service_does_not_import_alembic(service: str) -> None:
    """Alembic is for `migrate`: a service that serves imports its app and the CLI, not it."""
    code = (
        f"import sys, {service}.main, cxshared.cli, cxshared.health; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
