"""What opening a case costs the capture: detractor answers (NPS 0-6, each opening a case under
the default rules, routed to the touchpoint's owner) to one feedback worker with the default
case rules, and the same answers to another with no case rules, and the bare baseline
(`baseline_app`), driven by wrk. The three take turns in slices (as in `feedback_capture`), so
a machine whose speed drifts slows all alike.

Latency percentiles are merged from each slice's quantiles (wrk gives percentiles, not samples):
each slice reports 1,000 evenly spaced quantiles, each standing for a thousandth of its
requests.
"""

import os
import shutil
import subprocess
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import insert, text

from cxshared.auth import Scope, create_api_key
from cxshared.db import make_engine, write_session
from cxshared.testing.databases import DatabaseFactory
from cxshared.testing.processes import ServiceProcess, console_script
from feedback.main import MIGRATIONS
from feedback.ownership.models import OwnerTeam, TouchpointOwner
from tests.perf.case_bench import QUESTIONS, feedback_server, port
from tests.perf.feedback_capture import _wait

SLICE_SECONDS = 4
QUANTILES = 1000
WRK = shutil.which("wrk") or "/usr/bin/wrk"

# One answer per request, a fresh submission id each; NPS 0-6, so every one is a detractor.
SCRIPT = """
local counter = 0
local prefix = "x"
local comments = {
  "Arrived a day late and the box was damaged.",
  "The courier left it in the rain.",
  "Tracking never updated.",
}
function init(args) prefix = args[1] end
function request()
  counter = counter + 1
  local body = string.format(
    '{"submission_id":"%s-%d","answers":{"nps":%d,"comment":"%s"},"complete":true}',
    prefix, counter, counter % 7, comments[counter % #comments + 1])
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d\\n", summary.requests, summary.duration,
    e.status, e.connect + e.read + e.write + e.timeout))
  for k = 1, %(quantiles)d do
    io.write(string.format("Q %f\\n", latency:percentile((k - 0.5) * 100 / %(quantiles)d)))
  end
end
""".replace("%(quantiles)d", str(QUANTILES))


