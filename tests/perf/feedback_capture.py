"""Complete NPS + comment submissions to one feedback worker, against the baseline."""

import os
import statistics
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import httpx

from cxshared.testing.databases import DatabaseFactory
from cxshared.testing.processes import ServiceProcess, console_script, free_port
from feedback.main import MIGRATIONS
from tests.perf.load import Load, run_load

COMMENTS = [
    "Arrived a day late and the box was damaged.",
    "Quick and friendly, thank you!",
    "The courier left it in the rain.",
    "Fine.",
    "Tracking never updated.",
]


def submission(n: int, i: int) -> dict[str, object]:
    return {
        "submission_id": uuid.uuid4().hex,
        "answers": {"nps": (n + i) % 11, "comment": COMMENTS[(n * 7 + i) % len(COMMENTS)]},
        "complete": True,
    }


# The two servers take turns in slices this long, so that a machine whose speed drifts during
# the run (a shared one) slows both alike and the ratio stays fair.
SLICE_SECONDS = 4.0


def report(name: str, load: Load, base: Load | None) -> str:
    p50 = statistics.median(load.latencies)
    p99 = statistics.quantiles(load.latencies, n=100)[98]
    ratio = f"{load.rate / base.rate:5.0%} of baseline" if base else "(baseline)"
    failures = f"   failures by status: {load.failures}" if load.failures else ""
    return (
        f"{name:<38} {load.rate:6.0f} responses/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   "
        f"{ratio}{failures}"
    )


def run(workdir: Path, backend: str, *, clients: int, seconds: float) -> list[str]:
    """Both servers run side by side (the idle one costs nothing) and take turns under load,
    `seconds` each in all."""
    with ExitStack() as stack:
        factory = DatabaseFactory(
            service="feedback",
            script_location=MIGRATIONS,
            workdir=workdir,
            worker="bench",
            durable=True,
        )
        stack.callback(factory.close)
        base_url_db, feedback_db = factory.new_url(), factory.new_url()
        base_port = free_port()
        baseline = ServiceProcess(
            [
                console_script("uvicorn"),
                "tests.perf.baseline_app:app",
                "--port",
                str(base_port),
                "--log-level",
                "warning",
            ],
            env={"BASELINE_DATABASE_URL": base_url_db, "PYTHONPATH": os.getcwd()},
            log_path=workdir / "baseline.log",
        ).start()
        stack.callback(baseline.stop)
        port = free_port()
        server = ServiceProcess(
            [console_script("cx-feedback"), "serve", "--port", str(port)],
            env={
                "FEEDBACK_DATABASE_URL": feedback_db,
                "LOG_LEVEL": "WARNING",
                "FEEDBACK_RATE_LIMIT_PER_CLIENT": "1000000000",
                "FEEDBACK_RATE_LIMIT_PER_SURVEY": "1000000000",
            },
            log_path=workdir / "feedback.log",
            base_url=f"http://127.0.0.1:{port}",
        ).start()
        stack.callback(server.stop)
        _wait(f"http://127.0.0.1:{base_port}/docs")
        _publish_survey(feedback_db, server.base_url or "")
        urls = {
            "baseline": f"http://127.0.0.1:{base_port}/submit",
            "feedback": f"{server.base_url}/v1/public/surveys/bench/responses",
        }
        loads: dict[str, list[Load]] = {name: [] for name in urls}
        for url in urls.values():  # warm up
            run_load(url, body=submission, expect=201, clients=clients, seconds=2)
        for _ in range(max(1, round(seconds / SLICE_SECONDS))):
            for name, url in urls.items():
                loads[name].append(
                    run_load(
                        url, body=submission, expect=201, clients=clients, seconds=SLICE_SECONDS
                    )
                )
        base, capture = (_combined(loads[name]) for name in urls)
    return [
        report(f"baseline on {backend}", base, None),
        report(f"feedback capture on {backend}", capture, base),
    ]


def _combined(slices: list[Load]) -> Load:
    """One load from a server's slices: all their requests over all their time."""
    latencies = [ms for load in slices for ms in load.latencies]
    elapsed = sum(len(load.latencies) / load.rate for load in slices)
    failures: dict[int, int] = {}
    for load in slices:
        for status, n in load.failures.items():
            failures[status] = failures.get(status, 0) + n
    return Load(len(latencies) / elapsed, latencies, failures)


def _wait(url: str) -> None:
    for _ in range(100):
        try:
            if httpx.get(url).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} never answered")


def _publish_survey(database_url: str, base_url: str) -> None:
    from cxshared.auth import Scope, create_api_key
    from cxshared.db import make_engine

    engine = make_engine(database_url, pool_size=1)
    key = create_api_key(engine, name="bench", scopes=[Scope.WRITE])[1]
    engine.dispose()
    headers = {"Authorization": f"Bearer {key}"}
    survey = httpx.post(
        f"{base_url}/v1/surveys",
        headers=headers,
        json={
            "slug": "bench",
            "title": "Bench",
            "questions": [
                {"key": "nps", "type": "nps", "prompt": "Recommend us?", "required": True},
                {"key": "comment", "type": "text", "prompt": "Why?", "max_length": 2000},
            ],
        },
    ).json()
    httpx.post(f"{base_url}/v1/surveys/{survey['id']}/publish", headers=headers).raise_for_status()
