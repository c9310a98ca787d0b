from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from cxshared.auth import Reader
from cxshared.concurrency import IfMatch
from cxshared.crud import get_or_404
from cxshared.deps import SessionDep
from journey.common.context import WriteCtx
from journey.common.responses import saved, tagged
from journey.dependencies import IdFilter, PageDep
from journey.opportunities import service
from journey.opportunities.models import Opportunity, OpportunityKind, OpportunityStatus
from journey.opportunities.schemas import (
    OpportunityCreate,
    OpportunityPage,
    OpportunityRead,
    OpportunityUpdate,
)
from journey.stages.models import Stage
from journey.touchpoints.models import Touchpoint

router = APIRouter(tags=["opportunities"])


@router.post(
    "/stages/{stage_id}/opportunities",
    status_code=status.HTTP_201_CREATED,
    response_model=OpportunityRead,
    summary="Add an opportunity to a stage",
)
def create_stage_opportunity(
    stage_id: str, body: OpportunityCreate, ctx: WriteCtx, response: Response
) -> Any:
    stage = get_or_404(ctx.session, Stage, stage_id)
    opportunity = service.create_opportunity(ctx=ctx, body=body, stage=stage)
    return saved(ctx, response, opportunity)


@router.post(
    "/touchpoints/{touchpoint_id}/opportunities",
    status_code=status.HTTP_201_CREATED,
    response_model=OpportunityRead,
    summary="Add an opportunity to a touchpoint",
)
def create_touchpoint_opportunity(
    touchpoint_id: str, body: OpportunityCreate, ctx: WriteCtx, response: Response
) -> Any:
    touchpoint = get_or_404(ctx.session, Touchpoint, touchpoint_id)
    opportunity = service.create_opportunity(ctx=ctx, body=body, touchpoint=touchpoint)
    return saved(ctx, response, opportunity)


@router.get("/opportunities", response_model=OpportunityPage)
def list_opportunities(
    session: SessionDep,
    _: Reader,
    params: PageDep,
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
    return OpportunityPage(items=items, next_cursor=cursor)


@router.get("/opportunities/{opportunity_id}", response_model=OpportunityRead)
def get_opportunity(opportunity_id: str, session: SessionDep, _: Reader, response: Response) -> Any:
    return tagged(response, get_or_404(session, Opportunity, opportunity_id))


@router.patch("/opportunities/{opportunity_id}", response_model=OpportunityRead)
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
    return saved(ctx, response, opportunity)


@router.delete("/opportunities/{opportunity_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_opportunity(opportunity_id: str, ctx: WriteCtx, if_match: IfMatch) -> None:
    service.delete_opportunity(ctx=ctx, opportunity_id=opportunity_id, if_match=if_match)
    ctx.session.commit()
