"""Schemathesis against metrics' own OpenAPI finds nothing."""

import pytest

from cxshared.auth import Scope
from cxshared.testing.api import bearer, make_key
from cxshared.testing.fuzz import assert_conforms

pytestmark = pytest.mark.long


def test_metrics_api_conforms_to_its_schema(api, send, ev):
    send(ev.touchpoint(), *[ev.response(f"r{i}", nps=i % 11, comment="fine") for i in range(40)])
    operations = assert_conforms(
        api.client.app,
        headers=bearer(make_key(api.database_url, "everything", Scope.ADMIN, Scope.INGEST)),
        semantic_field_codes={"invalid", "unsafe_url", "not_comparable"},
        # CSV bodies are only strings to OpenAPI; their rows are checked by the service.
        semantic_problems={
            "invalid-event",
            "incident-not-open",
            "incident-resolved",
            "invalid-csv",
            # An event id a previous request used with another body; a log's rows, as CSV.
            "activity-clash",
            "invalid-activity-log",
        },
    )
    assert operations > 15
