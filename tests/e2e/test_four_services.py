"""All four services as real processes on loopback, with a webhook receiver subscribed to each
backend: customers answer through the gateway's survey page, their scores reach metrics, the
degraded touchpoint opens an incident, every event reaches the receiver with a valid signature,
and one request id follows a request from the gateway into feedback's JSON log."""

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from cxshared.db import make_engine
from cxshared.events.models import OutboxEvent
from cxshared.events.signing import sign
from cxshared.testing.databases import DatabaseFactory
from cxshared.testing.processes import eventually
from cxshared.testing.receiver import Received, Receiver
from feedback.ownership.models import TouchpointOwner
from tests.browser.world import PASSWORD, World, running_world

# Its module-scoped world is built once, on one xdist worker (make pytest: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("e2e-four-services")

BACKENDS = ("journey", "feedback", "metrics")
CUSTOMERS = 40


def signed(delivery: Received, secret: str) -> bool:
    """Whether the delivery carries a valid Standard Webhooks signature made with `secret`."""
    expected = sign(
        secret,
        msg_id=delivery.headers["webhook-id"],
        timestamp=int(delivery.headers["webhook-timestamp"]),
        body=delivery.body,
    )
    return expected in delivery.headers["webhook-signature"].split(" ")


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
    database_factory_for: Callable[[str, Path], DatabaseFactory],
) -> Iterator[World]:
    allow_loopback_receivers = {
        f"{name.upper()}_WEBHOOK_ALLOW_PRIVATE_URLS": "true" for name in BACKENDS
    }
    with running_world(
        tmp_path_factory.mktemp("e2e-logs"),
        database_factory_for,
        browser=False,
        backend_env={
            **allow_loopback_receivers,
            "METRICS_RELAY_POLL_SECONDS": "0.2",
            "METRICS_RELAY_BACKOFF_BASE_SECONDS": "0.2",
        },
    ) as world:
        yield world


def answer_through_gateway(world: World, slug: str, score: int, request_id: str) -> None:
    """What a customer's browser does without JavaScript: load the page, post the form."""
    with httpx.Client(base_url=world.gateway, timeout=10) as browser:
        page = browser.get(f"/s/{slug}")
        assert page.status_code == 200, page.text
        form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
        answered = browser.post(
            f"/s/{slug}",
            data={**form, "a_nps": str(score)},
            headers={"X-Request-ID": request_id},
        )
        assert answered.status_code == 303, answered.text
        assert answered.headers["location"].endswith(f"/s/{slug}/thanks")


def outbox_ids(database_url: str) -> set[str]:
    engine = make_engine(database_url, pool_size=1)
    try:
        with engine.connect() as connection:
            return set(connection.execute(select(OutboxEvent.id)).scalars())  # type: ignore[call-overload]
    finally:
        engine.dispose()


def log_events(world: World, service: str) -> list[dict[str, Any]]:
    lines = []
    for path in sorted(world.live.log_dir.glob(f"{service}-serve-*.log")):
        for line in path.read_text().splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
    return lines


def started(line: dict[str, Any]) -> datetime:
    """When the request a request.completed line tells of began."""
    return datetime.fromisoformat(line["timestamp"]) - timedelta(milliseconds=line["duration_ms"])


