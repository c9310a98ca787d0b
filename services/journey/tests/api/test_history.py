"""The change history: who changed what, when, field by field."""


def test_every_write_is_recorded_with_before_and_after(api, journey_map):
    touchpoint = journey_map["confirm"]["id"]
    api.patch(
        f"/v1/touchpoints/{touchpoint}",
        {"owner_name": "Kim", "moment_of_truth": True},
        headers={**api.gateway, "X-Acting-User": "kim@cx.example"},
    )
    api.post(
        f"/v1/touchpoints/{touchpoint}/move",
        {"stage_id": journey_map["deliver"]["id"], "position": 0},
    )
    changes = api.get("/v1/history", params={"entity_id": touchpoint}).json()["items"]
    assert [c["action"] for c in changes] == ["reorder", "update", "create"]
    reorder, update, create = changes
    assert update["actor"] == "kim@cx.example"
    assert update["changes"] == {
        "owner_name": {"before": "Priya", "after": "Kim"},
        "moment_of_truth": {"before": False, "after": True},
    }
    assert reorder["changes"]["stage_id"] == {
        "before": journey_map["order"]["id"],
        "after": journey_map["deliver"]["id"],
    }
    assert reorder["actor"] == "api-key:editor-bot"
    assert create["changes"]["name"] == {"before": None, "after": "Confirmation email"}


def test_an_update_that_changes_nothing_is_not_recorded(api, journey_map):
    touchpoint = journey_map["confirm"]["id"]
    response = api.patch(f"/v1/touchpoints/{touchpoint}", {"owner_name": "Priya"})
    assert response.json()["version"] == 1
    changes = api.get("/v1/history", params={"entity_id": touchpoint}).json()["items"]
    assert [c["action"] for c in changes] == ["create"]


def test_history_filters_by_journey_actor_type_and_time(api, journey_map):
    journey = journey_map["journey"]["id"]
    in_journey = api.get("/v1/history", params={"journey_id": journey, "limit": 200}).json()[
        "items"
    ]
    assert {c["entity_type"] for c in in_journey} == {"journey", "stage", "touchpoint"}
    teams = api.get("/v1/history", params={"entity_type": "team"}).json()["items"]
    assert len(teams) == 2
    cutoff = in_journey[0]["at"]
    api.patch(
        f"/v1/journeys/{journey}",
        {"name": "Delivery v2"},
        headers={**api.gateway, "X-Acting-User": "ana"},
    )
    by_ana = api.get("/v1/history", params={"actor": "ana"}).json()["items"]
    assert [c["changes"]["name"]["after"] for c in by_ana] == ["Delivery v2"]
    later = api.get("/v1/history", params={"since": cutoff}).json()["items"]
    assert by_ana[0]["id"] in {c["id"] for c in later}
    earlier = api.get("/v1/history", params={"until": cutoff, "limit": 200}).json()["items"]
    assert by_ana[0]["id"] not in {c["id"] for c in earlier}


def test_deletions_are_recorded(api, journey_map):
    help_line = journey_map["help"]["id"]
    api.delete(f"/v1/touchpoints/{help_line}")
    changes = api.get("/v1/history", params={"entity_id": help_line}).json()["items"]
    assert changes[0]["action"] == "delete"
    assert changes[0]["changes"]["name"] == {"before": "Where is my order call", "after": None}
