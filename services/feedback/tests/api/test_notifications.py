"""Notifications (docs/email.md, "Notifications"): a case's assignee is told once, by a message
with the case's link; each person chooses every notice, a daily digest, or none."""

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cxshared.db import make_engine, read_session
from cxshared.events.models import OutboxEvent
from cxshared.mail.mailbox import MailboxServer
from cxshared.mail.notify import NotificationDone, Notifier
from cxshared.testing.api import Api, make_api
from feedback.cases import notices
from feedback.config import Settings
from feedback.main import create_app

STAFF = "https://cx.example.com"


@pytest.fixture
def mailing(database_url: str, mailbox: MailboxServer) -> Iterator[Api]:
    settings = Settings(
        database_url=database_url,
        relay_in_process=False,
        smtp_url=mailbox.url,
        mail_from="cxloop <cx@example.com>",
        mail_poll_seconds=0.1,
        notify_poll_seconds=0.1,
        staff_url=STAFF,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield make_api(client, settings.database_url)


def open_case(api: Api, assignee: str, title: str = "Wet parcel") -> dict[str, Any]:
    return api.created(
        "/v1/cases",
        {"title": title, "respondent_external_id": "cust-1", "assignee_email": assignee},
    )


def told(api: Api, case_id: str, timeout: float = 10.0) -> None:
    """Waits until the notifier has looked at the case's events."""
    engine = make_engine(api.database_url, pool_size=1)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with read_session(engine) as session:
                waiting = session.execute(
                    select(func.count())
                    .select_from(OutboxEvent)
                    .where(
                        OutboxEvent.subject == case_id,
                        OutboxEvent.type.in_(notices.NOTIFYING),  # type: ignore[attr-defined]
                        ~select(NotificationDone.event_id)
                        .where(NotificationDone.event_id == OutboxEvent.id)
                        .exists(),
                    )
                ).scalar_one()
            if not waiting:
                return
            time.sleep(0.05)
        raise AssertionError("the notifier did not get to the case")
    finally:
        engine.dispose()


def notifier(api: Api, clock: Any = None) -> Notifier:
    app = api.client.app
    extra = {"clock": clock} if clock else {}
    return Notifier(
        engine=app.state.engine,  # type: ignore[attr-defined]
        mailer=app.state.mailer,  # type: ignore[attr-defined]
        event_types=notices.NOTIFYING,
        notices_of=notices.notices_of,
        staff_url=STAFF,
        **extra,
    )


def test_the_assignee_is_told_once_with_the_cases_link(mailing, mailbox):
    case = open_case(mailing, "sam@example.com")
    [message] = mailbox.mailbox.wait_for(1)
    assert message.rcpt_tos == ["sam@example.com"]
    assert message.subject == "Case for you: Wet parcel"
    text = message.part("plain") or ""
    assert f"{STAFF}/cases/{case['id']}" in text
    assert f"{STAFF}/notifications" in text
    # Two more notifiers at once (other workers) find nothing left to tell.
    threads = [threading.Thread(target=notifier(mailing).run_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    told(mailing, case["id"])
    time.sleep(0.5)
    assert len(mailbox.mailbox.messages) == 1


def test_each_person_chooses_each_notice_a_daily_digest_or_none(mailing, mailbox):
    for email, delivery in (("lea@example.com", "off"), ("sam@example.com", "digest")):
        chosen = mailing.client.put(
            f"/v1/notification-settings/{email.upper()}",
            json={"delivery": delivery},
            headers=mailing.gateway,
        )
        assert chosen.status_code == 200, chosen.text
        shown = mailing.get(f"/v1/notification-settings/{email}").json()
        assert shown == {"email": email, "delivery": delivery}
    refused = mailing.client.put(
        "/v1/notification-settings/sam@example.com",
        json={"delivery": "hourly"},
        headers=mailing.gateway,
    )
    assert refused.status_code == 422
    assert mailing.get("/v1/notification-settings/new@example.com").json()["delivery"] == "each"

    quiet = open_case(mailing, "lea@example.com", "For Lea")
    first = open_case(mailing, "sam@example.com", "First for Sam")
    second = open_case(mailing, "sam@example.com", "Second for Sam")
    for case in (quiet, first, second):
        told(mailing, case["id"])
    time.sleep(0.5)
    assert mailbox.mailbox.messages == []

    # The digest goes once the next day's digest hour (08:00 UTC) has passed, once.
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    after = notifier(mailing, clock=lambda: tomorrow.replace(hour=8, minute=5))
    assert after.send_digests() == 1
    assert after.send_digests() == 0
    [digest] = mailbox.mailbox.wait_for(1)
    assert digest.rcpt_tos == ["sam@example.com"]
    assert digest.subject == "cxloop: 2 notifications for you"
    text = digest.part("plain") or ""
    assert text.index("First for Sam") < text.index("Second for Sam")
    assert f"{STAFF}/cases/{second['id']}" in text
    assert "For Lea" not in text


def test_a_breach_tells_the_teams_lead_and_the_assignee_once_each():
    event = OutboxEvent(
        type="case.breached",
        source="feedback",
        subject="case-1",
        data={
            "case_id": "case-1",
            "title": "Wet parcel",
            "priority": "high",
            "opened_at": "2026-12-03T20:40:18.956854+00:00",
            "clock": "first_contact",
            "assignee": {"email": "sam@example.com", "name": "Sam"},
            "escalate_to": {"email": "Lea@example.com", "name": "Lea"},
        },
    )
    given = notices.notices_of(event, STAFF)
    assert [(n.to, n.kind) for n in given] == [
        ("Lea@example.com", "case-breached"),
        ("sam@example.com", "case-breached"),
    ]
    assert given[0].subject == "Case past its first contact time: Wet parcel"
    assert "Priority high, opened 3 Dec 2026, 20:40 UTC" in given[0].text
    event.data["escalate_to"] = {"email": "SAM@example.com", "name": "Sam"}
    assert len(notices.notices_of(event, STAFF)) == 1
