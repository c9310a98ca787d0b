"""Fault injection with real processes: the consumer down for a burst, the relay killed at its
named failure points. Each scenario drains, then checks the one invariant: every response a
customer was told was saved has exactly one fact in metrics, the webhook receiver saw each of
its events at least once, and no event was applied twice."""

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
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


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
    database_factory_for: Callable[[str, Path], DatabaseFactory],
) -> Iterator[World]:
    with running_world(
        tmp_path_factory.mktemp("faults"),
        database_factory_for,
        browser=False,
        backend_env={
            # The tests run feedback's relays themselves, to kill them.
            "FEEDBACK_RELAY_IN_PROCESS": "false",
            "FEEDBACK_RELAY_LEASE_SECONDS": str(LEASE),
            "FEEDBACK_WEBHOOK_ALLOW_PRIVATE_URLS": "true",
        },
    ) as world:
        yield world


@pytest.fixture(scope="module")
def receiver(world: World) -> Iterator[Receiver]:
    server = Receiver().start()
    world.post("feedback", "/v1/webhooks", {"url": server.url, "event_types": ["response.*"]})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def slug(world: World) -> str:
    survey = world.post(
        "feedback",
        "/v1/surveys",
        {
            "slug": "faults",
            "title": "How was it?",
            "questions": [{"key": "nps", "type": "nps", "prompt": "Recommend us?"}],
        },
    )
    world.post("feedback", f"/v1/surveys/{survey['id']}/publish")
    return "faults"


def relay(world: World, faults: str = "") -> ServiceProcess:
    return world.live.start(
        "feedback", "relay", env={**world.envs["feedback"], "CX_FAULTS": faults}
    )


def submit(world: World, slug: str, n: int) -> tuple[int, list[str]]:
    """n answers; the ids of those acknowledged (201)."""
    acknowledged = []
    for i in range(n):
        response = httpx.post(
            f"{world.api('feedback')}/v1/public/surveys/{slug}/responses",
            json={"submission_id": uuid.uuid4().hex, "answers": {"nps": i % 11}},
            timeout=10,
        )
        if response.status_code == 201:
            acknowledged.append(response.json()["id"])
    return n, acknowledged


def check_invariant(
    world: World, receiver: Receiver, submitted: int, acknowledged: list[str]
) -> Counts:
    """Waits for the drain, then checks every acknowledged response has exactly one fact and
    each of its events reached the receiver."""

    def facts() -> dict[str, int]:
        rows = fetch_all(
            world.urls["metrics"],
            select(ResponseFact.response_id, func.count())
            .where(ResponseFact.response_id.in_(acknowledged))  # type: ignore[attr-defined]
            .group_by(ResponseFact.response_id),
        )
        return dict(rows)  # type: ignore[arg-type]

    events = set(
        fetch_all(
            world.urls["feedback"],
            select(OutboxEvent.id).where(OutboxEvent.subject.in_(acknowledged)),  # type: ignore[attr-defined]
        )
    )

    def seen() -> list[str]:
        return [
            r.headers["webhook-id"] for r in receiver.received if r.headers["webhook-id"] in events
        ]

    def undelivered() -> list[str]:
        return fetch_all(
            world.urls["feedback"],
            select(OutboxDelivery.state).where(
                OutboxDelivery.event_id.in_(events),  # type: ignore[attr-defined]
                OutboxDelivery.state != DeliveryState.DELIVERED,
            ),
        )

    # Drained: every delivery of these events marked delivered, none pending, claimed or dead.
    eventually(lambda: not undelivered(), 60, "every delivery settled")
    eventually(lambda: len(facts()) == len(acknowledged), 60, "every answer has its fact")
    eventually(lambda: set(seen()) == events, 60, "every event reached the receiver")
    counted = facts()
    assert set(counted) == set(acknowledged)
    assert set(counted.values()) == {1}, "an answer counted twice"
    deliveries = seen()
    bodies = [json.loads(r.body)["data"]["response_id"] for r in receiver.received]
    assert set(acknowledged) <= set(bodies)
    return Counts(
        submitted=submitted,
        acknowledged=len(acknowledged),
        facts=sum(counted.values()),
        events=len(events),
        deliveries=len(deliveries),
        duplicates=len(deliveries) - len(set(deliveries)),
    )


def test_metrics_down_for_a_whole_burst_then_started(
    world: World, receiver: Receiver, slug: str
) -> None:
    running = relay(world)
    try:
        world.stop("metrics")
        submitted, acknowledged = submit(world, slug, 30)
        assert len(acknowledged) == submitted  # answers do not wait for metrics
        world.start("metrics")
        counts = check_invariant(world, receiver, submitted, acknowledged)
    finally:
        running.stop()
    assert (counts.facts, counts.events) == (30, 30)
    print(f"\nmetrics down: {counts}")


@pytest.mark.parametrize("point", ["relay.after_claim", "relay.after_send"])
def test_a_relay_killed_at_a_failure_point_loses_nothing_and_applies_nothing_twice(
    world: World, receiver: Receiver, slug: str, point: str
) -> None:
    submitted, acknowledged = submit(world, slug, 20)
    before = len(receiver.received)
    doomed = relay(world, f"{point}=kill")
    assert doomed.process is not None
    assert doomed.process.wait(30) == -9, "the relay did not die at the failure point"
    if point == "relay.after_claim":
        assert len(receiver.received) == before  # it died before sending anything
    else:
        assert len(receiver.received) > before  # it died after sending, before marking
    running = relay(world)  # takes the dead relay's claims once their lease runs out
    try:
        counts = check_invariant(world, receiver, submitted, acknowledged)
    finally:
        running.stop()
    assert counts.facts == counts.acknowledged == 20
    if point == "relay.after_send":
        assert counts.duplicates > 0  # the receiver saw repeats, and dropped them by id
    print(f"\nkilled at {point}: {counts}")


def test_an_unknown_fault_name_is_refused_at_start(world: World) -> None:
    broken = relay(world, "relay.after_lunch=kill")
    assert broken.process is not None
    assert broken.process.wait(30) != 0
    assert "unknown fault" in broken.log_path.read_text()
