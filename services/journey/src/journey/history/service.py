"""Reading the change history that every write records (journey.common.crud)."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from cxshared.pagination import PageParams, paginate
from journey.history.models import Change


@dataclass(frozen=True)
class ChangeFilters:
    """Each one given narrows the history; `since` is inclusive, `until` exclusive."""

    entity_type: str | None = None
    entity_id: str | None = None
    journey_id: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_changes(
    *, session: Session, params: PageParams, filters: ChangeFilters
) -> tuple[list[Change], str | None]:
    """A page of changes, newest first."""
    query = select(Change)
    for column, value in (
        (Change.entity_type, filters.entity_type),
        (Change.entity_id, filters.entity_id),
        (Change.journey_id, filters.journey_id),
        (Change.actor, filters.actor),
    ):
        if value is not None:
            query = query.where(column == value)
    if filters.since is not None:
        query = query.where(col(Change.at) >= filters.since)
    if filters.until is not None:
        query = query.where(col(Change.at) < filters.until)
    return paginate(session, query, order_by=[col(Change.id)], params=params, descending=True)
