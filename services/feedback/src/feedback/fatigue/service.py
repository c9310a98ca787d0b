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


def eligibility(
    *, session: Session, survey: Survey, respondent: str, now: datetime | None = None
) -> Eligibility:
    now = now or utcnow()
    rules = list_rules(session=session)
    horizon = max([survey.fatigue_days or 0, *[r.days for r in rules]])
    if horizon == 0:
        return Eligibility(eligible=True, blocked_by=[])
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
    ]
    blocked = []
    if survey.fatigue_days:
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
    blocked.sort(key=lambda b: b.until, reverse=True)
    return Eligibility(eligible=not blocked, blocked_by=blocked)


def _ago(now: datetime, at: datetime) -> str:
    days = (now - at).days
    return "today" if days == 0 else f"{days} day{'s' if days > 1 else ''} ago"
