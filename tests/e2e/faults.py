"""What the fault-injection suites share: the four services with feedback's relays left to the
test (to kill them), a webhook receiver, a published survey, and the one invariant each
scenario ends on."""

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func
from sqlmodel import select

from cxshared.events.models import DeliveryState, OutboxDelivery, OutboxEvent
from cxshared.testing.databases import DatabaseFactory, fetch_all
from cxshared.testing.processes import ServiceProcess, eventually
from cxshared.testing.receiver import Receiver
from metrics.facts.models import ResponseFact
from tests.browser.world import World, running_world

LEASE = 2  # seconds: a killed relay's claims come free this soon


@dataclass
class Counts:
    """What a scenario's note reports."""

    submitted: int
    acknowledged: int
    facts: int
    events: int
    deliveries: int
    duplicates: int


@contextmanager
def fault_world(
    logs: Path, database_factory_for: Callable[[str, Path], DatabaseFactory], **settings: str
) -> Iterator[World]:
    """The four services, feedback with no relay of its own and `settings` added."""
    with running_world(
        logs,
        database_factory_for,
        browser=False,
        backend_env={
            "FEEDBACK_RELAY_IN_PROCESS": "false",
            "FEEDBACK_RELAY_LEASE_SECONDS": str(LEASE),
            "FEEDBACK_WEBHOOK_ALLOW_PRIVATE_URLS": "true",
            **settings,
        },
    ) as world:
        yield world


@contextmanager
def subscribed_receiver(world: World) -> Iterator[Receiver]:
    """A webhook endpoint subscribed to feedback's response events."""
    server = Receiver().start()
    world.post("feedback", "/v1/webhooks", {"url": server.url, "event_types": ["response.*"]})
    try:
        yield server
    finally:
        server.stop()


def published_survey(world: World, slug: str) -> str:
    """A one-question NPS survey, published; its id."""
    survey = world.post(
        "feedback",
        "/v1/surveys",
        {
            "slug": slug,
            "title": "How was it?",
            "questions": [{"key": "nps", "type": "nps", "prompt": "Recommend us?"}],
        },
    )
    world.post("feedback", f"/v1/surveys/{survey['id']}/publish")
    return str(survey["id"])


def rows_per(database_url: str, column: Any, values: list[str]) -> dict[str, int]:
    """How many rows hold each of `values` in `column` (values with none are left out)."""
    rows = fetch_all(
        database_url,
        select(column, func.count()).where(column.in_(values)).group_by(column),
    )
    return dict(rows)  # type: ignore[arg-type]


def relay(world: World, faults: str = "", **settings: str) -> ServiceProcess:
    env = {**world.envs["feedback"], **settings, "CX_FAULTS": faults}
    return world.live.start("feedback", "relay", env=env)


def answer(world: World, slug: str, submission_id: str, score: int) -> httpx.Response:
    return httpx.post(
        f"{world.api('feedback')}/v1/public/surveys/{slug}/responses",
        json={"submission_id": submission_id, "answers": {"nps": score}},
        timeout=10,
    )


def submit(world: World, slug: str, n: int) -> tuple[int, list[str]]:
    """n answers; the ids of those acknowledged (201)."""
    acknowledged = []
    for i in range(n):
        response = answer(world, slug, uuid.uuid4().hex, i % 11)
        if response.status_code == 201:
            acknowledged.append(response.json()["id"])
    return n, acknowledged


def events_of(world: World, response_ids: list[str]) -> set[str]:
    """The ids of the outbox events about these responses."""
    return set(
        fetch_all(
            world.urls["feedback"],
            select(OutboxEvent.id).where(OutboxEvent.subject.in_(response_ids)),  # type: ignore[attr-defined]
        )
    )


def unsettled(world: World, events: set[str], state: DeliveryState | None = None) -> list[str]:
    """The deliveries of `events` not yet delivered (or, given `state`, in that state)."""
    condition = (
        OutboxDelivery.state == state  # type: ignore[arg-type]
        if state
        else OutboxDelivery.state != DeliveryState.DELIVERED  # type: ignore[arg-type]
    )
    return fetch_all(
        world.urls["feedback"],
        select(OutboxDelivery.id).where(
            OutboxDelivery.event_id.in_(events),  # type: ignore[attr-defined]
            condition,
        ),
    )


def check_invariant(
    world: World, receiver: Receiver, submitted: int, acknowledged: list[str]
) -> Counts:
    """Waits for the drain, then checks every acknowledged response has exactly one fact and
    each of its events reached the receiver (which answered it with a 2xx)."""

    def facts() -> dict[str, int]:
        return rows_per(world.urls["metrics"], ResponseFact.response_id, acknowledged)

    events = events_of(world, acknowledged)

    def seen() -> list[str]:
        return [
            r.headers["webhook-id"]
            for r in receiver.accepted()
            if r.headers["webhook-id"] in events
        ]

    # Drained: every delivery of these events marked delivered, none pending or dead.
    eventually(lambda: not unsettled(world, events), 60, "every delivery settled")
    eventually(lambda: len(facts()) == len(acknowledged), 60, "every answer has its fact")
    eventually(lambda: set(seen()) == events, 60, "every event reached the receiver")
    counted = facts()
    assert set(counted) == set(acknowledged)
    assert all(n == 1 for n in counted.values()), "an answer counted twice"
    deliveries = seen()
    bodies = [json.loads(r.body)["data"]["response_id"] for r in receiver.accepted()]
    assert set(acknowledged) <= set(bodies)
    return Counts(
        submitted=submitted,
        acknowledged=len(acknowledged),
        facts=sum(counted.values()),
        events=len(events),
        deliveries=len(deliveries),
        duplicates=len(deliveries) - len(set(deliveries)),
    )
