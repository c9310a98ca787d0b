from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxshared.auth import Scope
from cxshared.testing.api import Api, bearer, make_api, make_key
from cxshared.testing.databases import DatabaseFactory
from metrics.config import Settings
from metrics.main import MIGRATIONS, create_app


@pytest.fixture
def database_url(database_factory_for: Callable[[str, Path], DatabaseFactory]) -> Iterator[str]:
    factory = database_factory_for("metrics", MIGRATIONS)
    url = factory.new_url()
    yield url
    factory.release(url)


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Alerts are evaluated explicitly in tests (POST /v1/incidents/evaluate), not by a thread.
    return Settings(
        database_url=database_url,
        relay_in_process=False,
        alerts_in_process=False,
        webhook_allow_private_urls=True,
    )


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield make_api(client, settings.database_url)


@pytest.fixture
def ingest_key(api: Api) -> dict[str, str]:
    return bearer(make_key(api.database_url, "feedback-relay", Scope.INGEST))


_ids = count(1)
NOW = datetime.now(UTC).replace(microsecond=0)


def event(
    type_: str, data: dict[str, Any], *, occurred_at: datetime | None = None, id_: str | None = None
) -> dict[str, Any]:
    return {
        "id": id_ or f"evt-{next(_ids)}",
        "type": type_,
        "occurred_at": (occurred_at or NOW).isoformat(),
        "source": "feedback" if type_.startswith("respon") else "journey",
        "subject": str(data.get("response_id") or data.get("id") or ""),
        "data": data,
        "schema_version": 1,
    }


def response_event(
    response_id: str,
    *,
    touchpoint_id: str | None = "tp-courier",
    nps: int | None = None,
    csat: int | None = None,
    ces: int | None = None,
    comment: str | None = None,
    respondent: str | None = None,
    segment: str | None = None,
    channel: str = "web",
    days_ago: int = 0,
    flags: list[str] | None = None,
    type_: str = "response.completed",
    occurred_at: datetime | None = None,
    id_: str | None = None,
) -> dict[str, Any]:
    answers = []
    for kind, value in (("nps", nps), ("csat", csat), ("ces", ces)):
        if value is not None:
            answers.append({"question": kind, "type": kind, "value": value})
    if comment is not None:
        answers.append({"question": "why", "type": "text", "value": comment})
    submitted = (NOW - timedelta(days=days_ago)).isoformat()
    return event(
        type_,
        {
            "response_id": response_id,
            "survey_id": "survey-delivery",
            "survey_slug": "delivery",
            "version": 1,
            "touchpoint_id": touchpoint_id,
            "respondent_external_id": respondent,
            "channel": channel,
            "hidden": {"segment": segment} if segment else {},
            "flags": flags or [],
            "status": "complete",
            "submitted_at": submitted,
            "completed_at": submitted,
            "answers": answers,
        },
        occurred_at=occurred_at,
        id_=id_,
    )


def touchpoint_event(
    touchpoint_id: str = "tp-courier",
    *,
    version: int = 1,
    name: str = "Courier delivers",
    targets: list[dict[str, Any]] | None = None,
    owner_name: str = "Priya Shah",
    deleted: bool = False,
    stage_id: str = "stage-delivery",
    journey_id: str = "journey-1",
    position: int = 0,
    activities: list[str] | None = None,
    indicator: dict[str, Any] | None = None,
) -> dict[str, Any]:
    data = {
        "id": touchpoint_id,
        "version": version,
        "journey_id": journey_id,
        "stage_id": stage_id,
        "position": position,
        "name": name,
        "channel": "field",
        "owner_team_id": "team-logistics",
        "owner_name": owner_name,
        "owner_email": "priya@example.com",
        "moment_of_truth": True,
        "designed_emotion": 1,
        "targets": targets
        if targets is not None
        else [{"metric": "nps", "value": 40, "direction": "at_least", "min_responses": 30}],
        "journey": {"id": journey_id, "name": "Delivery and returns", "state": "current"},
        "stage": {"id": stage_id, "name": "Delivery", "position": 0, "designed_emotion": 1},
        "owner_team": {"id": "team-logistics", "name": "Logistics"},
    }
    if activities is not None:
        data["activities"] = activities
    if indicator is not None:
        data["indicator"] = indicator
    if deleted:
        data["deleted"] = True
    return event(
        f"touchpoint.{'deleted' if deleted else 'updated' if version > 1 else 'created'}", data
    )