def test_an_answer_through_the_gateway_reaches_metrics_alerts_and_every_receiver(
    world: World,
) -> None:
    receiver = Receiver().start()
    secrets = {
        service: world.post(
            service, "/v1/webhooks", {"url": f"{receiver.url}/{service}", "event_types": ["*"]}
        )["secret"]
        for service in BACKENDS
    }

    def received(service: str) -> list[Received]:
        return [r for r in receiver.received if r.path == f"/hook/{service}"]

    def ids(service: str) -> set[str]:
        return {r.headers["webhook-id"] for r in received(service)}

    journey = world.post(
        "journey",
        "/v1/journeys/documents",
        {
            "name": "Delivery",
            "stages": [
                {
                    "name": "Deliver",
                    "touchpoints": [
                        {
                            "name": "Courier at the door",
                            "channel": "field",
                            "interaction": "human",
                            "owner_name": "Priya Shah",
                            "standard": "Delivered in the promised hour",
                            "targets": [{"metric": "nps", "value": 40}],
                        }
                    ],
                }
            ],
        },
    )
    [stage] = journey["stages"]
    [touchpoint] = stage["touchpoints"]
    survey = world.post(
        "feedback",
        "/v1/surveys",
        {
            "slug": "courier",
            "title": "How was your delivery?",
            "touchpoint_id": touchpoint["id"],
            "min_seconds_to_complete": 0,
            "questions": [
                {"key": "nps", "type": "nps", "prompt": "Recommend us?", "required": True}
            ],
        },
    )
    world.post("feedback", f"/v1/surveys/{survey['id']}/publish")
    overlay = f"/v1/journeys/{journey['id']}/overlay"
    eventually(
        lambda: httpx.get(world.api("metrics") + overlay, headers=world.keys["metrics"]).is_success,
        15,
        "metrics knows the journey",
    )

    request_ids = [f"e2e-{uuid.uuid4().hex}" for _ in range(CUSTOMERS)]
    for i, request_id in enumerate(request_ids):
        # Three in four detractors: NPS -50 against a target of 40.
        answer_through_gateway(world, "courier", 0 if i % 4 else 10, request_id)

    def nps() -> dict[str, Any] | None:
        scores = world.get(
            "metrics",
            f"/v1/scores?metric=nps&group_by=touchpoint&touchpoint_id={touchpoint['id']}",
        )["overall"]
        return scores if scores["n"] == CUSTOMERS else None

    scores = eventually(nps, 20, f"{CUSTOMERS} answers in metrics")
    assert scores["value"] == -50.0

    def open_incident() -> list[dict[str, Any]]:
        return world.get("metrics", "/v1/incidents?status=open")["items"]  # type: ignore[no-any-return]

    [incident] = eventually(open_incident, 30, "an open incident")
    assert (incident["touchpoint_id"], incident["owner_name"]) == (touchpoint["id"], "Priya Shah")
    assert [(s["metric"], s["rule"]) for s in incident["signals"] if s["active"]] == [
        ("nps", "target_breach")
    ]

    # Every event each backend wrote reaches its receiver, signed; a repeat is the same id.
    for service in BACKENDS:
        written = outbox_ids(world.urls[service])
        eventually(lambda: written <= ids(service), 30, f"{service}'s events delivered")
        assert ids(service) == written
        assert all(signed(r, secrets[service]) for r in received(service))
    types = [json.loads(r.body)["type"] for r in receiver.received]
    assert types.count("response.completed") == CUSTOMERS
    assert "touchpoint.created" in types or "journey.created" in types
    assert types.count("incident.opened") == 1

    # One request id, from the customer's request to the gateway into feedback's log.
    gateway_ids = {e.get("request_id") for e in log_events(world, "gateway")}
    feedback_lines = [
        e for e in log_events(world, "feedback") if e.get("request_id") == request_ids[0]
    ]
    assert request_ids[0] in gateway_ids
    # The gateway revalidated the survey's definition by its ETag, then saved the answer. A line
    # is written when its request has finished, which may be after the gateway's next request
    # has begun, so the lines are put in the order their requests started.
    feedback_lines.sort(key=started)
    assert [(e["event"], e["path"], e["status"]) for e in feedback_lines] == [
        ("request.completed", "/v1/public/surveys/courier", 304),
        ("request.completed", "/v1/public/surveys/courier/responses", 201),
    ]


def known_owner(world: World, touchpoint_id: str) -> str | None:
    """The owner's e-mail in feedback's read model of journey's touchpoints."""
    engine = make_engine(world.urls["feedback"], pool_size=1)
    try:
        with engine.connect() as connection:
            return connection.execute(  # type: ignore[no-any-return]
                select(TouchpointOwner.owner_email).where(TouchpointOwner.id == touchpoint_id)
            ).scalar()
    finally:
        engine.dispose()


