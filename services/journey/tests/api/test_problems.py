"""Every error is problem+json; bad input is never a 500."""

from cxshared.testing.security import assert_security_headers

PROBLEM = "application/problem+json"


def test_validation_errors_name_each_failing_field(api):
    response = api.post(
        "/v1/journeys", {"name": "", "state": "someday", "review_cadence_days": 0, "extra": 1}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == "urn:cxloop:problem:validation"
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"name", "state", "review_cadence_days", "extra"}
    assert body["request_id"] == response.headers["x-request-id"]


def test_unknown_ids_and_paths_are_404_and_wrong_methods_405(api):
    missing = api.get("/v1/touchpoints/01900000-0000-7000-8000-000000000000")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM
    assert api.get("/v1/nothing-here").status_code == 404
    wrong = api.client.put("/v1/journeys")
    assert wrong.status_code == 405
    assert wrong.headers["content-type"] == PROBLEM


def test_malformed_json_and_nul_characters_are_422(api):
    broken = api.client.post(
        "/v1/journeys",
        content=b'{"name": ',
        headers={**api.writer, "Content-Type": "application/json"},
    )
    assert broken.status_code == 422
    nul = api.post("/v1/journeys", {"name": "a\u0000b"})
    assert nul.status_code == 422
    assert nul.json()["errors"][0]["field"] == "name"
    nul_query = api.get("/v1/history", params={"actor": "x\u0000"})
    assert nul_query.status_code == 422


def test_oversized_bodies_are_413(api):
    big = {"name": "x", "description": "y" * 2_000_000}
    response = api.post("/v1/journeys", big)
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


def test_request_id_is_echoed_or_made(api):
    given = api.get("/healthz", headers={"X-Request-ID": "trace-abc-123"})
    assert given.headers["x-request-id"] == "trace-abc-123"
    invalid = api.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert invalid.headers["x-request-id"] != "bad id with spaces"
    assert len(invalid.headers["x-request-id"]) == 32


def test_health_and_readiness(api):
    assert api.client.get("/healthz").json() == {"status": "ok"}
    assert api.client.get("/readyz").json() == {"status": "ready"}


def test_unknown_query_parameters_are_named_not_ignored(api, journey_map):
    response = api.get("/v1/touchpoints", params={"chanel": "web"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "chanel",
            "location": "query",
            "message": "unknown parameter",
            "code": "unknown_parameter",
        }
    ]
    assert api.get("/v1/touchpoints", params={"channel": "web", "limit": 5}).status_code == 200


def chunks(total: int):
    sent = 0
    while sent < total:
        yield b" " * 65536
        sent += 65536


def test_oversized_chunked_bodies_are_413_with_or_without_an_idempotency_key(api):
    for extra in ({}, {"Idempotency-Key": "big-1"}):
        response = api.client.post(
            "/v1/journeys",
            content=chunks(2_000_000),
            headers={**api.writer, **extra, "Content-Type": "application/json"},
        )
        assert response.status_code == 413, extra
        assert response.headers["content-type"] == PROBLEM


def test_unexpected_errors_are_500_problems_without_internals(api):
    def explode() -> None:
        raise RuntimeError("secret internals")

    api.client.app.add_api_route("/boom", explode)
    response = api.client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == "urn:cxloop:problem:internal"
    assert body["request_id"] == response.headers["x-request-id"]
    assert "secret" not in response.text
    assert_security_headers(response)


def test_true_and_false_are_not_numbers(api, journey_map):
    url = f"/v1/touchpoints/{journey_map['confirm']['id']}"
    before = api.get(url).json()
    for body, field in (
        ({"targets": [{"metric": "nps", "value": True}]}, "targets[0].nps.value"),
        ({"targets": [{"metric": "csat", "value": 80, "min_responses": True}]}, "min_responses"),
        ({"designed_emotion": False}, "designed_emotion"),
    ):
        refused = api.patch(url, body)
        assert refused.status_code == 422, refused.text
        assert any(field in e["field"] for e in refused.json()["errors"]), refused.json()
    assert api.get(url).json() == before
    assert api.post("/v1/journeys", {"name": "J", "review_cadence_days": True}).status_code == 422
