"""Telling people what concerns them, by e-mail (docs/email.md, "Notifications").

A service that notifies names, for each of its event types that concern someone, who is told
and what (`Notice`s from the event). The notifier follows the service's own outbox: every
event of those types gets its notices once (a `notification_done` row per event, written in
the transaction that queues its messages, so two workers or a restart never notify twice),
while the change that made the event is not held up by it: opening a case inside an answer's
capture stays as cheap as it was.

Each person chooses (`notification_setting`, by e-mail address): every notice as its own
message (the default), one daily digest of them instead, or none. A digest gathers the notices
of the day; it goes out once `notify_digest_hour` (UTC) has passed, in the transaction that
takes its notices, so none is sent twice or lost.
"""

import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import Engine, delete, insert, select
from sqlmodel import Field, Session, SQLModel, col

from cxshared.auth import Reader, Writer
from cxshared.db import UTCDateTime, new_row, write_session
from cxshared.deps import SessionDep
from cxshared.events.models import OutboxEvent
from cxshared.ids import new_id
from cxshared.mail.outbox import Mailer
from cxshared.timeutil import utcnow

log = structlog.get_logger("cxshared.notify")

# Events older than this are not looked at again (a notice a week late tells no one anything).
LOOK_BACK = timedelta(days=7)
BATCH = 200


class Delivery(StrEnum):
    EACH = "each"  # every notice as its own message
    DIGEST = "digest"  # one message a day with the day's notices
    OFF = "off"


