"""A survey's invitation mail in the staff UI, with feedback mailing to a real SMTP server on
loopback: the templates saved, refused where feedback refuses them, previewed for a sample
invitee, and "send me a test" delivered to the signed-in member of staff."""

import re

import pytest

from cxshared.mail.mailbox import MailboxServer
from cxshared.mail.sender import MailSender
from feedback.config import Settings as FeedbackSettings

FORM = {
    "enabled": "on",
    "embed_nps": "on",
    "subject_template": "{% if reminder %}Reminder: {% endif %}How was {{ survey_title }}?",
    "text_template": "Hello {{ attributes.first_name | default('there', true) }},\n\n{{ link }}\n",
    "html_template": "",
    "reminders": "1",
    "reminder_after_days": "3",
}


@pytest.fixture
def backend_settings(mailbox: MailboxServer) -> dict:
    return {
        "feedback": {
            "smtp_url": mailbox.url,
            "mail_from": "Surveys <surveys@example.com>",
            "mail_sender_in_process": False,
            "public_url": "https://surveys.example.com",
        }
    }


def send_queued(stack) -> int:
    """What feedback's mail sender does, once."""
    app = stack.transports["feedback"].inner.app
    settings = app.state.settings
    assert isinstance(settings, FeedbackSettings)
    return MailSender(
        engine=app.state.engine, mailer=app.state.mailer, settings=settings
    ).run_once()


def test_an_editor_writes_the_mail_previews_it_and_sends_a_test_to_themselves(
    stack, editor, delivery_survey, mailbox
):
    url = f"/surveys/{delivery_survey['id']}/email"
    page = editor.get(url)
    assert page.status_code == 200
    assert "not set up" not in page.text
    assert "Send me a test" in page.text

    # Preview what is typed, before saving: the fragment only, values escaped in the frame.
    form = {**FORM, "text_template": "Hi <b>{{ external_id }}</b>: {{ link }}"}
    preview = editor.client.post(
        f"{url}/preview",
        data={**form, "csrf_token": editor.csrf},
        headers={"HX-Request": "true", "HX-Target": "preview", "X-CSRF-Token": editor.csrf},
    )
    assert preview.status_code == 200
    assert preview.text.lstrip().startswith('<section class="panel" id="preview"')
    assert "How was How was your delivery??" in preview.text
    assert "Hi &lt;b&gt;sample-1&lt;/b&gt;" in preview.text
    assert "sandbox srcdoc=" in preview.text

    saved = editor.post(url, FORM)
    assert saved.status_code == 200 and "Saved." in saved.text
    stored = stack.feedback.get(f"/v1/surveys/{delivery_survey['id']}/email").json()
    assert (stored["enabled"], stored["reminders"], stored["subject_template"]) == (
        True,
        1,
        FORM["subject_template"],
    )

    sent = editor.post(f"{url}/test", FORM)
    assert sent.status_code == 200
    assert "A test is on its way to editor@example.com" in sent.text
    assert send_queued(stack) == 1
    [message] = mailbox.mailbox.wait_for(1)
    assert message.rcpt_tos == ["editor@example.com"]
    assert message.message["Subject"] == "[Test] How was How was your delivery??"


def test_templates_feedback_refuses_are_shown_at_their_field_and_nothing_is_saved(
    stack, editor, delivery_survey
):
    url = f"/surveys/{delivery_survey['id']}/email"
    refused = editor.post(url, {**FORM, "text_template": "{{ config.items() }} {{ link }}"})
    assert refused.status_code == 422
    assert re.search(r'id="e-text_template">[^<]+', refused.text)
    assert "{{ config.items() }} {{ link }}</textarea>" in refused.text  # kept to mend
    bad_number = editor.post(url, {**FORM, "reminders": "9"})
    assert bad_number.status_code == 422
    assert "A whole number from 0 to 5." in bad_number.text
    stored = stack.feedback.get(f"/v1/surveys/{delivery_survey['id']}/email").json()
    assert stored["updated_at"] is None  # never saved
    assert (
        editor.post(f"{url}/test", {**FORM, "subject_template": "{{ ''.__class__ }}"}).status_code
        == 422
    )
    assert send_queued(stack) == 0


def test_a_viewer_reads_the_mail_settings_but_cannot_change_or_send(stack, viewer, delivery_survey):
    url = f"/surveys/{delivery_survey['id']}/email"
    page = viewer.get(url)
    assert page.status_code == 200
    assert "inert" in page.text and "Send me a test" not in page.text
    for path in (url, f"{url}/preview", f"{url}/test"):
        assert viewer.post(path, FORM).status_code == 403
    assert send_queued(stack) == 0
