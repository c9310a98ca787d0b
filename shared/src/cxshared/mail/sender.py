"""The mail sender: claims due messages with a lease, hands them to the SMTP server, and records
what the server said: 250 sent, 5xx bounced, 4xx or no answer tried again with backoff.

Claims work as the event relay's (docs/platform.md): by state and due time, `FOR UPDATE SKIP
LOCKED` on PostgreSQL so several senders share the work, the write lock on SQLite. A message is
marked sent only after the server accepted it, with the few accepted just before it (at most 20
or half a second's worth); a sender that dies between the two leaves them to be sent again when
their lease runs out (docs/email.md).
"""

import asyncio
import os
import socket
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiosmtplib
import structlog
from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from cxshared.db import write_session
from cxshared.events.relay import LoopThread, backoff_seconds
from cxshared.ids import new_id
from cxshared.leases import anything_due, claim_due
from cxshared.mail.message import compose
from cxshared.mail.models import MailMessage, MailState
from cxshared.mail.outbox import Mailer
from cxshared.mail.settings import MailSettings, parse_from, parse_smtp_url
from cxshared.timeutil import utcnow

log = structlog.get_logger("cxshared.mail")

WINDOW_SECONDS = 60.0
# Outcomes are written a few at a time (Settling): at most this many, or this old.
SETTLE_EVERY = 20
SETTLE_SECONDS = 0.5


@dataclass(frozen=True)
class Outcome:
    sent: bool = False
    permanent: bool = False  # a 5xx: the message is bounced, never tried again
    error: str | None = None
    connection_lost: bool = False  # the rest of the batch cannot go through this connection
    unsendable: bool = False  # no message can be made of the row: failed, never tried again


class SendPace:
    """Sends spread evenly: one every 60 / `rate` seconds, with at most a second's worth (and at
    least one) at once, so no more than `rate` plus that second's worth go in any 60 seconds. A
    token bucket: it fills at `rate` a minute up to that burst, and each send takes one. Spread
    out, the sender takes the machine's CPU and the writer in small, even slices, not a burst
    at full speed (docs/email.md, "Pace")."""

    def __init__(self, rate: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.clock = clock
        self.per_second = rate / WINDOW_SECONDS
        self.burst = max(1.0, self.per_second)
        self.tokens = self.burst
        self.filled_at = clock()

    def _fill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.filled_at) * self.per_second)
        self.filled_at = now

    def seconds_until_free(self) -> float:
        """How long until one send may go."""
        self._fill()
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.per_second

    def within(self, seconds: float) -> int:
        """How many sends may go in the next `seconds`."""
        self._fill()
        return int(self.tokens + seconds * self.per_second)

    def take(self) -> None:
        self._fill()
        self.tokens -= 1


