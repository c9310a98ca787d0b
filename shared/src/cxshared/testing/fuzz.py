"""Schemathesis against a service's own OpenAPI: no 5xx, every answer as documented.

Each operation gets generated requests, valid and invalid, and schemathesis' checks run on every
response: no server error, status codes, content types and headers as documented, bodies
matching their schemas, invalid data rejected. Its "valid data accepted" check is replaced by
one that allows exactly the refusals a schema cannot express (stored state: an unknown
reference, a duplicate, a stale version ...), and only when the problem document names them.

Most of a run is hypothesis generating requests, not the service answering them, so the suite's
two runs (SQLite and PostgreSQL) do not repeat each other: each is reproducible (a fixed seed
per database) and draws its own examples, so together they try twice as many distinct requests
per operation as either alone.
"""

import json
import os
from collections.abc import Collection
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import positive_data_acceptance

from cxshared.testing.databases import hypothesis_seed

PREFIX = "urn:cxloop:problem:"
# unstorable_text: a lone surrogate or a NUL (cxshared.text_guard); JSON Schema cannot say so.
COMMON_FIELD_CODES = frozenset(
    {"unknown_reference", "duplicate", "null_not_allowed", "unstorable_text"}
)
COMMON_PROBLEMS = frozenset(
    {
        "idempotency-key-reused",
        "idempotency-key-in-progress",
        "invalid-cursor",
        "stale-version",
        "not-found",
        "in-use",
        "has-children",
        "conflict",
        "delivery-pending",
    }
)


def assert_conforms(
    app: Any,
    *,
    headers: dict[str, str],
    semantic_field_codes: Collection[str] = (),
    semantic_problems: Collection[str] = (),
    examples: int | None = None,
) -> int:
    """Fuzzes every operation; returns how many there were. Fails listing every failure.

    `examples` per operation: 16 on SQLite; 10 on PostgreSQL, where the run is for what the
    dialect refuses (an integer beyond int4, a NUL byte), which hypothesis's boundary values
    reach first; the contract itself is the same on both."""
    if examples is None:
        examples = 10 if os.environ.get("CX_TEST_DATABASE") == "postgresql" else 16
    field_codes = COMMON_FIELD_CODES | set(semantic_field_codes)
    problems = COMMON_PROBLEMS | set(semantic_problems)

    @schemathesis.check
    def schema_valid_data_accepted(ctx: Any, response: Any, case: Any) -> None:
        if case.meta is None or not case.meta.generation.mode.is_positive:
            return
        if response.status_code < 400 or response.status_code in (401, 403):
            return
        problem = json.loads(response.content)
        kind = problem["type"].removeprefix(PREFIX)
        if kind in problems:
            return
        errors = problem.get("errors") or []
        if kind == "validation" and errors and all(e["code"] in field_codes for e in errors):
            return
        raise AssertionError(f"schema-valid request refused: {response.status_code} {problem}")

    # The caller's key is sent on every request; schemathesis must not drop or mangle it, or a
    # "negative" case would be judged on a header put back afterwards.
    config = SchemathesisConfig.from_dict({"generation": {"with-security-parameters": False}})
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        operations += 1

        @given(
            case=st.one_of(
                operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
                operation.as_strategy(schemathesis.GenerationMode.NEGATIVE),
            )
        )
        @seed(hypothesis_seed())
        @settings(
            max_examples=examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: Any) -> None:
            case.call_and_validate(
                headers=headers,
                excluded_checks=[positive_data_acceptance],
                additional_checks=[schema_valid_data_accepted],
            )

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures[operation.label] = f"{type(exc).__name__}: {exc}"[:3000]
    assert not failures, "\n\n".join(f"{label}\n{error}" for label, error in failures.items())
    return operations
