"""Review signals (docs/metrics.md, "Review signals"): each reason fires on the day it should
(`as_of` is the clock) and not below its threshold, with a key that stays the same."""

from datetime import UTC, datetime, time, timedelta
from typing import Any

JOURNEY = "journey-rev"
DELIVER, SUPPORT = "tp-deliver", "tp-support"


def mapped(ev, send) -> None:
    send(
        *ev.measured_touchpoints(
            JOURNEY,
            (DELIVER, "parcel_delivered", "late_days"),
            (SUPPORT, "ticket_closed", "reopened"),
        )
    )


def signals(api, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/v1/review-signals", params={"journey_id": JOURNEY, **params})
    assert response.status_code == 200, response.text
    return response.json()["signals"]


def kinds(found: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(s["kind"], s["key"]) for s in found}


def post_activities(api, ingest_key, rows: list[dict[str, Any]]) -> None:
    response = api.client.post("/v1/activities", json={"activities": rows}, headers=ingest_key)
    assert response.status_code == 200, response.text


def test_an_incident_open_longer_than_incident_days_is_a_reason(ev, api, send):
    send(ev.touchpoint("tp-courier", journey_id=JOURNEY))
    send(*[ev.response(f"r{i}", nps=0 if i % 4 else 10) for i in range(40)])
    assert api.post("/v1/incidents/evaluate", headers=api.admin).json()["opened"] == 1
    [incident] = api.get("/v1/incidents").json()["items"]
    today = ev.now.date()
    # Opened today: open 14 days on the 14th day after, more than 14 on the 15th.
    assert signals(api, as_of=str(today + timedelta(days=14))) == []
    assert signals(api, as_of=str(today - timedelta(days=1))) == []  # not open yet
    [found] = signals(api, as_of=str(today + timedelta(days=15)))
    assert found == {
        "journey_id": JOURNEY,
        "kind": "incident_open",
        "key": f"incident_open:{incident['id']}",
        "touchpoint_id": "tp-courier",
        "reason": f"An incident on Courier delivers has been open since {today}: 15 days, "
        "more than 14.",
        "since": str(today),
    }
    assert signals(api, as_of=str(today + timedelta(days=15)), incident_days=20) == []
    assert signals(api, as_of=str(today + timedelta(days=5)), incident_days=3) == [
        {**found, "reason": found["reason"].replace("15 days, more than 14", "5 days, more than 3")}
    ]
    # Resolved: no longer a reason.
    done = api.patch(
        f"/v1/incidents/{incident['id']}", {"status": "resolved", "note": "Fixed the rota."}
    )
    assert done.status_code == 200, done.text
    assert signals(api, as_of=str(today + timedelta(days=15))) == []
    other = api.get("/v1/review-signals", params={"journey_id": "another"})
    assert other.json()["signals"] == []


def delivered(ev, prefix: str, days_ago: int, met: int, missed: int) -> list[dict[str, Any]]:
    at = datetime.combine((ev.now - timedelta(days=days_ago)).date(), time(12), UTC)
    return [
        {
            "event_id": f"{prefix}-{i}",
            "customer_id": f"{prefix}-{i}",
            "activity": prefix,
            "occurred_at": (at + timedelta(minutes=i)).isoformat(),
            "attributes": {
                ("late_days" if prefix == "parcel_delivered" else "reopened"): (0 if i < met else 3)
            },
        }
        for i in range(met + missed)
    ]


def test_a_standard_below_its_objective_is_a_reason(ev, api, send, ingest_key):
    mapped(ev, send)
    # 40 days ago: deliveries on time 80 % (objective 90 %), tickets 95 % closed for good.
    post_activities(
        api,
        ingest_key,
        delivered(ev, "parcel_delivered", 40, 16, 4) + delivered(ev, "ticket_closed", 40, 19, 1),
    )
    as_of = ev.now.date() - timedelta(days=30)
    [found] = signals(api, as_of=str(as_of))
    assert found == {
        "journey_id": JOURNEY,
        "kind": "standard_missed",
        "key": f"standard_missed:{DELIVER}",
        "touchpoint_id": DELIVER,
        "reason": f"Deliver: its standard was met on 80.0% of 20 occasions in the 28 days to "
        f"{as_of}, below its objective of 90.0%.",
        "since": str(as_of - timedelta(days=27)),
    }
    # The 28 days to today hold none of those occasions: no reason.
    assert signals(api) == []
    # Every journey: the same reason.
    every = api.get("/v1/review-signals", params={"as_of": str(as_of)}).json()["signals"]
    assert every == [found]


def test_an_undocumented_activity_met_often_is_a_reason(ev, api, send, ingest_key):
    mapped(ev, send)
    rows = []
    for c in range(12):
        at = datetime.combine((ev.now - timedelta(days=10)).date(), time(9), UTC)
        for offset, activity, attributes in (
            (0, "parcel_delivered", {"late_days": 0}),
            (1, "courier_called", {}),
        ):
            rows.append(
                {
                    "event_id": f"u-{c}-{activity}",
                    "customer_id": f"U-{c}",
                    "activity": activity,
                    "occurred_at": (at + timedelta(hours=offset)).isoformat(),
                    "attributes": attributes,
                }
            )
    post_activities(api, ingest_key, rows)
    today = ev.now.date()
    [found] = signals(api, undocumented_min=12)
    assert found == {
        "journey_id": JOURNEY,
        "kind": "undocumented_touchpoint",
        "key": "undocumented_touchpoint:courier_called",
        "touchpoint_id": None,
        "reason": "Customers met 'courier_called', which no touchpoint of the map lists, in 12 "
        f"of the journey's cases that started in the 28 days to {today} (at least 12).",
        "since": str(today - timedelta(days=27)),
    }
    assert signals(api, undocumented_min=13) == []
    assert signals(api) == []  # the default threshold: 50
    # Before the cases started: nothing to see.
    assert signals(api, undocumented_min=1, as_of=str(today - timedelta(days=11))) == []


def nps_day(ev, touchpoint: str, days_ago: int, mix: tuple[int, int, int]) -> list[dict]:
    made = []
    for score, n in zip((10, 8, 3), mix, strict=True):
        made += [
            ev.response(f"{touchpoint}-{days_ago}-{score}-{i}", touchpoint_id=touchpoint,
                        nps=score, days_ago=days_ago)
            for i in range(n)
        ]  # fmt: skip
    return made


def action(ev, action_id: str, shipped_ago: int) -> dict[str, Any]:
    shipped = ev.now - timedelta(days=shipped_ago)
    return ev.event(
        "action.shipped",
        {
            "id": action_id,
            "version": 2,
            "journey_id": JOURNEY,
            "title": f"Action {action_id}",
            "state": "shipped",
            "affected_touchpoint_ids": [DELIVER],
            "shipped_at": shipped.isoformat(),
        },
    )


def test_a_shipped_action_whose_frozen_effect_is_worse_is_a_reason(ev, api, send):
    mapped(ev, send)
    made = []
    for days_ago in range(1, 91):
        worse = days_ago < 50
        made += nps_day(ev, DELIVER, days_ago, (1, 2, 7) if worse else (3, 4, 3))
        made += nps_day(ev, SUPPORT, days_ago, (3, 4, 3))
    for start in range(0, len(made), 500):
        send(*made[start : start + 500])
    # The same drop, judged 50 days after shipping (frozen) and 20 days after (too early).
    send(action(ev, "act-worse", 50), action(ev, "act-early", 20))
    assert api.get("/v1/actions/act-worse/effect").json()["effect"]["verdict"] == "worse"
    assert api.get("/v1/actions/act-early/effect").json()["frozen"] is False
    today = ev.now.date()
    [found] = signals(api)
    assert {k: v for k, v in found.items() if k != "reason"} == {
        "journey_id": JOURNEY,
        "kind": "action_worse",
        "key": "action_worse:act-worse",
        "touchpoint_id": None,
        "since": str(today),
    }
    assert found["reason"].startswith("The shipped action 'Action act-worse' made the "
                                      "experience worse: NPS fell")  # fmt: skip
    # Before its effect was measured and frozen it was no reason.
    assert signals(api, as_of=str(today - timedelta(days=1))) == []


def test_the_query_is_checked(api):
    for params in (
        {"as_of": "2026-13-01"},
        {"as_of": "yesterday"},
        {"incident_days": 0},
        {"undocumented_min": 0},
        {"journey_id": ""},
    ):
        response = api.get("/v1/review-signals", params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert api.client.get("/v1/review-signals").status_code == 401
