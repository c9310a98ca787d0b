"""The whole of cxloop under load: simulated customers answering the survey page while staff
browse the dashboard, journey maps and responses, on all four services with 2 workers each.

Reported: requests a second, p50 / p95 / p99 per page, errors (anything but the expected
status, or no answer), peak memory of each service (all its processes), and how long after the
last answer metrics counted every one.
"""

import asyncio
import os
import random
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx

from cxshared.testing.databases import DatabaseFactory
from tests.browser.world import PASSWORD, World, running_world
from tests.perf.load import document

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
LOGIN_TOKEN = re.compile(r'name="login_token" value="([^"]+)"')


class Http:
    """One keep-alive HTTP/1.1 connection with its cookies: just enough of a client, and light
    enough that the load generator does not take the CPU the servers need."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port, self.netloc = parts.hostname, parts.port, parts.netloc
        self.cookies: dict[str, str] = {}
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        body = urlencode(form).encode() if form is not None else b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.netloc}", "Accept: text/html"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if form is not None:
            lines += ["Content-Type: application/x-www-form-urlencoded"]
        lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        length = 0
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "set-cookie":
                key, _, rest = value.strip().partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
            elif name.lower() == "content-length":
                length = int(value)
        return int(head[0].split(" ", 2)[1]), await reader.readexactly(length)

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    statuses: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    answers: int = 0

    async def timed(self, name: str, http: Http, method: str, path: str, expect: int,
                    form: dict[str, str] | None = None) -> bytes | None:  # fmt: skip
        started = time.perf_counter()
        try:
            status, body = await http.request(method, path, form)
        except (OSError, asyncio.IncompleteReadError):
            http.streams = None
            self.errors[name] += 1
            return None
        self.latencies[name].append((time.perf_counter() - started) * 1000)
        if status != expect:
            self.errors[name] += 1
            self.statuses[f"{name} {status}"] += 1
            return None
        return body


async def customer(stats: Stats, gateway: str, slug: str, deadline: float, think: float) -> None:
    http = Http(gateway)
    await asyncio.sleep(random.uniform(0, think))  # arrivals spread over the first moments
    try:
        while time.perf_counter() < deadline:
            page = await stats.timed("GET /s/{slug}", http, "GET", f"/s/{slug}", 200)
            if page is not None:
                form = dict(HIDDEN.findall(page.decode()))
                form["a_nps"] = str(random.randint(0, 10))
                saved = await stats.timed("POST /s/{slug}", http, "POST", f"/s/{slug}", 303, form)
                stats.answers += saved is not None
            # A visit's connection closes while the customer is away (servers close idle
            # keep-alive connections after a few seconds); the next visit opens another.
            http.close()
            await asyncio.sleep(random.uniform(think / 2, think * 1.5))
    finally:
        http.close()


async def staff_member(
    stats: Stats, gateway: str, n: int, pages: list[tuple[str, str]], deadline: float
) -> None:
    http = Http(gateway)
    try:
        _, login = await http.request("GET", "/login")
        token = LOGIN_TOKEN.search(login.decode())
        assert token is not None
        form = {"email": "viewer@example.com", "password": PASSWORD, "login_token": token[1]}
        status, _ = await http.request("POST", "/login", form)
        assert status == 303, status
        await asyncio.sleep(n * 0.1)
        while time.perf_counter() < deadline:
            for name, path in pages:
                await stats.timed(name, http, "GET", path, 200)
                await asyncio.sleep(random.uniform(0.5, 1.5))
    finally:
        http.close()


def tree(pid: int) -> list[int]:
    """A process and all its children (a uvicorn supervisor and its workers)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its children."""
    total = 0
    for current in tree(pid):
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(status.split("VmRSS:")[1].split()[0])
        except (FileNotFoundError, IndexError, ProcessLookupError):
            continue
    return total / 1024


def cpu_of(pid: int) -> float:
    """CPU time (user + system) a process has used so far, in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def cpu_seconds(world: World) -> dict[str, float]:
    """CPU time so far of each service, of PostgreSQL's processes and of this load generator."""
    used = {
        name: sum(cpu_of(pid) for pid in tree(server.process.pid))
        for name, server in world.servers.items()
        if server.process
    }
    postgres = [
        int(p.parent.name) for p in Path("/proc").glob("[0-9]*/comm") if _comm(p) == "postgres"
    ]
    used["postgresql"] = sum(cpu_of(pid) for pid in postgres)
    used["load generator"] = sum(os.times()[:2])
    return used


def _comm(path: Path) -> str:
    try:
        return path.read_text().strip()
    except (FileNotFoundError, ProcessLookupError):
        return ""


