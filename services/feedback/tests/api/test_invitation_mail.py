"""Invitations by e-mail (docs/email.md, "Invitations by e-mail"): the API, a real SMTP server on
loopback (cxshared's mailbox) and the sender, in the test process; reminders on a controlled
clock."""

import socket
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from cxshared.db import read_session, write_session
from cxshared.mail.mailbox import KeptMessage, MailboxServer
from cxshared.mail.models import MailMessage
from cxshared.mail.sender import MailSender
from cxshared.testing.api import make_api
from cxshared.testing.mail import running_mailbox
from cxshared.timeutil import utcnow
from feedback.config import Settings
from feedback.fatigue.models import Contact
from feedback.invitations.models import Invitation
from feedback.mailing import service, templates
from feedback.mailing.models import InvitationMail
from feedback.mailing.watch import InvitationWatch
from feedback.main import create_app
from feedback.surveys.models import Survey

BASE = "https://surveys.example.com"
EMAIL = {
    "enabled": True,
    "subject_template": "{% if reminder %}Reminder: {% endif %}{{ survey_title }}",
    "text_template": "Hello {{ attributes.first_name | default('there', true) }},\n\n"
    "Tell us how it went: {{ link }}\n",
    "reminders": 1,
    "reminder_after_days": 3,
}


@pytest.fixture
def settings(database_url: str, mailbox: MailboxServer) -> Settings:
    return Settings(
        database_url=database_url,
        relay_in_process=False,
        rate_limit_per_client=1_000_000,
        rate_limit_per_survey=1_000_000,
        smtp_url=mailbox.url,
        mail_from="Surveys <surveys@example.com>",
        mail_sender_in_process=False,
        smtp_timeout_seconds=5,
        public_url=BASE,
        invitation_sweep_seconds=0,
    )


class World:
    """The app's sender and sweep, driven by hand; the sweep on a clock the test moves."""

    def __init__(self, api: Any, settings: Settings) -> None:
        state = api.client.app.state
        self.api, self.engine, self.settings = api, state.engine, settings
        self.now = utcnow()
        self.sweep_mailer = state.mailer
        self.sender = MailSender(engine=self.engine, mailer=state.mailer, settings=settings)
        self.watch = InvitationWatch(
            engine=self.engine, mailer=state.mailer, settings=settings, clock=lambda: self.now
        )

    def send(self) -> int:
        return self.sender.run_once()

    def sweep(self, days: float = 0) -> tuple[int, int]:
        self.now = utcnow() + timedelta(days=days)
        return self.watch.run_once()


@pytest.fixture
def world(api, settings) -> World:
    return World(api, settings)


