"""Mail: N messages queued in feedback's database and delivered by one sender to the local SMTP
server (`cx-mailbox`, its own process, keeping every message on disk as in `make run`).

  python -m tests.perf.mail_bench [--db sqlite|postgresql] [--messages 10000]
                                  [--smtp-port P] [--http-port P]

Reports the time to queue (transactions of 500, as a batch of invitations would be) and the
time from the first claim until the SMTP server holds every message (docs/email.md).
"""

import argparse
import os
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import func, select

from cxshared.db import make_engine, read_session, write_session
from cxshared.logging import configure_logging
from cxshared.mail.models import MailMessage, MailState
from cxshared.mail.outbox import Mailer
from cxshared.mail.sender import MailSender
from cxshared.testing.databases import DatabaseFactory
from cxshared.testing.processes import console_script, free_port
from feedback.config import Settings
from feedback.main import MIGRATIONS

PER_TRANSACTION = 500


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--smtp-port", type=int, default=0)
    parser.add_argument("--http-port", type=int, default=0)
    args = parser.parse_args()
    os.environ["CX_TEST_DATABASE"] = args.db
    configure_logging(log_format="console", level="WARNING")

    workdir = Path(tempfile.mkdtemp(prefix="cx-mail-bench-"))
    factory = DatabaseFactory(
        service="feedback", script_location=MIGRATIONS, workdir=workdir, worker="bench"
    )
    smtp_port = args.smtp_port or free_port()
    mailbox = subprocess.Popen(
        [
            console_script("cx-mailbox"),
            "--smtp-port",
            str(smtp_port),
            "--http-port",
            str(args.http_port or free_port()),
            "--dir",
            str(workdir / "mailbox"),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(smtp_port)
        url = factory.new_url()
        settings = Settings(
            database_url=url,
            smtp_url=f"smtp://127.0.0.1:{smtp_port}",
            mail_from="cxloop surveys <surveys@example.com>",
            mail_rate_per_minute=1_000_000,
            mail_batch_size=100,
        )
        engine = make_engine(url, pool_size=4)
        mailer = Mailer.from_settings(settings)

        started = time.perf_counter()
        for first in range(0, args.messages, PER_TRANSACTION):
            with write_session(engine) as session:
                for index in range(first, min(first + PER_TRANSACTION, args.messages)):
                    mailer.queue(
                        session,
                        to=f"customer{index}@example.com",
                        to_name=f"Kundin {index} Müller",
                        subject="Wie war Ihre Lieferung? How was your delivery?",
                        text=f"Hello,\n\nplease tell us: https://example.com/i/{index:032x}\n",
                        html=f"<p>Hello,</p><p><a href='https://example.com/i/{index:032x}'>"
                        "Tell us</a></p>",
                        kind="invitation",
                        ref=f"inv-{index}",
                    )
        queued = time.perf_counter() - started

        sender = MailSender(engine=engine, mailer=mailer, settings=settings)
        stop = threading.Event()
        thread = threading.Thread(target=sender.run, args=(stop,), daemon=True)
        started = time.perf_counter()
        thread.start()
        while _sent(engine) < args.messages:
            time.sleep(0.2)
        delivered = time.perf_counter() - started
        stop.set()
        mailer.wakeup.set()
        thread.join(10)
        kept = len(list((workdir / "mailbox").glob("*.eml")))
        print(
            f"mail ({args.db}): {args.messages} messages queued in {queued:.1f} s, "
            f"delivered to the local SMTP server in {delivered:.1f} s "
            f"({args.messages / delivered:.0f}/s); the server holds {kept}"
        )
        engine.dispose()
    finally:
        mailbox.terminate()
        mailbox.wait(10)
        factory.close()


def _sent(engine: object) -> int:
    with read_session(engine) as session:  # type: ignore[arg-type]
        return int(
            session.execute(
                select(func.count()).where(MailMessage.state == MailState.SENT)  # type: ignore[arg-type]
            ).scalar_one()
        )


if __name__ == "__main__":
    main()
