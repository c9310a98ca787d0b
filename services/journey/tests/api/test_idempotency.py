"""Idempotency-Key: a retried create returns the first result and creates nothing more."""

import threading

import httpx
from sqlmodel import select

from cxshared.idempotency import IdempotencyRecord
from cxshared.testing.databases import fetch_all


def journeys(api):
    return api.get("/v1/journeys").json()["items"]


def test_a_retry_returns_the_first_result(api):
    headers = {**api.writer, "Idempotency-Key": "order-7f3a"}
    first = api.post("/v1/journeys", {"name": "Returns"}, headers=headers)
    again = api.post("/v1/journeys", {"name": "Returns"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["etag"] == first.headers["etag"]
    assert "idempotent-replayed" not in first.headers
    assert len(journeys(api)) == 1
    # Nothing more was recorded either.
    assert len(api.get("/v1/history", params={"entity_type": "journey"}).json()["items"]) == 1


def test_the_same_key_with_another_body_is_refused(api):
    headers = {**api.writer, "Idempotency-Key": "k-1"}
    assert api.post("/v1/journeys", {"name": "A"}, headers=headers).status_code == 201
    reused = api.post("/v1/journeys", {"name": "B"}, headers=headers)
    assert reused.status_code == 422
    assert reused.json()["type"] == "urn:cxloop:problem:idempotency-key-reused"
    assert [j["name"] for j in journeys(api)] == ["A"]


def test_keys_belong_to_one_credential(api):
    api.post("/v1/teams", {"name": "Care"}, headers={**api.writer, "Idempotency-Key": "same"})
    other = api.post(
        "/v1/teams", {"name": "Billing"}, headers={**api.gateway, "Idempotency-Key": "same"}
    )
    assert other.status_code == 201
    assert "idempotent-replayed" not in other.headers


def test_a_refused_request_is_replayed_as_refused(api):
    headers = {**api.writer, "Idempotency-Key": "bad-1"}
    first = api.post("/v1/journeys", {"name": ""}, headers=headers)
    again = api.post("/v1/journeys", {"name": ""}, headers=headers)
    assert first.status_code == again.status_code == 422
    assert again.headers["content-type"] == "application/problem+json"


def test_without_a_live_key_the_answer_is_401_whatever_the_key_and_nothing_is_kept(api):
    """A key sent without credentials, or with an API key that does not exist, neither answers
    first (422, 409, 400) nor is stored: the route refuses the request."""
    api.post("/v1/teams", {"name": "Care"}, headers={**api.writer, "Idempotency-Key": "k-9"})
    for credential in ({}, {"Authorization": "Bearer cxk_not-a-key"}):
        for key in ("k-9", "k-10", "k-10", "\x07bell"):
            refused = api.client.post(
                "/v1/journeys", json={"name": "X"}, headers={**credential, "Idempotency-Key": key}
            )
            assert refused.status_code == 401, (credential, key, refused.text)
    stored = fetch_all(api.database_url, select(IdempotencyRecord.key))
    assert stored == ["k-9"]


def test_without_a_key_each_post_acts(api):
    api.post("/v1/journeys", {"name": "A"})
    api.post("/v1/journeys", {"name": "A"})
    assert len(journeys(api)) == 2


def test_concurrent_retries_create_exactly_once(api, live_journey):
    server = live_journey("serve", "--workers", "2", env={"JOURNEY_RELAY_IN_PROCESS": "false"})
    barrier = threading.Barrier(6)
    answers: list[httpx.Response] = []

    def post() -> None:
        barrier.wait()
        answers.append(
            httpx.post(
                f"{server.base_url}/v1/journeys",
                json={"name": "Race"},
                headers={**api.writer, "Idempotency-Key": "race-1"},
                timeout=30,
            )
        )

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    created = [a for a in answers if a.status_code == 201]
    assert created
    assert {a.json()["id"] for a in created} == {created[0].json()["id"]}
    assert {a.status_code for a in answers} <= {201, 409}
    listed = httpx.get(f"{server.base_url}/v1/journeys", headers=api.reader).json()["items"]
    assert [j["name"] for j in listed] == ["Race"]


def test_a_malformed_key_is_a_problem_with_the_request_id(api):
    response = api.post(
        "/v1/journeys", {"name": "A"}, headers={**api.writer, "Idempotency-Key": "x" * 300}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "urn:cxloop:problem:bad-idempotency-key"
    assert body["request_id"] == response.headers["x-request-id"]
    assert journeys(api) == []
