from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from cxshared.auth import Reader
from cxshared.concurrency import IfMatch, set_etag
from cxshared.deps import SessionDep
from cxshared.pagination import PageParams, page_params
from cxshared.types import Identifier
from journey.common import crud
from journey.common.context import WriteCtx
from journey.opportunities import service
from journey.opportunities.models import Opportunity, OpportunityKind, OpportunityStatus
from journey.opportunities.schemas import (
    OpportunityCreate,
    OpportunityPage,
    OpportunityRead,
    OpportunityUpdate,
)

router = APIRouter(prefix="/opportunities", tags=["opportunities"])

IdFilter = Annotated[Identifier | None, Query()]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=OpportunityRead)
def create_opportunity(body: OpportunityCreate, ctx: WriteCtx, response: Response) -> Any:
    opportunity = service.create_opportunity(ctx=ctx, body=body)
    ctx.session.commit()
    set_etag(response, opportunity.version)
    return opportunity


@router.get("", response_model=OpportunityPage)
def list_opportunities(
    session: SessionDep,
    _: Reader,
    params: Annotated[PageParams, Depends(page_params)],
    journey_id: IdFilter = None,
    stage_id: IdFilter = None,
    touchpoint_id: IdFilter = None,
    kind: OpportunityKind | None = None,
    opportunity_status: Annotated[OpportunityStatus | None, Query(alias="status")] = None,
) -> Any:
    items, cursor = service.list_opportunities(
        session=session,
        params=params,
        filters={
            "journey_id": journey_id,
            "stage_id": stage_id,
            "touchpoint_id": touchpoint_id,
            "kind": kind,
            "status": opportunity_status,
        },
    )
    return OpportunityPage(items=items, next_cursor=cursor)  # type: ignore[arg-type]


@router.get("/{opportunity_id}", response_model=OpportunityRead)
def get_opportunity(
    opportunity_id: str, session: SessionDep, _: Reader, response: Response
) -> Any:
    opportunity = crud.get_or_404(session, Opportunity, opportunity_id)
    set_etag(response, opportunity.version)
    return opportunity


@router.patch("/{opportunity_id}", response_model=OpportunityRead)
def update_opportunity(
    opportunity_id: str,
    body: OpportunityUpdate,
    ctx: WriteCtx,
    if_match: IfMatch,
    response: Response,
) -> Any:
    opportunity = service.update_opportunity(
        ctx=ctx, opportunity_id=opportunity_id, body=body, if_match=if_match
    )
    ctx.session.commit()
    set_etag(response, opportunity.version)
    return opportunity


@router.delete("/{opportunity_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_opportunity(opportunity_id: str, ctx: WriteCtx, if_match: IfMatch) -> None:
    service.delete_opportunity(ctx=ctx, opportunity_id=opportunity_id, if_match=if_match)
    ctx.session.commit()
