"""Invitations by e-mail: templates, the mail of each invitation step, outcomes, reminders and
unsubscribes (docs/email.md, "Invitations by e-mail")."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Engine, exists, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cxshared.db import new_row, read_session, write_session
from cxshared.mail.message import InvalidMail
from cxshared.mail.models import MailMessage, MailState
from cxshared.mail.outbox import Mailer, MailNotConfigured
from cxshared.problems import Problem
from cxshared.timeutil import as_utc, utcnow
from feedback.config import Settings
from feedback.fatigue import service as fatigue
from feedback.fatigue.models import ContactKind
from feedback.invitations.models import OPEN, Invitation, InvitationStatus
from feedback.invitations.service import effective_status
from feedback.mailing import templates
from feedback.mailing.models import InvitationMail, SurveyEmail
from feedback.mailing.schemas import (
    EmailSettings,
    EmailSettingsUpdate,
    MailDelivery,
    Preview,
    PreviewRequest,
    TestMailRequest,
)
from feedback.responses.capture import closed_reason
from feedback.surveys.models import Survey, SurveyVersion

log = structlog.get_logger("feedback.mailing")

Composed = tuple[str, str, str, dict[str, str]]  # subject, text, HTML, extra headers
KIND = "invitation"  # the mail outbox's kind for every step; ref: the invitation_mail id
# A survey's mail sent to a member of staff to look at (never to an invitee).
TEST_KIND = "invitation-test"
_INSERT_STEP = insert(InvitationMail.__table__)  # type: ignore[attr-defined]


def not_configured(settings: Settings, mailer: Mailer | None) -> str | None:
    """Why this service mails no invitation now, or None when it can."""
    if mailer is None or not mailer.configured:
        return f"e-mail is not configured: set {mailer.setting if mailer else 'SMTP_URL'}"
    if settings.public_url is None:
        return "invitation links need an address: set FEEDBACK_PUBLIC_URL"
    return None


def get_settings(session: Session, survey_id: str) -> SurveyEmail:
    return session.get(SurveyEmail, survey_id) or SurveyEmail(survey_id=survey_id)


def _update(row: SurveyEmail) -> EmailSettingsUpdate:
    return EmailSettingsUpdate.model_validate(row.model_dump(exclude={"survey_id", "updated_at"}))


def read_settings(row: SurveyEmail, reason: str | None, *, saved: bool) -> EmailSettings:
    return EmailSettings(
        **_update(row).model_dump(),
        mail_configured=reason is None,
        not_configured_reason=reason,
        updated_at=row.updated_at if saved else None,
    )


def _refused(exc: templates.TemplateRefused | InvalidMail, prefix: str = "") -> Problem:
    field = f"{prefix}{exc.field}"
    return Problem(
        422,
        "validation",
        "Invalid template",
        f"{field}: {exc.detail}",
        errors=[{"field": field, "location": "body", "message": exc.detail, "code": "template"}],
    )


def check_templates(body: EmailSettingsUpdate, survey: Survey, base: str) -> None:
    """Refuses templates that may not be saved (templates.check), and renders them for a
    sample invitee so that a subject that breaks into lines is refused now, not at send."""
    try:
        templates.check(
            "subject_template", body.subject_template, limit=templates.MAX_SUBJECT_TEMPLATE
        )
        templates.check("text_template", body.text_template, limit=templates.MAX_BODY_TEMPLATE)
        if body.html_template is not None:
            templates.check(
                "html_template",
                body.html_template,
                limit=templates.MAX_BODY_TEMPLATE,
                environment=templates.HTML,
            )
        for field, source in (
            ("text_template", body.text_template),
            ("html_template", body.html_template),
        ):
            if source is not None and "link" not in _names(source):
                raise templates.TemplateRefused(field, "must contain {{ link }}")
        compose(SurveyMail(body, survey, None, base), _sample_invitation(survey), step=0)
    except templates.TemplateRefused as exc:
        raise _refused(exc) from None


def _names(source: str) -> set[str]:
    from jinja2 import meta

    return set(meta.find_undeclared_variables(templates.TEXT.parse(source)))


def save_settings(
    session: Session, survey: Survey, body: EmailSettingsUpdate, base: str
) -> SurveyEmail:
    check_templates(body, survey, base)
    row = session.get(SurveyEmail, survey.id) or SurveyEmail(survey_id=survey.id)
    for name, value in body.model_dump().items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    session.add(row)
    return row


def _sample_invitation(survey: Survey, request: PreviewRequest | None = None) -> Invitation:
    request = request or PreviewRequest()
    return Invitation(
        id="sample",
        survey_id=survey.id,
        token="sample-token-0000000000",  # noqa: S106 (a sample, never stored)
        unsubscribe_token="sample-unsubscribe-000",  # noqa: S106 (a sample, never stored)
        external_id=request.external_id,
        email=request.email,
        attributes=request.attributes,
        expires_at=utcnow() + timedelta(days=30),
    )


def preview(session: Session, survey: Survey, request: PreviewRequest, base: str) -> Preview:
    body = request.settings or _update(get_settings(session, survey.id))
    if request.settings is not None:
        check_templates(body, survey, base)
    invitation = _sample_invitation(survey, request)
    try:
        subject, text, html, headers = compose(
            SurveyMail(body, survey, first_nps(session, survey), base),
            invitation,
            step=request.reminder,
        )
    except templates.TemplateRefused as exc:
        raise _refused(exc) from None
    return Preview(subject=subject, text=text, html=html, headers=headers)


def send_test(
    session: Session, mailer: Mailer, survey: Survey, request: TestMailRequest, base: str
) -> str:
    """Queues the survey's mail, as a sample invitee would get it, to `request.to`, marked as a
    test in its subject (its links are samples, which lead nowhere). Returns the message's id."""
    sample = preview(
        session,
        survey,
        PreviewRequest(settings=request.settings, email=request.to, reminder=request.reminder),
        base,
    )
    try:
        return mailer.queue(
            session,
            to=request.to,
            subject=f"[Test] {sample.subject}",
            text=sample.text,
            html=sample.html,
            kind=TEST_KIND,
            ref=survey.id,
            headers=sample.headers,
        )
    except InvalidMail as exc:
        raise _refused(exc) from None
    except MailNotConfigured as exc:
        raise Problem(
            409,
            "mail-not-configured",
            "E-mail is not configured",
            f"Nothing was sent: e-mail is not configured (set {mailer.setting}).",
        ) from exc


