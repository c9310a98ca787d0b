"""Map versions: kept at publish and once a day of live changes; compared and restored."""

from datetime import timedelta
from typing import Any

from cxshared.timeutil import utcnow
from journey.versions import service as versions_service

from .test_actions import events


def versions(api: Any, journey_id: str) -> list[dict[str, Any]]:
    response = api.get(f"/v1/journeys/{journey_id}/versions")
    assert response.status_code == 200, response.text
    return response.json()["items"]


def without_ids(journey_map: dict[str, Any]) -> dict[str, Any]:
    """A map as a reader sees it: what is where, owned by whom (ids differ between copies)."""
    return {
        "journey": {k: v for k, v in journey_map["journey"].items() if k != "status"},
        "stages": [
            {
                **{k: v for k, v in s.items() if k not in ("id", "touchpoints")},
                "touchpoints": [
                    {k: v for k, v in t.items() if k != "id"} for t in s["touchpoints"]
                ],
            }
            for s in journey_map["stages"]
        ],
    }


def publish_with_a_locker(api: Any, journey_map: dict[str, Any]) -> dict[str, Any]:
    journey = journey_map["journey"]["id"]
    locker = api.created(
        f"/v1/stages/{journey_map['deliver']['id']}/touchpoints",
        {"name": "Parcel locker", "channel": "field", "interaction": "digital"},
    )
    assert versions(api, journey) == []  # a draft is design work: it keeps no versions
    published = api.patch(
        f"/v1/journeys/{journey}",
        {"status": "live"},
        headers={**api.gateway, "X-Acting-User": "sam"},
    )
    assert published.status_code == 200
    return locker


def change_the_live_map(api: Any, journey_map: dict[str, Any], locker: dict[str, Any]) -> dict:
    sms = api.created(
        f"/v1/stages/{journey_map['order']['id']}/touchpoints",
        {"name": "Dispatch SMS", "channel": "sms", "interaction": "digital"},
    )
    moved = api.post(f"/v1/touchpoints/{locker['id']}/move", {"position": 0})
    assert moved.status_code == 200, moved.text
    courier = journey_map["courier"]["id"]
    api.patch(
        f"/v1/touchpoints/{courier}",
        {"owner_team_id": journey_map["support"]["id"], "owner_name": "Lee"},
    )
    api.patch(
        f"/v1/touchpoints/{journey_map['confirm']['id']}", {"standard": "Sent within 1 minute"}
    )
    api.patch(
        f"/v1/touchpoints/{journey_map['help']['id']}",
        {"targets": [{"metric": "ces", "value": 5.5}]},
    )
    api.patch(f"/v1/stages/{journey_map['deliver']['id']}", {"name": "Delivery"})
    return sms


def test_a_publish_and_a_day_of_live_changes_make_two_versions(api, journey_map):
    journey = journey_map["journey"]["id"]
    publish_with_a_locker(api, journey_map)
    [first] = versions(api, journey)
    assert (first["number"], first["reason"], first["updated_by"]) == (1, "published", "sam")
    one = api.get(f"/v1/journeys/{journey}/versions/1").json()
    assert [s["name"] for s in one["map"]["stages"]] == ["Order", "Deliver"]
    assert [t["name"] for t in one["map"]["stages"][1]["touchpoints"]] == [
        "Courier at the door",
        "Where is my order call",
        "Parcel locker",
    ]
    confirm = one["map"]["stages"][0]["touchpoints"][0]
    assert (confirm["owner_team_name"], confirm["owner_name"]) == ("Fulfilment", "Priya")
    assert confirm["standard"] == "Sent within 2 minutes"
    locker = {"id": one["map"]["stages"][1]["touchpoints"][2]["id"]}
    change_the_live_map(api, journey_map, locker)
    second, again_first = versions(api, journey)
    assert (second["number"], second["reason"]) == (2, "changed")
    assert again_first == first
    # One event per version made, one per version brought up to date.
    published = events(api, first["id"])
    assert [(t, d["number"], d["reason"]) for t, d in published] == [
        ("journey.version.created", 1, "published")
    ]
    day = events(api, second["id"])
    assert [t for t, _ in day] == ["journey.version.created"] + ["journey.version.updated"] * 5
    # A review noted on the journey changes no part of the map: no version for it.
    api.patch(f"/v1/journeys/{journey}", {"last_reviewed_date": "2026-12-01"})
    assert [v["number"] for v in versions(api, journey)] == [2, 1]
    # Opportunities and actions are not the map either.
    api.created(f"/v1/journeys/{journey}/actions", {"title": "Faster SMS"})
    assert versions(api, journey)[0]["updated_at"] == second["updated_at"]


def test_changes_on_the_next_day_make_the_next_version(api, journey_map, monkeypatch):
    journey = journey_map["journey"]["id"]
    publish_with_a_locker(api, journey_map)
    api.patch(f"/v1/touchpoints/{journey_map['courier']['id']}", {"owner_name": "Kim"})
    api.patch(f"/v1/touchpoints/{journey_map['courier']['id']}", {"owner_name": "Kit"})
    tomorrow = utcnow() + timedelta(days=1)
    monkeypatch.setattr(versions_service, "utcnow", lambda: tomorrow)
    api.patch(f"/v1/touchpoints/{journey_map['courier']['id']}", {"owner_name": "Ola"})
    third, second, _ = versions(api, journey)
    assert (third["number"], third["day"]) == (3, tomorrow.date().isoformat())
    assert (second["number"], second["day"]) == (
        2,
        (tomorrow - timedelta(days=1)).date().isoformat(),
    )
    owner = api.get(f"/v1/journeys/{journey}/versions/2").json()["map"]["stages"][1]
    assert owner["touchpoints"][0]["owner_name"] == "Kit"  # the day's last state
    # Archived, then published again: a new published version.
    api.patch(f"/v1/journeys/{journey}", {"status": "archived"})
    api.patch(f"/v1/journeys/{journey}", {"status": "live"})
    newest = versions(api, journey)[0]
    assert (newest["number"], newest["reason"]) == (4, "published")


