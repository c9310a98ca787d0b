"""Journey, feedback and metrics as real processes, wired as `make run` wires them: a customer's
answer reaches metrics' scores within seconds, and an outage of metrics loses nothing."""

import json
import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from cxshared.auth import Scope
from cxshared.testing.api import bearer, make_key
from cxshared.testing.databases import DatabaseFactory, fetch_all
from cxshared.testing.processes import LiveServices, ServiceProcess, console_script, free_port
from feedback.main import MIGRATIONS as FEEDBACK_MIGRATIONS
from journey.main import MIGRATIONS as JOURNEY_MIGRATIONS
from metrics.facts.models import ResponseFact
from metrics.main import MIGRATIONS as METRICS_MIGRATIONS

# Its module-scoped world is built once, on one xdist worker (make pytest: --dist loadgroup).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e-pipeline")]


@dataclass
class Stack:
    journey: ServiceProcess
    feedback: ServiceProcess
    metrics_port: int
    metrics_env: dict[str, str]
    urls: dict[str, str]
    keys: dict[str, dict[str, str]]
    live: LiveServices

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}"

    def start_metrics(self) -> ServiceProcess:
        return self.live.start("metrics", env=self.metrics_env, port=self.metrics_port)


@pytest.fixture
def database_urls(
    database_factory_for: Callable[[str, Path], DatabaseFactory],
) -> Iterator[dict[str, str]]:
    factories = {
        "journey": database_factory_for("journey", JOURNEY_MIGRATIONS),
        "feedback": database_factory_for("feedback", FEEDBACK_MIGRATIONS),
        "metrics": database_factory_for("metrics", METRICS_MIGRATIONS),
    }
    urls = {name: factory.new_url() for name, factory in factories.items()}
    yield urls
    for name, factory in factories.items():
        factory.release(urls[name])


@pytest.fixture
def stack(database_urls: dict[str, str], live_services: LiveServices) -> Stack:
    ingest_key = make_key(database_urls["metrics"], "relays", Scope.INGEST)
    keys = {
        "journey": bearer(make_key(database_urls["journey"], "staff", Scope.WRITE)),
        "feedback": bearer(make_key(database_urls["feedback"], "staff", Scope.WRITE, Scope.ADMIN)),
        "metrics": bearer(make_key(database_urls["metrics"], "dashboard", Scope.READ)),
    }
    metrics_port = free_port()
    ingest_url = f"http://127.0.0.1:{metrics_port}/v1/events"

    def producer_env(prefix: str, service: str) -> dict[str, str]:
        # Retries at most 1 s apart, so that the test sees the catch-up soon after metrics
        # returns (the default backoff grows to an hour).
        return {
            f"{prefix}_DATABASE_URL": database_urls[service],
            f"{prefix}_INGEST_URL": ingest_url,
            f"{prefix}_INGEST_API_KEY": ingest_key,
            f"{prefix}_RELAY_BACKOFF_BASE_SECONDS": "0.2",
            f"{prefix}_RELAY_BACKOFF_MAX_SECONDS": "1",
            f"{prefix}_RELAY_MAX_ATTEMPTS": "1000",
        }

    metrics_env = {
        "METRICS_DATABASE_URL": database_urls["metrics"],
        "METRICS_RELAY_IN_PROCESS": "false",
        "METRICS_ALERTS_IN_PROCESS": "false",
    }
    stack = Stack(
        journey=live_services.start("journey", env=producer_env("JOURNEY", "journey")),
        feedback=live_services.start(
            "feedback",
            env={
                **producer_env("FEEDBACK", "feedback"),
                "FEEDBACK_RATE_LIMIT_PER_CLIENT": "1000000",
            },
        ),
        metrics_port=metrics_port,
        metrics_env=metrics_env,
        urls=database_urls,
        keys=keys,
        live=live_services,
    )
    stack.start_metrics()
    return stack


