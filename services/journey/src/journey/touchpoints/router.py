from typing import Any

from fastapi import APIRouter, Response, status

from cxshared.auth import Reader
from cxshared.concurrency import IfMatch
from cxshared.crud import get_or_404
from cxshared.deps import SessionDep
from journey.common.context import WriteCtx
from journey.common.responses import saved, tagged
from journey.dependencies import IdFilter, PageDep
from journey.stages.models import Stage
from journey.touchpoints import service
from journey.touchpoints.models import Channel, Touchpoint
from journey.touchpoints.schemas import (
    TouchpointCreate,
    TouchpointMove,
    TouchpointPage,
    TouchpointRead,
    TouchpointUpdate,
)

router = APIRouter(tags=["touchpoints"])


@router.post(
    "/stages/{stage_id}/touchpoints",
    status_code=status.HTTP_201_CREATED,
    response_model=TouchpointRead,
)
def create_touchpoint(
    stage_id: str, body: TouchpointCreate, ctx: WriteCtx, response: Response
) -> Any:
    stage = get_or_404(ctx.session, Stage, stage_id, lock=True)
    touchpoint = service.create_touchpoint(ctx=ctx, stage=stage, body=body)
    return saved(ctx, response, touchpoint)


@router.get(
    "/stages/{stage_id}/touchpoints",
    response_model=list[TouchpointRead],
    summary="The touchpoints of a stage, in order",
)
def list_stage_touchpoints(stage_id: str, session: SessionDep, _: Reader) -> Any:
    get_or_404(session, Stage, stage_id)
    return service.in_stage(session, stage_id)


@router.get("/touchpoints", response_model=TouchpointPage)
def list_touchpoints(
    session: SessionDep,
    _: Reader,
    params: PageDep,
    journey_id: IdFilter = None,
    stage_id: IdFilter = None,
    owner_team_id: IdFilter = None,
    channel: Channel | None = None,
    moment_of_truth: bool | None = None,
) -> Any:
    items, cursor = service.list_touchpoints(
        session=session,
        params=params,
        filters={
            "journey_id": journey_id,
            "stage_id": stage_id,
            "owner_team_id": owner_team_id,
            "channel": channel,
            "moment_of_truth": moment_of_truth,
        },
    )
    return TouchpointPage(items=items, next_cursor=cursor)


@router.get("/touchpoints/{touchpoint_id}", response_model=TouchpointRead)
def get_touchpoint(touchpoint_id: str, session: SessionDep, _: Reader, response: Response) -> Any:
    return tagged(response, get_or_404(session, Touchpoint, touchpoint_id))


@router.patch(
    "/touchpoints/{touchpoint_id}",
    response_model=TouchpointRead,
    summary="Change a touchpoint (owner, standard, targets …)",
    description="Send `If-Match` with the ETag you read: if someone changed it since, you get "
    "412 with who changed it, and nothing is overwritten.",
)
def update_touchpoint(
    touchpoint_id: str,
    body: TouchpointUpdate,
    ctx: WriteCtx,
    if_match: IfMatch,
    response: Response,
) -> Any:
    touchpoint = service.update_touchpoint(
        ctx=ctx, touchpoint_id=touchpoint_id, body=body, if_match=if_match
    )
    return saved(ctx, response, touchpoint)


@router.post(
    "/touchpoints/{touchpoint_id}/move",
    response_model=TouchpointRead,
    summary="Move a touchpoint to a position, in its stage or another stage of the journey",
)
def move_touchpoint(
    touchpoint_id: str,
    body: TouchpointMove,
    ctx: WriteCtx,
    if_match: IfMatch,
    response: Response,
) -> Any:
    touchpoint = service.move_touchpoint(
        ctx=ctx, touchpoint_id=touchpoint_id, body=body, if_match=if_match
    )
    return saved(ctx, response, touchpoint)


@router.delete("/touchpoints/{touchpoint_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_touchpoint(touchpoint_id: str, ctx: WriteCtx, if_match: IfMatch) -> None:
    touchpoint = get_or_404(ctx.session, Touchpoint, touchpoint_id, lock=True)
    get_or_404(ctx.session, Stage, touchpoint.stage_id, lock=True)
    service.delete_touchpoint(ctx=ctx, touchpoint=touchpoint, if_match=if_match)
    ctx.session.commit()
