import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from cxshared.pagination import PageParams, paginate
from cxshared.problems import Problem
from cxshared.timeutil import as_utc, utcnow
from feedback.fatigue import service as fatigue
from feedback.fatigue.models import ContactKind
from feedback.invitations.models import OPEN, UNOPENED, Invitation, InvitationStatus
from feedback.invitations.schemas import (
    InvitationBatch,
    InvitationBatchResult,
    InvitationCreated,
    Skipped,
)
from feedback.surveys.models import Survey


def effective_status(invitation: Invitation, now: datetime | None = None) -> str:
    """Expiry is a matter of time: an open invitation past its date reads as expired."""
    expires = invitation.expires_at
    if invitation.status in OPEN and expires is not None and as_utc(expires) <= (now or utcnow()):
        return InvitationStatus.EXPIRED
    return invitation.status


def list_invitations(
    *, session: Session, survey_id: str, params: PageParams
) -> tuple[list[Invitation], str | None]:
    return paginate(
        session,
        select(Invitation).where(Invitation.survey_id == survey_id),
        order_by=[Invitation.id],
        params=params,
    )


def open_invitation(*, session: Session, token: str) -> tuple[Invitation, Survey]:
    """The invitation with this token, marked opened if it was not yet, and its survey."""
    invitation = session.exec(select(Invitation).where(Invitation.token == token)).first()
    if invitation is None:
        raise Problem(
            404, "invitation-not-found", "Not found", "This invitation link is not valid."
        )
    if invitation.status in UNOPENED:
        invitation.status = InvitationStatus.OPENED
        invitation.opened_at = utcnow()
        session.add(invitation)
    survey = session.get(Survey, invitation.survey_id)
    assert survey is not None
    return invitation, survey


def create_batch(
    *, session: Session, survey: Survey, batch: InvitationBatch
) -> InvitationBatchResult:
    """One invitation per respondent; people with an open invitation to this survey are skipped."""
    now = utcnow()
    ids = [r.external_id for r in batch.respondents]
    already = {
        invitation.external_id
        for invitation in session.exec(
            select(Invitation).where(
                Invitation.survey_id == survey.id, col(Invitation.external_id).in_(ids)
            )
        ).all()
        if effective_status(invitation) in OPEN
    }
    created, skipped, seen = [], [], set()
    expires_at = now + timedelta(days=batch.expires_in_days)
    for invitee in batch.respondents:
        if invitee.external_id in seen:
            skipped.append(Skipped(external_id=invitee.external_id, reason="duplicate_in_batch"))
            continue
        seen.add(invitee.external_id)
        if invitee.external_id in already:
            skipped.append(Skipped(external_id=invitee.external_id, reason="already_invited"))
            continue
        verdict = fatigue.eligibility(
            session=session, survey=survey, respondent=invitee.external_id, now=now
        )
        if not verdict.eligible:
            block = verdict.blocked_by[0]
            skipped.append(
                Skipped(
                    external_id=invitee.external_id,
                    reason=f"fatigue:{block.rule}",
                    detail=block.detail
                    if block.until is None
                    else f"{block.detail} (until {block.until.isoformat()})",
                )
            )
            continue
        invitation = Invitation(
            survey_id=survey.id,
            token=secrets.token_urlsafe(16),  # 128 random bits
            unsubscribe_token=secrets.token_urlsafe(16),
            external_id=invitee.external_id,
            email=invitee.email,
            attributes=invitee.attributes,
            channel=batch.channel,
            expires_at=expires_at,
        )
        session.add(invitation)
        fatigue.record(
            session=session,
            respondent=invitee.external_id,
            survey_id=survey.id,
            channel=batch.channel,
            kind=ContactKind.INVITED,
        )
        created.append(
            InvitationCreated(
                id=invitation.id,
                external_id=invitation.external_id,
                token=invitation.token,
                link=f"/s/{survey.slug}?t={invitation.token}",
                expires_at=expires_at,
            )
        )
    return InvitationBatchResult(created=created, skipped=skipped)
