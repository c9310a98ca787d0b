"""Erasing a respondent: every trace in feedback goes, and the erasure is announced. A
respondent's timeline: everything feedback knows about one customer, newest first, across
surveys and channels (answers with their comments, invitations, cases, their notes and the
contact log), so that no one asks the customer to repeat themselves; erasure deletes every row
it reads, so an erased respondent has none."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, and_, col, delete, or_, select

from cxshared.events.models import OutboxEvent
from cxshared.events.outbox import Outbox
from cxshared.idempotency import IdempotencyRecord
from cxshared.mail.models import MailMessage
from cxshared.pagination import decode_cursor, encode_cursor, invalid_cursor
from cxshared.timeutil import as_utc, utcnow
from feedback.cases import service as cases
from feedback.cases.models import Case, CaseContact, CaseNote
from feedback.fatigue.models import Contact
from feedback.invitations.models import Invitation
from feedback.mailing.models import InvitationMail
from feedback.respondents.schemas import Erasure
from feedback.responses.models import Response
from feedback.surveys.models import Survey

ERASED = "respondent.erased"


def erase(*, session: Session, outbox: Outbox, external_id: str) -> Erasure:
    """Deletes the respondent's responses, cases, invitations and their mail, contact ledger
    (an unsubscribe too), and the events and replayable answers that carried them.

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
    # Their invitation mail: each step, and every message to their addresses (its body holds
    # their name and link), queued or sent.
    session.exec(
        delete(InvitationMail).where(
            col(InvitationMail.invitation_id).in_([i.id for i in invitations])
        )
    )
    if emails:
        session.exec(delete(MailMessage).where(col(MailMessage.to_address).in_(emails)))
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


@dataclass(frozen=True)
class Position:
    """Where a page ends: entries older than `at`, or at `at` with a smaller id (the order
    is (at, id), newest first, so entries at the same time are neither skipped nor repeated)."""

    at: datetime
    id: str | None = None  # None: everything at `at` is on the next page's other side

    def before(self, at: Any, id_: Any) -> Any:
        """The SQL condition for rows (at, id) past this position."""
        if self.id is None:
            return at < self.at
        return or_(at < self.at, and_(at == self.at, id_ < self.id))

    def admits(self, at: datetime, id_: str) -> bool:
        at = as_utc(at)
        return at < self.at or (at == self.at and self.id is not None and id_ < self.id)


def position(*, before: datetime | None, cursor: str | None) -> Position | None:
    if cursor is not None:
        at, id_ = decode_cursor(cursor, 2)
        try:
            return Position(as_utc(datetime.fromisoformat(str(at))), str(id_))
        except ValueError:
            raise invalid_cursor() from None
    return Position(as_utc(before)) if before is not None else None


def timeline(
    session: Session, *, external_id: str, start: Position | None, limit: int
) -> dict[str, Any]:
    """The newest `limit` entries past `start`. Each source is read newest first and at most
    `limit + 1` rows, so a long history costs no more than a short one."""
    take = limit + 1
    entries = [
        *_responses(session, external_id, start, take),
        *_invitations(session, external_id, start, take),
        *_cases(session, external_id, start, take),
    ]
    entries.sort(key=lambda e: (as_utc(e["at"]), e["id"]), reverse=True)
    titles = _survey_titles(session, {e["survey_id"] for e in entries if e.get("survey_id")})
    for entry in entries:
        entry["survey_title"] = titles.get(entry.get("survey_id") or "")
    more = len(entries) > limit
    items = entries[:limit]
    last = items[-1] if more and items else None
    return {
        "respondent_external_id": external_id,
        "items": items,
        "next_cursor": encode_cursor([as_utc(last["at"]).isoformat(), last["id"]])
        if last
        else None,
    }


def _older(at: Any, id_: Any, start: Position | None) -> list[Any]:
    return [start.before(at, id_)] if start is not None else []


def _responses(
    session: Session, external_id: str, start: Position | None, take: int
) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Response)
        .where(
            Response.respondent_external_id == external_id,
            *_older(col(Response.submitted_at), col(Response.id), start),
        )
        .order_by(col(Response.submitted_at).desc(), col(Response.id).desc())
        .limit(take)
    ).all()
    return [
        {
            "kind": "response",
            "at": r.submitted_at,
            "id": r.id,
            "survey_id": r.survey_id,
            "summary": _scores_line(_scores(r.answers)) or f"Answered ({r.status})",
            "text": r.comment,
            "status": r.status,
            "scores": _scores(r.answers),
            "channel": r.channel,
        }
        for r in rows
    ]


def _scores(answers: dict[str, Any]) -> dict[str, int]:
    return {
        key: value
        for key, value in answers.items()
        if isinstance(value, int) and not isinstance(value, bool)
    }


def _scores_line(scores: dict[str, int]) -> str:
    return ", ".join(f"{key} {value}" for key, value in scores.items())


def _invitations(
    session: Session, external_id: str, start: Position | None, take: int
) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Invitation)
        .where(
            Invitation.external_id == external_id,
            *_older(col(Invitation.created_at), col(Invitation.id), start),
        )
        .order_by(col(Invitation.created_at).desc(), col(Invitation.id).desc())
        .limit(take)
    ).all()
    return [
        {
            "kind": "invitation",
            "at": i.created_at,
            "id": i.id,
            "survey_id": i.survey_id,
            "summary": f"Invited ({i.status})",
            "status": i.status,
            "channel": i.channel,
        }
        for i in rows
    ]


def _cases(
    session: Session, external_id: str, start: Position | None, take: int
) -> list[dict[str, Any]]:
    cases = session.exec(
        select(Case)
        .where(Case.respondent_external_id == external_id)
        .order_by(col(Case.opened_at).desc(), col(Case.id).desc())
    ).all()
    ids = [c.id for c in cases]
    entries = [
        {
            "kind": "case",
            "at": c.opened_at,
            "id": c.id,
            "case_id": c.id,
            "survey_id": c.survey_id,
            "summary": c.title,
            "text": c.resolution,
            "status": c.state,
        }
        for c in cases
        if start is None or start.admits(c.opened_at, c.id)
    ][:take]
    if not ids:
        return entries
    notes = session.exec(
        select(CaseNote)
        .where(
            col(CaseNote.case_id).in_(ids),
            *_older(col(CaseNote.created_at), col(CaseNote.id), start),
        )
        .order_by(col(CaseNote.created_at).desc(), col(CaseNote.id).desc())
        .limit(take)
    ).all()
    entries += [
        {
            "kind": "note",
            "at": n.created_at,
            "id": n.id,
            "case_id": n.case_id,
            "summary": "Note",
            "text": n.body,
            "author": n.author,
        }
        for n in notes
    ]
    contacts = session.exec(
        select(CaseContact)
        .where(
            col(CaseContact.case_id).in_(ids),
            *_older(col(CaseContact.contacted_at), col(CaseContact.id), start),
        )
        .order_by(col(CaseContact.contacted_at).desc(), col(CaseContact.id).desc())
        .limit(take)
    ).all()
    entries += [
        {
            "kind": "contact",
            "at": c.contacted_at,
            "id": c.id,
            "case_id": c.case_id,
            "summary": f"Contact by {c.channel}: {c.outcome}".replace("_", " "),
            "text": c.note,
            "channel": c.channel,
            "author": c.author,
        }
        for c in contacts
    ]
    return entries


def _survey_titles(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = session.exec(select(Survey.id, Survey.title).where(col(Survey.id).in_(ids))).all()
    return dict(rows)
