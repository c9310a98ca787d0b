"""Capturing a response exactly once, judged by the server against the version answered."""

import secrets
import time
import weakref
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Engine, bindparam
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, func, select

from cxshared.db import new_row
from cxshared.events.outbox import Outbox
from cxshared.problems import Problem
from cxshared.timeutil import as_utc, utcnow
from feedback.cases import service as cases
from feedback.cases.sla import CasePolicy
from feedback.invitations.models import UNOPENED, Invitation, InvitationStatus
from feedback.responses.models import Response, ResponseStatus
from feedback.responses.schemas import SubmissionContinue, SubmissionCreate
from feedback.surveys.models import Survey, SurveyStatus, SurveyVersion
from feedback.surveys.questions import QuestionType, judge

# Published surveys, read on every answer, are kept for a second per process: a change made
# through another worker reaches this one within that second; one made through this worker
# at once (writes call `forget`).
CACHE_SECONDS = 1.0
# The statements a capture runs, built once: building one costs more than running it.
_RESPONSES = Response.__table__  # type: ignore[attr-defined]
# Returns the id it inserted, or no row where the answer is stored already (the rowcount of
# an insert that did nothing is not reported alike by every driver).
_INSERT_RESPONSE = {
    "sqlite": sqlite_insert(_RESPONSES).on_conflict_do_nothing().returning(_RESPONSES.c.id),
    "postgresql": postgresql_insert(_RESPONSES).on_conflict_do_nothing().returning(_RESPONSES.c.id),
}
_SUBMITTED = select(_RESPONSES.c.id).where(
    _RESPONSES.c.survey_id == bindparam("survey_id"),
    _RESPONSES.c.submission_id == bindparam("submission_id"),
)
_cache: "weakref.WeakKeyDictionary[Engine, dict[str, tuple[float, Survey, SurveyVersion]]]" = (
    weakref.WeakKeyDictionary()
)


def _insert_response(session: Session) -> Any:
    return _INSERT_RESPONSE[session.get_bind().dialect.name]


def forget(engine: Engine) -> None:
    _cache.pop(engine, None)


def published(session: Session, slug: str) -> tuple[Survey, SurveyVersion]:
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    entries = _cache.setdefault(engine, {})
    cached = entries.get(slug)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1], cached[2]
    survey = session.exec(select(Survey).where(Survey.slug == slug)).first()
    if survey is None or survey.published_version is None:
        raise Problem(404, "not-found", "Not found", f"No survey at /s/{slug}.")
    version = _version(session, survey.id, survey.published_version)
    session.expunge(survey)
    session.expunge(version)
    entries[slug] = (time.monotonic() + CACHE_SECONDS, survey, version)
    return survey, version


def _version(session: Session, survey_id: str, number: int) -> SurveyVersion:
    found = session.exec(
        select(SurveyVersion).where(
            SurveyVersion.survey_id == survey_id, SurveyVersion.number == number
        )
    ).one()
    return found


def closed_reason(session: Session, survey: Survey, now: datetime) -> str | None:
    """Why the survey takes no answers now, or None when it does."""
    return _scheduled_reason(survey, now) or _full_reason(session, survey)


def _scheduled_reason(survey: Survey, now: datetime) -> str | None:
    """Why the survey's status or dates refuse answers now (no database work)."""
    if survey.status == SurveyStatus.PAUSED:
        return "paused"
    if survey.status != SurveyStatus.ACTIVE:
        return "closed"
    if survey.opens_at and now < survey.opens_at:
        return "not_open_yet"
    if survey.closes_at and now >= survey.closes_at:
        return "closed"
    return None


def _full_reason(session: Session, survey: Survey) -> str | None:
    if survey.response_cap is not None:
        completed = session.exec(
            select(func.count())
            .select_from(Response)
            .where(Response.survey_id == survey.id, Response.status == ResponseStatus.COMPLETE)
        ).one()
        if completed >= survey.response_cap:
            return "full"
    return None


_CLOSED_DETAIL = {
    "paused": "This survey is paused; it takes no answers for now.",
    "closed": "This survey is closed.",
    "not_open_yet": "This survey is not open yet.",
    "full": "This survey has all the answers it needs.",
}


def _refuse_if_closed(session: Session, survey: Survey) -> None:
    _refuse(closed_reason(session, survey, utcnow()))


def _refuse(reason: str | None) -> None:
    if reason:
        raise Problem(
            409,
            f"survey-{reason.replace('_', '-')}",
            "Not taking answers",
            _CLOSED_DETAIL[reason],
            reason=reason,
        )


def _invalid(errors: list[dict[str, str]]) -> Problem:
    fields = ", ".join(e["field"] for e in errors)
    return Problem(
        422, "validation", "Invalid answers", f"Check these answers: {fields}.", errors=errors
    )


def _invitation(session: Session, survey: Survey, token: str) -> Invitation:
    invitation = session.exec(select(Invitation).where(Invitation.token == token)).first()
    if invitation is None or invitation.survey_id != survey.id:
        raise Problem(
            404, "invitation-not-found", "Not found", "This invitation link is not valid."
        )
    if invitation.expires_at and as_utc(invitation.expires_at) <= utcnow():
        raise Problem(
            409, "invitation-expired", "Invitation expired", "This invitation has expired."
        )
    return invitation


