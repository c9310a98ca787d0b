from typing import Annotated, Any

from fastapi import APIRouter, Path

from cxshared.auth import Admin
from cxshared.deps import OutboxDep, SessionDep
from feedback.respondents import service
from feedback.respondents.schemas import Erasure

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
