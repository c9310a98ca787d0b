"""Queuing mail: one row in the caller's transaction, sent once that transaction commits."""

import threading
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import event as sa_event
from sqlalchemy import insert
from sqlmodel import Session

from cxshared.db import new_row
from cxshared.mail.message import validated
from cxshared.mail.models import MailMessage
from cxshared.mail.settings import MailSettings

_INSERT = insert(MailMessage.__table__)  # type: ignore[attr-defined]


class MailNotConfigured(RuntimeError):
    """The service has no SMTP server: nothing is queued, so nothing can pass for sent."""


@dataclass
class Mailer:
    """The service's way to send mail (`app.state.mailer`)."""

    configured: bool
    # The setting to name when e-mail is not configured (FEEDBACK_SMTP_URL).
    setting: str = "SMTP_URL"
    wakeup: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def from_settings(cls, settings: MailSettings) -> "Mailer":
        prefix = str(settings.model_config.get("env_prefix", ""))
        return cls(configured=settings.mail_configured, setting=f"{prefix}SMTP_URL".upper())

    def queue(
        self,
        session: Session,
        *,
        to: str,
        subject: str,
        text: str,
        html: str | None = None,
        kind: str,
        ref: str | None = None,
        to_name: str | None = None,
        headers: dict[str, str] | None = None,
        not_before: datetime | None = None,
    ) -> str:
        """Writes the message in `session`: it is sent if and once the caller commits, and
        not at all if it rolls back. Returns the message's id (its status: `mail_status`).

        Raises InvalidMail for a message that cannot be sent as asked (a line break in the
        subject or a name, a bad address, an oversized body) and MailNotConfigured when the
        service has no SMTP server."""
        if not self.configured:
            raise MailNotConfigured(f"e-mail is not configured: set {self.setting}")
        values = validated(
            to=to,
            to_name=to_name,
            subject=subject,
            text=text,
            html=html,
            kind=kind,
            ref=ref,
            headers=headers,
        )
        if not_before is not None:
            values["next_attempt_at"] = not_before
        row = new_row(MailMessage, **values)
        session.execute(_INSERT, row)
        sa_event.listen(session, "after_commit", self._wake, once=True)
        return str(row["id"])

    def _wake(self, _session: Session) -> None:
        self.wakeup.set()
