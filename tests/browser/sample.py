"""A small, believable business for screenshots: a journey of four stages and ten touchpoints,
its surveys, three months of answers (one touchpoint degrading), customers and opportunities.
Built through the services' APIs, deterministic for a seed."""

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from cxshared.auth import Scope
from cxshared.testing.api import bearer, make_key
from tests.browser.world import World

STAGES: list[tuple[str, int, str, list[tuple[str, str, str, str | None, float]]]] = [
    # stage, designed emotion, experience, [(touchpoint, channel, team, owner, mood)]
    ("Discover", 1, "I find what I need quickly.", [
        ("Search results", "web", "E-commerce", "Lena Ruiz", 0.3),
        ("Product page", "web", "E-commerce", "Lena Ruiz", 0.5),
    ]),
    ("Buy", 1, "Paying is quick and safe.", [
        ("Basket", "web", "E-commerce", "Tom Becker", 0.2),
        ("Checkout", "web", "Finance", None, -0.2),
        ("Payment", "web", "Finance", "Ana Silva", 0.0),
    ]),
    ("Receive", 2, "It arrives when promised, in one piece.", [
        ("Order e-mail", "email", "E-commerce", "Tom Becker", 0.6),
        ("Tracking", "mobile_app", "Logistics", None, 0.1),
        ("Courier delivers", "field", "Logistics", "Priya Shah", 0.2),
    ]),
    ("Get help", 0, "Someone sorts it out the first time.", [
        ("Help centre", "web", "Customer care", "Sam Okafor", 0.0),
        ("Support chat", "chat", "Customer care", "Sam Okafor", -0.1),
    ]),
]  # fmt: skip
TARGETS = {
    "Product page": {"metric": "nps", "value": 30, "min_responses": 30},
    "Checkout": {"metric": "ces", "value": 5.5, "min_responses": 30},
    "Courier delivers": {"metric": "nps", "value": 40, "min_responses": 30},
    "Order e-mail": {"metric": "csat", "value": 85, "min_responses": 30},
}
# What customers write, good and bad, about each touchpoint.
COMMENTS: dict[str, tuple[list[str], list[str]]] = {
    "Search results": (["Found it in seconds."], ["Search showed nothing for 'decaf'."]),
    "Product page": (["Clear photos and sizes."], ["No idea which grind to pick."]),
    "Basket": (["Easy to change quantities."], ["The basket emptied itself overnight."]),
    "Checkout": (["Quick and easy, thank you!"], ["Took three tries to pay, very frustrating."]),
    "Payment": (["Paid with one tap."], ["I was charged twice."]),
    "Order e-mail": (["Lovely order e-mail."], ["The confirmation went to spam."]),
    "Tracking": (["Tracking was spot on."], ["Tracking did not update for two days."]),
    "Courier delivers": (
        ["Great service, arrived early.", "Friendly courier, on the dot."],
        [
            "The parcel was left in the rain and soaked.",
            "Courier never rang the bell, had to collect it from the depot.",
            "Arrived two days late.",
        ],
    ),
    "Help centre": (["The answer was right there."], ["The help article was out of date."]),
    "Support chat": (["Sorted in five minutes."], ["Waited 40 minutes for the chat."]),
}


def event(kind: str, data: dict[str, Any], at: datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": kind,
        "occurred_at": at.isoformat(),
        "source": "feedback",
        "subject": data["response_id"],
        "schema_version": 1,
        "data": data,
    }


def ingest(world: World, events: list[dict[str, Any]]) -> None:
    """Delivers `events` to metrics as a producer's relay would."""
    key = bearer(make_key(world.urls["metrics"], "sample", Scope.INGEST))
    for start in range(0, len(events), 500):
        httpx.post(
            world.api("metrics") + "/v1/events",
            json={"events": events[start : start + 500]},
            headers=key,
            timeout=60,
        ).raise_for_status()


