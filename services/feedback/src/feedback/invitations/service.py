import secrets
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlmodel import Session, col, select

from cxshared.db import new_row
from cxshared.pagination import PageParams, paginate
from cxshared.problems import Problem
from cxshared.timeutil import as_utc, utcnow
from feedback.fatigue import service as fatigue
from feedback.fatigue.models import Contact, ContactKind
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
    invitees = []
    created, skipped, seen = [], [], set()
    for invitee in batch.respondents:
        if invitee.external_id in seen:
            skipped.append(Skipped(external_id=invitee.external_id, reason="duplicate_in_batch"))
            continue
        seen.add(invitee.external_id)
        if invitee.external_id in already:
            skipped.append(Skipped(external_id=invitee.external_id, reason="already_invited"))
            continue
        invitees.append(invitee)
    verdicts = fatigue.eligibilities(
        session=session, survey=survey, respondents=[i.external_id for i in invitees], now=now
    )
    expires_at = now + timedelta(days=batch.expires_in_days)
    invitations, contacts = [], []
    for invitee in invitees:
        verdict = verdicts[invitee.external_id]
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
        invitation = new_row(
            Invitation,
            survey_id=survey.id,
            token=secrets.token_urlsafe(16),  # 128 random bits
            unsubscribe_token=secrets.token_urlsafe(16),
            external_id=invitee.external_id,
            email=invitee.email,
            attributes=invitee.attributes,
            channel=batch.channel,
            expires_at=expires_at,
            created_at=now,
        )
        invitations.append(invitation)
        contacts.append(
            fatigue.contact_row(
                respondent=invitee.external_id,
                survey_id=survey.id,
                channel=batch.channel,
                kind=ContactKind.INVITED,
                at=now,
            )
        )
        created.append(
            InvitationCreated(
                id=invitation["id"],
                external_id=invitee.external_id,
                token=invitation["token"],
                link=f"/s/{survey.slug}?t={invitation['token']}",
                expires_at=expires_at,
            )
        )
    # Core inserts of the whole batch: one statement per table (up to 5,000 people).
    if invitations:
        session.execute(insert(Invitation.__table__), invitations)  # type: ignore[attr-defined]
        session.execute(insert(Contact.__table__), contacts)  # type: ignore[attr-defined]
    return InvitationBatchResult(created=created, skipped=skipped)