def created(url: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    response = httpx.post(url, json=body, headers=headers, timeout=10)
    assert response.status_code in (200, 201), response.text
    return response.json()  # type: ignore[no-any-return]


def design_and_publish(stack: Stack) -> dict[str, Any]:
    journey_url, headers = stack.journey.base_url, stack.keys["journey"]
    team = created(f"{journey_url}/v1/teams", {"name": "Logistics"}, headers)
    journey = created(f"{journey_url}/v1/journeys", {"name": "Delivery"}, headers)
    stage = created(
        f"{journey_url}/v1/journeys/{journey['id']}/stages", {"name": "Deliver"}, headers
    )
    touchpoint = created(
        f"{journey_url}/v1/stages/{stage['id']}/touchpoints",
        {
            "name": "Courier at the door",
            "channel": "field",
            "interaction": "human",
            "owner_team_id": team["id"],
        },
        headers,
    )
    feedback_url, headers = stack.feedback.base_url, stack.keys["feedback"]
    survey = created(
        f"{feedback_url}/v1/surveys",
        {
            "slug": "courier",
            "title": "How was your delivery?",
            "touchpoint_id": touchpoint["id"],
            "questions": [
                {"key": "nps", "type": "nps", "prompt": "Recommend us?", "required": True}
            ],
        },
        headers,
    )
    created(f"{feedback_url}/v1/surveys/{survey['id']}/publish", {}, headers)
    return {"journey": journey, "touchpoint": touchpoint, "survey": survey}


def answer(stack: Stack, score: int, submission_id: str | None = None) -> httpx.Response:
    return httpx.post(
        f"{stack.feedback.base_url}/v1/public/surveys/courier/responses",
        json={"submission_id": submission_id or uuid.uuid4().hex, "answers": {"nps": score}},
        timeout=10,
    )


def touchpoint_n(stack: Stack, touchpoint_id: str) -> int:
    response = httpx.get(
        f"{stack.metrics_url}/v1/scores",
        params={"metric": "nps", "group_by": "touchpoint", "touchpoint_id": touchpoint_id},
        headers=stack.keys["metrics"],
        timeout=5,
    )
    assert response.status_code == 200, response.text
    return int(response.json()["overall"]["n"])


def wait_for(condition: Callable[[], bool], timeout: float) -> float:
    """Seconds until `condition` held; fails after `timeout`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not true after {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - start


def facts_of(database_url: str) -> list[str]:
    return fetch_all(database_url, select(ResponseFact.response_id))


def test_an_answer_shows_in_metrics_scores_within_two_seconds(stack):
    design = design_and_publish(stack)
    touchpoint = design["touchpoint"]
    overlay_url = f"{stack.metrics_url}/v1/journeys/{design['journey']['id']}/overlay"
    # journey's relay has told metrics about the map by the time anyone answers.
    wait_for(lambda: httpx.get(overlay_url, headers=stack.keys["metrics"]).status_code == 200, 5)

    submitted = answer(stack, 9)
    assert submitted.status_code == 201, submitted.text
    elapsed = wait_for(lambda: touchpoint_n(stack, touchpoint["id"]) == 1, 10)
    assert elapsed < 2.0, f"took {elapsed:.2f} s"

    [stage] = httpx.get(overlay_url, headers=stack.keys["metrics"]).json()["stages"]
    [card] = stage["touchpoints"]
    assert (card["name"], card["scores"]["nps"]["n"], card["scores"]["nps"]["value"]) == (
        "Courier at the door",
        1,
        100.0,
    )


def pending_attempts(stack: Stack) -> list[int]:
    deliveries = httpx.get(
        f"{stack.feedback.base_url}/v1/outbox/deliveries",
        params={"state": "pending", "destination": "sink:ingest", "limit": 100},
        headers=stack.keys["feedback"],
    )
    assert deliveries.status_code == 200, deliveries.text
    return [d["attempts"] for d in deliveries.json()["items"]]


def test_metrics_down_through_ten_retries_loses_nothing_and_counts_nothing_twice(stack):
    """The outage lasts until every answer's delivery has failed ten times (about 8 s at this
    stack's backoff of 0.2 s doubling to a 1 s cap): many retries, as a long outage at the
    default backoff makes, without the wall-clock wait."""
    design = design_and_publish(stack)
    touchpoint_id = design["touchpoint"]["id"]
    assert answer(stack, 10).status_code == 201
    wait_for(lambda: touchpoint_n(stack, touchpoint_id) == 1, 10)

    stack.live.started[-1].stop()
    saved = []
    for i in range(20):
        submission_id = uuid.uuid4().hex
        first = answer(stack, i % 11, submission_id)
        retry = answer(stack, i % 11, submission_id)  # the customer's browser retries
        assert first.status_code == 201 and retry.json()["id"] == first.json()["id"]
        saved.append(first.json()["id"])
    # Each answer's event, and each detractor's case's (case.opened): 20 or more in all.
    wait_for(
        lambda: (tries := pending_attempts(stack)) and min(tries) >= 10 and len(tries) >= 20, 60
    )
    stack.start_metrics()

    wait_for(lambda: touchpoint_n(stack, touchpoint_id) == 21, 20)
    facts = facts_of(stack.urls["metrics"])
    assert len(facts) == len(set(facts)) == 21 and set(saved) <= set(facts)
    time.sleep(1.5)  # late redeliveries, if there were any, would show now
    assert touchpoint_n(stack, touchpoint_id) == 21
    settled = {}
    for state in ("pending", "dead", "delivered"):
        deliveries = httpx.get(
            f"{stack.feedback.base_url}/v1/outbox/deliveries",
            params={"state": state, "destination": "sink:ingest", "limit": 100},
            headers=stack.keys["feedback"],
        )
        assert deliveries.status_code == 200, deliveries.text
        settled[state] = len(deliveries.json()["items"])
    assert settled["pending"] == settled["dead"] == 0 and settled["delivered"] >= 21, settled


def test_a_standard_is_measured_on_imported_events_and_its_breach_reaches_the_owner(
    stack, tmp_path
):
    """Across the real processes: journey's indicator reaches metrics through the relay; an
    event log imported by the CLI (twice: the repeat changes nothing) gives compliance equal to
    a count by hand; answers through feedback split by met and missed as counted by hand; and
    the breach opens the touchpoint's incident, routed to the owner journey named."""
    journey_url, headers = stack.journey.base_url, stack.keys["journey"]
    team = created(f"{journey_url}/v1/teams", {"name": "Logistics", "lead_name": "Lea"}, headers)
    journey = created(f"{journey_url}/v1/journeys", {"name": "Delivery"}, headers)
    stage = created(
        f"{journey_url}/v1/journeys/{journey['id']}/stages", {"name": "Deliver"}, headers
    )
    indicator = {"kind": "attribute", "activity": "parcel_delivered", "attribute": "late_days",
                 "operator": "eq", "value": 0, "objective": 0.9}  # fmt: skip
    touchpoint = created(
        f"{journey_url}/v1/stages/{stage['id']}/touchpoints",
        {"name": "Courier at the door", "channel": "field", "interaction": "human",
         "owner_team_id": team["id"], "owner_name": "Priya", "owner_email": "priya@example.com",
         "activities": ["parcel_delivered"], "indicator": indicator},
        headers,
    )  # fmt: skip
    standards_url = f"{stack.metrics_url}/v1/observed/{journey['id']}/standards"
    reader = stack.keys["metrics"]

    def known() -> bool:
        found = httpx.get(standards_url, headers=reader, timeout=5)
        return found.status_code == 200 and len(found.json()["standards"]) == 1

    wait_for(known, 10)
    # 40 deliveries yesterday, every third late: 26 on time, 14 late.
    yesterday = datetime.now(UTC) - timedelta(days=1)
    rows = [
        {"event_id": f"d{i}", "customer_id": f"C{i}", "activity": "parcel_delivered",
         "occurred_at": (yesterday + timedelta(minutes=i)).isoformat(),
         "attributes": {"late_days": 2 if i % 3 == 0 else 0}}
        for i in range(40)
    ]  # fmt: skip
    log = tmp_path / "deliveries.jsonl"
    log.write_text("".join(json.dumps(row) + "\n" for row in rows))
    env = {**os.environ, "METRICS_DATABASE_URL": stack.urls["metrics"]}
    for repeat in (False, True):
        done = subprocess.run(
            [console_script("cx-metrics"), "import-activities", str(log)],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert ("40 already there" in done.stdout) is repeat, done.stdout
    late = {row["customer_id"] for row in rows if row["attributes"]["late_days"]}
    [standard] = httpx.get(standards_url, headers=reader, timeout=5).json()["standards"]
    assert (standard["compliance"]["count"], standard["error_budget"]["used"]) == (
        40 - len(late),
        len(late),
    )
    assert standard["status"] == "breached"
    # Answers through feedback: promoters among the on-time, detractors among the late.
    design = design_and_publish_survey(stack, touchpoint["id"], "door")
    for i, row in enumerate(rows[:20]):
        score = 2 if row["customer_id"] in late else 10
        response = httpx.post(
            f"{stack.feedback.base_url}/v1/public/surveys/{design['slug']}/responses",
            json={"submission_id": f"standard-{i:04d}", "answers": {"nps": score},
                  "respondent": {"external_id": row["customer_id"]}},
            timeout=10,
        )  # fmt: skip
        assert response.status_code == 201, response.text
    answered = {row["customer_id"] for row in rows[:20]}
    cost_url = f"{standards_url}/cost"

    def counted() -> bool:
        [found] = httpx.get(cost_url, headers=reader, timeout=5).json()["standards"]
        return bool(found["met"]["nps"]["n"] + found["missed"]["nps"]["n"] == 20)

    wait_for(counted, 10)
    [cost] = httpx.get(cost_url, headers=reader, timeout=5).json()["standards"]
    assert (cost["met"]["customers"], cost["missed"]["customers"]) == (40 - len(late), len(late))
    assert cost["met"]["nps"] == {**cost["met"]["nps"], "value": 100.0, "n": len(answered - late)}
    assert cost["missed"]["nps"]["value"] == -100.0
    assert cost["missed"]["nps"]["n"] == len(answered & late)
    # The breach opens the touchpoint's incident, routed to the owner journey named.
    admin = bearer(make_key(stack.urls["metrics"], "admin", Scope.ADMIN))
    evaluated = httpx.post(f"{stack.metrics_url}/v1/incidents/evaluate", headers=admin, timeout=30)
    assert evaluated.status_code == 200, evaluated.text
    incidents = httpx.get(
        f"{stack.metrics_url}/v1/incidents",
        params={"touchpoint_id": touchpoint["id"]},
        headers=reader,
        timeout=5,
    ).json()["items"]
    [incident] = [i for i in incidents if i["touchpoint_id"] == touchpoint["id"]]
    assert incident["owner_email"] == "priya@example.com"
    active = [(s["metric"], s["rule"]) for s in incident["signals"] if s["active"]]
    assert ("standard", "standard_breach") in active


def design_and_publish_survey(stack: Stack, touchpoint_id: str, slug: str) -> dict[str, Any]:
    feedback_url, headers = stack.feedback.base_url, stack.keys["feedback"]
    survey = created(
        f"{feedback_url}/v1/surveys",
        {"slug": slug, "title": "How was your delivery?", "touchpoint_id": touchpoint_id,
         "questions": [{"key": "nps", "type": "nps", "prompt": "Recommend us?",
                        "required": True}]},
        headers,
    )  # fmt: skip
    created(f"{feedback_url}/v1/surveys/{survey['id']}/publish", {}, headers)
    return survey
