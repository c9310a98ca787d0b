"""Invitations: personal links, one response each."""

import threading
import uuid

import httpx

URL = "/v1/public/surveys/delivery/responses"


def invite(api, survey_id, *people, **extra):
    body = {
        "respondents": [{"external_id": p, "email": f"{p}@example.com"} for p in people],
        **extra,
    }
    response = api.post(f"/v1/surveys/{survey_id}/invitations", body)
    assert response.status_code == 201, response.text
    return response.json()


def statuses(api, survey_id):
    items = api.get(f"/v1/surveys/{survey_id}/invitations").json()["items"]
    return {i["external_id"]: i["status"] for i in items}


def test_each_invitation_gets_a_random_token_never_its_id(api, published):
    result = invite(api, published["id"], "ann", "bob", "ann")
    assert [c["external_id"] for c in result["created"]] == ["ann", "bob"]
    assert result["skipped"] == [
        {"external_id": "ann", "reason": "duplicate_in_batch", "detail": None}
    ]
    for created in result["created"]:
        assert len(created["token"]) >= 22 and created["token"] != created["id"]
        assert created["link"] == f"/s/delivery?t={created['token']}"
    again = invite(api, published["id"], "ann")
    assert again["skipped"] == [{"external_id": "ann", "reason": "already_invited", "detail": None}]
    assert "token" not in api.get(f"/v1/surveys/{published['id']}/invitations").json()["items"][0]


def test_invitation_statuses_follow_the_respondent(api, published):
    [created] = invite(api, published["id"], "ann")["created"]
    assert statuses(api, published["id"]) == {"ann": "created"}
    opened = api.client.post(f"/v1/public/invitations/{created['token']}/open")
    assert opened.json() == {"survey_slug": "delivery", "status": "opened"}
    partial = api.client.post(
        URL,
        json={
            "submission_id": uuid.uuid4().hex,
            "invitation": created["token"],
            "answers": {"nps": 6},
            "complete": False,
        },
    ).json()
    assert statuses(api, published["id"]) == {"ann": "started"}
    api.client.patch(
        f"{URL}/{partial['id']}",
        json={"answers": {"ease": 4}},
        headers={"X-Resume-Token": partial["resume_token"]},
    )
    assert statuses(api, published["id"]) == {"ann": "completed"}
    stored = api.get(f"/v1/responses/{partial['id']}").json()
    assert (stored["respondent_external_id"], stored["respondent_email"], stored["channel"]) == (
        "ann",
        "ann@example.com",
        "email",
    )


def test_one_response_per_invitation(api, published):
    [created] = invite(api, published["id"], "ann")["created"]
    first = api.client.post(
        URL,
        json={
            "submission_id": uuid.uuid4().hex,
            "invitation": created["token"],
            "answers": {"nps": 9, "ease": 6},
        },
    )
    second = api.client.post(
        URL,
        json={
            "submission_id": uuid.uuid4().hex,
            "invitation": created["token"],
            "answers": {"nps": 1, "ease": 1},
        },
    )
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["type"] == "urn:cxloop:problem:invitation-answered"


def test_expired_and_unknown_invitations_are_refused(api, published):
    [created] = invite(api, published["id"], "ann", expires_in_days=1)["created"]
    from sqlalchemy import text

    from cxshared.db import write_session

    with write_session(api.client.app.state.engine) as session:
        session.execute(text("UPDATE invitation SET expires_at = '2020-01-01 00:00:00'"))
    assert statuses(api, published["id"]) == {"ann": "expired"}
    expired = api.client.post(
        URL,
        json={
            "submission_id": uuid.uuid4().hex,
            "invitation": created["token"],
            "answers": {"nps": 9, "ease": 6},
        },
    )
    assert expired.json()["type"] == "urn:cxloop:problem:invitation-expired"
    unknown = api.client.post(
        URL,
        json={
            "submission_id": uuid.uuid4().hex,
            "invitation": "x" * 22,
            "answers": {"nps": 9, "ease": 6},
        },
    )
    assert unknown.status_code == 404


def test_two_concurrent_submissions_on_one_invitation_store_one(api, published, live_feedback):
    [created] = invite(api, published["id"], "ann")["created"]
    server = live_feedback("--workers", "2")
    barrier = threading.Barrier(2)
    answers: list[httpx.Response] = []

    def post() -> None:
        barrier.wait()
        answers.append(
            httpx.post(
                f"{server.base_url}{URL}",
                json={
                    "submission_id": uuid.uuid4().hex,
                    "invitation": created["token"],
                    "answers": {"nps": 7, "ease": 5},
                },
                timeout=30,
            )
        )

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [201, 409]
    assert len(api.get("/v1/responses").json()["items"]) == 1
