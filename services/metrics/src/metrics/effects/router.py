from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import StringConstraints

from cxshared.auth import Reader
from cxshared.deps import SessionDep
from cxshared.pagination import PageParams, page_params
from cxshared.timeutil import utcnow
from cxshared.types import Identifier, IsoDate
from metrics.dependencies import SettingsDep
from metrics.effects import service
from metrics.effects.schemas import ActionEffectPage, ActionEffectRead, EffectRead

router = APIRouter(tags=["effects"])
TouchpointId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


@router.get(
    "/effects",
    response_model=EffectRead,
    summary="The measured effect of a change shipped at touchpoints",
    description="The touchpoints' NPS, CSAT and CES in equal windows before and after the ship "
    "date (`settle_days` after it left out), their standards compliance (share of standard "
    "occasions met) and the churn of the customers who answered at them, each when it has "
    "data: the change with its 95% interval and p-value, and the difference-in-differences "
    "against the journey's other touchpoints (the effect credited when there are any; none "
    "for churn), p-values Benjamini-Hochberg adjusted across the metrics. "
    "`verdict`: too_early until the after window is over, not_enough_data, "
    'no_measurable_effect, improved, worse or mixed. Definitions: docs/metrics.md, "Effect '
    'of a shipped action".',
)
def get_effect(
    session: SessionDep,
    _: Reader,
    settings: SettingsDep,
    journey_id: Annotated[str, Query(min_length=1, max_length=64)],
    touchpoint_id: Annotated[list[TouchpointId], Query(min_length=1, max_length=50)],
    shipped_on: Annotated[
        IsoDate,
        Query(description="The day the change reached customers."),
    ],
    window_days: Annotated[int, Query(ge=7, le=180)] = 28,
    settle_days: Annotated[int, Query(ge=0, le=60)] = 7,
) -> EffectRead:
    return service.effect(
        session,
        service.Query(
            journey_id=journey_id,
            touchpoint_ids=sorted(set(touchpoint_id)),
            shipped_on=shipped_on,
            window_days=window_days,
            settle_days=settle_days,
            min_responses=settings.min_responses,
            today=utcnow().date(),
        ),
    )


STORED = (
    "Metrics keeps journey's actions from their `action.*` events and measures the effect of "
    "each shipped one (its affected touchpoints, its ship date, 28-day windows and a 7-day "
    "settling gap, as `GET /v1/effects` does) when the event arrives and again each day, until "
    "its after window is over: that measurement is frozen (`frozen: true`) and never made "
    "again, unless the action's ship date, touchpoints or journey change. `computed_on`: the "
    'day it was measured. Definitions: docs/metrics.md, "Stored effects of shipped actions".'
)


@router.get(
    "/actions/{action_id}/effect",
    response_model=ActionEffectRead,
    summary="The stored effect of one shipped action",
    description=STORED + " 404 for an action metrics does not know or that has not shipped.",
)
def get_action_effect(action_id: Identifier, session: SessionDep, _: Reader) -> ActionEffectRead:
    return service.read_stored(service.get_stored(session=session, action_id=action_id))


@router.get(
    "/action-effects",
    response_model=ActionEffectPage,
    summary="The stored effects of shipped actions, by action id",
    description=STORED + " `journey_id` keeps one journey's actions.",
)
def list_action_effects(
    session: SessionDep,
    _: Reader,
    params: Annotated[PageParams, Depends(page_params)],
    journey_id: Annotated[Identifier | None, Query()] = None,
) -> ActionEffectPage:
    rows, cursor = service.list_stored(session=session, params=params, journey_id=journey_id)
    return ActionEffectPage(items=[service.read_stored(r) for r in rows], next_cursor=cursor)
