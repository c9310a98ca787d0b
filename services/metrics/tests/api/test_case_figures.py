"""Case figures from feedback's case events, checked against an independent computation:
numpy's percentiles and statsmodels' Wilson intervals over the cases as the test made them."""

from datetime import date, timedelta
from typing import Any

import numpy
import pytest
from statsmodels.stats.proportion import proportion_confint

# (first contact hours, contacted?), (resolution hours, resolved?), recovered
CASES = {
    "c1": ((2, True), (50, True), True),
    "c2": ((30, True), (100, True), False),  # contacted late
    "c3": ((5, False), (5, False), None),  # both clocks running, within target: not decided
    "c4": ((26, False), (26, False), None),  # not contacted, past due
    "c5": ((10, True), (200, True), True),  # resolved late
    "c6": ((1, True), (20, True), None),
}


def wilson(count: int, n: int) -> tuple[float, float]:
    low, high = proportion_confint(count, n, alpha=0.05, method="wilson")
    return 100 * low, 100 * high


def assert_share(figure: dict[str, Any], count: int, n: int) -> None:
    assert (figure["count"], figure["n"]) == (count, n)
    assert figure["value"] == pytest.approx(100 * count / n)
    assert (figure["low"], figure["high"]) == pytest.approx(wilson(count, n), abs=1e-6)


def test_case_handling_sla_compliance_and_recovery_match_an_independent_computation(api, send, ev):
    send(
        *(
            ev.case(
                cid,
                first=f,
                resolution=r,
                recovered=rec,
                team="team-b" if cid == "c6" else "team-a",
            )
            for cid, (f, r, rec) in CASES.items()
        )
    )
    # An older state of c1 arriving late changes nothing; the same event twice counts once.
    stale = ev.case("c1", first=(0, False), resolution=(0, False), version=0)
    again = ev.case("c6", first=(1, True), resolution=(20, True), team="team-b", id_="evt-same")
    assert send(stale, again, again)["duplicates"] == 1
    figures = api.get("/v1/cases/figures").json()
    overall = figures["overall"]
    assert overall["opened"] == 6

    firsts = [f[0] for f, _, _ in CASES.values() if f[1]]
    resolved = [r[0] for _, r, _ in CASES.values() if r[1]]
    for key, hours in (("time_to_first_contact", firsts), ("time_to_resolution", resolved)):
        assert overall[key]["n"] == len(hours)
        assert overall[key]["median_hours"] == pytest.approx(numpy.percentile(hours, 50))
        assert overall[key]["p90_hours"] == pytest.approx(numpy.percentile(hours, 90))

    # Decided first-contact clocks: contacted (met when within 24 h) or past due.
    first_decided = [f for f, _, _ in CASES.values() if f[1] or f[0] > 24]
    first_met = [f for f in first_decided if f[1] and f[0] <= 24]
    assert_share(overall["first_contact_sla"], len(first_met), len(first_decided))
    res_decided = [r for _, r, _ in CASES.values() if r[1] or r[0] > 120]
    res_met = [r for r in res_decided if r[1] and r[0] <= 120]
    assert_share(overall["resolution_sla"], len(res_met), len(res_decided))
    answered = [rec for _, _, rec in CASES.values() if rec is not None]
    assert_share(overall["recovery"], sum(answered), len(answered))
    assert overall["follow_ups_sent"] == len(answered)

    by_team = api.get("/v1/cases/figures", params={"by": "team"}).json()["groups"]
    assert [(g["key"], g["name"], g["opened"]) for g in by_team] == [
        ("team-a", "TEAM-A", 5),
        ("team-b", "TEAM-B", 1),
    ]
    only_b = api.get("/v1/cases/figures", params={"team_id": "team-b"}).json()["overall"]
    assert only_b["opened"] == 1
    old = api.get(
        "/v1/cases/figures", params={"to": (ev.now - timedelta(days=2)).isoformat()}
    ).json()
    assert old["overall"]["opened"] == 0 and old["overall"]["recovery"]["value"] is None


def test_churn_of_detractors_by_recovery_is_an_association_with_wilson_intervals(api, send, ev):
    # (group, customers, of whom churned within the year)
    plan = {"recovered": (10, 2), "not_recovered": (8, 5), "no_case": (12, 6)}
    today = date.today()
    customers, events = [], []
    for group, (n, churned) in plan.items():
        for i in range(n):
            who = f"{group}-{i}"
            events.append(ev.response(f"r-{who}", nps=3, respondent=who, days_ago=200))
            customers.append(
                {
                    "external_id": who,
                    "annual_revenue": 100,
                    "churn_date": (today - timedelta(days=10)).isoformat() if i < churned else None,
                }
            )
            if group != "no_case":
                events.append(
                    ev.case(
                        f"case-{who}",
                        respondent=who,
                        first=(1, True),
                        resolution=(10, True),
                        recovered=group == "recovered",
                    )
                )
    # Neither a promoter nor a detractor whose follow-up is unanswered is counted anywhere;
    # a detractor who churned more than a year after answering did not churn "within a year".
    events.append(ev.response("r-fan", nps=10, respondent="fan", days_ago=200))
    events.append(ev.response("r-waiting", nps=2, respondent="waiting", days_ago=200))
    events.append(
        ev.case("case-waiting", respondent="waiting", first=(1, True), resolution=(1, True))
    )
    events.append(ev.response("r-late", nps=2, respondent="late", days_ago=400))
    customers += [
        {"external_id": "fan", "churn_date": today.isoformat()},
        {"external_id": "waiting", "churn_date": today.isoformat()},
        {"external_id": "late", "churn_date": today.isoformat()},
    ]
    send(*events)
    assert api.post("/v1/customers", {"customers": customers}).status_code == 200
    churn = api.get("/v1/cases/figures").json()["churn"]
    assert "association, not proof" in churn["note"]
    lines = {line["group"]: line["churn"] for line in churn["lines"]}
    assert_share(lines["recovered"], 2, 10)
    assert_share(lines["not_recovered"], 5, 8)
    assert_share(lines["no_case"], 6, 12 + 1)  # and the late churner, not churned within a year


def test_erasing_a_respondent_removes_their_cases(api, send, ev):
    send(
        ev.case("gone", respondent="cust-gone", first=(1, True), resolution=(2, True)),
        ev.case("named", respondent="cust-other", first=(1, True), resolution=(2, True)),
        ev.case("kept", respondent="cust-kept", first=(1, True), resolution=(2, True)),
    )
    erased = ev.event(
        "respondent.erased", {"respondent_external_id": "cust-gone", "case_ids": ["named"]}
    )
    send(erased)
    assert api.get("/v1/cases/figures").json()["overall"]["opened"] == 1
