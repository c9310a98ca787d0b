"""Mail through the shared mechanism (docs/email.md), on feedback's database: queued in the
caller's transaction, sent by the sender to a real SMTP server on loopback (cxshared's mailbox),
retried, bounced, leased and rate limited as documented."""

import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.headerregistry import Address
from pathlib import Path
from typing import Any

import pytest
import trustme
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlmodel import select

from cxshared.db import make_engine, read_session, write_session
from cxshared.mail.mailbox import Mailbox, MailboxServer
from cxshared.mail.message import InvalidMail
from cxshared.mail.models import MailMessage, MailState
from cxshared.mail.outbox import Mailer, MailNotConfigured
from cxshared.mail.sender import MailSender
from cxshared.testing.api import make_api
from cxshared.testing.mail import running_mailbox
from cxshared.timeutil import utcnow
from feedback.config import Settings
from feedback.main import create_app

FROM = "Kundenumfragen Müller & Söhne <surveys@example.com>"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, pool_size=4)
    yield engine
    engine.dispose()


@pytest.fixture
def mail_settings(database_url: str, mailbox: MailboxServer) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": database_url,
            "relay_in_process": False,
            "smtp_url": mailbox.url,
            "mail_from": FROM,
            "mail_sender_in_process": False,
            "smtp_timeout_seconds": 5,
        }
        return Settings(**{**values, **overrides})

    return make


@pytest.fixture
def sender_for(engine: Engine, mail_settings: Callable[..., Settings]) -> Callable[..., MailSender]:
    def make(
        clock: Callable[[], float] | None = None, sleep: Any = None, **overrides: Any
    ) -> MailSender:
        settings = mail_settings(**overrides)
        extra: dict[str, Any] = {"clock": clock} if clock else {}
        if sleep is not None:
            extra["sleep"] = sleep
        return MailSender(
            engine=engine, mailer=Mailer.from_settings(settings), settings=settings, **extra
        )

    return make


def queue(engine: Engine, count: int = 1, **overrides: Any) -> list[str]:
    mailer = Mailer(configured=True)
    values: dict[str, Any] = {
        "to": "ana@example.com",
        "subject": "How was your delivery?",
        "text": "Tell us: https://example.com/i/abc",
        "html": "<p>Tell us: <a href='https://example.com/i/abc'>answer</a></p>",
        "kind": "invitation",
    }
    with write_session(engine) as session:
        return [
            mailer.queue(session, **{**values, "ref": f"inv-{i}", **overrides})
            for i in range(count)
        ]


def rows(engine: Engine) -> list[MailMessage]:
    with read_session(engine) as session:
        return list(session.exec(select(MailMessage).order_by(MailMessage.created_at)).all())


def make_due(engine: Engine) -> None:
    """The controlled clock: every retry is due now."""
    with write_session(engine) as session:
        session.execute(update(MailMessage).values(next_attempt_at=utcnow()))


def test_mail_queued_in_a_transaction_that_rolls_back_is_never_sent(engine, sender_for, mailbox):
    class Undone(Exception):
        pass

    with pytest.raises(Undone), write_session(engine) as session:
        Mailer(configured=True).queue(
            session, to="ana@example.com", subject="Hi", text="Hello", kind="invitation"
        )
        raise Undone
    assert rows(engine) == []
    assert sender_for().run_once() == 0

    [mail_id] = queue(engine)
    assert [(r.id, r.state, r.sent_at) for r in rows(engine)] == [(mail_id, "queued", None)]


