"""`cx-feedback send-mail`, the mail sender as its own process (docs/email.md): it sends what
another process queued at a lower CPU priority, stops on SIGTERM, and refuses to start without
an SMTP server."""

import os
from pathlib import Path

from cxshared.db import make_engine, write_session
from cxshared.mail.outbox import Mailer
from cxshared.testing.processes import ServiceProcess, console_script, run_command


def test_the_sender_as_its_own_process_sends_what_the_service_queued(
    database_url, mailbox, tmp_path: Path
):
    sender = ServiceProcess(
        [console_script("cx-feedback"), "send-mail"],
        env={
            "FEEDBACK_DATABASE_URL": database_url,
            "FEEDBACK_SMTP_URL": mailbox.url,
            "FEEDBACK_MAIL_FROM": "cxloop <surveys@example.com>",
            "FEEDBACK_MAIL_POLL_SECONDS": "0.2",
        },
        log_path=tmp_path / "sender.log",
    ).start()
    engine = make_engine(database_url, pool_size=1)
    try:
        with write_session(engine) as session:
            Mailer(configured=True).queue(
                session, to="ana@example.com", subject="Grüße", text="Hallo", kind="test"
            )
        [kept] = mailbox.mailbox.wait_for(1, timeout=30)
        assert kept.subject == "Grüße"
        # Sending is background work: the process has lowered its priority (10 by default).
        assert sender.process is not None
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, sender.process.pid) == min(19, ours + 10)
    finally:
        engine.dispose()
        sender.stop()
    assert sender.process is not None and sender.process.returncode == 0
    assert "mail_sender.stopped" in (tmp_path / "sender.log").read_text()


def test_the_sender_refuses_to_start_without_an_smtp_server(database_url):
    result = run_command("feedback", database_url, "send-mail")
    assert result.returncode == 2
    assert "e-mail is not configured: set FEEDBACK_SMTP_URL" in result.stderr