def on_time_indicator(activity: str, attribute: str) -> dict[str, Any]:
    """A standard met when the activity's `attribute` is 0 or less (late days, reopenings),
    with an objective of 90 %."""
    return {
        "kind": "attribute",
        "activity": activity,
        "attribute": attribute,
        "operator": "le",
        "value": 0,
        "objective": 0.9,
        "declared_activities": [],
    }


def measured_touchpoints(journey_id: str, *rows: tuple[str, str, str]) -> list[dict[str, Any]]:
    """A touchpoint event for each (touchpoint, activity, attribute): in that order on the
    map, mapped from the activity, its standard the activity's attribute at 0 or less."""
    return [
        touchpoint_event(
            touchpoint,
            name=touchpoint.removeprefix("tp-").title(),
            journey_id=journey_id,
            position=position,
            activities=[activity],
            indicator=on_time_indicator(activity, attribute),
        )
        for position, (touchpoint, activity, attribute) in enumerate(rows)
    ]


HOUR = 3600.0


def sla_clock(used_hours: float, target_hours: float, *, stopped: bool) -> dict[str, Any]:
    used = used_hours * HOUR
    return {
        "target_seconds": target_hours * HOUR,
        "used_seconds": used,
        "due_at": None,
        "running": not stopped,
        "stopped": stopped,
        "at_risk": False,
        "breached": used > target_hours * HOUR,
    }


def case_event(
    case_id: str,
    *,
    first: tuple[float, bool] = (1, True),
    resolution: tuple[float, bool] = (2, True),
    recovered: bool | None = None,
    respondent: str | None = None,
    team: str = "team-a",
    days_ago: int = 1,
    opened_at: datetime | None = None,
    version: int = 1,
    type_: str = "case.updated",
    id_: str | None = None,
) -> dict[str, Any]:
    """A case as feedback's case events describe it: its SLA clocks as (hours used, stopped?)
    against 24 h to first contact and 120 h to resolution."""
    data = {
        "case_id": case_id,
        "version": version,
        "respondent_external_id": respondent or f"cust-{case_id}",
        "journey_id": "j-delivery",
        "journey_name": "Delivery",
        "touchpoint_id": "tp-courier",
        "touchpoint_name": "Courier",
        "assignee": {"email": "ana@example.com", "team_id": team, "team_name": team.upper()},
        "priority": "high",
        "state": "resolved" if resolution[1] else "open",
        "opened_at": (opened_at or NOW - timedelta(days=days_ago)).isoformat(),
        "recovered": recovered,
        "follow_up": {"sent_at": NOW.isoformat() if recovered is not None else None},
        "sla": {
            "first_contact": sla_clock(first[0], 24, stopped=first[1]),
            "resolution": sla_clock(resolution[0], 120, stopped=resolution[1]),
        },
    }
    made = event(type_, data, id_=id_)
    made["source"] = "feedback"
    return made


@pytest.fixture
def send(api: Api, ingest_key: dict[str, str]) -> Callable[..., dict[str, Any]]:
    def post(*events: dict[str, Any]) -> dict[str, Any]:
        response = api.client.post("/v1/events", json={"events": list(events)}, headers=ingest_key)
        assert response.status_code == 200, response.text
        return response.json()

    return post


class Events:
    """The event builders, for tests (conftest is not importable under importlib mode)."""

    now = NOW
    event = staticmethod(event)
    response = staticmethod(response_event)
    touchpoint = staticmethod(touchpoint_event)
    measured_touchpoints = staticmethod(measured_touchpoints)
    case = staticmethod(case_event)


@pytest.fixture(autouse=True)
def _now() -> None:
    """Each test's "now" is taken when it starts: fixed when the module was imported, a suite
    running across midnight sent "today" dated yesterday while the service's today moved on."""
    global NOW
    NOW = datetime.now(UTC).replace(microsecond=0)
    Events.now = NOW


@pytest.fixture
def ev() -> type[Events]:
    return Events
