"""The public, key-less endpoints respondents' browsers call."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response, status
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from cxshared.db import begin_write
from cxshared.deps import LateSessionDep, OutboxDep, SessionDep, outbox_of
from cxshared.problems import Problem
from cxshared.ratelimit import count
from cxshared.timeutil import utcnow
from feedback.dependencies import PolicyDep, group_commit_of, policy_of
from feedback.ratelimits import count_in, limits_of, public_rate_limit
from feedback.responses import capture
from feedback.responses.schemas import SubmissionContinue, SubmissionCreate, SubmissionResult

router = APIRouter(prefix="/public", tags=["public"], dependencies=[Depends(public_rate_limit)])

PUBLIC_FIELDS = (
    "key",
    "type",
    "prompt",
    "help",
    "required",
    "show_if",
    "scale",
    "choices",
    "max_length",
    "max_selected",
)


class PublicSurvey(BaseModel):
    slug: str
    version: int
    title: str
    intro: str
    thank_you: str
    questions: list[dict[str, Any]]
    hidden_fields: list[str]
    allowed_origins: list[str] = Field(
        description="Origins whose pages may embed the survey (CSP frame-ancestors)."
    )
    accepting_responses: bool
    closed_reason: str | None = Field(
        description="paused, closed, not_open_yet or full; null while answers are taken."
    )


def _result(response: Any, thank_you: str) -> SubmissionResult:
    result = SubmissionResult.model_validate(response, from_attributes=True)
    if response.status == "complete":
        result.thank_you = thank_you
    return result


@router.get(
    "/surveys/{slug}",
    response_model=PublicSurvey,
    summary="The published survey, as a respondent's page needs it",
    description="Carries an `ETag`; a request whose `If-None-Match` names it gets 304 and no "
    "body, so a page that caches the definition only revalidates it.",
    responses={304: {"description": "Unchanged since the ETag in If-None-Match."}},
)
def get_public_survey(
    slug: str,
    session: SessionDep,
    response: Response,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match", max_length=200)] = None,
) -> Any:
    survey, version = capture.published(session, slug)
    reason = capture.closed_reason(session, survey, utcnow())
    definition = version.definition
    # The open/closed state is part of what a page shows, so it is part of the tag.
    etag = f'"{version.number}.{survey.version}.{reason or "open"}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if if_none_match is not None and etag in (t.strip() for t in if_none_match.split(",")):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    response.headers.update(headers)
    return PublicSurvey(
        slug=survey.slug,
        version=version.number,
        title=definition["title"],
        intro=definition["intro"],
        thank_you=definition["thank_you"],
        questions=[{k: q[k] for k in PUBLIC_FIELDS if k in q} for q in definition["questions"]],
        hidden_fields=definition["hidden_fields"],
        allowed_origins=survey.allowed_origins,
        accepting_responses=reason is None,
        closed_reason=reason,
    )


@router.post(
    "/surveys/{slug}/responses",
    status_code=status.HTTP_201_CREATED,
    response_model=SubmissionResult,
    responses={
        200: {
            "description": "A retry: the first result, nothing new stored.",
            "model": SubmissionResult,
        }
    },
    summary="Answer a survey (exactly once per submission id)",
)
async def submit_response(
    slug: str, body: SubmissionCreate, session: LateSessionDep, request: Request, response: Response
) -> Any:
    client_ip = request.client.host if request.client else None
    refused: Problem | None = None
    prepared: capture.Prepared | None = None
    try:
        prepared = capture.prepare(session=session, slug=slug, body=body, client_ip=client_ip)
    except Problem as problem:
        refused = problem
    session.commit()  # the reads end here; the writes go with the others arriving now
    outbox, policy, limits = outbox_of(request), policy_of(request), limits_of(request)

    def write(session: Session) -> tuple[Any, bool] | None:
        """The capture's writes: the response and its event, then the rate-limit counts.
        A refused request counts against the limits too (and stores nothing else)."""
        if refused is not None:
            count(session, limits)
            return None
        assert prepared is not None
        stored = capture.store(session=session, outbox=outbox, policy=policy, prepared=prepared)
        # Counted last: every capture updates the same two counter rows, which PostgreSQL
        # keeps locked from the update to the commit.
        count(session, limits)
        return stored

    try:
        written = await group_commit_of(request).run(write)
    except OperationalError:
        # PostgreSQL: a row lock not granted within the bound (see try_begin_write).
        raise Problem(
            503,
            "unavailable",
            "Service unavailable",
            "Too busy to save this answer; send it again in a moment.",
            headers={"Retry-After": "1"},
        ) from None
    if written is None:
        assert refused is not None
        raise refused
    stored, created = written
    if not created:
        response.status_code = status.HTTP_200_OK
    assert prepared is not None
    return _result(stored, prepared.thanks)


@router.patch(
    "/surveys/{slug}/responses/{response_id}",
    response_model=SubmissionResult,
    summary="Continue a partial response, from any device, with its resume token",
)
def continue_response(
    slug: str,
    response_id: str,
    body: SubmissionContinue,
    session: LateSessionDep,
    request: Request,
    outbox: OutboxDep,
    policy: PolicyDep,
    resume_token: Annotated[str, Header(alias="X-Resume-Token", max_length=100)],
) -> Any:
    begin_write(session)
    count_in(session, request)
    stored, thank_you = capture.resume(
        session=session,
        outbox=outbox,
        policy=policy,
        slug=slug,
        response_id=response_id,
        token=resume_token,
        body=body,
    )
    session.commit()
    return _result(stored, thank_you)
