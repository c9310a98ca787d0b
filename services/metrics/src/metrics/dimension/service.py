"""Keeps the touchpoint dimension from journey's events. Every entity event carries the entity's
version (a deletion carries the version after the last edit), and a row only ever moves to a
newer version, so duplicates and late arrivals change nothing."""

from typing import Any, TypeVar

from sqlmodel import Session, SQLModel

from metrics.dimension.models import JourneyDim, StageDim, TeamDim, TouchpointDim

D = TypeVar("D", bound=SQLModel)
Dimension = JourneyDim | StageDim | TeamDim | TouchpointDim

TABLES: dict[str, type[Dimension]] = {
    "journey": JourneyDim,
    "stage": StageDim,
    "team": TeamDim,
    "touchpoint": TouchpointDim,
}


def _fields(table: type[SQLModel], data: dict[str, Any]) -> dict[str, Any]:
    names = set(table.model_fields) - {"id", "version", "deleted"}
    return {name: data[name] for name in names if name in data}


def _upsert(
    session: Session, table: type[D], entity_id: str, version: int, values: dict[str, Any]
) -> D | None:  # D is one of the Dimension tables
    """Moves the row to `version` with `values`; None (and no change) when it is not newer."""
    row = session.get(table, entity_id)
    if row is not None and row.version >= version:  # type: ignore[attr-defined]
        return None
    if row is None:
        row = table(id=entity_id)
    for name, value in values.items():
        setattr(row, name, value)
    row.version = version
    session.add(row)
    return row


def _embedded(session: Session, table: type[D], data: dict[str, Any] | None) -> None:
    """A touchpoint event names its journey, stage and team without their versions: they fill
    a row that does not exist yet, and never overwrite one that came from the entity's own
    events."""
    if not data or not data.get("id") or session.get(table, data["id"]) is not None:
        return
    session.add(table(id=data["id"], version=0, **_fields(table, data)))


def apply(session: Session, entity: str, data: dict[str, Any]) -> bool:
    """Applies a `<entity>.created|updated|deleted` event's data; True if anything changed."""
    table = TABLES[entity]
    values = _fields(table, data)
    values["deleted"] = bool(data.get("deleted", False))
    if entity == "touchpoint":
        values["owner_team_id"] = data.get("owner_team_id")
        _embedded(session, JourneyDim, data.get("journey"))
        _embedded(
            session, StageDim, {**(data.get("stage") or {}), "journey_id": data.get("journey_id")}
        )
        _embedded(session, TeamDim, data.get("owner_team"))
    return _upsert(session, table, str(data["id"]), int(data["version"]), values) is not None