class MailSender:
    def __init__(
        self,
        *,
        engine: Engine,
        mailer: Mailer,
        settings: MailSettings,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if settings.smtp_url is None or settings.mail_from is None:
            raise ValueError("the mail sender needs smtp_url and mail_from")
        self.engine = engine
        self.mailer = mailer
        self.settings = settings
        self.clock = clock
        self.target = parse_smtp_url(settings.smtp_url)
        self.sender = parse_from(settings.mail_from)
        self.sleep = sleep
        self.pace = SendPace(settings.mail_rate_per_minute, clock)
        self.local_hostname = socket.getfqdn()

    def run(self, stop: threading.Event) -> None:
        log.info("mail_sender.started", smtp=f"{self.target.host}:{self.target.port}")
        lower_priority(self.settings.mail_sender_nice)
        while not stop.is_set():
            try:
                handled = self.run_once()
            except Exception:
                log.exception("mail_sender.cycle_failed")
                handled = 0
            if handled == 0:
                wait = self.pace.seconds_until_free() or self.settings.mail_poll_seconds
                self.mailer.wakeup.wait(min(wait, self.settings.mail_poll_seconds))
                self.mailer.wakeup.clear()
        log.info("mail_sender.stopped")

    def run_once(self) -> int:
        """Claims what is due (no more than the pace lets go within half the lease) and sends
        it, paced: the number of messages tried."""
        if self.pace.seconds_until_free() > 0:
            return 0
        allowance = min(
            self.settings.mail_batch_size,
            self.pace.within(self.settings.mail_lease_seconds * 0.5),
        )
        claims = self.claim(max(1, allowance))
        if claims:
            asyncio.run(self.deliver(claims))
        return len(claims)

    def claim(self, limit: int) -> list[MailMessage]:
        now = utcnow()
        if not anything_due(self.engine, MailMessage, waiting=MailState.QUEUED, now=now):
            return []
        token = new_id()
        with write_session(self.engine) as session:
            ids = claim_due(
                session,
                MailMessage,
                waiting=MailState.QUEUED,
                now=now,
                limit=limit,
                lease_seconds=self.settings.mail_lease_seconds,
                token=token,
            )
            if not ids:
                return []
            rows = session.execute(
                select(MailMessage)
                .where(MailMessage.id.in_(ids))  # type: ignore[attr-defined]
                .order_by(MailMessage.created_at)  # type: ignore[arg-type]
            ).scalars()
            return list(rows)

    async def deliver(self, claims: Sequence[MailMessage]) -> None:
        """Sends the claimed messages over one connection, recording the outcomes a few at a
        time (`Settling`) as the server answers for them."""
        # Past this, the lease may be another sender's: what is left is handed back untried.
        deadline = self.clock() + self.settings.mail_lease_seconds * 0.8
        try:
            smtp = await self._connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            self.settle_all(claims, Outcome(error=_describe(exc)))
            return
        settling = Settling(self, self.clock)
        try:
            for index, row in enumerate(claims):
                wait = self.pace.seconds_until_free()
                if self.clock() + wait > deadline:
                    settling.flush()
                    self.hand_back(claims[index:])
                    return
                if wait > 0:
                    settling.flush()  # nothing waits on the pace unrecorded
                    await self.sleep(wait)
                self.pace.take()
                outcome = await self.send(smtp, row)
                settling.add(row, outcome)
                if outcome.connection_lost:
                    settling.flush()
                    self.settle_all(claims[index + 1 :], outcome)
                    return
        finally:
            settling.flush()
            await _close(smtp)

    async def _connect(self) -> aiosmtplib.SMTP:
        settings = self.settings
        context = (
            ssl.create_default_context(cafile=settings.smtp_ca_file)
            if settings.smtp_ca_file
            else None
        )
        smtp = aiosmtplib.SMTP(
            hostname=self.target.host,
            port=self.target.port,
            use_tls=self.target.implicit_tls,
            # STARTTLS when the server offers it; required before a password is sent.
            start_tls=None if self.target.implicit_tls or not settings.smtp_user else True,
            tls_context=context,
            timeout=settings.smtp_timeout_seconds,
            local_hostname=self.local_hostname,
        )
        await smtp.connect()
        try:
            if settings.smtp_user and settings.smtp_password:
                await smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        except BaseException:
            await _close(smtp)
            raise
        return smtp

    async def send(self, smtp: aiosmtplib.SMTP, row: MailMessage) -> Outcome:
        try:
            message = compose(row, self.sender)
        except (ValueError, TypeError) as exc:  # a row written past Mailer.queue's checks
            return Outcome(unsendable=True, error=f"cannot be made a message: {exc}"[:500])
        try:
            await smtp.sendmail(self.sender.addr_spec, [row.to_address], message)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0]
            return _refused(refused.code, refused.message)
        except aiosmtplib.SMTPResponseException as exc:
            # 421: the server is closing the connection (RFC 5321, 3.8).
            outcome = _refused(exc.code, exc.message)
            if exc.code == 421:
                return Outcome(error=outcome.error, connection_lost=True)
            return outcome
        except (aiosmtplib.SMTPException, OSError) as exc:
            return Outcome(error=_describe(exc), connection_lost=True)
        return Outcome(sent=True)

    def settle_all(self, rows: Sequence[MailMessage], outcome: Outcome) -> None:
        self.settle_each([(row, outcome) for row in rows])

    def settle_each(self, outcomes: Sequence[tuple[MailMessage, Outcome]]) -> None:
        """Records each message's outcome, in one transaction, on the rows this sender still
        holds: only the holder of the lease may settle (the relay's rule), never a sender whose
        lease ran out. The messages sent, nearly all of them, in one statement per lease."""
        if not outcomes:
            return
        now = utcnow()
        sent: dict[str | None, list[str]] = {}
        for row, outcome in outcomes:
            if outcome.sent:
                sent.setdefault(row.lease_token, []).append(row.id)
        with write_session(self.engine) as session:
            for token, ids in sent.items():
                session.execute(
                    update(MailMessage)
                    .where(col(MailMessage.id).in_(ids), col(MailMessage.lease_token) == token)
                    .values(
                        attempts=col(MailMessage.attempts) + 1,
                        last_attempt_at=now,
                        last_error=None,
                        lease_token=None,
                        state=MailState.SENT,
                        sent_at=now,
                    )
                )
            for row, outcome in outcomes:
                if not outcome.sent:
                    _update_held(session, row, self._settled_values(row, outcome, now))
        for row, outcome in outcomes:
            self._log(row, outcome)

    def hand_back(self, rows: Sequence[MailMessage]) -> None:
        """Claimed but not tried: due again at once, for any sender, with no try counted."""
        now = utcnow()
        with write_session(self.engine) as session:
            for row in rows:
                _update_held(session, row, {"lease_token": None, "next_attempt_at": now})

    def _settled_values(self, row: MailMessage, outcome: Outcome, now: datetime) -> dict[str, Any]:
        attempts = row.attempts + 1
        values: dict[str, Any] = {
            "attempts": attempts,
            "last_attempt_at": now,
            "last_error": outcome.error,
            "lease_token": None,
        }
        if outcome.sent:
            values.update(state=MailState.SENT, sent_at=now)
        elif outcome.permanent:
            values.update(state=MailState.BOUNCED)
        elif outcome.unsendable or attempts >= self.settings.mail_max_attempts:
            values.update(state=MailState.FAILED)
        else:
            delay = backoff_seconds(
                attempts,
                base=self.settings.mail_backoff_base_seconds,
                cap=self.settings.mail_backoff_max_seconds,
            )
            values.update(next_attempt_at=now + timedelta(seconds=delay))
        return values

    def _log(self, row: MailMessage, outcome: Outcome) -> None:
        fields = {"mail_id": row.id, "kind": row.kind, "attempts": row.attempts + 1}
        if outcome.sent:
            log.debug("mail.sent", **fields)
        elif outcome.permanent:
            log.warning("mail.bounced", error=outcome.error, **fields)
        else:
            log.warning("mail.deferred", error=outcome.error, **fields)


