"""Which touchpoint an activity means, per journey, from the `activities` each touchpoint lists
in the touchpoint dimension (docs/observed.md): the exact name first, else the longest prefix."""

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from metrics.dimension.models import JourneyDim, StageDim, TouchpointDim


@dataclass(frozen=True)
class MappedTouchpoint:
    id: str
    journey_id: str
    stage_id: str
    name: str
    order: tuple[int, int, str]  # (stage position, position, id): the map's order


@dataclass
class Mapping:
    touchpoints: dict[str, MappedTouchpoint]
    exact: dict[str, dict[str, str]]  # activity -> journey -> touchpoint
    prefixes: list[tuple[str, str, str]]  # (prefix, journey, touchpoint), longest first
    mapped: set[str] = field(default_factory=set)  # touchpoints that list any activity
    # (journey, touchpoint, indicator) of each touchpoint whose standard has an indicator
    indicators: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    _resolved: dict[str, dict[str, str]] = field(default_factory=dict)

    def where(self, activity: str) -> dict[str, str]:
        """journey id -> the touchpoint of that journey the activity means; empty: unmapped."""
        found = self._resolved.get(activity)
        if found is None:
            found = {}
            for prefix, journey_id, touchpoint_id in self.prefixes:
                if journey_id not in found and activity.startswith(prefix):
                    found[journey_id] = touchpoint_id
            found.update(self.exact.get(activity, {}))
            self._resolved[activity] = found
        return found

    @property
    def reads_attributes(self) -> bool:
        """Whether an indicator looks at attributes (the trails need them then)."""
        return any(i["kind"] == "attribute" for _, _, i in self.indicators)

    def in_order(self, journey_id: str) -> list[MappedTouchpoint]:
        return sorted(
            (t for t in self.touchpoints.values() if t.journey_id == journey_id),
            key=lambda t: t.order,
        )


def load_mapping(session: Session) -> Mapping:
    deleted_journeys = set(
        session.exec(select(JourneyDim.id).where(col(JourneyDim.deleted).is_(True))).all()
    )
    stages = {s.id: s for s in session.exec(select(StageDim)).all()}
    touchpoints: dict[str, MappedTouchpoint] = {}
    exact: dict[str, dict[str, str]] = {}
    prefixes: list[tuple[str, str, str]] = []
    indicators: list[tuple[str, str, dict[str, Any]]] = []
    for row in session.exec(select(TouchpointDim).where(col(TouchpointDim.deleted).is_(False))):
        stage = stages.get(row.stage_id)
        if row.journey_id in deleted_journeys or (stage is not None and stage.deleted):
            continue
        if row.indicator:
            indicators.append((row.journey_id, row.id, row.indicator))
        stage_position = stage.position if stage is not None else 0
        touchpoints[row.id] = MappedTouchpoint(
            row.id, row.journey_id, row.stage_id, row.name, (stage_position, row.position, row.id)
        )
        for name in row.activities:
            if name.endswith("*"):
                prefixes.append((name[:-1], row.journey_id, row.id))
            else:
                exact.setdefault(name, {})[row.journey_id] = row.id
    prefixes.sort(key=lambda p: (-len(p[0]), p[1], p[2]))
    mapped = {t for _, _, t in prefixes} | {t for j in exact.values() for t in j.values()}
    indicators.sort(key=lambda i: (i[0], i[1]))
    return Mapping(touchpoints, exact, prefixes, mapped, indicators)
