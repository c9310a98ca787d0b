"""Queuing mail: one row in the caller's transaction, sent once that transaction commits."""

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Required, TypedDict, Unpack

from sqlalchemy import event as sa_event
from sqlalchemy import insert
from sqlmodel import Session

from cxshared.db import new_row
from cxshared.mail.message import validated
from cxshared.mail.models import MailMessage
from cxshared.mail.settings import MailSettings

_INSERT = insert(MailMessage.__table__)  # type: ignore[attr-defined]


class Message(TypedDict, total=False):
    """A message to queue: `to` (an address), `to_name` (shown beside it), `subject`, `text`
    (the plain-text part, never empty), `html`, `kind` and `ref` (what it is about, for
    `mail_status`), extra `headers`, and `not_before` (not sent earlier)."""

    to: Required[str]
    to_name: str | None
    subject: Required[str]
    text: Required[str]
    html: str | None
    kind: Required[str]
    ref: str | None
    headers: dict[str, str] | None
    not_before: datetime | None


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

    def queue(self, session: Session, **message: Unpack[Message]) -> str:
        """Writes the message in `session`: it is sent if and once the caller commits, and
        not at all if it rolls back. Returns the message's id (its status: `mail_status`).

        Raises InvalidMail for a message that cannot be sent as asked (a line break in the
        subject or a name, a bad address, an oversized body) and MailNotConfigured when the
        service has no SMTP server."""
        row = self.message(**message)
        self.queue_all(session, [row])
        return str(row["id"])

    def message(self, **message: Unpack[Message]) -> dict[str, Any]:
        """The outbox row of one message, checked as `queue` checks it, for `queue_all`."""
        if not self.configured:
            raise MailNotConfigured(f"e-mail is not configured: set {self.setting}")
        values = validated(
            to=message["to"],
            to_name=message.get("to_name"),
            subject=message["subject"],
            text=message["text"],
            html=message.get("html"),
            kind=message["kind"],
            ref=message.get("ref"),
            headers=message.get("headers"),
        )
        not_before = message.get("not_before")
        if not_before is not None:
            values["next_attempt_at"] = not_before
        return new_row(MailMessage, **values)

    def queue_all(self, session: Session, rows: list[dict[str, Any]]) -> None:
        """Writes messages made by `message` in `session`, in one statement (`queue`)."""
        if not rows:
            return
        session.execute(_INSERT, rows)
        sa_event.listen(session, "after_commit", self._wake, once=True)

    def _wake(self, _session: Session) -> None:
        self.wakeup.set()
