from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from cxshared.auth import Reader
from cxshared.concurrency import IfMatch, set_etag
from cxshared.crud import get_or_404
from cxshared.deps import SessionDep
from cxshared.types import Identifier
from journey.common.context import WriteCtx
from journey.common.responses import saved, tagged
from journey.dependencies import PageDep
from journey.journeys import service
from journey.journeys.models import Journey, JourneyState, JourneyStatus
from journey.journeys.schemas import (
    JourneyCopy,
    JourneyCreate,
    JourneyPage,
    JourneyRead,
    JourneyUpdate,
)
from journey.journeys.schemas_document import JourneyDocument, JourneyDocumentCreate

router = APIRouter(prefix="/journeys", tags=["journeys"])

Cascade = Annotated[
    bool, Query(description="Also delete its stages, touchpoints and opportunities.")
]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=JourneyRead)
def create_journey(body: JourneyCreate, ctx: WriteCtx, response: Response) -> Any:
    journey = service.create_journey(ctx=ctx, body=body)
    return saved(ctx, response, journey)


@router.post(
    "/documents",
    status_code=status.HTTP_201_CREATED,
    response_model=JourneyDocument,
    summary="Create a whole journey from one document",
    description="Stages, touchpoints and opportunities nested. All of it is created, or nothing; "
    "an error names the field inside the document (e.g. `stages[1].touchpoints[0].channel`).",
)
def create_journey_document(body: JourneyDocumentCreate, ctx: WriteCtx) -> Any:
    journey = service.create_from_document(ctx=ctx, document=body)
    ctx.session.commit()
    return service.build_document(ctx.session, journey)


@router.get("", response_model=JourneyPage)
def list_journeys(
    session: SessionDep,
    _: Reader,
    params: PageDep,
    state: JourneyState | None = None,
    journey_status: Annotated[JourneyStatus | None, Query(alias="status")] = None,
    persona_id: Annotated[Identifier | None, Query()] = None,
) -> Any:
    items, cursor = service.list_journeys(
        session=session,
        params=params,
        filters={"state": state, "status": journey_status, "persona_id": persona_id},
    )
    return JourneyPage(items=items, next_cursor=cursor)


@router.get("/{journey_id}", response_model=JourneyRead)
def get_journey(journey_id: str, session: SessionDep, _: Reader, response: Response) -> Any:
    return tagged(response, get_or_404(session, Journey, journey_id))


@router.get(
    "/{journey_id}/document",
    response_model=JourneyDocument,
    summary="The whole journey: stages, touchpoints and opportunities nested, in order",
)
def get_journey_document(
    journey_id: str, session: SessionDep, _: Reader, response: Response
) -> Any:
    journey = get_or_404(session, Journey, journey_id)
    set_etag(response, journey.version)
    return service.build_document(session, journey)


@router.patch("/{journey_id}", response_model=JourneyRead)
def update_journey(
    journey_id: str, body: JourneyUpdate, ctx: WriteCtx, if_match: IfMatch, response: Response
) -> Any:
    journey = service.update_journey(ctx=ctx, journey_id=journey_id, body=body, if_match=if_match)
    return saved(ctx, response, journey)


@router.post(
    "/{journey_id}/copy",
    status_code=status.HTTP_201_CREATED,
    response_model=JourneyDocument,
    summary="Copy a journey, e.g. as its future state",
    description="Everything is copied (stages, touchpoints with owners, standards and targets, "
    "opportunities); the copy is a draft linked to its origin by `origin_journey_id`.",
)
def copy_journey(journey_id: str, body: JourneyCopy, ctx: WriteCtx) -> Any:
    copy = service.copy_journey(ctx=ctx, journey_id=journey_id, body=body)
    ctx.session.commit()
    return service.build_document(ctx.session, copy)


@router.delete("/{journey_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_journey(
    journey_id: str, ctx: WriteCtx, if_match: IfMatch, cascade: Cascade = False
) -> None:
    service.delete_journey(ctx=ctx, journey_id=journey_id, if_match=if_match, cascade=cascade)
    ctx.session.commit()
