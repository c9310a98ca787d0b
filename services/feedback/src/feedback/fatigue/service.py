"""Whether a person may be asked, decided on the server from the contact ledger."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from cxshared.crud import get_or_404
from cxshared.db import new_row
from cxshared.timeutil import as_utc, utcnow
from feedback.fatigue.models import Contact, ContactKind, FatigueRule, RuleKind
from feedback.fatigue.schemas import Blocked, Eligibility, RuleCreate
from feedback.surveys.models import Survey

ASKED = (ContactKind.SHOWN, ContactKind.INVITED)


def list_rules(*, session: Session) -> list[FatigueRule]:
    return list(session.exec(select(FatigueRule).order_by(col(FatigueRule.id))).all())


def create_rule(*, session: Session, body: RuleCreate) -> FatigueRule:
    rule = FatigueRule(**body.model_dump())
    session.add(rule)
    return rule


def delete_rule(*, session: Session, rule_id: str) -> None:
    session.delete(get_or_404(session, FatigueRule, rule_id))


def record(
    *, session: Session, respondent: str, survey_id: str, channel: str, kind: ContactKind
) -> None:
    session.add(
        Contact(respondent_external_id=respondent, survey_id=survey_id, channel=channel, kind=kind)
    )


def contact_row(
    *, respondent: str, survey_id: str, channel: str, kind: ContactKind, at: datetime
) -> dict[str, Any]:
    """A ledger row for a Core insert of many (an invitation batch)."""
    return new_row(
        Contact,
        respondent_external_id=respondent,
        survey_id=survey_id,
        channel=channel,
        kind=kind,
        at=at,
    )


def unsubscribed_at(*, session: Session, respondent: str) -> datetime | None:
    """When the person stopped all survey mail (the ledger keeps it for good), or None."""
    return _unsubscribed(session, [respondent]).get(respondent)


def _unsubscribed(session: Session, respondents: Sequence[str]) -> dict[str, datetime]:
    """When each of these people first stopped all survey mail (none: not in the map)."""
    rows = session.exec(
        select(Contact.respondent_external_id, func.min(Contact.at))
        .where(
            col(Contact.respondent_external_id).in_(respondents),
            Contact.kind == ContactKind.UNSUBSCRIBED,
        )
        .group_by(col(Contact.respondent_external_id))
    ).all()
    return {respondent: as_utc(at) for respondent, at in rows}


def eligibility(
    *,
    session: Session,
    survey: Survey,
    respondent: str,
    now: datetime | None = None,
    reminder: bool = False,
) -> Eligibility:
    """`reminder`: for a reminder of this survey's invitation, which is the same ask: this
    survey's own contacts do not count, the rules across surveys and an unsubscribe do."""
    return eligibilities(
        session=session, survey=survey, respondents=[respondent], now=now, reminder=reminder
    )[respondent]


def eligibilities(
    *,
    session: Session,
    survey: Survey,
    respondents: Sequence[str],
    now: datetime | None = None,
    reminder: bool = False,
) -> dict[str, Eligibility]:
    """`eligibility` of each of these people, read in two queries however many they are (an
    invitation batch asks for up to 5,000)."""
    now = now or utcnow()
    unsubscribed = _unsubscribed(session, respondents)
    rules = list_rules(session=session)
    horizon = max([0 if reminder else survey.fatigue_days or 0, *[r.days for r in rules]])
    asks: dict[str, list[tuple[datetime, str]]] = {respondent: [] for respondent in respondents}
    if horizon > 0:
        for respondent, at, survey_id in session.exec(
            select(Contact.respondent_external_id, Contact.at, Contact.survey_id)
            .where(
                col(Contact.respondent_external_id).in_(respondents),
                col(Contact.kind).in_(ASKED),
                col(Contact.at) >= now - timedelta(days=horizon),
            )
            .order_by(col(Contact.at).desc())
        ).all():
            if not (reminder and survey_id == survey.id):
                asks[respondent].append((as_utc(at), survey_id))
    return {
        respondent: _verdict(
            survey, rules, asks[respondent], unsubscribed.get(respondent), now, reminder=reminder
        )
        for respondent in respondents
    }


def _verdict(
    survey: Survey,
    rules: Sequence[FatigueRule],
    asks: list[tuple[datetime, str]],  # (when, survey), newest first, within the horizon
    unsubscribed: datetime | None,
    now: datetime,
    *,
    reminder: bool,
) -> Eligibility:
    stopped = (
        [
            Blocked(
                rule="unsubscribed",
                rule_id=None,
                detail=f"unsubscribed from survey mail on {unsubscribed.date().isoformat()}",
                until=None,
            )
        ]
        if unsubscribed is not None
        else []
    )
    blocked = []
    if survey.fatigue_days and not reminder:
        this_survey = [at for at, survey_id in asks if survey_id == survey.id]
        window = [at for at in this_survey if at > now - timedelta(days=survey.fatigue_days)]
        if window:
            blocked.append(
                Blocked(
                    rule="survey_once_per_days",
                    rule_id=None,
                    detail=f"asked this survey {_ago(now, window[0])}; this survey asks at most "
                    f"once per {survey.fatigue_days} days",
                    until=window[0] + timedelta(days=survey.fatigue_days),
                )
            )
    for rule in rules:
        window = [at for at, _ in asks if at > now - timedelta(days=rule.days)]
        if len(window) < rule.max_count:
            continue
        # The person may be asked again when the oldest ask that fills the quota leaves the window.
        limiting = window[rule.max_count - 1]
        if rule.kind == RuleKind.ONCE_PER_DAYS:
            detail = f"asked {_ago(now, window[0])}; ask at most once per {rule.days} days"
        else:
            detail = (
                f"asked {len(window)} times in the last {rule.days} days; at most {rule.max_count}"
            )
        blocked.append(
            Blocked(
                rule=str(rule.kind),
                rule_id=rule.id,
                detail=detail,
                until=limiting + timedelta(days=rule.days),
            )
        )
    blocked.sort(key=lambda b: b.until or now, reverse=True)
    return Eligibility(eligible=not (stopped or blocked), blocked_by=stopped + blocked)


def _ago(now: datetime, at: datetime) -> str:
    days = (now - at).days
    return "today" if days == 0 else f"{days} day{'s' if days > 1 else ''} ago"
