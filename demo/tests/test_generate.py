"""The demo's data: the same seed gives the same business, and the story it tells is true."""

import hashlib
import json
import random
from datetime import date, timedelta

from cxdemo import generate
from cxdemo.business import ACTIONS, DEGRADING, JOURNEYS
from cxdemo.seed import touchpoint_survey

TODAY = date(2026, 11, 25)
IDS = {p.name: f"tp-{i}" for i, p in enumerate(generate.points())}


def _digest(seed: int) -> tuple[str, list[dict]]:
    rng = random.Random(seed)
    people = generate.customers(rng, 500, TODAY)
    rows = list(
        generate.responses(rng, people, touchpoint_ids=IDS, survey_ids={}, today=TODAY, per_day=30)
    )
    rows += list(generate.relationship(rng, people, survey_id="rel", today=TODAY))
    generate.decide_churn(rng, people, TODAY)
    blob = json.dumps([rows, [p.record() for p in people]], sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest(), rows


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    first, rows = _digest(7)
    again, _ = _digest(7)
    other, _ = _digest(8)
    assert first == again
    assert first != other
    assert len({r["response_id"] for r in rows}) == len(rows)


def test_a_year_at_full_size_is_over_100_000_responses():
    rng = random.Random(7)
    people = generate.customers(rng, 5000, TODAY)
    touchpoint_rows = sum(
        1 for _ in generate.responses(rng, people, touchpoint_ids=IDS, survey_ids={}, today=TODAY)
    )
    relationship_rows = sum(
        1 for _ in generate.relationship(rng, people, survey_id="r", today=TODAY)
    )
    assert touchpoint_rows + relationship_rows >= 100_000


def test_the_degrading_touchpoint_falls_in_the_last_month_only():
    _, rows = _digest(7)
    courier = IDS[DEGRADING]

    def mean_nps(since: str, until: str) -> float:
        picked = (
            [
                r["nps"]
                for r in rows
                if r.get("touchpoint_id") == courier and since <= r["submitted_at"] < until
            ]
            if rows
            else []
        )
        return sum(picked) / len(picked)

    assert mean_nps("2026-10-27", "2026-11-25") < mean_nps("2026-06-01", "2026-10-20") - 1.5


def test_shipped_actions_change_only_their_touchpoints_ces_from_the_ship_day():
    """The planted effects (business.ACTIONS) against the same answers without them: the
    checkout redesign raises checkout's CES answers by 0.6 on average from its ship day, and
    nothing else differs: not checkout's answers before it, not its NPS, not any other
    touchpoint's answers, nothing at unboxing where the packaging change shipped."""

    def answers(actions: tuple) -> list[dict]:
        rng = random.Random(7)
        people = generate.customers(rng, 5000, TODAY)
        return list(
            generate.responses(
                rng, people, touchpoint_ids=IDS, survey_ids={}, today=TODAY, days=100,
                actions=actions,
            )
        )  # fmt: skip

    planted, without = answers(ACTIONS), answers(())
    redesign = next(a for a in ACTIONS if a.ces_rise)
    assert redesign.touchpoints == ("Checkout",) and redesign.state == "shipped"
    shipped_on = (TODAY - timedelta(days=redesign.shipped_days_ago)).isoformat()
    changed = [(a, b) for a, b in zip(planted, without, strict=True) if a != b]
    for a, b in changed:
        assert {key for key in a | b if a.get(key) != b.get(key)} == {"ces"}
        assert a["touchpoint_id"] == IDS["Checkout"] and a["submitted_at"] >= shipped_on
    after = [
        a["ces"] - b["ces"]
        for a, b in zip(planted, without, strict=True)
        if a["touchpoint_id"] == IDS["Checkout"] and a["submitted_at"] >= shipped_on
    ]
    assert len(after) > 800 and len(changed) > len(after) / 2
    assert abs(sum(after) / len(after) - redesign.ces_rise) < 0.05


def test_weekends_are_quieter_and_comments_match_their_score():
    _, rows = _digest(7)
    by_weekday = [0] * 7
    for r in rows:
        if r["survey_id"] != "rel":
            by_weekday[date.fromisoformat(r["submitted_at"][:10]).weekday()] += 1
    assert max(by_weekday[5:]) < min(by_weekday[:5])
    happy = [r["comment"].lower() for r in rows if r.get("comment") and r["nps"] >= 9]
    unhappy = [r["comment"].lower() for r in rows if r.get("comment") and r["nps"] <= 6]
    praise = {p.lower() for point in generate.points() for p in point.praise}
    assert all(any(p in c for p in praise) for c in happy[:200])
    assert not any(any(p in c for p in praise) for c in unhappy[:200])


def test_each_touchpoint_survey_counts_its_questions_in_its_intro():
    words = {"One": 1, "Two": 2, "Three": 3}
    for point in generate.points():
        if point.moment_of_truth:
            survey = touchpoint_survey(point, IDS[point.name])
            said = words[survey["intro"].split()[0]]
            assert said == len(survey["questions"]), (point.name, survey["intro"])


def test_the_chatbot_is_digital_and_people_on_the_phone_are_human():
    points = {p.name: p for j in JOURNEYS for s in j.stages for p in s.points}
    assert points["Chatbot"].kind == "digital"
    assert (points["Live chat"].kind, points["Phone support"].kind) == ("human", "human")
    assert points["Help centre"].kind == "digital"


def test_activity_trails_tell_the_observed_story():
    """Orders and deliveries as the systems log them: calls to support only after the
    tracking page, none on the map; no exchange ever booked; deliveries late far more often
    in the courier's bad last month; the same seed, the same trails."""
    from cxdemo.business import OBSERVED, UNDOCUMENTED

    rng = random.Random(7)
    people = generate.customers(rng, 800, TODAY)
    list(
        generate.responses(rng, people, touchpoint_ids=IDS, survey_ids={}, today=TODAY, per_day=60)
    )
    rows = list(generate.trails(random.Random(8), people, TODAY))
    assert rows == list(generate.trails(random.Random(8), people, TODAY))
    assert len({r["event_id"] for r in rows}) == len(rows)
    mapped = {
        a for j in JOURNEYS if j.name == OBSERVED for s in j.stages for p in s.points
        for a in p.activities
    }  # fmt: skip
    seen = {r["activity"] for r in rows}
    assert UNDOCUMENTED in seen and UNDOCUMENTED not in mapped
    assert "exchange_booked" in mapped and "exchange_booked" not in seen
    assert seen - {UNDOCUMENTED} <= mapped
    by_case: dict[str, list[str]] = {}
    for r in rows:
        by_case.setdefault(r["event_id"].rsplit("-", 1)[0], []).append(r["activity"])
    for steps in by_case.values():
        if UNDOCUMENTED in steps:
            assert "tracking_viewed" in steps[: steps.index(UNDOCUMENTED)]
    delivered = [r for r in rows if r["activity"] == "parcel_delivered"]
    recent = [r for r in delivered if r["occurred_at"] >= f"{TODAY.replace(day=1)}"]
    late = lambda group: sum(r["attributes"]["late_days"] > 0 for r in group) / len(group)  # noqa: E731
    assert late(recent) > 2 * late(delivered)