async def watch_memory(world: World, peaks: dict[str, float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for name, server in world.servers.items():
            assert server.process is not None
            peaks[name] = max(peaks.get(name, 0.0), tree_rss_mb(server.process.pid))
        await asyncio.sleep(0.5)


def design(world: World) -> dict[str, str]:
    """A journey of 6 stages x 5 touchpoints, and an NPS survey on the first touchpoint."""
    journey = world.post("journey", "/v1/journeys/documents", document(6, 5))
    touchpoint = journey["stages"][0]["touchpoints"][0]["id"]
    survey = world.post(
        "feedback",
        "/v1/surveys",
        {
            "slug": "load",
            "title": "How was your delivery?",
            "touchpoint_id": touchpoint,
            "min_seconds_to_complete": 0,
            "questions": [{"key": "nps", "type": "nps", "prompt": "Recommend us?"}],
        },
    )
    world.post("feedback", f"/v1/surveys/{survey['id']}/publish")
    return {"journey": journey["id"], "touchpoint": touchpoint, "survey": survey["id"]}


def counted(world: World, touchpoint: str) -> int:
    response = httpx.get(
        f"{world.api('metrics')}/v1/scores",
        params={"metric": "nps", "group_by": "touchpoint", "touchpoint_id": touchpoint},
        headers=world.keys["metrics"],
        timeout=30,
    )
    return int(response.json()["overall"]["n"]) if response.is_success else -1


def run(workdir: Path, db: str, *, customers: int, staff: int, seconds: float,
        think: float) -> Iterator[str]:  # fmt: skip
    factories: dict[str, DatabaseFactory] = {}

    def factory_for(service: str, script_location: Path) -> DatabaseFactory:
        factories[service] = DatabaseFactory(
            service=service, script_location=script_location, workdir=workdir, worker="load"
        )
        return factories[service]

    # As deployed: quiet logs, the gateway's default cache and backend timeout.
    quiet = {"LOG_LEVEL": "WARNING"}
    gateway = {**quiet, "GATEWAY_SURVEY_CACHE_SECONDS": "2", "GATEWAY_BACKEND_TIMEOUT_SECONDS": "5"}
    backends = {**quiet, "FEEDBACK_RATE_LIMIT_PER_SURVEY": "100000000"}
    try:
        with running_world(workdir, factory_for, browser=False, workers=2,
                           gateway_env=gateway, backend_env=backends) as world:  # fmt: skip
            made = design(world)
            pages = [
                ("GET /dashboard", "/dashboard"),
                ("GET /journeys/{id}", f"/journeys/{made['journey']}"),
                ("GET /surveys/{id}/responses", f"/surveys/{made['survey']}/responses"),
            ]
            stats, peaks = Stats(), {}
            started = time.perf_counter()
            cpu_before = cpu_seconds(world)

            async def load() -> None:
                deadline = time.perf_counter() + seconds
                stop = asyncio.Event()
                watcher = asyncio.create_task(watch_memory(world, peaks, stop))
                await asyncio.gather(
                    *(customer(stats, world.gateway, "load", deadline, think)
                      for _ in range(customers)),
                    *(staff_member(stats, world.gateway, n, pages, deadline)
                      for n in range(staff)),
                )  # fmt: skip
                stop.set()
                await watcher

            asyncio.run(load())
            elapsed = time.perf_counter() - started
            cpu = {n: s - cpu_before[n] for n, s in cpu_seconds(world).items()}
            last = time.perf_counter()
            while counted(world, made["touchpoint"]) < stats.answers:
                if time.perf_counter() - last > 300:
                    break
                time.sleep(0.2)
            lag = time.perf_counter() - last
            in_metrics = counted(world, made["touchpoint"])
    finally:
        for factory in factories.values():
            factory.close()

    total = sum(len(v) for v in stats.latencies.values())
    yield (
        f"{customers} customers (think {think:g} s), {staff} staff, {seconds:g} s, on {db}, "
        f"2 workers per service"
    )
    yield f"{total / elapsed:.0f} requests/s in all; {stats.answers} answers acknowledged"
    yield f"{'':<34} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}"
    for name, samples in sorted(stats.latencies.items()):
        q = statistics.quantiles(samples, n=100) if len(samples) > 1 else samples * 99
        yield (
            f"{name:<34} {len(samples):9d} {statistics.median(samples):8.1f} {q[94]:8.1f} "
            f"{q[98]:8.1f} {stats.errors.get(name, 0):7d}"
        )
    yield f"errors in all: {sum(stats.errors.values())} {dict(stats.statuses) or ''}"
    yield "peak memory: " + ", ".join(f"{n} {mb:.0f} MB" for n, mb in sorted(peaks.items()))
    yield "CPU used (share of one core): " + ", ".join(
        f"{n} {seconds / elapsed:.0%}" for n, seconds in sorted(cpu.items())
    )
    yield (f"every answer in metrics {lag:.1f} s after the last ({in_metrics} of {stats.answers})")
