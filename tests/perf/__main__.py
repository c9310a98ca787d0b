"""`make bench`: the hot paths of metrics, feedback and journey on real servers, as numbers and
as ratios to baselines measured in the same run (this machine is shared and noisy; only ratios
compare across runs).

  python -m tests.perf [--db sqlite|postgresql]
                       [--only gateway|metrics|feedback|journey|cases|cases-capture|cases-inbox|observed]
                       [--requests N] [--events N] [--responses N] [--cases N]
                       [--activities N]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from cxshared.auth import Scope, create_api_key
from cxshared.db import make_engine
from cxshared.events.outbox import Outbox
from cxshared.events.relay import Relay
from cxshared.logging import configure_logging
from cxshared.testing.databases import DatabaseFactory
from cxshared.testing.processes import ServiceProcess, console_script, free_port
from cxshared.testing.receiver import Receiver
from journey.config import Settings
from journey.main import MIGRATIONS
from tests.perf import (
    case_bench,
    case_capture,
    feedback_capture,
    gateway_bench,
    load_suite,
    metrics_bench,
    observed_bench,
)
from tests.perf.load import document


def timed(call: Callable[[], object], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(name: str, samples: list[float], baseline: float | None) -> str:
    p50 = statistics.median(samples)
    p95 = statistics.quantiles(samples, n=20)[18]
    ratio = f"{p50 / baseline:6.1f}x" if baseline else "  (baseline)"
    return f"{name:<44} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   {ratio}"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_api(url: str, headers: dict[str, str], n: int, pid: int) -> None:
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        created = client.post("/v1/journeys/documents", json=document(8, 5))
        created.raise_for_status()
        journey = created.json()
        touchpoint = journey["stages"][3]["touchpoints"][2]["id"]
        for _ in range(20):  # warm up
            client.get("/healthz")
        baseline = timed(lambda: client.get("/healthz"), n)
        base = statistics.median(baseline)
        counter = iter(range(10**9))
        rows = [
            summary("GET /healthz", baseline, None),
            summary(
                "GET /v1/touchpoints/{id}",
                timed(lambda: client.get(f"/v1/touchpoints/{touchpoint}"), n),
                base,
            ),
            summary(
                "PATCH /v1/touchpoints/{id} (+history, +event)",
                timed(
                    lambda: client.patch(
                        f"/v1/touchpoints/{touchpoint}",
                        json={"owner_name": f"Owner {next(counter)}"},
                    ),
                    n,
                ),
                base,
            ),
            summary(
                "GET /v1/journeys/{id}/document (40 tps)",
                timed(lambda: client.get(f"/v1/journeys/{journey['id']}/document"), n // 2),
                base,
            ),
            summary(
                "GET /v1/reports/ownership",
                timed(lambda: client.get("/v1/reports/ownership"), n // 2),
                base,
            ),
        ]
    print("\n".join(rows))
    print(f"{'server memory after the run (RSS)':<44} {rss_mb(pid):7.1f} MB")


def bench_relay(database_url: str, events: int) -> None:
    receiver = Receiver(status=204).start()
    settings = Settings(
        database_url=database_url,
        relay_in_process=False,
        webhook_allow_private_urls=True,
        relay_batch_size=100,
    )
    engine = make_engine(database_url)
    outbox = Outbox(source="journey")
    try:
        with httpx.Client(timeout=30) as client, ThreadPoolExecutor(8) as pool:
            started = time.perf_counter()
            list(pool.map(lambda i: client.post(receiver.url, content=b"{}"), range(events)))
            direct = time.perf_counter() - started
        from cxshared.db import write_session
        from cxshared.events.models import WebhookSubscription
        from cxshared.events.signing import new_secret

        with write_session(engine) as session:
            session.add(
                WebhookSubscription(url=receiver.url, event_types=["*"], secret=new_secret())
            )
        with write_session(engine) as session:
            for i in range(events):
                outbox.publish(session, type="team.updated", subject=str(i), data={"n": i})
        relay = Relay(engine=engine, outbox=outbox, settings=settings)
        received_before = len(receiver.received)
        started = time.perf_counter()
        while relay.run_once():
            pass
        relayed = time.perf_counter() - started
        assert len(receiver.received) - received_before == events
    finally:
        receiver.stop()
        engine.dispose()
    print(f"{'direct POSTs, 8 at a time':<44} {events / direct:7.0f} /s  (baseline)")
    print(
        f"{'relay: claim, sign, send, settle':<44} {events / relayed:7.0f} /s  "
        f"{direct / relayed:6.2f}x of direct"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.perf")
    parser.add_argument(
        "--db",
        choices=["sqlite", "postgresql"],
        default=os.environ.get("CX_TEST_DATABASE", "sqlite"),
    )
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument(
        "--only",
        choices=[
            "journey", "feedback", "metrics", "gateway", "load",
            "cases", "cases-capture", "cases-inbox", "observed",
        ],
        default=None,
    )  # fmt: skip
    parser.add_argument("--cases", type=int, default=100_000, help="the case inbox's")
    parser.add_argument("--customers", type=int, default=1000, help="the load suite's")
    parser.add_argument("--staff", type=int, default=10)
    parser.add_argument("--load-seconds", type=float, default=180)
    parser.add_argument("--think", type=float, default=30, help="a customer's pause, s")
    parser.add_argument("--responses", type=int, default=1_000_000, help="metrics' large history")
    parser.add_argument(
        "--activities", type=int, default=1_000_000, help="the observed journeys' event log"
    )
    parser.add_argument(
        "--activities-import",
        choices=["incremental", "rebuild", "both"],
        default="both",
        help="how the event log is imported: rollups with each batch, rebuilt once at the end "
        "(import-activities --rebuild), or each in turn into a database of its own",
    )
    args = parser.parse_args()
    os.environ["CX_TEST_DATABASE"] = args.db
    configure_logging(level="WARNING")
    if args.only in (None, "load"):
        with tempfile.TemporaryDirectory() as tmp:
            print("load: customers answering while staff browse\n")
            for line in load_suite.run(
                Path(tmp), args.db, customers=args.customers, staff=args.staff,
                seconds=args.load_seconds, think=args.think,
            ):  # fmt: skip
                print(line, flush=True)
            print()
    if args.only == "load":
        return
    if args.only in (None, "cases", "cases-capture"):
        with tempfile.TemporaryDirectory() as tmp:
            print(
                f"cases at capture on {args.db}: detractor answers, {args.clients} connections "
                f"(wrk), one worker each, taking turns {case_capture.SLICE_SECONDS} s at a "
                f"time, {args.seconds:g} s each\n"
            )
            for line in case_capture.run(
                Path(tmp), args.db, clients=args.clients, seconds=args.seconds
            ):
                print(line, flush=True)
            print()
    if args.only in (None, "cases", "cases-inbox"):
        with tempfile.TemporaryDirectory() as tmp:
            print(
                f"case inbox on {args.db}: {args.cases:,} cases, one worker, "
                f"{args.requests} sequential requests each\n"
            )
            for line in case_bench.run(
                Path(tmp), args.db, cases=args.cases, requests=args.requests
            ):
                print(line, flush=True)
            print()
    if args.only in ("cases", "cases-capture", "cases-inbox"):
        return
    if args.only in (None, "gateway"):
        with tempfile.TemporaryDirectory() as tmp:
            print(f"gateway on {args.db}: one worker per service\n")
            for line in gateway_bench.run(
                Path(tmp), args.db, clients=args.clients, seconds=args.seconds / 2,
                requests=args.requests,
            ):  # fmt: skip
                print(line, flush=True)
            print()
    if args.only == "gateway":
        return
    if args.only in (None, "metrics"):
        with tempfile.TemporaryDirectory() as tmp:
            print(f"metrics: {args.responses:,} responses over 50 touchpoints and 365 days\n")
            for line in metrics_bench.run(
                Path(tmp), args.db, large=args.responses, requests=args.requests, events=5000
            ):
                print(line, flush=True)
            print()
    if args.only == "metrics":
        return
    if args.only in (None, "observed"):
        with tempfile.TemporaryDirectory() as tmp:
            print(f"observed journeys: {args.activities:,} activity events over 365 days\n")
            for line in observed_bench.run(
                Path(tmp),
                args.db,
                events=args.activities,
                requests=args.requests,
                modes=args.activities_import,
            ):
                print(line, flush=True)
            print()
    if args.only == "observed":
        return
    if args.only != "journey":
        with tempfile.TemporaryDirectory() as tmp:
            print(
                f"feedback capture: {args.clients} clients, {args.seconds:g} s each, one worker "
                f"(baseline and capture take turns, {feedback_capture.SLICE_SECONDS:g} s at a time)\n"
            )
            for line in feedback_capture.run(
                Path(tmp), args.db, clients=args.clients, seconds=args.seconds
            ):
                print(line)
            print()
    if args.only == "feedback":
        return
    with tempfile.TemporaryDirectory() as tmp:
        factory = DatabaseFactory(
            service="journey", script_location=MIGRATIONS, workdir=Path(tmp), worker="bench"
        )
        try:
            api_url, relay_url = factory.new_url(), factory.new_url()
            engine = make_engine(api_url, pool_size=1)
            key = create_api_key(engine, name="bench", scopes=[Scope.WRITE])[1]
            engine.dispose()
            port = free_port()
            server = ServiceProcess(
                [console_script("cx-journey"), "serve", "--port", str(port)],
                env={
                    "JOURNEY_DATABASE_URL": api_url,
                    "JOURNEY_RELAY_IN_PROCESS": "false",
                    "LOG_LEVEL": "WARNING",
                },
                log_path=Path(tmp) / "server.log",
                base_url=f"http://127.0.0.1:{port}",
            ).start()
            try:
                print(
                    f"journey on {args.db}, {args.requests} sequential requests each, one client\n"
                )
                assert server.process is not None
                bench_api(
                    server.base_url or "",
                    {"Authorization": f"Bearer {key}"},
                    args.requests,
                    server.process.pid,
                )
            finally:
                server.stop()
            print(f"\nrelay on {args.db}, {args.events} webhook deliveries to a local receiver\n")
            bench_relay(relay_url, args.events)
        finally:
            factory.close()


if __name__ == "__main__":
    sys.exit(main())
