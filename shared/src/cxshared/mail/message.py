"""What a message may hold, and the MIME message made of it: multipart (plain text and HTML),
UTF-8 throughout, headers encoded for any language, and no way to add a header through a value."""

import re
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email

from cxshared.mail.models import MailMessage

MAX_SUBJECT = 500
MAX_NAME = 200
MAX_BODY = 500_000  # characters of each part
# Headers a caller may add (List-Unsubscribe, List-Unsubscribe-Post, X-...): never those the
# mechanism sets, and never a name that is not a plain header name.
_HEADER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,76}$")
RESERVED_HEADERS = frozenset(
    h.lower()
    for h in (
        "From", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID", "MIME-Version",
        "Content-Type", "Content-Transfer-Encoding", "Sender", "Reply-To", "Return-Path",
        "Auto-Submitted",
    )
)  # fmt: skip
# 7bit: non-ASCII bodies go out quoted-printable or base64 (whichever is shorter), so that no
# relay on the way needs 8BITMIME; headers are RFC 2047 encoded; lines end in CRLF.
POLICY = policy.SMTP.clone(cte_type="7bit")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class InvalidMail(ValueError):
    """A message that cannot be sent as asked; `field` names what is wrong."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


def one_line(field: str, value: str, *, limit: int) -> str:
    """A header value: refused when it holds a line break (header injection) or control
    characters, or is longer than `limit`."""
    if "\r" in value or "\n" in value:
        raise InvalidMail(field, "must be one line: line breaks are refused in mail headers")
    if _CONTROL.search(value):
        raise InvalidMail(field, "holds control characters")
    if len(value) > limit:
        raise InvalidMail(field, f"is longer than {limit} characters")
    return value


def recipient(address: str) -> str:
    """The address normalised, its domain in ASCII (IDNA) as every SMTP server takes it."""
    one_line("to", address, limit=320)
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidMail("to", f"is not an e-mail address: {exc}") from None
    if checked.ascii_email is None:
        raise InvalidMail("to", "needs an ASCII local part (SMTPUTF8 is not used)")
    return str(checked.ascii_email)


def body(field: str, value: str | None) -> str | None:
    if value is not None and len(value) > MAX_BODY:
        raise InvalidMail(field, f"is longer than {MAX_BODY} characters")
    if value is not None and "\x00" in value:
        raise InvalidMail(field, "holds a NUL character")
    return value


def extra_headers(headers: dict[str, str] | None) -> dict[str, str]:
    checked: dict[str, str] = {}
    for name, value in (headers or {}).items():
        if not _HEADER_NAME.match(name) or name.lower() in RESERVED_HEADERS:
            raise InvalidMail("headers", f"{name!r} is not a header a caller may set")
        checked[name] = one_line(f"headers.{name}", value, limit=2000)
    return checked


def compose(row: MailMessage, sender: Address) -> EmailMessage:
    """The message as it goes out. Its Message-ID is made of the row's id, so every retry of a
    message carries the same one (a receiver that sees it twice can tell)."""
    message = EmailMessage(policy=POLICY)
    message["From"] = sender
    message["To"] = Address(display_name=row.to_name or "", addr_spec=row.to_address)
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = message_id(row.id, sender)
    # RFC 3834: sent by software, so vacation responders do not answer it.
    message["Auto-Submitted"] = "auto-generated"
    for name, value in row.headers.items():
        message[name] = value
    message.set_content(row.text_body)
    if row.html_body is not None:
        message.add_alternative(row.html_body, subtype="html")
    return message


def message_id(row_id: str, sender: Address) -> str:
    return f"<{row_id}@{sender.domain or 'localhost'}>"


def validated(
    *,
    to: str,
    to_name: str | None,
    subject: str,
    text: str,
    html: str | None,
    kind: str,
    ref: str | None,
    headers: dict[str, str] | None,
) -> dict[str, Any]:
    """The columns of a new message, each checked; InvalidMail names the first bad one."""
    if not text.strip():
        raise InvalidMail("text", "is empty: every message has a plain-text part")
    return {
        "to_address": recipient(to),
        "to_name": one_line("to_name", to_name, limit=MAX_NAME) if to_name else None,
        "subject": one_line("subject", subject, limit=MAX_SUBJECT),
        "text_body": body("text", text),
        "html_body": body("html", html),
        "kind": one_line("kind", kind, limit=50),
        "ref": one_line("ref", ref, limit=100) if ref is not None else None,
        "headers": extra_headers(headers),
    }