def enable(api, survey_id: str, **overrides: Any) -> dict[str, Any]:
    response = api.client.put(
        f"/v1/surveys/{survey_id}/email", json={**EMAIL, **overrides}, headers=api.writer
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def invite(api, survey_id: str, *people: str, **attributes: Any) -> dict[str, Any]:
    body = {
        "respondents": [
            {"external_id": p, "email": f"{p}@example.com", "attributes": attributes}
            for p in people
        ]
    }
    response = api.post(f"/v1/surveys/{survey_id}/invitations", body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def statuses(api, survey_id: str) -> dict[str, str]:
    items = api.get(f"/v1/surveys/{survey_id}/invitations").json()["items"]
    return {i["external_id"]: i["status"] for i in items}


def to(messages: list[KeptMessage], person: str) -> list[KeptMessage]:
    return [m for m in messages if m.rcpt_tos == [f"{person}@example.com"]]


def unsubscribe_url(message: KeptMessage) -> str:
    header = message.message["List-Unsubscribe"]
    assert header.startswith("<https://") and header.endswith(">")
    return str(header)[1:-1]


def test_invite_answer_remind_and_unsubscribe_end_to_end(api, published, world, mailbox):
    survey_id = published["id"]
    assert enable(api, survey_id)["mail_configured"] is True
    batch = invite(api, survey_id, "ann", "bob", "cat", first_name="Zoë")
    assert batch["mail"] == {"delivery": "mailed", "detail": None, "queued": 3, "not_mailed": []}
    assert statuses(api, survey_id) == {"ann": "queued", "bob": "queued", "cat": "queued"}

    assert world.send() == 3
    messages = mailbox.mailbox.wait_for(3)
    # Nothing reads "sent" until the server's 250 is recorded, and then the sweep copies it.
    assert statuses(api, survey_id) == {"ann": "queued", "bob": "queued", "cat": "queued"}
    assert world.sweep() == (3, 0)
    assert statuses(api, survey_id) == {"ann": "sent", "bob": "sent", "cat": "sent"}

    [ann] = to(messages, "ann")
    token = next(c["token"] for c in batch["created"] if c["external_id"] == "ann")
    text = ann.part("plain")
    assert ann.subject == published["title"]
    assert "Hello Zoë," in text
    assert f"{BASE}/s/delivery?t={token}" in text
    assert ann.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe_url(ann) in text  # the visible link too
    assert unsubscribe_url(ann) in ann.part("html")
    assert "<img" not in ann.part("html")  # no tracking unless the survey opts in
    # The NPS question as eleven links; following "9" from the received message:
    scores = [line for line in text.splitlines() if "&score=" in line]
    assert [line.split(":", 1)[0] for line in scores] == [str(n) for n in range(11)]
    nine = urlsplit(scores[9].split(": ", 1)[1])
    query = parse_qs(nine.query)
    assert (nine.path, query["t"], query["score"]) == ("/s/delivery", [token], ["9"])
    first = api.client.post(
        f"/v1/public/invitations/{query['t'][0]}/first-answer", json={"value": 9}
    )
    assert first.status_code == 201, first.text
    assert (first.json()["answers"], first.json()["status"]) == ({"nps": 9}, "partial")
    # Clicked again (or another score): exactly once, the first answer stands.
    again = api.client.post(f"/v1/public/invitations/{token}/first-answer", json={"value": 3})
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    finished = api.client.patch(
        f"/v1/public/surveys/delivery/responses/{first.json()['id']}",
        json={"answers": {"ease": 5}},
        headers={"X-Resume-Token": first.json()["resume_token"]},
    )
    assert finished.json()["status"] == "complete", finished.text
    responses = api.get(f"/v1/responses?survey_id={survey_id}").json()["items"]
    assert [(r["answers"], r["channel"]) for r in responses] == [({"nps": 9, "ease": 5}, "email")]

    # Cat unsubscribes with one click (RFC 8058) from the link in her message.
    [cat] = to(messages, "cat")
    path = urlsplit(unsubscribe_url(cat)).path  # /u/<token>: the gateway forwards it
    cat_token = path.rsplit("/", 1)[1]
    assert api.client.get(f"/v1/public/unsubscribe/{cat_token}").json() == {
        "address": "c***@example.com",
        "unsubscribed": False,
    }
    done = api.client.post(
        f"/v1/public/unsubscribe/{cat_token}",
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.json() == {"unsubscribed": True, "stopped": 1}
    assert api.client.post(f"/v1/public/unsubscribe/{cat_token}").json()["stopped"] == 0
    assert statuses(api, survey_id) == {"ann": "completed", "bob": "sent", "cat": "unsubscribed"}

    # Before D days: nothing. After: one reminder, to bob alone; never a second for the step.
    assert world.sweep(days=2.9) == (0, 0)
    assert world.sweep(days=3.01) == (0, 1)
    assert world.sweep(days=3.02) == (0, 0)
    assert world.send() == 1
    [reminder] = mailbox.mailbox.wait_for(4)[3:]
    assert reminder.rcpt_tos == ["bob@example.com"]
    assert reminder.subject == f"Reminder: {published['title']}"
    assert world.sweep(days=3.03) == (1, 0)
    assert world.sweep(days=30) == (0, 0)  # at most N (1) reminders
    assert world.send() == 0
    with read_session(world.engine) as session:
        ledger = session.exec(select(Contact.respondent_external_id, Contact.kind)).all()
    assert ("bob", "reminded") in ledger and ("cat", "unsubscribed") in ledger
    assert not any(kind == "reminded" and who != "bob" for who, kind in ledger)

    # Cat's unsubscribe holds for every survey: no invitation, and eligibility says why.
    other = api.created("/v1/surveys", {**_survey("other")})
    api.post(f"/v1/surveys/{other['id']}/publish")
    enable(api, other["id"])
    again_batch = invite(api, other["id"], "cat")
    assert again_batch["created"] == []
    assert again_batch["skipped"][0]["reason"] == "fatigue:unsubscribed"
    eligibility = api.client.get("/v1/public/surveys/other/eligibility?respondent=cat").json()
    assert eligibility["eligible"] is False
    assert eligibility["blocked_by"][0]["rule"] == "unsubscribed"
    assert eligibility["blocked_by"][0]["until"] is None
    assert world.send() == 0
    assert len(mailbox.mailbox.messages) == 4


def _survey(slug: str) -> dict[str, Any]:
    return {
        "slug": slug,
        "title": "Another survey",
        "questions": [{"key": "nps", "type": "nps", "prompt": "Recommend us?", "required": True}],
    }


def test_a_5xx_marks_the_invitation_bounced_and_it_gets_no_reminder(api, published, world, mailbox):
    enable(api, published["id"])
    mailbox.mailbox.refuse_recipient("gone@example.com", "550 5.1.1 No such user")
    invite(api, published["id"], "gone", "ann")
    assert world.send() == 2
    assert world.sweep() == (2, 0)
    assert statuses(api, published["id"]) == {"gone": "bounced", "ann": "sent"}
    assert world.sweep(days=4) == (0, 1)  # ann's reminder only
    assert world.send() == 1
    assert [m.rcpt_tos for m in mailbox.mailbox.wait_for(2)] == [
        ["ann@example.com"],
        ["ann@example.com"],
    ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_smtp_down_then_up_the_mail_waits_and_nothing_reads_sent_until_accepted(
    api, published, world
):
    enable(api, published["id"])
    port = _free_port()
    down = world.settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
    sender = MailSender(engine=world.engine, mailer=api.client.app.state.mailer, settings=down)
    invite(api, published["id"], "ann", "bob")
    assert sender.run_once() == 2
    assert world.sweep() == (0, 0)
    assert statuses(api, published["id"]) == {"ann": "queued", "bob": "queued"}
    # No reminder either: the invitation itself never went out.
    assert world.sweep(days=10) == (0, 0)
    with running_mailbox(port=port) as server:
        with write_session(world.engine) as session:
            session.execute(update(MailMessage).values(next_attempt_at=utcnow()))
        assert sender.run_once() == 2
        assert len(server.mailbox.wait_for(2)) == 2
    assert world.sweep() == (2, 0)
    assert statuses(api, published["id"]) == {"ann": "sent", "bob": "sent"}


def test_without_an_smtp_server_the_api_says_so_and_nothing_is_queued(settings, published):
    bare = settings.model_copy(update={"smtp_url": None, "mail_from": None})
    with TestClient(create_app(bare)) as client:
        api = make_api(client, bare.database_url)
        setup = enable(api, published["id"])
        assert setup["mail_configured"] is False
        assert "FEEDBACK_SMTP_URL" in setup["not_configured_reason"]
        batch = invite(api, published["id"], "ann")
        assert batch["mail"]["delivery"] == "not_configured"
        assert "FEEDBACK_SMTP_URL" in batch["mail"]["detail"]
        assert statuses(api, published["id"]) == {"ann": "created"}
        with read_session(client.app.state.engine) as session:
            assert session.exec(select(MailMessage)).all() == []


def test_delivery_off_mails_nothing_and_an_address_less_invitee_is_said(api, published, world):
    batch = invite(api, published["id"], "ann")
    assert batch["mail"]["delivery"] == "off"
    enable(api, published["id"])
    body = {"respondents": [{"external_id": "bob"}]}
    made = api.post(f"/v1/surveys/{published['id']}/invitations", body).json()
    assert made["mail"]["not_mailed"] == [{"external_id": "bob", "reason": "no_address"}]
    assert world.send() == 0


SSTI = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__ }}",
    "{{ config }}",
    "{{ config.items() }}",
    "{{ self.__init__.__globals__ }}",
    "{{ request.application.__globals__ }}",
    "{% import os %}",
    "{% import 'os' as os %}",
    "{% include '/etc/passwd' %}",
    "{% extends '/etc/passwd' %}",
    "{{ attributes['__class__'] }}",
    "{{ link|attr('__class__') }}",
    "{{ range(10) }}",
    "{{ 'x' * 100000000 }}",
    "{{ 9 ** 9 ** 9 }}",
    "{{ link",
    "{% for x in attributes %}",
]


@pytest.mark.parametrize("field", ["subject_template", "text_template", "html_template"])
def test_template_injection_is_refused_when_saved(api, published, field):
    """Every payload against one survey (a survey per payload cost a database each)."""
    extra = {"html_template": "<p>{{ link }}</p>"} if field != "html_template" else {}
    for payload in SSTI:
        value = payload if field == "subject_template" else f"{payload} {{{{ link }}}}"
        response = api.client.put(
            f"/v1/surveys/{published['id']}/email",
            json={**EMAIL, **extra, field: value},
            headers=api.writer,
        )
        assert response.status_code == 422, (payload, response.text)
        problem = response.json()
        assert response.headers["content-type"].startswith("application/problem+json")
        assert problem["errors"][0]["field"] == field, payload
        assert problem["detail"].startswith(field), payload
    assert api.get(f"/v1/surveys/{published['id']}/email").json()["enabled"] is False


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"subject_template": "Hello\nBcc: all@example.com"}, "subject_template", "line break"),
        (
            {"subject_template": "{{ 'Hi\r\nBcc: all@example.com' }}"},
            "subject_template",
            "line break",
        ),
        ({"subject_template": "x" * 301}, "subject_template", "longer than 300"),
        ({"text_template": "{{ link }}" + "x" * 20_000}, "text_template", "longer than 20000"),
        ({"text_template": "no link here"}, "text_template", "{{ link }}"),
        ({"text_template": "{{ first_name }} {{ link }}"}, "text_template", "unknown variable"),
    ],
)
def test_header_injection_oversize_and_unknown_names_are_refused(
    api, published, changes, field, says
):
    changes = {k: v.replace("\\n", "\n") for k, v in changes.items()}
    response = api.client.put(
        f"/v1/surveys/{published['id']}/email", json={**EMAIL, **changes}, headers=api.writer
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert says in response.json()["detail"]


def test_a_value_that_would_break_the_subject_is_not_mailed(api, published, world):
    enable(api, published["id"], subject_template="For {{ attributes.name }}")
    batch = invite(api, published["id"], "eve", name="Eve\r\nBcc: all@example.com")
    assert batch["mail"]["queued"] == 0
    assert batch["mail"]["not_mailed"][0]["reason"] == "invalid_mail"
    assert world.send() == 0


def test_preview_renders_for_a_sample_invitee_with_values_escaped_in_html(api, published):
    enable(api, published["id"])
    response = api.post(
        f"/v1/surveys/{published['id']}/email/preview",
        {"attributes": {"first_name": "<script>alert(1)</script>"}, "reminder": 1},
    )
    assert response.status_code == 200, response.text
    preview = response.json()
    assert preview["subject"] == f"Reminder: {published['title']}"
    assert "Hello <script>alert(1)</script>," in preview["text"]
    assert "<script>" not in preview["html"]
    assert "&lt;script&gt;" in preview["html"]
    assert preview["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert preview["headers"]["List-Unsubscribe"].startswith(f"<{BASE}/u/")
    tracked = api.post(
        f"/v1/surveys/{published['id']}/email/preview",
        {"settings": {**EMAIL, "tracking": True, "html_template": "<b>{{ email }}</b> {{ link }}"}},
    ).json()
    assert tracked["html"].startswith("<b>ana@example.com</b>")
    assert f'<img src="{BASE}/o/' in tracked["html"]


def test_reminders_stop_on_expiry_and_obey_the_rules_across_surveys(api, published, world, mailbox):
    enable(api, published["id"])
    body = {"respondents": [{"external_id": "ann", "email": "ann@example.com"}]}
    short = api.post(f"/v1/surveys/{published['id']}/invitations", {**body, "expires_in_days": 2})
    assert short.status_code == 201
    invite(api, published["id"], "bob")
    assert world.send() == 2
    world.sweep()
    # A rule across surveys: bob was asked by another survey yesterday.
    rule = api.post("/v1/fatigue-rules", {"kind": "once_per_days", "days": 7}, headers=api.admin)
    assert rule.status_code == 201
    other = api.created("/v1/surveys", _survey("other"))
    with write_session(world.engine) as session:
        session.add(
            Contact(
                respondent_external_id="bob",
                survey_id=other["id"],
                channel="web",
                kind="shown",
                at=utcnow() + timedelta(days=2),
            )
        )
    # Ann's invitation has expired by day 3; bob was asked elsewhere within 7 days.
    assert world.sweep(days=3.5) == (0, 0)
    api.delete(f"/v1/fatigue-rules/{rule.json()['id']}", headers=api.admin)
    assert world.sweep(days=3.5) == (0, 1)


def test_a_survey_that_is_closed_sends_no_reminder(api, published, world):
    enable(api, published["id"])
    invite(api, published["id"], "ann")
    world.send()
    world.sweep()
    with write_session(world.engine) as session:
        session.execute(update(Survey).values(status="closed"))
    assert world.sweep(days=4) == (0, 0)


def test_one_reminder_per_step_even_when_two_sweeps_take_it_at_once(api, published, world):
    """The unique (invitation, step) key: a second process that decided the same reminder a
    moment later writes nothing."""
    enable(api, published["id"])
    [created] = invite(api, published["id"], "bob")["created"]
    world.send()
    world.sweep()
    later = utcnow() + timedelta(days=4)
    with write_session(world.engine) as session:
        assert service._remind(session, world.sweep_mailer, created["id"], 1, base=BASE, now=later)
    with pytest.raises(IntegrityError), write_session(world.engine) as session:
        service._remind(session, world.sweep_mailer, created["id"], 1, base=BASE, now=later)
    with read_session(world.engine) as session:
        steps = session.exec(select(InvitationMail.step)).all()
        mails = session.exec(select(MailMessage.id)).all()
    assert sorted(steps) == [0, 1]
    assert len(mails) == 2
    assert world.sweep(days=4) == (0, 0)


def test_the_tracking_pixel_records_the_first_time_the_mail_was_shown(api, published, world):
    enable(api, published["id"], tracking=True)
    invite(api, published["id"], "ann")
    with read_session(world.engine) as session:
        [invitation] = session.exec(select(Invitation)).all()
    token = invitation.unsubscribe_token
    assert api.client.post(f"/v1/public/mail-opened/{token}").status_code == 204
    assert api.client.post(f"/v1/public/mail-opened/{token}").status_code == 204
    assert api.client.post("/v1/public/mail-opened/not-a-token").status_code == 404
    with read_session(world.engine) as session:
        [invitation] = session.exec(select(Invitation)).all()
    assert invitation.mail_opened_at is not None
    world.send()
    with read_session(world.engine) as session:
        [mail] = session.exec(select(MailMessage)).all()
    assert f'<img src="{BASE}/o/{token}.gif"' in mail.html_body


def test_erasure_takes_the_persons_mail_and_unsubscribe_with_it(api, published, world):
    enable(api, published["id"])
    [ann] = invite(api, published["id"], "ann", first_name="Annabel")["created"]
    invite(api, published["id"], "bob")
    world.send()
    world.sweep()
    assert world.sweep(days=4) == (0, 2)
    with read_session(world.engine) as session:
        [invitation] = session.exec(select(Invitation).where(Invitation.id == ann["id"])).all()
    api.client.post(f"/v1/public/unsubscribe/{invitation.unsubscribe_token}")
    erased = api.post("/v1/respondents/ann/erase", headers=api.admin)
    assert erased.status_code == 200, erased.text
    with read_session(world.engine) as session:
        mail = session.exec(select(MailMessage.to_address, MailMessage.text_body)).all()
        steps = session.exec(select(InvitationMail.invitation_id)).all()
        ledger = session.exec(select(Contact.respondent_external_id)).all()
    assert {to for to, _ in mail} == {"bob@example.com"}
    assert not any("Annabel" in body for _, body in mail)
    assert ann["id"] not in steps and len(steps) == 2
    assert "ann" not in ledger


def test_the_html_part_made_from_the_text_escapes_everything_and_links_addresses():
    made = templates.html_from_text(
        'Hi <b>"Ann"</b> & co,\n\nSee "https://x.example/s/a?t=1&score=2" now.\nBye',
        links={},
    )
    assert made == (
        "<p>Hi &lt;b&gt;&quot;Ann&quot;&lt;/b&gt; &amp; co,</p>\n"
        '<p>See &quot;<a href="https://x.example/s/a?t=1&amp;score=2">'
        "https://x.example/s/a?t=1&amp;score=2</a>&quot; now.<br>\nBye</p>"
    )


def test_an_outcome_recorded_before_a_restart_reaches_the_invitation_after_it(
    settings, published, mailbox
):
    """The sender records "sent" on the mail row; the process stops before any sweep. The
    next process's sweep finds it there: nothing is lost, nothing sent twice."""
    with TestClient(create_app(settings)) as client:
        first = World(make_api(client, settings.database_url), settings)
        enable(first.api, published["id"])
        invite(first.api, published["id"], "ann")
        assert first.send() == 1
    with TestClient(create_app(settings)) as client:
        api = make_api(client, settings.database_url)
        again = World(api, settings)
        assert statuses(api, published["id"]) == {"ann": "queued"}
        assert again.send() == 0
        assert again.sweep() == (1, 0)
        assert statuses(api, published["id"]) == {"ann": "sent"}
    mailbox.mailbox.wait_for(1)
    assert len(mailbox.mailbox.messages) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://surveys.example.com",
        "ftp://surveys.example.com",
        "https://",
        "https://x.example/?a=1",
    ],
)
def test_the_public_address_must_be_https_or_loopback(database_url, url):
    with pytest.raises(ValueError, match="public_url"):
        Settings(database_url=database_url, public_url=url)
    assert Settings(database_url=database_url, public_url="http://127.0.0.1:8000/").public_url == (
        "http://127.0.0.1:8000"
    )


