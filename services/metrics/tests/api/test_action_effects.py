"""The stored effect of a shipped action (docs/metrics.md, "Stored effects of shipped
actions"): an `action.shipped` event stores the effect; it is measured again each day while
the after window is open and frozen once it is over; a new ship date unfreezes it; standards
compliance and the churn of the customers who passed the touchpoints are measured, each
against a computation from the planted data."""

import random
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from typing import Any

import pytest
from fastapi.testclient import TestClient

import metrics.alerts.worker as worker
import metrics.ingest.service as ingest_service
from metrics.effects.service import refresh_due
from metrics.main import create_app

JOURNEY = "journey-act"
TREATED, CONTROL = "tp-deliver", "tp-support"
_ids = count()


def touchpoints(ev) -> list[dict[str, Any]]:
    """Two touchpoints, each with a standard: a parcel delivered on time, a ticket closed
    without being reopened."""
    return ev.measured_touchpoints(
        JOURNEY, (TREATED, "parcel_delivered", "late_days"), (CONTROL, "ticket_closed", "reopened")
    )


def action(ev, *, version: int, shipped_on: date | None, verb: str = "shipped", **extra: Any):
    data = {
        "id": "act-1",
        "version": version,
        "journey_id": JOURNEY,
        "title": "Courier texts a delivery slot",
        "state": "shipped" if shipped_on else "planned",
        "touchpoint_ids": [TREATED],
        "stage_ids": [],
        "affected_touchpoint_ids": [TREATED],
        "shipped_at": datetime.combine(shipped_on, time(10), UTC).isoformat()
        if shipped_on
        else None,
        **extra,
    }
    return ev.event(f"action.{verb}", data)


def nps_answers(ev, touchpoint: str, days: range, per_day: int = 4) -> list[dict[str, Any]]:
    """The same NPS mix every day: 2 promoters, 1 passive, 1 detractor."""
    scores = [10, 10, 8, 3]
    return [
        ev.response(f"r{next(_ids)}", touchpoint_id=touchpoint, nps=scores[i % 4], days_ago=d)
        for d in days
        for i in range(per_day)
    ]


def send_all(send, events: list[dict[str, Any]]) -> None:
    for start in range(0, len(events), 500):
        send(*events[start : start + 500])


def stored(api, action_id: str = "act-1", status: int = 200) -> dict[str, Any]:
    response = api.get(f"/v1/actions/{action_id}/effect")
    assert response.status_code == status, response.text
    return response.json()


