"""A local SMTP server that keeps every message, and a page to read them (docs/email.md).

`make run` starts it as `cx-mailbox`, and the services mail to it, so a newcomer reads at
http://127.0.0.1:8025 what cxloop would have sent. The test suite starts the same server in
process (`cxshared.testing.mail`), where it can also refuse on demand, as a real server would.
Nothing here is sent any further.
"""

import argparse
import asyncio
import html
import ssl
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from cxshared.ids import new_id


@dataclass
class KeptMessage:
    id: str
    received_at: datetime
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def part(self, subtype: str) -> str | None:
        """The text of the message's text/<subtype> part (decoded, lines ending in \\n), if it
        has one."""
        found = self.message.get_body(preferencelist=(subtype,))
        if found is None or found.get_content_subtype() != subtype:
            return None
        return str(found.get_content()).replace("\r\n", "\n")

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))


@dataclass
class Mailbox:
    """The aiosmtpd handler: keeps every message it accepts (in memory, and as .eml files in
    `directory` when given). `refuse_data` and `refuse_recipient` make it answer as a server
    that defers (4xx) or rejects (5xx) would."""

    directory: Path | None = None
    messages: list[KeptMessage] = field(default_factory=list)
    # Replies to the next DATA commands, in order ("451 4.3.0 Try again later"), then 250.
    data_replies: deque[str] = field(default_factory=deque)
    # Replies to RCPT for these addresses (every time).
    recipient_replies: dict[str, str] = field(default_factory=dict)
    # Seconds between keeping a message and answering 250 (a slow server, or one whose answer
    # is lost: a client that gives up before has had its message taken all the same).
    answer_delay: float = 0.0
    changed: threading.Condition = field(default_factory=threading.Condition)

    def __post_init__(self) -> None:
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.messages.extend(_load(path) for path in sorted(self.directory.glob("*.eml")))

    def refuse_data(self, reply: str, times: int = 1) -> None:
        self.data_replies.extend([reply] * times)

    def refuse_recipient(self, address: str, reply: str) -> None:
        self.recipient_replies[address.lower()] = reply

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        reply = self.recipient_replies.get(address.lower())
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_replies:
            return self.data_replies.popleft()
        raw = envelope.original_content or envelope.content or b""
        assert isinstance(raw, bytes)
        kept = KeptMessage(
            id=new_id(),
            received_at=datetime.now(UTC),
            mail_from=str(envelope.mail_from),
            rcpt_tos=list(envelope.rcpt_tos),
            raw=raw,
        )
        if self.directory is not None:
            name = f"{kept.received_at:%Y%m%dT%H%M%S%f}-{kept.id}.eml"
            (self.directory / name).write_bytes(raw)
        with self.changed:
            self.messages.append(kept)
            self.changed.notify_all()
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        return "250 Message accepted"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[KeptMessage]:
        """The messages once there are at least `count` (fewer if `timeout` runs out)."""
        with self.changed:
            self.changed.wait_for(lambda: len(self.messages) >= count, timeout)
            return list(self.messages)

    def find(self, message_id: str) -> KeptMessage | None:
        return next((m for m in self.messages if m.id == message_id), None)


def _load(path: Path) -> KeptMessage:
    raw = path.read_bytes()
    stamp, _, message_id = path.stem.partition("-")
    parsed = message_from_bytes(raw, policy=policy.default)
    return KeptMessage(
        id=message_id,
        received_at=datetime.strptime(stamp, "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC),
        mail_from=str(parsed.get("From", "")),
        rcpt_tos=[address for _, address in getaddresses(parsed.get_all("To", []))],
        raw=raw,
    )


class MailboxServer:
    """The mailbox on `host:port`. `starttls` makes it offer STARTTLS with that context;
    `implicit_tls` makes it speak TLS from the first byte (smtps://); `logins` makes it ask
    for one of these user/password pairs (over TLS only)."""

    def __init__(
        self,
        mailbox: Mailbox | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        starttls: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
        logins: dict[str, str] | None = None,
    ) -> None:
        self.mailbox = mailbox or Mailbox()
        self.host = host
        self.logins = logins
        options: dict[str, Any] = {}
        if starttls is not None:
            options.update(tls_context=starttls, require_starttls=False)
        if logins is not None:
            options.update(authenticator=self._authenticate, auth_required=True)
        self.implicit = implicit_tls is not None
        self.controller = Controller(
            self.mailbox,
            hostname=host,
            port=port or _free_port(host),
            ssl_context=implicit_tls,
            server_hostname="localhost",
            **options,
        )

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword) and self.logins is not None:
            user, password = data.login.decode(), data.password.decode()
            if self.logins.get(user) == password:
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    @property
    def port(self) -> int:
        return int(self.controller.port)

    @property
    def url(self) -> str:
        return f"{'smtps' if self.implicit else 'smtp'}://{self.host}:{self.port}"

    def start(self) -> "MailboxServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


