"""Erasing a respondent: every trace in feedback goes, and the erasure is announced."""

from sqlmodel import Session, col, delete, or_, select

from cxshared.events.models import OutboxEvent
from cxshared.events.outbox import Outbox
from cxshared.idempotency import IdempotencyRecord
from cxshared.timeutil import utcnow
from feedback.cases import service as cases
from feedback.fatigue.models import Contact
from feedback.invitations.models import Invitation
from feedback.respondents.schemas import Erasure
from feedback.responses.models import Response

ERASED = "respondent.erased"


def erase(*, session: Session, outbox: Outbox, external_id: str) -> Erasure:
    """Deletes the respondent's responses, cases, invitations, contact ledger, and the events and
    replayable answers that carried them.

    Responses are found by the external id and by any email address it was seen with, so a
    response given by email alone goes too. `respondent.erased` tells metrics and webhook
    receivers to do the same; it is forgotten once every destination has it.
    """
    responses = session.exec(
        select(Response).where(Response.respondent_external_id == external_id)
    ).all()
    invitations = session.exec(
        select(Invitation).where(Invitation.external_id == external_id)
    ).all()
    emails = {r.respondent_email for r in responses} | {i.email for i in invitations}
    emails.discard(None)
    if emails:
        responses = session.exec(
            select(Response).where(
                or_(
                    Response.respondent_external_id == external_id,
                    col(Response.respondent_email).in_(emails),
                )
            )
        ).all()
    response_ids = [r.id for r in responses]
    # Their cases, with the notes, contact log and history of each, and the case events.
    case_ids = cases.erase(session, external_id=external_id, response_ids=response_ids)
    events = 0
    if case_ids:
        session.exec(delete(OutboxEvent).where(col(OutboxEvent.subject).in_(case_ids)))
    if response_ids:
        events = len(
            session.exec(
                select(OutboxEvent.id).where(col(OutboxEvent.subject).in_(response_ids))
            ).all()
        )
        session.exec(delete(OutboxEvent).where(col(OutboxEvent.subject).in_(response_ids)))
        session.exec(delete(Response).where(col(Response.id).in_(response_ids)))
    session.exec(delete(Invitation).where(col(Invitation.external_id) == external_id))
    session.exec(delete(Contact).where(col(Contact.respondent_external_id) == external_id))
    # Answers replayed for an Idempotency-Key (kept a day) may name them too.
    for needle in {external_id, *emails, *response_ids, *case_ids}:
        session.exec(delete(IdempotencyRecord).where(col(IdempotencyRecord.body).contains(needle)))
    outbox.publish(
        session,
        type=ERASED,
        subject=external_id,
        data={
            "respondent_external_id": external_id,
            "erased_at": utcnow().isoformat(),
            "response_ids": response_ids,
            "case_ids": case_ids,
        },
    )
    return Erasure(
        external_id=external_id,
        responses=len(response_ids),
        invitations=len(invitations),
        events=events,
    )
