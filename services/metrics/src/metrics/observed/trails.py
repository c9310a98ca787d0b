"""What one customer's activities add to the observed rollups (docs/observed.md). Pure: the
same events and mapping always give the same counters, so the incremental path (a customer's
counters after a batch minus before it) and a rebuild from every stored event agree."""

import bisect
import hashlib
import itertools
import json
import math
import operator
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, NamedTuple, Protocol

from metrics.observed.mapping import Mapping

SEP = "\x1f"
MAX_PATH = 30  # touchpoints of a path (variant) kept; longer paths end in MORE
MORE = "…"
BINS_PER_DOUBLING = 8  # a time's bin is at most 9 % wide: medians and p90 within that


class KeyFn(Protocol):
    def __call__(self, kind: str, *parts: str) -> "Key": ...


class Activity(NamedTuple):
    """One stored event, as a trail needs it; tuples sort by time, then event id (unique, so
    the attributes are never compared). `attributes`: JSON text or a dict, read only when an
    indicator looks at attributes."""

    at_ms: int
    event_id: str
    activity: str
    attributes: str | dict[str, Any] | None = None


class Step(NamedTuple):
    at_ms: int
    touchpoint: str | None  # None: an activity no touchpoint of any journey lists
    activity: str


Key = tuple[str, date, str, str]  # journey, day, kind, label


@dataclass
class Counters:
    """Rollup counters by key: a count, and milliseconds for the keys that sum a time.
    `collections.Counter` adds and subtracts them in C, a customer's worth at a time."""

    counts: Counter[Key] = field(default_factory=Counter)
    millis: Counter[Key] = field(default_factory=Counter)

    def merge(self, other: "Counters", sign: int = 1) -> None:
        if sign > 0:
            self.counts.update(other.counts)
            self.millis.update(other.millis)
        else:
            self.counts.subtract(other.counts)
            self.millis.subtract(other.millis)

    def in_segment(self, segment: str) -> "Counters":
        """The same counters keyed for a segment: the journey part becomes journey SEP segment
        (docs/observed.md, "Segments")."""

        def moved(key: Key) -> Key:
            return (f"{key[0]}{SEP}{segment}", key[1], key[2], key[3])

        return Counters(
            Counter({moved(k): v for k, v in self.counts.items()}),
            Counter({moved(k): v for k, v in self.millis.items()}),
        )

    def nonzero(self) -> dict[Key, tuple[int, int]]:
        keys = {k for k, c in self.counts.items() if c} | {k for k, m in self.millis.items() if m}
        return {k: (self.counts[k], self.millis[k]) for k in keys}


def digest(kind: str, text: str) -> str:
    return hashlib.blake2b(f"{kind}{SEP}{text}".encode(), digest_size=16).hexdigest()


def time_bin(millis: int) -> int:
    return math.floor(BINS_PER_DOUBLING * math.log2(1 + max(millis, 0) / 1000))


def bin_seconds(number: int) -> float:
    """The middle of a time bin, in seconds."""
    return float(2 ** ((number + 0.5) / BINS_PER_DOUBLING) - 1)


def ms_of(moment: datetime) -> int:
    return round(moment.astimezone(UTC).timestamp() * 1000)


def _day(at_ms: int) -> date:
    return datetime.fromtimestamp(at_ms / 1000, UTC).date()


def cases(steps: list[Step], gap_ms: int) -> list[list[Step]]:
    """A journey's steps split where the customer was away longer than the gap; a case with no
    touchpoint (unmapped activities only) is no case of the journey."""
    found: list[list[Step]] = []
    for step in steps:
        if found and step.at_ms - found[-1][-1].at_ms <= gap_ms:
            found[-1].append(step)
        else:
            found.append([step])
    return [case for case in found if any(s.touchpoint for s in case)]


def _case(out: Counters, journey: str, case: list[Step], mapping: Mapping, loop_ms: int) -> None:
    visits = [s for s in case if s.touchpoint is not None]
    day = _day(visits[0].at_ms)
    keys: list[Key] = []

    def key(kind: str, *parts: str) -> Key:
        return (journey, day, kind, SEP.join(parts))

    duration = visits[-1].at_ms - visits[0].at_ms
    keys.append(key("cases"))
    out.millis[key("cases")] += duration
    keys.append(key("case_time", str(time_bin(duration))))
    path = [str(s.touchpoint) for s in visits]
    reached = set(path)
    keys += (key("reach", touchpoint) for touchpoint in reached)
    keys += (key("stage", stage) for stage in {mapping.touchpoints[t].stage_id for t in reached})
    for before, after in itertools.pairwise(visits):
        between = after.at_ms - before.at_ms
        pair = (str(before.touchpoint), str(after.touchpoint))
        keys.append(key("flow", *pair))
        out.millis[key("flow", *pair)] += between
        keys.append(key("flow_time", *pair, str(time_bin(between))))
    keys.append(key("path", *([*path[:MAX_PATH], MORE] if len(path) > MAX_PATH else path)))
    last_seen: dict[str, int] = {}
    looped: set[str] = set()
    for step in visits:
        touchpoint = str(step.touchpoint)
        if touchpoint in last_seen and step.at_ms - last_seen[touchpoint] <= loop_ms:
            keys.append(key("repeat", touchpoint))
            looped.add(touchpoint)
        last_seen[touchpoint] = step.at_ms
    keys += (key("loop", touchpoint) for touchpoint in looped)
    if len(visits) < len(case):
        keys += _unmapped(key, case)
    out.counts.update(keys)


