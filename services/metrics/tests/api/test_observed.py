"""Activity events in, observed journeys out: exactly once, bad data refused, and every figure
equal to an independent computation with pandas on the same events (docs/observed.md)."""

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

JOURNEY = "journey-obs"
# (touchpoint, stage, stage position, position, activities): the map as designed.
MAP = [
    ("tp-order", "st-buy", 0, 0, ["order_placed", "order_paid"]),
    ("tp-confirm", "st-buy", 0, 1, ["confirmation_email_sent"]),
    ("tp-track", "st-deliver", 1, 0, ["tracking_*"]),
    ("tp-deliver", "st-deliver", 1, 1, ["parcel_delivered"]),
    ("tp-support", "st-help", 2, 0, ["support_*"]),
    ("tp-survey", "st-help", 2, 1, ["never_happens"]),
    ("tp-unmapped", "st-help", 2, 2, []),
]
GAP = timedelta(days=30)
LOOP = timedelta(days=7)


def touchpoint(
    tp: str, stage: str, stage_position: int, position: int, activities: list[str], version: int = 1
) -> dict[str, Any]:
    return {
        "id": tp,
        "version": version,
        "journey_id": JOURNEY,
        "stage_id": stage,
        "position": position,
        "name": tp.removeprefix("tp-").title(),
        "channel": "web",
        "owner_team_id": None,
        "owner_name": "",
        "targets": [],
        "activities": activities,
        "journey": {"id": JOURNEY, "name": "Order to delivery", "state": "current"},
        "stage": {"id": stage, "name": stage.removeprefix("st-"), "position": stage_position},
    }


@pytest.fixture
def mapped(ev, send) -> None:
    send(*(ev.event("touchpoint.created", touchpoint(*row)) for row in MAP))


@pytest.fixture
def post(api, ingest_key):
    def post(*activities: dict[str, Any], status: int = 200) -> dict[str, Any]:
        response = api.client.post(
            "/v1/activities", json={"activities": list(activities)}, headers=ingest_key
        )
        assert response.status_code == status, response.text
        return response.json()

    return post


def activity(event_id: str, customer: str, name: str, at: datetime, **extra: Any) -> dict:
    return {
        "event_id": event_id,
        "customer_id": customer,
        "activity": name,
        "occurred_at": at.isoformat(),
        **extra,
    }


def observed(api, figure: str, **params: Any) -> dict[str, Any]:
    start = (datetime.now(UTC) - timedelta(days=400)).date().isoformat()
    response = api.get(f"/v1/observed/{JOURNEY}/{figure}", params={"from": start, **params})
    assert response.status_code == 200, response.text
    return response.json()


def rebuild(api, *, check: bool) -> dict[str, Any]:
    from cxshared.auth import Scope
    from cxshared.testing.api import bearer, make_key

    admin = bearer(make_key(api.database_url, "admin", Scope.ADMIN))
    response = api.client.post(
        "/v1/observed/rebuild", params={"check": str(check).lower()}, headers=admin
    )
    assert response.status_code == 200, response.text
    return response.json()


# --- exactly once -------------------------------------------------------------------------


def test_an_activity_is_recorded_once_and_a_repeat_changes_nothing(ev, api, mapped, post):
    first = activity("e1", "C-1", "order_paid", ev.now - timedelta(hours=2))
    assert post(first) == {"recorded": 1, "duplicates": 0, "rollups_stale": False}
    before = observed(api, "reach")
    assert post(first, first) == {"recorded": 0, "duplicates": 2, "rollups_stale": False}
    assert observed(api, "reach") == before
    assert before["cases"] == 1


def test_the_same_event_twice_in_one_batch_is_recorded_once(ev, api, mapped, post):
    only = activity("e1", "C-1", "order_paid", ev.now - timedelta(hours=2))
    assert post(only, only)["recorded"] == 1
    assert observed(api, "reach")["cases"] == 1


