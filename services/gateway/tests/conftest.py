"""The gateway in-process, over the three real backends in-process (each on its own migrated
database), with staff users of each role. A backend can be 'stopped': its calls then fail the
way a refused connection does."""

import asyncio
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher, profiles
from fastapi.testclient import TestClient

import feedback.main
import journey.main
import metrics.main
from cxshared.auth import Scope
from cxshared.testing.api import Api, make_api, make_key
from cxshared.testing.databases import DatabaseFactory
from cxshared.timeutil import utcnow
from feedback.config import Settings as FeedbackSettings
from gateway.config import Settings
from gateway.main import MIGRATIONS, create_app
from gateway.users import service as users
from gateway.users.models import Role
from gateway.users.service import create_user
from journey.config import Settings as JourneySettings
from metrics.config import Settings as MetricsSettings

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its cheapest parameters: the same code, without ~0.15 s of CPU and 64 MiB
    for every user made and every sign-in. (Production's cost is its own test's subject.)"""
    monkeypatch.setattr(users, "_hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))


class Switchable(httpx.AsyncBaseTransport):
    """A backend in-process that a test can stop and start again, or slow down on a path; it
    keeps the read timeout the client sends, as a network transport does."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.up = True
        self.slow: dict[str, float] = {}  # path -> seconds before the backend answers

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.up:
            raise httpx.ConnectError("connection refused", request=request)
        read = request.extensions.get("timeout", {}).get("read")
        try:
            async with asyncio.timeout(read):
                await asyncio.sleep(self.slow.get(request.url.path, 0))
                return await self.inner.handle_async_request(request)
        except TimeoutError as exc:
            raise httpx.ReadTimeout("the backend did not answer in time", request=request) from exc


class Stack:
    def __init__(self) -> None:
        self.backends: dict[str, Api] = {}
        self.transports: dict[str, Switchable] = {}
        self.gateway: TestClient | None = None
        self.settings: Settings | None = None

    def stop(self, backend: str) -> None:
        self.transports[backend].up = False

    def start(self, backend: str) -> None:
        self.transports[backend].up = True

    @property
    def journey(self) -> Api:
        return self.backends["journey"]

    @property
    def metrics(self) -> Api:
        return self.backends["metrics"]

    @property
    def feedback(self) -> Api:
        return self.backends["feedback"]


BACKENDS = {
    "journey": (journey.main, JourneySettings, {}),
    "feedback": (
        feedback.main,
        FeedbackSettings,
        {"rate_limit_per_client": 1_000_000, "rate_limit_per_survey": 1_000_000},
    ),
    # The churn model's first fit imports scikit-learn, seconds on a busy machine: wait for it.
    "metrics": (
        metrics.main,
        MetricsSettings,
        {"alerts_in_process": False, "churn_model_wait_seconds": 300},
    ),
}


@pytest.fixture
def backend_settings() -> dict[str, dict[str, Any]]:
    """Settings a test module gives a backend beyond BACKENDS' (feedback's SMTP server, say)."""
    return {}


@pytest.fixture
def stack(
    database_factory_for: Callable[[str, Path], DatabaseFactory],
    backend_settings: dict[str, dict[str, Any]],
) -> Iterator[Stack]:
    stack = Stack()
    urls: dict[str, tuple[DatabaseFactory, str]] = {}
    clients: list[TestClient] = []
    keys: dict[str, str] = {}
    try:
        for name, (module, settings_class, extra) in BACKENDS.items():
            factory = database_factory_for(name, module.MIGRATIONS)
            url = factory.new_url()
            urls[name] = (factory, url)
            app = module.create_app(
                settings_class(
                    database_url=url,
                    relay_in_process=False,
                    **extra,
                    **backend_settings.get(name, {}),
                )
            )
            client = TestClient(app, raise_server_exceptions=False)
            clients.append(client)
            stack.backends[name] = make_api(client, url)
            stack.transports[name] = Switchable(app)
            keys[name] = make_key(url, "gateway", Scope.WRITE, Scope.GATEWAY)
        factory = database_factory_for("gateway", MIGRATIONS)
        url = factory.new_url()
        urls["gateway"] = (factory, url)
        stack.settings = Settings(
            database_url=url,
            journey_api_key=keys["journey"],
            feedback_api_key=keys["feedback"],
            metrics_api_key=keys["metrics"],
            # Revalidate the survey definition on every page, so a test sees changes at once.
            survey_cache_seconds=0,
            # No test here is about a slow backend by accident: on a loaded machine the
            # in-process backends can take seconds (a test of slowness sets its own limits).
            backend_timeout_seconds=30,
        )
        app = create_app(stack.settings, transports=stack.transports)
        with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as gateway:
            stack.gateway = gateway
            for role in Role:
                create_user(
                    app.state.engine,
                    email=f"{role.value}@example.com",
                    name=f"{role.value.title()} User",
                    role=role,
                    password=PASSWORD,
                )
            yield stack
    finally:
        for client in clients:
            client.close()
        for factory, url in urls.values():
            factory.release(url)


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LOGIN_TOKEN = re.compile(r'name="login_token" value="([^"]+)"')