def _unmapped(key: KeyFn, case: list[Step]) -> list[Key]:
    """Each unmapped activity with the touchpoints just before and after it ('' at an end),
    and once per case the activity itself."""
    keys = []
    seen: set[str] = set()
    for index, step in enumerate(case):
        if step.touchpoint is not None:
            continue
        before = next((s.touchpoint for s in reversed(case[:index]) if s.touchpoint), None)
        after = next((s.touchpoint for s in case[index + 1 :] if s.touchpoint), None)
        keys.append(key("unmapped", step.activity, before or "", after or ""))
        if step.activity not in seen:
            seen.add(step.activity)
            keys.append(key("unmapped_case", step.activity))
    return keys


def contributions(
    activities: Iterable[Activity],
    mapping: Mapping,
    *,
    gap_ms: int,
    loop_ms: int,
    out: Counters | None = None,
) -> Counters:
    """The counters one customer's activities add, over every journey they touch (added to
    `out` when given)."""
    ordered = sorted(activities)  # by time, then event id: arrival order never matters
    steps: dict[str, list[Step]] = {}
    unmapped: list[Step] = []
    for item in ordered:
        where = mapping.where(item.activity)
        if not where:
            unmapped.append(Step(item.at_ms, None, item.activity))
        for journey, touchpoint in where.items():
            steps.setdefault(journey, []).append(Step(item.at_ms, touchpoint, item.activity))
    out = Counters() if out is None else out
    if mapping.indicators:
        _standards(out, ordered, mapping)
    for journey, visits in steps.items():
        merged = (
            sorted(visits + unmapped, key=lambda s: (s.at_ms, s.touchpoint is None))
            if unmapped
            else visits
        )
        for case in cases(merged, gap_ms):
            _case(out, journey, case, mapping, loop_ms)
    return out


# What an attribute condition's operator does; lt, le, gt and ge compare numbers only.
COMPARE = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
MET, MISSED = "met", "missed"


def _attribute(item: Activity, name: str) -> Any:
    found = item.attributes
    if isinstance(found, str):
        found = json.loads(found) if found else {}
    return (found or {}).get(name, _ABSENT)


_ABSENT = object()


def meets(indicator: dict[str, Any], value: Any) -> bool:
    """Whether an attribute's value meets the condition (a missing one does not)."""
    wanted, op = indicator["value"], indicator.get("operator", "eq")
    if value is _ABSENT:
        return False
    if op in ("eq", "ne"):
        numeric = all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in (value, wanted)
        )
        same = float(value) == float(wanted) if numeric else value == wanted
        return same if op == "eq" else not same
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return bool(COMPARE[op](float(value), float(wanted)))


def occasions(indicator: dict[str, Any], ordered: list[Activity]) -> list[tuple[int, bool]]:
    """Each occasion the indicator judges in one customer's time-ordered activities: (when, met).
    The occasion is the first activity's time (`from_activity`, `activity`, `after_activity`)."""
    kind = indicator["kind"]
    if kind == "attribute":
        name, attribute = indicator["activity"], indicator["attribute"]
        return [
            (a.at_ms, meets(indicator, _attribute(a, attribute)))
            for a in ordered
            if a.activity == name
        ]
    within = int(indicator["within_seconds"]) * 1000
    if kind == "time_between":
        start, end = indicator["from_activity"], indicator["to_activity"]
    else:
        start, end = indicator["after_activity"], indicator["activity"]
    ends = [a.at_ms for a in ordered if a.activity == end]
    found = []
    for item in ordered:
        if item.activity != start:
            continue
        # The first `end` at or after the start (for not_needed: strictly after it).
        at = bisect.bisect_left(ends, item.at_ms + (kind == "not_needed"))
        followed = at < len(ends) and ends[at] - item.at_ms <= within
        found.append((item.at_ms, followed if kind == "time_between" else not followed))
    return found


def _standards(out: Counters, ordered: list[Activity], mapping: Mapping) -> None:
    """Met and missed occasions of each touchpoint's indicator, by the occasion's day."""
    keys: list[Key] = []
    for journey, touchpoint, indicator in mapping.indicators:
        for at_ms, met in occasions(indicator, ordered):
            keys.append((journey, _day(at_ms), "std", f"{touchpoint}{SEP}{MET if met else MISSED}"))
    out.counts.update(keys)
