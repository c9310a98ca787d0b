from sqlmodel import Session, col, select

from cxshared.crud import get_or_404
from cxshared.patch import to_patch
from journey.common import crud
from journey.common.context import WriteContext
from journey.common.errors import has_children
from journey.common.ordering import clamp_position, renumber
from journey.journeys.models import Journey
from journey.opportunities.models import Opportunity
from journey.opportunities.service import opportunity_event_data
from journey.stages.models import Stage
from journey.stages.schemas import Move, StageCreate, StageUpdate
from journey.touchpoints import service as touchpoints

CLEARABLE = {"description": "", "experience": ""}


def in_journey(session: Session, journey_id: str) -> list[Stage]:
    return list(
        session.exec(
            select(Stage)
            .where(Stage.journey_id == journey_id)
            .order_by(col(Stage.position), col(Stage.id))
        ).all()
    )


def create_stage(*, ctx: WriteContext, journey: Journey, body: StageCreate) -> Stage:
    siblings = in_journey(ctx.session, journey.id)
    stage = Stage(**body.model_dump(exclude={"position"}), journey_id=journey.id)
    siblings.insert(clamp_position(body.position, len(siblings)), stage)
    renumber(siblings)
    return crud.create(ctx, stage)


def update_stage(
    *, ctx: WriteContext, stage_id: str, body: StageUpdate, if_match: str | None
) -> Stage:
    stage = get_or_404(ctx.session, Stage, stage_id, lock=True)
    return crud.update(ctx, stage, to_patch(body, clearable=CLEARABLE), if_match=if_match)


def move_stage(*, ctx: WriteContext, stage_id: str, body: Move, if_match: str | None) -> Stage:
    stage = get_or_404(ctx.session, Stage, stage_id, lock=True)
    get_or_404(ctx.session, Journey, stage.journey_id, lock=True)
    siblings = [s for s in in_journey(ctx.session, stage.journey_id) if s.id != stage.id]
    old_position = stage.position
    siblings.insert(clamp_position(body.position, len(siblings)), stage)
    renumber(siblings)
    new_position = stage.position
    stage.position = old_position  # so that crud.update records the move as a change
    return crud.update(ctx, stage, {"position": new_position}, if_match=if_match, action="reorder")


def delete_stage(
    *,
    ctx: WriteContext,
    stage: Stage,
    if_match: str | None,
    cascade: bool,
    renumber_siblings: bool = True,
) -> None:
    children = touchpoints.in_stage(ctx.session, stage.id)
    if children and not cascade:
        raise has_children("stage", f"{len(children)} touchpoint(s)")
    for touchpoint in children:
        touchpoints.delete_touchpoint(
            ctx=ctx, touchpoint=touchpoint, if_match=None, renumber_siblings=False
        )
    for opportunity in ctx.session.exec(
        select(Opportunity).where(Opportunity.stage_id == stage.id)
    ).all():
        crud.delete(ctx, opportunity, if_match=None, event_data=opportunity_event_data)
    journey_id = stage.journey_id
    crud.delete(ctx, stage, if_match=if_match)
    if renumber_siblings:
        renumber(in_journey(ctx.session, journey_id))
