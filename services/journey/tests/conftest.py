from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxshared.testing.api import Api, make_api
from cxshared.testing.databases import DatabaseFactory
from cxshared.testing.processes import LiveServices, ServiceProcess
from cxshared.testing.receiver import Receiver
from journey.config import Settings
from journey.main import MIGRATIONS, create_app


@pytest.fixture
def database_url(
    database_factory_for: Callable[[str, Path], DatabaseFactory],
) -> Iterator[str]:
    factory = database_factory_for("journey", MIGRATIONS)
    url = factory.new_url()
    yield url
    factory.release(url)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        relay_in_process=False,
        webhook_allow_private_urls=False,
        relay_backoff_base_seconds=0.01,
        relay_backoff_max_seconds=0.05,
        relay_max_attempts=3,
    )


@pytest.fixture
def app_for() -> Iterator[Callable[[Settings], TestClient]]:
    clients: list[TestClient] = []

    def make(settings: Settings) -> TestClient:
        client = TestClient(create_app(settings), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def api(settings: Settings, app_for: Callable[[Settings], TestClient]) -> Api:
    return make_api(app_for(settings), settings.database_url)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def live_journey(database_url: str, live_services: LiveServices) -> Callable[..., ServiceProcess]:
    """Starts real `cx-journey` processes (serve or relay) on this test's database."""

    def start(*args: str, env: dict[str, str] | None = None) -> ServiceProcess:
        return live_services.start(
            "journey", *args, env={"JOURNEY_DATABASE_URL": database_url, **(env or {})}
        )

    return start


@pytest.fixture
def journey_map(api: Api) -> dict[str, Any]:
    return build_journey(api)


def build_journey(api: Api) -> dict[str, Any]:
    """A small journey: 2 stages, 3 touchpoints, 2 teams; returns the ids."""
    fulfil = api.created("/v1/teams", {"name": "Fulfilment", "lead_name": "Dana"})
    support = api.created("/v1/teams", {"name": "Support", "lead_name": "Lee"})
    journey = api.created("/v1/journeys", {"name": "Delivery", "owner_name": "Sam"})
    order = api.created(f"/v1/journeys/{journey['id']}/stages", {"name": "Order"})
    deliver = api.created(f"/v1/journeys/{journey['id']}/stages", {"name": "Deliver"})
    confirm = api.created(
        f"/v1/stages/{order['id']}/touchpoints",
        {
            "name": "Confirmation email",
            "channel": "email",
            "interaction": "digital",
            "owner_team_id": fulfil["id"],
            "owner_name": "Priya",
            "standard": "Sent within 2 minutes",
            "targets": [{"metric": "csat", "value": 80}],
        },
    )
    courier = api.created(
        f"/v1/stages/{deliver['id']}/touchpoints",
        {
            "name": "Courier at the door",
            "channel": "field",
            "interaction": "human",
            "owner_team_id": fulfil["id"],
            "owner_name": "Ola",
        },
    )
    help_line = api.created(
        f"/v1/stages/{deliver['id']}/touchpoints",
        {
            "name": "Where is my order call",
            "channel": "phone",
            "interaction": "human",
            "owner_team_id": support["id"],
        },
    )
    return {
        "journey": journey,
        "order": order,
        "deliver": deliver,
        "confirm": confirm,
        "courier": courier,
        "help": help_line,
        "fulfil": fulfil,
        "support": support,
    }


@pytest.fixture
def relay_for(private_api: Api) -> Callable[..., Any]:
    """A relay over the app's database and outbox, with settings of the test's choosing."""
    from cxshared.events.relay import Relay

    def make(**overrides: Any) -> Relay:
        app = private_api.client.app
        settings = app.state.settings.model_copy(update=overrides)  # type: ignore[attr-defined]
        return Relay(engine=app.state.engine, outbox=app.state.outbox, settings=settings)  # type: ignore[attr-defined]

    return make


@pytest.fixture
def private_api(
    database_url: str, settings: Settings, app_for: Callable[[Settings], TestClient]
) -> Api:
    """Like `api`, but webhook URLs on loopback are allowed (local development setting)."""
    allowed = settings.model_copy(update={"webhook_allow_private_urls": True})
    return make_api(app_for(allowed), database_url)
