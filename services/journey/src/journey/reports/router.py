from typing import Annotated

from fastapi import APIRouter, Depends, Query

from cxshared.auth import Reader
from cxshared.deps import SessionDep
from cxshared.timeutil import utcnow
from cxshared.types import Identifier, IsoDate
from journey.reports import service
from journey.reports.schemas import OwnershipReport, ReviewsReport, StandardsReport

router = APIRouter(prefix="/reports", tags=["reports"])

JourneyFilter = Annotated[Identifier | None, Query(description="Only this journey.")]
IncludeArchived = Annotated[bool, Query(description="Also report archived journeys.")]
IncludeDrafts = Annotated[
    bool,
    Query(
        description="Also report draft journeys and future states (left out by default: "
        "they are not what customers live now). A `journey_id` is reported whatever it is."
    ),
]


async def scope(
    journey_id: JourneyFilter = None,
    include_archived: IncludeArchived = False,
    include_drafts: IncludeDrafts = False,
) -> service.Scope:
    return service.Scope(
        journey_id=journey_id, include_archived=include_archived, include_drafts=include_drafts
    )


ScopeDep = Annotated[service.Scope, Depends(scope)]


@router.get(
    "/ownership",
    summary="Ownership gaps, handoffs between teams, and touchpoints per owner",
    description="A handoff is two consecutive touchpoints of a journey (stage order, then card "
    "order) owned by different teams; a touchpoint without a team is a gap, not a handoff.",
)
def ownership_report(session: SessionDep, _: Reader, scope: ScopeDep) -> OwnershipReport:
    return service.ownership(session=session, scope=scope)


@router.get("/reviews", summary="Journeys overdue for review")
def reviews_report(
    session: SessionDep,
    _: Reader,
    scope: ScopeDep,
    as_of: Annotated[IsoDate | None, Query(description="Default: today (UTC).")] = None,
) -> ReviewsReport:
    return service.reviews(session=session, as_of=as_of or utcnow().date(), scope=scope)


@router.get("/standards", summary="Touchpoints with no experience standard or no target")
def standards_report(session: SessionDep, _: Reader, scope: ScopeDep) -> StandardsReport:
    return service.standards(session=session, scope=scope)
