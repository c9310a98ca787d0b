"""Cases: opened by rules when a response completes (once per rule), routed to the
touchpoint's owner, worked through their states, with SLA clocks on a controlled clock."""

import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from cxshared.auth import Scope
from cxshared.db import write_session
from cxshared.events.models import OutboxEvent
from cxshared.sentiment import sentiment
from cxshared.testing.api import Api, bearer, make_api, make_key
from feedback.cases import service as cases
from feedback.cases.models import Case
from feedback.main import create_app
from feedback.responses.models import Response
from feedback.surveys.models import SurveyVersion

URL = "/v1/public/surveys/delivery/responses"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def touchpoint(version: int, owner: str | None, team: str | None = None) -> dict[str, Any]:
    return {
        "id": f"ev-tp-{version}",
        "type": "touchpoint.updated",
        "occurred_at": "2026-12-01T09:00:00+00:00",
        "source": "journey",
        "data": {
            "id": "tp-courier",
            "version": version,
            "name": "Courier",
            "journey_id": "j-delivery",
            "journey": {"id": "j-delivery", "name": "Delivery"},
            "owner_name": (owner or "").split("@")[0],
            "owner_email": owner,
            "owner_team_id": team,
        },
    }


def team(version: int, lead: str | None) -> dict[str, Any]:
    return {
        "id": f"ev-team-{version}",
        "type": "team.updated",
        "occurred_at": "2026-12-01T09:00:00+00:00",
        "source": "journey",
        "data": {"id": "team-log", "version": version, "name": "Logistics", "lead_email": lead},
    }


@pytest.fixture
def journey(api: Api):
    key = bearer(make_key(api.database_url, "journey-relay", Scope.INGEST))

    def deliver(*events: dict[str, Any]) -> None:
        response = api.post("/v1/events", {"events": list(events)}, headers=key)
        assert response.status_code == 200, response.text

    return deliver


def answer(api: Api, nps: int, *, who: str = "cust-1", submission: str | None = None, **more: Any):
    body = {
        "submission_id": submission or uuid.uuid4().hex,
        "respondent": {"external_id": who},
        "answers": {"nps": nps, "ease": 4, **more},
    }
    response = api.client.post(URL, json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()


def listed(api: Api, **filters: Any) -> list[dict[str, Any]]:
    response = api.get("/v1/cases", params=filters)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def event_types(api: Api, case_id: str) -> list[str]:
    with Session(api.client.app.state.engine) as session:
        rows = session.exec(select(OutboxEvent).where(OutboxEvent.subject == case_id)).all()
        return [e.type for e in sorted(rows, key=lambda e: e.id)]


def test_a_detractor_opens_a_high_priority_case_for_the_touchpoints_owner(api, published, journey):
    journey(touchpoint(1, "ana@example.com", "team-log"))
    answer(api, 2, what_went_wrong="The parcel was wet")
    answer(api, 9)
    [case] = listed(api)
    assert (case["priority"], case["state"], case["reason"]) == ("high", "open", "NPS 2 (0-3)")
    assert case["title"] == "Courier: NPS 2 (0-3)"  # what the rule saw, and where
    assert case["assignee"]["email"] == "ana@example.com" and case["assignee"]["routed"]
    assert case["description"] == "The parcel was wet" and case["journey_name"] == "Delivery"
    assert event_types(api, case["id"]) == ["case.opened", "case.assigned"]
    answer(api, 5)
    assert [c["priority"] for c in listed(api)] == ["normal", "high"]


def test_without_an_owner_the_case_goes_to_the_teams_lead_else_unassigned(api, published, journey):
    answer(api, 1)
    assert len(listed(api, unassigned=True)) == 1
    # Once journey names a team with a lead, the waiting case goes to them, and the next too.
    journey(touchpoint(1, None, "team-log"), team(1, "lead@example.com"))
    answer(api, 1, who="cust-2")
    assert [c["assignee"]["email"] for c in listed(api)] == ["lead@example.com"] * 2
    assert listed(api, unassigned=True) == []


def test_a_retried_answer_never_opens_a_second_case(api, published):
    submission = uuid.uuid4().hex
    for _ in range(3):
        answer(api, 0, submission=submission)
    assert len(listed(api)) == 1


def test_replaying_the_rules_at_the_same_time_opens_one_case(api, published):
    stored = answer(api, 3)
    engine, app = api.client.app.state.engine, api.client.app
    barrier, errors = threading.Barrier(4), []

    def replay() -> None:
        try:
            barrier.wait()
            with write_session(engine) as session:
                response = session.get(Response, stored["id"])
                version = session.exec(select(SurveyVersion)).first()
                cases.open_from_rules(
                    session,
                    app.state.outbox,
                    app.state.case_policy,
                    response=response,
                    questions=version.definition["questions"],
                    now=T0,
                )
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=replay) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Session(engine) as session:
        assert len(session.exec(select(Case)).all()) == 1


