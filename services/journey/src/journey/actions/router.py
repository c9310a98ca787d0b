from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from cxshared.auth import Reader
from cxshared.concurrency import IfMatch
from cxshared.crud import get_or_404
from cxshared.deps import SessionDep
from journey.actions import service
from journey.actions.models import Action, ActionState
from journey.actions.schemas import ActionCreate, ActionPage, ActionRead, ActionUpdate
from journey.common.context import WriteCtx
from journey.common.responses import saved, tagged
from journey.dependencies import IdFilter, PageDep
from journey.journeys.models import Journey

router = APIRouter(tags=["actions"])


@router.post(
    "/journeys/{journey_id}/actions",
    status_code=status.HTTP_201_CREATED,
    response_model=ActionRead,
    summary="Plan an action: a change to the journey's experience",
    description="Its opportunities, touchpoints and stages must be of this journey. Created as "
    "`shipped` it records a change already made; `shipped_at` then defaults to now.",
)
def create_action(journey_id: str, body: ActionCreate, ctx: WriteCtx, response: Response) -> Any:
    journey = get_or_404(ctx.session, Journey, journey_id)
    action = service.create_action(ctx=ctx, journey=journey, body=body)
    return saved(ctx, response, action)


@router.get("/actions", response_model=ActionPage)
def list_actions(
    session: SessionDep,
    _: Reader,
    params: PageDep,
    journey_id: IdFilter = None,
    team_id: IdFilter = None,
    state: ActionState | None = None,
    touchpoint_id: Annotated[
        IdFilter, Query(description="Actions that name this touchpoint.")
    ] = None,
    opportunity_id: Annotated[
        IdFilter, Query(description="Actions that answer this opportunity.")
    ] = None,
) -> Any:
    items, cursor = service.list_actions(
        session=session,
        params=params,
        filters={"journey_id": journey_id, "team_id": team_id, "state": state},
        touchpoint_id=touchpoint_id,
        opportunity_id=opportunity_id,
    )
    return ActionPage(items=items, next_cursor=cursor)


@router.get("/actions/{action_id}", response_model=ActionRead)
def get_action(action_id: str, session: SessionDep, _: Reader, response: Response) -> Any:
    return tagged(response, get_or_404(session, Action, action_id))


@router.patch(
    "/actions/{action_id}",
    response_model=ActionRead,
    description="A state change that is not allowed answers 409 (`invalid-transition`). "
    "Becoming `shipped` publishes `action.shipped`, becoming `abandoned` `action.abandoned`; "
    "any other change `action.updated`.",
)
def update_action(
    action_id: str, body: ActionUpdate, ctx: WriteCtx, if_match: IfMatch, response: Response
) -> Any:
    action = service.update_action(ctx=ctx, action_id=action_id, body=body, if_match=if_match)
    return saved(ctx, response, action)


@router.delete("/actions/{action_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_action(action_id: str, ctx: WriteCtx, if_match: IfMatch) -> None:
    service.delete_action(ctx=ctx, action_id=action_id, if_match=if_match)
    ctx.session.commit()
