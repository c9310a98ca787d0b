"""Key drivers on synthetic customers whose loyalty and churn depend on known touchpoints."""

from datetime import date, timedelta

import numpy as np
import statsmodels.api as sm

TOUCHPOINTS = ("tp-checkout", "tp-courier", "tp-app")


def seed_dimension(send, ev):
    send(
        *(
            ev.touchpoint(t, name=t.removeprefix("tp-").title(), stage_id="stage-1")
            for t in TOUCHPOINTS
        ),
        ev.touchpoint("tp-rare", name="Rare", stage_id="stage-1"),
        ev.touchpoint("tp-elsewhere", name="Elsewhere", journey_id="journey-2"),
    )


def send_in_batches(send, events):
    for start in range(0, len(events), 500):
        send(*events[start : start + 500])


def nps_customers(rng, count):
    """Each customer answers all three touchpoint surveys; their relationship NPS leans heavily
    on checkout, a little on the courier and not at all on the app."""
    rows = []
    for i in range(count):
        scores = {t: int(rng.integers(0, 11)) for t in TOUCHPOINTS}
        noise = rng.normal(0, 1.2)
        loyalty = 0.7 * scores["tp-checkout"] + 0.25 * scores["tp-courier"] + 0.5 + noise
        rows.append((f"cust-{i}", scores, int(np.clip(round(loyalty), 0, 10))))
    return rows


