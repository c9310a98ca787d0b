"""Personas, teams, journeys, stages, touchpoints and opportunities through the API."""

from sqlmodel import select

from cxshared.events.models import OutboxEvent
from cxshared.testing.databases import fetch_all


def test_journey_carries_persona_owner_and_review_cadence(api):
    persona = api.created(
        "/v1/personas",
        {"name": "Busy subscriber", "goals": ["On-time box"], "pains": ["Can't skip a week"]},
    )
    journey = api.created(
        "/v1/journeys",
        {
            "name": "Buying online",
            "persona_id": persona["id"],
            "owner_name": "Sam Reyes",
            "owner_email": "sam@example.com",
            "review_cadence_days": 30,
            "last_reviewed_date": "2026-10-01",
            "status": "live",
        },
    )
    read = api.get(f"/v1/journeys/{journey['id']}")
    assert read.status_code == 200
    assert read.headers["etag"] == '"1"'
    body = read.json()
    assert body["persona_id"] == persona["id"]
    assert (body["owner_name"], body["owner_email"]) == ("Sam Reyes", "sam@example.com")
    assert (body["state"], body["status"], body["review_cadence_days"]) == ("current", "live", 30)
    assert api.get("/v1/personas/" + persona["id"]).json()["pains"] == ["Can't skip a week"]


def test_touchpoint_holds_owner_standard_targets_and_moment_of_truth(api, journey_map):
    touchpoint = api.get(f"/v1/touchpoints/{journey_map['confirm']['id']}").json()
    assert touchpoint["owner_team_id"] == journey_map["fulfil"]["id"]
    assert touchpoint["owner_name"] == "Priya"
    assert touchpoint["standard"] == "Sent within 2 minutes"
    assert touchpoint["targets"] == [
        {"metric": "csat", "direction": "at_least", "value": 80.0, "min_responses": 30}
    ]
    assert touchpoint["journey_id"] == journey_map["journey"]["id"]


