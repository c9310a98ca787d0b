import math
from datetime import date, timedelta

import pytest
from statsmodels.stats.proportion import proportion_confint


def customers(api, rows):
    response = api.post("/v1/customers", {"customers": rows})
    assert response.status_code == 200, response.text
    return response.json()


def test_comments_newest_first_with_sentiment_and_filters(api, send, ev):
    send(
        ev.response("a", nps=2, comment="Late, rude and the box was damaged", days_ago=2),
        ev.response("b", nps=10, comment="Brilliant, friendly and fast", days_ago=1),
        ev.response("c", nps=8),
    )
    page = api.get("/v1/comments").json()
    assert [c["response_id"] for c in page["items"]] == ["b", "a"]
    assert [c["sentiment_label"] for c in page["items"]] == ["positive", "negative"]
    negative = api.get("/v1/comments", params={"sentiment": "negative"}).json()["items"]
    assert [c["response_id"] for c in negative] == ["a"]
    detractors = api.get("/v1/comments", params={"band": "detractor"}).json()["items"]
    assert [c["response_id"] for c in detractors] == ["a"]
    first = api.get("/v1/comments", params={"limit": 1}).json()
    second = api.get("/v1/comments", params={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert [c["response_id"] for c in second["items"]] == ["a"] and second["next_cursor"] is None
    [summary] = api.get("/v1/comments/summary").json()
    assert (summary["key"], summary["comments"], summary["negative_comments"]) == (
        "tp-courier",
        2,
        1,
    )


def test_comment_text_is_returned_verbatim(api, send, ev):
    send(ev.response("x", nps=5, comment="<script>alert(1)</script>"))
    [comment] = api.get("/v1/comments").json()["items"]
    assert comment["comment"] == "<script>alert(1)</script>"


def test_customers_are_upserted_by_external_id_and_imported_from_csv(api):
    assert customers(api, [{"external_id": "c1", "segment": "gold", "annual_revenue": 1200}]) == {
        "created": 1,
        "updated": 0,
    }
    assert customers(api, [{"external_id": "c1", "segment": "basic", "annual_revenue": 900}]) == {
        "created": 0,
        "updated": 1,
    }
    assert api.get("/v1/customers/c1").json()["segment"] == "basic"
    csv_body = "external_id,name,segment,annual_revenue,start_date,churn_date\nc2,Ana,gold,500,2024-01-01,\nc3,Bo,basic,100,,2026-01-01\n"
    imported = api.post(
        "/v1/customers/import", content=csv_body, headers={**api.writer, "Content-Type": "text/csv"}
    )
    assert imported.json() == {"created": 2, "updated": 0}
    assert api.get("/v1/customers/c3").json()["churn_date"] == "2026-01-01"
    bad = api.post(
        "/v1/customers/import",
        content="external_id,annual_revenue\nc4,lots\n",
        headers={**api.writer, "Content-Type": "text/csv"},
    )
    assert bad.status_code == 422
    assert "row 2" in bad.json()["detail"]
    assert api.get("/v1/customers/c4").status_code == 404
    # A carriage return alone ends a line (it was a 500 once); a cell past the csv module's
    # limit is a 422 naming its line.
    mac = api.post(
        "/v1/customers/import",
        content="external_id,segment\rc5,gold\r",
        headers={**api.writer, "Content-Type": "text/csv"},
    )
    assert mac.json() == {"created": 1, "updated": 0}
    huge = api.post(
        "/v1/customers/import",
        content="external_id,name\nc6," + "x" * 200_000 + "\n",
        headers={**api.writer, "Content-Type": "text/csv"},
    )
    assert huge.status_code == 422, huge.text
    assert huge.json()["detail"].startswith("line 2: field larger than field limit")


def test_churn_by_category_and_revenue_at_risk(api, send, ev):
    today = date.today()
    rows, events = [], []
    # 40 detractors, half churned soon after answering; 40 promoters, 2 churned.
    for i in range(80):
        promoter = i >= 40
        churned = (i % 2 == 0) if not promoter else i in (40, 41)
        rows.append(
            {
                "external_id": f"k{i}",
                "segment": "gold" if i % 4 == 0 else "basic",
                "annual_revenue": 1000,
                "churn_date": (today - timedelta(days=5)).isoformat() if churned else None,
            }
        )
        events.append(
            ev.response(f"n{i}", nps=10 if promoter else 3, respondent=f"k{i}", days_ago=30)
        )
    customers(api, rows)
    send(*events)
    churn = api.get("/v1/outcomes/churn").json()
    assert (churn["detractor"]["rate"], churn["detractor"]["n"]) == (0.5, 40)
    assert churn["promoter"]["rate"] == 0.05
    assert churn["passive"]["n"] == 0
    risk = api.get("/v1/outcomes/revenue-at-risk", params={"by": "segment"}).json()
    # Active: 20 detractors x 0.5 x 1000 + 38 promoters x 0.05 x 1000.
    assert risk["expected"] == 20 * 500 + 38 * 50
    assert risk["flagged"] == 20 * 1000
    assert risk["churn_probabilities"]["passive"]["source"] == "prior"
    assert {g["key"] for g in risk["groups"]} == {"gold", "basic"}
    assert sum(g["expected"] for g in risk["groups"]) == risk["expected"]
    # Its interval: MOVER over the categories' Wilson intervals, the passives' prior exact.
    below = above = 0.0
    for churned, n, revenue in ((20, 40, 20 * 1000), (2, 40, 38 * 1000)):
        low, high = proportion_confint(churned, n, method="wilson")
        below += (revenue * (churned / n - low)) ** 2
        above += (revenue * (high - churned / n)) ** 2
    assert risk["expected_low"] == pytest.approx(risk["expected"] - math.sqrt(below))
    assert risk["expected_high"] == pytest.approx(risk["expected"] + math.sqrt(above))
    for group in risk["groups"]:
        assert group["expected_low"] < group["expected"] < group["expected_high"]


def test_clv_shows_its_inputs(api):
    customers(
        api,
        [
            {"external_id": "c1", "annual_revenue": 1000},
            {"external_id": "c2", "annual_revenue": 3000},
        ],
    )
    clv = api.get("/v1/outcomes/clv").json()
    inputs = clv["inputs"]
    assert inputs["average_annual_revenue"] == 2000
    assert inputs["annual_margin"] == 600
    expected = 600 * inputs["retention"] / (1 + inputs["discount_rate"] - inputs["retention"])
    assert abs(clv["value"] - expected) < 1e-9


def test_clv_interval_carries_the_observed_retentions(api):
    long_ago = (date.today() - timedelta(days=800)).isoformat()
    left = (date.today() - timedelta(days=100)).isoformat()
    customers(
        api,
        [
            {
                "external_id": f"r{i}",
                "annual_revenue": 1000,
                "start_date": long_ago,
                "churn_date": left if i < 2 else None,
            }
            for i in range(10)
        ],
    )
    clv = api.get("/v1/outcomes/clv").json()
    low, high = proportion_confint(8, 10, method="wilson")
    assert clv["inputs"]["retention"] == 0.8
    assert clv["inputs"]["retention_source"] == "observed"
    assert (clv["inputs"]["retention_low"], clv["inputs"]["retention_high"]) == (
        pytest.approx(low),
        pytest.approx(high),
    )
    margin, discount = 300, clv["inputs"]["discount_rate"]
    assert clv["value"] == pytest.approx(margin * 0.8 / (1 + discount - 0.8))
    assert clv["low"] == pytest.approx(margin * low / (1 + discount - low))
    assert clv["high"] == pytest.approx(margin * high / (1 + discount - high))
    assert clv["missing"] is None


def test_clv_without_customers_is_missing_not_zero(api):
    clv = api.get("/v1/outcomes/clv").json()
    assert clv["value"] is None and clv["low"] is None and clv["high"] is None
    assert clv["missing"] == "no_customers"
    assert clv["inputs"]["customers"] == 0
    assert clv["inputs"]["average_annual_revenue"] is None


def test_clv_of_a_segment_without_customers_is_missing(api):
    customers(api, [{"external_id": "g1", "segment": "gold", "annual_revenue": 1000}])
    clv = api.get("/v1/outcomes/clv", params={"segment": "silver"}).json()
    assert (clv["value"], clv["missing"]) == (None, "no_customers")
    assert api.get("/v1/outcomes/clv", params={"segment": "gold"}).json()["value"] > 0


def test_clv_on_an_assumed_retention_has_no_interval(api):
    recent = (date.today() - timedelta(days=30)).isoformat()
    customers(api, [{"external_id": "n1", "annual_revenue": 1000, "start_date": recent}])
    clv = api.get("/v1/outcomes/clv").json()
    assert clv["inputs"]["retention_source"] == "prior"
    assert clv["value"] > 0
    assert (clv["low"], clv["high"]) == (None, None)


def test_segments_are_offered_and_matched_in_any_case(api, send, ev):
    customers(
        api,
        [
            {"external_id": "e1", "segment": "enterprise", "annual_revenue": 1000},
            {"external_id": "e2", "segment": "enterprise", "annual_revenue": 1000},
            {"external_id": "s1", "segment": "small_business", "annual_revenue": 10},
        ],
    )
    send(
        ev.response("a", nps=10, segment="enterprise", comment="Great"),
        ev.response("b", nps=0, segment="partner"),
    )
    offered = api.get("/v1/segments").json()["items"]
    assert offered == [
        {"key": "enterprise", "customers": 2},
        {"key": "partner", "customers": 0},
        {"key": "small_business", "customers": 1},
    ]
    for typed in ("Enterprise", "ENTERPRISE", "enterprise"):
        score = api.get("/v1/scores", params={"metric": "nps", "segment": typed}).json()
        assert score["overall"]["n"] == 1, typed
        comments = api.get("/v1/comments", params={"segment": typed}).json()["items"]
        assert [c["response_id"] for c in comments] == ["a"], typed
        listed = api.get("/v1/customers", params={"segment": typed}).json()["items"]
        assert len(listed) == 2, typed


def test_money_says_its_currency_and_period(api):
    risk = api.get("/v1/outcomes/revenue-at-risk").json()
    assert (risk["currency"], risk["period"]) == ("EUR", "year")
    assert api.get("/v1/outcomes/clv").json()["currency"] == "EUR"
