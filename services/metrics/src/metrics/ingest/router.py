from typing import Annotated

from fastapi import APIRouter, Body

from cxshared.auth import Ingester
from cxshared.deps import EngineDep
from metrics.dependencies import AlertsDep, SettingsDep
from metrics.ingest import service
from metrics.ingest.schemas import EventBatch, IngestResult

router = APIRouter(tags=["ingest"])


@router.post(
    "/events",
    response_model=IngestResult,
    summary="Apply a batch of events from journey's and feedback's relays (ingest key)",
    description="Each event is applied in the transaction that records its id, so a duplicate "
    "(a retry, a replay, two relays) changes nothing, and an older version of a touchpoint "
    "never overwrites a newer one. `response.completed` / `response.updated` (complete) add "
    "or replace the response's fact and its daily rollup; `respondent.erased` removes the "
    "respondent's facts and corrects the rollups; `case.*` keep one fact per case for the "
    "case figures (the latest event wins; `respondent.erased` also removes the respondent's "
    "cases and the `case_ids` it names); `touchpoint.*`, `stage.*`, `journey.*` and "
    "`team.*` keep the touchpoint dimension; `action.*` keep the actions and measure the effect "
    "of a shipped one, stored until its after window is over (`GET /v1/actions/{action_id}/"
    "effect`). Other types are recorded as seen and ignored. "
    "Responses flagged by feedback's anti-abuse checks are kept but left out of every figure.",
)
def post_events(
    _: Ingester,
    batch: Annotated[EventBatch, Body()],
    engine: EngineDep,
    alerts: AlertsDep,
    settings: SettingsDep,
) -> IngestResult:
    result = service.apply(engine=engine, events=batch.events, min_responses=settings.min_responses)
    alerts.touch(result.touchpoints)
    return IngestResult(
        applied=result.applied, duplicates=result.duplicates, ignored=result.ignored
    )
