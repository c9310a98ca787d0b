from typing import Annotated

from fastapi import APIRouter, Query

from cxshared.auth import Reader
from cxshared.deps import SessionDep
from cxshared.timeutil import utcnow
from cxshared.types import Identifier, IsoDate
from metrics.reviews import service
from metrics.reviews.schemas import ReviewSignalsRead

router = APIRouter(tags=["review signals"])


@router.get(
    "/review-signals",
    response_model=ReviewSignalsRead,
    summary="The data-driven reasons a journey needs review, as of a day",
    description="As of `as_of` (default today, UTC), of one journey or of all: "
    "`incident_open`, an incident on one of the journey's touchpoints open (not resolved) "
    "for more than `incident_days` days; `standard_missed`, a touchpoint standard whose "
    "compliance over the 28 days to `as_of` is below its objective; "
    "`undocumented_touchpoint`, an activity no touchpoint lists, met in at least "
    "`undocumented_min` of the journey's observed cases that started in those 28 days; "
    "`action_worse`, a shipped action whose stored, frozen effect is `worse`. Each reason's "
    '`key` stays the same while the reason lasts. Definitions: docs/metrics.md, "Review '
    'signals".',
)
def get_review_signals(
    session: SessionDep,
    _: Reader,
    journey_id: Annotated[Identifier | None, Query(description="Default: every journey.")] = None,
    as_of: Annotated[IsoDate | None, Query(description="The day judged; default today.")] = None,
    incident_days: Annotated[int, Query(ge=1, le=3650)] = 14,
    undocumented_min: Annotated[int, Query(ge=1, le=1_000_000)] = 50,
) -> ReviewSignalsRead:
    day = as_of or utcnow().date()
    return ReviewSignalsRead(
        as_of=day,
        incident_days=incident_days,
        undocumented_min=undocumented_min,
        signals=service.review_signals(
            session=session,
            journey_id=journey_id,
            as_of=day,
            incident_days=incident_days,
            undocumented_min=undocumented_min,
        ),
    )