def build(world: World, *, seed: int = 7, days: int = 90) -> dict[str, Any]:
    rng = random.Random(seed)
    teams = {
        name: world.post("journey", "/v1/teams", {"name": name})["id"]
        for name in {t[2] for stage in STAGES for t in stage[3]}
    }
    document = {
        "name": "Buying online",
        "owner_name": "Sam Okafor",
        "status": "live",
        "description": "From the first visit to the parcel at the door.",
        "stages": [
            {
                "name": name,
                "designed_emotion": emotion,
                "experience": experience,
                "touchpoints": [
                    {
                        "name": tp,
                        "channel": channel,
                        "interaction": "human" if channel in ("field", "chat") else "digital",
                        "owner_team_id": teams[team],
                        "owner_name": owner or "",
                        "moment_of_truth": tp in TARGETS,
                        "targets": [TARGETS[tp]] if tp in TARGETS else [],
                    }
                    for tp, channel, team, owner, _ in touchpoints
                ],
            }
            for name, emotion, experience, touchpoints in STAGES
        ],
    }
    journey = world.post("journey", "/v1/journeys/documents", document)
    touchpoints = {t["name"]: t for s in journey["stages"] for t in s["touchpoints"]}
    moods = {tp: mood for _, _, _, tps in STAGES for tp, _, _, _, mood in tps}
    survey = world.post(
        "feedback",
        "/v1/surveys",
        {
            "slug": "delivery",
            "title": "How was your delivery?",
            "intro": "Two quick questions. Your answer goes to the team that delivered it.",
            "thank_you": "Thank you, that helps us a lot.",
            "touchpoint_id": touchpoints["Courier delivers"]["id"],
            "hidden_fields": ["order_id", "customer_id"],
            "questions": [
                {"key": "nps", "type": "nps", "prompt": "How likely are you to recommend us to a friend?", "required": True},
                {"key": "why", "type": "text", "prompt": "What is the main reason for your score?", "max_length": 1000},
            ],
        },
    )  # fmt: skip
    world.post("feedback", f"/v1/surveys/{survey['id']}/publish")

    now = datetime.now(UTC).replace(microsecond=0)
    events = []
    for name, tp in touchpoints.items():
        for day in range(days):
            degrade = name == "Courier delivers" and day < 21
            for _ in range(rng.randint(3, 9)):
                mood = moods[name] - (1.2 if degrade else 0)
                nps = max(0, min(10, round(rng.gauss(7.6 + mood * 3, 2.0))))
                answers = [
                    {"question": "nps", "type": "nps", "value": nps},
                    {"question": "csat", "type": "csat", "value": max(1, min(5, round(rng.gauss(4 + mood, 0.8))))},
                    {"question": "ces", "type": "ces", "value": max(1, min(7, round(rng.gauss(5.4 + mood, 1.1))))},
                ]  # fmt: skip
                if rng.random() < 0.2:
                    answers.append(
                        {
                            "question": "why",
                            "type": "text",
                            "value": rng.choice(COMMENTS[name][nps < 7]),
                        }
                    )
                at = now - timedelta(days=day, hours=rng.randint(0, 23))
                response_id = str(uuid.uuid4())
                events.append(
                    event(
                        "response.completed",
                        {
                            "response_id": response_id,
                            "survey_id": survey["id"],
                            "survey_slug": "delivery",
                            "version": 1,
                            "touchpoint_id": tp["id"],
                            "respondent_external_id": f"c{rng.randint(1, 600)}",
                            "channel": "web",
                            "hidden": {"segment": rng.choice(["consumer", "business"])},
                            "flags": [],
                            "status": "complete",
                            "submitted_at": at.isoformat(),
                            "completed_at": at.isoformat(),
                            "answers": answers,
                        },
                        at,
                    )
                )
    ingest(world, events)
    customers = [
        {
            "external_id": f"c{i}",
            "name": f"Customer {i}",
            "segment": segment,
            "annual_revenue": rng.choice(
                [240, 600, 1200] if segment == "consumer" else [9000, 24000]
            ),
            "start_date": "2024-01-01",
            "churn_date": (now - timedelta(days=rng.randint(1, 60))).date().isoformat()
            if rng.random() < 0.12
            else None,
        }
        for i in range(1, 601)
        for segment in [rng.choice(["consumer", "business"])]
    ]
    world.post("metrics", "/v1/customers", {"customers": customers})
    world.post(
        "journey",
        f"/v1/touchpoints/{touchpoints['Courier delivers']['id']}/opportunities",
        {
            "title": "Photo on delivery, and a safe place asked in advance",
            "kind": "pain_point",
            "customer_value": 80,
            "business_value": 60,
            "effort": 2,
        },
    )
    world.post(
        "journey",
        f"/v1/touchpoints/{touchpoints['Checkout']['id']}/opportunities",
        {
            "title": "Guest checkout",
            "kind": "idea",
            "customer_value": 70,
            "business_value": 70,
            "effort": 3,
        },
    )
    world.post("metrics", "/v1/incidents/evaluate")
    return {
        "journey": journey,
        "survey": survey,
        "touchpoints": touchpoints,
        "responses": len(events),
    }
