"""The answers behind a score: the list a score links to counts what the score counts."""

from datetime import timedelta


def get(api, path, **params):
    response = api.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def every_answer(api, **params):
    """Every page of the list, to count the items themselves and not only `total`."""
    items, cursor = [], None
    while True:
        page = get(api, "/v1/answers", limit=7, **params, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items, page["total"]


def test_the_answers_behind_a_score_are_as_many_as_its_n(api, send, ev):
    send(ev.touchpoint(), ev.touchpoint("tp-other", name="Returns"))
    send(
        *[ev.response(f"a{i}", nps=i % 11, segment="gold", days_ago=i % 40) for i in range(30)],
        *[ev.response(f"b{i}", nps=9, segment="basic", days_ago=i) for i in range(6)],
        *[ev.response(f"c{i}", csat=2, days_ago=1) for i in range(4)],  # no NPS answer
        *[ev.response(f"d{i}", nps=0, flags=["too_fast"]) for i in range(3)],  # not counted
        *[ev.response(f"e{i}", nps=0, touchpoint_id="tp-other") for i in range(5)],
    )
    start = (ev.now - timedelta(days=20)).date().isoformat()
    for filters in (
        {"touchpoint_id": "tp-courier"},
        {"touchpoint_id": "tp-courier", "from": start},
        {"touchpoint_id": "tp-courier", "segment": "gold"},
        {"journey_id": "journey-1"},
        {},
    ):
        score = get(api, "/v1/scores", metric="nps", **filters)["overall"]
        items, total = every_answer(api, metric="nps", **filters)
        assert len(items) == total == score["n"], filters
        assert len({item["response_id"] for item in items}) == total
        detractors, n = every_answer(api, metric="nps", category="detractor", **filters)
        assert len(detractors) == n == score["details"]["detractors"], filters
        assert all(item["nps"] <= 6 for item in detractors)
    csat = get(api, "/v1/scores", metric="csat", touchpoint_id="tp-courier")["overall"]
    items, total = every_answer(api, metric="csat", touchpoint_id="tp-courier")
    assert len(items) == total == csat["n"] == 4


def test_the_answers_come_newest_first_with_what_was_said(api, send, ev):
    send(
        ev.response("old", nps=3, comment="Late again", days_ago=2, respondent="c1"),
        ev.response("new", nps=10, comment="On time", respondent="c2", segment="gold"),
    )
    page = get(api, "/v1/answers", metric="nps")
    assert [a["response_id"] for a in page["items"]] == ["new", "old"]
    assert page["items"][1]["comment"] == "Late again"
    assert page["items"][1]["respondent_id"] == "c1"
    assert page["items"][0]["segment"] == "gold"


def test_a_category_must_belong_to_the_metric(api):
    for params in ({"category": "detractor"}, {"metric": "csat", "category": "detractor"}):
        response = api.get("/v1/answers", params=params)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["field"] == "category"


def test_one_answer_is_found_by_its_response_id(api, send, ev):
    send(ev.response("imported-1", nps=3, comment="Box crushed"))
    found = api.get("/v1/answers/imported-1")
    assert found.status_code == 200, found.text
    assert (found.json()["nps"], found.json()["comment"]) == (3, "Box crushed")
    missing = api.get("/v1/answers/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
