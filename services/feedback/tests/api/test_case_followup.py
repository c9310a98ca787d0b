"""The recovery follow-up: a link tied to a resolved case, answered once by the customer, whose
answer records whether the customer was recovered."""

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from cxshared.events.models import OutboxEvent
from cxshared.testing.api import Api, make_api
from feedback.main import create_app

from .test_cases import answer, event_types, listed, patch

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def resolved_case(api: Api, nps: int = 2, who: str = "cust-1") -> dict[str, Any]:
    answer(api, nps, who=who)
    case = next(c for c in listed(api) if c["respondent_external_id"] == who)
    done = patch(
        api,
        case,
        {"state": "resolved", "resolution": "Re-sent the parcel."},
        **{"If-Match": f'"{case["version"]}"'},
    )
    assert done.status_code == 200, done.text
    return done.json()  # type: ignore[no-any-return]


def follow_up(api: Api, case: dict[str, Any]) -> dict[str, Any]:
    return api.created(f"/v1/cases/{case['id']}/follow-up", {})


def updates(api: Api, case_id: str) -> list[dict[str, Any]]:
    with Session(api.client.app.state.engine) as session:
        rows = session.exec(
            select(OutboxEvent).where(
                OutboxEvent.subject == case_id, OutboxEvent.type == "case.updated"
            )
        ).all()
        return [e.data for e in rows if "recovered" in e.data.get("changes", {})]


def test_a_resolved_case_gets_a_link_that_asks_the_metric_again(api, published):
    case = resolved_case(api)
    link = follow_up(api, case)
    assert link["link"] == f"/f/{link['token']}" and link["question"] == "Did we put this right?"
    assert link["metric"] == {
        "key": "nps",
        "type": "nps",
        "prompt": "How likely are you to recommend us?",
        "min": 0,
        "max": 10,
    }
    shown = api.client.get(f"/v1/public/case-follow-ups/{link['token']}").json()
    assert shown["status"] == "open" and shown["title"] == "How was your delivery?"
    assert shown["answer"] is None
    read = api.get(f"/v1/cases/{case['id']}").json()
    assert read["follow_up"]["sent_at"] is not None and read["recovered"] is None
    assert event_types(api, case["id"])[-1] == "case.updated"  # metrics counts it as sent


def test_an_open_case_has_no_follow_up_yet(api, published):
    answer(api, 1)
    [case] = listed(api)
    refused = api.post(f"/v1/cases/{case['id']}/follow-up", {})
    assert refused.status_code == 409 and refused.json()["type"].endswith("case-not-resolved")


def test_put_right_and_no_longer_a_detractor_is_recovered_once_however_often_retried(
    api, published
):
    case = resolved_case(api)
    token = follow_up(api, case)["token"]
    url = f"/v1/public/case-follow-ups/{token}"
    first = api.client.post(url, json={"put_right": True, "score": 8})
    assert first.status_code == 200, first.text
    assert first.json()["answer"] | {"answered_at": None} == {
        "put_right": True,
        "score": 8,
        "recovered": True,
        "answered_at": None,
    }
    # A retry, or a change of heart, returns the first answer and changes nothing.
    again = api.client.post(url, json={"put_right": False, "score": 1})
    assert again.status_code == 200 and again.json()["answer"] == first.json()["answer"]
    read = api.get(f"/v1/cases/{case['id']}").json()
    assert read["recovered"] is True and read["follow_up"]["score"] == 8
    [event] = updates(api, case["id"])
    assert event["recovered"] is True and event["changes"]["recovered"]["after"] is True
    assert event["follow_up"]["sent_at"] is not None and event["follow_up"]["put_right"] is True
    history = api.get(f"/v1/cases/{case['id']}/history").json()
    assert [h["action"] for h in history].count("follow_up_answered") == 1
    used = api.post(f"/v1/cases/{case['id']}/follow-up", {})
    assert used.status_code == 409 and used.json()["type"].endswith("follow-up-answered")


def test_still_a_detractor_or_not_put_right_is_not_recovered(api, published):
    for who, body in (
        ("cust-a", {"put_right": True, "score": 6}),
        ("cust-b", {"put_right": False, "score": 10}),
    ):
        token = follow_up(api, resolved_case(api, who=who))["token"]
        answered = api.client.post(f"/v1/public/case-follow-ups/{token}", json=body)
        assert answered.json()["answer"]["recovered"] is False, who


def test_the_metric_is_required_and_checked_when_asked(api, published):
    token = follow_up(api, resolved_case(api))["token"]
    url = f"/v1/public/case-follow-ups/{token}"
    assert api.client.post(url, json={"put_right": True}).status_code == 422
    assert api.client.post(url, json={"put_right": True, "score": 11}).status_code == 422
    assert api.client.get(url).json()["status"] == "open"


def test_two_answers_at_once_record_one(api, published):
    case = resolved_case(api)
    url = f"/v1/public/case-follow-ups/{follow_up(api, case)['token']}"
    results: list[Any] = []

    def send(score: int) -> None:
        results.append(api.client.post(url, json={"put_right": True, "score": score}).json())

    threads = [threading.Thread(target=send, args=(s,)) for s in (9, 3, 10, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r["answer"]["score"] for r in results}) == 1
    assert len(updates(api, case["id"])) == 1


def test_an_unknown_a_replaced_and_an_expired_link(settings, published):
    now = [T0]
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        client.app.state.case_policy.clock = lambda: now[0]
        api = make_api(client, settings.database_url)
        assert client.get("/v1/public/case-follow-ups/nope").status_code == 404
        case = resolved_case(api)
        old = follow_up(api, case)["token"]
        token = follow_up(api, case)["token"]  # a new link retires the old one
        assert (
            client.post(f"/v1/public/case-follow-ups/{old}", json={"put_right": True}).status_code
            == 404
        )
        now[0] = T0 + timedelta(days=14, seconds=1)
        url = f"/v1/public/case-follow-ups/{token}"
        assert client.get(url).json()["status"] == "expired"
        late = client.post(url, json={"put_right": True, "score": 9})
        assert late.status_code == 410 and late.json()["type"].endswith("follow-up-expired")
        assert api.get(f"/v1/cases/{case['id']}").json()["recovered"] is None


def test_a_ticket_opened_earlier_runs_its_sla_clocks_from_then(settings):
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        client.app.state.case_policy.clock = lambda: T0
        api = make_api(client, settings.database_url)
        body = {"title": "Ticket 4711", "priority": "high", "respondent_external_id": "c-9"}
        late = api.created("/v1/cases", {**body, "opened_at": "2026-11-30T08:00:00Z"})
        assert late["opened_at"] == "2026-11-30T08:00:00Z"
        assert late["sla"]["first_contact"]["breached"]  # 25 h without contact, 24 h allowed
        ahead = api.created("/v1/cases", {**body, "opened_at": "2026-12-09T00:00:00Z"})
        assert ahead["opened_at"] == "2026-12-01T09:00:00Z"  # a time to come counts as now
