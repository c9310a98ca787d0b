from typing import Annotated

import structlog
from fastapi import APIRouter, Body, Request
from sqlalchemy.exc import IntegrityError

from cxshared.auth import Ingester
from cxshared.db import write_session
from metrics.ingest.schemas import EventBatch, IngestResult
from metrics.ingest.service import Result, ingest

router = APIRouter(tags=["ingest"])
log = structlog.get_logger("metrics.ingest")

# Two deliveries of one event can race on PostgreSQL: the second waits on the first's row and
# then fails its unique key. Trying again sees the first as processed.
ATTEMPTS = 3


@router.post(
    "/events",
    response_model=IngestResult,
    summary="Apply a batch of events from journey's and feedback's relays (ingest key)",
    description="Each event is applied in the transaction that records its id, so a duplicate "
    "(a retry, a replay, two relays) changes nothing, and an older version of a touchpoint "
    "never overwrites a newer one. `response.completed` / `response.updated` (complete) add "
    "or replace the response's fact and its daily rollup; `respondent.erased` removes the "
    "respondent's facts and corrects the rollups; `touchpoint.*`, `stage.*`, `journey.*` and "
    "`team.*` keep the touchpoint dimension. Other types are recorded as seen and ignored. "
    "Responses flagged by feedback's anti-abuse checks are kept but left out of every figure.",
)
def post_events(
    request: Request, _: Ingester, batch: Annotated[EventBatch, Body()]
) -> IngestResult:
    engine = request.app.state.engine
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with write_session(engine) as session:
                result: Result = ingest(session, batch.events)
            break
        except IntegrityError:
            if attempt == ATTEMPTS:
                raise
            log.info("ingest.retried", attempt=attempt)
    request.app.state.alerts.touch(result.touchpoints)
    return IngestResult(
        applied=result.applied, duplicates=result.duplicates, ignored=result.ignored
    )
