"""Case figures (docs/metrics.md, "Cases and recovery"): kept from feedback's case events,
one fact per case, as its latest event describes it."""

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, delete, or_, select

from cxshared.timeutil import as_utc
from metrics.cases.models import CaseFact
from metrics.cases.schemas import CaseData
from metrics.customers.outcomes import churned_within_year, scored_customers
from metrics.stats import estimates

FIRST_CONTACT, RESOLUTION = "first_contact", "resolution"
GROUPS = {"journey": "journey", "touchpoint": "touchpoint", "team": "team"}
ASSOCIATION = (
    "An association, not proof: customers whose case was recovered may differ in other ways "
    "from those whose case was not, and from those without a case."
)
CHURN_RULE = (
    "Customers whose latest NPS answer is 0-6 (detractors), by their cases: recovered (a case's "
    "follow-up says recovered), not recovered (follow-ups answered, none recovered), no case. "
    "Churn: churned within 365 days of that answer."
)
LABELS = {
    "recovered": "Detractors whose case was recovered",
    "not_recovered": "Detractors whose case was not recovered",
    "no_case": "Detractors with no case",
}


def _met(clock: Any) -> bool | None:
    """Met, missed, or not decided yet (running within its target)."""
    if clock is None:
        return None
    if clock.breached:
        return False
    return True if clock.stopped else None


def apply(session: Session, data: CaseData, occurred_at: datetime) -> None:
    """Keeps the case as this event describes it, unless a later one was kept already."""
    fact = session.get(CaseFact, data.case_id)
    if fact is not None and (fact.version, as_utc(fact.source_at)) > (data.version, occurred_at):
        return
    first = data.sla.get(FIRST_CONTACT)
    resolution = data.sla.get(RESOLUTION)
    values: dict[str, Any] = {
        "version": data.version,
        "source_at": occurred_at,
        "respondent_id": data.respondent_external_id,
        "journey_id": data.journey_id or "",
        "journey_name": data.journey_name or "",
        "touchpoint_id": data.touchpoint_id or "",
        "touchpoint_name": data.touchpoint_name or "",
        "team_id": data.assignee.team_id or "",
        "team_name": data.assignee.team_name or "",
        "priority": data.priority,
        "state": data.state,
        "opened_at": as_utc(datetime.fromisoformat(data.opened_at)),
        "first_contact_seconds": first.used_seconds if first and first.stopped else None,
        "resolution_seconds": (
            resolution.used_seconds if resolution and resolution.stopped else None
        ),
        "first_contact_met": _met(first),
        "resolution_met": _met(resolution),
        "follow_up_sent": data.follow_up.sent_at is not None,
        "recovered": data.recovered,
    }
    if fact is None:
        session.add(CaseFact(case_id=data.case_id, **values))
    else:
        for name, value in values.items():
            setattr(fact, name, value)
        session.add(fact)
    session.flush()


def erase(session: Session, *, respondent_id: str, case_ids: Iterable[str]) -> None:
    session.exec(
        delete(CaseFact).where(
            or_(
                col(CaseFact.respondent_id) == respondent_id,
                col(CaseFact.case_id).in_(list(case_ids)),
            )
        )
    )


def percentile(values: list[float], q: float) -> float | None:
    """The q-th quantile with linear interpolation between the closest ranks (numpy's default,
    Hyndman and Fan's type 7)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _durations(seconds: list[float]) -> dict[str, Any]:
    def hours(value: float | None) -> float | None:
        return None if value is None else round(value / 3600, 2)

    return {
        "median_hours": hours(percentile(seconds, 0.5)),
        "p90_hours": hours(percentile(seconds, 0.9)),
        "n": len(seconds),
    }


def share(count: int, n: int) -> dict[str, Any]:
    estimate = estimates.wilson(count, n)
    return {
        "value": estimate.value,
        "low": estimate.low,
        "high": estimate.high,
        "n": n,
        "count": count,
    }


def _decided(facts: list[CaseFact], met: Callable[[CaseFact], bool | None]) -> dict[str, Any]:
    decided = [m for m in map(met, facts) if m is not None]
    return share(sum(decided), len(decided))


def figures(facts: list[CaseFact], key: str | None = None, name: str = "") -> dict[str, Any]:
    answered = [f.recovered for f in facts if f.recovered is not None]
    return {
        "key": key,
        "name": name,
        "opened": len(facts),
        "time_to_first_contact": _durations(
            [f.first_contact_seconds for f in facts if f.first_contact_seconds is not None]
        ),
        "time_to_resolution": _durations(
            [f.resolution_seconds for f in facts if f.resolution_seconds is not None]
        ),
        "first_contact_sla": _decided(facts, lambda f: f.first_contact_met),
        "resolution_sla": _decided(facts, lambda f: f.resolution_met),
        "follow_ups_sent": sum(f.follow_up_sent for f in facts),
        "recovery": share(sum(answered), len(answered)),
    }


def select_facts(session: Session, filters: dict[str, Any]) -> list[CaseFact]:
    query = select(CaseFact)
    for name in ("journey_id", "touchpoint_id", "team_id", "priority"):
        if filters.get(name):
            query = query.where(getattr(CaseFact, name) == filters[name])
    if filters.get("start") is not None:
        query = query.where(CaseFact.opened_at >= filters["start"])
    if filters.get("end") is not None:
        query = query.where(CaseFact.opened_at < filters["end"])
    return list(session.exec(query).all())


def grouped(facts: list[CaseFact], by: str) -> list[dict[str, Any]]:
    groups: dict[str, list[CaseFact]] = defaultdict(list)
    names: dict[str, str] = {}
    for fact in facts:
        key = getattr(fact, f"{by}_id")
        groups[key].append(fact)
        names[key] = getattr(fact, f"{by}_name") or names.get(key, "")
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return [figures(rows, key, names[key]) for key, rows in ordered]


def churn_association(session: Session) -> dict[str, Any]:
    """Churn of detractors by what became of their cases (docs/metrics.md)."""
    by_respondent: dict[str, list[bool | None]] = defaultdict(list)
    for respondent, recovered in session.exec(
        select(CaseFact.respondent_id, CaseFact.recovered).where(
            col(CaseFact.respondent_id).is_not(None)
        )
    ).all():
        by_respondent[str(respondent)].append(recovered)
    counts = {group: [0, 0] for group in LABELS}
    for scored in scored_customers(session):
        if scored.category != "detractor":
            continue
        outcomes = by_respondent.get(scored.customer.external_id)
        if outcomes is None:
            group = "no_case"
        elif True in outcomes:
            group = "recovered"
        elif False in outcomes:
            group = "not_recovered"
        else:
            continue  # a case whose follow-up has not been answered: not known yet
        counts[group][0] += churned_within_year(scored)
        counts[group][1] += 1
    return {
        "note": ASSOCIATION,
        "rule": CHURN_RULE,
        "lines": [
            {"group": group, "label": LABELS[group], "churn": share(churned, n)}
            for group, (churned, n) in counts.items()
        ],
    }
