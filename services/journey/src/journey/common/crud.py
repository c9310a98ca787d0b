"""Create, update and delete for every journey resource, with history and events.

Each write bumps `version`, stamps who and when, records field-level before/after in the change
history and publishes `<entity>.<created|updated|deleted>` to the outbox, all in the caller's
transaction: either everything is stored or nothing is. A write to a live journey's map also
keeps a map version when the transaction commits (journey.versions).
"""

from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import SQLModel

from cxshared.concurrency import ensure_fresh
from cxshared.models import Editable
from cxshared.timeutil import utcnow
from journey.common.context import WriteContext
from journey.history.models import Change
from journey.journeys.models import JourneyStatus
from journey.versions import service as versions

E = TypeVar("E", bound=Editable)

EventData = Callable[[Any], dict[str, Any]]

_META_FIELDS = {"version", "created_at", "updated_at", "updated_by"}
MAP_ENTITIES = {"journey", "stage", "touchpoint"}
"""What a map version keeps (journey.versions): a write to one of these may make a version."""


def entity_type(entity: SQLModel) -> str:
    return str(entity.__tablename__)


def journey_of(entity: SQLModel) -> str | None:
    if entity_type(entity) == "journey":
        return str(entity.id)  # type: ignore[attr-defined]
    return getattr(entity, "journey_id", None)


def snapshot(entity: SQLModel) -> dict[str, Any]:
    return entity.model_dump(mode="json")


def record(ctx: WriteContext, entity: SQLModel, action: str, changes: dict[str, Any]) -> None:
    journey_id = journey_of(entity)
    if journey_id and entity_type(entity) in MAP_ENTITIES:
        published = (
            entity_type(entity) == "journey"
            and changes.get("status", {}).get("after") == JourneyStatus.LIVE
        )
        versions.note_change(
            ctx.session, journey_id, published=published, actor=ctx.actor, outbox=ctx.outbox
        )
    ctx.session.add(
        Change(
            actor=ctx.actor,
            action=action,
            entity_type=entity_type(entity),
            entity_id=str(entity.id),  # type: ignore[attr-defined]
            journey_id=journey_id,
            changes=changes,
        )
    )


def publish(ctx: WriteContext, entity: SQLModel, verb: str, data: dict[str, Any]) -> None:
    ctx.outbox.publish(
        ctx.session,
        type=f"{entity_type(entity)}.{verb}",
        subject=str(entity.id),  # type: ignore[attr-defined]
        data=data,
    )


def create(ctx: WriteContext, entity: E, *, event_data: EventData = snapshot) -> E:
    entity.updated_by = ctx.actor
    ctx.session.add(entity)
    ctx.session.flush()
    after = snapshot(entity)
    record(
        ctx,
        entity,
        "create",
        {k: {"before": None, "after": v} for k, v in after.items() if k not in _META_FIELDS},
    )
    publish(ctx, entity, "created", event_data(entity))
    return entity


def update(
    ctx: WriteContext,
    entity: E,
    patch: dict[str, Any],
    *,
    if_match: str | None,
    action: str = "update",
    verb: str = "updated",
    event_data: EventData = snapshot,
) -> E:
    """Applies `patch`; a stale If-Match raises 412 before anything changes. `verb` names the
    event when the change means more than an update (an action `shipped`)."""
    ensure_fresh(
        if_match, version=entity.version, updated_by=entity.updated_by, updated_at=entity.updated_at
    )
    before = snapshot(entity)
    for name, value in patch.items():
        setattr(entity, name, value)
    after = snapshot(entity)
    changes = {
        k: {"before": before[k], "after": after[k]} for k in patch if before.get(k) != after.get(k)
    }
    if not changes:
        return entity
    entity.version += 1
    entity.updated_at = utcnow()
    entity.updated_by = ctx.actor
    ctx.session.add(entity)
    ctx.session.flush()
    record(ctx, entity, action, changes)
    publish(ctx, entity, verb, event_data(entity))
    return entity


def delete(
    ctx: WriteContext, entity: E, *, if_match: str | None, event_data: EventData = snapshot
) -> None:
    ensure_fresh(
        if_match, version=entity.version, updated_by=entity.updated_by, updated_at=entity.updated_at
    )
    before = snapshot(entity)
    # The deletion is the entity's newest version: consumers that order by version apply it last.
    data = {**event_data(entity), "version": entity.version + 1, "deleted": True}
    record(
        ctx,
        entity,
        "delete",
        {k: {"before": v, "after": None} for k, v in before.items() if k not in _META_FIELDS},
    )
    publish(ctx, entity, "deleted", data)
    ctx.session.delete(entity)
    ctx.session.flush()
