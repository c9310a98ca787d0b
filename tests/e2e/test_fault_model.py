"""Scenario 6: Hypothesis drives the real processes through a random mix of what goes wrong in
production (answers and their retries, relays started, SIGKILLed and dying at their failure
points, a webhook receiver failing and recovering, deliveries replayed, an event delivered to
metrics a second time) and every run ends on the invariant of the other fault scenarios: each
acknowledged answer has exactly one fact, every event reached the receiver, and metrics'
figures count each answer once."""

import subprocess
import time
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlmodel import select

from cxshared.events.models import DeliveryState, OutboxDelivery, OutboxEvent
from cxshared.faults import POINTS
from cxshared.testing.databases import fetch_all, hypothesis_seed
from cxshared.testing.processes import ServiceProcess
from cxshared.testing.receiver import Receiver
from tests.browser.world import World
from tests.e2e.faults import (
    Counts,
    answer,
    check_invariant,
    events_of,
    published_survey,
    relay,
    unsettled,
)

# Its module-scoped world is built once, on one xdist worker (make pytest: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("e2e-fault-model")

SLUG = "mixed-faults"
# Eight runs on each database, each database's own (cxshared.testing.databases.hypothesis_seed):
# the same runs on every machine, and sixteen different ones in a whole CI run. (Five were too
# few for every kind of trouble to come up on both.)
RUNS = settings(
    max_examples=8,
    stateful_step_count=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# What each run starts with, in turn (after a relay and some answers): a relay dying at each
# failure point, the receiver failing, the running relay killed.
FIRST_TROUBLE = [*sorted(POINTS), "receiver failing", "relay killed"]


def nps(scores: list[int]) -> float:
    """docs/metrics.md's NPS: % promoters (9-10) minus % detractors (0-6)."""
    promoters = sum(score >= 9 for score in scores)
    detractors = sum(score <= 6 for score in scores)
    return 100 * (promoters - detractors) / len(scores)


def test_a_random_mix_of_faults_loses_nothing_and_applies_nothing_twice(
    world: World, receiver: Receiver
) -> None:
    survey_id = published_survey(world, SLUG)
    scored: dict[str, int] = {}  # every acknowledged answer of every run: response id → score
    runs: list[Counts] = []
    happened: Counter[str] = Counter()  # what the runs did, across all of them
    feedback = world.envs["feedback"]
    ingest = {"Authorization": f"Bearer {feedback['FEEDBACK_INGEST_API_KEY']}"}

    def replay(delivery_id: str) -> None:
        world.post("feedback", f"/v1/outbox/deliveries/{delivery_id}/replay")

    def figures() -> dict[str, Any]:
        overall = world.get("metrics", f"/v1/scores?metric=nps&survey_id={survey_id}")["overall"]
        return {"n": overall["n"], "value": overall["value"]}

    class Pipeline(RuleBasedStateMachine):
        submissions = Bundle("submissions")

        def __init__(self) -> None:
            super().__init__()
            self.saved: dict[str, str] = {}  # submission id → response id
            self.relays: list[ServiceProcess] = []

        def new_answer(self, score: int) -> str:
            submission_id = uuid.uuid4().hex
            response = answer(world, SLUG, submission_id, score)
            assert response.status_code == 201, response.text
            happened["answers"] += 1
            self.saved[submission_id] = scored_id = response.json()["id"]
            scored[scored_id] = score
            return submission_id

        @initialize(target=submissions, scores=st.lists(st.integers(0, 10), max_size=4))
        def a_relay_running_and_answers(self, scores: list[int]) -> MultipleResults[str]:
            """Then each run starts with a trouble of its own, in turn: left to the rules, a
            kind could come up in none of the eight runs (the draws follow timing: a replay
            draws only when a settled delivery is there), and the runs prove less."""
            self.relays.append(relay(world))
            submitted = [self.new_answer(score) for score in scores]
            trouble = FIRST_TROUBLE[len(runs) % len(FIRST_TROUBLE)]
            if trouble in POINTS:
                self.start_relay(trouble, score=3)
            elif trouble == "receiver failing":
                self.receiver_answers(503)
            else:
                self.kill_relay()
            return multiple(*submitted)

        @rule(target=submissions, scores=st.lists(st.integers(0, 10), min_size=1, max_size=4))
        def answers(self, scores: list[int]) -> MultipleResults[str]:
            return multiple(*(self.new_answer(score) for score in scores))

        @rule(submission_id=submissions, score=st.integers(0, 10))
        def answer_again(self, submission_id: str, score: int) -> None:
            """A retry (another score even): the first result, nothing new stored."""
            response = answer(world, SLUG, submission_id, score)
            assert response.status_code == 200, response.text
            assert response.json()["id"] == self.saved[submission_id]
            happened["retries"] += 1

        @precondition(lambda self: len(self.relays) < 2)
        @rule(point=st.sampled_from(["", *sorted(POINTS)]), score=st.integers(0, 10))
        def start_relay(self, point: str, score: int) -> None:
            """A relay; or, with a new answer in line, one that dies by SIGKILL at `point` if it
            gets there within 5 s (another relay may take the work first), killed then anyway."""
            if not point:
                self.relays.append(relay(world))
                return
            self.new_answer(score)
            doomed = relay(world, f"{point}=kill")
            assert doomed.process is not None
            happened["relays set to die"] += 1
            try:
                if doomed.process.wait(5) == -9:
                    happened[f"relays dead at {point}"] += 1
            except subprocess.TimeoutExpired:
                doomed.kill()

        @precondition(lambda self: self.relays)
        @rule()
        def kill_relay(self) -> None:
            self.relays.pop(0).kill()
            happened["relays killed"] += 1

        @rule(status=st.sampled_from([204, 500, 503, 429]))
        def receiver_answers(self, status: int) -> None:
            receiver.status = status
            happened["receiver failing"] += status >= 300

        @rule(seconds=st.sampled_from([0.5, 2.0]))
        def time_passes(self, seconds: float) -> None:
            time.sleep(seconds)

        @precondition(lambda self: self.saved and self.relays)
        @rule(data=st.data())
        def replay_a_delivery(self, data: st.DataObject) -> None:
            """Staff send a settled delivery again (one the running relay settles within 3 s):
            its destination sees the event twice."""
            events = events_of(world, list(self.saved.values()))

            def settled() -> list[str]:
                return fetch_all(
                    world.urls["feedback"],
                    select(OutboxDelivery.id)
                    .where(
                        OutboxDelivery.event_id.in_(events),  # type: ignore[attr-defined]
                        OutboxDelivery.state != DeliveryState.PENDING,  # type: ignore[arg-type]
                    )
                    .order_by(OutboxDelivery.id),  # type: ignore[arg-type]
                )

            deadline = time.monotonic() + 3
            while not (candidates := settled()) and time.monotonic() < deadline:
                time.sleep(0.1)
            if candidates:
                replay(data.draw(st.sampled_from(candidates)))
                happened["replays"] += 1

        @precondition(lambda self: self.saved)
        @rule(data=st.data())
        def deliver_to_metrics_again(self, data: st.DataObject) -> None:
            """One event sent to metrics outside the relay (a proxy's retry, say): applied once,
            whichever copy comes first."""
            response_id = data.draw(st.sampled_from(sorted(self.saved.values())))
            [event] = fetch_all(
                world.urls["feedback"],
                select(OutboxEvent).where(OutboxEvent.subject == response_id),
            )
            result = httpx.post(
                feedback["FEEDBACK_INGEST_URL"],
                json={"events": [event.envelope()]},
                headers=ingest,
                timeout=10,
            )
            assert result.status_code == 200, result.text
            assert result.json()["applied"] + result.json()["duplicates"] == 1
            happened["sent to metrics again"] += 1

        @invariant()
        def relays_left_alone_keep_running(self) -> None:
            for running in self.relays:
                assert running.process is not None and running.process.poll() is None

        def teardown(self) -> None:
            """Everything recovers: the receiver answers, a relay runs, and what went dead
            while the receiver failed is replayed, as an operator would. Then the invariant."""
            receiver.status = 204
            try:
                if not self.relays:
                    self.relays.append(relay(world))
                acknowledged = list(self.saved.values())
                for delivery_id in unsettled(
                    world, events_of(world, acknowledged), DeliveryState.DEAD
                ):
                    replay(delivery_id)
                    happened["dead deliveries replayed"] += 1
                runs.append(check_invariant(world, receiver, len(self.saved), acknowledged))
            finally:
                for running in self.relays:
                    running.stop()

    run_state_machine_as_test(seed(hypothesis_seed())(Pipeline), settings=RUNS)

    # Metrics' figures (its rollups, which a second application would inflate) count each
    # answer of every run once, with its first score.
    if scored:
        expected = {"n": len(scored), "value": pytest.approx(nps(list(scored.values())))}
        assert figures() == expected
    assert sum(c.acknowledged for c in runs) == len(scored)
    # The runs mixed every kind of trouble, not only the easy ones.
    kinds = ["answers", "retries", "relays killed", "relays set to die", "receiver failing"]
    kinds += ["replays", "sent to metrics again"]
    assert not [kind for kind in kinds if not happened[kind]], happened
    print(f"\nmixed faults, {len(runs)} runs: {runs}\n{dict(happened)}")
