"""The demo's data, generated from a seed: the same seed always gives the same customers and
the same answers, with a weekly and a seasonal rhythm, comments about each touchpoint's own
topic, one touchpoint that degrades in the last month, and the planted effects of shipped
actions (business.ACTIONS): a rise in CES at their touchpoints from the ship day. How loyal a
customer is (their relationship NPS, whether they leave) follows how their own touchpoints
went, the planted problems at the courier and at checkout weighing most: the drivers analysis
has a true story to find. Pure: no I/O."""

import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cxdemo.business import (
    ACTIONS,
    DEGRADING,
    FAILURE_DROP,
    JOURNEYS,
    REVENUE,
    SEGMENTS,
    UNDOCUMENTED,
    Action,
    Point,
)

FIRST_NAMES = (
    "Ada", "Ben", "Chloe", "Dev", "Elif", "Femi", "Greta", "Hugo", "Ines", "Jon",
    "Kavya", "Luca", "Maya", "Nils", "Olu", "Pia", "Quinn", "Rosa", "Sami", "Tara",
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Berg", "Costa", "Dubois", "Eze", "Fischer", "Garcia", "Hansen", "Ito",
    "Jensen", "Kowalski", "Larsen", "Moreau", "Novak", "Okoro", "Patel", "Rossi",
)  # fmt: skip
OPENERS = {
    True: ("", "Really pleased: ", "Great job, ", "Honestly, ", "Love it, "),
    False: ("", "Disappointed: ", "Not good, ", "Frustrating: ", "Again, "),
}
CLOSERS = {
    True: (".", "!", ". Thanks!", ", will order again."),
    False: (".", "!", ". Please fix this.", ", not the first time."),
}
# Churn probability against how a customer's touchpoints went (`loyalty`): logistic, about
# 4 % for a happy customer, 8 % for an average one and over 20 % after things went wrong.
CHURN_AT_ZERO = -2.6
CHURN_SLOPE = -3.5
DEGRADE_DAYS = 30


@dataclass
class Customer:
    external_id: str
    name: str
    segment: str
    annual_revenue: float
    start_date: date
    mood: float
    churn_date: date | None = None
    # How each visit felt (-1 ... +1 and beyond), per touchpoint name.
    experience: dict[str, list[float]] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        return {
            "external_id": self.external_id,
            "name": self.name,
            "segment": self.segment,
            "annual_revenue": self.annual_revenue,
            "start_date": self.start_date.isoformat(),
            "churn_date": self.churn_date.isoformat() if self.churn_date else None,
        }


def points() -> list[Point]:
    return [p for journey in JOURNEYS for stage in journey.stages for p in stage.points]


def customers(rng: random.Random, count: int, today: date) -> list[Customer]:
    made = []
    for n in range(1, count + 1):
        segment = rng.choices(list(SEGMENTS), weights=list(SEGMENTS.values()))[0]
        low, high = REVENUE[segment]
        made.append(
            Customer(
                external_id=f"c{n:05d}",
                name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                segment=segment,
                annual_revenue=round(rng.uniform(low, high), 2),
                start_date=today - timedelta(days=rng.randint(380, 1500)),
                mood=rng.gauss(0, 0.35),
            )
        )
    return made


def _volume(day: date, per_day: float) -> float:
    """Fewer answers at weekends, more before Christmas, fewer in August."""
    weekly = 0.6 if day.weekday() >= 5 else 1.1
    seasonal = 1 + 0.35 * math.exp(-(((day.timetuple().tm_yday - 340) / 25) ** 2))
    summer = 0.85 if day.month == 8 else 1.0
    return per_day * weekly * seasonal * summer


def _comment(rng: random.Random, point: Point, good: bool) -> str:
    phrase = rng.choice(point.praise if good else point.complaints)
    opener = rng.choice(OPENERS[good])
    text = f"{opener}{phrase}" if opener else phrase[:1].upper() + phrase[1:]
    return text + rng.choice(CLOSERS[good])


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def responses(
    rng: random.Random,
    people: list[Customer],
    *,
    touchpoint_ids: dict[str, str],
    survey_ids: dict[str, str],
    today: date,
    days: int = 365,
    per_day: float = 285,
    actions: tuple[Action, ...] = ACTIONS,
) -> Iterator[dict[str, Any]]:
    """Touchpoint answers, oldest first, as rows of `cx-metrics import-responses`. A shipped
    action's push changes its touchpoints' CES answers from its ship day and draws nothing
    from `rng`: every other answer is the same with or without it."""
    where = points()
    pushes = [
        (action.shipped_days_ago, set(action.touchpoints), action.ces_push)
        for action in actions
        if action.state == "shipped" and action.ces_push
    ]
    weights = [3 if p.moment_of_truth else 1 for p in where]
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        for _ in range(int(_volume(day, per_day) * rng.uniform(0.9, 1.1))):
            point = rng.choices(where, weights=weights)[0]
            person = rng.choice(people)
            latent = point.mood + person.mood + rng.gauss(0, 0.35)
            if point.name == DEGRADING and back <= DEGRADE_DAYS:
                latent -= 0.9
            if point.failure_rate and rng.random() < point.failure_rate:
                latent -= FAILURE_DROP
            person.experience.setdefault(point.name, []).append(latent)
            nps = _clamp(7.2 + latent * 3.4 + rng.gauss(0, 1.2), 0, 10)
            at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(
                seconds=rng.randint(7 * 3600, 23 * 3600)
            )
            row: dict[str, Any] = {
                "response_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "survey_id": survey_ids.get(point.name, f"legacy-{_slug(point.name)}"),
                "submitted_at": at.isoformat(),
                "touchpoint_id": touchpoint_ids[point.name],
                "respondent_id": person.external_id,
                "channel": point.channel,
                "segment": person.segment,
                "nps": nps,
            }
            if point.survey_metric == "ces":
                push = sum(p for since, names, p in pushes if back <= since and point.name in names)
                row["ces"] = _clamp(5.2 + latent * 2.0 + rng.gauss(0, 0.8) + push, 1, 7)
            else:
                row["csat"] = _clamp(3.9 + latent * 1.6 + rng.gauss(0, 0.6), 1, 5)
            if rng.random() < 0.22 and nps != 7 and nps != 8:
                row["comment"] = _comment(rng, point, good=nps >= 9)
            yield row


