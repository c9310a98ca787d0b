"""The committed openapi.json is the contract: an API change must update it deliberately.

Regenerate with `make openapi` after an intended change, and review the diff.
"""

import json
from pathlib import Path

from journey.main import create_app

SNAPSHOT = Path(__file__).resolve().parents[2] / "openapi.json"


def test_openapi_matches_the_committed_snapshot(settings):
    current = create_app(settings).openapi()
    committed = json.loads(SNAPSHOT.read_text())
    assert current == committed, "the API changed: run `make openapi` and review the diff"
