"""Capturing answers: judged by the server, stored exactly once."""

import asyncio
import random
import threading
import time
import uuid

import httpx
import pytest
from sqlmodel import Session, select

from cxshared.events.models import OutboxEvent
from cxshared.testing.databases import backend, writer_held

URL = "/v1/public/surveys/delivery/responses"


def submission(**extra):
    return {"submission_id": uuid.uuid4().hex, **extra}


def events(api, kind):
    with Session(api.client.app.state.engine) as session:
        return [e for e in session.exec(select(OutboxEvent)).all() if e.type == kind]


def test_a_complete_response_is_stored_and_published(api, published):
    response = api.client.post(
        URL,
        json=submission(
            answers={
                "nps": 4,
                "what_went_wrong": "Left in the rain",
                "topics": ["late", "damaged"],
                "ease": 2,
            },
            hidden={"order_id": "o-981", "unknown": "dropped"},
            respondent={"external_id": "cust-7", "email": "c7@example.com"},
        ),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["version"], body["thank_you"]) == ("complete", 1, "Thank you!")
    stored = api.get(f"/v1/responses/{body['id']}").json()
    assert stored["hidden"] == {"order_id": "o-981"}
    assert stored["touchpoint_id"] == "tp-courier"
    assert stored["client_ip"] is None  # not kept unless the survey asks
    [event] = events(api, "response.completed")
    data = event.data
    assert (data["response_id"], data["version"], data["touchpoint_id"]) == (
        body["id"],
        1,
        "tp-courier",
    )
    assert data["respondent_external_id"] == "cust-7"
    assert data["hidden"] == {"order_id": "o-981"}
    assert {a["question"]: (a["type"], a["value"]) for a in data["answers"]} == {
        "nps": ("nps", 4),
        "what_went_wrong": ("text", "Left in the rain"),
        "topics": ("multi_choice", ["late", "damaged"]),
        "ease": ("ces", 2),
    }


def test_a_retry_returns_the_first_result_and_stores_nothing(api, published):
    first = api.client.post(URL, json=(payload := submission(answers={"nps": 9, "ease": 6})))
    again = api.client.post(URL, json={**payload, "answers": {"nps": 1, "ease": 1}})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert len(api.get("/v1/responses").json()["items"]) == 1
    assert len(events(api, "response.completed")) == 1


def test_a_retry_gets_its_first_result_where_a_new_answer_would_be_refused(api, published):
    """The retry is found by the unique key, not looked up first: answers that no longer pass,
    a survey filled or paused since, still give the customer their first result."""
    first = api.client.post(URL, json=(payload := submission(answers={"nps": 9, "ease": 6})))
    assert first.status_code == 201
    survey = f"/v1/surveys/{published['id']}"
    for change, refusal in (
        (None, "validation"),
        ({"response_cap": 1}, "survey-full"),
        ({"status": "paused"}, "survey-paused"),
    ):
        if change:
            assert api.patch(survey, change).status_code == 200
        answers = {"nps": 99} if refusal == "validation" else {"nps": 1, "ease": 1}
        again = api.client.post(URL, json={**payload, "answers": answers})
        assert (again.status_code, again.json()) == (200, first.json()), refusal
        new = api.client.post(URL, json=submission(answers=answers))
        assert new.json()["type"] == f"urn:cxloop:problem:{refusal}"
    assert len(api.get("/v1/responses").json()["items"]) == 1
    assert len(events(api, "response.completed")) == 1


@pytest.mark.skipif(backend() != "sqlite", reason="SQLite's one writer; PostgreSQL has row locks")
def test_an_answer_waits_for_another_writer_without_holding_up_the_service(api, published):
    """While another writer of the process holds the database (here a transaction left open
    for a second), an answer waits for it in a worker thread: the event loop goes on serving,
    and the answer is stored once the writer is done."""
    answered: list[httpx.Response] = []
    answer = threading.Thread(
        target=lambda: answered.append(
            api.client.post(URL, json=submission(answers={"nps": 9, "ease": 6}))
        )
    )
    with writer_held(api.client.app.state.engine):
        answer.start()
        time.sleep(0.3)
        assert not answered  # it waits for the writer...
        started = time.monotonic()
        assert api.client.get("/healthz").status_code == 200  # ...and the service answers
        assert api.get(f"/v1/surveys/{published['id']}").status_code == 200
        assert time.monotonic() - started < 1
    answer.join(20)
    assert answered[0].status_code == 201, answered[0].text


