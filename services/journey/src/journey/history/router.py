from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from sqlmodel import col, select

from cxshared.auth import Reader
from cxshared.deps import SessionDep
from cxshared.pagination import PageParams, page_params, paginate
from cxshared.types import Identifier, IsoDateTime, Name
from journey.history.models import Change
from journey.history.schemas import ChangePage

router = APIRouter(prefix="/history", tags=["history"])

EntityType = Literal["persona", "team", "journey", "stage", "touchpoint", "opportunity"]


@router.get(
    "",
    response_model=ChangePage,
    summary="Who changed what, when: newest first",
)
def list_changes(
    session: SessionDep,
    _: Reader,
    params: Annotated[PageParams, Depends(page_params)],
    entity_type: EntityType | None = None,
    entity_id: Annotated[Identifier | None, Query()] = None,
    journey_id: Annotated[Identifier | None, Query()] = None,
    actor: Annotated[Name | None, Query()] = None,
    since: Annotated[
        IsoDateTime | None, Query(description="Changes at or after this time.")
    ] = None,
    until: Annotated[IsoDateTime | None, Query(description="Changes before this time.")] = None,
) -> Any:
    query = select(Change)
    for column, value in (
        (Change.entity_type, entity_type),
        (Change.entity_id, entity_id),
        (Change.journey_id, journey_id),
        (Change.actor, actor),
    ):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(col(Change.at) >= since)
    if until is not None:
        query = query.where(col(Change.at) < until)
    items, cursor = paginate(
        session, query, order_by=[col(Change.id)], params=params, descending=True
    )
    return ChangePage(items=items, next_cursor=cursor)