class NotificationSetting(SQLModel, table=True):
    """How one person (an e-mail address, in lower case) wants to be told."""

    __tablename__ = "notification_setting"

    email: str = Field(primary_key=True, max_length=320)
    delivery: str = Field(default=Delivery.EACH, max_length=10)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class NotificationDone(SQLModel, table=True):
    """An event whose notices were given (or that had none to give)."""

    __tablename__ = "notification_done"

    event_id: str = Field(primary_key=True, max_length=36)
    done_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class NotificationDigestItem(SQLModel, table=True):
    """A notice waiting for its person's daily digest."""

    __tablename__ = "notification_digest_item"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    email: str = Field(max_length=320, index=True)
    name: str | None = Field(default=None, max_length=200)
    subject: str = Field(max_length=500)
    text: str = Field(max_length=5000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@dataclass(frozen=True)
class Notice:
    to: str
    name: str | None
    kind: str  # case-assigned, case-breached, incident-opened ...
    subject: str
    text: str
    ref: str | None = None


# The notices an event gives: each service's own (feedback: cases; metrics: incidents).
NoticesOf = Callable[[OutboxEvent, str], list[Notice]]

_SETTINGS = NotificationSetting.__table__  # type: ignore[attr-defined]
_DONE = NotificationDone.__table__  # type: ignore[attr-defined]
_ITEMS = NotificationDigestItem.__table__  # type: ignore[attr-defined]


def delivery_of(session: Session, email: str) -> str:
    found = session.execute(
        select(_SETTINGS.c.delivery).where(_SETTINGS.c.email == email.lower())
    ).scalar_one_or_none()
    return found or Delivery.EACH


@dataclass
class Notifier:
    engine: Engine
    mailer: Mailer
    event_types: Sequence[str]
    notices_of: NoticesOf
    staff_url: str
    digest_hour: int = 8
    poll_seconds: float = 5.0
    clock: Callable[[], datetime] = utcnow

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("notify.failed")
            stop.wait(self.poll_seconds)

    def run_once(self) -> int:
        """Gives the notices of the events not yet done, then sends the digests that are due.
        Returns the messages queued."""
        return self.follow_events() + self.send_digests()

    def follow_events(self) -> int:
        now = self.clock()
        done = select(_DONE.c.event_id).where(_DONE.c.event_id == OutboxEvent.id).exists()
        queued = 0
        with write_session(self.engine) as session:
            events = (
                session.execute(
                    select(OutboxEvent)
                    .where(
                        col(OutboxEvent.type).in_(self.event_types),
                        col(OutboxEvent.occurred_at) >= now - LOOK_BACK,
                        ~done,
                    )
                    .order_by(col(OutboxEvent.occurred_at))
                    .limit(BATCH)
                )
                .scalars()
                .all()
            )
            if not events:
                return 0
            for event in events:
                if self.mailer.configured:
                    for notice in self.notices_of(event, self.staff_url.rstrip("/")):
                        queued += self.give(session, notice, now)
            done_rows = [new_row(NotificationDone, event_id=e.id, done_at=now) for e in events]
            session.execute(insert(_DONE), done_rows)
            # Events older than LOOK_BACK are never looked at again: their marks can go.
            session.execute(delete(_DONE).where(_DONE.c.done_at < now - 2 * LOOK_BACK))
            session.commit()
        return queued

    def give(self, session: Session, notice: Notice, now: datetime) -> int:
        delivery = delivery_of(session, notice.to)
        if delivery == Delivery.OFF:
            return 0
        if delivery == Delivery.DIGEST:
            session.execute(
                insert(_ITEMS),
                new_row(
                    NotificationDigestItem,
                    email=notice.to.lower(),
                    name=notice.name,
                    subject=notice.subject,
                    text=notice.text,
                    created_at=now,
                ),
            )
            return 0
        self.mailer.queue(
            session,
            to=notice.to,
            to_name=notice.name,
            subject=notice.subject,
            text=notice.text + SETTINGS_LINE.format(url=self.staff_url.rstrip("/")),
            kind=notice.kind,
            ref=notice.ref,
        )
        return 1

    def send_digests(self) -> int:
        """One message per person with the notices gathered before today's digest hour."""
        now = self.clock()
        cutoff = now.replace(hour=self.digest_hour, minute=0, second=0, microsecond=0)
        if now < cutoff:
            cutoff -= timedelta(days=1)
        if not self.mailer.configured:
            return 0
        sent = 0
        with write_session(self.engine) as session:
            # Deleted as they are read: a second worker at the same moment finds none of them.
            taken = session.execute(
                delete(_ITEMS)
                .where(_ITEMS.c.created_at < cutoff)
                .returning(_ITEMS.c.email, _ITEMS.c.name, _ITEMS.c.subject, _ITEMS.c.text)
                .returning(_ITEMS.c.created_at)
            ).all()
            by_person: dict[str, list[Any]] = defaultdict(list)
            for row in taken:
                by_person[row.email].append(row)
            for email, rows in sorted(by_person.items()):
                rows.sort(key=lambda r: r.created_at)
                body = "\n\n".join(_item(r.subject, r.text) for r in rows)
                self.mailer.queue(
                    session,
                    to=email,
                    to_name=rows[-1].name,
                    subject=f"cxloop: {_count(len(rows))} for you",
                    text=body + SETTINGS_LINE.format(url=self.staff_url.rstrip("/")),
                    kind="digest",
                    ref=cutoff.date().isoformat(),
                )
                sent += 1
            session.commit()
        return sent


def _count(n: int) -> str:
    return f"{n} notification{'' if n == 1 else 's'}"


def _item(subject: str, text: str) -> str:
    indented = "\n".join(f"  {line}" if line else "" for line in text.splitlines())
    return f"- {subject}\n{indented}"


SETTINGS_LINE = "\n\n--\nChoose how cxloop tells you things: {url}/notifications"


class NotificationSettingRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [{"email": "priya@example.com", "delivery": "digest"}]},
    )

    email: str
    delivery: Delivery = PydanticField(
        description="`each`: a message per notice (the default); `digest`: one a day with the "
        "day's notices; `off`: none."
    )


class NotificationSettingWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delivery: Delivery


Email = Annotated[str, Path(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]


def notification_router() -> APIRouter:
    router = APIRouter(prefix="/v1/notification-settings", tags=["notifications"])

    @router.get(
        "/{email}",
        response_model=NotificationSettingRead,
        summary="How a person is told (each notice, a daily digest, or none)",
    )
    def read_notification_setting(email: Email, session: SessionDep, _: Reader) -> Any:
        return NotificationSettingRead(email=email.lower(), delivery=delivery_of(session, email))

    @router.put(
        "/{email}",
        response_model=NotificationSettingRead,
        summary="Choose how a person is told",
    )
    def write_notification_setting(
        email: Email, body: NotificationSettingWrite, session: SessionDep, _: Writer
    ) -> Any:
        found = session.get(NotificationSetting, email.lower())
        found = found or NotificationSetting(email=email.lower())
        found.delivery = body.delivery
        found.updated_at = utcnow()
        session.add(found)
        session.commit()
        return NotificationSettingRead(email=found.email, delivery=body.delivery)

    return router
