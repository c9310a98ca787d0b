"""Rate limits on the public endpoints: per client and per survey, shared by every worker."""

import time
from datetime import UTC, datetime

import httpx
from fastapi.testclient import TestClient
from starlette.requests import Request

from cxshared import ratelimit
from cxshared.ratelimit import client_address
from feedback.main import create_app


def early_in_a_minute(monkeypatch):
    """The limiter's clock held 5 s into the current minute: an in-process test runs inside one
    window without waiting for one."""
    held = datetime.now(UTC).replace(second=5, microsecond=0)
    monkeypatch.setattr(ratelimit, "utcnow", lambda: held)


def fresh_minute(needed=15):
    """Waits, if need be, so that a test of other processes runs inside one rate-limit window
    (their clock cannot be held)."""
    second = datetime.now(UTC).second + datetime.now(UTC).microsecond / 1e6
    if second > 60 - needed:
        time.sleep(60.2 - second)


def test_a_client_past_its_limit_gets_429_with_retry_after(settings, api, published, monkeypatch):
    early_in_a_minute(monkeypatch)
    limited = settings.model_copy(update={"rate_limit_per_client": 5})
    with TestClient(create_app(limited)) as client:
        answers = [client.get("/v1/public/surveys/delivery") for _ in range(7)]
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 2
    refused = answers[-1]
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) == 56  # the rest of the minute, rounded up
    # Staff endpoints are not counted.
    with TestClient(create_app(limited)) as client:
        assert client.get("/v1/surveys", headers=api.reader).status_code == 200


def test_per_survey_limit(settings, published, monkeypatch):
    limited = settings.model_copy(update={"rate_limit_per_survey": 3})
    early_in_a_minute(monkeypatch)
    with TestClient(create_app(limited)) as client:
        codes = [client.get("/v1/public/surveys/delivery").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_the_limit_is_shared_by_every_worker(database_url, published, live_services):
    server = live_services.start(
        "feedback",
        "serve",
        "--workers",
        "2",
        env={
            "FEEDBACK_DATABASE_URL": database_url,
            "FEEDBACK_RELAY_IN_PROCESS": "false",
            "FEEDBACK_RATE_LIMIT_PER_CLIENT": "20",
        },
    )
    fresh_minute()
    codes = []
    for _ in range(30):  # new connections, so both workers take some
        with httpx.Client() as client:
            codes.append(client.get(f"{server.base_url}/v1/public/surveys/delivery").status_code)
    # /readyz polls are not public endpoints; exactly 20 pass in the minute, whichever worker.
    assert codes.count(200) == 20 and codes.count(429) == 10


def request_from(peer, forwarded=None):
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


def test_forwarded_addresses_count_only_behind_a_trusted_proxy():
    assert client_address(request_from("203.0.113.9", "1.2.3.4"), []) == "203.0.113.9"
    trusted = ["10.0.0.0/8"]
    assert client_address(request_from("10.0.0.5", "1.2.3.4"), trusted) == "1.2.3.4"
    # A client cannot pick its address by adding its own X-Forwarded-For entries.
    assert client_address(request_from("10.0.0.5", "6.6.6.6, 1.2.3.4"), trusted) == "1.2.3.4"
    assert client_address(request_from("10.0.0.5", "1.2.3.4, 10.0.0.7"), trusted) == "1.2.3.4"
    assert client_address(request_from("10.0.0.5"), trusted) == "10.0.0.5"
