"""`cx-mailbox`, the local SMTP server of `make run`, as a process: it keeps what it is sent,
shows it on its page, and still has it after a restart (docs/email.md)."""

import asyncio
import socket
import subprocess
import time
from pathlib import Path

import aiosmtplib
import httpx

from cxshared.testing.processes import console_script, free_port

MESSAGE = (
    "From: cxloop <surveys@example.com>\r\nTo: ana@example.com\r\n"
    "Subject: =?utf-8?b?R3LDvMOfZQ==?= <b>bold</b>\r\n\r\nHallo\r\n"
)


def _started(directory: Path, smtp_port: int, http_port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            console_script("cx-mailbox"),
            "--smtp-port",
            str(smtp_port),
            "--http-port",
            str(http_port),
            "--dir",
            str(directory),
        ]
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", smtp_port), timeout=1):
                pass
            if httpx.get(f"http://127.0.0.1:{http_port}/", timeout=1).status_code == 200:
                return process
        except (OSError, httpx.HTTPError):
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("cx-mailbox did not start")


def _stopped(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(10)


def test_the_mailbox_keeps_shows_and_still_has_what_it_was_sent(tmp_path: Path):
    smtp_port, http_port = free_port(), free_port()
    page = f"http://127.0.0.1:{http_port}/"
    mailbox = _started(tmp_path / "mail", smtp_port, http_port)
    try:
        asyncio.run(
            aiosmtplib.send(
                MESSAGE,
                sender="surveys@example.com",
                recipients=["ana@example.com"],
                hostname="127.0.0.1",
                port=smtp_port,
            )
        )
        listing = httpx.get(page).text
        assert "Grüße &lt;b&gt;bold&lt;/b&gt;" in listing
    finally:
        _stopped(mailbox)
    [kept] = list((tmp_path / "mail").glob("*.eml"))

    mailbox = _started(tmp_path / "mail", smtp_port, http_port)
    try:
        listing = httpx.get(page).text
        assert "Grüße &lt;b&gt;bold&lt;/b&gt;" in listing
        message_id = kept.stem.partition("-")[2]
        shown = httpx.get(f"{page}messages/{message_id}")
        assert shown.status_code == 200
        assert "<pre>Hallo\n</pre>" in shown.text
    finally:
        _stopped(mailbox)
