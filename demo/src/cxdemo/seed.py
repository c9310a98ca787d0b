"""Seeding: the business through journey's and feedback's APIs, a year of history through
metrics' bulk import, customers, a few hundred answers through the public survey endpoint (so
they are real responses that opportunities can cite, and the unhappy ones open cases),
support tickets worked through every case state, opportunities and the actions that answer
them (two shipped with back-dated ship days, business.ACTIONS), and an incident evaluation at
the end."""

import json
import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from cxdemo import generate
from cxdemo.business import ACTIONS, DEGRADING, JOURNEYS, PERSONAS, TEAMS, Point
from cxdemo.cases import work_cases

SERVICES = ("journey", "feedback", "metrics")
LIVE_ANSWERS = 80


@dataclass
class Backends:
    urls: dict[str, str]
    keys: dict[str, str]
    # One connection pool for every call (a test passes an app's client instead).
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=120))

    def call(self, service: str, method: str, path: str, body: Any = None) -> Any:
        response = self.client.request(
            method,
            self.urls[service] + path,
            json=body,
            headers={"Authorization": f"Bearer {self.keys[service]}"},
        )
        if response.status_code >= 400:
            raise RuntimeError(f"{service} {method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        for service in SERVICES:
            while True:
                try:
                    if httpx.get(self.urls[service] + "/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{service} is not ready at {self.urls[service]}")
                time.sleep(0.5)


def _slug(name: str) -> str:
    return "-".join(name.lower().replace("-", " ").split())


def _email(name: str) -> str:
    return f"{_slug(name)}@example.com".replace("-", ".")


def _touchpoint(point: Point, teams: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": point.name,
        "channel": point.channel,
        "interaction": point.kind,
        "owner_name": point.owner,
        "moment_of_truth": point.moment_of_truth,
        "standard": point.standard,
    }
    if point.team:
        body["owner_team_id"] = teams[point.team]
        body["owner_email"] = _email(point.owner or point.team)
    if point.target:
        body["targets"] = [{"metric": point.target[0], "value": point.target[1]}]
    if point.activities:
        body["activities"] = list(point.activities)
    if point.indicator:
        body["indicator"] = point.indicator
    return body


def build_model(api: Backends, say: Callable[[str], None]) -> dict[str, Any]:
    teams = {
        name: api.call("journey", "POST", "/v1/teams", {"name": name, "lead_name": lead})["id"]
        for name, lead in TEAMS.items()
    }
    personas = {
        name: api.call("journey", "POST", "/v1/personas", {"name": name, "description": text})["id"]
        for name, text in PERSONAS.items()
    }
    touchpoints: dict[str, str] = {}
    journeys = {}
    for journey in JOURNEYS:
        created = api.call(
            "journey",
            "POST",
            "/v1/journeys/documents",
            {
                "name": journey.name,
                "description": journey.description,
                "owner_name": journey.owner,
                "persona_id": personas[journey.persona],
                "status": "live",
                "review_cadence_days": 90,
                "last_reviewed_date": "2026-05-01" if journey.name == "Getting support" else None,
                "stages": [
                    {
                        "name": stage.name,
                        "designed_emotion": stage.emotion,
                        "experience": stage.experience,
                        "touchpoints": [_touchpoint(p, teams) for p in stage.points],
                    }
                    for stage in journey.stages
                ],
            },
        )
        journeys[journey.name] = created["id"]
        for stage in created["stages"]:
            touchpoints.update({t["name"]: t["id"] for t in stage["touchpoints"]})
    api.call("journey", "POST", f"/v1/journeys/{journeys['Buying online']}/copy", {})
    say(f"journeys: {len(journeys)} (+1 future state), {len(touchpoints)} touchpoints")
    return {"teams": teams, "journeys": journeys, "touchpoints": touchpoints}


def build_surveys(
    api: Backends, touchpoints: dict[str, str], say: Callable[[str], None]
) -> dict[str, str]:
    """A survey on every moment of truth, and the relationship NPS survey."""
    surveys = {}
    for point in generate.points():
        if point.moment_of_truth:
            surveys[point.name] = _publish(api, touchpoint_survey(point, touchpoints[point.name]))
    surveys["relationship"] = _publish(
        api,
        {
            "slug": "relationship",
            "title": "How are we doing?",
            "hidden_fields": ["customer_id"],
            "questions": [
                {"key": "nps", "type": "nps", "required": True,
                 "prompt": "How likely are you to recommend us to a friend or colleague?"},
            ],
        },
    )  # fmt: skip
    say(f"surveys: {len(surveys)} published")
    return surveys


COUNTED = {1: "One quick question", 2: "Two quick questions", 3: "Three quick questions"}


def touchpoint_survey(point: Point, touchpoint_id: str) -> dict[str, Any]:
    """The survey at a moment of truth: NPS, its own metric (CES or CSAT) and why; the intro
    counts the questions it asks."""
    second = (
        {"key": "ces", "type": "ces", "prompt": f"{point.name} was easy.", "required": True}
        if point.survey_metric == "ces"
        else {"key": "csat", "type": "csat", "prompt": "How satisfied are you with it?"}
    )
    questions = [
        {"key": "nps", "type": "nps", "required": True,
         "prompt": "How likely are you to recommend us to a friend?"},
        second,
        {"key": "why", "type": "text", "max_length": 1000,
         "prompt": "What is the main reason for your score?"},
    ]  # fmt: skip
    return {
        "slug": _slug(point.name),
        "title": f"{point.name}: how did we do?",
        "intro": f"{COUNTED[len(questions)]}; your answer goes to the team responsible.",
        "thank_you": "Thank you. We read every answer.",
        "touchpoint_id": touchpoint_id,
        "hidden_fields": ["order_id", "customer_id"],
        "allowed_origins": ["http://127.0.0.1:8080"],
        "min_seconds_to_complete": 0,
        "questions": questions,
    }


def _publish(api: Backends, body: dict[str, Any]) -> str:
    survey = api.call("feedback", "POST", "/v1/surveys", body)
    api.call("feedback", "POST", f"/v1/surveys/{survey['id']}/publish")
    return str(survey["id"])


def wait_for_touchpoints(api: Backends, journey_ids: list[str], expected: int) -> None:
    """Metrics learns the touchpoints from journey's events; import after it knows them all."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        known = 0
        for journey_id in journey_ids:
            try:
                overlay = api.call("metrics", "GET", f"/v1/journeys/{journey_id}/overlay")
            except RuntimeError:
                continue
            known += sum(len(stage["touchpoints"]) for stage in overlay["stages"])
        if known >= expected:
            return
        time.sleep(0.5)
    raise RuntimeError("metrics did not receive the touchpoints from journey in time")


def answer_live(
    api: Backends, rng: random.Random, surveys: dict[str, str], people: list[Any]
) -> list[dict[str, Any]]:
    """Answers through feedback's public endpoint, as customers give them, mostly about the
    degrading courier."""
    stored = []
    slug = _slug(DEGRADING)
    point = next(p for p in generate.points() if p.name == DEGRADING)
    for n in range(LIVE_ANSWERS):
        person = rng.choice(people)
        nps = rng.choice((0, 1, 2, 3, 4, 5, 6, 6, 7, 8, 9, 10))
        good = nps >= 9
        body = {
            "submission_id": f"demo-live-{n:05d}",
            "complete": True,
            "channel": "email",
            "hidden": {"customer_id": person.external_id, "order_id": f"A-{10000 + n}"},
            "respondent": {"external_id": person.external_id},
            "answers": {
                "nps": nps,
                "csat": max(1, min(5, nps // 2)),
                "why": generate._comment(rng, point, good),
            },
        }
        # Customers answer from addresses of their own (a documentation range), which feedback
        # believes from a trusted proxy such as the gateway; otherwise its per-client rate
        # limit applies to the demo as one client, and the demo waits as it asks.
        address = {"X-Forwarded-For": f"198.51.100.{n % 250 + 1}"}
        url = f"{api.urls['feedback']}/v1/public/surveys/{slug}/responses"
        response = httpx.post(url, json=body, headers=address, timeout=30)
        while response.status_code == 429:
            time.sleep(int(response.headers.get("Retry-After", "5")))
            response = httpx.post(url, json=body, headers=address, timeout=30)
        if response.status_code not in (200, 201):
            raise RuntimeError(f"feedback: {response.status_code} {response.text}")
        stored.append({"id": response.json()["id"], "nps": nps})
    return stored


def seed(
    api: Backends,
    *,
    seed: int,
    workdir: Path,
    customers: int,
    metrics_command: list[str],
    say: Callable[[str], None],
) -> dict[str, Any]:
    started = time.perf_counter()
    rng = random.Random(seed)
    today = datetime.now(UTC).date()
    api.wait_ready()
    model = build_model(api, say)
    surveys = build_surveys(api, model["touchpoints"], say)
    wait_for_touchpoints(api, list(model["journeys"].values()), len(model["touchpoints"]))

    people = generate.customers(rng, customers, today)
    history = workdir / "demo-responses.jsonl"
    count = 0
    with history.open("w") as out:
        for row in generate.responses(
            rng,
            people,
            touchpoint_ids=model["touchpoints"],
            survey_ids={k: v for k, v in surveys.items() if k != "relationship"},
            today=today,
        ):
            out.write(json.dumps(row) + "\n")
            count += 1
        for row in generate.relationship(
            rng, people, survey_id=surveys["relationship"], today=today
        ):
            out.write(json.dumps(row) + "\n")
            count += 1
    say(f"history: {count:,} responses over 365 days, importing into metrics")
    # metrics' own bulk import, as a team moving from another tool would run it
    subprocess.run([*metrics_command, "import-responses", str(history)], check=True)  # noqa: S603
    history.unlink()

    # Activity events from the order and delivery systems, for the observed journey; a random
    # stream of their own, so the answers and customers above stay as they were.
    logged = workdir / "demo-activities.jsonl"
    with logged.open("w") as out:
        events = 0
        for row in generate.trails(random.Random(seed + 1), people, today):
            out.write(json.dumps(row) + "\n")
            events += 1
    say(f"activity: {events:,} events from orders and deliveries, importing into metrics")
    subprocess.run([*metrics_command, "import-activities", str(logged)], check=True)  # noqa: S603
    logged.unlink()

    generate.decide_churn(rng, people, today)
    for start in range(0, len(people), 1000):
        api.call(
            "metrics",
            "POST",
            "/v1/customers",
            {"customers": [p.record() for p in people[start : start + 1000]]},
        )
    say(f"customers: {len(people):,}, {sum(1 for p in people if p.churn_date):,} of them gone")

    live = answer_live(api, rng, surveys, people)
    worst = [r["id"] for r in live if r["nps"] <= 3]
    courier = model["touchpoints"][DEGRADING]
    opportunities = build_opportunities(api, model, worst)
    actions = build_actions(api, model, opportunities, today)
    say(
        f"live answers: {len(live)} through the public survey; {len(opportunities)} "
        f"opportunities; {len(actions)} actions"
    )
    began = time.perf_counter()
    worked = work_cases(
        api.urls["feedback"],
        api.keys["feedback"],
        rng,
        people,
        model["touchpoints"],
        datetime.now(UTC),
    )
    say(
        f"cases: {worked.cases} tickets worked, {worked.follow_ups} follow-ups, "
        f"{worked.answered} answered ({worked.calls} calls, "
        f"{time.perf_counter() - began:.1f} s)"
    )
    wait_for_responses(api, courier, live[-1]["id"])
    evaluation = api.call("metrics", "POST", "/v1/incidents/evaluate")
    say(f"incidents: {evaluation.get('opened', 0)} opened")
    return {
        "seed": seed,
        "responses": count + len(live),
        "customers": len(people),
        "touchpoints": len(model["touchpoints"]),
        "seconds": round(time.perf_counter() - started, 1),
    }


def build_opportunities(api: Backends, model: dict[str, Any], worst: list[str]) -> dict[str, str]:
    """Opportunities at the courier (citing the worst live answers), at checkout and at
    unboxing, by title: the actions answer them."""
    made = {}
    for where, title, kind, values, evidence in (
        (DEGRADING, "Photo on delivery, and the safe place asked first", "pain_point",
         (85, 60, 2), worst[:6]),
        (DEGRADING, "Rain covers for parcels left outside", "idea", (60, 40, 1), worst[6:9]),
        ("Checkout", "Guest checkout", "unmet_need", (70, 75, 3), []),
        ("Unboxing", "Less plastic in the box", "pain_point", (40, 30, 1), []),
    ):  # fmt: skip
        made[title] = api.call(
            "journey",
            "POST",
            f"/v1/touchpoints/{model['touchpoints'][where]}/opportunities",
            {
                "title": title,
                "kind": kind,
                "customer_value": values[0],
                "business_value": values[1],
                "effort": values[2],
                "evidence": evidence,
            },
        )["id"]
    return made


def build_actions(
    api: Backends, model: dict[str, Any], opportunities: dict[str, str], today: date
) -> list[dict[str, Any]]:
    """The actions of business.ACTIONS through journey's API, each created `planned` and moved
    on as staff move it: to `in_progress`, and a shipped one on to `shipped` with the morning
    of its ship day as `shipped_at` (back-dated; the day's answers all came after it)."""
    made = []
    for action in ACTIONS:
        body: dict[str, Any] = {
            "title": action.title,
            "description": action.description,
            "touchpoint_ids": [model["touchpoints"][name] for name in action.touchpoints],
            "opportunity_ids": [opportunities[action.opportunity]] if action.opportunity else [],
            "owner_name": action.owner,
            "owner_email": _email(action.owner),
            "team_id": model["teams"][action.team],
        }
        if action.due_in_days:
            body["due_date"] = (today + timedelta(days=action.due_in_days)).isoformat()
        journey_id = model["journeys"][action.journey]
        made.append(api.call("journey", "POST", f"/v1/journeys/{journey_id}/actions", body))
        moves: list[dict[str, Any]] = []
        if action.state in ("in_progress", "shipped"):
            moves.append({"state": "in_progress"})
        if action.state == "shipped":
            day = today - timedelta(days=action.shipped_days_ago)
            shipped = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=6)
            moves.append({"state": "shipped", "shipped_at": shipped.isoformat()})
        for move in moves:
            made[-1] = api.call("journey", "PATCH", f"/v1/actions/{made[-1]['id']}", move)
    return made


def wait_for_responses(api: Backends, touchpoint_id: str, last_id: str) -> None:
    """The live answers reach metrics through feedback's relay; wait for the last of them."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        page = api.call("metrics", "GET", f"/v1/comments?touchpoint_id={touchpoint_id}&limit=100")
        if any(item["response_id"] == last_id for item in page["items"]):
            return
        time.sleep(0.5)
    print("demo: the live answers are still on their way to metrics", file=sys.stderr)