def test_a_message_arrives_in_both_parts_with_its_headers_in_any_language(
    engine, sender_for, mailbox
):
    subject = "Wie war Ihre Lieferung? 配送はいかがでしたか — ¿Qué tal?"
    text = "Grüße, Zoë! Спасибо. شكرا 🙂\nhttps://example.com/i/abc"
    html = "<p>Grüße, <b>Zoë</b>! 配送 🙂</p>"
    [mail_id] = queue(
        engine,
        to="zoe@example.com",
        to_name="Zoë Ångström, Jr.",
        subject=subject,
        text=text,
        html=html,
        headers={"List-Unsubscribe": "<https://example.com/u/abc>"},
    )
    assert sender_for().run_once() == 1

    [kept] = mailbox.mailbox.wait_for(1)
    message = kept.message
    assert kept.rcpt_tos == ["zoe@example.com"]
    assert kept.mail_from == "surveys@example.com"
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == subject
    assert message["From"].addresses[0] == Address(
        "Kundenumfragen Müller & Söhne", addr_spec="surveys@example.com"
    )
    assert message["To"].addresses[0].display_name == "Zoë Ångström, Jr."
    assert message["Message-ID"] == f"<{mail_id}@example.com>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe"] == "<https://example.com/u/abc>"
    assert message["Date"] is not None
    assert kept.part("plain").rstrip("\n") == text
    assert kept.part("html").rstrip("\n") == html
    # Every byte on the wire is ASCII: no relay on the way needs 8BITMIME or SMTPUTF8.
    assert kept.raw.isascii()

    [row] = rows(engine)
    assert (row.state, row.attempts, row.last_error) == ("sent", 1, None)
    assert row.sent_at is not None


def _certificates(tmp_path: Path) -> tuple[ssl.SSLContext, str]:
    """A server context with a certificate for 127.0.0.1 from a CA made here, and that CA's
    file for the sender's smtp_ca_file."""
    authority = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1", "localhost").configure_cert(server)
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    return server, str(ca_file)


def test_starttls_with_a_login_delivers_and_a_wrong_password_bounces_nothing(
    engine, sender_for, tmp_path
):
    context, ca_file = _certificates(tmp_path)
    with running_mailbox(starttls=context, logins={"cxloop": "s3cr3t-pw"}) as server:
        queue(engine, count=2)
        wrong = sender_for(
            smtp_url=server.url, smtp_ca_file=ca_file, smtp_user="cxloop", smtp_password="nope-pw"
        )
        assert wrong.run_once() == 2
        assert {(r.state, r.attempts) for r in rows(engine)} == {("queued", 1)}
        assert "535" in rows(engine)[0].last_error
        make_due(engine)

        right = sender_for(
            smtp_url=server.url, smtp_ca_file=ca_file, smtp_user="cxloop", smtp_password="s3cr3t-pw"
        )
        assert right.run_once() == 2
        assert len(server.mailbox.wait_for(2)) == 2
    assert {(r.state, r.attempts) for r in rows(engine)} == {("sent", 2)}


def test_implicit_tls_delivers_and_an_unknown_certificate_is_refused(engine, sender_for, tmp_path):
    context, ca_file = _certificates(tmp_path)
    with running_mailbox(implicit_tls=context) as server:
        assert server.url.startswith("smtps://")
        queue(engine)
        # Without the CA the certificate is not trusted: nothing goes out, nothing is "sent".
        assert sender_for(smtp_url=server.url).run_once() == 1
        [row] = rows(engine)
        assert (row.state, row.sent_at) == ("queued", None)
        assert "certificate" in row.last_error.lower()
        make_due(engine)

        assert sender_for(smtp_url=server.url, smtp_ca_file=ca_file).run_once() == 1
        assert len(server.mailbox.wait_for(1)) == 1
    assert rows(engine)[0].state == "sent"


def test_a_4xx_is_tried_again_with_backoff_then_sent(engine, sender_for, mailbox):
    mailbox.mailbox.refuse_data("451 4.3.0 Try again later", times=2)
    queue(engine)
    sender = sender_for(mail_backoff_base_seconds=60)
    for attempt in (1, 2):
        assert sender.run_once() == 1
        [row] = rows(engine)
        assert (row.state, row.attempts, row.sent_at) == ("queued", attempt, None)
        assert row.last_error == "451 4.3.0 Try again later"
        # Not due again before its backoff.
        assert row.next_attempt_at > utcnow() + timedelta(seconds=25)
        assert sender.run_once() == 0
        make_due(engine)
    assert sender.run_once() == 1
    [row] = rows(engine)
    assert (row.state, row.attempts, row.last_error) == ("sent", 3, None)
    assert len(mailbox.mailbox.wait_for(1)) == 1


