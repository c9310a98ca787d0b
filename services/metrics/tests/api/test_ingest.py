import threading
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session, select

from cxshared.db import make_engine
from cxshared.testing.databases import fetch_all
from cxshared.testing.processes import LiveServices, ServiceProcess
from metrics.customers.models import LatestNps
from metrics.facts.models import DailyRollup, ResponseFact
from metrics.facts.service import rebuild_rollups


def rollups(database_url: str) -> list[tuple]:
    rows = fetch_all(database_url, select(DailyRollup))
    return sorted(tuple(v for k, v in r.model_dump().items() if k != "id") for r in rows)


def facts(database_url: str) -> list[ResponseFact]:
    return fetch_all(database_url, select(ResponseFact))


def nps(api, **params) -> dict:
    response = api.get("/v1/scores", params={"metric": "nps", **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_completed_response_becomes_one_fact_and_counts_in_the_score(ev, api, send):
    result = send(ev.response("r1", nps=10, ces=6, comment="Quick and friendly courier"))
    assert result == {"applied": 1, "duplicates": 0, "ignored": 0}
    overall = nps(api)["overall"]
    assert (overall["value"], overall["n"]) == (100, 1)
    [fact] = facts(api.database_url)
    assert (fact.nps, fact.ces, fact.touchpoint_id) == (10, 6, "tp-courier")
    assert fact.sentiment > 0.05


def test_a_duplicate_event_changes_nothing(ev, api, send):
    first = ev.response("r1", nps=3)
    send(first)
    before = rollups(api.database_url)
    assert send(first) == {"applied": 0, "duplicates": 1, "ignored": 0}
    assert send(first, first) == {"applied": 0, "duplicates": 2, "ignored": 0}
    assert rollups(api.database_url) == before
    assert nps(api)["overall"]["n"] == 1


def test_the_same_event_twice_in_one_batch_is_applied_once(ev, api, send):
    only = ev.response("r1", nps=9)
    assert send(only, only) == {"applied": 1, "duplicates": 1, "ignored": 0}
    assert nps(api)["overall"]["n"] == 1


def test_unknown_event_types_are_recorded_and_ignored(ev, api, send):
    opportunity = ev.event("opportunity.created", {"id": "o1", "version": 1})
    assert send(opportunity) == {"applied": 0, "duplicates": 0, "ignored": 1}
    assert send(opportunity)["duplicates"] == 1


def test_flagged_responses_are_kept_but_left_out_of_every_figure(ev, api, send):
    send(ev.response("r1", nps=0, flags=["honeypot"]), ev.response("r2", nps=10))
    assert len(facts(api.database_url)) == 2
    assert nps(api)["overall"]["n"] == 1


def test_a_later_update_replaces_the_fact_and_an_older_one_is_ignored(ev, api, send):
    send(ev.response("r1", nps=2, occurred_at=ev.now))
    send(
        ev.response(
            "r1", nps=9, type_="response.updated", occurred_at=ev.now + timedelta(minutes=5)
        )
    )
    send(
        ev.response(
            "r1", nps=0, type_="response.updated", occurred_at=ev.now + timedelta(minutes=1)
        )
    )
    overall = nps(api)["overall"]
    assert (overall["n"], overall["value"]) == (1, 100)
    assert rebuild_check(api.database_url)["differ"] == 0


def rebuild_check(database_url: str) -> dict[str, int]:
    engine = make_engine(database_url, pool_size=1)
    try:
        with Session(engine) as session:
            return rebuild_rollups(session, replace=False)
    finally:
        engine.dispose()


def test_erasure_removes_the_facts_and_corrects_the_rollups(ev, api, send):
    send(
        ev.response("r1", nps=0, respondent="cust-1", comment="awful"),
        ev.response("r2", nps=10, respondent="cust-2"),
        ev.response("r3", nps=6, respondent="cust-1"),
    )
    erased = ev.event(
        "respondent.erased",
        {
            "respondent_external_id": "cust-1",
            "erased_at": ev.now.isoformat(),
            "response_ids": ["r1", "r3"],
        },
    )
    send(erased)
    assert [f.response_id for f in facts(api.database_url)] == ["r2"]
    overall = nps(api)["overall"]
    assert (overall["n"], overall["value"]) == (1, 100)
    # One daily and one monthly row.
    assert rebuild_check(api.database_url) == {"agree": 2, "differ": 0, "missing": 0, "extra": 0}
    # A late or replayed completion of an erased response does not bring it back.
    send(ev.response("r1", nps=0, respondent="cust-1"))
    assert nps(api)["overall"]["n"] == 1


def test_updates_and_erasures_within_one_batch_apply_in_order(ev, api, send):
    send(ev.response("r0", nps=8, respondent="cust-1", occurred_at=ev.now))
    erased = ev.event(
        "respondent.erased",
        {"respondent_external_id": "cust-1", "erased_at": ev.now.isoformat(), "response_ids": []},
    )
    later = ev.now + timedelta(minutes=5)
    send(
        ev.response("r1", nps=2, respondent="cust-2", occurred_at=ev.now),
        ev.response("r1", nps=9, respondent="cust-2", type_="response.updated", occurred_at=later),
        ev.response("r1", nps=0, respondent="cust-2", type_="response.updated", occurred_at=ev.now),
        ev.response("r2", nps=10, respondent="cust-1"),  # erased below, in the same batch
        erased,
        ev.response("r2", nps=10, respondent="cust-1", id_="evt-late-r2"),  # stays erased
        ev.response("r3", nps=4, respondent="cust-3"),
    )
    assert sorted(f.response_id for f in facts(api.database_url)) == ["r1", "r3"]
    overall = nps(api)["overall"]
    assert (overall["n"], overall["details"]) == (
        2,
        {"promoters": 1, "passives": 0, "detractors": 1},
    )
    assert rebuild_check(api.database_url)["differ"] == 0
    latest = {
        row.respondent_id: row.score for row in fetch_all(api.database_url, select(LatestNps))
    }
    assert latest == {"cust-2": 9, "cust-3": 4}


def test_an_older_touchpoint_version_never_overwrites_a_newer_one(ev, api, send):
    send(ev.touchpoint(version=3, owner_name="Ana Lima"))
    send(ev.touchpoint(version=2, owner_name="Old Owner"))
    send(ev.response("r1", nps=9))
    [group] = nps(api, group_by="touchpoint")["groups"]
    assert group["label"] == "Courier delivers"
    overlay = api.get("/v1/journeys/journey-1/overlay").json()
    assert overlay["stages"][0]["touchpoints"][0]["owner_name"] == "Ana Lima"


def test_a_batch_with_an_invalid_event_is_refused_whole(ev, api, send, ingest_key):
    good = ev.response("r1", nps=9)
    bad = ev.response("r2", nps=9)
    del bad["data"]["submitted_at"]
    response = api.client.post("/v1/events", json={"events": [good, bad]}, headers=ingest_key)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"][:4] == ["body", "events", 1, "data"]
    assert facts(api.database_url) == []


def test_only_an_ingest_key_may_post_events(ev, api):
    body = {"events": [ev.response("r1", nps=9)]}
    assert api.client.post("/v1/events", json=body).status_code == 401
    assert api.client.post("/v1/events", json=body, headers=api.writer).status_code == 403
    assert api.client.post("/v1/events", json=body, headers=api.admin).status_code == 403


@pytest.fixture
def live_metrics(database_url: str, live_services: LiveServices) -> Callable[..., ServiceProcess]:
    def start(*args: str) -> ServiceProcess:
        env = {
            "METRICS_DATABASE_URL": database_url,
            "METRICS_RELAY_IN_PROCESS": "false",
            "METRICS_ALERTS_IN_PROCESS": "false",
        }
        return live_services.start("metrics", "serve", *args, env=env)

    return start


@pytest.mark.slow
def test_one_event_delivered_five_times_at_once_leaves_one_fact(
    ev, api, send, ingest_key, live_metrics
):
    send(ev.response("r0", nps=7))
    server = live_metrics("--workers", "2")
    repeated = ev.response("r1", nps=10, comment="great")
    barrier = threading.Barrier(5)
    answers: list[httpx.Response] = []

    def deliver() -> None:
        barrier.wait()
        answers.append(
            httpx.post(
                f"{server.base_url}/v1/events",
                json={"events": [repeated]},
                headers=ingest_key,
                timeout=30,
            )
        )

    threads = [threading.Thread(target=deliver) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [200] * 5
    assert sorted(a.json()["applied"] for a in answers) == [0, 0, 0, 0, 1]
    assert sorted(f.response_id for f in facts(api.database_url)) == ["r0", "r1"]
    overall = nps(api)["overall"]
    assert (overall["n"], overall["details"]["promoters"], overall["details"]["passives"]) == (
        2,
        1,
        1,
    )
    assert rebuild_check(api.database_url)["differ"] == 0