class Staff:
    """A staff member signed in to the gateway, as a browser without JavaScript is."""

    def __init__(self, world: World, email: str) -> None:
        self.http = httpx.Client(base_url=world.gateway, timeout=10)
        login = self.http.get("/login").text
        token = re.search(r'name="login_token" value="([^"]+)"', login)
        assert token, login
        signed_in = self.http.post(
            "/login",
            data={"email": email, "password": PASSWORD, "login_token": token.group(1)},
        )
        assert signed_in.status_code == 303, signed_in.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', self.http.get("/cases").text)
        assert csrf
        self.csrf = csrf.group(1)

    def inbox(self) -> str:
        page = self.http.get("/cases?view=mine")
        assert page.status_code == 200, page.text
        return page.text

    def post(self, url: str, form: dict[str, Any]) -> httpx.Response:
        return self.http.post(url, data={"csrf_token": self.csrf, **form})


def test_a_detractor_opens_a_case_in_the_owners_inbox_and_follows_a_new_owner(
    world: World,
) -> None:
    journey = world.post(
        "journey",
        "/v1/journeys/documents",
        {
            "name": "Returns",
            "stages": [
                {
                    "name": "Return",
                    "touchpoints": [
                        {
                            "name": "Parcel desk",
                            "channel": "store",
                            "interaction": "human",
                            "owner_name": "Editor User",
                            "owner_email": "editor@example.com",
                        }
                    ],
                }
            ],
        },
    )
    [touchpoint] = journey["stages"][0]["touchpoints"]
    survey = world.post(
        "feedback",
        "/v1/surveys",
        {
            "slug": "parcel-desk",
            "title": "How was the parcel desk?",
            "touchpoint_id": touchpoint["id"],
            "min_seconds_to_complete": 0,
            "questions": [
                {"key": "nps", "type": "nps", "prompt": "Recommend us?", "required": True}
            ],
        },
    )
    world.post("feedback", f"/v1/surveys/{survey['id']}/publish")
    owner, successor = Staff(world, "editor@example.com"), Staff(world, "admin@example.com")

    def counts(email: str) -> dict[str, int]:
        return world.get("feedback", f"/v1/cases/counts?assignee={email}")  # type: ignore[no-any-return]

    # Journey's relay tells feedback who owns the desk: the first answer waits for that.
    eventually(
        lambda: known_owner(world, touchpoint["id"]) == "editor@example.com", 10, "the owner"
    )
    answered = time.monotonic()
    answer_through_gateway(world, "parcel-desk", 1, f"e2e-{uuid.uuid4().hex}")

    def listed_in(staff: Staff) -> list[str]:
        """The desk's cases that the staff member's inbox links to."""
        cases = world.get("feedback", f"/v1/cases?touchpoint_id={touchpoint['id']}")["items"]
        page = staff.inbox()
        return [c["id"] for c in cases if f'href="/cases/{c["id"]}"' in page]

    eventually(lambda: listed_in(owner), 2, "the case in the owner's inbox")
    seen = time.monotonic() - answered
    assert seen < 2, seen
    [case] = world.get("feedback", f"/v1/cases?touchpoint_id={touchpoint['id']}")["items"]
    assert (case["assignee"]["email"], case["priority"]) == ("editor@example.com", "high")

    # The owner changes through the gateway; feedback hears of it from journey's relay and
    # moves the open case (its assignee owns nothing there any more) to the new owner.
    changed = owner.post(
        f"/touchpoints/{touchpoint['id']}/owner",
        {
            "version": touchpoint["version"],
            "owner_name": "Admin User",
            "owner_email": "admin@example.com",
        },
    )
    assert changed.status_code == 303, changed.text
    eventually(lambda: counts("admin@example.com")["mine"] == 1, 10, "feedback knows")
    answer_through_gateway(world, "parcel-desk", 0, f"e2e-{uuid.uuid4().hex}")
    newest = world.get("feedback", f"/v1/cases?touchpoint_id={touchpoint['id']}")["items"][0]
    assert newest["id"] != case["id"]
    assert newest["assignee"]["email"] == "admin@example.com"
    assert sorted(listed_in(successor)) == sorted([case["id"], newest["id"]])
    assert listed_in(owner) == []
    assert counts("editor@example.com")["mine"] == 0
