"""Cases for the demo: support tickets of the unhappiest customers over the last weeks, worked
through every state by their touchpoints' owners, some past their SLAs, most resolved, and
recovery follow-ups answered by the customers. Customers who stay are more often recovered
than those who leave (a planted association, as the demo plants its other stories), so the
dashboard's recovery panel has something true to the data to show."""

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from cxdemo import generate
from cxdemo.generate import Customer

FATES = {
    "open": 12,
    "in_progress": 13,
    "waiting_on_customer": 8,
    "resolved": 42,
    "closed": 20,
    "reopened": 5,
}
RESOLUTIONS = (
    "Re-sent the order and refunded the delivery fee.",
    "Apologised, explained the delay and credited the account.",
    "Fixed the address on file; the courier has it now.",
    "Replaced the damaged item the next day.",
)
FIRST_CONTACT_HOURS = {"high": 24, "normal": 72}


@dataclass
class Worked:
    cases: int
    follow_ups: int
    answered: int
    calls: int


class CaseApi:
    """Feedback's case API, as staff and customers use it."""

    def __init__(self, url: str, key: str) -> None:
        self.http = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60
        )
        self.calls = 0

    def send(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        self.calls += 1
        response = self.http.request(method, path, json=body, headers=headers)
        while response.status_code == 429:
            time.sleep(int(response.headers.get("Retry-After", "5")))
            response = self.http.request(method, path, json=body, headers=headers)
        if response.status_code >= 400:
            raise RuntimeError(f"feedback {method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def patch(self, case: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = self.send(
            "PATCH", f"/v1/cases/{case['id']}", body, **{"If-Match": f'"{case["version"]}"'}
        )
        return found


def unhappiest(people: list[Customer], count: int) -> list[Customer]:
    weights = {p.name: p.weight for p in generate.points()}
    return sorted(people, key=lambda person: generate.loyalty(person, weights))[:count]


def work_cases(
    url: str,
    key: str,
    rng: random.Random,
    people: list[Customer],
    touchpoints: dict[str, str],
    now: datetime,
    count: int = 300,
) -> Worked:
    api = CaseApi(url, key)
    names = sorted(touchpoints)
    follow_ups = answered = 0
    for n, person in enumerate(unhappiest(people, count)):
        fate = rng.choices(list(FATES), weights=list(FATES.values()))[0]
        done = fate in ("resolved", "closed", "reopened")
        age = timedelta(days=rng.uniform(0.5, 12) if done else rng.uniform(0.1, 20))
        priority = "high" if rng.random() < 0.3 else "normal"
        point = rng.choice(names)
        case = api.send(
            "POST",
            "/v1/cases",
            {
                "title": f"Ticket {40000 + n}: {point.lower()}",
                "description": generate._comment(rng, _point(point), False),
                "respondent_external_id": person.external_id,
                "touchpoint_id": touchpoints[point],
                "priority": priority,
                "opened_at": (now - age).isoformat(),
            },
        )
        if fate == "open":
            continue
        target = FIRST_CONTACT_HOURS[priority]
        late = rng.random() < 0.2
        hours = rng.uniform(1.1, 2.5) * target if late else rng.uniform(0.05, 0.9) * target
        contacted = min(now, now - age + timedelta(hours=hours))
        api.send(
            "POST",
            f"/v1/cases/{case['id']}/contacts",
            {
                "channel": rng.choice(("phone", "email", "email", "chat")),
                "outcome": "reached",
                "contacted_at": contacted.isoformat(),
            },
        )
        case["version"] += 1  # the first contact stops the clock
        if fate in ("in_progress", "waiting_on_customer"):
            api.patch(case, {"state": fate})
            continue
        case = api.patch(case, {"state": "resolved", "resolution": rng.choice(RESOLUTIONS)})
        if rng.random() < 0.8:
            follow_ups += 1
            link = api.send("POST", f"/v1/cases/{case['id']}/follow-up")
            case["version"] += 1
            if rng.random() < 0.75:
                answered += 1
                stays = person.churn_date is None
                recovered = rng.random() < (0.7 if stays else 0.3)
                api.send(
                    "POST",
                    f"/v1/public/case-follow-ups/{link['token']}",
                    {"put_right": recovered},
                    **{"X-Forwarded-For": f"198.51.100.{n % 250 + 1}"},
                )
                case["version"] += 1
        if fate == "closed":
            api.patch(case, {"state": "closed"})
        elif fate == "reopened":
            api.patch(case, {"state": "open"})
    return Worked(count, follow_ups, answered, api.calls)


def _point(name: str) -> Any:
    return next(p for p in generate.points() if p.name == name)
