"""Schemathesis against journey's own OpenAPI: no 5xx, every response conforms to the schema.

Each operation gets generated requests (valid and invalid) with an admin key, and schemathesis'
checks run on every response: no server error, status codes, content types and headers as
documented, bodies matching their schemas, invalid data rejected. Its "valid data accepted"
check is replaced by `schema_valid_data_accepted`, which allows exactly the refusals a schema
cannot express, and only when the problem says so.
"""

import json

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

EXAMPLES_PER_OPERATION = 40
PREFIX = "urn:cxloop:problem:"
# Errors about stored state, which no schema can describe.
SEMANTIC_FIELD_CODES = {"unknown_reference", "duplicate", "null_not_allowed", "unsafe_url"}
SEMANTIC_PROBLEMS = {
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


@schemathesis.check
def schema_valid_data_accepted(ctx, response, case):
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if response.status_code < 400 or response.status_code in (401, 403):
        return None
    problem = json.loads(response.content)
    kind = problem["type"].removeprefix(PREFIX)
    if kind in SEMANTIC_PROBLEMS:
        return None
    if (
        kind == "validation"
        and problem.get("errors")
        and all(error["code"] in SEMANTIC_FIELD_CODES for error in problem["errors"])
    ):
        return None
    raise AssertionError(f"schema-valid request refused: {response.status_code} {problem}")


def test_journey_api_conforms_to_its_schema(api):
    # The test sends an admin key itself; schemathesis must not drop or mangle it, or a
    # "negative" case would be judged on a header the test put back.
    config = SchemathesisConfig.from_dict({"generation": {"with-security-parameters": False}})
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app, config=config)
    failures = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(
            case=st.one_of(
                operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
                operation.as_strategy(schemathesis.GenerationMode.NEGATIVE),
            )
        )
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case):
            case.call_and_validate(
                headers=api.admin,
                excluded_checks=[positive_data_acceptance],
                additional_checks=[schema_valid_data_accepted],
            )

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures[operation.label] = f"{type(exc).__name__}: {exc}"[:3000]
    assert operations > 40
    assert not failures, "\n\n".join(f"{label}\n{error}" for label, error in failures.items())
