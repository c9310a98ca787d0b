"""Invitations by e-mail across real processes (docs/email.md): the four services, feedback
mailing a real SMTP server on loopback (the local mailbox) with its own sender and sweep.

An editor uploads an invitation CSV in the gateway; the three people get a message each with
their personal link and one-click unsubscribe headers. One answers from the score link in her
message, one unsubscribes from his, one does nothing. Then the clock moves (the stored send
times are moved back, which is all the sweep reads): only the one who did nothing gets a
reminder, exactly one, however often the sweep runs and however far the clock moves."""

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlmodel import col, select

from cxshared.db import make_engine, write_session
from cxshared.mail.mailbox import KeptMessage, MailboxServer
from cxshared.testing.databases import DatabaseFactory
from cxshared.testing.mail import running_mailbox
from cxshared.testing.processes import eventually, free_port
from feedback.mailing.models import InvitationMail
from tests.browser.world import World, running_world
from tests.e2e.test_four_services import Staff

pytestmark = pytest.mark.xdist_group("e2e-invitation-mail")

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@pytest.fixture(scope="module")
def mailbox_server() -> Iterator[MailboxServer]:
    with running_mailbox() as server:
        yield server


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
    database_factory_for: Callable[[str, Path], DatabaseFactory],
    mailbox_server: MailboxServer,
) -> Iterator[World]:
    gateway_port = free_port()
    with running_world(
        tmp_path_factory.mktemp("e2e-mail-logs"),
        database_factory_for,
        browser=False,
        gateway_port=gateway_port,
        backend_env={
            "FEEDBACK_SMTP_URL": mailbox_server.url,
            "FEEDBACK_MAIL_FROM": "Surveys <surveys@example.com>",
            "FEEDBACK_PUBLIC_URL": f"http://127.0.0.1:{gateway_port}",
            "FEEDBACK_MAIL_POLL_SECONDS": "0.2",
            "FEEDBACK_INVITATION_SWEEP_SECONDS": "0.3",
        },
    ) as world:
        yield world


def survey(world: World) -> dict[str, Any]:
    made = world.post(
        "feedback",
        "/v1/surveys",
        {
            "slug": "after-delivery",
            "title": "Your delivery",
            "min_seconds_to_complete": 0,
            "questions": [
                {"key": "nps", "type": "nps", "prompt": "Recommend us?", "required": True},
                {"key": "why", "type": "text", "prompt": "Why?", "max_length": 500},
            ],
        },
    )
    world.post("feedback", f"/v1/surveys/{made['id']}/publish")
    enabled = httpx.put(
        f"{world.api('feedback')}/v1/surveys/{made['id']}/email",
        headers=world.keys["feedback"],
        json={
            "enabled": True,
            "subject_template": "{% if reminder %}Reminder: {% endif %}{{ survey_title }}",
            "text_template": "Hello {{ attributes.first_name }},\n\n{{ link }}\n",
            "reminders": 1,
            "reminder_after_days": 2,
        },
    )
    assert enabled.status_code == 200, enabled.text
    return made


def to(messages: list[KeptMessage], address: str) -> list[KeptMessage]:
    return [m for m in messages if m.rcpt_tos == [address]]


def links_in(message: KeptMessage) -> list[str]:
    return re.findall(r"https?://\S+", message.part("plain") or "")


def move_the_clock(world: World, days: float) -> None:
    """Every sent mail of every invitation, sent `days` earlier."""
    engine = make_engine(world.urls["feedback"], pool_size=1)
    try:
        with write_session(engine) as session:
            for mail in session.exec(
                select(InvitationMail).where(col(InvitationMail.sent_at).isnot(None))
            ):
                assert mail.sent_at is not None
                mail.sent_at = mail.sent_at - timedelta(days=days)
                session.add(mail)
    finally:
        engine.dispose()


def test_upload_mail_answer_unsubscribe_and_remind_exactly_once(
    world: World, mailbox_server: MailboxServer
) -> None:
    mailbox = mailbox_server.mailbox
    made = survey(world)
    editor = Staff(world, "editor@example.com")
    csv = "external_id,email,first_name\nann,ann@example.com,Ann\nbob,bob@example.com,Bob\n"
    csv += "cat,cat@example.com,Cat\n"
    uploaded = editor.http.post(
        f"/surveys/{made['id']}/invitations",
        data={"csrf_token": editor.csrf},
        files={"file": ("people.csv", csv.encode(), "text/csv")},
    )
    assert uploaded.status_code == 200, uploaded.text
    assert "3 created, 0 skipped" in uploaded.text

    first = mailbox.wait_for(3, timeout=60)
    for person in ("ann", "bob", "cat"):
        [message] = to(first, f"{person}@example.com")
        assert message.message["Subject"] == "Your delivery"
        assert message.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.message["List-Unsubscribe"].startswith(f"<{world.gateway}/u/")
        assert f"Hello {person.title()}," in (message.part("plain") or "")

    # Ann clicks 9 in her message (a browser without JavaScript: the page, then Next).
    [ann] = to(first, "ann@example.com")
    nine = next(link for link in links_in(ann) if link.endswith("&score=9"))
    assert nine.startswith(f"{world.gateway}/s/after-delivery?t=")
    with httpx.Client(base_url=world.gateway, timeout=10) as browser:
        page = browser.get(urlsplit(nine)._replace(scheme="", netloc="").geturl())
        assert page.status_code == 200 and 'value="9" checked' in page.text
        step = browser.post(
            "/s/after-delivery", data={**dict(HIDDEN.findall(page.text)), "a_nps": "9"}
        )
        assert step.status_code == 200 and "Why?" in step.text
        done = browser.post(
            "/s/after-delivery", data={**dict(HIDDEN.findall(step.text)), "a_why": "Quick"}
        )
        assert done.status_code == 303

    # Cat unsubscribes with her mail client's one-click button.
    [cat] = to(first, "cat@example.com")
    unsubscribe = cat.message["List-Unsubscribe"].strip("<>")
    stopped = httpx.post(
        unsubscribe,
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert stopped.status_code == 200

    def states() -> dict[str, str]:
        items = world.get("feedback", f"/v1/surveys/{made['id']}/invitations")["items"]
        return {i["external_id"]: i["status"] for i in items}

    expected = {"ann": "completed", "bob": "sent", "cat": "unsubscribed"}
    eventually(lambda: states() == expected, timeout=30, what=f"invitations {expected}")

    # Two days on: Bob, and only Bob, is reminded, once.
    move_the_clock(world, days=2.1)
    reminders = mailbox.wait_for(4, timeout=60)[3:]
    assert [(m.rcpt_tos, m.message["Subject"]) for m in reminders] == [
        (["bob@example.com"], "Reminder: Your delivery")
    ]
    # Later still, with the sweep running all along: nothing more for anyone.
    move_the_clock(world, days=5)
    assert len(mailbox.wait_for(5, timeout=3)) == 4
    assert states() == expected
