"""Priority from data: detractor share, share of the journey's revenue at risk, theme costs and
effort, each checked against a computation from the raw rows sent."""

import pytest

ANSWERS = [
    # (customer, touchpoint, nps, annual revenue, comment)
    ("c1", "tp-a", 2, 1000.0, "The parcel was late again"),
    ("c2", "tp-a", 3, 500.0, None),
    ("c3", "tp-a", 9, 800.0, None),
    ("c4", "tp-b", 1, 2000.0, None),
    ("c5", "tp-b", 10, 300.0, None),
    ("c6", "tp-b", 8, 700.0, None),
]


@pytest.fixture
def measured(api, send, ev, settings):
    send(
        ev.touchpoint("tp-a", name="Checkout"),
        ev.touchpoint("tp-b", name="Courier delivers"),
        ev.touchpoint("tp-c", name="Unboxing"),
    )
    customers = [{"external_id": c, "annual_revenue": r} for c, _, _, r, _ in ANSWERS]
    assert api.post("/v1/customers", {"customers": customers}).status_code == 200
    created = api.post(
        "/v1/journeys/journey-1/themes", {"name": "Late parcel", "phrases": ["parcel late"]}
    )
    assert created.status_code == 201, created.text
    send(
        *(
            ev.response(f"r-{c}", touchpoint_id=tp, nps=nps, comment=said, respondent=c, days_ago=3)
            for c, tp, nps, _, said in ANSWERS
        )
    )
    return settings.churn_prior_detractor  # too few customers for an observed churn rate


def test_values_follow_detractors_and_revenue_at_risk(api, measured):
    p = measured
    body = {
        "journey_id": "journey-1",
        "items": [
            {"id": "o-a", "touchpoint_ids": ["tp-a"], "effort": 2},
            {"id": "o-b", "touchpoint_ids": ["tp-b", "tp-b"], "effort": 0},
            {"id": "o-stage", "touchpoint_ids": ["tp-a", "tp-b"], "effort": 5},
            {"id": "o-none", "touchpoint_ids": ["tp-c", "elsewhere"], "effort": 1},
        ],
    }
    response = api.post("/v1/priorities", body, headers=api.writer)
    assert response.status_code == 200, response.text
    found = response.json()
    at_risk = {
        tp: sum(r for _, t, nps, r, _ in ANSWERS if t == tp and nps <= 6) for tp in ("tp-a", "tp-b")
    }
    journey = p * sum(at_risk.values())
    assert found["journey_revenue_at_risk"] == pytest.approx(journey)
    items = {i["id"]: i for i in found["items"]}

    def expected(touchpoints, effort):
        rows = [a for a in ANSWERS if a[1] in touchpoints]
        customer = round(100 * sum(1 for a in rows if a[2] <= 6) / len(rows))
        business = round(100 * p * sum(at_risk[t] for t in touchpoints) / journey)
        return customer, business, round((customer + business) / 2 / (1 + effort), 1)

    for key, touchpoints, effort in (
        ("o-a", ["tp-a"], 2),
        ("o-b", ["tp-b"], 0),
        ("o-stage", ["tp-a", "tp-b"], 5),
    ):
        item = items[key]
        assert (item["customer_value"], item["business_value"], item["priority"]) == expected(
            touchpoints, effort
        ), key
        assert item["measured"] is True
        assert item["revenue_at_risk"] == pytest.approx(p * sum(at_risk[t] for t in touchpoints))
    a = items["o-a"]
    assert (a["answers"], a["detractors"], a["customers"], a["detractor_customers"]) == (3, 2, 3, 2)
    # One of tp-a's three NPS answers is a detractor naming the theme: 100 x 1 / 3 points.
    assert [(t["name"], round(t["points"], 1)) for t in a["themes"]] == [("Late parcel", 33.3)]
    assert a["explanation"].startswith("Customer value 67: 67% of 3 NPS answers here came from")
    assert "revenue at risk a year from 2 detractor customers of 3 whose" in a["explanation"]
    assert "“Late parcel” costs 33.3 NPS points here" in a["explanation"]
    assert a["explanation"].endswith("effort 2/5.")
    assert items["o-b"]["themes"] == [] and items["o-b"]["answers"] == 3  # tp-b counted once
    none = items["o-none"]
    assert (none["measured"], none["priority"], none["answers"]) == (False, None, 0)
    assert "hand-set values stand" in none["explanation"]


def test_a_churned_customer_is_not_at_risk_and_bad_input_is_refused(api, measured):
    gone = [{"external_id": "c1", "annual_revenue": 1000.0, "churn_date": "2020-01-01"}]
    assert api.post("/v1/customers", {"customers": gone}).status_code == 200
    body = {
        "journey_id": "journey-1",
        "items": [{"id": "o", "touchpoint_ids": ["tp-a"], "effort": 1}],
    }
    [item] = api.post("/v1/priorities", body, headers=api.writer).json()["items"]
    assert (item["customers"], item["detractor_customers"]) == (2, 1)
    assert item["revenue_at_risk"] == pytest.approx(measured * 500.0)
    for bad in (
        {**body, "items": [{"id": "o", "touchpoint_ids": ["tp-a"], "effort": 6}]},
        {**body, "days": 3},
        {"items": []},
    ):
        refused = api.post("/v1/priorities", bad, headers=api.writer)
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
    assert api.post("/v1/priorities", body, headers={}).status_code == 401
    assert api.post("/v1/priorities", body, headers=api.reader).status_code == 403
