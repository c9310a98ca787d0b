"""Every backend operation has a stable id, `<tag>-<action>`, unique in its service: a path can
change without renaming every generated client's methods."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("service", ["journey", "feedback", "metrics"])
def test_operation_ids_are_tag_dash_action_and_unique(service: str) -> None:
    spec = json.loads((ROOT / "services" / service / "openapi.json").read_text())
    operations = [op for path in spec["paths"].values() for op in path.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    for op in operations:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", op["operationId"]), op["operationId"]
        tag = re.sub(r"[^a-z0-9]+", "-", op["tags"][0].lower())
        assert op["operationId"].startswith(tag + "-"), op["operationId"]