def lower_priority(nice: int) -> None:
    """Lowers the calling thread's CPU priority by `nice` (Linux gives each thread its own; in
    `send-mail` the thread is the process). Sending is background work: measured beside answer
    capture on two busy cores, the sender at nice 10 delivered 10,000 messages as fast as at 0
    and the capture kept 95 % of its rate instead of 80 % (docs/email.md, "Pace")."""
    if nice <= 0 or not hasattr(os, "setpriority"):
        return
    thread = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, current + nice))
    except OSError as exc:  # a platform that refuses: sending goes on at the same priority
        log.warning("mail_sender.priority_unchanged", error=str(exc))


def _update_held(session: Session, row: MailMessage, values: dict[str, Any]) -> None:
    """Updates the row if its lease is still the one it was claimed with."""
    session.execute(
        update(MailMessage)
        .where(col(MailMessage.id) == row.id, col(MailMessage.lease_token) == row.lease_token)
        .values(**values)
    )


def _refused(code: int, message: str) -> Outcome:
    error = f"{code} {message}"[:500]
    return Outcome(permanent=500 <= code < 600, error=error)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


async def _close(smtp: aiosmtplib.SMTP) -> None:
    if not smtp.is_connected:
        return
    try:
        await smtp.quit()
    except (aiosmtplib.SMTPException, OSError):
        smtp.close()


class Settling:
    """Outcomes the server has given and the database not yet taken: written together once
    there are `SETTLE_EVERY` or the oldest has waited `SETTLE_SECONDS`, and whenever the sender
    stops sending (a pause for its pace, the end of a batch, a lost connection). One
    transaction for twenty messages instead of twenty: on PostgreSQL each is a commit flushed to
    disk, which took the capture's CPU while invitations went out (docs/email.md, "The one
    window")."""

    def __init__(self, sender: MailSender, clock: Callable[[], float]) -> None:
        self.sender, self.clock = sender, clock
        self.pending: list[tuple[MailMessage, Outcome]] = []
        self.since = 0.0

    def add(self, row: MailMessage, outcome: Outcome) -> None:
        if not self.pending:
            self.since = self.clock()
        self.pending.append((row, outcome))
        if len(self.pending) >= SETTLE_EVERY or self.clock() - self.since >= SETTLE_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            outcomes, self.pending = self.pending, []
            self.sender.settle_each(outcomes)


class MailSenderThread(LoopThread):
    """Runs the mail sender inside the service process (the default)."""

    def __init__(self, sender: MailSender) -> None:
        super().__init__(sender.run, sender.mailer.wakeup)
