"""Fault injection with real processes: the consumer down for a burst, the relay killed at its
named failure points. Each scenario drains, then checks the one invariant: every response a
customer was told was saved has exactly one fact in metrics, the webhook receiver saw each of
its events at least once, and no event was applied twice."""

import asyncio
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select

from cxshared.events.models import DeliveryState, OutboxDelivery, OutboxEvent
from cxshared.testing.databases import DatabaseFactory, fetch_all
from cxshared.testing.processes import ServiceProcess, eventually
from cxshared.testing.receiver import Receiver
from feedback.responses.models import Response
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
        return rows_per(world.urls["metrics"], ResponseFact.response_id, acknowledged)

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


def test_two_relays_one_killed_holding_leases_nothing_stuck_nothing_sent_twice(
    world: World, receiver: Receiver, slug: str
) -> None:
    submitted, acknowledged = submit(world, slug, 40)
    small = {"FEEDBACK_RELAY_BATCH_SIZE": "4"}  # many claims, so both relays hold some
    doomed = relay(world, "relay.after_claim=kill", **small)
    survivor = relay(world, **small)
    try:
        assert doomed.process is not None
        assert doomed.process.wait(30) == -9, "the doomed relay never held a lease"
        counts = check_invariant(world, receiver, submitted, acknowledged)
    finally:
        survivor.stop()
    # The survivor waited out the dead relay's leases, then sent what they held: once.
    assert counts.facts == counts.deliveries == 40
    assert counts.duplicates == 0
    print(f"\ntwo relays, one killed: {counts}")


async def submit_until_saved(
    url: str, submission_ids: list[str]
) -> tuple[dict[str, str], list[int]]:
    """Every submission, concurrently, each retried with its own id until acknowledged (as
    the survey page does); the response id each was given, and every status seen."""
    saved: dict[str, str] = {}
    statuses: list[int] = []

    async def one(client: httpx.AsyncClient, submission_id: str) -> None:
        while True:
            try:
                response = await client.post(
                    url, json={"submission_id": submission_id, "answers": {"nps": 9}}
                )
                statuses.append(response.status_code)
                if response.status_code in (200, 201):
                    saved[submission_id] = response.json()["id"]
                    return
            except httpx.TransportError:
                statuses.append(0)  # no answer: the server is down
            await asyncio.sleep(0.2)

    limits = httpx.Limits(max_connections=len(submission_ids))
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        await asyncio.wait_for(
            asyncio.gather(*(one(client, s) for s in submission_ids)), timeout=180
        )
    return saved, statuses


def responses_per_submission(world: World, submission_ids: list[str]) -> dict[str, int]:
    return rows_per(world.urls["feedback"], Response.submission_id, submission_ids)


def test_feedback_killed_during_500_concurrent_submissions_clients_retry(
    world: World, receiver: Receiver, slug: str
) -> None:
    url = f"{world.api('feedback')}/v1/public/surveys/{slug}/responses"
    submission_ids = [uuid.uuid4().hex for _ in range(500)]
    killed = threading.Event()

    def kill_midway() -> None:
        """SIGKILL once feedback has stored 100 of them, then start it again."""
        eventually(
            lambda: sum(responses_per_submission(world, submission_ids).values()) >= 100,
            60,
            "100 answers stored",
        )
        world.servers["feedback"].kill()
        killed.set()
        world.start("feedback")

    running = relay(world)
    killer = threading.Thread(target=kill_midway, daemon=True)
    try:
        killer.start()
        saved, statuses = asyncio.run(submit_until_saved(url, submission_ids))
        killer.join(60)
        assert killed.is_set()
        assert 0 in statuses, sorted(set(statuses))  # some met the dead server, and retried
        assert set(saved) == set(submission_ids)
        # One response per submission id, however many times it was sent.
        assert set(responses_per_submission(world, submission_ids).values()) == {1}
        assert len(set(saved.values())) == 500
        counts = check_invariant(world, receiver, len(submission_ids), list(saved.values()))
    finally:
        running.stop()
    assert counts.facts == 500
    print(f"\nfeedback killed mid-burst: {counts}, requests sent: {len(statuses)}")


def test_200_concurrent_submitters_meet_no_lock_and_no_server_error(
    world: World, slug: str
) -> None:
    url = f"{world.api('feedback')}/v1/public/surveys/{slug}/responses"
    submission_ids = [uuid.uuid4().hex for _ in range(200)]
    log = world.servers["feedback"].log_path
    logged_before = len(log.read_text())
    saved, statuses = asyncio.run(submit_until_saved(url, submission_ids))
    assert statuses == [201] * 200, sorted(set(statuses))  # the first try of each, no retries
    assert set(responses_per_submission(world, submission_ids).values()) == {1}
    assert "database is locked" not in log.read_text()[logged_before:]
    print(f"\n200 concurrent submitters: {len(saved)} saved, statuses {sorted(set(statuses))}")


def test_an_unknown_fault_name_is_refused_at_start(world: World) -> None:
    broken = relay(world, "relay.after_lunch=kill")
    assert broken.process is not None
    assert broken.process.wait(30) != 0
    assert "unknown fault" in broken.log_path.read_text()