def test_compare_names_what_was_added_removed_moved_and_reowned(api, journey_map):
    journey = journey_map["journey"]["id"]
    publish_with_a_locker(api, journey_map)
    locker = {
        "id": api.get(f"/v1/journeys/{journey}/versions/1").json()["map"]["stages"][1][
            "touchpoints"
        ][2]["id"]
    }
    sms = change_the_live_map(api, journey_map, locker)
    url = f"/v1/journeys/{journey}/versions/compare"
    diff = api.get(url, params={"from_version": 1, "to_version": 2}).json()
    deliver = journey_map["deliver"]["id"]
    order = journey_map["order"]["id"]
    assert diff["journey"] == {}
    assert diff["stages_changed"] == [
        {
            "id": deliver,
            "name": "Delivery",
            "changes": {"name": {"before": "Deliver", "after": "Delivery"}},
        }
    ]
    assert (diff["stages_added"], diff["stages_removed"]) == ([], [])
    assert diff["touchpoints_added"] == [
        {"id": sms["id"], "name": "Dispatch SMS", "stage_id": order, "stage_name": "Order"}
    ]
    assert diff["touchpoints_removed"] == []
    assert diff["touchpoints_moved"] == [
        {
            "id": locker["id"],
            "name": "Parcel locker",
            "stage_id": deliver,
            "stage_name": "Delivery",
            "from_stage_id": deliver,
            "from_stage_name": "Deliver",
            "from_position": 2,
            "position": 0,
        }
    ]
    [reowned] = diff["touchpoints_reowned"]
    assert reowned["id"] == journey_map["courier"]["id"]
    assert reowned["before"] == {
        "owner_team_id": journey_map["fulfil"]["id"],
        "owner_team_name": "Fulfilment",
        "owner_name": "Ola",
        "owner_email": None,
    }
    assert reowned["after"]["owner_team_name"] == "Support"
    assert reowned["after"]["owner_name"] == "Lee"
    [standard] = diff["standards_changed"]
    assert (standard["before"], standard["after"]) == (
        "Sent within 2 minutes",
        "Sent within 1 minute",
    )
    [targets] = diff["targets_changed"]
    assert targets["id"] == journey_map["help"]["id"]
    assert (targets["before"], targets["after"][0]["metric"]) == ([], "ces")
    # The other way round, added and removed trade places and before and after swap.
    back = api.get(url, params={"from_version": 2, "to_version": 1}).json()
    assert back["touchpoints_removed"] == diff["touchpoints_added"]
    assert back["touchpoints_added"] == []
    assert back["standards_changed"][0]["after"] == "Sent within 2 minutes"
    # Without to_version: against the map as it is now, which version 2 holds.
    now = api.get(url, params={"from_version": 1}).json()
    assert {**now, "to_version": 2} == diff
    missing = api.get(url, params={"from_version": 9})
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_restoring_a_version_makes_a_draft_with_its_map(api, journey_map):
    journey = journey_map["journey"]["id"]
    locker = publish_with_a_locker(api, journey_map)
    change_the_live_map(api, journey_map, locker)
    api.delete(f"/v1/touchpoints/{journey_map['help']['id']}")
    one = api.get(f"/v1/journeys/{journey}/versions/1").json()["map"]
    restored = api.post(f"/v1/journeys/{journey}/versions/1/restore", {})
    assert restored.status_code == 201, restored.text
    draft = restored.json()
    assert (draft["name"], draft["status"], draft["origin_journey_id"]) == (
        "Delivery (version 1)",
        "draft",
        journey,
    )
    assert versions(api, draft["id"]) == []
    # Published, the draft's first version holds exactly the map that version 1 kept.
    api.patch(f"/v1/journeys/{draft['id']}", {"status": "live", "name": "Delivery"})
    copy = api.get(f"/v1/journeys/{draft['id']}/versions/1").json()["map"]
    assert without_ids(copy) == without_ids(one)
    assert api.post(f"/v1/journeys/{journey}/versions/7/restore", {}).status_code == 404


def test_a_restore_leaves_a_deleted_team_empty_and_keeps_the_named_owner(api, journey_map):
    journey = journey_map["journey"]["id"]
    temp = api.created("/v1/teams", {"name": "Temporary"})
    api.patch(
        f"/v1/touchpoints/{journey_map['help']['id']}",
        {"owner_team_id": temp["id"], "owner_name": "Jo"},
    )
    api.patch(f"/v1/journeys/{journey}", {"status": "live"})
    api.patch(f"/v1/touchpoints/{journey_map['help']['id']}", {"owner_team_id": None})
    assert api.delete(f"/v1/teams/{temp['id']}").status_code == 204
    draft = api.post(f"/v1/journeys/{journey}/versions/1/restore", {"name": "Back"}).json()
    help_line = draft["stages"][1]["touchpoints"][1]
    assert (help_line["owner_team_id"], help_line["owner_name"]) == (None, "Jo")
    assert draft["name"] == "Back"


def test_deleting_the_journey_deletes_its_versions(api, journey_map):
    journey = journey_map["journey"]["id"]
    api.patch(f"/v1/journeys/{journey}", {"status": "live"})
    assert len(versions(api, journey)) == 1
    assert api.delete(f"/v1/journeys/{journey}", params={"cascade": "true"}).status_code == 204
    assert api.get(f"/v1/journeys/{journey}/versions").status_code == 404
    assert api.get(f"/v1/journeys/{journey}/versions/1").status_code == 404