def test_a_reused_event_id_with_another_body_is_409_and_stores_nothing(ev, api, mapped, post):
    at = ev.now - timedelta(hours=2)
    post(activity("e1", "C-1", "order_paid", at))
    clash = post(
        activity("e2", "C-2", "order_paid", at),
        activity("e1", "C-1", "order_paid", at, attributes={"amount": 3}),
        status=409,
    )
    assert clash["type"].endswith("activity-clash")
    assert clash["event_id"] == "e1"
    twice = post(
        activity("e3", "C-3", "order_paid", at),
        activity("e3", "C-3", "parcel_delivered", at),
        status=409,
    )
    assert twice["event_id"] == "e3"
    assert observed(api, "reach")["cases"] == 1  # neither e2 nor e3 stored


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer_id": "has space"}, "customer_id"),
        ({"customer_id": ""}, "customer_id"),
        ({"customer_id": "x" * 201}, "customer_id"),
        ({"activity": "not an activity"}, "activity"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "FUTURE"}, "occurred_at"),
        ({"attributes": {"note": "x" * 3000}}, "attributes"),
        ({"event_id": ""}, "event_id"),
    ],
)
def test_bad_activity_data_is_a_422_naming_the_field(ev, api, mapped, post, change, field):
    good = activity("e1", "C-1", "order_paid", ev.now)
    if change.get("occurred_at") == "FUTURE":
        change = {"occurred_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
    problem = post(good, {**good, "event_id": "e2", **change}, status=422)
    assert problem["errors"][0]["field"] == f"activities[1].{field}", problem
    assert observed(api, "reach")["cases"] == 0  # the good one is not stored either


def test_a_clock_a_little_ahead_is_accepted(ev, api, mapped, post):
    ahead = datetime.now(UTC) + timedelta(minutes=2)
    assert post(activity("e1", "C-1", "order_paid", ahead))["recorded"] == 1


def test_a_late_event_takes_its_place_in_the_trail(ev, api, mapped, post):
    """A clock that went backwards, or a delayed sender: the trail follows event time."""
    t0 = ev.now - timedelta(days=3)
    post(activity("a", "C-1", "order_paid", t0))
    post(activity("c", "C-1", "parcel_delivered", t0 + timedelta(days=2)))
    assert [
        (f["from_touchpoint_id"], f["to_touchpoint_id"]) for f in observed(api, "flows")["flows"]
    ] == [("tp-order", "tp-deliver")]
    post(activity("b", "C-1", "tracking_viewed", t0 + timedelta(days=1)))
    flows = observed(api, "flows")["flows"]
    assert sorted((f["from_touchpoint_id"], f["to_touchpoint_id"]) for f in flows) == [
        ("tp-order", "tp-track"),
        ("tp-track", "tp-deliver"),
    ]
    report = rebuild(api, check=True)
    assert (report["differ"], report["missing"], report["extra"], report["events"]) == (0, 0, 0, 3)


# --- bulk import --------------------------------------------------------------------------


def _csv(rows: list[dict[str, Any]]) -> str:
    lines = ["event_id,customer_id,activity,occurred_at,channel,attributes"]
    for r in rows:
        attributes = json.dumps(r.get("attributes", {})).replace('"', '""')
        lines.append(
            f"{r['event_id']},{r['customer_id']},{r['activity']},{r['occurred_at']},"
            f'{r.get("channel", "")},"{attributes}"'
        )
    return "\n".join(lines) + "\n"


def _import(api, ingest_key, body: str, media_type: str, status: int = 200) -> dict[str, Any]:
    response = api.client.post(
        "/v1/activities/import",
        content=body.encode(),
        headers={**ingest_key, "content-type": media_type},
    )
    assert response.status_code == status, response.text
    return response.json()


def test_an_event_log_imports_once_as_csv_or_json_lines(ev, api, mapped, ingest_key):
    rows = [
        activity(
            f"e{i}",
            f"C-{i % 7}",
            name,
            ev.now - timedelta(hours=40 - i),
            attributes={"late_days": i % 3},
        )
        for i, name in enumerate(["order_paid", "tracking_viewed", "parcel_delivered"] * 10)
    ]
    first = _import(api, ingest_key, _csv(rows[:20]), "text/csv")
    assert first == {"read": 20, "recorded": 20, "duplicates": 0, "rollups_stale": False}
    jsonl = "\n".join(json.dumps(r) for r in rows) + "\n"
    again = _import(api, ingest_key, jsonl, "application/x-ndjson")
    assert again == {"read": 30, "recorded": 10, "duplicates": 20, "rollups_stale": False}
    figures = observed(api, "reach")
    assert _import(api, ingest_key, _csv(rows), "text/csv")["duplicates"] == 30
    assert observed(api, "reach") == figures
    report = rebuild(api, check=True)
    assert (report["differ"], report["missing"], report["extra"]) == (0, 0, 0)


def test_an_import_that_rebuilds_counts_every_event_once_at_its_end(ev, api, mapped, post):
    """`import-activities --rebuild`: the rollups are stale while it runs and computed once
    from every stored event at its end, the same as batch by batch; an import stopped by a bad
    row leaves them stale, for the next run or `rebuild-observed`."""
    from io import StringIO

    from cxshared.db import make_engine
    from metrics.ingest.importer import BadRow
    from metrics.observed.importer import import_activities
    from metrics.observed.service import Limits

    rows = [
        activity(f"r{i}", f"C-{i % 9}", name, ev.now - timedelta(hours=60 - i))
        for i, name in enumerate(["order_paid", "tracking_viewed", "parcel_delivered"] * 12)
    ]
    post(*rows[:6])  # some live events first, counted as they came
    incremental = observed(api, "reach")
    engine = make_engine(api.database_url, pool_size=1)
    limits = Limits.of(api.client.app.state.settings)
    log = "\n".join(json.dumps(r) for r in rows) + "\n"
    done = import_activities(engine, StringIO(log), fmt="jsonl", limits=limits, rebuild=True)
    assert (done.recorded, done.duplicates, done.stale) == (30, 6, False)
    assert done.rebuilt is not None and done.rebuilt.events == 36
    reach = observed(api, "reach")
    assert reach["rollups_stale"] is False and reach != incremental
    report = rebuild(api, check=True)
    assert (report["differ"], report["missing"], report["extra"]) == (0, 0, 0)

    broken = log + '{"event_id": "x1", "customer_id": "C-1"}\n'
    with pytest.raises(BadRow):
        import_activities(engine, StringIO(broken), fmt="jsonl", limits=limits, rebuild=True)
    assert observed(api, "reach")["rollups_stale"] is True
    assert rebuild(api, check=False)["rebuilt"] is True
    assert observed(api, "reach") == reach
    engine.dispose()


def test_a_bad_row_or_a_clash_in_a_log_names_the_row(ev, api, mapped, ingest_key):
    good = activity("e1", "C-1", "order_paid", ev.now)
    future = activity("e2", "C-2", "order_paid", datetime.now(UTC) + timedelta(days=1))
    problem = _import(api, ingest_key, _csv([good, future]), "text/csv", status=422)
    assert problem["type"].endswith("invalid-activity-log")
    assert problem["detail"].startswith("row 3: occurred_at")
    bad_json = _import(
        api, ingest_key, '{"event_id": "x"}\nnot json\n', "application/x-ndjson", status=422
    )
    assert "line 2" in bad_json["detail"] or "row 1" in bad_json["detail"]
    _import(api, ingest_key, _csv([good]), "text/csv")
    clash = _import(
        api, ingest_key, _csv([{**good, "activity": "order_placed"}]), "text/csv", status=409
    )
    assert clash["detail"].startswith("row 2: event e1")
    unknown = _import(api, ingest_key, "event_id,customer\nx,y\n", "text/csv", status=422)
    assert "unknown column" in unknown["detail"]
    assert _import(api, ingest_key, "", "application/json", status=415)


# --- figures against pandas ---------------------------------------------------------------


def _trails(now: datetime, customers: int, seed: int) -> list[dict[str, Any]]:
    """Customers ordering, mostly tracking and receiving their parcel, some calling support
    (twice for a few), an undocumented `page_failed` before support, and some coming
    back after more than the case gap."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for c in range(customers):
        at = now - timedelta(days=rng.uniform(1, 120), seconds=rng.randint(0, 86_400))
        names = ["order_placed"]
        if rng.random() < 0.9:
            names.append("order_paid")
        if rng.random() < 0.8:
            names.append("confirmation_email_sent")
        names += ["tracking_viewed"] * rng.randint(0, 3)
        if rng.random() < 0.25:
            names += ["page_failed", "support_call"]
            if rng.random() < 0.4:
                names.append("support_call")
        if rng.random() < 0.85:
            names.append("parcel_delivered")
        if rng.random() < 0.1:
            names.append("newsletter_opened")
        if rng.random() < 0.15:
            names.append("GAP")
            names += ["order_placed", "parcel_delivered"]
        for name in names:
            if name == "GAP":
                at += timedelta(days=rng.uniform(31, 60))
                continue
            at += timedelta(seconds=rng.randint(30, 4 * 86_400))
            if at >= now:
                break
            rows.append(activity(f"c{c}-{len(rows)}", f"C-{c:04d}", name, at))
    return rows


def _touchpoint_of(name: str) -> str | None:
    for tp, _, _, _, names in MAP:
        if name in names:
            return tp
    prefixes = [(n[:-1], tp) for tp, _, _, _, ns in MAP for n in ns if n.endswith("*")]
    for prefix, tp in sorted(prefixes, key=lambda p: -len(p[0])):
        if name.startswith(prefix):
            return tp
    return None


def _reference(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures, computed from scratch with pandas."""
    df = pd.DataFrame(rows)
    df["at"] = pd.to_datetime(df["occurred_at"], utc=True)
    df["tp"] = df["activity"].map(_touchpoint_of)
    df = df.sort_values(["customer_id", "at", "event_id"], kind="stable")
    df["new_case"] = df.groupby("customer_id")["at"].diff().gt(pd.Timedelta(GAP)) | df[
        "customer_id"
    ].ne(df["customer_id"].shift())
    df["case"] = df["new_case"].cumsum()
    df = df[df.groupby("case")["tp"].transform(lambda s: s.notna().any())]
    visits = df[df["tp"].notna()].copy()
    cases = visits["case"].nunique()
    stage = {tp: st for tp, st, _, _, _ in MAP}
    visits["stage"] = visits["tp"].map(stage)
    reach = visits.groupby("tp")["case"].nunique().to_dict()
    stages = visits.groupby("stage")["case"].nunique().to_dict()
    visits["next_tp"] = visits.groupby("case")["tp"].shift(-1)
    visits["next_at"] = visits.groupby("case")["at"].shift(-1)
    pairs = visits[visits["next_tp"].notna()].copy()
    pairs["seconds"] = (pairs["next_at"] - pairs["at"]).dt.total_seconds()
    flows = {}
    for (a, b), group in pairs.groupby(["tp", "next_tp"]):
        times = np.sort(group["seconds"].to_numpy())
        rank = lambda q: times[max(1, int(np.ceil(q * len(times)))) - 1]  # noqa: E731
        flows[(a, b)] = {
            "count": len(group),
            "share": 100 * len(group) / (pairs["tp"] == a).sum(),
            "median": rank(0.5),
            "p90": rank(0.9),
        }
    paths = visits.groupby("case")["tp"].apply(tuple).value_counts()
    visits["prev_same"] = visits.groupby(["case", "tp"])["at"].diff()
    repeats = visits[visits["prev_same"].le(pd.Timedelta(LOOP))]
    loops = repeats.groupby("tp")["case"].nunique().to_dict()
    unmapped = df[df["tp"].isna()]
    return {
        "cases": cases,
        "reach": reach,
        "stages": stages,
        "flows": flows,
        "paths": paths,
        "loops": loops,
        "repeats": repeats.groupby("tp").size().to_dict(),
        "unmapped_cases": unmapped.groupby("activity")["case"].nunique().to_dict(),
        "unmapped_volume": unmapped.groupby("activity").size().to_dict(),
    }


def _send_shuffled(post, rows: list[dict[str, Any]], seed: int) -> None:
    """In a random order of arrival, in batches: clocks and senders never agree on order."""
    shuffled = rows[:]
    random.Random(seed).shuffle(shuffled)
    for start in range(0, len(shuffled), 400):
        post(*shuffled[start : start + 400])


def test_every_figure_matches_an_independent_pandas_computation(ev, api, mapped, post):
    rows = _trails(ev.now, 300, seed=7)
    _send_shuffled(post, rows, seed=8)
    expected = _reference(rows)
    n = expected["cases"]

    reach = observed(api, "reach")
    assert reach["cases"] == n
    got = {t["touchpoint_id"]: t["reach"] for t in reach["touchpoints"]}
    for tp, _, _, _, _ in MAP:
        assert got[tp]["count"] == expected["reach"].get(tp, 0), tp
        assert got[tp]["n"] == n
    order = got["tp-order"]
    assert order["low"] <= order["value"] <= order["high"]

    funnel = observed(api, "funnel")["stages"]
    assert [s["stage_id"] for s in funnel] == ["st-buy", "st-deliver", "st-help"]
    for stage in funnel:
        assert stage["reached"]["count"] == expected["stages"].get(stage["stage_id"], 0)
    assert funnel[1]["drop_off"] == pytest.approx(
        funnel[0]["reached"]["value"] - funnel[1]["reached"]["value"], abs=1e-3
    )

    flows = observed(api, "flows")["flows"]
    assert {(f["from_touchpoint_id"], f["to_touchpoint_id"]) for f in flows} == set(
        expected["flows"]
    )
    for flow in flows:
        want = expected["flows"][(flow["from_touchpoint_id"], flow["to_touchpoint_id"])]
        assert flow["count"] == want["count"]
        assert flow["share"]["value"] == pytest.approx(want["share"])
        assert flow["time"]["median_seconds"] == pytest.approx(want["median"], rel=0.05, abs=1)
        assert flow["time"]["p90_seconds"] == pytest.approx(want["p90"], rel=0.05, abs=1)

    paths = observed(api, "paths", limit=5)
    assert paths["variants"] == len(expected["paths"])
    top = expected["paths"]
    for path in paths["paths"]:
        assert path["share"]["count"] == top[tuple(path["touchpoint_ids"])]
    assert [p["share"]["count"] for p in paths["paths"]] == list(top.iloc[:5])

    loops = {x["touchpoint_id"]: x for x in observed(api, "loops")["loops"]}
    assert {tp: x["cases"]["count"] for tp, x in loops.items()} == expected["loops"]
    assert {tp: x["repeats"] for tp, x in loops.items()} == expected["repeats"]
    assert expected["loops"].get("tp-support", 0) > 0

    differences = observed(api, "differences", min_cases=1, min_share=0.0)
    assert [t["touchpoint_id"] for t in differences["unreached_touchpoints"]] == [
        "tp-survey",
        "tp-unmapped",
    ]
    assert [t["mapped"] for t in differences["unreached_touchpoints"]] == [True, False]
    unmapped = {u["activity"]: u for u in differences["unmapped_activities"]}
    assert {a: u["cases"]["count"] for a, u in unmapped.items()} == expected["unmapped_cases"]
    assert {a: u["occurrences"] for a, u in unmapped.items()} == expected["unmapped_volume"]
    failed = unmapped["page_failed"]["where"][0]
    assert failed["before_touchpoint_id"] == "tp-support"
    order = [row[0] for row in MAP]
    reach = expected["reach"]

    def along(a: str, b: str) -> bool:  # forward, past touchpoints under half of a's reach
        i, j = order.index(a), order.index(b)
        return j > i and all(reach.get(t, 0) < 0.5 * reach[a] for t in order[i + 1 : j])

    unexpected = {
        (t["from_touchpoint_id"], t["to_touchpoint_id"])
        for t in differences["unexpected_transitions"]
    }
    assert unexpected == {
        pair for pair in expected["flows"] if pair[0] != pair[1] and not along(*pair)
    }
    assert ("tp-track", "tp-support") in unexpected  # past the delivery most cases reach
    assert ("tp-support", "tp-deliver") in unexpected  # back against the map

    report = rebuild(api, check=True)
    assert (report["differ"], report["missing"], report["extra"]) == (0, 0, 0)
    assert report["events"] == len(rows)


def test_a_period_counts_the_cases_that_started_in_it(ev, api, mapped, post):
    post(
        activity("old", "C-1", "order_paid", ev.now - timedelta(days=50)),
        activity("new", "C-2", "order_paid", ev.now - timedelta(days=2)),
    )
    assert observed(api, "reach")["cases"] == 2
    recent = api.get(f"/v1/observed/{JOURNEY}/reach")  # the last 30 days by default
    assert recent.json()["cases"] == 1


def test_a_mapping_change_marks_the_rollups_stale_until_rebuilt(ev, api, send, mapped, post):
    at = ev.now - timedelta(days=1)
    post(
        activity("a", "C-1", "order_paid", at),
        activity("b", "C-1", "newsletter_opened", at + timedelta(hours=1)),
    )
    assert observed(api, "differences", min_cases=1)["unmapped_activities"][0]["activity"] == (
        "newsletter_opened"
    )
    send(
        ev.event(
            "touchpoint.updated",
            touchpoint("tp-unmapped", "st-help", 2, 2, ["newsletter_*"], version=2),
        )
    )
    assert observed(api, "reach")["rollups_stale"] is True
    assert post(activity("c", "C-2", "order_paid", at))["rollups_stale"] is True
    assert rebuild(api, check=False)["rebuilt"] is True
    reach = observed(api, "reach")
    assert reach["rollups_stale"] is False
    counts = {t["touchpoint_id"]: t["reach"]["count"] for t in reach["touchpoints"]}
    assert (counts["tp-unmapped"], counts["tp-order"], reach["cases"]) == (1, 2, 2)
    assert observed(api, "differences", min_cases=1)["unmapped_activities"] == []
    # A touchpoint change that leaves the mapping as it was does not mark them stale.
    send(
        ev.event(
            "touchpoint.updated",
            {
                **touchpoint("tp-unmapped", "st-help", 2, 2, ["newsletter_*"], version=3),
                "name": "Newsletter",
            },
        )
    )
    assert observed(api, "reach")["rollups_stale"] is False


def test_reading_figures_needs_a_key(api):
    assert api.client.get(f"/v1/observed/{JOURNEY}/reach").status_code == 401


def test_an_event_reads_back_as_it_was_sent(ev, api, mapped, post):
    from sqlmodel import select

    from cxshared.testing.databases import fetch_all
    from metrics.observed.models import ActivityEvent

    long_ago = datetime(418, 10, 14, 3, 55, 51, 250000, tzinfo=UTC)
    post(
        activity("old", "C-1", "order_paid", long_ago, channel="store"),
        activity("new", "C-1", "parcel_delivered", ev.now, attributes={"late_days": 2}),
    )
    stored = {e.event_id: e for e in fetch_all(api.database_url, select(ActivityEvent))}
    assert stored["old"].occurred_at == long_ago
    assert stored["old"].channel == "store"
    assert stored["new"].occurred_at == ev.now
    assert stored["new"].attributes == {"late_days": 2}
    report = rebuild(api, check=True)
    assert (report["differ"], report["missing"], report["extra"]) == (0, 0, 0)


def test_another_case_gap_than_the_rollups_were_built_with_marks_them_stale(
    ev, api, mapped, post, settings
):
    from fastapi.testclient import TestClient

    from metrics.main import create_app

    post(activity("a", "C-1", "order_paid", ev.now - timedelta(days=3)))
    assert observed(api, "reach")["rollups_stale"] is False
    shorter = settings.model_copy(update={"observed_case_gap_days": 1})
    with TestClient(create_app(shorter), raise_server_exceptions=False) as client:
        response = client.get(f"/v1/observed/{JOURNEY}/reach", headers=api.reader)
        assert response.status_code == 200, response.text
        assert response.json()["rollups_stale"] is True
        rebuilt = client.post("/v1/observed/rebuild", headers=api.admin)
        assert rebuilt.json()["rebuilt"] is True
        again = client.get(f"/v1/observed/{JOURNEY}/reach", headers=api.reader)
        assert again.json()["rollups_stale"] is False
    assert observed(api, "reach")["rollups_stale"] is True  # built with 1 day now, not 30


def test_an_erased_customer_leaves_the_events_and_the_figures(ev, api, mapped, post, send):
    from sqlmodel import select

    from cxshared.testing.databases import fetch_all
    from metrics.observed.models import ActivityEvent

    at = ev.now - timedelta(days=2)
    post(
        activity("a1", "C-1", "order_paid", at),
        activity("a2", "C-1", "support_call", at + timedelta(hours=1)),
        activity("b1", "C-2", "order_paid", at),
    )
    send(ev.event("respondent.erased", {"respondent_external_id": "C-1"}))
    stored = fetch_all(api.database_url, select(ActivityEvent))
    assert [e.customer_id for e in stored] == ["C-2"]
    reach = observed(api, "reach")
    counts = {t["touchpoint_id"]: t["reach"]["count"] for t in reach["touchpoints"]}
    assert (reach["cases"], counts["tp-support"]) == (1, 0)
    report = rebuild(api, check=True)
    assert (report["differ"], report["missing"], report["extra"]) == (0, 0, 0)


def test_concurrent_batches_for_the_same_customers_add_up(ev, api, mapped):
    from concurrent.futures import ThreadPoolExecutor

    from cxshared.db import make_engine
    from cxshared.timeutil import utcnow
    from metrics.observed.schemas import ActivityIn
    from metrics.observed.service import Limits, event_row, record_once

    names = ["order_placed", "order_paid", "tracking_viewed", "support_call", "parcel_delivered"]
    batches = [
        [
            event_row(
                ActivityIn.model_validate(
                    activity(
                        f"b{b}-c{c}",
                        f"C-{c}",
                        names[b % len(names)],
                        ev.now - timedelta(days=2, minutes=b * 7 + c),
                    )
                ),
                limits=Limits(),
                now=utcnow(),
            )
            for c in range(20)
        ]
        for b in range(8)
    ]
    engine = make_engine(api.database_url)
    try:
        with ThreadPoolExecutor(4) as pool:
            done = list(pool.map(lambda b: record_once(engine, b, limits=Limits()), batches))
    finally:
        engine.dispose()
    assert sum(recorded for recorded, _, _ in done) == 160
    report = rebuild(api, check=True)
    assert (report["differ"], report["missing"], report["extra"]) == (0, 0, 0)
    assert observed(api, "reach")["cases"] == 20


def test_a_move_past_an_optional_touchpoint_is_along_the_map(ev, api, mapped, post):
    """Most cases go order -> confirmation -> tracking; a few skip the confirmation, and that
    is along the map. Skipping the delivery that nearly every case reaches is not."""
    start = ev.now - timedelta(days=20)
    rows = []
    for c in range(40):
        names = ["order_placed", "tracking_viewed", "parcel_delivered"]
        if c % 10 == 0:  # a few cases get a confirmation
            names.insert(1, "confirmation_email_sent")
        if c % 4 == 0:  # some go from tracking straight to support, past the delivery
            names = [*names[:-1], "support_call", "parcel_delivered"]
        for i, name in enumerate(names):
            rows.append(
                activity(f"o{c}-{i}", f"C-{c}", name, start + timedelta(hours=c, minutes=i))
            )
    post(*rows)
    differences = observed(api, "differences", min_cases=1, min_share=0.0)
    moves = {
        (t["from_touchpoint_id"], t["to_touchpoint_id"])
        for t in differences["unexpected_transitions"]
    }
    assert ("tp-order", "tp-track") not in moves  # past the confirmation (10 % of cases)
    assert ("tp-track", "tp-support") in moves  # past the delivery (every case)
    assert ("tp-support", "tp-deliver") in moves  # back against the map


# --- experience standards -----------------------------------------------------------------

INDICATORS = {
    "tp-confirm": {"kind": "time_between", "from_activity": "order_paid",
                   "to_activity": "confirmation_email_sent", "within_seconds": 120,
                   "objective": 0.9, "declared_activities": []},
    "tp-deliver": {"kind": "attribute", "activity": "parcel_delivered", "attribute": "late_days",
                   "operator": "le", "value": 0, "objective": 0.9, "declared_activities": []},
    "tp-support": {"kind": "not_needed", "after_activity": "parcel_delivered",
                   "activity": "support_call", "within_seconds": 7 * 86_400,
                   "objective": 0.95, "declared_activities": []},
}  # fmt: skip


def _with_indicators(version: int = 1) -> list[dict[str, Any]]:
    return [
        {**touchpoint(*row, version=version), "indicator": INDICATORS.get(row[0])} for row in MAP
    ]


def _standard_trails(now: datetime, customers: int, seed: int) -> list[dict[str, Any]]:
    """Orders with a confirmation sometimes late or missing, deliveries late or on time (or with
    no late_days at all), and support calls some days after."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for c in range(customers):
        customer = f"S-{c}"
        at = now - timedelta(days=rng.randint(2, 60), seconds=rng.randint(0, 86_399))
        for order in range(rng.randint(1, 2)):
            paid = at + timedelta(days=order * 20)
            rows.append(activity(f"{customer}-{order}-p", customer, "order_paid", paid))
            if rng.random() < 0.9:
                delay = rng.choice([5, 60, 119, 120, 121, 600])
                rows.append(
                    activity(f"{customer}-{order}-c", customer, "confirmation_email_sent",
                             paid + timedelta(seconds=delay))
                )  # fmt: skip
            delivered = paid + timedelta(days=rng.randint(1, 4))
            late = rng.choice([0, 0, 0, 1, 3, None])
            attributes = {} if late is None else {"late_days": late}
            rows.append(
                activity(f"{customer}-{order}-d", customer, "parcel_delivered", delivered,
                         attributes=attributes)
            )  # fmt: skip
            if rng.random() < 0.2:
                call = delivered + timedelta(days=rng.choice([0.5, 3, 6.9, 8, 20]))
                rows.append(activity(f"{customer}-{order}-s", customer, "support_call", call))
    return [row for row in rows if datetime.fromisoformat(row["occurred_at"]) < now]


def _standards_reference(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Met and missed occasions per indicator and day, computed with pandas on the raw rows."""
    frame = pd.DataFrame(rows)
    frame["at"] = pd.to_datetime(frame["occurred_at"], utc=True)
    frame["late"] = [
        (a or {}).get("late_days", np.nan) if isinstance(a, dict) else np.nan
        for a in frame.get("attributes", pd.Series([None] * len(frame)))
    ]

    def pairs(first: str, then: str) -> pd.DataFrame:
        starts = frame[frame.activity == first][["customer_id", "event_id", "at"]]
        ends = frame[frame.activity == then][["customer_id", "at"]]
        return starts.merge(ends, on="customer_id", how="left", suffixes=("", "_end"))

    def outcome(table: pd.DataFrame, met: pd.Series) -> dict[str, Any]:
        table = table.assign(met=met.values, day=table["at"].dt.date.astype(str))
        per = table.groupby("event_id").agg(met=("met", "max"), day=("day", "first"))
        days = per.groupby("day")["met"].agg(met="sum", n="count")
        return {
            "met": int(per.met.sum()),
            "missed": int((~per.met.astype(bool)).sum()),
            "days": {d: (int(r.met), int(r.n - r.met)) for d, r in days.iterrows()},
        }

    confirm = pairs("order_paid", "confirmation_email_sent")
    gap = (confirm["at_end"] - confirm["at"]).dt.total_seconds()
    support = pairs("parcel_delivered", "support_call")
    after = (support["at_end"] - support["at"]).dt.total_seconds()
    called = (after > 0) & (after <= 7 * 86_400)
    # not_needed: an occasion is met when no call followed within the window.
    support_met = ~called.groupby(support["event_id"]).transform("max").astype(bool)
    delivered = frame[frame.activity == "parcel_delivered"]
    return {
        "tp-confirm": outcome(confirm, (gap >= 0) & (gap <= 120)),
        "tp-deliver": outcome(delivered[["event_id", "at"]], delivered["late"] <= 0),
        "tp-support": outcome(support, support_met),
    }


def test_standards_compliance_matches_an_independent_computation(ev, api, send, post):
    send(*(ev.event("touchpoint.created", t) for t in _with_indicators()))
    rows = _standard_trails(ev.now, 150, seed=7)
    _send_shuffled(post, rows, seed=3)
    expected = _standards_reference(rows)
    found = {s["touchpoint_id"]: s for s in observed(api, "standards")["standards"]}
    assert set(found) == set(INDICATORS)
    for touchpoint_id, want in expected.items():
        got = found[touchpoint_id]
        assert got["compliance"]["count"] == want["met"], touchpoint_id
        assert got["error_budget"]["used"] == want["missed"], touchpoint_id
        assert {d["day"]: (d["met"], d["missed"]) for d in got["days"]} == want["days"]
        n = want["met"] + want["missed"]
        objective = INDICATORS[touchpoint_id]["objective"]
        assert got["error_budget"]["allowed"] == pytest.approx((1 - objective) * n, abs=0.01)
        value = got["compliance"]["value"]
        assert value == pytest.approx(100 * want["met"] / n, abs=0.01)
        assert got["status"] == ("met" if value >= objective * 100 else "breached")
        assert got["compliance"]["low"] <= value <= got["compliance"]["high"]
        # Previewing the same indicator (unsaved) over the same period, from the raw events.
        start = (datetime.now(UTC) - timedelta(days=400)).date().isoformat()
        preview = api.client.post(
            "/v1/observed/standards/preview",
            json={"indicator": INDICATORS[touchpoint_id], "from": start},
            headers=api.writer,
        )
        assert preview.status_code == 200, preview.text
        body = preview.json()
        assert (body["compliance"]["count"], body["error_budget"]["used"]) == (
            want["met"],
            want["missed"],
        )
        assert body["status"] == got["status"]
    bad = api.client.post(
        "/v1/observed/standards/preview",
        json={"indicator": {**INDICATORS["tp-deliver"], "operator": "lt", "value": "x"}},
        headers=api.writer,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"].startswith("indicator")
    # The incremental rollups agree with a recomputation from the stored events.
    check = rebuild(api, check=True)
    assert (check["differ"], check["missing"], check["extra"]) == (0, 0, 0)


def test_an_indicator_change_marks_the_rollups_stale_and_a_rebuild_follows_it(ev, api, send, post):
    send(*(ev.event("touchpoint.created", t) for t in _with_indicators()))
    at = ev.now - timedelta(days=3)
    post(
        activity("d1", "C-1", "parcel_delivered", at, attributes={"late_days": 2}),
        activity("d2", "C-2", "parcel_delivered", at, attributes={"late_days": 0}),
    )
    deliver = {s["touchpoint_id"]: s for s in observed(api, "standards")["standards"]}["tp-deliver"]
    assert (deliver["compliance"]["count"], deliver["error_budget"]["used"]) == (1, 1)
    assert deliver["status"] == "breached"
    looser = {**INDICATORS["tp-deliver"], "value": 2}
    changed = next(t for t in _with_indicators(version=2) if t["id"] == "tp-deliver")
    send(ev.event("touchpoint.updated", {**changed, "indicator": looser}))
    assert observed(api, "standards")["rollups_stale"] is True
    rebuild(api, check=False)
    after = {s["touchpoint_id"]: s for s in observed(api, "standards")["standards"]}
    assert (after["tp-deliver"]["compliance"]["count"], after["tp-deliver"]["status"]) == (2, "met")
    # An attribute missing from the event misses the standard; a period with none has no data.
    post(activity("d3", "C-3", "parcel_delivered", at))
    again = {s["touchpoint_id"]: s for s in observed(api, "standards")["standards"]}
    assert again["tp-deliver"]["error_budget"]["used"] == 1
    empty = api.get(
        f"/v1/observed/{JOURNEY}/standards",
        params={"from": "2020-01-01", "to": "2020-01-31"},
    ).json()
    assert {s["status"] for s in empty["standards"]} == {"no_data"}


def test_what_missing_a_standard_costs_matches_an_independent_computation(ev, api, send, post):
    send(*(ev.event("touchpoint.created", t) for t in _with_indicators()))
    rows = _standard_trails(ev.now, 120, seed=11)
    _send_shuffled(post, rows, seed=5)
    rng = random.Random(2)
    customers = sorted({r["customer_id"] for r in rows})
    answers, outcomes = [], []
    for n, customer in enumerate(customers):
        for k in range(rng.randint(0, 2)):
            answers.append(
                ev.response(f"r-{n}-{k}", touchpoint_id=rng.choice(["tp-deliver", "tp-order"]),
                            nps=rng.randint(0, 10), csat=rng.randint(1, 5),
                            respondent=customer, days_ago=rng.randint(0, 20))
            )  # fmt: skip
        if n % 3:  # a third of the customers have no known outcome
            churned = (ev.now - timedelta(days=rng.randint(0, 90))).date() if n % 5 == 0 else None
            outcomes.append(
                {"external_id": customer, "churn_date": churned and churned.isoformat()}
            )
    answers.append(ev.response("r-other", touchpoint_id="tp-elsewhere", nps=0, respondent="S-0"))
    send(*answers)
    assert api.post("/v1/customers", {"customers": outcomes}).status_code == 200
    start = (ev.now - timedelta(days=29)).date()
    found = api.get(f"/v1/observed/{JOURNEY}/standards/cost", params={"from": start.isoformat()})
    assert found.status_code == 200, found.text
    by_touchpoint = {s["touchpoint_id"]: s for s in found.json()["standards"]}

    # Independently: each customer's occasions from the raw rows, then their answers.
    assert set(by_touchpoint) == set(INDICATORS)
    frame = pd.DataFrame(rows)
    frame["at"] = pd.to_datetime(frame["occurred_at"], utc=True)
    frame["late"] = [
        a.get("late_days", np.nan) if isinstance(a, dict) else np.nan for a in frame["attributes"]
    ]
    day = frame["at"].dt.date
    in_period = (day >= start) & (day <= ev.now.date())
    delivered = frame[(frame.activity == "parcel_delivered") & in_period]
    missed_by_customer = (~(delivered["late"] <= 0)).groupby(delivered["customer_id"]).any()
    facts = pd.DataFrame(
        [
            {"customer": a["data"]["respondent_external_id"],
             "touchpoint": a["data"]["touchpoint_id"],
             "day": datetime.fromisoformat(a["data"]["submitted_at"]).date(),
             **{x["type"]: x["value"] for x in a["data"]["answers"]}}
            for a in answers
        ]
    )  # fmt: skip
    facts = facts[facts.touchpoint.isin([row[0] for row in MAP]) & (facts.day >= start)]
    churn = {o["external_id"]: o["churn_date"] for o in outcomes}
    got = by_touchpoint["tp-deliver"]
    for group, missed in (("met", False), ("missed", True)):
        who = set(missed_by_customer[missed_by_customer == missed].index)
        assert got[group]["customers"] == len(who)
        mine = facts[facts.customer.isin(who)]
        n = len(mine)
        nps = 100 * ((mine.nps >= 9).sum() - (mine.nps <= 6).sum()) / n if n else None
        assert got[group]["nps"]["n"] == n
        assert got[group]["nps"]["value"] == pytest.approx(nps)
        csat = 100 * (mine.csat >= 4).sum() / n if n else None
        assert got[group]["csat"]["value"] == pytest.approx(csat)
        known = [c for c in who if c in churn]
        gone = [c for c in known if churn[c] and churn[c] >= start.isoformat()]
        assert got[group]["churn"]["n"] == len(known)
        assert got[group]["churn"]["value"] == pytest.approx(100 * len(gone) / len(known))
    assert got["nps_gap"] == pytest.approx(
        got["met"]["nps"]["value"] - got["missed"]["nps"]["value"], abs=0.06
    )


def test_a_segment_sees_only_its_customers_and_follows_a_customer_who_moves(ev, api, mapped, post):
    rows = _trails(ev.now, 120, seed=21)
    _send_shuffled(post, rows, seed=4)
    customers = sorted({r["customer_id"] for r in rows})
    # Two thirds get a segment: first the customer records, after the events arrived.
    segment_of = {
        c: ("smb" if n % 3 == 0 else "enterprise") for n, c in enumerate(customers) if n % 3 != 2
    }
    body = [{"external_id": c, "segment": s} for c, s in segment_of.items()]
    assert api.post("/v1/customers", {"customers": body}).status_code == 200

    def check(segment: str) -> None:
        mine = [r for r in rows if segment_of.get(r["customer_id"]) == segment]
        want = _reference(mine)
        got = observed(api, "reach", segment=segment)
        assert got["segment"] == segment and got["cases"] == want["cases"]
        reached = {t["touchpoint_id"]: t["reach"]["count"] for t in got["touchpoints"]}
        assert {k: v for k, v in reached.items() if v} == want["reach"]
        flows = {(f["from_touchpoint_id"], f["to_touchpoint_id"]): f["count"]
                 for f in observed(api, "flows", segment=segment)["flows"]}  # fmt: skip
        assert flows == {pair: f["count"] for pair, f in want["flows"].items()}

    check("smb")
    check("enterprise")
    assert observed(api, "reach")["cases"] == _reference(rows)["cases"]  # everyone, as before
    # A customer moves from smb to enterprise: their cases move with them.
    mover = next(c for c, s in segment_of.items() if s == "smb")
    segment_of[mover] = "enterprise"
    moved = api.post(
        "/v1/customers", {"customers": [{"external_id": mover, "segment": "enterprise"}]}
    )
    assert moved.status_code == 200
    check("smb")
    check("enterprise")
    # The incremental path and a rebuild from the stored events agree, segments included.
    report = rebuild(api, check=True)
    assert (report["differ"], report["missing"], report["extra"]) == (0, 0, 0)
    assert observed(api, "reach", segment="nobody")["cases"] == 0
