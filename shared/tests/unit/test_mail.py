"""Mail without a database: settings, the MIME message, the send window, the mailbox page."""

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.utils import parseaddr

import pytest
from email_validator import EmailNotValidError, validate_email
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from cxshared.mail.mailbox import KeptMessage, Mailbox, mailbox_app
from cxshared.mail.message import InvalidMail, compose, recipient, validated
from cxshared.mail.models import MailMessage
from cxshared.mail.sender import SETTLE_EVERY, SETTLE_SECONDS, Outcome, SendPace, Settling
from cxshared.mail.settings import MailSettings, SmtpTarget, parse_smtp_url


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("smtp://mail.example.com", SmtpTarget("mail.example.com", 25, False)),
        ("smtp://127.0.0.1:1025", SmtpTarget("127.0.0.1", 1025, False)),
        ("smtps://smtp.example.com", SmtpTarget("smtp.example.com", 465, True)),
        ("smtps://smtp.example.com:2465/", SmtpTarget("smtp.example.com", 2465, True)),
    ],
)
def test_smtp_urls_name_the_server_and_its_tls(url, target):
    assert parse_smtp_url(url) == target


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://mail.example.com", "smtp://"),
        ("smtp://user:pw@mail.example.com", "SMTP_USER"),
        ("smtp://", "host"),
        ("smtp://mail.example.com/inbox", "path"),
    ],
)
def test_bad_smtp_urls_are_refused_with_the_reason(url, says):
    with pytest.raises(ValueError, match=says):
        parse_smtp_url(url)


def test_mail_settings_hang_together():
    assert MailSettings().mail_configured is False
    configured = MailSettings(smtp_url="smtp://127.0.0.1:1025", mail_from="cxloop <a@example.com>")
    assert configured.mail_configured is True
    with pytest.raises(ValidationError, match="mail_from is required"):
        MailSettings(smtp_url="smtp://127.0.0.1:1025")
    with pytest.raises(ValidationError, match="go together"):
        MailSettings(smtp_url="smtp://h", mail_from="a@example.com", smtp_user="me")
    with pytest.raises(ValidationError, match="placeholder"):
        MailSettings(
            smtp_url="smtp://h", mail_from="a@e.com", smtp_user="me", smtp_password="changeme"
        )
    with pytest.raises(ValidationError, match="one line"):
        MailSettings(mail_from="a@example.com\r\nBcc: b@example.com")


def _row(**values) -> MailMessage:
    columns = validated(
        to=values.pop("to", "ana@example.com"),
        to_name=values.pop("to_name", None),
        subject=values.pop("subject", "Hello"),
        text=values.pop("text", "Hello"),
        html=values.pop("html", None),
        kind="test",
        ref=None,
        headers=values.pop("headers", None),
    )
    return MailMessage(id="m1", created_at=datetime(2026, 12, 7, tzinfo=UTC), **columns)


