from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status

from cxshared.auth import Reader
from cxshared.crud import get_or_404
from cxshared.deps import SessionDep
from journey.common.context import WriteCtx
from journey.dependencies import PageDep
from journey.journeys.models import Journey
from journey.journeys.schemas_document import JourneyDocument
from journey.journeys.service import build_document
from journey.versions import service
from journey.versions.compare import compare
from journey.versions.models import JourneyVersion
from journey.versions.restore import restore_version
from journey.versions.schemas import (
    VersionComparison,
    VersionPage,
    VersionRead,
    VersionRestore,
    VersionSummary,
)

router = APIRouter(prefix="/journeys/{journey_id}/versions", tags=["versions"])

Number = Annotated[int, Path(ge=1, le=1_000_000, description="The version's number.")]


def _read(version: JourneyVersion) -> VersionRead:
    summary = VersionSummary.model_validate(version, from_attributes=True)
    return VersionRead.model_validate({**summary.model_dump(), "map": version.snapshot})


@router.get(
    "",
    response_model=VersionPage,
    summary="The journey's map versions, newest first",
    description="A version is kept when the journey is published (becomes `live`) and, while it "
    "is live, once a day in which its journey, stages or touchpoints changed (the day's last "
    "state). Drafts and archived journeys keep none.",
)
def list_versions(journey_id: str, session: SessionDep, _: Reader, params: PageDep) -> Any:
    items, cursor = service.list_versions(session=session, journey_id=journey_id, params=params)
    return VersionPage(items=items, next_cursor=cursor)


@router.get(
    "/compare",
    response_model=VersionComparison,
    summary="What changed between two versions",
    description="Touchpoints added, removed, moved and re-owned; standards, targets and names "
    "changed; stages added, removed and changed. Without `to_version`, the version is compared "
    "with the journey as it is now.",
)
def compare_versions(
    journey_id: str,
    session: SessionDep,
    _: Reader,
    from_version: Annotated[int, Query(ge=1, le=1_000_000)],
    to_version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> Any:
    before = service.get_version(session, journey_id, from_version).snapshot
    if to_version is None:
        after = service.take_snapshot(session, get_or_404(session, Journey, journey_id))
    else:
        after = service.get_version(session, journey_id, to_version).snapshot
    return {"from_version": from_version, "to_version": to_version, **compare(before, after)}


@router.get("/{number}", response_model=VersionRead, summary="One version, with its map")
def get_version(journey_id: str, number: Number, session: SessionDep, _: Reader) -> Any:
    return _read(service.get_version(session, journey_id, number))


@router.post(
    "/{number}/restore",
    status_code=status.HTTP_201_CREATED,
    response_model=JourneyDocument,
    summary="Restore a version as a new draft journey",
    description="The draft holds the version's stages and touchpoints (owners, standards, "
    "targets) and links to this journey by `origin_journey_id`; publishing it is a separate, "
    "deliberate step. Teams or a persona deleted since are left empty.",
)
def restore(journey_id: str, number: Number, body: VersionRestore, ctx: WriteCtx) -> Any:
    copy = restore_version(ctx=ctx, journey_id=journey_id, number=number, body=body)
    ctx.session.commit()
    return build_document(ctx.session, copy)
