"""Whether a person may be asked, decided on the server from the contact ledger."""

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from cxshared.crud import get_or_404
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


def unsubscribed_at(*, session: Session, respondent: str) -> datetime | None:
    """When the person stopped all survey mail (the ledger keeps it for good), or None."""
    at = session.exec(
        select(Contact.at)
        .where(
            Contact.respondent_external_id == respondent,
            Contact.kind == ContactKind.UNSUBSCRIBED,
        )
        .order_by(col(Contact.at))
        .limit(1)
    ).first()
    return None if at is None else as_utc(at)


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
    now = now or utcnow()
    unsubscribed = unsubscribed_at(session=session, respondent=respondent)
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
    rules = list_rules(session=session)
    horizon = max([0 if reminder else survey.fatigue_days or 0, *[r.days for r in rules]])
    if horizon == 0:
        return Eligibility(eligible=not stopped, blocked_by=stopped)
    asks = [
        (as_utc(c.at), c.survey_id)
        for c in session.exec(
            select(Contact)
            .where(
                Contact.respondent_external_id == respondent,
                col(Contact.kind).in_(ASKED),
                col(Contact.at) >= now - timedelta(days=horizon),
            )
            .order_by(col(Contact.at).desc())
        ).all()
        if not (reminder and c.survey_id == survey.id)
    ]
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
