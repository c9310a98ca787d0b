"""Reordering stages and touchpoints: atomic, dense positions, moves across stages."""


def names(api, stage_id):
    return [t["name"] for t in api.get(f"/v1/stages/{stage_id}/touchpoints").json()]


def positions(items):
    return [item["position"] for item in items]


def test_stage_moves_keep_positions_dense(api, journey_map):
    journey = journey_map["journey"]["id"]
    third = api.created(f"/v1/journeys/{journey}/stages", {"name": "Return"})
    first = api.created(f"/v1/journeys/{journey}/stages", {"name": "Discover", "position": 0})
    stages = api.get(f"/v1/journeys/{journey}/stages").json()
    assert [s["name"] for s in stages] == ["Discover", "Order", "Deliver", "Return"]
    assert positions(stages) == [0, 1, 2, 3]
    moved = api.post(f"/v1/stages/{third['id']}/move", {"position": 0})
    assert moved.status_code == 200
    assert moved.json()["position"] == 0
    stages = api.get(f"/v1/journeys/{journey}/stages").json()
    assert [s["name"] for s in stages] == ["Return", "Discover", "Order", "Deliver"]
    assert positions(stages) == [0, 1, 2, 3]
    api.post(f"/v1/stages/{first['id']}/move", {"position": 99})
    stages = api.get(f"/v1/journeys/{journey}/stages").json()
    assert [s["name"] for s in stages] == ["Return", "Order", "Deliver", "Discover"]


def test_touchpoint_moves_within_and_across_stages(api, journey_map):
    deliver, order = journey_map["deliver"]["id"], journey_map["order"]["id"]
    help_line = journey_map["help"]
    assert names(api, deliver) == ["Courier at the door", "Where is my order call"]
    api.post(f"/v1/touchpoints/{help_line['id']}/move", {"position": 0})
    assert names(api, deliver) == ["Where is my order call", "Courier at the door"]
    moved = api.post(f"/v1/touchpoints/{help_line['id']}/move", {"stage_id": order, "position": 0})
    assert moved.status_code == 200
    assert moved.json()["stage_id"] == order
    assert names(api, order) == ["Where is my order call", "Confirmation email"]
    assert names(api, deliver) == ["Courier at the door"]
    for stage in (order, deliver):
        items = api.get(f"/v1/stages/{stage}/touchpoints").json()
        assert positions(items) == list(range(len(items)))


def test_move_to_a_stage_of_another_journey_is_refused(api, journey_map):
    other = api.created("/v1/journeys", {"name": "Other"})
    stage = api.created(f"/v1/journeys/{other['id']}/stages", {"name": "Elsewhere"})
    response = api.post(
        f"/v1/touchpoints/{journey_map['confirm']['id']}/move",
        {"stage_id": stage["id"], "position": 0},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "stage_id"
    assert names(api, journey_map["order"]["id"]) == ["Confirmation email"]


def test_move_with_stale_if_match_changes_nothing(api, journey_map):
    help_line = journey_map["help"]
    api.patch(f"/v1/touchpoints/{help_line['id']}", {"owner_name": "Kim"})
    response = api.post(
        f"/v1/touchpoints/{help_line['id']}/move",
        {"position": 0},
        headers={**api.writer, "If-Match": '"1"'},
    )
    assert response.status_code == 412
    assert names(api, journey_map["deliver"]["id"]) == [
        "Courier at the door",
        "Where is my order call",
    ]


def test_deleting_a_stage_with_touchpoints_needs_cascade(api, journey_map):
    deliver = journey_map["deliver"]["id"]
    refused = api.delete(f"/v1/stages/{deliver}")
    assert refused.status_code == 409
    assert refused.json()["type"] == "urn:cxloop:problem:has-children"
    assert len(api.get(f"/v1/stages/{deliver}/touchpoints").json()) == 2
    assert api.delete(f"/v1/stages/{deliver}", params={"cascade": "true"}).status_code == 204
    assert api.get(f"/v1/stages/{deliver}").status_code == 404
    assert api.get(f"/v1/touchpoints/{journey_map['courier']['id']}").status_code == 404
    stages = api.get(f"/v1/journeys/{journey_map['journey']['id']}/stages").json()
    assert [(s["name"], s["position"]) for s in stages] == [("Order", 0)]


def test_deleting_a_touchpoint_closes_the_gap(api, journey_map):
    deliver = journey_map["deliver"]["id"]
    extra = api.created(
        f"/v1/stages/{deliver}/touchpoints",
        {"name": "Survey", "channel": "email", "interaction": "digital", "position": 0},
    )
    assert api.delete(f"/v1/touchpoints/{extra['id']}").status_code == 204
    items = api.get(f"/v1/stages/{deliver}/touchpoints").json()
    assert positions(items) == [0, 1]


def test_deleting_a_journey_with_stages_needs_cascade(api, journey_map):
    journey = journey_map["journey"]["id"]
    assert api.delete(f"/v1/journeys/{journey}").status_code == 409
    assert api.delete(f"/v1/journeys/{journey}?cascade=true").status_code == 204
    assert api.get(f"/v1/journeys/{journey}").status_code == 404
    assert api.get("/v1/touchpoints", params={"journey_id": journey}).json()["items"] == []
