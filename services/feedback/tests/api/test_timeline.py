"""A respondent's timeline: answers, invitations, cases, notes and contacts, newest first,
paged back with `cursor`; an erased respondent has none."""

import uuid

from cxshared.testing.api import Api

URL = "/v1/public/surveys/delivery/responses"
WHO = "cust-timeline"


def answer(api: Api, nps: int, comment: str, who: str = WHO) -> dict:
    response = api.client.post(
        URL,
        json={
            "submission_id": uuid.uuid4().hex,
            "respondent": {"external_id": who},
            # The comment question is asked of detractors and passives only.
            "answers": {
                "nps": nps,
                "ease": 3,
                **({"what_went_wrong": comment} if nps <= 6 else {}),
            },
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def timeline(api: Api, who: str = WHO, **params) -> dict:
    response = api.get(f"/v1/respondents/{who}/timeline", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_everything_about_the_respondent_newest_first(api, published):
    invited = api.post(
        f"/v1/surveys/{published['id']}/invitations", {"respondents": [{"external_id": WHO}]}
    )
    assert invited.status_code in (200, 201), invited.text
    first = answer(api, 9, "")
    second = answer(api, 2, "Parcel left in the rain")
    answer(api, 1, "Someone else's answer", who="cust-other")
    case = api.get("/v1/cases", params={"respondent": WHO}).json()["items"][0]
    assert case["response_id"] == second["id"]
    note = api.post(f"/v1/cases/{case['id']}/notes", {"body": "Called, no answer"})
    assert note.status_code == 201, note.text
    contact = api.post(
        f"/v1/cases/{case['id']}/contacts", {"channel": "phone", "outcome": "reached"}
    )
    assert contact.status_code == 201, contact.text

    items = timeline(api)["items"]
    kinds = [i["kind"] for i in items]
    assert sorted(kinds) == sorted(
        ["invitation", "response", "response", "case", "note", "contact"]
    )
    assert [i["at"] for i in items] == sorted((i["at"] for i in items), reverse=True)
    answered = {i["id"]: i for i in items if i["kind"] == "response"}
    assert answered[second["id"]]["scores"]["nps"] == 2
    assert "Parcel left in the rain" in answered[second["id"]]["text"]
    assert answered[first["id"]]["survey_title"] == published["title"]
    assert all("Someone else" not in i["text"] for i in items)
    noted = next(i for i in items if i["kind"] == "note")
    assert (noted["text"], noted["case_id"]) == ("Called, no answer", case["id"])


def test_paging_back_returns_each_entry_once_even_at_the_same_moment(api, published):
    ids = {answer(api, n, f"answer {n}")["id"] for n in range(3)}
    # Tickets opened at one moment: entries at the same time, which a page may split.
    for n in range(5):
        opened = api.post(
            "/v1/cases",
            {
                "source": "manual",
                "respondent_external_id": WHO,
                "title": f"Ticket {n}",
                "opened_at": "2026-11-30T09:00:00Z",
            },
        )
        assert opened.status_code == 201, opened.text
        ids.add(opened.json()["id"])
    everything = timeline(api, limit=200)["items"]
    assert {i["id"] for i in everything} >= ids
    seen: list[str] = []
    page = timeline(api, limit=2)
    while True:
        seen += [i["id"] for i in page["items"]]
        if page["next_cursor"] is None:
            break
        page = timeline(api, limit=2, cursor=page["next_cursor"])
    assert seen == [i["id"] for i in everything]
    # `before` starts at a time: everything older than the tickets' moment.
    older = timeline(api, limit=200, before="2026-11-30T09:00:00Z")["items"]
    assert all(i["at"] < "2026-11-30T09:00:00" for i in older)


def test_a_forged_cursor_is_refused(api):
    response = api.get(f"/v1/respondents/{WHO}/timeline", params={"cursor": "bm90LWpzb24"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


def test_an_erased_respondent_has_an_empty_timeline(api, published):
    answer(api, 0, "Never again")
    assert timeline(api)["items"]
    erased = api.post(f"/v1/respondents/{WHO}/erase", headers=api.admin)
    assert erased.status_code == 200, erased.text
    assert timeline(api)["items"] == []


def test_the_timeline_needs_a_read_key(api):
    response = api.client.get(f"/v1/respondents/{WHO}/timeline")
    assert response.status_code == 401
