"""The case inbox at 100,000 cases and a customer's 200-event timeline, on one real feedback
worker: latency, one request at a time (a staff member opening the inbox), against the same
server's `/healthz` in the same run."""

import socket
import statistics
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx

from cxshared.auth import Scope, create_api_key
from cxshared.db import make_engine
from cxshared.testing.databases import DatabaseFactory
from cxshared.testing.processes import ServiceProcess, console_script
from feedback.config import Settings
from feedback.main import MIGRATIONS, case_policy
from tests.perf import case_data
from tests.perf.metrics_bench import _timed as timed

PORTS = range(9600, 9700)  # this benchmark's ports
_handed_out: set[int] = set()


def port() -> int:
    """A free port of `PORTS`, never the same twice in one run (a server handed one may not
    be listening yet)."""
    for candidate in PORTS:
        if candidate in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            _handed_out.add(candidate)
            return candidate
    raise RuntimeError("no free port in 9600-9699")


def feedback_server(workdir: Path, database_url: str, name: str) -> ServiceProcess:
    listen = port()
    return ServiceProcess(
        [console_script("cx-feedback"), "serve", "--port", str(listen)],
        env={
            "FEEDBACK_DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
            "FEEDBACK_RATE_LIMIT_PER_CLIENT": "1000000000",
            "FEEDBACK_RATE_LIMIT_PER_SURVEY": "1000000000",
        },
        log_path=workdir / f"{name}.log",
        base_url=f"http://127.0.0.1:{listen}",
    ).start()


QUESTIONS = [
    {"key": "nps", "type": "nps", "prompt": "Recommend us?", "required": True},
    {"key": "comment", "type": "text", "prompt": "Why?", "max_length": 2000},
]


def line(name: str, samples: list[float], baseline: float | None) -> str:
    p50 = statistics.median(samples)
    p95 = statistics.quantiles(samples, n=20)[18]
    ratio = f"{p50 / baseline:6.1f}x" if baseline else "  (baseline)"
    return f"{name:<58} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   {ratio}"


def run(workdir: Path, backend: str, *, cases: int, requests: int) -> Iterator[str]:
    with ExitStack() as stack:
        factory = DatabaseFactory(
            service="feedback", script_location=MIGRATIONS, workdir=workdir, worker="bench"
        )
        stack.callback(factory.close)
        url = factory.new_url()
        engine = make_engine(url, pool_size=1)
        stack.callback(engine.dispose)
        key = create_api_key(engine, name="bench", scopes=[Scope.READ, Scope.WRITE])[1]
        server = feedback_server(workdir, url, "feedback")
        stack.callback(server.stop)
        client = stack.enter_context(
            httpx.Client(
                base_url=server.base_url or "",
                headers={"Authorization": f"Bearer {key}"},
                timeout=60,
            )
        )
        survey = client.post(
            "/v1/surveys",
            json={"slug": "inbox", "title": "Inbox", "questions": QUESTIONS},
        )
        survey.raise_for_status()
        survey_id = survey.json()["id"]
        client.post(f"/v1/surveys/{survey_id}/publish").raise_for_status()
        started = time.perf_counter()
        seeded = case_data.seed(
            engine, case_policy(Settings(database_url=url)), survey_id=survey_id, cases=cases
        )
        took = time.perf_counter() - started
        with engine.connect() as connection:
            # PostgreSQL's autovacuum would analyze the new rows within a minute; SQLite has
            # no statistics unless asked, and cxloop never asks, so neither does this.
            if backend == "postgresql":
                connection.exec_driver_sql("ANALYZE")
            else:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        rows = ", ".join(f"{n:,} {t}" for t, n in sorted(seeded.rows.items()))
        yield f"seeded in {took:.1f} s: {rows}"
        active = sum(seeded.states[s] for s in case_data.ACTIVE)
        states = ", ".join(f"{s} {n:,}" for s, n in seeded.states.most_common())
        yield f"states: {states} ({active:,} active)"
        mine = seeded.busiest
        yield (
            f"busiest assignee {mine}: {seeded.active_by_assignee[mine]:,} active cases; "
            f"team view for {seeded.busiest_lead}\n"
        )
        journey = seeded.journey_id
        views: list[tuple[str, dict[str, str]]] = [
            ("mine (active)", {"assignee": mine, "active": "true"}),
            ("team_of (active)", {"team_of": seeded.busiest_lead, "active": "true"}),
            ("unassigned (active)", {"unassigned": "true", "active": "true"}),
            ("breached, mine (active)", {"assignee": mine, "breached": "true", "active": "true"}),
            ("at_risk, mine (active)", {"assignee": mine, "at_risk": "true", "active": "true"}),
            ("journey + state=in_progress", {"journey_id": journey, "state": "in_progress"}),
            ("all cases, newest first", {}),
            ("breached, everyone (active)", {"breached": "true", "active": "true"}),
        ]
        first = client.get("/v1/cases", params={"assignee": mine, "active": "true"}).json()
        cursor = first["next_cursor"]
        for _ in range(20):  # warm up
            client.get("/healthz")
            client.get("/v1/cases", params={"assignee": mine, "active": "true"})
        baseline = timed(lambda: client.get("/healthz"), requests)
        base = statistics.median(baseline)
        yield line("GET /healthz", baseline, None)
        yield line(
            f"GET /v1/cases/counts?assignee={mine.split('@')[0]}…",
            timed(lambda: client.get("/v1/cases/counts", params={"assignee": mine}), requests),
            base,
        )
        for name, params in views:
            query = urllib.parse.urlencode(params)
            yield line(
                f"GET /v1/cases: {name}",
                timed(lambda query=query: client.get(f"/v1/cases?{query}"), requests),  # type: ignore[misc]
                base,
            )
        if cursor:  # more than a page of theirs (always, at 100,000 cases)
            yield line(
                "GET /v1/cases: mine (active), 2nd page by cursor",
                timed(
                    lambda: client.get(
                        "/v1/cases", params={"assignee": mine, "active": "true", "cursor": cursor}
                    ),
                    requests,
                ),
                base,
            )
        timeline = f"/v1/respondents/{case_data.TIMELINE_RESPONDENT}/timeline"
        full = client.get(timeline, params={"limit": 200}).json()
        yield (
            f"\ntimeline of {case_data.TIMELINE_RESPONDENT}: {len(full['items'])} events "
            f"(next_cursor {'set' if full['next_cursor'] else 'none'}) among {case_data.RESPONDENTS:,} respondents"
        )
        yield line(
            "GET /v1/respondents/{id}/timeline (first 50)",
            timed(lambda: client.get(timeline), requests),
            base,
        )
        yield line(
            "GET /v1/respondents/{id}/timeline?limit=200 (all)",
            timed(lambda: client.get(timeline, params={"limit": 200}), requests),
            base,
        )
        other = "customer-00042"
        yield line(
            "GET /v1/respondents/{other}/timeline (a few events)",
            timed(lambda: client.get(f"/v1/respondents/{other}/timeline"), requests),
            base,
        )
