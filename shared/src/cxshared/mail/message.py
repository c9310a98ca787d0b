"""What a message may hold, and the MIME message made of it: multipart (plain text and HTML),
UTF-8 throughout, headers encoded for any language, and no way to add a header through a value."""

import base64
import functools
import quopri
import re
import secrets
from email.headerregistry import Address
from email.utils import format_datetime, formataddr
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
MAX_LINE = 998  # SMTP's limit on a line, CRLF aside (RFC 5321, 4.5.3.1.6)
FOLD_AT = 76
# An encoded word is at most 75 characters (RFC 2047, 2): `=?utf-8?b?` and `?=` leave 63 for
# base64, which carries 45 bytes of UTF-8.
WORD_BYTES = 45
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
    """The address normalised, its domain in ASCII (IDNA) as every SMTP server takes it.

    The common address (an ASCII dot-atom before the @) takes a short way: its local part is
    checked here and its domain by email_validator once per domain, not once per message,
    which costs a quarter of a millisecond on every invitation of a batch and again when it is
    sent. Any other address goes through email_validator whole; both ways agree (a test holds
    them to it)."""
    one_line("to", address, limit=320)
    local, at, domain = address.rpartition("@")
    if at and len(local) <= 64 and _DOT_ATOM.match(local):
        ascii_domain = _ascii_domain(domain)
        if ascii_domain is not None and len(local) + 1 + len(ascii_domain) <= 254:
            return f"{local}@{ascii_domain}"
    return _validated(address).ascii_email or ""


# RFC 5322's dot-atom of ASCII characters: what nearly every address's local part is.
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")


@functools.lru_cache(maxsize=4096)
def _ascii_domain(domain: str) -> str | None:
    """The domain in ASCII as email_validator makes it, or None when it refuses it (the
    address is then checked whole, for the error it gives)."""
    try:
        return str(validate_email(f"a@{domain}", check_deliverability=False).ascii_domain)
    except EmailNotValidError:
        return None


def _validated(address: str) -> Any:
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidMail("to", f"is not an e-mail address: {exc}") from None
    if checked.ascii_email is None:
        raise InvalidMail("to", "needs an ASCII local part (SMTPUTF8 is not used)")
    return checked


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
        checked[name] = one_line(f"headers.{name}", value, limit=900)
    return checked


def compose(row: MailMessage, sender: Address) -> bytes:
    """The message as it goes out, checked again as `queue` checked it (a row may have been
    written by other means). Its Message-ID is made of the row's id, so every retry of a message
    carries the same one (a receiver that sees it twice can tell).

    Written here rather than through the email package: its EmailMessage API takes five times
    as long (each header is parsed again), on the sender's hot path, and its older classes fold
    long encoded headers in ways that change them. What comes out is checked by parsing it back
    with the email package in the tests."""
    validated(
        to=row.to_address,
        to_name=row.to_name,
        subject=row.subject,
        text=row.text_body,
        html=row.html_body,
        kind=row.kind,
        ref=row.ref,
        headers=row.headers,
    )
    headers = [
        ("From", _mailbox(sender.display_name, sender.addr_spec)),
        ("To", _mailbox(row.to_name or "", row.to_address)),
        ("Subject", _text("Subject", row.subject)),
        ("Date", format_datetime(row.created_at)),
        ("Message-ID", message_id(row.id, sender)),
        # RFC 3834: sent by software, so vacation responders do not answer it.
        ("Auto-Submitted", "auto-generated"),
        *((name, _text(name, value)) for name, value in row.headers.items()),
        ("MIME-Version", "1.0"),
    ]
    if row.html_body is None:
        part_headers, body = _part(row.text_body, "plain")
        headers += part_headers
    else:
        boundary, body = _alternative([_part(row.text_body, "plain"), _part(row.html_body, "html")])
        headers.append(("Content-Type", f'multipart/alternative; boundary="{boundary}"'))
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return (head + "\r\n" + body).encode("ascii")


def _alternative(parts: list[tuple[list[tuple[str, str]], str]]) -> tuple[str, str]:
    """The boundary and the body of a multipart/alternative of `parts`."""
    bodies = [body for _, body in parts]
    boundary = f"=_{secrets.token_hex(16)}"
    while any(boundary in body for body in bodies):  # all but impossible; never ambiguous
        boundary = f"=_{secrets.token_hex(16)}"
    out = ""
    for part_headers, body in parts:
        out += f"--{boundary}\r\n"
        out += "".join(f"{name}: {value}\r\n" for name, value in part_headers)
        out += "\r\n" + body + "\r\n"
    return boundary, out + f"--{boundary}--\r\n"


def _part(text: str, subtype: str) -> tuple[list[tuple[str, str]], str]:
    """The headers and encoded body of a text part: 7bit when it is ASCII in lines SMTP takes,
    otherwise UTF-8 in quoted-printable or base64, whichever is shorter, so that no relay on
    the way needs 8BITMIME. Lines end in CRLF."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if text.isascii() and all(len(line) <= MAX_LINE for line in lines):
        content_type, encoding = f'text/{subtype}; charset="us-ascii"', "7bit"
        body = "\r\n".join(lines)
    else:
        data = "\n".join(lines).encode()
        foreign = sum(1 for byte in data if byte > 0x7F)
        content_type = f'text/{subtype}; charset="utf-8"'
        if len(data) + 2 * foreign <= len(data) * 4 / 3:
            encoding, encoded = "quoted-printable", quopri.encodestring(data)
        else:
            encoding, encoded = "base64", base64.encodebytes(data)
        body = encoded.decode("ascii").rstrip("\n").replace("\n", "\r\n")
    return [("Content-Type", content_type), ("Content-Transfer-Encoding", encoding)], body


def _text(name: str, value: str) -> str:
    """A header's text: ASCII folded at spaces, anything else as RFC 2047 encoded words."""
    if value.isascii():
        return _fold(value, first=FOLD_AT - len(name) - 2)
    return _encoded_words(value)


def _fold(value: str, *, first: int) -> str:
    """Long ASCII text split into lines before its spaces (RFC 5322, 2.2.3): unfolding gives
    back the same text. A word longer than a line stays whole (validated() bounds it)."""
    lines, line, room = [], "", first
    for index, word in enumerate(value.split(" ")):
        piece = word if index == 0 else " " + word
        if line and len(line) + len(piece) > room:
            lines.append(line)
            line, room = piece, FOLD_AT
        else:
            line += piece
    lines.append(line)
    return "\r\n".join(lines)


def _encoded_words(value: str) -> str:
    """`=?utf-8?b?…?=` words of whole characters, one a line: a reader joins them without the
    folding between them (RFC 2047, 6.2)."""
    words, chunk, size = [], "", 0
    for char in value:
        width = len(char.encode())
        if size + width > WORD_BYTES:
            words.append(chunk)
            chunk, size = "", 0
        chunk += char
        size += width
    words.append(chunk)
    return "\r\n ".join(
        f"=?utf-8?b?{base64.b64encode(word.encode()).decode('ascii')}?=" for word in words
    )


def _mailbox(name: str, address: str) -> str:
    """`Name <address>`: an ASCII name quoted where it must be, any other name encoded."""
    if not name or name.isascii():
        return formataddr((name, address))
    return f"{_encoded_words(name)} <{address}>"


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