@dataclass
class Runs:
    """A server's slices: requests, seconds, failures, and latency quantiles (µs) by weight."""

    requests: int = 0
    seconds: float = 0.0
    non_2xx: int = 0
    socket_errors: int = 0
    quantiles: list[tuple[float, float]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        """The merged p-th percentile, in ms."""
        ordered = sorted(self.quantiles)
        total = sum(w for _, w in ordered)
        seen = 0.0
        for value, weight in ordered:
            seen += weight
            if seen >= total * p / 100:
                return value / 1000
        return ordered[-1][0] / 1000


def wrk(url: str, script: Path, *, clients: int, seconds: int, into: Runs | None) -> None:
    out = subprocess.run(
        [
            WRK,
            "-t1",
            f"-c{clients}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
            "--",
            uuid.uuid4().hex[:12],
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if into is None:
        return
    quantiles = []
    for row in out.splitlines():
        if row.startswith("RESULT "):
            requests, micros, status, errors = (int(v) for v in row.split()[1:])
            into.requests += requests
            into.seconds += micros / 1e6
            into.non_2xx += status
            into.socket_errors += errors
            weight = requests / QUANTILES
        elif row.startswith("Q "):
            quantiles.append(float(row.split()[1]))
    into.quantiles += [(q, weight) for q in quantiles]


def _publish(base_url: str, key: str, *, rules: bool) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        survey = client.post(
            "/v1/surveys",
            json={
                "slug": "bench",
                "title": "Bench",
                "touchpoint_id": "tp-bench",
                "questions": QUESTIONS,
            },
        ).json()
        client.post(f"/v1/surveys/{survey['id']}/publish").raise_for_status()
        found = client.get("/v1/case-rules").json()["items"]
        assert len(found) == 2, found  # the defaults: NPS 0-3 high, 4-6 normal
        if not rules:
            for rule in found:
                etag = client.get(f"/v1/case-rules/{rule['id']}").headers["ETag"]
                client.delete(
                    f"/v1/case-rules/{rule['id']}", headers={"If-Match": etag}
                ).raise_for_status()


def _owner(database_url: str) -> None:
    """The touchpoint's owner in feedback's read model, as journey's events would leave it."""
    engine = make_engine(database_url, pool_size=1)
    with write_session(engine) as session:
        session.execute(
            insert(OwnerTeam.__table__),  # type: ignore[attr-defined]
            [{"id": "team-bench", "version": 1, "name": "Delivery", "lead_name": "Lea",
              "lead_email": "lea@example.com", "deleted": False}],
        )  # fmt: skip
        session.execute(
            insert(TouchpointOwner.__table__),  # type: ignore[attr-defined]
            [{"id": "tp-bench", "version": 1, "name": "Delivery", "journey_id": "journey-bench",
              "journey_name": "Order", "owner_name": "Olu", "owner_email": "olu@example.com",
              "owner_team_id": "team-bench", "deleted": False}],
        )  # fmt: skip
    engine.dispose()


def _count(database_url: str) -> tuple[int, int]:
    """(complete detractor answers, cases) in the database."""
    engine = make_engine(database_url, pool_size=1)
    with engine.connect() as connection:
        answers = connection.execute(
            text("SELECT count(*) FROM response WHERE status = 'complete' AND nps_score <= 6")
        ).scalar_one()
        cases = connection.execute(text("SELECT count(*) FROM case_record")).scalar_one()
    engine.dispose()
    return int(answers), int(cases)


def _line(name: str, runs: Runs, base: Runs | None) -> str:
    ratio = f"{runs.rate / base.rate:5.0%} of baseline" if base else "(baseline)"
    failures = (
        f"   non-2xx {runs.non_2xx}, socket errors {runs.socket_errors}"
        if runs.non_2xx or runs.socket_errors
        else ""
    )
    return (
        f"{name:<30} {runs.rate:6.0f} /s   p50 {runs.percentile(50):6.1f} ms   "
        f"p99 {runs.percentile(99):6.1f} ms   {ratio}{failures}"
    )


def run(workdir: Path, backend: str, *, clients: int, seconds: float) -> list[str]:
    script = workdir / "detractors.lua"
    script.write_text(SCRIPT)
    with ExitStack() as stack:
        factory = DatabaseFactory(
            service="feedback",
            script_location=MIGRATIONS,
            workdir=workdir,
            worker="bench",
            durable=True,
        )
        stack.callback(factory.close)
        base_db, on_db, off_db = factory.new_url(), factory.new_url(), factory.new_url()
        base_port = port()
        baseline = ServiceProcess(
            [console_script("uvicorn"), "tests.perf.baseline_app:app", "--port", str(base_port),
             "--log-level", "warning"],
            env={"BASELINE_DATABASE_URL": base_db, "PYTHONPATH": os.getcwd()},
            log_path=workdir / "baseline.log",
        ).start()  # fmt: skip
        stack.callback(baseline.stop)
        servers = {}
        for name, url, rules in (("rules on", on_db, True), ("rules off", off_db, False)):
            _owner(url)
            engine = make_engine(url, pool_size=1)
            key = create_api_key(engine, name="bench", scopes=[Scope.WRITE])[1]
            engine.dispose()
            server = feedback_server(workdir, url, name.replace(" ", "-"))
            stack.callback(server.stop)
            _publish(server.base_url or "", key, rules=rules)
            servers[name] = server
        _wait(f"http://127.0.0.1:{base_port}/docs")
        urls = {
            "baseline": f"http://127.0.0.1:{base_port}/submit",
            "rules off": f"{servers['rules off'].base_url}/v1/public/surveys/bench/responses",
            "rules on": f"{servers['rules on'].base_url}/v1/public/surveys/bench/responses",
        }
        runs = {name: Runs() for name in urls}
        for url in urls.values():  # warm up
            wrk(url, script, clients=clients, seconds=2, into=None)
        for _ in range(max(1, round(seconds / SLICE_SECONDS))):
            for name, url in urls.items():
                wrk(url, script, clients=clients, seconds=SLICE_SECONDS, into=runs[name])
        on_answers, on_cases = _count(on_db)
        off_answers, off_cases = _count(off_db)
        batches = {name: _mean_batch(servers[name].base_url or "") for name in servers}
    base, off, on = runs["baseline"], runs["rules off"], runs["rules on"]
    cost = off.rate / on.rate - 1  # the extra time per answer that opening a case takes
    median_cost = on.percentile(50) / off.percentile(50) - 1
    return [
        _line(f"baseline on {backend}", base, None),
        _line("capture, no case rules", off, base),
        _line("capture, a case each", on, base),
        f"opening a case costs {cost:+.1%} time per answer at full load "
        f"(p50 {median_cost:+.1%}); target at most +10%",
        f"rows, with rules: {on_answers:,} detractor answers, {on_cases:,} cases "
        f"({'equal' if on_answers == on_cases else 'NOT EQUAL'}); wrk acknowledged "
        f"{on.requests - on.non_2xx:,} in the measured slices",
        f"rows, no rules: {off_answers:,} detractor answers, {off_cases:,} cases",
        "answers per transaction (group commit, mean over the run): "
        + ", ".join(f"{name} {mean:.1f}" for name, mean in batches.items()),
    ]


def _mean_batch(base_url: str) -> float:
    """Writes over transactions of the server's group commit, from its /metrics."""
    text = httpx.get(f"{base_url}/metrics").text
    totals = {
        name: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        for name in ("cx_group_commit_writes_total", "cx_group_commit_transactions_total")
        if line.startswith(name + " ")
    }
    return totals["cx_group_commit_writes_total"] / totals["cx_group_commit_transactions_total"]