def test_a_survey_with_rules_of_its_own_uses_them_instead_of_the_defaults(api, published):
    rule = api.created(
        "/v1/case-rules",
        {
            "name": "Damaged",
            "survey_id": published["id"],
            "kind": "option",
            "question": "topics",
            "option": "damaged",
            "priority": "high",
        },
    )
    answer(api, 2)  # a detractor, but the survey's own rule wants damaged parcels
    answer(api, 9, topics=["late", "damaged"])
    [case] = listed(api)
    assert case["rule"]["id"] == rule["id"] and case["reason"].startswith("chose")


def test_a_case_rule_needs_a_condition(api):
    response = api.post("/v1/case-rules", {"name": "Bad", "kind": "nps"})
    assert response.status_code == 422


LATE = "The parcel arrived two days late and soaked."


def test_a_negative_comment_opens_a_case_by_the_sentiment_rule_once(api, published):
    rule = api.created(
        "/v1/case-rules",
        {"name": "Negative comment", "survey_id": published["id"], "kind": "sentiment"},
    )
    assert rule["threshold"] is None  # where a comment reads negative: below -0.05
    submission = uuid.uuid4().hex
    for _ in range(2):
        answer(api, 6, submission=submission, what_went_wrong=LATE)
    answer(api, 6, who="cust-2", what_went_wrong="The courier was friendly and quick, thanks!")
    answer(api, 6, who="cust-3")  # no comment: nothing to read
    [case] = listed(api)
    assert case["rule"]["id"] == rule["id"] and case["respondent_external_id"] == "cust-1"
    assert case["reason"] == f"comment reads negative ({sentiment(LATE):.2f})"
    assert sentiment(LATE) < -0.05 and case["title"] == "Comment reads negative (-0.61)"


def test_a_sentiment_rule_opens_a_case_only_below_its_threshold(api, published):
    api.created(
        "/v1/case-rules",
        {
            "name": "Angry",
            "survey_id": published["id"],
            "kind": "sentiment",
            "threshold": sentiment(LATE),
        },
    )
    answer(api, 6, what_went_wrong=LATE)
    assert listed(api) == []
    answer(api, 6, who="cust-2", what_went_wrong=f"{LATE} Nobody answered my calls. Awful!")
    assert [c["respondent_external_id"] for c in listed(api)] == ["cust-2"]


def test_the_service_starts_without_loading_vader(settings):
    # VADER is loaded by the first sentiment rule: start-up time does not pay for it.
    code = (
        "import sys\n"
        "from feedback.config import Settings\n"
        "from feedback.main import create_app\n"
        "create_app(Settings(database_url=sys.argv[1]))\n"
        "assert not [m for m in sys.modules if m.startswith('vaderSentiment')], 'VADER loaded'\n"
    )
    subprocess.run([sys.executable, "-c", code, settings.database_url], check=True)


@pytest.mark.parametrize(
    "rule",
    [
        {"kind": "nps", "max_value": 3, "threshold": -0.5},
        {"kind": "sentiment", "threshold": -1.5},
        {"kind": "sentiment", "threshold": True},
        {"kind": "sentiment", "threshold": "-0.5"},
    ],
)
def test_a_threshold_belongs_to_a_sentiment_rule_between_minus_one_and_one(api, rule):
    response = api.post("/v1/case-rules", {"name": "Bad", **rule})
    assert response.status_code == 422, response.text


def test_staff_open_a_case_by_hand_for_a_customer(api, journey):
    journey(touchpoint(1, "ana@example.com"))
    created = api.post(
        "/v1/cases",
        {"title": "Ticket 4711", "respondent_external_id": "cust-9", "touchpoint_id": "tp-courier"},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["source"], body["assignee"]["email"]) == ("manual", "ana@example.com")
    assert created.headers["ETag"] == '"1"'
    assert listed(api, respondent="cust-9")[0]["id"] == body["id"]


OUTREACH = {
    "title": "At risk: €12,400 a year, detractor since 12 Oct",
    "source": "outreach",
    "respondent_external_id": "cust-7",
    "priority": "high",
}