def test_a_completion_missing_a_required_answer_is_refused_naming_it(api, published):
    response = api.client.post(URL, json=submission(answers={"nps": 9}))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "answers.ease" and error["code"] == "required"
    assert "It was easy to get my parcel." in error["message"]
    assert api.get("/v1/responses").json()["items"] == []


def test_answers_are_checked_against_the_version(api, published):
    cases = {
        "nps out of range": ({"nps": 11, "ease": 3}, "answers.nps", "invalid_answer"),
        "nps as text": ({"nps": "9", "ease": 3}, "answers.nps", "invalid_answer"),
        "not a choice": (
            {"nps": 3, "ease": 3, "topics": ["lost"]},
            "answers.topics",
            "invalid_answer",
        ),
        "hidden by logic": (
            {"nps": 9, "ease": 3, "what_went_wrong": "x"},
            "answers.what_went_wrong",
            "not_shown",
        ),
        "too long": (
            {"nps": 3, "ease": 3, "what_went_wrong": "x" * 501},
            "answers.what_went_wrong",
            "invalid_answer",
        ),
        "unknown": ({"nps": 3, "ease": 3, "colour": "red"}, "answers.colour", "unknown_question"),
    }
    for name, (answers, field, code) in cases.items():
        response = api.client.post(URL, json=submission(answers=answers))
        assert response.status_code == 422, name
        assert (field, code) in {(e["field"], e["code"]) for e in response.json()["errors"]}, name


def test_script_in_an_answer_is_stored_verbatim_and_returned_as_data(api, published):
    text = '<script>alert("x")</script> & "quotes"'
    created = api.client.post(
        URL, json=submission(answers={"nps": 2, "ease": 3, "what_went_wrong": text})
    )
    assert created.status_code == 201
    stored = api.get(f"/v1/responses/{created.json()['id']}")
    assert stored.headers["content-type"] == "application/json"
    assert stored.json()["answers"]["what_went_wrong"] == text