class NewResponse(SimpleNamespace):
    """A response not stored yet: its row's values as attributes, which is all that judging,
    the event and the result read. Built with `new_row`, not the table model, whose
    constructor cost more than the rest of a capture's database work."""


# A stored response or one about to be.
AnyResponse = Response | NewResponse


@dataclass
class Prepared:
    """An answer judged against its version and ready to store, or the earlier response with
    the same submission id."""

    survey: Survey
    version: SurveyVersion
    response: AnyResponse
    invitation: Invitation | None = None
    existing: Response | None = None

    @property
    def thanks(self) -> str:
        return str(self.version.definition["thank_you"])


def prepare(
    *, session: Session, slug: str, body: SubmissionCreate, client_ip: str | None
) -> Prepared:
    """Everything a capture needs that only reads: the survey, the invitation, the judged
    answers and the row to insert. It runs before the write transaction, so that SQLite's
    single writer is held only for the writes (`store`).

    Nearly every submission is new, so it is not looked up first: the insert's unique key
    finds a retry (`store`). A retry that would now be refused (the survey closed since, or
    the answers sent again differ) gets its first result instead of the refusal."""
    survey, version = published(session, slug)
    try:
        return _prepare_new(session, survey, version, body, client_ip)
    except Problem:
        existing = _by_submission(session, survey.id, body.submission_id)
        if existing is None:
            raise
        return Prepared(survey, version, existing, existing=existing)


def _prepare_new(
    session: Session,
    survey: Survey,
    version: SurveyVersion,
    body: SubmissionCreate,
    client_ip: str | None,
) -> Prepared:
    now = utcnow()
    _refuse(_scheduled_reason(survey, now))
    invitation = _invitation(session, survey, body.invitation) if body.invitation else None
    external_id = (
        invitation.external_id
        if invitation
        else (body.respondent.external_id if body.respondent else None)
    )
    email = invitation.email if invitation else (body.respondent.email if body.respondent else None)
    if external_id is None and not survey.allow_anonymous:
        raise Problem(
            422,
            "validation",
            "Invalid request",
            "This survey needs to know who answers.",
            errors=[
                {
                    "field": "respondent",
                    "location": "body",
                    "message": "required by this survey",
                    "code": "required",
                }
            ],
        )
    answers, errors = judge(version.definition["questions"], body.answers, complete=body.complete)
    if errors:
        raise _invalid(errors)
    per_invitation = invitation is not None and survey.one_response_per_invitation
    response = NewResponse(
        **new_row(
            Response,
            survey_id=survey.id,
            version=version.number,
            touchpoint_id=survey.touchpoint_id,
            submission_id=body.submission_id,
            response_key=(
                f"invitation:{invitation.id}"
                if per_invitation and invitation
                else f"submission:{survey.id}:{body.submission_id}"
            ),
            invitation_id=invitation.id if invitation else None,
            resume_token=secrets.token_urlsafe(24),
            hidden={
                k: v for k, v in body.hidden.items() if k in version.definition["hidden_fields"]
            },
            respondent_external_id=external_id,
            respondent_email=email,
            channel=invitation.channel if invitation else body.channel,
            flags=_flags(body, survey, now),
            client_ip=client_ip if survey.store_ip else None,
            started_at=now,
            submitted_at=now,
        )
    )
    _apply(response, answers, version, complete=body.complete, now=now)
    return Prepared(survey, version, response, invitation=invitation)


def store(
    *, session: Session, outbox: Outbox, policy: CasePolicy, prepared: Prepared
) -> tuple[AnyResponse, bool]:
    """Writes a prepared answer and its event, in the caller's write transaction: the response,
    and whether this call created it (False: a retry of an earlier one).

    The insert does nothing where the submission (or the invitation) is stored already,
    perhaps a moment ago by a request that ran at the same time, or earlier in the same group
    of writes: the first one stands, and no error ends the transaction the others share."""
    survey, response = prepared.survey, prepared.response
    if prepared.existing is not None:
        return prepared.existing, False
    try:
        _refuse(_full_reason(session, survey))
    except Problem:
        # Full now; a retry of an answer stored before it filled still gets its result.
        existing = _by_submission(session, survey.id, response.submission_id)
        if existing is not None:
            return existing, False
        raise
    if session.execute(_insert_response(session), vars(response)).first() is None:
        existing = _by_submission(session, survey.id, response.submission_id)
        if existing is not None:
            return existing, False
        raise Problem(
            409,
            "invitation-answered",
            "Already answered",
            "This invitation has been answered already.",
        )
    if prepared.invitation is not None:
        # Read again in the write transaction: it may have moved on since `prepare` read it.
        invitation = session.get(Invitation, prepared.invitation.id)
        if invitation is not None:
            _advance(invitation, response, response.submitted_at)
            session.add(invitation)
    _publish(session, outbox, policy, response, survey, prepared.version)
    return response, True