def test_a_5xx_bounces_the_message_for_good(engine, sender_for, mailbox):
    mailbox.mailbox.refuse_recipient("gone@example.com", "550 5.1.1 No such user")
    queue(engine, to="gone@example.com", ref="inv-gone")
    queue(engine, to="ana@example.com", ref="inv-ana")
    mailbox.mailbox.data_replies.clear()
    sender = sender_for()
    assert sender.run_once() == 2
    by_ref = {r.ref: r for r in rows(engine)}
    assert (by_ref["inv-gone"].state, by_ref["inv-gone"].sent_at) == ("bounced", None)
    assert by_ref["inv-gone"].last_error == "550 5.1.1 No such user"
    # One refused recipient does not hold up the next message on the same connection.
    assert by_ref["inv-ana"].state == "sent"
    make_due(engine)
    assert sender.run_once() == 0
    assert [m.rcpt_tos for m in mailbox.mailbox.messages] == [["ana@example.com"]]


def test_a_5xx_after_the_data_bounces_too(engine, sender_for, mailbox):
    mailbox.mailbox.refuse_data("554 5.7.1 Message rejected as spam")
    queue(engine)
    assert sender_for().run_once() == 1
    [row] = rows(engine)
    assert (row.state, row.sent_at, row.last_error) == (
        "bounced",
        None,
        "554 5.7.1 Message rejected as spam",
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_mail_waits_while_the_server_is_down_and_goes_once_it_is_back(engine, sender_for):
    port = _free_port()
    queue(engine, count=3)
    sender = sender_for(smtp_url=f"smtp://127.0.0.1:{port}")
    assert sender.run_once() == 3
    assert {(r.state, r.attempts, r.sent_at) for r in rows(engine)} == {("queued", 1, None)}
    assert "connect" in rows(engine)[0].last_error.lower()

    with running_mailbox(port=port) as server:
        make_due(engine)
        assert sender.run_once() == 3
        assert len(server.mailbox.wait_for(3)) == 3
    assert {(r.state, r.attempts) for r in rows(engine)} == {("sent", 2)}


def test_a_message_is_not_marked_sent_when_the_answer_never_came(engine, sender_for):
    """The one window of at-least-once: the server took the message but its 250 did not
    arrive. The message stays queued and its retry carries the same Message-ID."""
    slow = Mailbox(answer_delay=1.5)
    with running_mailbox(slow) as server:
        [mail_id] = queue(engine)
        assert sender_for(smtp_url=server.url, smtp_timeout_seconds=0.5).run_once() == 1
        [row] = rows(engine)
        assert (row.state, row.sent_at) == ("queued", None)
        assert "Timeout" in row.last_error

        slow.answer_delay = 0
        make_due(engine)
        assert sender_for(smtp_url=server.url).run_once() == 1
        kept = slow.wait_for(2)
    assert [m.message["Message-ID"] for m in kept] == [f"<{mail_id}@example.com>"] * 2
    assert rows(engine)[0].state == "sent"


def test_two_senders_at_once_never_send_the_same_message(engine, sender_for, mailbox):
    queue(engine, count=40)
    # Paced for 40 at once: this is about two senders sharing the work, not about the pace.
    senders = [sender_for(mail_batch_size=7, mail_rate_per_minute=60 * 40) for _ in range(2)]
    barrier = threading.Barrier(2)
    tried = [0, 0]

    def drain(index: int) -> None:
        barrier.wait()
        while (handled := senders[index].run_once()) > 0:
            tried[index] += handled

    threads = [threading.Thread(target=drain, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    kept = mailbox.mailbox.wait_for(40)
    ids = [m.message["Message-ID"] for m in kept]
    assert len(ids) == len(set(ids)) == 40
    assert sum(tried) == 40
    assert {(r.state, r.attempts) for r in rows(engine)} == {("sent", 1)}


def test_a_claimed_message_is_no_other_senders_until_its_lease_runs_out(engine, sender_for):
    queue(engine, count=3)
    first = sender_for().claim(10)
    assert len(first) == 3
    assert sender_for().claim(10) == []
    # The first sender died holding them: once the lease runs out another takes them.
    make_due(engine)
    assert len(sender_for().claim(10)) == 3


def test_the_per_minute_rate_is_kept_by_spreading_the_sends(engine, sender_for, mailbox):
    now = [1000.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    queue(engine, count=5)
    sender = sender_for(clock=lambda: now[0], sleep=sleep, mail_rate_per_minute=3)
    assert sender.run_once() == 5  # 5 go within half the lease (150 s) at one per 20 s
    assert len(mailbox.mailbox.wait_for(5)) == 5
    # One every 20 s, the first at once: never more than 3 in any 60 s, and no burst.
    assert waits == pytest.approx([20, 20, 20, 20])
    assert now[0] == pytest.approx(1080)
    # Another message just after waits for its turn.
    queue(engine, count=1)
    assert sender.run_once() == 0
    now[0] += 20
    assert sender.run_once() == 1


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("subject", {"subject": "Hello\r\nBcc: everyone@example.com"}),
        ("subject", {"subject": "Hello\nBcc: everyone@example.com"}),
        ("to_name", {"to_name": "Ana\r\nBcc: everyone@example.com"}),
        ("to", {"to": "ana@example.com\r\nBcc: everyone@example.com"}),
        ("to", {"to": "not an address"}),
        ("headers", {"headers": {"Bcc": "everyone@example.com"}}),
        ("headers.List-Unsubscribe", {"headers": {"List-Unsubscribe": "<x>\r\nBcc: a@b.c"}}),
        ("text", {"text": "x" * 500_001}),
    ],
)
def test_header_injection_and_oversized_mail_are_refused_with_a_clear_error(engine, field, values):
    with pytest.raises(InvalidMail) as refused, write_session(engine) as session:
        Mailer(configured=True).queue(
            session,
            **{"to": "ana@example.com", "subject": "Hi", "text": "Hello", "kind": "t", **values},
        )
    assert refused.value.field == field
    assert rows(engine) == []


def test_without_an_smtp_server_nothing_is_queued_and_the_api_says_so(settings, engine):
    mailer = Mailer.from_settings(settings)
    with (
        pytest.raises(MailNotConfigured, match="FEEDBACK_SMTP_URL"),
        write_session(engine) as session,
    ):
        mailer.queue(session, to="ana@example.com", subject="Hi", text="Hello", kind="t")
    assert rows(engine) == []
    with TestClient(create_app(settings)) as client:
        api = make_api(client, settings.database_url)
        answer = api.get("/v1/mail")
    assert answer.status_code == 200
    assert answer.json()["configured"] is False


def test_the_service_sends_in_process_and_reports_each_message(mail_settings, mailbox):
    settings = mail_settings(mail_sender_in_process=True)
    with TestClient(create_app(settings)) as client:
        api = make_api(client, settings.database_url)
        mailer = client.app.state.mailer
        with write_session(client.app.state.engine) as session:
            mail_id = mailer.queue(
                session, to="ana@example.com", subject="Hi", text="Hello", kind="test", ref="r1"
            )
        assert len(mailbox.mailbox.wait_for(1)) == 1
        listed = api.get("/v1/mail/messages?kind=test&ref=r1", headers=api.admin).json()
        for _ in range(50):  # the sender records "sent" right after the server's 250
            if listed["items"][0]["state"] == "sent":
                break
            threading.Event().wait(0.1)
            listed = api.get("/v1/mail/messages?kind=test&ref=r1", headers=api.admin).json()
        setup = api.get("/v1/mail").json()
    [item] = listed["items"]
    assert (item["id"], item["state"], item["attempts"]) == (mail_id, "sent", 1)
    assert item["sent_at"] is not None
    assert setup["configured"] is True
    assert setup["from_address"] == "surveys@example.com"
    assert setup["counts"] == {MailState.SENT: 1}


def test_a_message_queued_for_later_waits_until_then(engine, sender_for, mailbox):
    queue(engine, not_before=utcnow() + timedelta(hours=1))
    sender = sender_for()
    assert sender.run_once() == 0
    make_due(engine)
    assert sender.run_once() == 1
    assert len(mailbox.mailbox.wait_for(1)) == 1


def test_a_row_written_past_the_checks_fails_alone_and_the_rest_go(engine, sender_for, mailbox):
    [bad, good] = queue(engine, count=2)
    with write_session(engine) as session:
        session.execute(
            update(MailMessage)
            .where(MailMessage.id == bad)
            .values(subject="Hi\r\nBcc: everyone@example.com")
        )
    assert sender_for().run_once() == 2
    states = {r.id: (r.state, r.sent_at) for r in rows(engine)}
    assert states[bad] == ("failed", None)
    assert states[good][0] == "sent"
    assert [m.rcpt_tos for m in mailbox.mailbox.wait_for(1)] == [["ana@example.com"]]
