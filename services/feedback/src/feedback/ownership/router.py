from typing import Annotated

from fastapi import APIRouter, Body
from sqlalchemy.exc import IntegrityError

from cxshared.auth import Ingester
from cxshared.db import write_session
from cxshared.deps import EngineDep, OutboxDep
from feedback.cases import service as cases
from feedback.dependencies import PolicyDep
from feedback.ownership import service
from feedback.ownership.schemas import IngestResult, JourneyEventBatch

router = APIRouter(tags=["ingest"])

# Two deliveries of one event can race on PostgreSQL: the second waits on the first's row and
# then fails its unique key. Trying again sees the first as processed.
ATTEMPTS = 3


@router.post(
    "/events",
    response_model=IngestResult,
    summary="Apply a batch of journey's touchpoint and team events (ingest key)",
    description="Journey's relay delivers every `touchpoint.*` and `team.*` event here; "
    "feedback keeps who owns each touchpoint (named owner, owning team, its lead) to route "
    "cases. Each event is applied in the transaction that records its id, so a duplicate "
    "changes nothing, and an older version of an entity never overwrites a newer one. Other "
    "types are recorded as seen and ignored. When an owner changes, open cases whose "
    "assignee no longer owns anything in the touchpoint's journey move to the new owner.",
)
def post_events(
    _: Ingester,
    batch: Annotated[JourneyEventBatch, Body()],
    engine: EngineDep,
    outbox: OutboxDep,
    policy: PolicyDep,
) -> IngestResult:
    attempt = 1
    while True:
        try:
            with write_session(engine) as session:
                result = service.ingest(session, batch.events)
                # Open cases whose assignee owns nothing there any more follow the new owner.
                cases.follow_owners(
                    session,
                    outbox,
                    touchpoints=result.touchpoints,
                    teams=result.teams,
                    now=policy.now(),
                )
            break
        except IntegrityError:
            if attempt == ATTEMPTS:
                raise
            attempt += 1
    return IngestResult(
        applied=result.applied, duplicates=result.duplicates, ignored=result.ignored
    )
