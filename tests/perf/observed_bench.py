"""Observed journeys at scale: bulk import of an activity log with `cx-metrics
import-activities`, then a year's reach, funnel, flows, paths and differences read from the
rollups (docs/observed.md).

Baselines, measured in the same run: a second import of the same file (read, parse, validate
and find every event already there, nothing written) and GET /healthz on the same server.
"""

import json
import os
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from cxshared.auth import Scope
from cxshared.testing.api import bearer, make_key
from cxshared.testing.databases import DatabaseFactory
from cxshared.testing.processes import LiveServices
from metrics.main import MIGRATIONS
from tests.perf.metrics_bench import _import, _percentiles, _timed

JOURNEY = "journey-observed"
DAYS = 365
# (stage, activities) of each touchpoint, in the map's order.
TOUCHPOINTS = [
    ("browse", ["product_viewed"]),
    ("browse", ["basket_*"]),
    ("buy", ["order_placed"]),
    ("buy", ["order_paid", "payment_*"]),
    ("buy", ["confirmation_email_sent"]),
    ("deliver", ["parcel_dispatched"]),
    ("deliver", ["tracking_*"]),
    ("deliver", ["parcel_delivered"]),
    ("after", ["support_*"]),
    ("after", ["return_requested"]),
    ("after", ["review_invited"]),
]
TRAIL = [
    "product_viewed", "basket_added", "order_placed", "order_paid", "confirmation_email_sent",
    "parcel_dispatched", "tracking_viewed", "parcel_delivered",
]  # fmt: skip


def touchpoint_events() -> list[dict[str, Any]]:
    return [
        {
            "id": f"obs-evt-{i}",
            "type": "touchpoint.created",
            "occurred_at": datetime.now(UTC).isoformat(),
            "source": "journey",
            "subject": f"tp-obs-{i:02d}",
            "schema_version": 1,
            "data": {
                "id": f"tp-obs-{i:02d}",
                "version": 1,
                "journey_id": JOURNEY,
                "stage_id": f"st-{stage}",
                "position": i,
                "name": f"Touchpoint {i}",
                "activities": activities,
                "journey": {"id": JOURNEY, "name": "Order to review", "state": "current"},
                "stage": {"id": f"st-{stage}", "name": stage, "position": i // 3},
            },
        }
        for i, (stage, activities) in enumerate(TOUCHPOINTS)
    ]


def write_log(path: Path, *, events: int, end: datetime, seed: int = 19) -> int:
    """About `events` activity events, ten a customer on average, JSON Lines in time order as
    an export writes them; returns how many were written."""
    rng = random.Random(seed)
    start = end - timedelta(days=DAYS)
    rows: list[tuple[float, str, str]] = []
    customer = 0
    while len(rows) < events:
        customer += 1
        at = rng.uniform(0, (DAYS - 10) * 86_400)
        names = [n for n in TRAIL if rng.random() < 0.9]
        if rng.random() < 0.2:
            names += ["page_failed", "support_call"] + ["support_call"] * rng.randint(0, 1)
        if rng.random() < 0.05:
            names.append("return_requested")
        for name in names:
            at += rng.uniform(60, 86_400)
            rows.append((at, f"C{customer:07d}", name))
    rows.sort()
    with path.open("w") as stream:
        for number, (at, who, name) in enumerate(rows):
            stream.write(
                json.dumps(
                    {
                        "event_id": f"a{number:09d}",
                        "customer_id": who,
                        "activity": name,
                        "occurred_at": (start + timedelta(seconds=at)).isoformat(),
                    }
                )
                + "\n"
            )
    return len(rows)


def run(
    workdir: Path, backend: str, *, events: int, requests: int, modes: str = "both"
) -> Iterator[str]:
    path = workdir / "activities.jsonl"
    count = write_log(path, events=events, end=datetime.now(UTC))
    chosen = ["incremental", "rebuild"] if modes == "both" else [modes]
    for mode in chosen:
        yield from _run(workdir, backend, path, count, requests=requests, mode=mode)
    path.unlink()


def _run(
    workdir: Path, backend: str, path: Path, count: int, *, requests: int, mode: str
) -> Iterator[str]:
    factory = DatabaseFactory(
        service="metrics", script_location=MIGRATIONS, workdir=workdir, worker=f"observed-{mode}"
    )
    live = LiveServices(workdir)
    try:
        url = factory.new_url()
        ingest, reader = (
            bearer(make_key(url, "relay", Scope.INGEST)),
            bearer(make_key(url, "bench", Scope.READ)),
        )
        server = live.start(
            "metrics",
            env={
                "METRICS_DATABASE_URL": url,
                "METRICS_RELAY_IN_PROCESS": "false",
                "METRICS_ALERTS_IN_PROCESS": "false",
                "LOG_LEVEL": "WARNING",
            },
            port=int(os.environ.get("CX_BENCH_PORT", "0")) or None,  # default: the kernel's pick
        )
        with httpx.Client(base_url=server.base_url or "", timeout=120) as client:
            client.post(
                "/v1/events", json={"events": touchpoint_events()}, headers=ingest
            ).raise_for_status()
            extra = ["--rebuild"] if mode == "rebuild" else []
            imported = _import(url, path, "import-activities", *extra)
            again = _import(url, path, "import-activities")
            yield (
                f"import {count:,} activity events on {backend}, rollups "
                f"{'rebuilt once at the end' if extra else 'with each batch'}: {imported:.1f} s "
                f"({count / imported:,.0f} events/s); second run, all repeats: {again:.1f} s "
                f"({count / again:,.0f} events/s)"
            )
            today = datetime.now(UTC).date()
            year = {"from": (today - timedelta(days=DAYS)).isoformat(), "to": today.isoformat()}
            paths = {
                "GET /healthz (baseline)": "/healthz",
                **{
                    f"{figure}, 1 year": f"/v1/observed/{JOURNEY}/{figure}"
                    for figure in ("reach", "funnel", "flows", "paths", "loops", "differences")
                },
            }
            yield f"queries, {requests} each, one client: p50 / p95"
            for name, target in paths.items():
                params = {} if target == "/healthz" else year
                samples = _timed(
                    lambda t=target, p=params: client.get(t, params=p, headers=reader), requests
                )
                p50, p95 = _percentiles(samples)
                yield f"{name:<28} {p50:7.2f} / {p95:7.2f} ms"
        server.stop()
    finally:
        live.stop_all()
        factory.close()
