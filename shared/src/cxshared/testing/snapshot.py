"""The committed openapi.json is a service's contract: an API change must update it on purpose."""

import json
from pathlib import Path
from typing import Any


def assert_openapi_matches(app: Any, snapshot: Path) -> None:
    current = app.openapi()
    committed = json.loads(snapshot.read_text())
    assert current == committed, "the API changed: run `make openapi` and review the diff"