class Browser:
    """A signed-in staff browser: keeps its cookies and the page's CSRF token."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = ""

    def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        page = self.client.get("/login")
        token = LOGIN_TOKEN.search(page.text)
        assert token, page.text
        response = self.client.post(
            "/login",
            data={"email": email, "password": password, "login_token": token.group(1)},
        )
        if response.status_code == 303:
            self.csrf = CSRF.search(self.client.get("/journeys").text).group(1)
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        response: httpx.Response = self.client.get(url, **kwargs)
        return response

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        form = {"csrf_token": self.csrf, **(data or {})}
        response: httpx.Response = self.client.post(url, data=form, **kwargs)
        return response

    def htmx(self, method: str, url: str, data: dict[str, Any] | None = None) -> httpx.Response:
        headers = {"HX-Request": "true", "X-CSRF-Token": self.csrf}
        response: httpx.Response = self.client.request(method, url, data=data, headers=headers)
        return response


@pytest.fixture
def browser_for(stack: Stack) -> Callable[[str], Browser]:
    """A signed-in browser for a role ('admin', 'editor', 'viewer'), with its own cookies."""

    def make(role: str) -> Browser:
        assert stack.gateway is not None
        client = TestClient(
            stack.gateway.app, raise_server_exceptions=False, follow_redirects=False
        )
        browser = Browser(client)
        response = browser.sign_in(f"{role}@example.com")
        assert response.status_code == 303, response.text
        return browser

    return make


@pytest.fixture
def editor(browser_for: Callable[[str], Browser]) -> Browser:
    return browser_for("editor")


@pytest.fixture
def viewer(browser_for: Callable[[str], Browser]) -> Browser:
    return browser_for("viewer")


def relay_to_metrics(stack: Stack) -> int:
    """What journey's and feedback's relays do: every outbox event, posted to metrics' ingest
    (duplicates from an earlier call are ignored there)."""
    from sqlmodel import Session, col, select

    from cxshared.db import make_engine
    from cxshared.events.models import OutboxEvent

    envelopes = []
    for name in ("journey", "feedback"):
        engine = make_engine(stack.backends[name].database_url, pool_size=1)
        try:
            with Session(engine) as session:
                events = session.exec(select(OutboxEvent).order_by(col(OutboxEvent.id)))
                envelopes += [event.envelope() for event in events]
        finally:
            engine.dispose()
    key = make_key(stack.metrics.database_url, "relays", Scope.INGEST)
    response = stack.metrics.client.post(
        "/v1/events", json={"events": envelopes}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200, response.text
    return len(envelopes)


@pytest.fixture
def delivery_journey(stack: Stack) -> dict[str, Any]:
    """A journey with two stages, three touchpoints and a team, as journey returns it."""
    team = stack.journey.created("/v1/teams", {"name": "Logistics"})
    document = {
        "name": "Delivery and returns",
        "owner_name": "Sam",
        "status": "live",
        "stages": [
            {
                "name": "Delivery",
                "designed_emotion": 1,
                "touchpoints": [
                    {
                        "name": "Courier delivers",
                        "channel": "field",
                        "interaction": "human",
                        "owner_team_id": team["id"],
                        "owner_name": "Priya Shah",
                        "moment_of_truth": True,
                        "standard": "On time, in one piece, with a photo",
                        "targets": [{"metric": "nps", "value": 40, "min_responses": 5}],
                    },
                    {"name": "Tracking page", "channel": "web", "interaction": "digital"},
                ],
            },
            {
                "name": "Returns",
                "designed_emotion": 0,
                "touchpoints": [
                    {"name": "Return label", "channel": "email", "interaction": "digital"}
                ],
            },
        ],
    }
    created = stack.journey.created("/v1/journeys/documents", document)
    return {"team": team, **created}


def answers_for(
    stack: Stack,
    touchpoint_id: str,
    nps_values: list[int],
    comment: str | None = None,
    respondents: list[str] | None = None,
) -> None:
    """Completed responses at a touchpoint, as feedback's relay delivers them to metrics;
    `respondents` are the respondents' external ids, one per value."""
    import uuid

    from cxshared.timeutil import utcnow

    now = utcnow().isoformat()
    events = []
    for index, value in enumerate(nps_values):
        response_id = str(uuid.uuid4())
        events.append(
            {
                "id": str(uuid.uuid4()),
                "type": "response.completed",
                "occurred_at": now,
                "source": "feedback",
                "subject": response_id,
                "schema_version": 1,
                "data": {
                    "response_id": response_id,
                    "survey_id": "survey-1",
                    "survey_slug": "survey-1",
                    "version": 1,
                    "touchpoint_id": touchpoint_id,
                    "respondent_external_id": respondents[index] if respondents else None,
                    "channel": "web",
                    "hidden": {},
                    "flags": [],
                    "status": "complete",
                    "submitted_at": now,
                    "completed_at": now,
                    "answers": [{"question": "nps", "type": "nps", "value": value}]
                    + ([{"question": "why", "type": "text", "value": comment}] if comment else []),
                },
            }
        )
    key = make_key(stack.metrics.database_url, "feedback-relay", Scope.INGEST)
    response = stack.metrics.client.post(
        "/v1/events", json={"events": events}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200, response.text


class Stored:
    """Reading the journey service's state back, as an integrator would."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    def touchpoint(self, touchpoint_id: str) -> dict[str, Any]:
        response = self.stack.journey.get(f"/v1/touchpoints/{touchpoint_id}")
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def names_by_stage(self, journey_id: str) -> list[list[str]]:
        document = self.stack.journey.get(f"/v1/journeys/{journey_id}/document").json()
        return [[t["name"] for t in stage["touchpoints"]] for stage in document["stages"]]


@pytest.fixture
def stored(stack: Stack) -> Stored:
    return Stored(stack)


def answered_by(stack: Stack, answers: list[tuple[str, str | None, int]]) -> None:
    """Completed responses with a respondent: (customer, touchpoint id or None for the
    relationship survey, NPS value)."""
    now = utcnow().isoformat()
    events = []
    for customer, touchpoint_id, value in answers:
        response_id = str(uuid.uuid4())
        events.append(
            {
                "id": str(uuid.uuid4()), "type": "response.completed", "occurred_at": now,
                "source": "feedback", "subject": response_id, "schema_version": 1,
                "data": {
                    "response_id": response_id, "survey_id": "s", "survey_slug": "s",
                    "version": 1, "touchpoint_id": touchpoint_id,
                    "respondent_external_id": customer, "channel": "web", "hidden": {},
                    "flags": [], "status": "complete", "submitted_at": now,
                    "completed_at": now,
                    "answers": [{"question": "nps", "type": "nps", "value": value}],
                },
            }
        )  # fmt: skip
    key = make_key(stack.metrics.database_url, "feedback-relay", Scope.INGEST)
    for start in range(0, len(events), 500):
        response = stack.metrics.client.post(
            "/v1/events",
            json={"events": events[start : start + 500]},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 200, response.text


@pytest.fixture
def tools() -> Any:
    """Helpers for test modules (conftest is not importable under importlib mode)."""

    class Tools:
        relay = staticmethod(relay_to_metrics)
        answers = staticmethod(answers_for)
        answered_by = staticmethod(answered_by)

    return Tools


DELIVERY_SURVEY = {
    "slug": "delivery",
    "title": "How was your delivery?",
    "intro": "Two minutes, four questions.",
    "thank_you": "Thank you, that helps us a lot.",
    "hidden_fields": ["order_id", "customer_id"],
    "allowed_origins": ["https://shop.example"],
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
            ],
        },
        {"key": "ease", "type": "ces", "prompt": "It was easy to get my parcel.", "required": True},
    ],
}


@pytest.fixture
def delivery_survey(stack: Stack) -> dict[str, Any]:
    """The delivery survey in feedback, published."""
    survey = stack.feedback.created("/v1/surveys", DELIVERY_SURVEY)
    published = stack.feedback.post(f"/v1/surveys/{survey['id']}/publish")
    assert published.status_code == 200, published.text
    return published.json()  # type: ignore[no-any-return]
