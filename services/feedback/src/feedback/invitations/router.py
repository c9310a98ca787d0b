from typing import Any

from fastapi import APIRouter, Depends, Request, status

from cxshared.auth import Reader, Writer
from cxshared.crud import get_or_404
from cxshared.deps import MailerDep, SessionDep
from feedback.dependencies import PageDep, settings_of
from feedback.invitations import service
from feedback.invitations.models import Invitation, InvitationStatus
from feedback.invitations.schemas import (
    InvitationBatch,
    InvitationBatchResult,
    InvitationPage,
    InvitationRead,
    OpenedInvitation,
)
from feedback.mailing import service as mailing
from feedback.ratelimits import public_rate_limit
from feedback.surveys.models import Survey

router = APIRouter(tags=["invitations"])


def _read(invitation: Invitation) -> InvitationRead:
    read = InvitationRead.model_validate(invitation, from_attributes=True)
    read.status = InvitationStatus(service.effective_status(invitation))
    return read


@router.post(
    "/surveys/{survey_id}/invitations",
    status_code=status.HTTP_201_CREATED,
    response_model=InvitationBatchResult,
    summary="Invite a list of respondents; each gets a personal link (shown only now)",
    description="When the survey's e-mail delivery is on (PUT /v1/surveys/{id}/email), each "
    "invitation with channel `email` and an address is mailed: its message is queued in the "
    "same transaction and the invitation reads `queued`, then `sent` once the SMTP server "
    "accepted it or `bounced` (`mail` says what was queued; `not_configured` when the service "
    "has no SMTP server, and then nothing is queued).",
)
def create_invitations(
    survey_id: str,
    body: InvitationBatch,
    session: SessionDep,
    request: Request,
    mailer: MailerDep,
    _: Writer,
) -> Any:
    survey = get_or_404(session, Survey, survey_id, lock=True)
    result = service.create_batch(session=session, survey=survey, batch=body)
    # In the same transaction: the invitations and their mail are stored together or not at all.
    result.mail = mailing.mail_batch(
        session,
        mailer=mailer,
        settings=settings_of(request),
        survey=survey,
        invitation_ids=[created.id for created in result.created],
    )
    session.commit()
    return result


@router.get("/surveys/{survey_id}/invitations", response_model=InvitationPage)
def list_invitations(survey_id: str, session: SessionDep, _: Reader, params: PageDep) -> Any:
    get_or_404(session, Survey, survey_id)
    rows, cursor = service.list_invitations(session=session, survey_id=survey_id, params=params)
    return InvitationPage(items=[_read(r) for r in rows], next_cursor=cursor)


public_router = APIRouter(
    prefix="/public", tags=["public"], dependencies=[Depends(public_rate_limit)]
)


@public_router.post(
    "/invitations/{token}/open",
    response_model=OpenedInvitation,
    summary="Record that an invitation link was opened; says which survey it is for",
)
def open_invitation(token: str, session: SessionDep) -> Any:
    invitation, survey = service.open_invitation(session=session, token=token)
    session.commit()
    return OpenedInvitation(
        survey_slug=survey.slug, status=InvitationStatus(service.effective_status(invitation))
    )
