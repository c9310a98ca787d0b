"""The committed openapi.json matches the API (regenerate with `make openapi`, review the diff)."""

from pathlib import Path

from cxshared.testing.snapshot import assert_openapi_matches
from metrics.main import create_app


def test_openapi_matches_the_committed_snapshot(settings):
    snapshot = Path(__file__).resolve().parents[2] / "openapi.json"
    assert_openapi_matches(create_app(settings), snapshot)
