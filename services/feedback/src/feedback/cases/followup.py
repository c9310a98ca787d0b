"""The recovery follow-up: after a case is resolved, one question to the customer ("Did we put
this right?") and the metric that opened the case asked again, through a link tied to the case.
The first answer is the one kept: a retry, a double click or a second tab finds it."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from cxshared.events.outbox import Outbox
from cxshared.problems import Problem, field_error
from cxshared.timeutil import as_utc
from feedback.cases import events, sla
from feedback.cases.models import Case, CaseHistory, CaseRule, CaseState, RuleKind
from feedback.responses.models import Response
from feedback.surveys.models import SurveyVersion
from feedback.surveys.questions import SCALES, QuestionType

PUT_RIGHT = "Did we put this right?"
CUSTOMER = "customer"
ANSWERED = "follow_up_answered"
# NPS counts a customer as a detractor from 0 to 6 (docs/metrics.md).
DETRACTOR_MAX = 6
_SCORE_KINDS = {RuleKind.NPS, RuleKind.CSAT, RuleKind.CES, RuleKind.RATING}


@dataclass(frozen=True)
class Metric:
    """The original question asked again: its key, type, prompt and scale."""

    key: str
    type: str
    prompt: str
    low: int
    high: int


def link(token: str) -> str:
    return f"/f/{token}"


def _not_found() -> Problem:
    return Problem(404, "follow-up-not-found", "Not found", "This follow-up link is not valid.")


def metric(session: Session, case: Case) -> Metric | None:
    """The score question that opened the case (by its rule), or for a case opened by hand from
    a response, its first NPS question; None when there is none to ask again."""
    if case.response_id is None:
        return None
    response = session.get(Response, case.response_id)
    if response is None:
        return None
    version = session.exec(
        select(SurveyVersion).where(
            SurveyVersion.survey_id == response.survey_id,
            SurveyVersion.number == response.version,
        )
    ).first()
    if version is None:
        return None
    rule = session.get(CaseRule, case.rule_id) if case.rule_id else None
    kind, key = QuestionType.NPS.value, None
    if rule is not None:
        if rule.kind not in _SCORE_KINDS:
            return None
        kind, key = rule.kind, rule.question
    for question in version.definition.get("questions", []):
        if question["type"] != kind or (key is not None and question["key"] != key):
            continue
        if question["key"] not in response.answers:
            continue
        low, high = SCALES.get(QuestionType(kind), (1, question.get("scale", 5)))
        return Metric(question["key"], kind, question["prompt"], low, high)
    return None


def recovered(session: Session, case: Case, put_right: bool, score: int | None) -> bool:
    """Recovered: the customer says it was put right, and the metric asked again is out of the
    range that opened the case: for NPS, no longer a detractor (7 or more); for another score,
    outside the rule's bounds (docs/cases.md)."""
    if not put_right:
        return False
    if score is None:
        return True
    rule = session.get(CaseRule, case.rule_id) if case.rule_id else None
    if rule is None or rule.kind == RuleKind.NPS:
        return score > DETRACTOR_MAX
    low = rule.min_value if rule.min_value is not None else score
    high = rule.max_value if rule.max_value is not None else score
    return not low <= score <= high


def expires_at(case: Case, policy: sla.CasePolicy) -> datetime | None:
    if case.followup_sent_at is None:
        return None
    return as_utc(case.followup_sent_at) + timedelta(days=policy.followup_days)


