"""Metrics at scale: bulk import, the journey overlay and a 12-month series at 100,000 and at
1,000,000 responses (50 touchpoints, 365 days), and event ingest in batches of 100.

Baselines, measured in the same run: a second import of the same file (read, parse and find
every row already there), GET /healthz on the same server, and the same ingest batches sent a
second time (validated, recognised as duplicates, nothing written).
"""

import os
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from cxshared.auth import Scope
from cxshared.testing.api import bearer, make_key
from cxshared.testing.databases import DatabaseFactory
from cxshared.testing.processes import LiveServices, ServiceProcess, console_script
from metrics.main import MIGRATIONS
from tests.perf.metrics_data import touchpoint_events, write_responses

TOUCHPOINTS = 50
DAYS = 365
JOURNEY = "journey-bench"


def _percentiles(samples: list[float]) -> tuple[float, float]:
    return statistics.median(samples), statistics.quantiles(samples, n=20)[18]


def _timed(call: Callable[[], httpx.Response], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = call()
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return samples


def _import(
    database_url: str, path: Path, command: str = "import-responses", *options: str
) -> float:
    started = time.perf_counter()
    subprocess.run(
        [console_script("cx-metrics"), command, str(path), *options],
        env={**os.environ, "METRICS_DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"},
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def _serve(live: LiveServices, database_url: str, *, alerts: bool) -> ServiceProcess:
    return live.start(
        "metrics",
        env={
            "METRICS_DATABASE_URL": database_url,
            "METRICS_RELAY_IN_PROCESS": "false",
            "METRICS_ALERTS_IN_PROCESS": str(alerts).lower(),
            "LOG_LEVEL": "WARNING",
        },
    )


def _send(client: httpx.Client, headers: dict[str, str], events: list[dict[str, Any]]) -> None:
    for start in range(0, len(events), 100):
        response = client.post(
            "/v1/events", json={"events": events[start : start + 100]}, headers=headers
        )
        response.raise_for_status()


def _queries(server: ServiceProcess, headers: dict[str, str], n: int) -> dict[str, list[float]]:
    today = datetime.now(UTC).date()
    year = {"from": (today - timedelta(days=DAYS - 1)).isoformat(), "to": today.isoformat()}
    with httpx.Client(base_url=server.base_url or "", headers=headers, timeout=60) as client:
        for _ in range(5):  # warm up: connections, caches, the first query plans
            client.get(f"/v1/journeys/{JOURNEY}/overlay", params=year).raise_for_status()
            client.get("/v1/scores/series", params={**year, "metric": "nps", "interval": "month"})
        return {
            "GET /healthz": _timed(lambda: client.get("/healthz"), n),
            "journey overlay, 1 year": _timed(
                lambda: client.get(f"/v1/journeys/{JOURNEY}/overlay", params=year), n
            ),
            "NPS series, 12 months": _timed(
                lambda: client.get(
                    "/v1/scores/series", params={**year, "metric": "nps", "interval": "month"}
                ),
                n,
            ),
        }


def _response_events(count: int, prefix: str) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [
        {
            "id": f"evt-{prefix}-{i}",
            "type": "response.completed",
            "occurred_at": now.isoformat(),
            "source": "feedback",
            "subject": f"{prefix}-{i}",
            "schema_version": 1,
            "data": {
                "response_id": f"{prefix}-{i}",
                "survey_id": f"survey-{i % TOUCHPOINTS:03d}",
                "version": 1,
                "touchpoint_id": f"tp-{i % TOUCHPOINTS:03d}",
                "respondent_external_id": f"c{i % 5000}",
                "channel": "web",
                "hidden": {"segment": ("consumer", "enterprise")[i % 2]},
                "flags": [],
                "status": "complete",
                "submitted_at": (now - timedelta(minutes=i % 1440)).isoformat(),
                "answers": [
                    {"question": "nps", "type": "nps", "value": i % 11},
                    *(
                        [{"question": "why", "type": "text", "value": "Late and the box was torn"}]
                        if i % 4 == 0
                        else []
                    ),
                ],
            },
        }
        for i in range(count)
    ]


def run(workdir: Path, backend: str, *, large: int, requests: int, events: int) -> Iterator[str]:
    small = large // 10
    factory = DatabaseFactory(
        service="metrics", script_location=MIGRATIONS, workdir=workdir, worker="bench"
    )
    live = LiveServices(workdir)
    end = datetime.now(UTC)
    try:
        timings: dict[int, dict[str, list[float]]] = {}
        for count in (small, large):
            url = factory.new_url()
            ingest, reader = (
                bearer(make_key(url, "relay", Scope.INGEST)),
                bearer(make_key(url, "bench", Scope.READ)),
            )
            csv_path = workdir / f"responses-{count}.csv"
            write_responses(csv_path, count=count, touchpoints=TOUCHPOINTS, days=DAYS, end=end)
            server = _serve(live, url, alerts=False)
            with httpx.Client(base_url=server.base_url or "", timeout=60) as client:
                _send(client, ingest, touchpoint_events(TOUCHPOINTS, JOURNEY))
            imported = _import(url, csv_path)
            again = _import(url, csv_path)
            yield (
                f"import {count:>9,} responses on {backend:<10} {imported:6.1f} s "
                f"({count / imported:7,.0f} rows/s); second run, all skipped: {again:5.1f} s "
                f"({imported / again:4.1f}x)"
            )
            timings[count] = _queries(server, reader, requests)
            server.stop()
            csv_path.unlink()
        yield ""
        yield f"queries, {requests} each, one client     p50 / p95 at {small:,} | at {large:,} | p95 ratio"
        for name in timings[large]:
            s50, s95 = _percentiles(timings[small][name])
            l50, l95 = _percentiles(timings[large][name])
            yield (
                f"{name:<30} {s50:6.2f} / {s95:6.2f} ms | {l50:6.2f} / {l95:6.2f} ms | "
                f"{l95 / s95:4.2f}x"
            )
        yield ""
        yield from _ingest(factory, live, backend, events)
    finally:
        live.stop_all()
        factory.close()


def _ingest(
    factory: DatabaseFactory, live: LiveServices, backend: str, count: int
) -> Iterator[str]:
    url = factory.new_url()
    key = bearer(make_key(url, "relay", Scope.INGEST))
    server = _serve(live, url, alerts=True)
    batch = _response_events(count, "bench")
    with httpx.Client(base_url=server.base_url or "", timeout=60) as client:
        _send(client, key, touchpoint_events(TOUCHPOINTS, JOURNEY))
        _send(client, key, _response_events(500, "warm"))
        started = time.perf_counter()
        _send(client, key, batch)
        fresh = time.perf_counter() - started
        started = time.perf_counter()
        _send(client, key, batch)
        duplicate = time.perf_counter() - started
    yield (
        f"ingest on {backend}, batches of 100, one client: {count / fresh:6,.0f} events/s new; "
        f"{count / duplicate:6,.0f} events/s as duplicates (baseline); {duplicate / fresh:4.2f}x"
    )