def relationship(
    rng: random.Random, people: list[Customer], *, survey_id: str, today: date
) -> Iterator[dict[str, Any]]:
    """The relationship NPS survey: most customers answer it once or twice a year; how they
    answer follows how their touchpoints went (`loyalty`), which is what the drivers analysis
    finds."""
    weights = {p.name: p.weight for p in points()}
    for person in people:
        if rng.random() > 0.7:
            continue
        felt = loyalty(person, weights)
        for _ in range(rng.choice((1, 1, 2))):
            back = rng.randint(1, 360)
            at = datetime.combine(today - timedelta(days=back), datetime.min.time(), UTC)
            nps = _clamp(7.0 + felt * 3.0 + rng.gauss(0, 1.0), 0, 10)
            yield {
                "response_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "survey_id": survey_id,
                "submitted_at": (at + timedelta(hours=rng.randint(8, 20))).isoformat(),
                "respondent_id": person.external_id,
                "channel": "email",
                "segment": person.segment,
                "nps": nps,
            }


def loyalty(person: Customer, weights: dict[str, float]) -> float:
    """How a customer's touchpoints went, on the mood scale: the mean of their visits at each
    touchpoint, averaged over touchpoints with each one's weight (their own mood when they
    visited none)."""
    if not person.experience:
        return person.mood
    total = sum(weights[name] for name in person.experience)
    return (
        sum(weights[name] * sum(felt) / len(felt) for name, felt in person.experience.items())
        / total
    )


def decide_churn(rng: random.Random, people: list[Customer], today: date) -> None:
    """Customers leave more often the worse their touchpoints went: the drivers of churn are
    the drivers of loyalty, and churn by NPS category tells a true story because both follow
    the same experiences."""
    weights = {p.name: p.weight for p in points()}
    for person in people:
        chance = 1 / (1 + math.exp(-(CHURN_AT_ZERO + CHURN_SLOPE * loyalty(person, weights))))
        if rng.random() < chance:
            person.churn_date = today - timedelta(days=rng.randint(1, 300))


def trails(rng: random.Random, people: list[Customer], today: date) -> Iterator[dict[str, Any]]:
    """Each customer's orders over the year as the order and delivery systems log them, rows
    of `cx-metrics import-activities` (docs/observed.md): dispatch, tracking (looked at again
    and again by some), the SMS, a safe place, the delivery (late more often in the courier's
    bad last month, and for customers whose courier visits went badly), and for some a return.
    When tracking stops updating, customers call support: a step the map does not show. No
    one books an exchange."""
    for person in people:
        felt = person.experience.get(DEGRADING, [])
        bad_courier = bool(felt) and sum(felt) / len(felt) < -0.2
        for order in range(rng.choice((1, 2, 2, 3, 4))):
            back = rng.randint(1, 360)
            placed = datetime.combine(today - timedelta(days=back), datetime.min.time(), UTC)
            placed += timedelta(hours=rng.uniform(7, 22))
            steps: list[tuple[str, timedelta, dict[str, Any]]] = [
                ("dispatch_email_sent", timedelta(hours=rng.uniform(2, 20)), {})
            ]
            if rng.random() < 0.7:
                for look in range(rng.choice((1, 1, 1, 2, 3))):
                    steps.append(("tracking_viewed", timedelta(days=1, hours=4 * look), {}))
                if rng.random() < (0.25 if bad_courier else 0.08):  # tracking stopped updating
                    steps.append((UNDOCUMENTED, timedelta(days=1, hours=14), {}))
            if rng.random() < 0.25:
                steps.append(("safe_place_set", timedelta(days=1, hours=20), {}))
            if rng.random() < 0.85:
                steps.append(("delivery_sms_sent", timedelta(days=2, hours=7), {}))
            late_chance = 0.35 if back <= DEGRADE_DAYS else (0.2 if bad_courier else 0.06)
            late = rng.randint(1, 3) if rng.random() < late_chance else 0
            delivered = timedelta(days=2 + late, hours=rng.uniform(9, 18))
            steps.append(("parcel_delivered", delivered, {"late_days": late}))
            if rng.random() < 0.08:
                steps += [
                    ("return_requested", delivered + timedelta(days=2), {}),
                    ("return_label_sent", delivered + timedelta(days=2, minutes=4), {}),
                ]
                if rng.random() < 0.9:
                    steps.append(("return_dropped_off", delivered + timedelta(days=4), {}))
                    steps.append(("refund_issued", delivered + timedelta(days=7), {}))
            for n, (activity, after, attributes) in enumerate(steps):
                at = placed + after
                if at.date() >= today:
                    break
                row: dict[str, Any] = {
                    "event_id": f"{person.external_id}-o{order}-{n}",
                    "customer_id": person.external_id,
                    "activity": activity,
                    "occurred_at": at.isoformat(),
                }
                if attributes:
                    row["attributes"] = attributes
                yield row


def _slug(name: str) -> str:
    return "-".join(name.lower().replace("-", " ").split())