def test_a_customer_has_one_outreach_case_while_it_is_worked(api):
    first = api.post("/v1/cases", OUTREACH)
    assert first.status_code == 201, first.text
    case = first.json()
    assert (case["source"], case["assignee"]["email"]) == ("outreach", None)
    again = api.post("/v1/cases", {**OUTREACH, "title": "At risk again"})
    assert again.status_code == 200 and again.json()["id"] == case["id"]
    assert again.json()["title"] == OUTREACH["title"]
    assert api.post("/v1/cases", {**OUTREACH, "source": "manual"}).status_code == 201
    other = api.created("/v1/cases", {**OUTREACH, "respondent_external_id": "cust-8"})
    outreach = listed(api, source="outreach", active=True, respondent=["cust-7", "cust-8"])
    assert {c["id"] for c in outreach} == {case["id"], other["id"]}
    assert listed(api, respondent=["c" * 200]) == []  # as long as a case's customer may be
    # Once it is resolved, the next click opens a new one; the old one cannot then reopen.
    resolved = patch(api, case, {"state": "resolved", "resolution": "Called; a discount."})
    assert resolved.status_code == 200, resolved.text
    fresh = api.post("/v1/cases", OUTREACH)
    assert fresh.status_code == 201 and fresh.json()["id"] != case["id"]
    refused = patch(api, case, {"state": "open"})
    assert refused.status_code == 409 and fresh.json()["id"] in refused.json()["detail"]


def test_an_outreach_case_needs_the_customer(api):
    body = {key: value for key, value in OUTREACH.items() if key != "respondent_external_id"}
    response = api.post("/v1/cases", body)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"].endswith("respondent_external_id") and error["code"] == "required"


def test_two_clicks_at_once_open_one_outreach_case(api):
    barrier, answers = threading.Barrier(4), []

    def click() -> None:
        barrier.wait()
        answers.append(api.post("/v1/cases", OUTREACH))

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
    assert len({a.json()["id"] for a in answers}) == 1


def open_case(api: Api, **values: Any) -> dict[str, Any]:
    return api.created(
        "/v1/cases", {"title": "Wet parcel", "respondent_external_id": "cust-1", **values}
    )


def patch(api: Api, case: dict[str, Any], body: dict[str, Any], **headers: str):
    return api.patch(f"/v1/cases/{case['id']}", body, headers={**api.gateway, **headers})


def test_working_a_case_through_its_states_keeps_its_history(api):
    case = open_case(api)
    moved = patch(
        api,
        case,
        {"state": "in_progress"},
        **{"If-Match": '"1"', "X-Acting-User": "ana@example.com"},
    )
    assert moved.status_code == 200, moved.text
    assert patch(api, case, {"state": "closed"}).status_code == 409
    refused = patch(api, case, {"state": "resolved"})
    assert refused.status_code == 422 and refused.headers["content-type"].startswith(
        "application/problem+json"
    )
    stale = patch(api, case, {"priority": "high"}, **{"If-Match": '"1"'})
    assert stale.status_code == 412
    resolved = patch(api, case, {"state": "resolved", "resolution": "Refunded the fee."})
    assert resolved.json()["state"] == "resolved"
    reopened = patch(api, case, {"state": "open"})
    assert reopened.json()["resolved_at"] is None
    history = api.get(f"/v1/cases/{case['id']}/history").json()
    assert [h["action"] for h in history][:2] == ["opened", "updated"]
    assert history[1]["actor"] == "ana@example.com"
    assert event_types(api, case["id"])[-3:] == ["case.updated", "case.resolved", "case.reopened"]


def test_notes_contacts_and_a_root_cause_of_the_journey(api, journey):
    journey(touchpoint(1, "ana@example.com"))
    case = open_case(api, touchpoint_id="tp-courier")
    note = api.post(f"/v1/cases/{case['id']}/notes", {"body": "Calling tomorrow."})
    assert note.status_code == 201
    contact = api.post(
        f"/v1/cases/{case['id']}/contacts", {"channel": "phone", "outcome": "reached"}
    )
    assert contact.status_code == 201, contact.text
    read = api.get(f"/v1/cases/{case['id']}").json()
    assert read["first_contact_at"] is not None and read["sla"]["first_contact"]["stopped"]
    other = api.created("/v1/root-causes", {"name": "Rain", "journey_id": "j-other"})
    assert patch(api, case, {"root_cause_id": other["id"]}).status_code == 422
    mine = api.created("/v1/root-causes", {"name": "Rain", "journey_id": "j-delivery"})
    assert patch(api, case, {"root_cause_id": mine["id"]}).json()["root_cause"]["name"] == "Rain"
    assert [n["body"] for n in api.get(f"/v1/cases/{case['id']}/notes").json()] == [
        "Calling tomorrow."
    ]


