"""The observed journey's figures, read from the daily rollups of the cases that started in the
period (docs/observed.md): never from the raw events."""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, union_all
from sqlmodel import Session, col

from metrics.cases.service import share
from metrics.dimension.models import StageDim
from metrics.observed.mapping import Mapping
from metrics.observed.models import DAY, MONTH, ObservedRollup
from metrics.observed.trails import MET, MISSED, MORE, SEP, bin_seconds

Sums = dict[str, dict[tuple[str, ...], tuple[int, int]]]


@dataclass(frozen=True)
class Scope:
    journey_id: str
    start: date
    end: date
    segment: str = ""  # '': every customer


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _pieces(start: date, end: date) -> tuple[list[date], list[tuple[date, date]]]:
    """The period as whole months (their first days) and the day ranges left at either end."""
    first = start if start.day == 1 else _next_month(start)
    months = []
    month = first
    while _next_month(month) - timedelta(days=1) <= end:
        months.append(month)
        month = _next_month(month)
    if not months:
        return [], [(start, end)]
    days = [(start, months[0] - timedelta(days=1)), (_next_month(months[-1]), end)]
    return months, [(a, b) for a, b in days if a <= b]


def sums(session: Session, scope: Scope, *kinds: str) -> Sums:
    """kind -> parts -> (count, milliseconds), summed over the period from whole months'
    rollups and the days at either end. One branch per kind and piece, each a range of the
    key's prefix (journey, kind, grain, day): with the pieces OR-ed in one condition, SQLite
    read every day row of the kind and filtered them, which for a year of time bins was most
    of the query's time (docs/benchmarks.md, "Observed journeys")."""
    table = ObservedRollup
    months, days = _pieces(scope.start, scope.end)
    columns = (col(table.kind), col(table.label), col(table.count), col(table.millis))
    branches = []
    for kind in kinds:
        mine = (
            col(table.journey_id) == scope.journey_id,
            col(table.segment) == scope.segment,
            col(table.kind) == kind,
        )
        if months:
            branches.append(
                select(*columns).where(*mine, col(table.grain) == MONTH, col(table.day).in_(months))
            )
        branches += [
            select(*columns).where(
                *mine, col(table.grain) == DAY, col(table.day) >= a, col(table.day) <= b
            )
            for a, b in days
        ]
    found: Sums = {kind: {} for kind in kinds}
    if not branches:
        return found
    rows = union_all(*branches).subquery()
    for kind, text, count, millis in session.execute(
        select(rows.c.kind, rows.c.label, func.sum(rows.c.count), func.sum(rows.c.millis)).group_by(
            rows.c.kind, rows.c.label
        )
    ):
        if count:
            found[kind][tuple(text.split(SEP))] = (int(count), int(millis))
    return found


def quantile(bins: dict[int, int], q: float) -> float | None:
    """The nearest-rank quantile of binned times: the middle of the bin holding the
    ceil(q·n)-th smallest time, in seconds."""
    n = sum(bins.values())
    if n == 0:
        return None
    rank = max(1, math.ceil(q * n))
    seen = 0
    for number in sorted(bins):
        seen += bins[number]
        if seen >= rank:
            return round(bin_seconds(number), 1)
    return None  # unreachable: the ranks add up to n


def durations(bins: dict[int, int], total_millis: int, n: int) -> dict[str, Any]:
    return {
        "n": n,
        "mean_seconds": round(total_millis / n / 1000, 1) if n else None,
        "median_seconds": quantile(bins, 0.5),
        "p90_seconds": quantile(bins, 0.9),
    }


def _cases(found: Sums) -> tuple[int, int]:
    return found["cases"].get(("",), (0, 0))


def _name(mapping: Mapping, touchpoint_id: str) -> str:
    known = mapping.touchpoints.get(touchpoint_id)
    return known.name if known else ""


def reach(session: Session, scope: Scope, mapping: Mapping) -> dict[str, Any]:
    found = sums(session, scope, "cases", "case_time", "reach")
    n, millis = _cases(found)
    case_bins = {int(b[0]): c for b, (c, _) in found["case_time"].items()}
    touchpoints = []
    for touchpoint in mapping.in_order(scope.journey_id):
        reached = found["reach"].get((touchpoint.id,), (0, 0))[0]
        touchpoints.append(
            {
                "touchpoint_id": touchpoint.id,
                "name": touchpoint.name,
                "stage_id": touchpoint.stage_id,
                "reach": share(reached, n),
            }
        )
    return {
        "cases": n,
        "touchpoints": touchpoints,
        "first_to_last": durations(case_bins, millis, n),
    }


def funnel(session: Session, scope: Scope) -> dict[str, Any]:
    found = sums(session, scope, "cases", "stage")
    n, _ = _cases(found)
    stages = session.execute(
        select(StageDim)
        .where(col(StageDim.journey_id) == scope.journey_id, col(StageDim.deleted).is_(False))
        .order_by(col(StageDim.position), col(StageDim.id))
    ).scalars()
    rows: list[dict[str, Any]] = []
    for stage in stages:
        reached = share(found["stage"].get((stage.id,), (0, 0))[0], n)
        previous = rows[-1]["reached"]["value"] if rows else None
        value = reached["value"]
        rows.append(
            {
                "stage_id": stage.id,
                "name": stage.name,
                "reached": reached,
                "drop_off": None
                if previous is None or value is None
                else round(previous - value, 4),
            }
        )
    return {"cases": n, "stages": rows}