def test_without_a_public_address_nothing_is_mailed_and_the_api_says_why(settings, published):
    bare = settings.model_copy(update={"public_url": None})
    with TestClient(create_app(bare)) as client:
        api = make_api(client, bare.database_url)
        setup = enable(api, published["id"])
        assert "FEEDBACK_PUBLIC_URL" in setup["not_configured_reason"]
        assert invite(api, published["id"], "ann")["mail"]["delivery"] == "not_configured"
        assert statuses(api, published["id"]) == {"ann": "created"}


def test_send_me_a_test_mails_the_unsaved_templates_marked_as_a_test(
    api, published, world, mailbox
):
    enable(api, published["id"])
    trial = {**EMAIL, "subject_template": "Trying {{ survey_title }}"}
    response = api.post(
        f"/v1/surveys/{published['id']}/email/test",
        {"to": "editor@example.com", "settings": trial},
    )
    assert response.status_code == 202, response.text
    assert world.send() == 1
    [message] = mailbox.mailbox.wait_for(1)
    assert message.rcpt_tos == ["editor@example.com"]
    assert message.message["Subject"] == f"[Test] Trying {published['title']}"
    assert message.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert statuses(api, published["id"]) == {}  # no invitation was made or changed

    # Templates that may not be saved are not sent either; nor is a header injection.
    refused = api.post(
        f"/v1/surveys/{published['id']}/email/test",
        {"to": "editor@example.com", "settings": {**EMAIL, "subject_template": "{{ config }}"}},
    )
    assert refused.status_code == 422
    injected = api.post(
        f"/v1/surveys/{published['id']}/email/test", {"to": "a@example.com\r\nBcc: x@example.com"}
    )
    assert injected.status_code == 422
    assert injected.headers["content-type"] == "application/problem+json"
    assert world.send() == 0


def test_send_me_a_test_says_when_mail_is_not_configured(settings, published):
    bare = settings.model_copy(update={"smtp_url": None, "mail_from": None})
    with TestClient(create_app(bare)) as client:
        api = make_api(client, bare.database_url)
        response = api.post(
            f"/v1/surveys/{published['id']}/email/test", {"to": "editor@example.com"}
        )
        assert response.status_code == 409
        assert response.json()["type"].endswith("mail-not-configured")
        assert "FEEDBACK_SMTP_URL" in response.json()["detail"]
        with read_session(client.app.state.engine) as session:
            assert session.exec(select(MailMessage)).all() == []