def _parsed(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


def test_a_message_without_html_is_plain_text_alone():
    message = _parsed(compose(_row(), Address("cxloop", addr_spec="a@example.com")))
    assert message.get_content_type() == "text/plain"
    assert message["Message-ID"] == "<m1@example.com>"
    assert message.get_content() == "Hello"


@pytest.mark.parametrize(
    ("name", "subject"),
    [
        ("Zoë Ångström, Jr.", "Wie war Ihre Lieferung?"),
        ('Ana "the boss" O\'Neil, Ltd.', "Plain ASCII, with: punctuation; and (parentheses)"),
        ("山田 太郎" * 20, "配送はいかがでしたか" * 25),
        ("", "x" * 500),
        ("Ана", "Short " * 80),
    ],
)
def test_names_and_subjects_in_any_language_come_back_as_they_were(name, subject):
    raw = compose(_row(to_name=name or None, subject=subject), Address("Zoë", addr_spec="a@e.com"))
    message = _parsed(raw)
    assert message["Subject"] == subject
    assert message["To"].addresses[0].addr_spec == "ana@example.com"
    # Read as RFC 2047 says: Python's address parser keeps the folding between encoded words
    # of a long display name as spaces (the names it writes itself come back so too).
    folded = message_from_bytes(raw, policy=policy.compat32)["To"].replace("\r\n", "")
    phrase = parseaddr(folded)[0]
    assert str(make_header(decode_header(phrase))) == name
    assert message["From"].addresses[0] == Address("Zoë", addr_spec="a@e.com")
    assert raw.isascii()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_long_and_foreign_text_is_wrapped_and_encoded_for_any_relay():
    text = ("ünïcödé " * 400) + "\n" + ("x" * 2000)
    html = "<p>" + ("日本語のテキスト" * 300) + "</p>"
    raw = compose(
        _row(text=text, html=html, subject="Ünïcödé " * 20),
        Address("Zoë", addr_spec="a@example.com"),
    )
    assert raw.isascii()
    message = _parsed(raw)
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == text
    assert message.get_body(("html",)).get_content().replace("\r\n", "\n") == html
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")


def test_an_international_domain_is_sent_in_ascii():
    assert _row(to="ana@bücher.example").to_address == "ana@xn--bcher-kva.example"


@pytest.mark.parametrize(
    "values",
    [
        {"subject": "Hi\rBcc: x@example.com"},
        {"to_name": "Ana\nBcc: x@example.com"},
        {"subject": "Hi\x00"},
        {"subject": "x" * 501},
        {"text": "  "},
        {"headers": {"Content-Type": "text/html"}},
        {"headers": {"X-Bad Name": "v"}},
    ],
)
def test_what_could_inject_or_break_a_header_is_refused(values):
    with pytest.raises(InvalidMail):
        _row(**values)


def test_the_pace_spreads_the_rate_evenly_with_a_second_at_once():
    now = [0.0]
    slow = SendPace(3, clock=lambda: now[0])  # one every 20 s
    assert slow.seconds_until_free() == 0
    slow.take()
    assert slow.seconds_until_free() == pytest.approx(20)
    assert slow.within(45) == 2
    now[0] = 10
    assert slow.seconds_until_free() == pytest.approx(10)
    now[0] = 100  # idle: the bucket holds one send, not the five the time would give
    assert slow.within(0) == 1
    fast = SendPace(600, clock=lambda: now[0])  # ten a second
    sent = 0
    while fast.seconds_until_free() == 0:
        fast.take()
        sent += 1
    assert sent == 10  # a second's worth at once, then one every 0.1 s
    assert fast.seconds_until_free() == pytest.approx(0.1)
    now[0] += 60
    assert fast.within(60) == 10 + 600  # never more than the rate and a second's worth


def test_the_mailbox_page_lists_and_shows_messages_escaped():
    mailbox = Mailbox()
    raw = compose(
        _row(
            to_name="<b>Ana</b>",
            subject="<script>alert(1)</script> Grüße",
            text="Hi <img src=x onerror=alert(1)>",
            html='<p onclick="steal()">Hi</p><script>alert(2)</script>',
        ),
        Address("cxloop", addr_spec="a@example.com"),
    )
    mailbox.messages.append(
        KeptMessage(
            id="k1",
            received_at=datetime(2026, 12, 7, tzinfo=UTC),
            mail_from="a@example.com",
            rcpt_tos=["ana@example.com"],
            raw=raw,
        )
    )
    client = TestClient(mailbox_app(mailbox))
    listing = client.get("/")
    assert listing.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Grüße" in listing.text
    assert "<script>" not in listing.text
    shown = client.get("/messages/k1")
    assert "default-src 'none'" in shown.headers["content-security-policy"]
    assert "Hi &lt;img src=x onerror=alert(1)&gt;" in shown.text
    # The HTML part is shown in a sandboxed frame, as escaped text of its srcdoc.
    assert '<iframe sandbox="" srcdoc="&lt;p onclick=&quot;steal()&quot;&gt;' in shown.text
    assert "<script>" not in shown.text and "<b>Ana" not in shown.text
    assert client.get("/messages/k1.eml").content == raw
    assert client.get("/messages/nope").status_code == 404


_LOCAL = st.one_of(
    st.text(alphabet="abcXYZ09.+-_!~'\"ö@ ", min_size=0, max_size=70),
    st.sampled_from(["a" * 64, "a" * 65, ".a", "a.", "a.b", "A{b}|c"]),
)
_DOMAIN = st.one_of(
    st.sampled_from(
        [
            "example.com",
            "EXAMPLE.org",
            "bücher.de",
            "localhost",
            "example.invalid",
            "b",
            "-x.com",
            "x-.com",
            "a.b.c.example.co.uk",
            "xn--bcher-kva.de",
            "[127.0.0.1]",
            "ex_ample.com",
            f"{'a' * 63}.com",
            f"{'a' * 64}.com",
            f"{'a' * 60}.{'b' * 60}.{'c' * 60}.{'d' * 60}.com",
        ]
    ),
    st.text(alphabet="abz09-.ü", min_size=0, max_size=20),
)


@settings(max_examples=400, deadline=None)
@given(local=_LOCAL, domain=_DOMAIN)
def test_recipient_agrees_with_email_validator(local: str, domain: str) -> None:
    """The short way for common addresses (a dot-atom, the domain checked once per domain)
    accepts, refuses and normalises exactly as email_validator does on the whole address."""
    address = f"{local}@{domain}"
    try:
        expected: str | None = validate_email(address, check_deliverability=False).ascii_email
    except EmailNotValidError:
        expected = None
    try:
        got: str | None = recipient(address)
    except InvalidMail:
        got = None
    assert got == expected


def test_outcomes_are_written_twenty_at_a_time_or_when_the_oldest_has_waited() -> None:
    written: list[list[str]] = []

    class Recorder:
        def settle_each(self, outcomes: list[tuple[MailMessage, Outcome]]) -> None:
            written.append([row.id for row, _ in outcomes])

    now = [0.0]
    settling = Settling(Recorder(), lambda: now[0])  # type: ignore[arg-type]
    rows = [MailMessage(id=f"m{n}", to_address="a@example.com", subject="s", text="t", kind="k")
            for n in range(SETTLE_EVERY + 3)]  # fmt: skip
    for row in rows[:SETTLE_EVERY]:
        settling.add(row, Outcome(sent=True))
    assert written == [[row.id for row in rows[:SETTLE_EVERY]]]
    settling.add(rows[SETTLE_EVERY], Outcome(sent=True))
    now[0] += SETTLE_SECONDS / 2
    settling.add(rows[SETTLE_EVERY + 1], Outcome(sent=True))
    assert len(written) == 1  # two waiting, the oldest for less than SETTLE_SECONDS
    now[0] += SETTLE_SECONDS / 2
    settling.add(rows[SETTLE_EVERY + 2], Outcome(sent=True))
    assert written[1:] == [[row.id for row in rows[SETTLE_EVERY:]]]
    settling.flush()
    assert len(written) == 2  # nothing left to write
