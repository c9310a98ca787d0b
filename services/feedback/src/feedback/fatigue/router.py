from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status

from cxshared.auth import Admin, Reader
from cxshared.deps import SessionDep
from feedback.fatigue import service
from feedback.fatigue.models import ContactKind
from feedback.fatigue.schemas import Eligibility, RuleCreate, RuleRead, Shown, ShownResult
from feedback.ratelimits import public_rate_limit
from feedback.responses.capture import published

router = APIRouter(prefix="/fatigue-rules", tags=["fatigue"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RuleRead,
    summary="Add a rule that holds across all surveys and channels",
)
def create_rule(body: RuleCreate, session: SessionDep, _: Admin) -> Any:
    rule = service.create_rule(session=session, body=body)
    session.commit()
    return rule


@router.get("", response_model=list[RuleRead])
def list_rules(session: SessionDep, _: Reader) -> Any:
    return service.list_rules(session=session)


@router.delete("/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(rule_id: str, session: SessionDep, _: Admin) -> None:
    service.delete_rule(session=session, rule_id=rule_id)
    session.commit()


public_router = APIRouter(
    prefix="/public/surveys", tags=["public"], dependencies=[Depends(public_rate_limit)]
)

RespondentId = Annotated[str, Query(min_length=1, max_length=200, pattern=r"^[^\x00]+$")]


@public_router.get(
    "/{slug}/eligibility",
    response_model=Eligibility,
    summary="May this person be asked this survey now? If not, which rule says so, until when",
)
def get_eligibility(slug: str, respondent: RespondentId, session: SessionDep) -> Any:
    survey, _ = published(session, slug)
    return service.eligibility(session=session, survey=survey, respondent=respondent)


@public_router.post(
    "/{slug}/shown",
    response_model=ShownResult,
    summary="Record that the survey was shown to a person (for fatigue rules)",
)
def record_shown(slug: str, body: Shown, session: SessionDep) -> Any:
    survey, _ = published(session, slug)
    service.record(
        session=session,
        respondent=body.respondent.external_id,
        survey_id=survey.id,
        channel=body.channel,
        kind=ContactKind.SHOWN,
    )
    session.commit()
    return ShownResult()