def _flow_bins(found: Sums) -> dict[tuple[str, str], dict[int, int]]:
    bins: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    for (before, after, number), (count, _) in found["flow_time"].items():
        bins[(before, after)][int(number)] = count
    return bins


def _leaving(found: Sums) -> dict[str, int]:
    """Transitions out of each touchpoint: what a flow's share is of."""
    leaving: dict[str, int] = defaultdict(int)
    for (before, _), (count, _) in found["flow"].items():
        leaving[before] += count
    return leaving


def flows(session: Session, scope: Scope, mapping: Mapping) -> dict[str, Any]:
    found = sums(session, scope, "cases", "flow", "flow_time")
    leaving = _leaving(found)
    bins = _flow_bins(found)
    items: list[dict[str, Any]] = [
        {
            "from_touchpoint_id": before,
            "from_name": _name(mapping, before),
            "to_touchpoint_id": after,
            "to_name": _name(mapping, after),
            "count": count,
            "share": share(count, leaving[before]),
            "time": durations(bins[(before, after)], millis, count),
        }
        for (before, after), (count, millis) in found["flow"].items()
    ]
    items.sort(key=lambda f: (-f["count"], f["from_touchpoint_id"], f["to_touchpoint_id"]))
    return {"cases": _cases(found)[0], "flows": items}


def paths(session: Session, scope: Scope, mapping: Mapping, *, limit: int) -> dict[str, Any]:
    found = sums(session, scope, "cases", "path")
    n, _ = _cases(found)
    ranked = sorted(found["path"].items(), key=lambda p: (-p[1][0], p[0]))
    return {
        "cases": n,
        "variants": len(ranked),
        "paths": [
            {
                "touchpoint_ids": [t for t in parts if t != MORE],
                "names": [_name(mapping, t) for t in parts if t != MORE],
                "truncated": parts[-1] == MORE,
                "share": share(count, n),
            }
            for parts, (count, _) in ranked[:limit]
        ],
    }


def loops(session: Session, scope: Scope, mapping: Mapping) -> dict[str, Any]:
    found = sums(session, scope, "cases", "reach", "loop", "repeat")
    items: list[dict[str, Any]] = []
    for (touchpoint,), (count, _) in found["loop"].items():
        reached = found["reach"].get((touchpoint,), (0, 0))[0]
        items.append(
            {
                "touchpoint_id": touchpoint,
                "name": _name(mapping, touchpoint),
                "cases": share(count, reached),
                "repeats": found["repeat"].get((touchpoint,), (0, 0))[0],
            }
        )
    items.sort(key=lambda i: (-i["cases"]["count"], i["touchpoint_id"]))
    return {"cases": _cases(found)[0], "loops": items}


def _unmapped(found: Sums, mapping: Mapping, n: int, *, min_cases: int) -> list[dict[str, Any]]:
    places: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for (activity, before, after), (count, _) in found["unmapped"].items():
        places[activity].append((count, before, after))
    items: list[dict[str, Any]] = []
    for (activity,), (cases, _) in found["unmapped_case"].items():
        if cases < min_cases:
            continue
        where = sorted(places[activity], key=lambda p: (-p[0], p[1], p[2]))
        items.append(
            {
                "activity": activity,
                "occurrences": sum(p[0] for p in where),
                "cases": share(cases, n),
                "where": [
                    {
                        "after_touchpoint_id": before or None,
                        "after_name": _name(mapping, before) if before else None,
                        "before_touchpoint_id": after or None,
                        "before_name": _name(mapping, after) if after else None,
                        "occurrences": count,
                    }
                    for count, before, after in where[:5]
                ],
            }
        )
    items.sort(key=lambda i: (-i["cases"]["count"], i["activity"]))
    return items


# A touchpoint that fewer than this share of cases pass through (against the touchpoint before
# the move) is optional: a move past it is still along the map (docs/observed.md).
OPTIONAL_REACH = 0.5


