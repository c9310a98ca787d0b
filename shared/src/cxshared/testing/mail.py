"""The local SMTP server of `make run` (`cx-mailbox`), started in process for a test."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cxshared.mail.mailbox import Mailbox, MailboxServer


@contextmanager
def running_mailbox(mailbox: Mailbox | None = None, **options: Any) -> Iterator[MailboxServer]:
    """A MailboxServer on a free loopback port for the length of the block (`options` as
    MailboxServer takes them: starttls, implicit_tls, logins, port)."""
    server = MailboxServer(mailbox, **options).start()
    try:
        yield server
    finally:
        server.stop()
