from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from cxshared.auth import Reader
from cxshared.concurrency import IfMatch
from cxshared.crud import get_or_404
from cxshared.deps import SessionDep
from journey.common.context import WriteCtx
from journey.common.responses import saved, tagged
from journey.journeys.models import Journey
from journey.stages import service
from journey.stages.models import Stage
from journey.stages.schemas import Move, StageCreate, StageRead, StageUpdate

router = APIRouter(tags=["stages"])


@router.post(
    "/journeys/{journey_id}/stages", status_code=status.HTTP_201_CREATED, response_model=StageRead
)
def create_stage(journey_id: str, body: StageCreate, ctx: WriteCtx, response: Response) -> Any:
    journey = get_or_404(ctx.session, Journey, journey_id, lock=True)
    stage = service.create_stage(ctx=ctx, journey=journey, body=body)
    return saved(ctx, response, stage)


@router.get(
    "/journeys/{journey_id}/stages",
    response_model=list[StageRead],
    summary="The stages of a journey, in order",
)
def list_stages(journey_id: str, session: SessionDep, _: Reader) -> Any:
    get_or_404(session, Journey, journey_id)
    return service.in_journey(session, journey_id)


@router.get("/stages/{stage_id}", response_model=StageRead)
def get_stage(stage_id: str, session: SessionDep, _: Reader, response: Response) -> Any:
    return tagged(response, get_or_404(session, Stage, stage_id))


@router.patch("/stages/{stage_id}", response_model=StageRead)
def update_stage(
    stage_id: str, body: StageUpdate, ctx: WriteCtx, if_match: IfMatch, response: Response
) -> Any:
    stage = service.update_stage(ctx=ctx, stage_id=stage_id, body=body, if_match=if_match)
    return saved(ctx, response, stage)


@router.post(
    "/stages/{stage_id}/move",
    response_model=StageRead,
    summary="Move a stage to a position; the others close up, positions stay 0..n-1",
)
def move_stage(
    stage_id: str, body: Move, ctx: WriteCtx, if_match: IfMatch, response: Response
) -> Any:
    stage = service.move_stage(ctx=ctx, stage_id=stage_id, body=body, if_match=if_match)
    return saved(ctx, response, stage)


@router.delete(
    "/stages/{stage_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a stage (one with touchpoints needs cascade=true)",
)
def delete_stage(
    stage_id: str,
    ctx: WriteCtx,
    if_match: IfMatch,
    cascade: Annotated[bool, Query(description="Also delete its touchpoints.")] = False,
) -> None:
    stage = get_or_404(ctx.session, Stage, stage_id, lock=True)
    get_or_404(ctx.session, Journey, stage.journey_id, lock=True)
    service.delete_stage(ctx=ctx, stage=stage, if_match=if_match, cascade=cascade)
    ctx.session.commit()