def test_drivers_of_relationship_nps_rank_touchpoints_by_their_part_of_r_squared(api, send, ev):
    seed_dimension(send, ev)
    rows = nps_customers(np.random.default_rng(7), 120)
    events = []
    for customer, scores, loyalty in rows:
        for t, score in scores.items():
            events.append(
                ev.response(
                    f"{customer}-{t}", touchpoint_id=t, nps=score, respondent=customer, days_ago=10
                )
            )
        events.append(
            ev.response(
                f"{customer}-rel", touchpoint_id=None, nps=loyalty, respondent=customer, days_ago=5
            )
        )
    for i in range(5):  # answered by too few customers to rank
        events.append(
            ev.response(
                f"rare-{i}", touchpoint_id="tp-rare", nps=9, respondent=f"cust-{i}", days_ago=3
            )
        )
    send_in_batches(send, events)

    response = api.get("/v1/drivers", params={"journey_id": "journey-1"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["outcome"] == "nps" and body["customers"] == 120 and body["insufficient"] is None
    assert body["method"] == "shapley"
    assert [d["touchpoint_id"] for d in body["drivers"]] == ["tp-checkout", "tp-courier", "tp-app"]
    assert [d["rank"] for d in body["drivers"]] == [1, 2, 3]
    assert abs(sum(d["share"] for d in body["drivers"]) - 1) < 1e-9
    assert body["drivers"][2]["share"] < 0.05

    # With complete data, the Shapley values add up to the R² of ordinary least squares.
    x = np.array([[(s[t] - 5) / 2.5 for t in TOUCHPOINTS] for _, s, _ in rows])
    y = np.array([loyalty for _, _, loyalty in rows], dtype=float)
    ols = sm.OLS(y, sm.add_constant(x)).fit()
    assert abs(body["r_squared"] - ols.rsquared) < 1e-6
    assert abs(sum(d["importance"] for d in body["drivers"]) - ols.rsquared) < 1e-6
    pearson = np.corrcoef(x[:, 0], y)[0, 1]
    assert abs(body["drivers"][0]["correlation"] - pearson) < 1e-9

    [rare] = body["too_little_data"]
    assert (rare["touchpoint_id"], rare["n"], rare["needed"]) == ("tp-rare", 5, 30)
    assert "tp-elsewhere" not in {
        d["touchpoint_id"] for d in body["drivers"] + body["too_little_data"]
    }

    # Every touchpoint is in one list or the other.
    ranked = {d["touchpoint_id"] for d in body["drivers"]}
    assert ranked.isdisjoint(t["touchpoint_id"] for t in body["too_little_data"])


def test_the_quadrant_judges_performance_against_each_target_as_the_alerts_do(api, send, ev):
    future = ev.touchpoint("tp-future", name="Checkout", journey_id="journey-9")
    future["data"]["journey"]["state"] = "future"
    send(
        ev.touchpoint(
            "tp-checkout",
            name="Checkout",
            stage_id="stage-1",
            targets=[{"metric": "nps", "value": 40, "direction": "at_least", "min_responses": 30}],
        ),
        ev.touchpoint(
            "tp-courier",
            name="Courier",
            stage_id="stage-1",
            targets=[{"metric": "nps", "value": -90, "direction": "at_least", "min_responses": 30}],
        ),
        ev.touchpoint("tp-app", name="App", stage_id="stage-1", targets=[]),
        future,
    )
    rows = nps_customers(np.random.default_rng(7), 120)
    events = []
    for customer, scores, loyalty in rows:
        events.extend(
            ev.response(f"{customer}-{t}", touchpoint_id=t, nps=s, respondent=customer, days_ago=10)
            for t, s in scores.items()
        )
        events.append(
            ev.response(
                f"{customer}-rel", touchpoint_id=None, nps=loyalty, respondent=customer, days_ago=5
            )
        )
    send_in_batches(send, events)
    assert api.post("/v1/alerts/evaluate", headers=api.admin).status_code == 200
    breached = {
        a["touchpoint_id"]
        for a in api.get("/v1/alerts", params={"status": "open"}).json()["items"]
        if a["rule"] == "target_breach"
    }
    assert breached == {"tp-checkout"}

    body = api.get("/v1/drivers").json()
    by_id = {d["touchpoint_id"]: d for d in body["drivers"]}
    # The future-state copy (same name, no customers) is in neither list.
    assert "tp-future" not in by_id
    assert "tp-future" not in {t["touchpoint_id"] for t in body["too_little_data"]}
    assert body["thresholds"]["performance"] == 0

    checkout = by_id["tp-checkout"]["performance"]
    assert checkout["metric"] == "nps" and checkout["target"] == 40
    assert checkout["status"] == "breached" and checkout["n"] == 120
    assert abs(checkout["value"] - (checkout["score"] - 40) / 200) < 1e-9
    # Below its target, as its alert says: never "keep up" or "possible overkill".
    assert by_id["tp-checkout"]["quadrant"] == "concentrate_here"

    courier = by_id["tp-courier"]
    assert courier["performance"]["status"] == "met" and courier["performance"]["value"] > 0
    assert courier["quadrant"] == (
        "keep_up" if courier["share"] >= body["thresholds"]["importance"] else "possible_overkill"
    )
    # No target, nothing to perform against: ranked by importance, placed in no quadrant.
    app = by_id["tp-app"]
    assert app["performance"]["value"] is None and app["quadrant"] is None
    assert app["performance"]["experience"] is not None


def test_drivers_with_too_few_customers_rank_nothing_and_say_why(api, send, ev):
    seed_dimension(send, ev)
    send(
        ev.response("a", touchpoint_id="tp-checkout", nps=3, respondent="c1"),
        ev.response("b", touchpoint_id=None, nps=2, respondent="c1"),
    )
    body = api.get("/v1/drivers").json()
    assert body["drivers"] == [] and body["method"] is None and body["r_squared"] is None
    assert body["insufficient"] == (
        "30 customers who answered a relationship NPS survey and a touchpoint survey are "
        "needed; there is 1."
    )
    assert {d["touchpoint_id"] for d in body["too_little_data"]} == {
        *TOUCHPOINTS,
        "tp-rare",
        "tp-elsewhere",
    }


def test_drivers_of_churn_use_logistic_relative_weights(api, send, ev):
    seed_dimension(send, ev)
    rng = np.random.default_rng(11)
    today = date.today()
    events, customers = [], []
    for i in range(200):
        customer = f"cust-{i}"
        scores = {t: int(rng.integers(0, 11)) for t in TOUCHPOINTS}
        # Courier experience drives churn; checkout barely; the app not at all.
        logit = 1.0 - 0.6 * scores["tp-courier"] - 0.05 * scores["tp-checkout"]
        churned = rng.random() < 1 / (1 + np.exp(-logit))
        answered = [t for t in TOUCHPOINTS if i % 4 or t != "tp-app"]  # some customers skip one
        for t in answered:
            events.append(
                ev.response(
                    f"{customer}-{t}",
                    touchpoint_id=t,
                    nps=scores[t],
                    respondent=customer,
                    days_ago=20,
                )
            )
        customers.append(
            {
                "external_id": customer,
                "annual_revenue": 100,
                "churn_date": (today - timedelta(days=2)).isoformat() if churned else None,
            }
        )
    send_in_batches(send, events)
    # A respondent with no customer record is left out of the churn analysis.
    send(ev.response("stranger", touchpoint_id="tp-courier", nps=0, respondent="nobody"))
    assert api.post("/v1/customers", {"customers": customers}).status_code == 200

    body = api.get("/v1/drivers", params={"outcome": "churn", "journey_id": "journey-1"}).json()
    assert body["insufficient"] is None, body
    assert body["customers"] == 200
    assert body["churned"] == sum(1 for c in customers if c["churn_date"])
    assert body["method"] == "logistic_relative_weights"
    assert body["drivers"][0]["touchpoint_id"] == "tp-courier"
    assert body["drivers"][0]["correlation"] < -0.3
    assert body["drivers"][0]["share"] > 0.8
    app = next(d for d in body["drivers"] if d["touchpoint_id"] == "tp-app")
    assert app["n"] == 150


def test_churn_drivers_need_churned_and_kept_customers(api, send, ev):
    seed_dimension(send, ev)
    events = [
        ev.response(f"r{i}", touchpoint_id="tp-courier", nps=i % 11, respondent=f"c{i}")
        for i in range(40)
    ]
    send(*events)
    api.post("/v1/customers", {"customers": [{"external_id": f"c{i}"} for i in range(40)]})
    body = api.get("/v1/drivers", params={"outcome": "churn"}).json()
    assert body["drivers"] == [] and "0 of 40 customers churned" in body["insufficient"]


def test_drivers_refuse_bad_parameters(api):
    assert api.get("/v1/drivers", params={"outcome": "revenue"}).status_code == 422
    bad = api.get("/v1/drivers", params={"from": "2026-02-01", "to": "2026-01-01"})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
