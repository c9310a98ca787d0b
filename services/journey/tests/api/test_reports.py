"""Reports on where the CX model breaks."""

from datetime import date, timedelta

import pytest


@pytest.fixture
def journey_map(journey_map, api):
    """The map, live: the reports cover live current-state journeys unless asked for more."""
    api.patch(f"/v1/journeys/{journey_map['journey']['id']}", {"status": "live"})
    return journey_map


def test_ownership_gaps_handoffs_and_load(api, journey_map):
    report = api.get("/v1/reports/ownership").json()
    gaps = {g["touchpoint_name"]: g["missing"] for g in report["gaps"]}
    assert gaps == {"Where is my order call": ["named_owner"]}
    handoffs = [
        (
            h["from_touchpoint"]["touchpoint_name"],
            h["to_touchpoint"]["touchpoint_name"],
            h["from_team_name"],
            h["to_team_name"],
        )
        for h in report["handoffs"]
    ]
    assert handoffs == [("Courier at the door", "Where is my order call", "Fulfilment", "Support")]
    load = {(o["owner_team_name"], o["owner_name"]): o["touchpoints"] for o in report["per_owner"]}
    assert load == {("Fulfilment", "Priya"): 1, ("Fulfilment", "Ola"): 1, ("Support", ""): 1}


def test_ownership_gap_closes_when_an_owner_is_named(api, journey_map):
    api.patch(f"/v1/touchpoints/{journey_map['help']['id']}", {"owner_name": "Lee"})
    assert api.get("/v1/reports/ownership").json()["gaps"] == []


def test_handoffs_follow_stage_then_touchpoint_order(api, journey_map):
    # Move the support call first in its stage: now Fulfilment (email) → Support → Fulfilment.
    api.post(f"/v1/touchpoints/{journey_map['help']['id']}/move", {"position": 0})
    report = api.get(
        "/v1/reports/ownership", params={"journey_id": journey_map["journey"]["id"]}
    ).json()
    assert [(h["from_team_name"], h["to_team_name"]) for h in report["handoffs"]] == [
        ("Fulfilment", "Support"),
        ("Support", "Fulfilment"),
    ]


def test_reviews_overdue_by_cadence(api):
    today = date.today()
    api.created(
        "/v1/journeys",
        {
            "name": "Fresh",
            "status": "live",
            "review_cadence_days": 30,
            "last_reviewed_date": str(today - timedelta(days=10)),
        },
    )
    late = api.created(
        "/v1/journeys",
        {
            "name": "Stale",
            "status": "live",
            "review_cadence_days": 30,
            "owner_name": "Sam",
            "last_reviewed_date": str(today - timedelta(days=45)),
        },
    )
    api.created(
        "/v1/journeys",
        {"name": "Archived", "status": "archived", "last_reviewed_date": "2020-01-01"},
    )
    report = api.get("/v1/reports/reviews", params={"as_of": str(today)}).json()
    assert [(r["journey_name"], r["days_overdue"]) for r in report["overdue"]] == [("Stale", 15)]
    api.patch(f"/v1/journeys/{late['id']}", {"last_reviewed_date": str(today)})
    assert api.get("/v1/reports/reviews").json()["overdue"] == []
    never = api.get("/v1/reports/reviews", params={"as_of": str(today + timedelta(days=91))})
    assert "Fresh" in {r["journey_name"] for r in never.json()["overdue"]}


def test_standards_report_lists_missing_standard_or_target(api, journey_map):
    gaps = {
        g["touchpoint_name"]: g["missing"] for g in api.get("/v1/reports/standards").json()["gaps"]
    }
    assert gaps == {
        "Courier at the door": ["standard", "target"],
        "Where is my order call": ["standard", "target"],
    }


def test_drafts_and_future_states_are_left_out_unless_asked_for(api, journey_map):
    journey_id = journey_map["journey"]["id"]
    future = api.post(f"/v1/journeys/{journey_id}/copy", {"state": "future"})
    assert future.status_code == 201, future.text
    future_id = future.json()["id"]
    api.created("/v1/journeys", {"name": "Idea", "last_reviewed_date": "2020-01-01"})

    def report(kind, **params):
        response = api.get(f"/v1/reports/{kind}", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    ownership = report("ownership")
    assert {g["journey_id"] for g in ownership["gaps"]} == {journey_id}
    assert len(ownership["handoffs"]) == 1
    assert sorted(ownership["left_out"]) == ["Delivery (future state)", "Idea"]
    assert sum(o["touchpoints"] for o in ownership["per_owner"]) == 3
    assert {g["journey_id"] for g in report("standards")["gaps"]} == {journey_id}
    assert report("reviews")["overdue"] == []

    everything = report("ownership", include_drafts="true")
    assert {g["journey_id"] for g in everything["gaps"]} == {journey_id, future_id}
    assert len(everything["handoffs"]) == 2 and everything["left_out"] == []
    assert "Idea" in {
        r["journey_name"] for r in report("reviews", include_drafts="true")["overdue"]
    }
    asked = report("ownership", journey_id=future_id)
    assert {g["journey_id"] for g in asked["gaps"]} == {future_id}


def test_a_handoff_is_a_change_of_owning_team_between_consecutive_touchpoints(api, journey_map):
    # Confirmation email and Courier are both Fulfilment: consecutive, but no handoff. A
    # touchpoint without a team is a gap: no handoff into or out of it.
    api.patch(f"/v1/touchpoints/{journey_map['help']['id']}", {"owner_team_id": None})
    report = api.get("/v1/reports/ownership").json()
    assert report["handoffs"] == []
    assert {g["touchpoint_name"] for g in report["gaps"]} == {"Where is my order call"}
