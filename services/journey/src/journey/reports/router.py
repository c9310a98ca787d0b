from typing import Annotated

from fastapi import APIRouter, Query

from cxshared.auth import Reader
from cxshared.deps import SessionDep
from cxshared.timeutil import utcnow
from cxshared.types import Identifier, IsoDate
from journey.reports import service
from journey.reports.schemas import OwnershipReport, ReviewsReport, StandardsReport

router = APIRouter(prefix="/reports", tags=["reports"])

JourneyFilter = Annotated[Identifier | None, Query(description="Only this journey.")]
IncludeArchived = Annotated[bool, Query(description="Also report archived journeys.")]


@router.get(
    "/ownership",
    summary="Ownership gaps, handoffs between teams, and touchpoints per owner",
)
def ownership_report(
    session: SessionDep,
    _: Reader,
    journey_id: JourneyFilter = None,
    include_archived: IncludeArchived = False,
) -> OwnershipReport:
    return service.ownership(
        session=session, journey_id=journey_id, include_archived=include_archived
    )


@router.get("/reviews", summary="Journeys overdue for review")
def reviews_report(
    session: SessionDep,
    _: Reader,
    as_of: Annotated[IsoDate | None, Query(description="Default: today (UTC).")] = None,
) -> ReviewsReport:
    return service.reviews(session=session, as_of=as_of or utcnow().date())


@router.get("/standards", summary="Touchpoints with no experience standard or no target")
def standards_report(
    session: SessionDep,
    _: Reader,
    journey_id: JourneyFilter = None,
    include_archived: IncludeArchived = False,
) -> StandardsReport:
    return service.standards(
        session=session, journey_id=journey_id, include_archived=include_archived
    )
