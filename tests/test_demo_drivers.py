"""The demo's planted problems are what metrics' drivers analysis and churn model find: a seeded
demo, smaller than `make run`'s, imported into metrics, then asked `GET /v1/drivers` and
`GET /v1/outcomes/churn-model` as the gateway asks them."""

import io
import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxdemo import generate
from cxdemo.business import JOURNEYS
from cxshared.auth import Scope
from cxshared.db import make_engine
from cxshared.testing.api import bearer, make_key
from cxshared.testing.databases import DatabaseFactory, backend
from metrics.config import Settings
from metrics.ingest.importer import import_responses
from metrics.main import MIGRATIONS, create_app

# One worker for both tests: the module's demo business (half a minute to make) is made once.
# On SQLite only: what it checks is the demo's planted problems and the statistics found in
# them, the same code on either database; importing answers into PostgreSQL, which took most
# of its minute and a half there, is tested by metrics' own import tests on both.
pytestmark = [
    pytest.mark.long,
    pytest.mark.xdist_group("demo-drivers"),
    pytest.mark.skipif(backend() == "postgresql", reason="the same statistics: SQLite suite only"),
]

# make run's demo: 5,000 customers, 285 answers a day. 3,000 and 170 is the smallest whose 39
# touchpoints each have enough customers in common for the drivers, but there the churn model
# does not beat the NPS-category rates beyond chance (Brier lower by 0.0015 to 0.0030, each
# interval including 0), so it is rightly not used; at make run's size it does.
CUSTOMERS = 5000
PER_DAY = 285


@pytest.fixture(scope="module")
def metrics(database_factory_for: Callable[[str, Path], DatabaseFactory]) -> Iterator[Settings]:
    """One seeded demo for the module's tests, which only read it."""
    factory = database_factory_for("metrics", MIGRATIONS)
    url = factory.new_url()
    settings = Settings(
        database_url=url,
        relay_in_process=False,
        alerts_in_process=False,
        churn_model_wait_seconds=300,
    )
    seeded(settings)
    yield settings
    factory.release(url)


def touchpoint_events(model: dict[str, dict[str, str]] | None = None) -> list[dict[str, Any]]:
    """The demo's touchpoints as journey announces them, with the ids `cxdemo.seed.build_model`
    returned (`model`), or else their names as ids and journeys journey-0, journey-1 ..."""
    now = datetime.now(UTC).isoformat()
    events = []
    for j, journey in enumerate(JOURNEYS):
        journey_id = model["journeys"][journey.name] if model else f"journey-{j}"
        for s, stage in enumerate(journey.stages):
            for position, point in enumerate(stage.points):
                data = {
                    "id": model["touchpoints"][point.name] if model else point.name,
                    "version": 1,
                    "journey_id": journey_id,
                    "stage_id": f"stage-{j}-{s}",
                    "position": position,
                    "name": point.name,
                    "channel": point.channel,
                    "journey": {"id": journey_id, "name": journey.name, "state": "current"},
                }
                events.append(
                    {
                        "id": f"touchpoint-{len(events)}",
                        "type": "touchpoint.created",
                        "occurred_at": now,
                        "source": "journey",
                        "subject": data["id"],
                        "data": data,
                    }
                )
    return events


def seeded(settings: Settings) -> None:
    """What `cx-demo seed` stores in metrics: the history and the customers."""
    rng = random.Random(7)
    today = datetime.now(UTC).date()
    people = generate.customers(rng, CUSTOMERS, today)
    ids = {p.name: p.name for p in generate.points()}
    rows = list(
        generate.responses(
            rng, people, touchpoint_ids=ids, survey_ids={}, today=today, per_day=PER_DAY
        )
    )
    rows += generate.relationship(rng, people, survey_id="relationship", today=today)
    generate.decide_churn(rng, people, today)
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        stream = io.StringIO("".join(json.dumps(row) + "\n" for row in rows))
        import_responses(engine, stream, fmt="jsonl")
    finally:
        engine.dispose()
    ingest = bearer(make_key(settings.database_url, "relays", Scope.INGEST))
    writer = bearer(make_key(settings.database_url, "demo", Scope.WRITE))
    with TestClient(create_app(settings)) as client:
        response = client.post("/v1/events", json={"events": touchpoint_events()}, headers=ingest)
        assert response.status_code == 200, response.text
        for start in range(0, len(people), 1000):
            batch = [p.record() for p in people[start : start + 1000]]
            response = client.post("/v1/customers", json={"customers": batch}, headers=writer)
            assert response.status_code == 200, response.text


def test_the_planted_problems_drive_relationship_nps_and_churn(metrics):
    planted = {p.name for p in generate.points() if p.failure_rate}
    assert len(planted) == 2
    reader = bearer(make_key(metrics.database_url, "dashboard", Scope.READ))
    with TestClient(create_app(metrics)) as client:
        for outcome in ("nps", "churn"):
            response = client.get("/v1/drivers", params={"outcome": outcome}, headers=reader)
            assert response.status_code == 200, response.text
            found = response.json()
            assert found["insufficient"] is None and not found["too_little_data"], outcome
            ranked = sorted(found["drivers"], key=lambda d: -d["importance"])
            top = {d["name"] for d in ranked[:2]}
            assert top == planted, (outcome, [(d["name"], d["share"]) for d in ranked[:5]])
            # Not by a hair: each planted problem explains clearly more than the next touchpoint
            # (twice as much for NPS; churn, a yes or no per customer, says less: about 3 times
            # in make run's demo, 1.8 in a sample of 3,000).
            margin = {"nps": 2.0, "churn": 1.5}[outcome]
            assert min(d["importance"] for d in ranked[:2]) > margin * ranked[2]["importance"], (
                outcome
            )


def test_the_churn_model_finds_the_planted_problems_and_is_used(metrics):
    planted = {p.name for p in generate.points() if p.failure_rate}
    reader = bearer(make_key(metrics.database_url, "dashboard", Scope.READ))
    with TestClient(create_app(metrics)) as client:
        response = client.get("/v1/outcomes/churn-model", headers=reader)
        assert response.status_code == 200, response.text
        found = response.json()
        risk = client.get("/v1/outcomes/revenue-at-risk", headers=reader).json()
    assert found["decision"] == "in_use", found["reason"]
    assert risk["method"] == "model"
    checked = found["validation"]
    assert checked["auc_model"] > checked["auc_baseline"] + 0.05
    assert 0.7 < checked["calibration_slope"] < 1.3
    # The two inputs it weighs most are the planted touchpoints' experience, each lowering
    # churn as it rises (inputs are standardised, so their weights compare).
    strongest = found["features"][:2]
    assert {f["name"].split(":")[0] for f in strongest} == planted, found["features"][:5]
    assert all(f["coefficient"] < 0 for f in strongest)