def test_partial_responses_continue_from_any_device_with_the_resume_token(api, published):
    partial = api.client.post(URL, json=submission(answers={"nps": 3}, complete=False)).json()
    assert partial["status"] == "partial"
    assert events(api, "response.completed") == []
    path = f"{URL}/{partial['id']}"
    wrong = api.client.patch(
        path, json={"answers": {"ease": 5}}, headers={"X-Resume-Token": "nope"}
    )
    assert wrong.status_code == 404
    done = api.client.patch(
        path,
        json={"answers": {"ease": 5, "what_went_wrong": "Late"}},
        headers={"X-Resume-Token": partial["resume_token"]},
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "complete"
    assert done.json()["answers"] == {"nps": 3, "what_went_wrong": "Late", "ease": 5}
    assert len(events(api, "response.completed")) == 1
    again = api.client.patch(
        path, json={"answers": {"ease": 1}}, headers={"X-Resume-Token": partial["resume_token"]}
    )
    assert again.status_code == 409


def test_closed_paused_and_not_yet_open_surveys_refuse_answers(api, published):
    survey = f"/v1/surveys/{published['id']}"
    for patch, kind in (
        ({"status": "paused"}, "survey-paused"),
        ({"status": "closed"}, "survey-closed"),
        ({"status": "active", "opens_at": "2099-01-01T00:00:00Z"}, "survey-not-open-yet"),
        ({"opens_at": None, "closes_at": "2020-01-01T00:00:00Z"}, "survey-closed"),
        ({"closes_at": None, "response_cap": 1}, None),
    ):
        assert api.patch(survey, patch).status_code == 200
        response = api.client.post(URL, json=submission(answers={"nps": 9, "ease": 6}))
        if kind is None:
            assert response.status_code == 201
            continue
        assert response.status_code == 409, patch
        assert response.json()["type"] == f"urn:cxloop:problem:{kind}"
        public = api.client.get("/v1/public/surveys/delivery").json()
        assert public["accepting_responses"] is False
    full = api.client.post(URL, json=submission(answers={"nps": 9, "ease": 6}))
    assert full.json()["type"] == "urn:cxloop:problem:survey-full"


def test_oversized_bodies_are_413(api, published):
    response = api.client.post(
        URL, json=submission(answers={"nps": 1, "ease": 1, "what_went_wrong": "x" * 1_100_000})
    )
    assert response.status_code == 413


def test_bots_are_stored_but_flagged(api, published):
    from datetime import UTC, datetime

    created = api.client.post(
        URL,
        json=submission(
            answers={"nps": 10, "ease": 7},
            honeypot="http://spam.example",
            rendered_at=datetime.now(UTC).isoformat(),
        ),
    )
    assert created.status_code == 201
    stored = api.get(f"/v1/responses/{created.json()['id']}").json()
    assert stored["flags"] == ["honeypot", "too_fast"]
    assert events(api, "response.completed")[0].data["flags"] == ["honeypot", "too_fast"]


def test_anonymous_answers_can_be_refused(api, published):
    api.patch(f"/v1/surveys/{published['id']}", {"allow_anonymous": False})
    refused = api.client.post(URL, json=submission(answers={"nps": 9, "ease": 6}))
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "respondent"


def test_twenty_concurrent_submissions_with_one_id_store_one(api, published, live_feedback):
    server = live_feedback("--workers", "2")
    payload = submission(answers={"nps": 8, "ease": 5})
    barrier = threading.Barrier(20)
    answers: list[httpx.Response] = []

    def post() -> None:
        barrier.wait()
        answers.append(httpx.post(f"{server.base_url}{URL}", json=payload, timeout=30))

    threads = [threading.Thread(target=post) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200] * 19 + [201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(api.get("/v1/responses").json()["items"]) == 1
    assert len(events(api, "response.completed")) == 1


def test_ip_addresses_are_kept_only_when_the_survey_asks(api, published):
    first = api.client.post(URL, json=submission(answers={"nps": 9, "ease": 6})).json()
    assert api.get(f"/v1/responses/{first['id']}").json()["client_ip"] is None
    api.patch(f"/v1/surveys/{published['id']}", {"store_ip": True})
    second = api.client.post(URL, json=submission(answers={"nps": 9, "ease": 6})).json()
    assert api.get(f"/v1/responses/{second['id']}").json()["client_ip"] == "testclient"


def test_true_and_false_are_not_numbers(api, published):
    """Lax validation read true as 1: {"nps": true} was stored as a complete response."""
    for answers in (
        {"nps": True, "ease": 5},
        {"nps": False, "ease": 5},
        {"nps": 9, "ease": True},
        {"nps": 4, "ease": 5, "topics": [True]},
    ):
        refused = api.client.post(URL, json=submission(answers=answers))
        assert refused.status_code == 422, (answers, refused.text)
        [error] = refused.json()["errors"]
        assert error["field"].startswith("answers."), error
    assert api.get("/v1/responses").json()["items"] == []


def test_answers_arriving_together_share_a_commit_and_each_stands_or_falls_alone(api, published):
    """Group commit (docs/platform.md): answers that arrive together are written in one
    transaction, each in its own savepoint: a refused answer, or a retry sent beside its
    first copy, changes nothing for the others, and every acknowledged answer is stored once
    with its event and, for a detractor, its case."""
    app = api.client.app
    writes = app.state.group_commit
    promoters = [submission(answers={"nps": 9, "ease": 6}) for _ in range(12)]
    detractors = [submission(answers={"nps": 2, "ease": 2}) for _ in range(6)]
    retried = submission(answers={"nps": 8, "ease": 5})
    refused = [submission(answers={"nps": 11, "ease": 6}) for _ in range(4)]
    bodies = [*promoters, *detractors, retried, retried, retried, *refused]
    random.Random(7).shuffle(bodies)

    async def send_all() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return list(await asyncio.gather(*(client.post(URL, json=b) for b in bodies)))

    before = (writes.transactions, writes.writes)
    answers = api.client.portal.call(send_all)

    by_submission: dict[str, list[httpx.Response]] = {}
    for body, answer in zip(bodies, answers, strict=True):
        by_submission.setdefault(body["submission_id"], []).append(answer)
    for body in [*promoters, *detractors]:
        [answer] = by_submission[body["submission_id"]]
        assert answer.status_code == 201, answer.text
    for body in refused:
        [answer] = by_submission[body["submission_id"]]
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
    copies = by_submission[retried["submission_id"]]
    assert sorted(a.status_code for a in copies) == [200, 200, 201]
    assert len({a.json()["id"] for a in copies}) == 1

    stored = api.get("/v1/responses", params={"limit": 100}).json()["items"]
    assert len(stored) == len(promoters) + len(detractors) + 1
    assert len(events(api, "response.completed")) == len(stored)
    assert len(events(api, "case.opened")) == len(detractors)
    transactions, written = writes.transactions - before[0], writes.writes - before[1]
    assert written == len(bodies)
    assert transactions < written / 2, (transactions, written)
