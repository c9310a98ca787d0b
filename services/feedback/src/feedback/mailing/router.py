from typing import Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse
from sqlmodel import select

from cxshared.auth import Reader, Writer
from cxshared.crud import get_or_404
from cxshared.db import begin_write
from cxshared.deps import LateSessionDep, MailerDep, OutboxDep, SessionDep
from cxshared.problems import Problem
from feedback.dependencies import PolicyDep, settings_of
from feedback.invitations.models import Invitation
from feedback.mailing import service
from feedback.mailing.models import SurveyEmail
from feedback.mailing.schemas import (
    EmailSettings,
    EmailSettingsUpdate,
    FirstAnswer,
    Preview,
    PreviewRequest,
    TestMailRequest,
    TestMailResult,
    UnsubscribeInfo,
    UnsubscribeResult,
)
from feedback.ratelimits import count_in, public_rate_limit
from feedback.responses import capture
from feedback.responses.models import Response
from feedback.responses.schemas import Channel, SubmissionCreate, SubmissionResult
from feedback.surveys.models import Survey

router = APIRouter(prefix="/surveys/{survey_id}/email", tags=["invitations"])

# Preview links when FEEDBACK_PUBLIC_URL is not set yet.
PLACEHOLDER_BASE = "https://surveys.example.com"


def _base(request: Request) -> str:
    return settings_of(request).public_url or PLACEHOLDER_BASE


@router.get("", response_model=EmailSettings, summary="The survey's e-mail delivery settings")
def get_email_settings(
    survey_id: str, session: SessionDep, request: Request, mailer: MailerDep, _: Reader
) -> Any:
    get_or_404(session, Survey, survey_id)
    row = service.get_settings(session, survey_id)
    reason = service.not_configured(settings_of(request), mailer)
    return service.read_settings(row, reason, saved=session.get(SurveyEmail, survey_id) is not None)


@router.put(
    "",
    response_model=EmailSettings,
    summary="Set the survey's e-mail delivery: on or off, templates, reminders",
    description="Templates are checked before they are saved: one that does not parse, names "
    "an unknown variable, reaches past its values (`{{ ''.__class__ }}`, `{{ config }}`, "
    "`{% import %}`), is too long, or renders a subject with a line break is refused with 422 "
    "saying which and why (docs/email.md).",
)
def put_email_settings(
    survey_id: str,
    body: EmailSettingsUpdate,
    session: SessionDep,
    request: Request,
    mailer: MailerDep,
    _: Writer,
) -> Any:
    survey = get_or_404(session, Survey, survey_id, lock=True)
    row = service.save_settings(session, survey, body, _base(request))
    session.commit()
    reason = service.not_configured(settings_of(request), mailer)
    return service.read_settings(row, reason, saved=True)


@router.post(
    "/preview",
    response_model=Preview,
    summary="The mail as a sample invitee would get it (the saved templates, or those sent)",
)
def preview_email(
    survey_id: str, body: PreviewRequest, session: SessionDep, request: Request, _: Writer
) -> Any:
    survey = get_or_404(session, Survey, survey_id)
    return service.preview(session, survey, body, _base(request))


@router.post(
    "/test",
    response_model=TestMailResult,
    status_code=status.HTTP_202_ACCEPTED,
    summary='Send the survey\'s mail to one address to look at ("send me a test")',
    description="Rendered for a sample invitee, from the saved templates or those sent, and "
    "queued like any mail, its subject marked `[Test]`; its links are samples that lead "
    "nowhere. 409 `mail-not-configured` when the service has no SMTP server; 422 for "
    "templates or an address that cannot be mailed.",
)
def send_test_mail(
    survey_id: str,
    body: TestMailRequest,
    session: SessionDep,
    request: Request,
    mailer: MailerDep,
    _: Writer,
) -> Any:
    survey = get_or_404(session, Survey, survey_id)
    message_id = service.send_test(session, mailer, survey, body, _base(request))
    session.commit()
    return TestMailResult(to=body.to, message_id=message_id)


public_router = APIRouter(
    prefix="/public", tags=["public"], dependencies=[Depends(public_rate_limit)]
)


@public_router.get(
    "/unsubscribe/{token}",
    response_model=UnsubscribeInfo,
    summary="What an unsubscribe link is for (reading it changes nothing)",
    description="Mail scanners open links: only the POST unsubscribes.",
)
def get_unsubscribe(token: str, session: SessionDep) -> Any:
    address, unsubscribed = service.unsubscribe_info(session, token)
    return UnsubscribeInfo(address=address, unsubscribed=unsubscribed)


@public_router.post(
    "/unsubscribe/{token}",
    response_model=UnsubscribeResult,
    summary="Stop all survey mail to this person, from every survey (no sign-in)",
    description="The target of the mail's one-click `List-Unsubscribe-Post` (RFC 8058, any "
    "body) and of the page its visible link opens. Recorded in the contact ledger: no "
    "invitation or reminder is mailed to the person again, and eligibility says "
    "`unsubscribed`. Doing it again changes nothing.",
)
def post_unsubscribe(token: str, session: SessionDep) -> Any:
    stopped = service.unsubscribe(session, token)
    session.commit()
    return UnsubscribeResult(stopped=stopped)


@public_router.post(
    "/mail-opened/{token}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Record that an invitation mail was shown (its tracking pixel, when opted in)",
)
def post_mail_opened(token: str, session: SessionDep) -> None:
    service.record_mail_opened(session, token)
    session.commit()


@public_router.post(
    "/invitations/{token}/first-answer",
    response_model=SubmissionResult,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "Answered before: that response, unchanged."}},
    summary="Record the score clicked in an invitation mail (exactly once per invitation)",
    description="The first question of an NPS survey, answered from the mail's links 0-10, "
    "through the same capture as any answer: a partial response; its `resume_token` continues "
    "it (PATCH). Another click, or a click after answering, returns the response as it is.",
)
def post_first_answer(
    token: str,
    body: FirstAnswer,
    session: LateSessionDep,
    request: Request,
    outbox: OutboxDep,
    policy: PolicyDep,
) -> Any:
    begin_write(session)
    count_in(session, request)
    invitation = session.exec(select(Invitation).where(Invitation.token == token)).first()
    if invitation is None:
        raise Problem(
            404, "invitation-not-found", "Not found", "This invitation link is not valid."
        )
    earlier = session.exec(select(Response).where(Response.invitation_id == invitation.id)).first()
    survey = session.get(Survey, invitation.survey_id)
    assert survey is not None
    if earlier is None:
        key = service.first_nps(session, survey)
        if key is None:
            raise Problem(
                409, "no-nps-first", "No score to record", "This survey does not start with NPS."
            )
        prepared = capture.prepare(
            session=session,
            slug=survey.slug,
            body=SubmissionCreate(
                submission_id=f"mail-{invitation.id}",
                invitation=token,
                answers={key: body.value},
                complete=False,
                channel=Channel.EMAIL,
            ),
            client_ip=request.client.host if request.client else None,
        )
        stored, created = capture.store(
            session=session, outbox=outbox, policy=policy, prepared=prepared
        )
        session.commit()
        if created:
            return SubmissionResult.model_validate(stored, from_attributes=True)
        earlier = session.get(Response, stored.id)
    session.commit()
    return _answered_before(earlier)


def _answered_before(response: Any) -> JSONResponse:
    result = SubmissionResult.model_validate(response, from_attributes=True)
    return JSONResponse(result.model_dump(mode="json"), status_code=status.HTTP_200_OK)
