"""The demo's shipped actions and the effects planted in its answers (business.ACTIONS), end to
end: the actions seeded through journey's API as `cx-demo seed` seeds them, then make run's
answers (seed 7, full size) of the days the effect windows need, imported into metrics under
journey's ids, and `GET /v1/effects` asked for each shipped action with the touchpoints and
ship day journey holds for it. (demo/tests/test_generate.py checks the planted rise in the
answers themselves, without metrics.)"""

import io
import json
import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxdemo import generate, seed
from cxdemo.business import ACTIONS, JOURNEYS, Action
from cxshared.auth import Scope
from cxshared.db import make_engine
from cxshared.testing.api import bearer, make_key
from cxshared.testing.databases import DatabaseFactory
from journey.config import Settings as JourneySettings
from journey.main import MIGRATIONS as JOURNEY_MIGRATIONS
from journey.main import create_app as create_journey
from metrics.config import Settings as MetricsSettings
from metrics.ingest.importer import import_responses
from metrics.main import MIGRATIONS as METRICS_MIGRATIONS
from metrics.main import create_app as create_metrics
from tests.test_demo_drivers import CUSTOMERS, PER_DAY, touchpoint_events

# One worker for the module: its journey and metrics are made once, and only read.
pytestmark = pytest.mark.xdist_group("demo-effects")

# make run's demo as seeded on one day: the answers depend on the day they are counted back
# from (weekdays and seasons set how many there are), so a fixed one makes the verdicts the same
# on every run; on any day each is a 95% statement that misses now and then.
TODAY = date(2026, 11, 25)
# The effects endpoint's defaults: the days before and after the ship day it compares, and
# the days after it that count on neither side.
WINDOW_DAYS = 28
SETTLE_DAYS = 7
SHIPPED = {a.title: a for a in ACTIONS if a.state == "shipped"}


@pytest.fixture(scope="module")
def board(
    database_factory_for: Callable[[str, Path], DatabaseFactory],
) -> Iterator[tuple[dict[str, Any], dict[str, dict[str, Any]]]]:
    """The demo's journeys, opportunities and actions in journey, as the seed makes them; the
    actions as journey lists them, by title."""
    factory = database_factory_for("journey", JOURNEY_MIGRATIONS)
    url = factory.new_url()
    settings = JourneySettings(database_url=url, relay_in_process=False)
    key = make_key(url, "demo", Scope.WRITE, Scope.ADMIN)
    with TestClient(create_journey(settings)) as client:
        api = seed.Backends(
            urls={"journey": str(client.base_url)}, keys={"journey": key}, client=client
        )
        model = seed.build_model(api, say=lambda _: None)
        opportunities = seed.build_opportunities(api, model, worst=[])
        seed.build_actions(api, model, opportunities, TODAY)
        listed = api.call("journey", "GET", "/v1/actions?limit=100")["items"]
    yield model, {a["title"]: a for a in listed}
    factory.release(url)


@pytest.fixture(scope="module")
def metrics(
    database_factory_for: Callable[[str, Path], DatabaseFactory],
    board: tuple[dict[str, Any], dict[str, dict[str, Any]]],
) -> Iterator[TestClient]:
    """Metrics with make run's answers that the effects read: those of the shipped actions'
    journeys within their windows (the first before window to the last after window); and
    the touchpoints as journey announced them. A reader's key on its client."""
    model, _ = board
    factory = database_factory_for("metrics", METRICS_MIGRATIONS)
    url = factory.new_url()
    settings = MetricsSettings(database_url=url, relay_in_process=False, alerts_in_process=False)
    rng = random.Random(7)
    people = generate.customers(rng, CUSTOMERS, TODAY)
    days_ago = [a.shipped_days_ago for a in SHIPPED.values()]
    first = (TODAY - timedelta(days=max(days_ago) + WINDOW_DAYS)).isoformat()
    last = (TODAY - timedelta(days=min(days_ago) - SETTLE_DAYS - WINDOW_DAYS)).isoformat()
    journeys = {a.journey for a in SHIPPED.values()}
    measured_at = {
        model["touchpoints"][point.name]
        for journey in JOURNEYS
        if journey.name in journeys
        for stage in journey.stages
        for point in stage.points
    }
    rows = [
        row
        for row in generate.responses(
            rng,
            people,
            touchpoint_ids=model["touchpoints"],
            survey_ids={},
            today=TODAY,
            per_day=PER_DAY,
        )
        if first <= row["submitted_at"] < last and row["touchpoint_id"] in measured_at
    ]
    engine = make_engine(url, pool_size=1)
    try:
        import_responses(
            engine, io.StringIO("".join(json.dumps(r) + "\n" for r in rows)), fmt="jsonl"
        )
    finally:
        engine.dispose()
    ingest = bearer(make_key(url, "relays", Scope.INGEST))
    with TestClient(create_metrics(settings)) as client:
        response = client.post(
            "/v1/events", json={"events": touchpoint_events(model)}, headers=ingest
        )
        assert response.status_code == 200, response.text
        client.headers.update(bearer(make_key(url, "dashboard", Scope.READ)))
        yield client
    factory.release(url)