def create(
    session: Session, outbox: Outbox, policy: sla.CasePolicy, *, case: Case, actor: str
) -> Case:
    """A new link for a resolved (or closed) case not answered yet; an earlier link stops
    working. The link is for staff to send (e-mail comes with a later issue). Publishes
    `case.updated`, so metrics counts the follow-ups sent."""
    if case.state not in (CaseState.RESOLVED, CaseState.CLOSED):
        raise Problem(
            409,
            "case-not-resolved",
            "Case not resolved",
            f"A follow-up is sent once the case is resolved; this one is {case.state}.",
        )
    if case.followup_answered_at is not None:
        raise Problem(
            409,
            "follow-up-answered",
            "Follow-up answered",
            "The customer has answered this case's follow-up already.",
        )
    now = policy.now()
    case.followup_token = secrets.token_urlsafe(16)  # 128 random bits
    case.followup_sent_at = now
    case.version += 1
    case.updated_at, case.updated_by = now, actor
    session.add(case)
    changes = {"follow_up_sent_at": now.isoformat()}
    session.add(
        CaseHistory(
            case_id=case.id, actor=actor, action="follow_up_created", changes=changes, at=now
        )
    )
    session.flush()
    events.publish(session, outbox, case, events.UPDATED, now, changes=changes)
    return case


def by_token(session: Session, token: str) -> Case:
    case = session.exec(select(Case).where(Case.followup_token == token)).first()
    if case is None:
        raise _not_found()
    return case


def first_answer(session: Session, case: Case) -> dict[str, Any]:
    """What the customer answered (kept in the case's history with the answer)."""
    entry = session.exec(
        select(CaseHistory).where(CaseHistory.case_id == case.id, CaseHistory.action == ANSWERED)
    ).first()
    changes = entry.changes if entry else {}
    return {
        "put_right": changes.get("put_right"),
        "score": case.followup_score,
        "recovered": case.recovered,
        "answered_at": case.followup_answered_at,
    }


def status(case: Case, policy: sla.CasePolicy) -> str:
    if case.followup_answered_at is not None:
        return "answered"
    due = expires_at(case, policy)
    if due is not None and due <= policy.now():
        return "expired"
    return "open"


def answer(
    session: Session,
    outbox: Outbox,
    policy: sla.CasePolicy,
    *,
    token: str,
    put_right: bool,
    score: int | None,
) -> tuple[Case, bool]:
    """Records the customer's answer once. Returns the case and whether this call recorded it
    (False: it had been answered, and the first answer stands)."""
    case = by_token(session, token)
    if case.followup_answered_at is not None:
        return case, False
    if status(case, policy) == "expired":
        raise Problem(410, "follow-up-expired", "Expired", "This follow-up link has expired.")
    asked = metric(session, case)
    if asked is not None:
        if score is None:
            raise field_error("score", "an answer is required", "required")
        if not asked.low <= score <= asked.high:
            raise field_error(
                "score", f"must be a whole number from {asked.low} to {asked.high}", "out_of_range"
            )
    else:
        score = None
    now = policy.now()
    result = recovered(session, case, put_right, score)
    table = Case.__table__  # type: ignore[attr-defined]
    # Only where unanswered: of two answers at once, the second changes nothing.
    stored = session.execute(
        update(table)
        .where(table.c.id == case.id, table.c.followup_answered_at.is_(None))
        .values(
            followup_answered_at=now,
            followup_score=score,
            recovered=result,
            version=table.c.version + 1,
            updated_at=now,
            updated_by=CUSTOMER,
        )
    )
    session.expire(case)
    if not stored.rowcount:  # type: ignore[attr-defined]
        return case, False
    changes = {
        "put_right": put_right,
        "score": score,
        "recovered": {"before": None, "after": result},
    }
    session.add(
        CaseHistory(case_id=case.id, actor=CUSTOMER, action=ANSWERED, changes=changes, at=now)
    )
    session.flush()
    events.publish(
        session,
        outbox,
        case,
        events.UPDATED,
        now,
        changes={"recovered": {"before": None, "after": result}},
        # The whole follow-up, as every case event has it, and the answer to the question.
        follow_up={
            "sent_at": as_utc(case.followup_sent_at).isoformat() if case.followup_sent_at else None,
            "answered_at": now.isoformat(),
            "score": score,
            "put_right": put_right,
        },
    )
    return case, True