def first_nps(session: Session, survey: Survey) -> str | None:
    """The key of the published version's first question when it is NPS."""
    if survey.published_version is None:
        return None
    version = session.exec(
        select(SurveyVersion).where(
            SurveyVersion.survey_id == survey.id,
            SurveyVersion.number == survey.published_version,
        )
    ).first()
    questions = version.definition["questions"] if version else []
    if questions and questions[0]["type"] == "nps":
        return str(questions[0]["key"])
    return None


def links(base: str, survey: Survey, invitation: Invitation) -> dict[str, str]:
    return {
        "link": f"{base}/s/{survey.slug}?t={invitation.token}",
        "unsubscribe_link": f"{base}/u/{invitation.unsubscribe_token}",
    }


@dataclass(frozen=True)
class SurveyMail:
    """What every mail of a survey is made from."""

    body: EmailSettingsUpdate
    survey: Survey
    nps_key: str | None  # the first question's key when it is NPS (and embedded)
    base: str  # FEEDBACK_PUBLIC_URL


def compose(mail: SurveyMail, invitation: Invitation, *, step: int) -> Composed:
    """Subject, text, HTML and extra headers of one step's mail for one invitee."""
    body, survey, nps_key, base = mail.body, mail.survey, mail.nps_key, mail.base
    urls = links(base, survey, invitation)
    values: dict[str, Any] = {
        "survey_title": survey.title,
        "external_id": invitation.external_id,
        "email": invitation.email or "",
        "attributes": dict(invitation.attributes),
        "expires_on": as_utc(invitation.expires_at).date().isoformat()
        if invitation.expires_at
        else "",
        "reminder": step,
        **urls,
    }
    subject = templates.subject_line(body.subject_template, values)
    text = templates.render("text_template", body.text_template, values)
    scores = (
        [(n, f"{urls['link']}&score={n}") for n in range(11)]
        if body.embed_nps and nps_key is not None
        else []
    )
    footer = f"Stop all survey mail from us: {urls['unsubscribe_link']}"
    if scores:
        text += "\nOr answer right here, 0 (not at all likely) to 10 (extremely likely):\n"
        text += "\n".join(f"{n}: {url}" for n, url in scores) + "\n"
    text = f"{text.rstrip()}\n\n--\n{footer}\n"
    if body.html_template is not None:
        html = templates.render("html_template", body.html_template, values, html_part=True)
    else:
        main = text.split("\n--\n", 1)[0]
        if scores:
            main = main.split("\nOr answer right here", 1)[0]
        html = templates.html_from_text(main, links={urls["link"]: urls["link"]})
    if scores:
        cells = "".join(
            f'<a href="{url.replace("&", "&amp;")}" style="display:inline-block;padding:6px 9px;'
            f'margin:1px;border:1px solid #888;text-decoration:none">{n}</a>'
            for n, url in scores
        )
        html += (
            "\n<p>Or answer right here, 0 (not at all likely) to 10 (extremely likely):</p>"
            f"\n<p>{cells}</p>"
        )
    html += (
        f'\n<hr>\n<p style="font-size:small"><a href="{urls["unsubscribe_link"]}">'
        "Stop all survey mail from us</a></p>"
    )
    if body.tracking:
        html += (
            f'\n<img src="{base}/o/{invitation.unsubscribe_token}.gif" width="1" height="1" alt="">'
        )
    headers = {
        # RFC 2369 and RFC 8058: the https address takes a one-click POST.
        "List-Unsubscribe": f"<{urls['unsubscribe_link']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return subject, text, html, headers


def queue_step(
    session: Session, mailer: Mailer, mail: SurveyMail, invitation: Invitation, *, step: int
) -> str:
    """Writes the step's row and its message in the caller's transaction: the unique
    (invitation, step) key makes it one message per step."""
    row, message = step_rows(mailer, mail, invitation, step=step)
    mailer.queue_all(session, [message])
    # A Core insert: the unique key speaks here (a second sweep that took the same step).
    session.execute(_INSERT_STEP, row)
    return str(row["id"])


def step_rows(
    mailer: Mailer, mail: SurveyMail, invitation: Invitation, *, step: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The step's row and its message's outbox row, composed and checked, not yet written."""
    subject, text, html, headers = compose(mail, invitation, step=step)
    row = new_row(InvitationMail, invitation_id=invitation.id, step=step, mail_id="")
    message = mailer.message(
        to=invitation.email or "",
        subject=subject,
        text=text,
        html=html,
        kind=KIND,
        ref=row["id"],
        headers=headers,
    )
    row["mail_id"] = message["id"]
    return row, message


def mail_batch(
    session: Session,
    *,
    mailer: Mailer | None,
    settings: Settings,
    survey: Survey,
    invitation_ids: list[str],
) -> MailDelivery:
    """Queues the invitation mail of a batch just made, in its transaction."""
    row = session.get(SurveyEmail, survey.id)
    if row is None or not row.enabled:
        return MailDelivery(delivery="off")
    reason = not_configured(settings, mailer)
    if reason is not None or mailer is None or settings.public_url is None:
        return MailDelivery(delivery="not_configured", detail=reason)
    mail = SurveyMail(_update(row), survey, first_nps(session, survey), settings.public_url)
    invitations = session.exec(
        select(Invitation).where(col(Invitation.id).in_(invitation_ids))
    ).all()
    result = MailDelivery(delivery="mailed")
    queued: list[str] = []
    steps: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    for invitation in invitations:
        if invitation.channel != "email":
            result.not_mailed.append(
                {"external_id": invitation.external_id, "reason": "not_email_channel"}
            )
            continue
        if not invitation.email:
            result.not_mailed.append(
                {"external_id": invitation.external_id, "reason": "no_address"}
            )
            continue
        try:
            step, message = step_rows(mailer, mail, invitation, step=0)
        except (InvalidMail, templates.TemplateRefused) as exc:
            result.not_mailed.append(
                {
                    "external_id": invitation.external_id,
                    "reason": "invalid_mail",
                    "detail": str(exc),
                }
            )
            continue
        queued.append(invitation.id)
        steps.append(step)
        messages.append(message)
    # The whole batch's mail in one statement per table (a batch holds up to 5,000).
    mailer.queue_all(session, messages)
    if steps:
        session.execute(_INSERT_STEP, steps)
    session.execute(
        update(Invitation)
        .where(col(Invitation.id).in_(queued))
        .values(status=InvitationStatus.QUEUED)
        .execution_options(synchronize_session="fetch")
    )
    result.queued = len(queued)
    return result


def record_outcomes(session: Session) -> int:
    """Copies the outcome of each message the SMTP server has answered for to its step, then
    to the invitations: `sent` (only after the server's 250) for a `queued` invitation whose
    first mail was accepted, `bounced` for a `queued` or `sent` one any of whose mails was
    refused for good or never got through. Set-based and idempotent: every statement says what
    it expects to find, so any number of processes may run it; restart-safe, as an outcome
    stays in the mail outbox until it is copied. Returns the steps updated."""
    steps = InvitationMail.__table__  # type: ignore[attr-defined]
    mail = MailMessage.__table__  # type: ignore[attr-defined]
    invitations = Invitation.__table__  # type: ignore[attr-defined]
    outcome = select(mail.c.state).where(mail.c.id == steps.c.mail_id).scalar_subquery()
    accepted_at = select(mail.c.sent_at).where(mail.c.id == steps.c.mail_id).scalar_subquery()
    copied = session.execute(
        update(steps)
        .where(
            steps.c.state == MailState.QUEUED,
            exists().where(mail.c.id == steps.c.mail_id, mail.c.state != MailState.QUEUED),
        )
        .values(state=outcome, sent_at=accepted_at)
    ).rowcount  # type: ignore[attr-defined]
    first_sent = select(steps.c.sent_at).where(
        steps.c.invitation_id == invitations.c.id,
        steps.c.step == 0,
        steps.c.state == MailState.SENT,
    )
    session.execute(
        update(invitations)
        .where(invitations.c.status == InvitationStatus.QUEUED, first_sent.exists())
        .values(status=InvitationStatus.SENT, sent_at=first_sent.scalar_subquery())
    )
    session.execute(
        update(invitations)
        .where(
            invitations.c.status.in_([InvitationStatus.QUEUED, InvitationStatus.SENT]),
            exists().where(
                steps.c.invitation_id == invitations.c.id,
                steps.c.state.in_([MailState.BOUNCED, MailState.FAILED]),
            ),
        )
        .values(status=InvitationStatus.BOUNCED)
    )
    return int(copied)


def sweep(
    engine: Engine,
    mailer: Mailer | None,
    settings: Settings,
    now: datetime | None = None,
    limit: int = 500,
) -> tuple[int, int]:
    """Records outcomes, then queues the reminders that are due: (outcomes, reminders)."""
    now = now or utcnow()
    with write_session(engine) as session:
        outcomes = record_outcomes(session)
    if not_configured(settings, mailer) is not None or mailer is None:
        return outcomes, 0
    assert settings.public_url is not None
    reminded = 0
    for invitation_id, step in _due_reminders(engine, now, limit):
        try:
            with write_session(engine) as session:
                reminded += _remind(
                    session, mailer, invitation_id, step, base=settings.public_url, now=now
                )
        except IntegrityError:
            continue  # another process took this step a moment ago: one message per step
        except (InvalidMail, templates.TemplateRefused) as exc:
            log.warning("invitations.reminder_refused", invitation_id=invitation_id, error=str(exc))
    return outcomes, reminded


def _due_reminders(engine: Engine, now: datetime, limit: int) -> list[tuple[str, int]]:
    """(invitation, step) pairs whose previous step was sent long enough ago."""
    with read_session(engine) as session:
        surveys = session.exec(
            select(SurveyEmail).where(SurveyEmail.enabled, SurveyEmail.reminders > 0)
        ).all()
        due: list[tuple[str, int]] = []
        for setting in surveys:
            rows = session.exec(
                select(Invitation.id, InvitationMail.step, InvitationMail.sent_at)
                .join(InvitationMail, col(InvitationMail.invitation_id) == col(Invitation.id))
                .where(
                    Invitation.survey_id == setting.survey_id,
                    col(Invitation.status).in_(
                        [InvitationStatus.SENT, InvitationStatus.OPENED, InvitationStatus.STARTED]
                    ),
                    col(Invitation.expires_at) > now,
                )
                .order_by(col(Invitation.id), col(InvitationMail.step))
            ).all()
            last: dict[str, tuple[int, datetime | None]] = {}
            for invitation_id, step, sent_at in rows:
                last[invitation_id] = (step, sent_at)
            wait = timedelta(days=setting.reminder_after_days)
            for invitation_id, (step, sent_at) in last.items():
                if (
                    step < setting.reminders
                    and sent_at is not None
                    and as_utc(sent_at) + wait <= now
                ):
                    due.append((invitation_id, step + 1))
                    if len(due) >= limit:
                        return due
        return due


def _remind(
    session: Session, mailer: Mailer, invitation_id: str, step: int, *, base: str, now: datetime
) -> int:
    """One reminder, in its own transaction, checked again inside it."""
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or effective_status(invitation, now) not in OPEN or not invitation.email:
        return 0
    survey = session.get(Survey, invitation.survey_id)
    setting = session.get(SurveyEmail, invitation.survey_id)
    if survey is None or setting is None or not setting.enabled:
        return 0
    if closed_reason(session, survey, now) is not None:
        return 0
    verdict = fatigue.eligibility(
        session=session, survey=survey, respondent=invitation.external_id, now=now, reminder=True
    )
    if not verdict.eligible:
        log.info(
            "invitations.reminder_held",
            invitation_id=invitation.id,
            rule=verdict.blocked_by[0].rule,
        )
        return 0
    mail = SurveyMail(_update(setting), survey, first_nps(session, survey), base)
    queue_step(session, mailer, mail, invitation, step=step)
    fatigue.record(
        session=session,
        respondent=invitation.external_id,
        survey_id=survey.id,
        channel="email",
        kind=ContactKind.REMINDED,
    )
    return 1


def _by_unsubscribe_token(session: Session, token: str) -> Invitation:
    invitation = session.exec(
        select(Invitation).where(Invitation.unsubscribe_token == token)
    ).first()
    if invitation is None or not secrets.compare_digest(invitation.unsubscribe_token or "", token):
        raise Problem(404, "not-found", "Not found", "This unsubscribe link is not valid.")
    return invitation


def unsubscribe_info(session: Session, token: str) -> tuple[str | None, bool]:
    invitation = _by_unsubscribe_token(session, token)
    address = invitation.email
    masked = None
    if address:
        local, _, domain = address.partition("@")
        masked = f"{local[:1]}***@{domain}"
    stopped = fatigue.unsubscribed_at(session=session, respondent=invitation.external_id)
    return masked, stopped is not None


def unsubscribe(session: Session, token: str) -> int:
    """Records the unsubscribe in the contact ledger (once), marks every open invitation of
    the person, from every survey, unsubscribed, and withdraws their mail not yet handed to a
    sender. Returns how many invitations it stopped."""
    invitation = _by_unsubscribe_token(session, token)
    person = invitation.external_id
    if fatigue.unsubscribed_at(session=session, respondent=person) is None:
        fatigue.record(
            session=session,
            respondent=person,
            survey_id=invitation.survey_id,
            channel="email",
            kind=ContactKind.UNSUBSCRIBED,
        )
    stopped = session.exec(
        select(Invitation).where(Invitation.external_id == person, col(Invitation.status).in_(OPEN))
    ).all()
    for each in stopped:
        each.status = InvitationStatus.UNSUBSCRIBED
        session.add(each)
    steps = select(InvitationMail.mail_id).where(
        col(InvitationMail.invitation_id).in_([each.id for each in stopped] or [""])
    )
    # Mail a sender holds (a lease) is on its way; the rest is withdrawn.
    session.execute(
        update(MailMessage)
        .where(
            col(MailMessage.id).in_(steps),
            col(MailMessage.state) == MailState.QUEUED,
            col(MailMessage.lease_token).is_(None),
        )
        .values(state=MailState.FAILED, last_error="withdrawn: the person unsubscribed")
    )
    return len(stopped)


def record_mail_opened(session: Session, token: str) -> None:
    invitation = _by_unsubscribe_token(session, token)
    if invitation.mail_opened_at is None:
        invitation.mail_opened_at = utcnow()
        session.add(invitation)