def measured(metrics: TestClient, action: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/effects` for a shipped action, with what journey holds for it."""
    response = metrics.get(
        "/v1/effects",
        params={
            "journey_id": action["journey_id"],
            "touchpoint_id": action["touchpoint_ids"],
            "shipped_on": action["shipped_at"][:10],
        },
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def decided(effect: dict[str, Any], metric: str) -> dict[str, Any]:
    """The metric's row and the change its verdict rests on."""
    row = next(m for m in effect["metrics"] if m["metric"] == metric)
    if row["tested"] == "difference_in_differences":
        return {**row, "shift": row["difference_in_differences"]}
    return {**row, "shift": row["changed"]["change"]}


def test_the_board_has_each_state_and_the_shipped_actions_their_planted_ship_days(board):
    model, actions = board
    assert {title: a["state"] for title, a in actions.items()} == {
        a.title: a.state for a in ACTIONS
    }
    assert {a["state"] for a in actions.values()} == {"planned", "in_progress", "shipped"}
    for planned in ACTIONS:
        action = actions[planned.title]
        assert action["journey_id"] == model["journeys"][planned.journey]
        assert action["touchpoint_ids"] == [model["touchpoints"][n] for n in planned.touchpoints]
        assert action["team_id"] == model["teams"][planned.team]
        assert action["owner_name"] == planned.owner and action["description"]
        assert len(action["opportunity_ids"]) == (1 if planned.opportunity else 0)
        if planned.state == "shipped":
            # Back-dated to the morning of the ship day, before any of that day's answers.
            ship_day = TODAY - timedelta(days=planned.shipped_days_ago)
            assert action["shipped_at"] == f"{ship_day.isoformat()}T06:00:00Z", planned.title
        else:
            assert action["shipped_at"] is None, planned.title


def test_metrics_finds_the_checkout_redesigns_planted_rise_in_ces(board, metrics):
    planted: Action = SHIPPED["Checkout redesign"]
    effect = measured(metrics, board[1][planted.title])
    assert effect["windows"]["complete"]
    assert effect["verdict"] == "improved", effect["reason"]
    ces = decided(effect, "ces")
    assert ces["significant"] and ces["direction"] == "better"
    assert ces["shift"]["low"] <= planted.ces_rise <= ces["shift"]["high"], ces["shift"]
    # Only CES was changed: NPS, also asked at checkout, moved no more than the journey's.
    assert not decided(effect, "nps")["significant"], effect["reason"]


def test_metrics_reads_no_measurable_effect_for_the_packaging_change(board, metrics):
    planted: Action = SHIPPED["Packaging change"]
    effect = measured(metrics, board[1][planted.title])
    assert effect["windows"]["complete"]
    assert effect["verdict"] == "no_measurable_effect", effect["reason"]
    for row in effect["metrics"]:
        shift = decided(effect, row["metric"])["shift"]
        assert shift["low"] <= 0 <= shift["high"], (row["metric"], shift)