def resume(
    *,
    session: Session,
    outbox: Outbox,
    policy: CasePolicy,
    slug: str,
    response_id: str,
    token: str,
    body: SubmissionContinue,
) -> tuple[Response, str]:
    survey = session.exec(select(Survey).where(Survey.slug == slug)).first()
    response = session.get(Response, response_id, with_for_update=True)
    if (
        survey is None
        or response is None
        or response.survey_id != survey.id
        or not secrets.compare_digest(response.resume_token, token)
    ):
        raise Problem(404, "not-found", "Not found", "No such response to continue.")
    if response.status == ResponseStatus.COMPLETE:
        raise Problem(
            409,
            "already-complete",
            "Already complete",
            "This response is complete; it cannot change.",
        )
    _refuse_if_closed(session, survey)
    version = _version(session, survey.id, response.version)
    merged = {k: v for k, v in {**response.answers, **body.answers}.items() if v is not None}
    answers, errors = judge(version.definition["questions"], merged, complete=body.complete)
    if errors:
        raise _invalid(errors)
    now = utcnow()
    _apply(response, answers, version, complete=body.complete, now=now)
    response.submitted_at = now
    session.add(response)
    if response.invitation_id:
        invitation = session.get(Invitation, response.invitation_id)
        if invitation is not None:
            _advance(invitation, response, now)
            session.add(invitation)
    _publish(session, outbox, policy, response, survey, version)
    return response, version.definition["thank_you"]


def _by_submission(session: Session, survey_id: str, submission_id: str) -> Response | None:
    params = {"survey_id": survey_id, "submission_id": submission_id}
    # A plain-column query first: nearly every submission is new, and an ORM query costs
    # several times more even when it finds nothing.
    found = session.execute(_SUBMITTED, params).scalar()
    return None if found is None else session.get(Response, found)


def _flags(body: SubmissionCreate, survey: Survey, now: datetime) -> list[str]:
    flags = []
    if body.honeypot:
        flags.append("honeypot")
    rendered_at = body.rendered_at
    if body.complete and rendered_at is not None:
        seconds = (now - as_utc(rendered_at)).total_seconds()
        if seconds < survey.min_seconds_to_complete:
            flags.append("too_fast")
    return flags


def _apply(
    response: AnyResponse,
    answers: dict[str, Any],
    version: SurveyVersion,
    *,
    complete: bool,
    now: datetime,
) -> None:
    questions = version.definition["questions"]
    response.answers = answers
    response.nps_score = next(
        (
            answers[q["key"]]
            for q in questions
            if q["type"] == QuestionType.NPS and q["key"] in answers
        ),
        None,
    )
    response.comment = "\n".join(
        answers[q["key"]]
        for q in questions
        if q["type"] == QuestionType.TEXT and q["key"] in answers
    )
    if complete:
        response.status = ResponseStatus.COMPLETE
        response.completed_at = now


def _advance(invitation: Invitation, response: AnyResponse, now: datetime) -> None:
    if response.status == ResponseStatus.COMPLETE:
        invitation.status = InvitationStatus.COMPLETED
        invitation.completed_at = now
    elif invitation.status in (*UNOPENED, InvitationStatus.OPENED):
        invitation.status = InvitationStatus.STARTED
    invitation.started_at = invitation.started_at or now
    invitation.opened_at = invitation.opened_at or now


def event_data(response: AnyResponse, survey: Survey, version: SurveyVersion) -> dict[str, Any]:
    by_key = {q["key"]: q for q in version.definition["questions"]}
    return {
        "response_id": response.id,
        "survey_id": survey.id,
        "survey_slug": survey.slug,
        "version": response.version,
        "touchpoint_id": response.touchpoint_id,
        "respondent_external_id": response.respondent_external_id,
        "channel": response.channel,
        "hidden": response.hidden,
        "flags": response.flags,
        "status": response.status,
        "submitted_at": response.submitted_at.isoformat(),
        "completed_at": response.completed_at.isoformat() if response.completed_at else None,
        "answers": [
            {
                "question": key,
                "type": by_key[key]["type"],
                "value": value,
                **(
                    {"scale": by_key[key].get("scale", 5)}
                    if by_key[key]["type"] == "rating"
                    else {}
                ),
            }
            for key, value in response.answers.items()
        ],
    }


def _publish(
    session: Session,
    outbox: Outbox,
    policy: CasePolicy,
    response: AnyResponse,
    survey: Survey,
    version: SurveyVersion,
) -> None:
    kind = (
        "response.completed" if response.status == ResponseStatus.COMPLETE else "response.updated"
    )
    outbox.publish(
        session, type=kind, subject=response.id, data=event_data(response, survey, version)
    )
    if response.status == ResponseStatus.COMPLETE and response.completed_at is not None:
        # In the same transaction: a case opens with the answer or not at all.
        cases.open_from_rules(
            session,
            outbox,
            policy,
            response=response,
            questions=version.definition["questions"],
            now=response.completed_at,
        )
