"""The measured effect of a shipped action, against an independent computation: the
difference-in-differences is the treated-by-after coefficient of an OLS regression of each
answer's NPS contribution (statsmodels, HC1 errors); a journey-wide shift is not credited to
the action; an action whose after window is not over is too early to judge."""

from datetime import date, timedelta
from itertools import count

import numpy as np
import pytest
import statsmodels.api as sm

JOURNEY = "journey-1"
TREATED, CONTROLS = "tp-checkout", ("tp-courier", "tp-returns")
_ids = count()


def answers(ev, touchpoint, days_ago, promoters, passives, detractors):
    """A day's answers at a touchpoint: so many of each NPS category (10, 8 and 3)."""
    made = []
    for score, n in ((10, promoters), (8, passives), (3, detractors)):
        for _ in range(n):
            made.append(
                ev.response(
                    f"r{next(_ids)}", touchpoint_id=touchpoint, nps=score, days_ago=days_ago
                )
            )
    return made


def world(ev, send, shipped_ago, treated_after, controls_after):
    """A touchpoint changed `shipped_ago` days ago and two it did not change, each with 10
    answers a day for 90 days: before the ship date NPS 0 everywhere (3 promoters, 4 passives,
    3 detractors a day); after it, the day's mix given for each."""
    send(
        *(
            ev.touchpoint(t, name=t.removeprefix("tp-").title(), journey_id=JOURNEY)
            for t in (TREATED, *CONTROLS)
        )
    )
    made = []
    for days_ago in range(1, 91):
        after = days_ago < shipped_ago
        made += answers(ev, TREATED, days_ago, *(treated_after if after else (3, 4, 3)))
        for control in CONTROLS:
            made += answers(ev, control, days_ago, *(controls_after if after else (3, 4, 3)))
    for start in range(0, len(made), 500):
        send(*made[start : start + 500])
    return made


