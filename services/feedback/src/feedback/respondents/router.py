from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from cxshared.auth import Admin, Reader
from cxshared.deps import OutboxDep, SessionDep
from cxshared.types import IsoDateTime
from feedback.respondents import service
from feedback.respondents.schemas import Erasure, Timeline

router = APIRouter(prefix="/respondents", tags=["privacy"])


@router.post(
    "/{external_id}/erase",
    response_model=Erasure,
    summary="Erase a respondent: responses, invitations and the events that carried them",
    description="Every response (by the id and by any email address it was seen with), every "
    "invitation and every outbox event naming the respondent is deleted, in one transaction. "
    "`respondent.erased` is published so that metrics and webhook receivers erase too; it is "
    "itself deleted once every destination has it. Erasing someone unknown succeeds (0 rows).",
)
def erase_respondent(
    external_id: Annotated[str, Path(max_length=200, pattern=r"^[^\x00]+$")],
    session: SessionDep,
    _: Admin,
    outbox: OutboxDep,
) -> Any:
    erasure = service.erase(session=session, outbox=outbox, external_id=external_id)
    session.commit()
    return erasure


@router.get(
    "/{external_id}/timeline",
    response_model=Timeline,
    summary="Everything known about a respondent, newest first",
    description="Answers with their comments, invitations, cases, case notes and the contact "
    "log, across surveys and channels, newest first (by time, then id). `cursor` (the previous "
    "page's `next_cursor`) pages back without skipping or repeating entries made at the same "
    "moment; `before` starts at a time instead. An erased respondent has an empty timeline.",
)
def respondent_timeline(
    external_id: Annotated[str, Path(max_length=200, pattern=r"^[^\x00]+$")],
    session: SessionDep,
    _: Reader,
    before: Annotated[
        IsoDateTime | None, Query(description="Only entries older than this.")
    ] = None,
    cursor: Annotated[
        str | None, Query(max_length=500, description="The previous page's `next_cursor`.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Any:
    start = service.position(before=before, cursor=cursor)
    return service.timeline(session, external_id=external_id, start=start, limit=limit)
