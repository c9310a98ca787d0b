from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxshared.testing.api import Api, make_api
from cxshared.testing.databases import DatabaseFactory
from cxshared.testing.processes import LiveServices, ServiceProcess
from feedback.config import Settings
from feedback.main import MIGRATIONS, create_app


@pytest.fixture
def database_url(database_factory_for: Callable[[str, Path], DatabaseFactory]) -> Iterator[str]:
    factory = database_factory_for("feedback", MIGRATIONS)
    url = factory.new_url()
    yield url
    factory.release(url)


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Webhooks go to loopback receivers here; the SSRF guard is tested through journey.
    # Rate limits are tested on their own, with their own limits.
    return Settings(
        database_url=database_url,
        relay_in_process=False,
        webhook_allow_private_urls=True,
        rate_limit_per_client=1_000_000,
        rate_limit_per_survey=1_000_000,
    )


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield make_api(client, settings.database_url)


@pytest.fixture
def live_feedback(database_url: str, live_services: LiveServices) -> Callable[..., ServiceProcess]:
    def start(*args: str, env: dict[str, str] | None = None) -> ServiceProcess:
        base = {
            "FEEDBACK_DATABASE_URL": database_url,
            "FEEDBACK_RELAY_IN_PROCESS": "false",
            "FEEDBACK_RATE_LIMIT_PER_CLIENT": "1000000",
        }
        return live_services.start("feedback", "serve", *args, env={**base, **(env or {})})

    return start


DELIVERY = {
    "slug": "delivery",
    "title": "How was your delivery?",
    "thank_you": "Thank you!",
    "touchpoint_id": "tp-courier",
    "hidden_fields": ["order_id", "segment"],
    "questions": [
        {
            "key": "nps",
            "type": "nps",
            "prompt": "How likely are you to recommend us?",
            "required": True,
        },
        {
            "key": "what_went_wrong",
            "type": "text",
            "prompt": "What went wrong?",
            "max_length": 500,
            "show_if": [{"question": "nps", "op": "lte", "value": 6}],
        },
        {
            "key": "topics",
            "type": "multi_choice",
            "prompt": "What was it about?",
            "choices": [
                {"value": "late", "label": "Late"},
                {"value": "damaged", "label": "Damaged"},
                {"value": "rude", "label": "Rude"},
            ],
        },
        {"key": "ease", "type": "ces", "prompt": "It was easy to get my parcel.", "required": True},
    ],
}


@pytest.fixture
def published(api: Api) -> dict[str, Any]:
    """The delivery survey, published (version 1, active)."""
    survey = api.created("/v1/surveys", DELIVERY)
    response = api.post(f"/v1/surveys/{survey['id']}/publish")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]