# The page: a list of what arrived and each message, every value escaped. HTML parts are shown
# in a sandboxed frame (no scripts, no forms) and the page's policy loads nothing from outside,
# so no message can run code here or reach a tracker.
_PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
)
_STYLE = (
    "body{font:15px/1.4 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem}"
    "table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;"
    "border-bottom:1px solid #ddd}pre{white-space:pre-wrap;background:#f6f6f6;padding:1rem}"
    "iframe{width:100%;height:30rem;border:1px solid #ccc}dt{font-weight:600}"
)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    document = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}'
        f"</title><style>{_STYLE}</style></head><body>{body}</body></html>"
    )
    return HTMLResponse(
        document,
        status_code=status,
        headers={"Content-Security-Policy": _PAGE_POLICY, "X-Content-Type-Options": "nosniff"},
    )


def mailbox_app(mailbox: Mailbox) -> Starlette:
    e = html.escape

    async def index(request: Request) -> Response:
        rows = "".join(
            f"<tr><td>{m.received_at:%Y-%m-%d %H:%M:%S}</td><td>{e(', '.join(m.rcpt_tos))}</td>"
            f'<td><a href="/messages/{e(m.id)}">{e(m.subject) or "(no subject)"}</a></td></tr>'
            for m in reversed(mailbox.messages)
        )
        count = len(mailbox.messages)
        return _page(
            "Mailbox",
            "<h1>Mailbox</h1><p>What cxloop would have sent: every message the local SMTP "
            f"server received ({count}), newest first. Nothing here left this machine.</p>"
            "<table><thead><tr><th>Received (UTC)</th><th>To</th><th>Subject</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>",
        )

    async def show(request: Request) -> Response:
        kept = mailbox.find(request.path_params["message_id"])
        if kept is None:
            return _page("Not found", '<p>No such message. <a href="/">All messages</a></p>', 404)
        message = kept.message
        headers = "".join(
            f"<dt>{e(name)}</dt><dd>{e(str(message.get(name, '')))}</dd>"
            for name in ("From", "To", "Subject", "Date", "Message-ID")
            if message.get(name) is not None
        )
        text, markup = kept.part("plain"), kept.part("html")
        parts = ""
        if text is not None:
            parts += f"<h2>Plain text</h2><pre>{e(text)}</pre>"
        if markup is not None:
            parts += f'<h2>HTML</h2><iframe sandbox="" srcdoc="{e(markup)}"></iframe>'
        return _page(
            kept.subject or "Message",
            f'<p><a href="/">All messages</a> · <a href="/messages/{e(kept.id)}.eml">source</a>'
            f"</p><h1>{e(kept.subject) or '(no subject)'}</h1><dl>{headers}</dl>{parts}",
        )

    async def source(request: Request) -> Response:
        kept = mailbox.find(request.path_params["message_id"])
        if kept is None:
            return Response("not found", status_code=404, media_type="text/plain")
        return Response(kept.raw, media_type="text/plain; charset=utf-8")

    return Starlette(
        routes=[
            Route("/", index),
            Route("/messages/{message_id}.eml", source),
            Route("/messages/{message_id}", show),
        ]
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cx-mailbox",
        description="A local SMTP server that keeps every message, and a page to read them "
        "(development only: nothing is sent on).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    parser.add_argument("--dir", type=Path, default=Path("data/mailbox"), help="kept messages")
    return parser


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    args = build_parser().parse_args(argv)
    server = MailboxServer(Mailbox(directory=args.dir), host=args.host, port=args.smtp_port)
    server.start()
    print(
        f"cx-mailbox: SMTP on {server.url}, messages on http://{args.host}:{args.http_port}",
        flush=True,
    )
    try:
        uvicorn.run(
            mailbox_app(server.mailbox), host=args.host, port=args.http_port, log_level="warning"
        )
    finally:
        server.stop()
