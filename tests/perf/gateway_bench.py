"""The gateway under load: the public survey page (definitions cached, revalidated by ETag) on
one worker, and a journey map of 60 touchpoints with its live scores, each against the
gateway's own /healthz measured the same way in the same run."""

import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from cxshared.testing.databases import DatabaseFactory
from tests.browser.world import PASSWORD, World, running_world
from tests.perf.load import run_load


def _p(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100)[q - 1]


def _journey(world: World, stages: int, per_stage: int) -> str:
    document = {
        "name": "Sixty touchpoints",
        "stages": [
            {
                "name": f"Stage {s + 1}",
                "designed_emotion": 1,
                "touchpoints": [
                    {
                        "name": f"Touchpoint {s + 1}.{t + 1}",
                        "channel": "web",
                        "interaction": "digital",
                        "owner_name": "Owner",
                        "standard": "Answered within a minute",
                        "targets": [{"metric": "nps", "value": 30}],
                    }
                    for t in range(per_stage)
                ],
            }
            for s in range(stages)
        ],
    }
    return str(world.post("journey", "/v1/journeys/documents", document)["id"])


def _signed_in(world: World) -> httpx.Client:
    client = httpx.Client(base_url=world.gateway, timeout=30)
    page = client.get("/login")
    token = page.text.split('name="login_token" value="')[1].split('"')[0]
    response = client.post(
        "/login",
        data={"email": "viewer@example.com", "password": PASSWORD, "login_token": token},
    )
    assert response.status_code == 303, response.text
    return client


def run(workdir: Path, db: str, *, clients: int, seconds: float, requests: int) -> Iterator[str]:
    factories: dict[str, DatabaseFactory] = {}

    def factory_for(service: str, script_location: Path) -> DatabaseFactory:
        factories[service] = DatabaseFactory(
            service=service, script_location=script_location, workdir=workdir, worker="bench"
        )
        return factories[service]

    # As deployed: quiet logs, survey definitions kept 2 s between revalidations.
    quiet = {"LOG_LEVEL": "WARNING", "GATEWAY_SURVEY_CACHE_SECONDS": "2"}
    with running_world(workdir, factory_for, browser=False, gateway_env=quiet) as world:
        world.post(
            "feedback",
            "/v1/surveys",
            {
                "slug": "bench",
                "title": "How was your delivery?",
                "questions": [
                    {"key": "nps", "type": "nps", "prompt": "Recommend us?", "required": True},
                    {"key": "why", "type": "text", "prompt": "Why?"},
                ],
            },
        )
        survey_id = world.get("feedback", "/v1/surveys")["items"][0]["id"]
        world.post("feedback", f"/v1/surveys/{survey_id}/publish")
        health, survey = f"{world.gateway}/healthz", f"{world.gateway}/s/bench"
        assert "Recommend us?" in httpx.get(survey).text  # the question, not a message
        accept = {"Accept": "text/html"}
        run_load(survey, clients=clients, seconds=2, headers=accept)  # warm up
        base = run_load(health, clients=clients, seconds=seconds, headers=accept)
        page = run_load(survey, clients=clients, seconds=seconds, headers=accept)
        # As Chromium asks for it: the page compressed (zstd) on every request.
        browser = {**accept, "Accept-Encoding": "gzip, deflate, br, zstd"}
        compressed = run_load(survey, clients=clients, seconds=seconds, headers=browser)
        assert not (base.failures or page.failures or compressed.failures), (
            base.failures,
            page.failures,
            compressed.failures,
        )
        yield f"{'':<46} {'pages/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
        for name, load in (
            ("GET /healthz (baseline)", base),
            ("GET /s/{slug}, the public survey page", page),
            ("GET /s/{slug}, compressed as browsers ask", compressed),
        ):
            lat = load.latencies
            yield f"{name:<46} {load.rate:9.0f} {statistics.median(lat):8.1f} {_p(lat, 99):8.1f}"
        yield f"survey page: {page.rate / base.rate:.2f}x of /healthz (target: 500 pages/s)"
        yield f"compressed: {compressed.rate / base.rate:.2f}x of /healthz"
        yield ""

        journey_id = _journey(world, stages=6, per_stage=10)
        client = _signed_in(world)
        try:
            page = f"/journeys/{journey_id}"
            assert "Touchpoint 6.10" in client.get(page).text
            timings: dict[str, list[float]] = {}
            calls: list[tuple[str, Callable[[], httpx.Response]]] = [
                ("GET /healthz (baseline)", lambda: client.get("/healthz")),
                ("GET /journeys/{id}: 60 touchpoints, scores", lambda: client.get(page)),
            ]
            for name, call in calls:
                for _ in range(20):
                    call()
                samples = []
                for _ in range(requests):
                    started = time.perf_counter()
                    call()
                    samples.append((time.perf_counter() - started) * 1000)
                timings[name] = samples
        finally:
            client.close()
        yield f"{'one client, ' + str(requests) + ' requests each':<46} {'p50 ms':>8} {'p95 ms':>8}"
        for name, samples in timings.items():
            yield f"{name:<46} {statistics.median(samples):8.1f} {_p(samples, 95):8.1f}"
        yield "journey map: target p95 under 150 ms"
    for factory in factories.values():
        factory.close()