def test_a_new_owner_gets_the_next_case_and_the_open_ones_of_a_former_owner(
    api, published, journey
):
    journey(touchpoint(1, "ana@example.com"))
    answer(api, 1)
    manual = open_case(api, touchpoint_id="tp-courier", assignee_email="sam@example.com")
    journey(touchpoint(2, "ben@example.com"))
    answer(api, 1, who="cust-2")
    assignees = {c["source"] + ":" + c["assignee"]["email"] for c in listed(api)}
    # Ana owns nothing in the journey any more: her case moved; Sam's was assigned by hand.
    assert assignees == {"rule:ben@example.com", "manual:sam@example.com"}
    first = [c for c in listed(api) if c["source"] == "rule"][-1]
    assert "rerouted" in [h["action"] for h in api.get(f"/v1/cases/{first['id']}/history").json()]
    assert manual["assignee"]["email"] == "sam@example.com"


def test_counts_for_a_person(api, published, journey):
    journey(touchpoint(1, "ana@example.com", "team-log"), team(1, "lead@example.com"))
    answer(api, 1)
    answer(api, 5, who="cust-2")
    counts = api.get("/v1/cases/counts", params={"assignee": "ana@example.com"}).json()
    assert counts == {"mine": 2, "team": 2, "unassigned": 0, "breached": 0, "at_risk": 0}
    # The list's team filter reads the same teams: the lead sees them, an outsider none.
    assert len(listed(api, team_of="lead@example.com")) == 2
    assert listed(api, team_of="someone@example.com") == []
    assert len(listed(api, assignee="ana@example.com", active=True)) == 2
    assert listed(api, assignee="ana@example.com", active=False) == []


def test_sla_clocks_pause_while_waiting_and_a_breach_is_announced_once_across_restarts(
    settings, published
):
    quiet = settings.model_copy(update={"case_sla_check_seconds": 0})
    now = [T0]

    def started() -> tuple[TestClient, Api]:
        client = TestClient(create_app(quiet), raise_server_exceptions=False)
        client.__enter__()
        client.app.state.case_policy.clock = lambda: now[0]
        return client, make_api(client, quiet.database_url)

    client, api = started()
    case = open_case(api, priority="high")  # 24 h to first contact, 5 days to resolve
    now[0] = T0 + timedelta(hours=10)
    patch(api, case, {"state": "waiting_on_customer"})
    now[0] = T0 + timedelta(hours=50)  # 40 h waiting: the clocks stood still
    read = patch(api, case, {"state": "in_progress"}).json()
    assert read["sla"]["first_contact"]["used_seconds"] == 10 * 3600
    assert read["sla"]["first_contact"]["due_at"] == "2026-12-04T01:00:00Z"  # 24 h + 40 h
    now[0] = T0 + timedelta(hours=50 + 10)  # 20 h used: at risk
    assert api.get(f"/v1/cases/{case['id']}").json()["at_risk"]
    assert len(listed(api, at_risk=True)) == 1
    client.__exit__(None, None, None)

    client, api = started()
    now[0] = T0 + timedelta(hours=50 + 15)  # 25 h used: breached
    app = client.app
    sweep = lambda: cases.sweep_breaches(app.state.engine, app.state.outbox, app.state.case_policy)  # noqa: E731
    assert sweep() == 1 and sweep() == 0
    client.__exit__(None, None, None)

    client, api = started()
    app = client.app
    assert cases.sweep_breaches(app.state.engine, app.state.outbox, app.state.case_policy) == 0
    assert event_types(api, case["id"]).count("case.breached") == 1
    assert [c["id"] for c in listed(api, breached=True)] == [case["id"]]
    client.__exit__(None, None, None)


def test_erasing_a_respondent_erases_their_cases_notes_and_contacts(api, published):
    answer(api, 1, who="cust-gone")
    case = open_case(api, respondent_external_id="cust-gone")
    api.post(f"/v1/cases/{case['id']}/notes", {"body": "Spoke to cust-gone."})
    api.post(f"/v1/cases/{case['id']}/contacts", {"channel": "email", "outcome": "reached"})
    kept = open_case(api, respondent_external_id="cust-stays")
    assert api.post("/v1/respondents/cust-gone/erase", headers=api.admin).status_code == 200
    assert [c["id"] for c in listed(api)] == [kept["id"]]
    with Session(api.client.app.state.engine) as session:
        subjects = {e.subject for e in session.exec(select(OutboxEvent)).all()}
    assert case["id"] not in subjects
