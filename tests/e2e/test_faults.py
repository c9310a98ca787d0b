"""Fault injection with real processes: the consumer down for a burst, the relay killed at its
named failure points. Each scenario drains, then checks the one invariant: every response a
customer was told was saved has exactly one fact in metrics, the webhook receiver saw each of
its events at least once, and no event was applied twice."""

import asyncio
import random
import threading
import uuid

import httpx
import pytest

from cxshared.testing.processes import eventually
from cxshared.testing.receiver import Receiver
from feedback.responses.models import Response
from tests.browser.world import World
from tests.e2e.faults import (
    check_invariant,
    published_survey,
    relay,
    rows_per,
    submit,
)

# Its module-scoped world is built once, on one xdist worker (make pytest: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("e2e-faults")


@pytest.fixture(scope="module")
def slug(world: World) -> str:
    published_survey(world, "faults")
    return "faults"


def test_metrics_down_for_a_whole_burst_then_started(
    world: World, receiver: Receiver, slug: str
) -> None:
    # The outage lasts as long as the machine takes to answer 30 and start metrics again
    # (10 s on a slow one, past the 12 attempts backing off to 1 s): enough attempts that none
    # goes dead meanwhile. Dead deliveries and their replay are test_webhook_outage's and the
    # fault model's.
    running = relay(world, FEEDBACK_RELAY_MAX_ATTEMPTS="1000")
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
    small = {"FEEDBACK_RELAY_BATCH_SIZE": "4"}  # many claims: the dead relay holds only some
    doomed = relay(world, "relay.after_claim=kill", **small)
    assert doomed.process is not None
    # The survivor starts once the doomed relay has died holding its lease: started together,
    # the survivor could claim every batch first and leave the doomed one nothing to hold.
    assert doomed.process.wait(30) == -9, "the doomed relay never held a lease"
    survivor = relay(world, **small)
    try:
        counts = check_invariant(world, receiver, submitted, acknowledged)
    finally:
        survivor.stop()
    # The survivor waited out the dead relay's leases, then sent what they held: once.
    assert counts.facts == counts.deliveries == 40
    assert counts.duplicates == 0
    print(f"\ntwo relays, one killed: {counts}")


async def submit_until_saved(
    url: str, submission_ids: list[str], *, spread_seconds: float = 0.0
) -> tuple[dict[str, str], list[int]]:
    """Every submission, concurrently, each retried with its own id until acknowledged (as
    the survey page does); the response id each was given, and every status seen.
    `spread_seconds`: each client starts at a random moment within it, so that answers keep
    arriving for that long rather than all in the first instant."""
    saved: dict[str, str] = {}
    statuses: list[int] = []
    starts = random.Random(len(submission_ids))

    async def one(client: httpx.AsyncClient, submission_id: str) -> None:
        await asyncio.sleep(starts.uniform(0, spread_seconds))
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
        # Spread over 3 s: answers are still arriving when the server dies after the first
        # 100 (all 500 at once, a quiet machine had stored every one before the kill).
        saved, statuses = asyncio.run(submit_until_saved(url, submission_ids, spread_seconds=3.0))
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