def metric(body: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [m for m in body["metrics"] if m["metric"] == name]
    return found


@pytest.fixture
def engine(api):
    return api.client.app.state.engine


def test_a_shipped_action_stores_the_effect_get_effects_measures(ev, api, send):
    send(*touchpoints(ev))
    send_all(send, nps_answers(ev, TREATED, range(1, 91)) + nps_answers(ev, CONTROL, range(1, 91)))
    shipped_on = ev.now.date() - timedelta(days=50)
    send(action(ev, version=2, shipped_on=shipped_on))
    body = stored(api)
    live = api.get(
        "/v1/effects",
        params={"journey_id": JOURNEY, "touchpoint_id": TREATED, "shipped_on": str(shipped_on)},
    ).json()
    assert body["effect"] == live
    assert body["frozen"] is True  # the after window ended 16 days ago
    assert body["computed_on"] == ev.now.date().isoformat()
    assert (body["action_id"], body["journey_id"], body["version"]) == ("act-1", JOURNEY, 2)
    assert metric(body["effect"], "nps")["changed"]["before"]["n"] == 28 * 4
    listed = api.get("/v1/action-effects", params={"journey_id": JOURNEY}).json()
    assert listed["items"] == [body] and listed["next_cursor"] is None
    assert api.get("/v1/action-effects", params={"journey_id": "other"}).json()["items"] == []


def test_an_action_not_shipped_or_unknown_has_no_effect(ev, api, send):
    send(action(ev, version=1, shipped_on=None, verb="created"))
    assert stored(api, status=404)["type"].endswith("not-found")
    assert stored(api, "nope", status=404)["status"] == 404
    assert api.get("/v1/action-effects").json()["items"] == []
    assert api.get("/v1/action-effects", params={"limit": 0}).status_code == 422
    assert api.get("/v1/action-effects", params={"cursor": "!!"}).status_code == 400
    assert api.client.get("/v1/actions/act-1/effect").status_code == 401


def test_the_effect_is_measured_daily_while_too_early_then_frozen(ev, api, send, engine):
    today = ev.now.date()
    send(*touchpoints(ev))
    send_all(send, nps_answers(ev, TREATED, range(1, 40)))
    send(action(ev, version=2, shipped_on=today - timedelta(days=20)))
    first = stored(api)
    assert first["frozen"] is False and first["effect"]["verdict"] == "too_early"
    assert first["computed_on"] == today.isoformat()
    # Measured today already: the daily round leaves it.
    assert refresh_due(engine, today=today, min_responses=30) == 0
    # The after window runs from 13 days ago to 14 days ahead.
    send_all(send, nps_answers(ev, TREATED, range(0, 1)))
    assert refresh_due(engine, today=today + timedelta(days=1), min_responses=30) == 1
    next_day = stored(api)
    assert next_day["frozen"] is False
    assert next_day["computed_on"] == (today + timedelta(days=1)).isoformat()
    after = metric(next_day["effect"], "nps")["changed"]["after"]["n"]
    assert after == metric(first["effect"], "nps")["changed"]["after"]["n"] + 4
    # The day after the window ends it is measured once more, and frozen.
    over = today + timedelta(days=15)
    assert refresh_due(engine, today=over, min_responses=30) == 1
    final = stored(api)
    assert final["frozen"] is True and final["computed_on"] == over.isoformat()
    assert final["effect"]["windows"]["complete"] is True
    assert final["effect"]["verdict"] != "too_early"
    # Frozen: late answers in its window, later rounds and an edit of the title change nothing.
    send_all(send, nps_answers(ev, TREATED, range(2, 5)))
    assert refresh_due(engine, today=over + timedelta(days=1), min_responses=30) == 0
    send(action(ev, version=3, shipped_on=today - timedelta(days=20), verb="updated"))
    assert {**stored(api), "version": 2} == final
    assert metric(stored(api)["effect"], "nps")["changed"]["after"]["n"] == after


def test_a_new_ship_date_unfreezes_the_effect_and_old_events_change_nothing(
    ev, api, send, monkeypatch
):
    today = ev.now.date()
    send(*touchpoints(ev))
    send_all(send, nps_answers(ev, TREATED, range(1, 91)))
    send(action(ev, version=2, shipped_on=today - timedelta(days=60)))
    assert stored(api)["frozen"] is True
    # The ship date was wrong: ten days ago. Measured again, on the day the event arrives.
    tomorrow = datetime.combine(today + timedelta(days=1), time(9), UTC)
    monkeypatch.setattr(ingest_service, "utcnow", lambda: tomorrow)
    send(action(ev, version=3, shipped_on=today - timedelta(days=10), verb="updated"))
    moved = stored(api)
    assert moved["frozen"] is False and moved["version"] == 3
    assert moved["computed_on"] == tomorrow.date().isoformat()
    assert moved["effect"]["shipped_on"] == (today - timedelta(days=10)).isoformat()
    assert moved["effect"]["verdict"] == "too_early"
    # A late delivery of an older version, or a repeat, changes nothing.
    send(action(ev, version=2, shipped_on=today - timedelta(days=60)))
    assert stored(api) == moved
    # Other touchpoints: measured again too.
    send(
        action(
            ev,
            version=4,
            shipped_on=today - timedelta(days=10),
            verb="updated",
            affected_touchpoint_ids=[TREATED, CONTROL],
        )
    )
    assert stored(api)["effect"]["touchpoint_ids"] == sorted([TREATED, CONTROL])
    # Deleted: gone, and an older event does not bring it back.
    send(action(ev, version=5, shipped_on=today - timedelta(days=10), verb="deleted", deleted=True))
    stored(api, status=404)
    send(action(ev, version=4, shipped_on=today - timedelta(days=10), verb="updated"))
    stored(api, status=404)


def test_the_background_round_measures_an_open_effect_on_a_new_day(
    ev, api, send, settings, monkeypatch
):
    today = ev.now.date()
    send(*touchpoints(ev))
    send_all(send, nps_answers(ev, TREATED, range(1, 30)))
    send(action(ev, version=2, shipped_on=today - timedelta(days=20)))
    assert stored(api)["computed_on"] == today.isoformat()
    tomorrow = datetime.combine(today + timedelta(days=1), time(0, 5), UTC)
    monkeypatch.setattr(worker, "utcnow", lambda: tomorrow)
    # The app's own background round (alerts and effects), started with the app.
    with TestClient(create_app(settings.model_copy(update={"alerts_in_process": True}))):
        deadline = clock.monotonic() + 20
        while stored(api)["computed_on"] != tomorrow.date().isoformat():
            assert clock.monotonic() < deadline, "the round did not measure the effect"
            clock.sleep(0.2)
    assert stored(api)["frozen"] is False


def post_activities(api, ingest_key, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 1000):
        response = api.client.post(
            "/v1/activities", json={"activities": rows[start : start + 1000]}, headers=ingest_key
        )
        assert response.status_code == 200, response.text


def occasions(now: datetime, activity: str, attribute: str, days: range, share_met, rng):
    """10 occasions a day, each met (attribute 0) with the day's chance."""
    rows, met = [], {}
    for d in days:
        at = datetime.combine((now - timedelta(days=d)).date(), time(12), UTC)
        for i in range(10):
            ok = rng.random() < share_met(d)
            met[d] = met.get(d, 0) + ok
            rows.append(
                {
                    "event_id": f"{activity}-{d}-{i}",
                    "customer_id": f"C-{activity}-{d}-{i}",
                    "activity": activity,
                    "occurred_at": at.isoformat(),
                    "attributes": {attribute: 0 if ok else 2},
                }
            )
    return rows, met


def test_a_planted_change_in_standards_compliance_is_recovered(ev, api, send, ingest_key):
    """Compliance at the changed touchpoint from 60 % to 90 % at the ship date, at the
    untouched one 80 % throughout: 30 points credited to the action."""
    send(*touchpoints(ev))
    shipped_ago = 50
    rng = random.Random(4)
    treated, treated_met = occasions(
        ev.now, "parcel_delivered", "late_days", range(1, 91),
        lambda d: 0.9 if d < shipped_ago else 0.6, rng,
    )  # fmt: skip
    control, control_met = occasions(
        ev.now, "ticket_closed", "reopened", range(1, 91), lambda d: 0.8, rng
    )
    post_activities(api, ingest_key, treated + control)
    shipped_on = ev.now.date() - timedelta(days=shipped_ago)
    send(action(ev, version=2, shipped_on=shipped_on))
    compliance = metric(stored(api)["effect"], "compliance")

    def share(met: dict[int, int], days: range) -> tuple[float, int]:
        return 100 * sum(met[d] for d in days) / (10 * len(days)), 10 * len(days)

    before_days, after_days = range(51, 79), range(16, 44)  # 28 days each, 7 settling
    expected = {}
    for name, met in (("changed", treated_met), ("untouched", control_met)):
        (b, n_b), (a, n_a) = share(met, before_days), share(met, after_days)
        side = compliance[name]
        assert (side["before"]["n"], side["after"]["n"]) == (n_b, n_a) == (280, 280)
        assert side["before"]["value"] == pytest.approx(b)
        assert side["after"]["value"] == pytest.approx(a)
        expected[name] = a - b
    shift = compliance["difference_in_differences"]
    assert compliance["tested"] == "difference_in_differences"
    assert shift["difference"] == pytest.approx(expected["changed"] - expected["untouched"])
    assert shift["low"] < 30 < shift["high"]  # the planted change within the interval
    assert shift["low"] > 0 and compliance["direction"] == "better"


def test_churn_of_the_customers_who_passed_the_touchpoints(ev, api, send):
    """50 customers answer at the changed touchpoint in each window; 20 of those before churn
    by the window's end, 5 of those after. Customers who had left before answering, without a
    known outcome, or who answered elsewhere do not count."""
    send(*touchpoints(ev))
    today = ev.now.date()
    shipped_on = today - timedelta(days=50)
    before_end, after_end = shipped_on - timedelta(days=1), today - timedelta(days=16)
    answers, outcomes = [], []
    rng = random.Random(9)
    for window, days, end, gone in (("b", (51, 78), before_end, 20), ("a", (16, 43), after_end, 5)):
        for i in range(50):
            customer = f"{window}-{i}"
            days_ago = rng.randint(*days)
            answers.append(
                ev.response(f"r-{customer}", touchpoint_id=TREATED, nps=[10, 8, 3][i % 3],
                            respondent=customer, days_ago=days_ago)
            )  # fmt: skip
            answered = today - timedelta(days=days_ago)
            churned = answered + (end - answered) * rng.random() if i < gone else None
            outcomes.append({"external_id": customer, "churn_date": churned and str(churned)})
    for customer, touchpoint, churned in (
        ("left-first", TREATED, today - timedelta(days=70)),
        ("elsewhere", CONTROL, today - timedelta(days=20)),
        ("unknown", TREATED, None),
    ):
        answers.append(
            ev.response(f"r-{customer}", touchpoint_id=touchpoint, nps=3, respondent=customer,
                        days_ago=30)
        )  # fmt: skip
        if customer != "unknown":
            outcomes.append({"external_id": customer, "churn_date": str(churned)})
    send(*answers)
    assert api.post("/v1/customers", {"customers": outcomes}).status_code == 200
    send(action(ev, version=2, shipped_on=shipped_on))
    body = stored(api)["effect"]
    churn = metric(body, "churn")
    assert churn["changed"]["before"]["n"] == churn["changed"]["after"]["n"] == 50
    assert churn["changed"]["before"]["value"] == pytest.approx(40)
    assert churn["changed"]["after"]["value"] == pytest.approx(10)
    assert churn["changed"]["change"]["difference"] == pytest.approx(-30)
    assert churn["untouched"] is None and churn["tested"] == "before_after"
    assert churn["significant"] and churn["direction"] == "better"
    # One Benjamini-Hochberg adjustment across every metric tested, churn included.
    tested = {m["metric"]: m for m in body["metrics"] if m["tested"] != "none"}
    assert set(tested) == {"nps", "churn"}  # no occasions: no compliance
    raw = {name: m["changed"]["change"]["p_value"] for name, m in tested.items()}
    ranked = sorted(raw, key=raw.get)
    m = len(ranked)
    for name in raw:
        rank = ranked.index(name) + 1
        bh = min(min(raw[o] * m / (ranked.index(o) + 1) for o in ranked[rank - 1 :]), 1)
        assert tested[name]["p_adjusted"] == pytest.approx(bh, rel=1e-9)
    assert body["verdict"] == "improved" and "Churn fell 30.0 points" in body["reason"]
