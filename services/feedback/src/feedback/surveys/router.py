from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status

from cxshared.auth import Reader, Writer
from cxshared.concurrency import IfMatch, set_etag
from cxshared.crud import get_or_404
from cxshared.deps import SessionDep
from cxshared.types import Identifier
from feedback.dependencies import PageDep
from feedback.responses import capture
from feedback.surveys import service
from feedback.surveys.models import Survey, SurveyStatus
from feedback.surveys.schemas import (
    SurveyCopy,
    SurveyCreate,
    SurveyPage,
    SurveyRead,
    SurveyUpdate,
    VersionRead,
)

router = APIRouter(prefix="/surveys", tags=["surveys"])


def _saved(session: Any, response: Response, survey: Survey) -> Survey:
    session.commit()
    capture.forget(session.get_bind())
    set_etag(response, survey.version)
    return survey


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SurveyRead)
def create_survey(
    body: SurveyCreate, session: SessionDep, principal: Writer, response: Response
) -> Any:
    survey = service.create_survey(session=session, body=body, actor=principal.actor)
    return _saved(session, response, survey)


@router.get("", response_model=SurveyPage)
def list_surveys(
    session: SessionDep,
    _: Reader,
    params: PageDep,
    survey_status: Annotated[SurveyStatus | None, Query(alias="status")] = None,
    touchpoint_id: Annotated[Identifier | None, Query()] = None,
) -> Any:
    items, cursor = service.list_surveys(
        session=session,
        params=params,
        filters={"status": survey_status, "touchpoint_id": touchpoint_id},
    )
    return SurveyPage(items=items, next_cursor=cursor)


@router.get("/{survey_id}", response_model=SurveyRead)
def get_survey(survey_id: str, session: SessionDep, _: Reader, response: Response) -> Any:
    survey = get_or_404(session, Survey, survey_id)
    set_etag(response, survey.version)
    return survey


@router.patch(
    "/{survey_id}",
    response_model=SurveyRead,
    summary="Change settings or questions (question changes reach respondents when published)",
)
def update_survey(
    survey_id: str,
    body: SurveyUpdate,
    session: SessionDep,
    principal: Writer,
    if_match: IfMatch,
    response: Response,
) -> Any:
    survey = service.update_survey(
        session=session, survey_id=survey_id, body=body, if_match=if_match, actor=principal.actor
    )
    return _saved(session, response, survey)


@router.post(
    "/{survey_id}/publish",
    response_model=SurveyRead,
    summary="Freeze the draft as the next version and make it what respondents answer",
)
def publish_survey(
    survey_id: str, session: SessionDep, principal: Writer, if_match: IfMatch, response: Response
) -> Any:
    survey = service.publish_survey(
        session=session, survey_id=survey_id, if_match=if_match, actor=principal.actor
    )
    return _saved(session, response, survey)


@router.post(
    "/{survey_id}/copy",
    status_code=status.HTTP_201_CREATED,
    response_model=SurveyRead,
    summary="Copy a survey with every setting and question, as a draft at a new slug",
)
def copy_survey(
    survey_id: str, body: SurveyCopy, session: SessionDep, principal: Writer, response: Response
) -> Any:
    survey = service.copy_survey(
        session=session, survey_id=survey_id, body=body, actor=principal.actor
    )
    return _saved(session, response, survey)


@router.delete(
    "/{survey_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a survey that has no responses (close one that has)",
)
def delete_survey(survey_id: str, session: SessionDep, _: Writer, if_match: IfMatch) -> None:
    service.delete_survey(session=session, survey_id=survey_id, if_match=if_match)
    session.commit()
    capture.forget(session.get_bind())  # type: ignore[arg-type]


@router.get("/{survey_id}/versions", response_model=list[VersionRead])
def list_versions(survey_id: str, session: SessionDep, _: Reader) -> Any:
    return service.versions(session=session, survey_id=survey_id)


@router.get("/{survey_id}/versions/{number}", response_model=VersionRead)
def get_version(
    survey_id: str,
    number: Annotated[int, Path(ge=1, le=1_000_000)],
    session: SessionDep,
    _: Reader,
) -> Any:
    return service.version(session=session, survey_id=survey_id, number=number)