def effect(api, shipped_on, **params):
    response = api.get(
        "/v1/effects",
        params={
            "journey_id": JOURNEY,
            "touchpoint_id": [TREATED],
            "shipped_on": shipped_on.isoformat(),
            **params,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()


def reference(made, ev, shipped_on, window=28, settle=7):
    """OLS of each answer's NPS contribution (+100, 0, -100) on treated, after and their
    product, over the two windows: the product's coefficient is the difference-in-differences."""
    today = ev.now.date()
    rows = []
    for event in made:
        data = event["data"]
        day = date.fromisoformat(data["submitted_at"][:10])
        before = shipped_on - timedelta(days=window) <= day < shipped_on
        after_from = shipped_on + timedelta(days=settle)
        after = after_from <= day < after_from + timedelta(days=window) and day <= today
        if not (before or after):
            continue
        score = data["answers"][0]["value"]
        y = 100 if score >= 9 else -100 if score <= 6 else 0
        treated = data["touchpoint_id"] == TREATED
        rows.append((y, treated, after, treated and after))
    y, *x = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
    fit = sm.OLS(y, sm.add_constant(np.column_stack(x))).fit(cov_type="HC1")
    return float(fit.params[3]), float(fit.bse[3])


def test_a_change_at_the_shipped_touchpoint_alone_is_credited_to_the_action(api, send, ev):
    made = world(ev, send, shipped_ago=50, treated_after=(6, 2, 2), controls_after=(3, 4, 3))
    shipped_on = ev.now.date() - timedelta(days=50)
    body = effect(api, shipped_on)
    assert body["verdict"] == "improved", body["reason"]
    assert body["untouched_touchpoints"] == 2
    assert body["windows"] == {
        "before_from": (shipped_on - timedelta(days=28)).isoformat(),
        "before_to": (shipped_on - timedelta(days=1)).isoformat(),
        "after_from": (shipped_on + timedelta(days=7)).isoformat(),
        "after_to": (shipped_on + timedelta(days=34)).isoformat(),
        "complete": True,
    }
    [nps] = body["metrics"]
    assert nps["metric"] == "nps" and nps["tested"] == "difference_in_differences"
    assert nps["changed"]["before"]["value"] == pytest.approx(0)
    assert nps["changed"]["after"]["value"] == pytest.approx(40)
    assert nps["changed"]["before"]["n"] == nps["changed"]["after"]["n"] == 280
    did, se = reference(made, ev, shipped_on)
    shift = nps["difference_in_differences"]
    assert shift["difference"] == pytest.approx(did, abs=1e-9) == pytest.approx(40)
    # The interval is centred on the adjusted-Wald estimate: within a few percent of OLS's.
    assert (shift["high"] - shift["low"]) / (2 * 1.959964) == pytest.approx(se, rel=0.05)
    assert shift["low"] < 40 < shift["high"] and shift["p_value"] < 1e-6
    assert nps["significant"] and nps["direction"] == "better"
    assert body["reason"].startswith("NPS rose 40.0 points")
    assert "more than on the journey's untouched touchpoints" in body["reason"]


def test_a_shift_of_the_whole_journey_is_not_credited_to_the_action(api, send, ev):
    made = world(ev, send, shipped_ago=50, treated_after=(6, 2, 2), controls_after=(6, 2, 2))
    shipped_on = ev.now.date() - timedelta(days=50)
    body = effect(api, shipped_on)
    [nps] = body["metrics"]
    # Before and after alone the touchpoint moved 40 points, beyond doubt ...
    assert nps["changed"]["change"]["difference"] == pytest.approx(40)
    assert nps["changed"]["change"]["p_value"] < 1e-6
    # ... but so did the rest of the journey: no effect of the action.
    did, _ = reference(made, ev, shipped_on)
    assert nps["difference_in_differences"]["difference"] == pytest.approx(did, abs=1e-9) == 0
    assert not nps["significant"]
    assert body["verdict"] == "no_measurable_effect"
    assert body["reason"] == "No change beyond chance in NPS."


def test_an_action_whose_after_window_is_not_over_is_too_early_to_judge(api, send, ev):
    world(ev, send, shipped_ago=20, treated_after=(6, 2, 2), controls_after=(3, 4, 3))
    shipped_on = ev.now.date() - timedelta(days=20)
    body = effect(api, shipped_on)
    assert body["verdict"] == "too_early"
    assert body["windows"]["complete"] is False
    # The figures so far: the after window up to today (days 13 to 1 ago: 13 days).
    assert body["metrics"][0]["changed"]["after"]["n"] == 13 * 10


def test_a_touchpoint_with_too_few_answers_is_not_judged(api, send, ev):
    send(ev.touchpoint(TREATED, journey_id=JOURNEY))
    send(*answers(ev, TREATED, 25, 1, 1, 1), *answers(ev, TREATED, 10, 2, 0, 0))
    body = effect(api, ev.now.date() - timedelta(days=20), window_days=14, settle_days=0)
    assert body["verdict"] == "not_enough_data"
    assert body["metrics"][0]["tested"] == "none"


def test_the_query_is_checked(api):
    missing = api.get("/v1/effects", params={"journey_id": JOURNEY, "shipped_on": "2026-01-01"})
    assert missing.status_code == 422
    narrow = api.get(
        "/v1/effects",
        params={
            "journey_id": JOURNEY,
            "touchpoint_id": TREATED,
            "shipped_on": "2026-01-01",
            "window_days": 3,
        },
    )
    assert narrow.status_code == 422
    params = {"journey_id": JOURNEY, "touchpoint_id": TREATED, "shipped_on": "2026-01-01"}
    for odd in ({"touchpoint_id": ""}, {"journey_id": ""}):
        refused = api.get("/v1/effects", params={**params, **odd})
        assert refused.status_code == 422, (odd, refused.text)
    # The calendar's ends: nothing to compare, said so.
    for day in ("0001-01-01", "9999-12-31"):
        edge = api.get("/v1/effects", params={**params, "shipped_on": day})
        assert edge.status_code == 200, edge.text
        assert edge.json()["verdict"] in ("not_enough_data", "too_early")
