"""What one customer's activities add to the observed rollups (docs/observed.md). Pure: the
same events and mapping always give the same counters, so the incremental path (a customer's
counters after a batch minus before it) and a rebuild from every stored event agree."""

import hashlib
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol

from metrics.observed.mapping import Mapping

SEP = "\x1f"
MAX_PATH = 30  # touchpoints of a path (variant) kept; longer paths end in MORE
MORE = "…"
BINS_PER_DOUBLING = 8  # a time's bin is at most 9 % wide: medians and p90 within that


class AddFn(Protocol):
    def __call__(self, kind: str, *parts: str, millis: int = 0, count: int = 1) -> None: ...


@dataclass(frozen=True, order=True)
class Activity:
    """One stored event, as a trail needs it."""

    at_ms: int
    event_id: str
    activity: str


@dataclass(frozen=True)
class Step:
    at_ms: int
    touchpoint: str | None  # None: an activity no touchpoint of any journey lists
    activity: str


Key = tuple[str, date, str, str]  # journey, day, kind, label


@dataclass
class Counters:
    """Rollup counters by key: (count, milliseconds)."""

    values: dict[Key, list[int]] = field(default_factory=dict)

    def add(self, key: Key, count: int = 1, millis: int = 0) -> None:
        value = self.values.setdefault(key, [0, 0])
        value[0] += count
        value[1] += millis

    def merge(self, other: "Counters", sign: int = 1) -> None:
        for key, (count, millis) in other.values.items():
            self.add(key, sign * count, sign * millis)

    def nonzero(self) -> dict[Key, tuple[int, int]]:
        return {k: (c, m) for k, (c, m) in self.values.items() if c or m}


def label(*parts: str) -> str:
    return SEP.join(parts)


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

    def add(kind: str, *parts: str, millis: int = 0, count: int = 1) -> None:
        out.add((journey, day, kind, label(*parts)), count, millis)

    duration = visits[-1].at_ms - visits[0].at_ms
    add("cases", millis=duration)
    add("case_time", str(time_bin(duration)))
    reached = {str(s.touchpoint) for s in visits}
    for touchpoint in reached:
        add("reach", touchpoint)
    for stage in {mapping.touchpoints[t].stage_id for t in reached}:
        add("stage", stage)
    for before, after in itertools.pairwise(visits):
        between = after.at_ms - before.at_ms
        add("flow", str(before.touchpoint), str(after.touchpoint), millis=between)
        add("flow_time", str(before.touchpoint), str(after.touchpoint), str(time_bin(between)))
    path = [str(s.touchpoint) for s in visits]
    add("path", *([*path[:MAX_PATH], MORE] if len(path) > MAX_PATH else path))
    last_seen: dict[str, int] = {}
    repeats: dict[str, int] = {}
    for step in visits:
        touchpoint = str(step.touchpoint)
        if touchpoint in last_seen and step.at_ms - last_seen[touchpoint] <= loop_ms:
            repeats[touchpoint] = repeats.get(touchpoint, 0) + 1
        last_seen[touchpoint] = step.at_ms
    for touchpoint, times in repeats.items():
        add("loop", touchpoint)
        add("repeat", touchpoint, count=times)
    _unmapped(add, case)


def _unmapped(add: AddFn, case: list[Step]) -> None:
    """Each unmapped activity with the touchpoints just before and after it ('' at an end)."""
    seen: set[str] = set()
    for index, step in enumerate(case):
        if step.touchpoint is not None:
            continue
        before = next((s.touchpoint for s in reversed(case[:index]) if s.touchpoint), None)
        after = next((s.touchpoint for s in case[index + 1 :] if s.touchpoint), None)
        add("unmapped", step.activity, before or "", after or "")
        if step.activity not in seen:
            seen.add(step.activity)
            add("unmapped_case", step.activity)


def contributions(
    activities: Iterable[Activity], mapping: Mapping, *, gap_ms: int, loop_ms: int
) -> Counters:
    """The counters one customer's activities add, over every journey they touch."""
    ordered = sorted(activities)  # by time, then event id: arrival order never matters
    steps: dict[str, list[Step]] = {}
    unmapped: list[Step] = []
    for item in ordered:
        where = mapping.where(item.activity)
        if not where:
            unmapped.append(Step(item.at_ms, None, item.activity))
        for journey, touchpoint in where.items():
            steps.setdefault(journey, []).append(Step(item.at_ms, touchpoint, item.activity))
    out = Counters()
    for journey, visits in steps.items():
        merged = sorted(visits + unmapped, key=lambda s: (s.at_ms, s.touchpoint is None))
        for case in cases(merged, gap_ms):
            _case(out, journey, case, mapping, loop_ms)
    return out
