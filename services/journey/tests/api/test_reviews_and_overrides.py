"""Recorded reviews of a journey, and an opportunity's priority overridden with its reason."""

from datetime import date, timedelta


def add(api, journey_map, **fields):
    return api.post(
        f"/v1/touchpoints/{journey_map['courier']['id']}/opportunities",
        {"title": "Padded boxes", "kind": "pain_point", "effort": 4, **fields},
    )


def test_an_override_needs_a_reason_and_is_kept_in_the_history(api, journey_map):
    refused = add(api, journey_map, priority_override=80)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "reason_required"
    created = add(api, journey_map)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["priority"] == 10.0  # (50 + 50) / 2 / (1 + 4)
    assert (body["priority_override"], body["priority_reason"]) == (None, "")
    opportunity = body["id"]

    changed = api.patch(
        f"/v1/opportunities/{opportunity}",
        {"priority_override": 75, "priority_reason": "  Board commitment for Q1  "},
        headers={**api.writer, "If-Match": created.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["priority"] == 75
    assert changed.json()["priority_reason"] == "Board commitment for Q1"
    history = api.get("/v1/history", params={"entity_id": opportunity}).json()["items"]
    assert any(
        c["changes"].get("priority_reason", {}).get("after") == "Board commitment for Q1"
        for c in history
    ), history

    no_reason = api.patch(
        f"/v1/opportunities/{opportunity}",
        {"priority_reason": ""},
        headers={**api.writer, "If-Match": changed.headers["etag"]},
    )
    assert no_reason.status_code == 422
    cleared = api.patch(
        f"/v1/opportunities/{opportunity}",
        {"priority_override": None},
        headers={**api.writer, "If-Match": changed.headers["etag"]},
    )
    assert cleared.status_code == 200, cleared.text
    assert (cleared.json()["priority"], cleared.json()["priority_reason"]) == (10.0, "")
    orphan = api.patch(
        f"/v1/opportunities/{opportunity}",
        {"priority_reason": "no override to explain"},
        headers={**api.writer, "If-Match": cleared.headers["etag"]},
    )
    assert orphan.status_code == 422
    assert orphan.json()["errors"][0]["code"] == "no_override"


def test_a_recorded_review_says_who_when_and_what_and_resets_the_cadence(api):
    today = date.today()
    journey = api.created(
        "/v1/journeys",
        {
            "name": "Stale",
            "status": "live",
            "review_cadence_days": 30,
            "last_reviewed_date": str(today - timedelta(days=45)),
        },
    )
    path = f"/v1/journeys/{journey['id']}/reviews"
    assert api.post(path, {"decision": "   "}).status_code == 422
    future = api.post(path, {"decision": "ok", "reviewed_on": str(today + timedelta(days=1))})
    assert future.status_code == 422
    assert api.post("/v1/journeys/nope/reviews", {"decision": "ok"}).status_code == 404
    overdue = api.get("/v1/reports/reviews").json()["overdue"]
    assert [r["journey_name"] for r in overdue] == ["Stale"]

    first = api.created(
        path,
        {
            "decision": "Returns re-owned to Logistics.",
            "acknowledged": ["incident_open:i1", "incident_open:i1", "standard_missed:t1"],
            "reviewed_on": str(today - timedelta(days=2)),
        },
    )
    assert first["acknowledged"] == ["incident_open:i1", "standard_missed:t1"]
    assert first["updated_by"]  # who: the acting user
    second = api.created(path, {"decision": "No change."})
    listed = api.get(path).json()["items"]
    assert [r["id"] for r in listed] == [second["id"], first["id"]]
    assert api.get("/v1/reports/reviews").json()["overdue"] == []
    later = api.get("/v1/reports/reviews", params={"as_of": str(today + timedelta(days=31))})
    assert [r["last_reviewed_date"] for r in later.json()["overdue"]] == [str(today)]
