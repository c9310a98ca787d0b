from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import StringConstraints

from cxshared.auth import Reader
from cxshared.deps import SessionDep
from cxshared.timeutil import utcnow
from cxshared.types import IsoDate
from metrics.dependencies import SettingsDep
from metrics.effects import service
from metrics.effects.schemas import EffectRead

router = APIRouter(tags=["effects"])
TouchpointId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


@router.get(
    "/effects",
    response_model=EffectRead,
    summary="The measured effect of a change shipped at touchpoints",
    description="The touchpoints' NPS, CSAT and CES in equal windows before and after the ship "
    "date (`settle_days` after it left out), the change with its 95% interval and p-value, and "
    "the difference-in-differences against the journey's other touchpoints (the effect "
    "credited when there are any), p-values Benjamini-Hochberg adjusted across the metrics. "
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
