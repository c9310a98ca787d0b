"""Key drivers on synthetic customers whose loyalty and churn depend on known touchpoints."""

from datetime import date, timedelta

import numpy as np
import pytest
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
    # The app plays no part: its link is within the noise, so it is listed apart, not ranked.
    assert [d["touchpoint_id"] for d in body["drivers"]] == ["tp-checkout", "tp-courier"]
    assert [d["rank"] for d in body["drivers"]] == [1, 2]
    unranked = {t["touchpoint_id"]: t for t in body["too_little_data"]}
    app = unranked["tp-app"]
    assert app["reason"] == "interval_includes_zero"
    assert app["correlation_low"] < 0 < app["correlation_high"]
    analysed = [*body["drivers"], app]
    assert abs(sum(d["share"] for d in analysed) - 1) < 1e-9
    assert app["share"] < 0.05
    for driver in body["drivers"]:
        assert driver["correlation_low"] > 0
        assert driver["importance_low"] < driver["importance"] < driver["importance_high"]
    assert body["replicates"] == 200 and body["unpaired"] == [] and body["note"] is None

    # With complete data, the Shapley values add up to the R² of ordinary least squares.
    x = np.array([[(s[t] - 5) / 2.5 for t in TOUCHPOINTS] for _, s, _ in rows])
    y = np.array([loyalty for _, _, loyalty in rows], dtype=float)
    ols = sm.OLS(y, sm.add_constant(x)).fit()
    assert abs(body["r_squared"] - ols.rsquared) < 1e-6
    assert abs(sum(d["importance"] for d in analysed) - ols.rsquared) < 1e-6
    pearson = np.corrcoef(x[:, 0], y)[0, 1]
    assert abs(body["drivers"][0]["correlation"] - pearson) < 1e-9

    rare = unranked["tp-rare"]
    assert (rare["n"], rare["needed"], rare["reason"]) == (5, 30, "too_few_customers")
    assert "tp-elsewhere" not in {
        d["touchpoint_id"] for d in body["drivers"] + body["too_little_data"]
    }

    # Every touchpoint is in one list or the other, never both.
    ranked = [d["touchpoint_id"] for d in body["drivers"]]
    listed = [t["touchpoint_id"] for t in body["too_little_data"]]
    assert sorted(ranked + listed) == sorted(["tp-checkout", "tp-courier", "tp-app", "tp-rare"])


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
        ev.touchpoint("tp-courier", name="Courier", stage_id="stage-1", targets=[]),
        ev.touchpoint(
            "tp-app",
            name="App",
            stage_id="stage-1",
            targets=[{"metric": "nps", "value": -90, "direction": "at_least", "min_responses": 30}],
        ),
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
    assert api.post("/v1/incidents/evaluate", headers=api.admin).status_code == 200
    breached = {
        incident["touchpoint_id"]
        for incident in api.get("/v1/incidents", params={"status": "open"}).json()["items"]
        if any(s["rule"] == "target_breach" and s["active"] for s in incident["signals"])
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

    # No target, nothing to perform against: ranked by importance, placed in no quadrant.
    courier = by_id["tp-courier"]
    assert courier["performance"]["value"] is None and courier["quadrant"] is None
    assert courier["performance"]["experience"] is not None
    # The app meets its target but has no measurable link to NPS: not ranked, not placed.
    assert "tp-app" not in by_id
    [app] = [t for t in body["too_little_data"] if t["touchpoint_id"] == "tp-app"]
    assert app["reason"] == "interval_includes_zero"
    # The even share counts every touchpoint analysed, ranked or not.
    assert body["thresholds"]["importance"] == pytest.approx(1 / 3)


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
    [app] = [d for d in body["drivers"] + body["too_little_data"] if d["touchpoint_id"] == "tp-app"]
    assert app["n"] == 150
    # The touchpoints share one position on the map, so their order among themselves is not
    # defined (PostgreSQL returns ties in whatever order its heap holds them).
    fitted = [{**m, "touchpoint_ids": sorted(m["touchpoint_ids"])} for m in body["models"]]
    assert fitted == [
        {
            "touchpoint_ids": ["tp-app", "tp-checkout", "tp-courier"],
            "method": "logistic_relative_weights",
            "customers": 200,
            "r_squared": body["r_squared"],
        }
    ]


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


def two_surveys_answered_by_different_customers(send, ev):
    """Journey 1's touchpoints (checkout, courier) are answered by customers a-*, journey 2's
    (app, returns) by customers b-*: no customer answered one of each."""
    send(
        ev.touchpoint("tp-checkout", name="Checkout", stage_id="s1", journey_id="journey-1"),
        ev.touchpoint("tp-courier", name="Courier", stage_id="s1", journey_id="journey-1"),
        ev.touchpoint("tp-app", name="App", stage_id="s2", journey_id="journey-2"),
        ev.touchpoint("tp-returns", name="Returns", stage_id="s2", journey_id="journey-2"),
    )
    rng = np.random.default_rng(3)
    events = []
    groups = {"a": ("tp-checkout", "tp-courier"), "b": ("tp-app", "tp-returns")}
    for prefix, (first, second) in groups.items():
        for i in range(150):
            customer = f"{prefix}-{i}"
            one, two = int(rng.integers(0, 11)), int(rng.integers(0, 11))
            loyalty = int(np.clip(round(0.6 * one + 0.3 * two + 1 + rng.normal(0, 1.2)), 0, 10))
            for t, score in ((first, one), (second, two)):
                events.append(
                    ev.response(
                        f"{customer}-{t}",
                        touchpoint_id=t,
                        nps=score,
                        respondent=customer,
                        days_ago=10,
                    )
                )
            events.append(
                ev.response(
                    f"{customer}-rel",
                    touchpoint_id=None,
                    nps=loyalty,
                    respondent=customer,
                    days_ago=5,
                )
            )
    send_in_batches(send, events)


def test_touchpoints_no_customer_answered_together_are_not_correlated_as_if_unrelated(
    api, send, ev
):
    two_surveys_answered_by_different_customers(send, ev)
    both = api.get("/v1/drivers").json()
    alone = {
        journey: api.get("/v1/drivers", params={"journey_id": journey}).json()
        for journey in ("journey-1", "journey-2")
    }
    by_id = {d["touchpoint_id"]: d for d in both["drivers"]}
    assert set(by_id) == {"tp-checkout", "tp-courier", "tp-app", "tp-returns"}
    for body in alone.values():
        for driver in body["drivers"]:
            together = by_id[driver["touchpoint_id"]]
            assert together["importance"] == pytest.approx(driver["importance"], abs=1e-9)
            assert together["correlation"] == pytest.approx(driver["correlation"], abs=1e-9)
    assert all(a["method"] == "shapley" and a["unpaired"] == [] for a in alone.values())
    # Each group is its own model, fitted on its own customers, and the answer says so.
    models = {tuple(sorted(m["touchpoint_ids"])): m for m in both["models"]}
    assert set(models) == {("tp-checkout", "tp-courier"), ("tp-app", "tp-returns")}
    assert models[("tp-checkout", "tp-courier")]["r_squared"] == pytest.approx(
        alone["journey-1"]["r_squared"], abs=1e-9
    )
    assert models[("tp-checkout", "tp-courier")]["customers"] == 150
    assert both["r_squared"] is None and both["method"] == "separate_models"
    pairs = {
        frozenset((p["first"]["touchpoint_id"], p["second"]["touchpoint_id"]))
        for p in both["unpaired"]
    }
    assert pairs == {
        frozenset(("tp-checkout", "tp-app")),
        frozenset(("tp-checkout", "tp-returns")),
        frozenset(("tp-courier", "tp-app")),
        frozenset(("tp-courier", "tp-returns")),
    }
    assert {p["shared"] for p in both["unpaired"]} == {0}
    assert "not compared" in both["note"]