def test_unknown_team_or_persona_is_a_field_error(api, journey_map):
    response = api.patch(
        f"/v1/touchpoints/{journey_map['confirm']['id']}", {"owner_team_id": "nope"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "owner_team_id"
    response = api.post("/v1/journeys", {"name": "X", "persona_id": "missing"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "persona_id"


def test_target_values_are_checked_per_metric(api, journey_map):
    stage = journey_map["order"]["id"]
    base = {"name": "T", "channel": "web", "interaction": "digital"}
    for target in (
        {"metric": "nps", "value": 101},
        {"metric": "ces", "value": 0},
        {"metric": "csat", "value": -1},
        {"metric": "nps", "value": 10, "min_responses": 0},
    ):
        response = api.post(f"/v1/stages/{stage}/touchpoints", {**base, "targets": [target]})
        assert response.status_code == 422, target
        assert response.json()["errors"][0]["field"].startswith("targets[0]")
    twice = [{"metric": "nps", "value": 10}, {"metric": "nps", "value": 20}]
    assert (
        api.post(f"/v1/stages/{stage}/touchpoints", {**base, "targets": twice}).status_code == 422
    )


def test_touchpoint_lists_the_activities_that_mean_a_customer_was_there(api, journey_map):
    touchpoint = journey_map["confirm"]
    assert api.get(f"/v1/touchpoints/{touchpoint['id']}").json()["activities"] == []
    changed = api.patch(
        f"/v1/touchpoints/{touchpoint['id']}",
        {"activities": ["confirmation_email_sent", "email.confirm*"]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["activities"] == ["confirmation_email_sent", "email.confirm*"]
    [event] = fetch_all(
        api.database_url, select(OutboxEvent).where(OutboxEvent.type == "touchpoint.updated")
    )
    assert event.data["activities"] == ["confirmation_email_sent", "email.confirm*"]


def test_activity_names_are_checked_and_belong_to_one_touchpoint_of_a_journey(api, journey_map):
    confirm, other = journey_map["confirm"], journey_map["courier"]
    for bad in (["has space"], ["*"], ["a*b"], ["x" * 101], ["twice", "twice"], [""]):
        response = api.patch(f"/v1/touchpoints/{confirm['id']}", {"activities": bad})
        assert response.status_code == 422, bad
        assert response.json()["errors"][0]["field"].startswith("activities"), bad
    api.patch(f"/v1/touchpoints/{confirm['id']}", {"activities": ["parcel_*"]})
    taken = api.patch(f"/v1/touchpoints/{other['id']}", {"activities": ["parcel_*"]})
    assert taken.status_code == 422
    assert taken.json()["errors"][0]["field"] == "activities"
    assert "already maps" in taken.json()["errors"][0]["message"]
    again = api.patch(f"/v1/touchpoints/{confirm['id']}", {"activities": ["parcel_*", "paid"]})
    assert again.status_code == 200


def test_a_standard_carries_a_measurable_indicator_checked_against_the_mapping(api, journey_map):
    confirm, courier = journey_map["confirm"], journey_map["courier"]
    api.patch(f"/v1/touchpoints/{confirm['id']}", {"activities": ["order_paid"]})
    api.patch(f"/v1/touchpoints/{courier['id']}", {"activities": ["parcel_*"]})
    url = f"/v1/touchpoints/{courier['id']}"
    late = {"kind": "attribute", "activity": "parcel_delivered", "attribute": "late_days",
            "operator": "le", "value": 0, "objective": 0.9}  # fmt: skip
    saved = api.patch(url, {"indicator": late})
    assert saved.status_code == 200, saved.text
    assert saved.json()["indicator"] == {**late, "value": 0.0, "declared_activities": []}
    updated = fetch_all(
        api.database_url, select(OutboxEvent).where(OutboxEvent.type == "touchpoint.updated")
    )
    assert [e.data["indicator"]["attribute"] for e in updated if e.data["indicator"]] == [
        "late_days"
    ]
    # A name the journey maps nowhere is refused unless declared.
    calls = {"kind": "not_needed", "after_activity": "parcel_delivered",
             "activity": "support_call", "within_seconds": 604_800, "objective": 0.95}  # fmt: skip
    refused = api.patch(url, {"indicator": calls})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "indicator"
    assert "support_call matches no activity" in refused.json()["errors"][0]["message"]
    declared = api.patch(url, {"indicator": {**calls, "declared_activities": ["support_call"]}})
    assert declared.status_code == 200, declared.text
    timed = {"kind": "time_between", "from_activity": "order_paid",
             "to_activity": "confirmation_email_sent", "within_seconds": 120, "objective": 0.95}  # fmt: skip
    assert api.patch(f"/v1/touchpoints/{confirm['id']}", {"indicator": timed}).status_code == 422
    # Mapping the name on the same request makes it valid.
    both = api.patch(
        f"/v1/touchpoints/{confirm['id']}",
        {"activities": ["order_paid", "confirmation_email_sent"], "indicator": timed},
    )
    assert both.status_code == 200, both.text
    # Unmapping a name the indicator uses is refused.
    unmapped = api.patch(f"/v1/touchpoints/{confirm['id']}", {"activities": ["order_paid"]})
    assert unmapped.status_code == 422
    assert unmapped.json()["errors"][0]["field"] == "activities"
    for bad in (
        {**late, "objective": 0},
        {**late, "objective": 1.5},
        {**late, "operator": "lt", "value": "x"},
        {**late, "kind": "sometimes"},
        {**calls, "within_seconds": 0},
        {**late, "unknown": 1},
    ):
        response = api.patch(url, {"indicator": bad})
        assert response.status_code == 422, bad
        assert response.json()["errors"][0]["field"].startswith("indicator"), bad
    cleared = api.patch(url, {"indicator": None})
    assert cleared.status_code == 200
    assert cleared.json()["indicator"] is None


def test_clearing_the_named_owner_with_null(api, journey_map):
    touchpoint = journey_map["confirm"]
    response = api.patch(
        f"/v1/touchpoints/{touchpoint['id']}", {"owner_name": None, "owner_team_id": None}
    )
    assert response.status_code == 200
    assert (response.json()["owner_name"], response.json()["owner_team_id"]) == ("", None)
    refused = api.patch(f"/v1/touchpoints/{touchpoint['id']}", {"name": None})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "name"


def test_opportunity_priority_and_evidence(api, journey_map):
    opportunity = api.created(
        f"/v1/touchpoints/{journey_map['courier']['id']}/opportunities",
        {
            "title": "Photo on delivery",
            "kind": "idea",
            "customer_value": 80,
            "business_value": 60,
            "effort": 1,
            "evidence": ["resp-1", "resp-2"],
        },
    )
    assert opportunity["priority"] == 35.0  # (80 + 60) / 2 / (1 + 1)
    assert opportunity["stage_id"] == journey_map["deliver"]["id"]
    assert opportunity["journey_id"] == journey_map["journey"]["id"]
    assert opportunity["evidence"] == [
        {"kind": "response", "id": "resp-1", "label": ""},
        {"kind": "response", "id": "resp-2", "label": ""},
    ]
    updated = api.patch(
        f"/v1/opportunities/{opportunity['id']}", {"effort": 3, "status": "in_progress"}
    )
    assert updated.json()["priority"] == 17.5
    on_stage = api.created(
        f"/v1/stages/{journey_map['order']['id']}/opportunities",
        {"title": "Nobody owns the FAQ", "kind": "pain_point"},
    )
    assert (on_stage["stage_id"], on_stage["touchpoint_id"]) == (journey_map["order"]["id"], None)
    assert (
        api.post("/v1/stages/nope/opportunities", {"title": "x", "kind": "idea"}).status_code == 404
    )
    listed = api.get("/v1/opportunities", params={"status": "in_progress"}).json()["items"]
    assert [o["id"] for o in listed] == [opportunity["id"]]


def test_team_names_are_unique_and_owning_teams_cannot_be_deleted(api, journey_map):
    duplicate = api.post("/v1/teams", {"name": "fulfilment"})
    assert duplicate.status_code == 422
    assert duplicate.json()["errors"][0]["code"] == "duplicate"
    in_use = api.delete(f"/v1/teams/{journey_map['fulfil']['id']}")
    assert in_use.status_code == 409
    assert in_use.json()["type"] == "urn:cxloop:problem:in-use"
    assert api.get(f"/v1/teams/{journey_map['fulfil']['id']}").status_code == 200


def test_lists_paginate_with_a_cursor(api):
    ids = [api.created("/v1/personas", {"name": f"P{i}"})["id"] for i in range(5)]
    first = api.get("/v1/personas", params={"limit": 2}).json()
    second = api.get("/v1/personas", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    third = api.get("/v1/personas", params={"limit": 2, "cursor": second["next_cursor"]}).json()
    seen = [p["id"] for page in (first, second, third) for p in page["items"]]
    assert seen == ids
    assert third["next_cursor"] is None
    bad = api.get("/v1/personas", params={"cursor": "garbage!"})
    assert bad.status_code == 400
    assert bad.json()["type"] == "urn:cxloop:problem:invalid-cursor"


def test_touchpoints_filter_by_journey_team_and_channel(api, journey_map):
    fulfil = api.get(
        "/v1/touchpoints", params={"owner_team_id": journey_map["fulfil"]["id"]}
    ).json()["items"]
    assert {t["name"] for t in fulfil} == {"Confirmation email", "Courier at the door"}
    phone = api.get("/v1/touchpoints", params={"channel": "phone"}).json()["items"]
    assert [t["name"] for t in phone] == ["Where is my order call"]
    assert api.get("/v1/touchpoints", params={"channel": "fax"}).status_code == 422
