from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from cxshared.auth import Reader
from cxshared.deps import SessionDep
from cxshared.types import IsoDateTime, Name
from journey.dependencies import IdFilter, PageDep
from journey.history import service
from journey.history.schemas import ChangePage

router = APIRouter(prefix="/history", tags=["history"])

EntityType = Literal[
    "persona", "team", "journey", "stage", "touchpoint", "opportunity", "action", "journey_review"
]


async def change_filters(
    entity_type: EntityType | None = None,
    entity_id: IdFilter = None,
    journey_id: IdFilter = None,
    actor: Annotated[Name | None, Query()] = None,
    since: Annotated[
        IsoDateTime | None, Query(description="Changes at or after this time.")
    ] = None,
    until: Annotated[IsoDateTime | None, Query(description="Changes before this time.")] = None,
) -> service.ChangeFilters:
    return service.ChangeFilters(
        entity_type=entity_type,
        entity_id=entity_id,
        journey_id=journey_id,
        actor=actor,
        since=since,
        until=until,
    )


@router.get(
    "",
    response_model=ChangePage,
    summary="Who changed what, when: newest first",
)
def list_changes(
    session: SessionDep,
    _: Reader,
    filters: Annotated[service.ChangeFilters, Depends(change_filters)],
    params: PageDep,
) -> Any:
    items, cursor = service.list_changes(session=session, params=params, filters=filters)
    return ChangePage(items=items, next_cursor=cursor)