def differences(
    session: Session,
    scope: Scope,
    mapping: Mapping,
    *,
    min_cases: int,
    min_share: float,
) -> dict[str, Any]:
    found = sums(session, scope, "cases", "reach", "flow", "unmapped", "unmapped_case")
    n, _ = _cases(found)
    designed = mapping.in_order(scope.journey_id)
    unreached = [
        {
            "touchpoint_id": t.id,
            "name": t.name,
            "stage_id": t.stage_id,
            "mapped": t.id in mapping.mapped,
        }
        for t in designed
        if (t.id,) not in found["reach"]
    ]
    position = {t.id: i for i, t in enumerate(designed)}
    reached = {key[0]: count for key, (count, _) in found["reach"].items()}

    def along_the_map(before: str, after: str) -> bool:
        """Forward on the map, past only optional touchpoints: each reached by fewer than
        OPTIONAL_REACH of as many cases as reached `before`."""
        i, j = position.get(before), position.get(after)
        if i is None or j is None or j <= i:
            return False
        enough = OPTIONAL_REACH * reached.get(before, 0)
        return all(reached.get(t.id, 0) < enough for t in designed[i + 1 : j])

    leaving = _leaving(found)
    unexpected: list[dict[str, Any]] = [
        {
            "from_touchpoint_id": before,
            "from_name": _name(mapping, before),
            "to_touchpoint_id": after,
            "to_name": _name(mapping, after),
            "count": count,
            "share": share(count, leaving[before]),
        }
        for (before, after), (count, _) in found["flow"].items()
        if before != after
        and not along_the_map(before, after)
        and count >= min_cases
        and count >= min_share * leaving[before]
    ]
    unexpected.sort(key=lambda f: (-f["count"], f["from_touchpoint_id"], f["to_touchpoint_id"]))
    return {
        "cases": n,
        "unreached_touchpoints": unreached,
        "unmapped_activities": _unmapped(found, mapping, n, min_cases=min_cases),
        "unexpected_transitions": unexpected,
    }


def standards(session: Session, scope: Scope, mapping: Mapping) -> list[dict[str, Any]]:
    """Each indicator's compliance over the period: occasions (docs/observed.md, "Experience
    standards") by the day they happened, met or missed."""
    table = ObservedRollup
    daily: dict[str, dict[date, list[int]]] = defaultdict(dict)
    for day, text, count in session.execute(
        select(col(table.day), col(table.label), col(table.count)).where(
            col(table.journey_id) == scope.journey_id,
            col(table.segment) == scope.segment,
            col(table.kind) == "std",
            col(table.grain) == DAY,
            col(table.day) >= scope.start,
            col(table.day) <= scope.end,
        )
    ):
        touchpoint, outcome = text.split(SEP)
        counts = daily[touchpoint].setdefault(day, [0, 0])
        counts[0 if outcome == MET else 1] += int(count)
    found = []
    for journey_id, touchpoint_id, indicator in mapping.indicators:
        if journey_id != scope.journey_id:
            continue
        days = daily.get(touchpoint_id, {})
        met = sum(c[0] for c in days.values())
        missed = sum(c[1] for c in days.values())
        found.append(
            {
                "touchpoint_id": touchpoint_id,
                "name": _name(mapping, touchpoint_id),
                "indicator": indicator,
                **judged(met, missed, float(indicator["objective"])),
                "days": [
                    {"day": day, "met": c[0], "missed": c[1]} for day, c in sorted(days.items())
                ],
            }
        )
    return found


def judged(met: int, missed: int, objective: float) -> dict[str, Any]:
    """Compliance against the objective (a share: 0.95), its status and the error budget."""
    n = met + missed
    compliance = share(met, n)
    value, low, high = compliance["value"], compliance["low"], compliance["high"]
    if value is None:
        status, certain = "no_data", False
    elif value >= objective * 100:
        status, certain = "met", low is not None and low >= objective * 100
    else:
        status, certain = "breached", high is not None and high < objective * 100
    allowed = round((1 - objective) * n, 2)
    return {
        "objective": round(objective * 100, 2),
        "compliance": compliance,
        "status": status,
        "certain": certain,
        "error_budget": {"allowed": allowed, "used": missed, "left": round(allowed - missed, 2)},
    }


def occasions_by_touchpoint(
    session: Session,
    journey_id: str,
    start: date,
    end: date,
    touchpoint_ids: list[str] | None = None,
) -> dict[str, tuple[int, int]]:
    """Touchpoint -> (met, missed) occasions of its indicator on the days start to end: of the
    given touchpoints, or of every touchpoint of the journey with occasions."""
    table = ObservedRollup
    query = select(col(table.label), func.sum(table.count)).where(
        col(table.journey_id) == journey_id,
        col(table.segment) == "",
        col(table.kind) == "std",
        col(table.grain) == DAY,
        col(table.day) >= start,
        col(table.day) <= end,
    )
    if touchpoint_ids is not None:
        labels = [f"{t}{SEP}{outcome}" for t in touchpoint_ids for outcome in (MET, MISSED)]
        query = query.where(col(table.label).in_(labels))
    found: dict[str, tuple[int, int]] = {}
    for text, count in session.execute(query.group_by(col(table.label))):
        touchpoint, outcome = text.split(SEP)
        met, missed = found.get(touchpoint, (0, 0))
        if outcome == MET:
            found[touchpoint] = (met + int(count), missed)
        else:
            found[touchpoint] = (met, missed + int(count))
    return found


def occasions(
    session: Session, journey_id: str, touchpoint_id: str, start: date, end: date
) -> tuple[int, int]:
    """(met, missed) occasions of the touchpoint's indicator on the days start to end."""
    found = occasions_by_touchpoint(session, journey_id, start, end, [touchpoint_id])
    return found.get(touchpoint_id, (0, 0))
