"""Complete NPS + comment submissions to one feedback worker, against the baseline."""

import asyncio
import os
import statistics
import time
import uuid
from pathlib import Path

import httpx

from cxshared.testing.databases import DatabaseFactory
from cxshared.testing.processes import ServiceProcess, console_script, free_port
from feedback.main import MIGRATIONS

COMMENTS = [
    "Arrived a day late and the box was damaged.",
    "Quick and friendly, thank you!",
    "The courier left it in the rain.",
    "Fine.",
    "Tracking never updated.",
]


async def load(url: str, body_for, *, clients: int, seconds: float) -> tuple[int, list[float], int]:
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds

    async def client_loop(n: int) -> None:
        nonlocal failures
        async with httpx.AsyncClient(timeout=30) as client:
            i = 0
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.post(url, json=body_for(n, i))
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code != 201:
                    failures += 1
                i += 1

    started = time.perf_counter()
    await asyncio.gather(*(client_loop(n) for n in range(clients)))
    elapsed = time.perf_counter() - started
    return int(len(latencies) / elapsed), latencies, failures


def submission(n: int, i: int) -> dict[str, object]:
    return {
        "submission_id": uuid.uuid4().hex,
        "answers": {"nps": (n + i) % 11, "comment": COMMENTS[(n * 7 + i) % len(COMMENTS)]},
        "complete": True,
    }


def report(name: str, rate: int, latencies: list[float], failures: int, base: int | None) -> str:
    p50 = statistics.median(latencies)
    p99 = statistics.quantiles(latencies, n=100)[98]
    ratio = f"{rate / base:5.0%} of baseline" if base else "(baseline)"
    return (
        f"{name:<38} {rate:6d} responses/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   "
        f"{ratio}{'   failures: ' + str(failures) if failures else ''}"
    )


def run(workdir: Path, backend: str, *, clients: int, seconds: float) -> list[str]:
    factory = DatabaseFactory(
        service="feedback", script_location=MIGRATIONS, workdir=workdir, worker="bench"
    )
    lines = []
    try:
        base_url_db, feedback_db = factory.new_url(), factory.new_url()
        port = free_port()
        baseline = ServiceProcess(
            [
                console_script("uvicorn"),
                "tests.perf.baseline_app:app",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env={"BASELINE_DATABASE_URL": base_url_db, "PYTHONPATH": os.getcwd()},
            log_path=workdir / "baseline.log",
        ).start()
        try:
            _wait(f"http://127.0.0.1:{port}/docs")
            rate, latencies, failures = asyncio.run(
                load(
                    f"http://127.0.0.1:{port}/submit", submission, clients=clients, seconds=seconds
                )
            )
            lines.append(report(f"baseline on {backend}", rate, latencies, failures, None))
        finally:
            baseline.stop()
        base = rate
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
        try:
            _publish_survey(feedback_db, server.base_url or "")
            rate, latencies, failures = asyncio.run(
                load(
                    f"{server.base_url}/v1/public/surveys/bench/responses",
                    submission,
                    clients=clients,
                    seconds=seconds,
                )
            )
            lines.append(report(f"feedback capture on {backend}", rate, latencies, failures, base))
        finally:
            server.stop()
    finally:
        factory.close()
    return lines


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
