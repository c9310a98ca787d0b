"""Erasing a respondent: every trace in feedback goes, and the erasure is announced. A
respondent's timeline: everything feedback knows about one customer, newest first, across
surveys and channels (answers with their comments, invitations, cases, their notes and the
contact log), so that no one asks the customer to repeat themselves; erasure deletes every row
it reads, so an erased respondent has none."""

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, delete, or_, select

from cxshared.events.models import OutboxEvent
from cxshared.events.outbox import Outbox
from cxshared.idempotency import IdempotencyRecord
from cxshared.timeutil import utcnow
from feedback.cases import service as cases
from feedback.cases.models import Case, CaseContact, CaseNote
from feedback.fatigue.models import Contact
from feedback.invitations.models import Invitation
from feedback.respondents.schemas import Erasure
from feedback.responses.models import Response
from feedback.surveys.models import Survey

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


def timeline(
    session: Session, *, external_id: str, before: datetime | None, limit: int
) -> dict[str, Any]:
    """The newest `limit` entries older than `before`. Each source is read newest first and
    at most `limit + 1` rows, so a long history costs no more than a short one."""
    take = limit + 1
    entries = [
        *_responses(session, external_id, before, take),
        *_invitations(session, external_id, before, take),
        *_cases(session, external_id, before, take),
    ]
    entries.sort(key=lambda e: (e["at"], e["id"]), reverse=True)
    titles = _survey_titles(session, {e["survey_id"] for e in entries if e.get("survey_id")})
    for entry in entries:
        entry["survey_title"] = titles.get(entry.get("survey_id") or "")
    more = len(entries) > limit
    items = entries[:limit]
    return {
        "respondent_external_id": external_id,
        "items": items,
        "next_before": items[-1]["at"] if more and items else None,
    }


def _older(column: Any, before: datetime | None) -> list[Any]:
    return [column < before] if before is not None else []


def _responses(
    session: Session, external_id: str, before: datetime | None, take: int
) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Response)
        .where(
            Response.respondent_external_id == external_id,
            *_older(col(Response.submitted_at), before),
        )
        .order_by(col(Response.submitted_at).desc())
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
    session: Session, external_id: str, before: datetime | None, take: int
) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Invitation)
        .where(Invitation.external_id == external_id, *_older(col(Invitation.created_at), before))
        .order_by(col(Invitation.created_at).desc())
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
    session: Session, external_id: str, before: datetime | None, take: int
) -> list[dict[str, Any]]:
    cases = session.exec(
        select(Case)
        .where(Case.respondent_external_id == external_id)
        .order_by(col(Case.opened_at).desc())
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
        if before is None or c.opened_at < before
    ][:take]
    if not ids:
        return entries
    notes = session.exec(
        select(CaseNote)
        .where(col(CaseNote.case_id).in_(ids), *_older(col(CaseNote.created_at), before))
        .order_by(col(CaseNote.created_at).desc())
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
        .where(col(CaseContact.case_id).in_(ids), *_older(col(CaseContact.contacted_at), before))
        .order_by(col(CaseContact.contacted_at).desc())
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
