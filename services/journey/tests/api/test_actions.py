"""Actions: planned changes to the experience, their states, links, history and events."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from cxshared.events.models import OutboxEvent


def events(api: Any, subject: str) -> list[tuple[str, dict[str, Any]]]:
    """(type, data) of every event published about `subject`, oldest first."""
    with Session(api.client.app.state.engine) as session:
        rows = session.exec(
            select(OutboxEvent).where(OutboxEvent.subject == subject).order_by(col(OutboxEvent.id))
        ).all()
        return [(row.type, row.data) for row in rows]


def plan(api: Any, journey_map: dict[str, Any], **fields: Any) -> dict[str, Any]:
    journey = journey_map["journey"]["id"]
    body = {
        "title": "Send the courier's arrival window by SMS",
        "touchpoint_ids": [journey_map["courier"]["id"]],
        "owner_name": "Ola",
        "owner_email": "ola@example.com",
        "team_id": journey_map["fulfil"]["id"],
        "due_date": "2027-01-31",
        **fields,
    }
    return api.created(f"/v1/journeys/{journey}/actions", body)


def test_an_action_links_the_opportunity_touchpoints_and_stages_it_changes(api, journey_map):
    opportunity = api.created(
        f"/v1/touchpoints/{journey_map['courier']['id']}/opportunities",
        {"title": "Say when the courier comes", "kind": "pain_point"},
    )
    action = plan(
        api,
        journey_map,
        opportunity_ids=[opportunity["id"]],
        stage_ids=[journey_map["deliver"]["id"]],
    )
    read = api.get(f"/v1/actions/{action['id']}")
    assert read.status_code == 200 and read.headers["etag"] == '"1"'
    body = read.json()
    assert body["journey_id"] == journey_map["journey"]["id"]
    assert body["opportunity_ids"] == [opportunity["id"]]
    assert body["touchpoint_ids"] == [journey_map["courier"]["id"]]
    assert body["stage_ids"] == [journey_map["deliver"]["id"]]
    assert (body["owner_name"], body["owner_email"]) == ("Ola", "ola@example.com")
    assert (body["team_id"], body["due_date"]) == (journey_map["fulfil"]["id"], "2027-01-31")
    assert (body["state"], body["shipped_at"]) == ("planned", None)
    [(kind, data)] = events(api, action["id"])
    assert kind == "action.created"
    assert data["journey"]["id"] == journey_map["journey"]["id"]
    # The stage brings in both its touchpoints; the named one is not counted twice.
    assert data["affected_touchpoint_ids"] == [
        journey_map["courier"]["id"],
        journey_map["help"]["id"],
    ]


def test_links_must_be_of_the_same_journey(api, journey_map):
    other = api.created("/v1/journeys", {"name": "Returns"})
    stage = api.created(f"/v1/journeys/{other['id']}/stages", {"name": "Send back"})
    foreign = api.created(
        f"/v1/stages/{stage['id']}/touchpoints",
        {"name": "Return label", "channel": "web", "interaction": "digital"},
    )
    url = f"/v1/journeys/{journey_map['journey']['id']}/actions"
    for field, ids, bad in (
        ("touchpoint_ids", [journey_map["courier"]["id"], foreign["id"]], 1),
        ("stage_ids", [stage["id"]], 0),
        ("opportunity_ids", ["no-such-opportunity"], 0),
    ):
        refused = api.post(url, {"title": "X", field: ids})
        assert refused.status_code == 422, field
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["errors"][0]["field"] == f"{field}[{bad}]"
        assert refused.json()["errors"][0]["code"] == "unknown_reference"
    refused = api.post(url, {"title": "X", "team_id": "no-such-team"})
    assert refused.json()["errors"][0]["field"] == "team_id"
    action = plan(api, journey_map)
    refused = api.patch(f"/v1/actions/{action['id']}", {"touchpoint_ids": [foreign["id"]]})
    assert refused.status_code == 422
    assert api.get(f"/v1/actions/{action['id']}").json()["version"] == 1
    assert api.post("/v1/journeys/nope/actions", {"title": "X"}).status_code == 404


def test_shipping_stamps_the_time_and_publishes_action_shipped(api, journey_map):
    action = plan(api, journey_map)
    url = f"/v1/actions/{action['id']}"
    started = api.patch(url, {"state": "in_progress"}, headers={**api.writer, "If-Match": '"1"'})
    assert started.status_code == 200 and started.json()["shipped_at"] is None
    before = datetime.now(UTC)
    shipped = api.patch(url, {"state": "shipped"}, headers={**api.writer, "If-Match": '"2"'})
    assert shipped.status_code == 200 and shipped.headers["etag"] == '"3"'
    shipped_at = datetime.fromisoformat(shipped.json()["shipped_at"])
    assert before - timedelta(seconds=1) <= shipped_at <= datetime.now(UTC)
    kinds = [kind for kind, _ in events(api, action["id"])]
    assert kinds == ["action.created", "action.updated", "action.shipped"]
    data = events(api, action["id"])[-1][1]
    assert data["state"] == "shipped"
    assert data["touchpoint_ids"] == [journey_map["courier"]["id"]]
    assert datetime.fromisoformat(data["shipped_at"]) == shipped_at
    history = api.get("/v1/history", params={"entity_id": action["id"]}).json()["items"]
    assert [c["action"] for c in history] == ["update", "update", "create"]
    assert history[0]["changes"]["state"] == {"before": "in_progress", "after": "shipped"}


def test_a_back_dated_ship_keeps_its_time_and_a_future_one_is_refused(api, journey_map):
    action = plan(api, journey_map)
    url = f"/v1/actions/{action['id']}"
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    refused = api.patch(url, {"state": "shipped", "shipped_at": future})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "shipped_at"
    assert api.get(url).json()["state"] == "planned"
    shipped = api.patch(url, {"state": "shipped", "shipped_at": "2026-10-01T09:30:00Z"})
    assert shipped.json()["shipped_at"] == "2026-10-01T09:30:00Z"
    corrected = api.patch(url, {"shipped_at": "2026-10-02T09:30:00Z"})
    assert corrected.json()["shipped_at"] == "2026-10-02T09:30:00Z"
    assert events(api, action["id"])[-1][0] == "action.updated"
    recorded = plan(api, journey_map, state="shipped", shipped_at="2026-09-01T02:00:00+02:00")
    assert recorded["shipped_at"] == "2026-09-01T00:00:00Z"
    without_zone = plan(api, journey_map, state="shipped", shipped_at="2026-09-01T00:00:00")
    assert without_zone["shipped_at"] == "2026-09-01T00:00:00Z"
    refused = api.post(
        f"/v1/journeys/{journey_map['journey']['id']}/actions",
        {"title": "X", "state": "shipped", "shipped_at": "0001-01-01T00:00:00+14:00"},
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["code"] == "out_of_range"
    now = plan(api, journey_map, state="shipped")
    assert now["shipped_at"] is not None
    refused = api.post(
        f"/v1/journeys/{journey_map['journey']['id']}/actions",
        {"title": "X", "shipped_at": "2026-09-01T00:00:00Z"},
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["code"] == "not_shipped"


def test_only_allowed_state_changes_are_accepted(api, journey_map):
    action = plan(api, journey_map)
    url = f"/v1/actions/{action['id']}"
    abandoned = api.patch(url, {"state": "abandoned"})
    assert abandoned.status_code == 200
    assert events(api, action["id"])[-1][0] == "action.abandoned"
    assert api.patch(url, {"state": "planned"}).status_code == 200
    assert api.patch(url, {"state": "shipped"}).status_code == 200
    for state in ("planned", "in_progress", "abandoned"):
        refused = api.patch(url, {"state": state})
        assert refused.status_code == 409, state
        assert refused.json()["type"] == "urn:cxloop:problem:invalid-transition"
    assert api.get(url).json()["state"] == "shipped"
    assert api.patch(url, {"shipped_at": None}).status_code == 422


def test_a_stale_if_match_changes_nothing(api, journey_map):
    action = plan(api, journey_map)
    url = f"/v1/actions/{action['id']}"
    assert (
        api.patch(url, {"title": "New"}, headers={**api.writer, "If-Match": '"1"'}).status_code
        == 200
    )
    stale = api.patch(url, {"title": "Newer"}, headers={**api.writer, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert api.delete(url, headers={**api.writer, "If-Match": '"1"'}).status_code == 412
    assert api.get(url).json()["title"] == "New"
    assert api.delete(url, headers={**api.writer, "If-Match": '"2"'}).status_code == 204
    assert api.get(url).status_code == 404
    assert events(api, action["id"])[-1][0] == "action.deleted"


def test_actions_are_listed_by_journey_state_team_touchpoint_and_opportunity(api, journey_map):
    opportunity = api.created(
        f"/v1/stages/{journey_map['order']['id']}/opportunities",
        {"title": "Faster confirmation", "kind": "idea"},
    )
    courier = plan(api, journey_map)
    confirm = plan(
        api,
        journey_map,
        touchpoint_ids=[journey_map["confirm"]["id"]],
        opportunity_ids=[opportunity["id"]],
        team_id=journey_map["support"]["id"],
        state="in_progress",
    )
    both = plan(
        api,
        journey_map,
        touchpoint_ids=[journey_map["confirm"]["id"], journey_map["courier"]["id"]],
    )

    def ids(**params: Any) -> list[str]:
        response = api.get("/v1/actions", params=params)
        assert response.status_code == 200, response.text
        return [a["id"] for a in response.json()["items"]]

    assert ids(journey_id=journey_map["journey"]["id"]) == [
        courier["id"],
        confirm["id"],
        both["id"],
    ]
    assert ids(touchpoint_id=journey_map["courier"]["id"]) == [courier["id"], both["id"]]
    assert ids(opportunity_id=opportunity["id"]) == [confirm["id"]]
    assert ids(state="in_progress") == [confirm["id"]]
    assert ids(team_id=journey_map["support"]["id"]) == [confirm["id"]]
    assert ids(touchpoint_id='x"]') == []
    first = api.get("/v1/actions", params={"limit": 2}).json()
    rest = api.get("/v1/actions", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [a["id"] for a in first["items"] + rest["items"]] == [
        courier["id"],
        confirm["id"],
        both["id"],
    ]


def test_a_team_that_delivers_actions_and_a_journey_with_actions_are_kept(api, journey_map):
    journey = api.created("/v1/journeys", {"name": "Empty"})
    team = api.created("/v1/teams", {"name": "Design"})
    action = api.created(
        f"/v1/journeys/{journey['id']}/actions", {"title": "Sketch it", "team_id": team["id"]}
    )
    refused = api.delete(f"/v1/teams/{team['id']}")
    assert refused.status_code == 409 and "action" in refused.json()["detail"]
    refused = api.delete(f"/v1/journeys/{journey['id']}")
    assert refused.status_code == 409 and "1 action(s)" in refused.json()["detail"]
    assert (
        api.delete(f"/v1/journeys/{journey['id']}", params={"cascade": "true"}).status_code == 204
    )
    assert api.get(f"/v1/actions/{action['id']}").status_code == 404
    assert events(api, action["id"])[-1][0] == "action.deleted"
