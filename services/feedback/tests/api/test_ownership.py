"""Feedback's read model of touchpoint ownership, kept from journey's events."""

from typing import Any

import pytest
from sqlmodel import Session

from cxshared.auth import Scope
from cxshared.testing.api import Api, bearer, make_key
from feedback.ownership.models import OwnerTeam, TouchpointOwner

URL = "/v1/events"


def touchpoint_event(
    event_id: str,
    version: int,
    *,
    owner: str | None,
    team: str | None = None,
    verb: str = "updated",
) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": f"touchpoint.{verb}",
        "occurred_at": "2026-12-01T09:30:00+00:00",
        "source": "journey",
        "subject": "tp-courier",
        "data": {
            "id": "tp-courier",
            "version": version,
            "name": "Courier hands over the parcel",
            "journey_id": "j-delivery",
            "journey": {"id": "j-delivery", "name": "Delivery"},
            "owner_name": (owner or "").split("@")[0],
            "owner_email": owner,
            "owner_team_id": team,
            "owner_team": {"id": team, "name": "Logistics"} if team else None,
        },
    }


def team_event(event_id: str, version: int, lead: str | None) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "team.updated",
        "occurred_at": "2026-12-01T09:30:00+00:00",
        "source": "journey",
        "subject": "team-logistics",
        "data": {
            "id": "team-logistics",
            "version": version,
            "name": "Logistics",
            "lead_name": "Lead",
            "lead_email": lead,
        },
    }


@pytest.fixture
def ingester(api: Api) -> dict[str, str]:
    return bearer(make_key(api.database_url, "journey-relay", Scope.INGEST))


def ingest(api: Api, headers: dict[str, str], *events: dict[str, Any]) -> dict[str, Any]:
    response = api.post(URL, {"events": list(events)}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def stored(api: Api) -> tuple[TouchpointOwner | None, OwnerTeam | None]:
    with Session(api.client.app.state.engine) as session:
        return session.get(TouchpointOwner, "tp-courier"), session.get(OwnerTeam, "team-logistics")


def test_touchpoint_and_team_events_keep_the_owner_and_the_lead(api, ingester):
    result = ingest(
        api,
        ingester,
        touchpoint_event("e1", 2, owner="ana@example.com", team="team-logistics"),
        team_event("e2", 1, "lead@example.com"),
        {**team_event("e3", 1, None), "type": "persona.created"},
    )
    assert result == {"applied": 2, "duplicates": 0, "ignored": 1}
    touchpoint, team = stored(api)
    assert touchpoint is not None and team is not None
    assert (touchpoint.owner_email, touchpoint.owner_team_id, touchpoint.journey_name) == (
        "ana@example.com",
        "team-logistics",
        "Delivery",
    )
    assert (team.name, team.lead_email) == ("Logistics", "lead@example.com")


def test_a_replayed_or_older_event_changes_nothing(api, ingester):
    ingest(api, ingester, touchpoint_event("e1", 3, owner="new@example.com"))
    again = ingest(api, ingester, touchpoint_event("e1", 3, owner="new@example.com"))
    assert again == {"applied": 0, "duplicates": 1, "ignored": 0}
    late = ingest(api, ingester, touchpoint_event("e0", 2, owner="old@example.com"))
    assert late["applied"] == 1
    touchpoint, _ = stored(api)
    assert touchpoint is not None and touchpoint.owner_email == "new@example.com"


def test_a_deleted_touchpoint_is_marked_deleted(api, ingester):
    ingest(api, ingester, touchpoint_event("e1", 1, owner="ana@example.com"))
    ingest(api, ingester, touchpoint_event("e2", 2, owner="ana@example.com", verb="deleted"))
    touchpoint, _ = stored(api)
    assert touchpoint is not None and touchpoint.deleted


def test_only_an_ingest_key_may_deliver(api):
    body = {"events": [touchpoint_event("e1", 1, owner="ana@example.com")]}
    assert api.post(URL, body, headers=api.admin).status_code == 403
    assert stored(api) == (None, None)


def test_an_event_without_id_or_version_is_refused_whole(api, ingester):
    bad = touchpoint_event("e2", 1, owner="x@example.com")
    del bad["data"]["version"]
    body = {"events": [touchpoint_event("e1", 1, owner="ana@example.com"), bad]}
    response = api.post(URL, body, headers=ingester)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][:4] == ["body", "events", 1, "data"]
    assert stored(api) == (None, None)
