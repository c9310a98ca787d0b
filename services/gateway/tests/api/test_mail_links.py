"""Where an invitation mail's links lead, through the gateway: the score links of an NPS
survey, the unsubscribe page and its one-click POST, and the tracking pixel. A visit alone
(what a mail scanner does) never answers and never unsubscribes."""

from fastapi.testclient import TestClient
from sqlmodel import select

from cxshared.testing.databases import fetch_all
from feedback.invitations.models import Invitation

from .test_public_survey import Respondent, responses


def invite(stack, survey, external_id="c-7"):
    created = stack.feedback.post(
        f"/v1/surveys/{survey['id']}/invitations",
        {"respondents": [{"external_id": external_id, "email": f"{external_id}@example.com"}]},
    )
    assert created.status_code == 201, created.text
    [invitation] = fetch_all(
        stack.feedback.database_url, select(Invitation).where(Invitation.external_id == external_id)
    )
    return created.json()["created"][0]["link"], invitation


def test_a_score_clicked_in_the_mail_is_recorded_once_and_the_survey_goes_on(
    stack, delivery_survey
):
    link, _ = invite(stack, delivery_survey)
    person = Respondent(stack, htmx=True)
    page = person.open(f"{link}&score=9")
    assert page.status_code == 200
    assert 'id="a-9" name="a_nps" value="9" checked' in page.text
    assert 'hx-trigger="load, submit"' in page.text  # sent as the browser loads the page
    assert responses(stack) == []  # opening the link (a scanner does) answers nothing

    assert person.answer(nps="9").status_code == 200  # what the page sends on load
    assert person.question() == "topics"
    [stored] = responses(stack)
    assert (stored["answers"], stored["status"], stored["channel"]) == (
        {"nps": 9},
        "partial",
        "email",
    )

    # Another score clicked in the same mail, in another tab: the first one stands.
    other = Respondent(stack, htmx=True)
    other.open(f"{link}&score=2")
    assert other.answer(nps="2").status_code == 200
    assert other.question() == "topics"
    [stored] = responses(stack)
    assert stored["answers"] == {"nps": 9}

    person.answer(topics="late")
    done = person.answer(ease="6")
    assert (done.status_code, done.headers["HX-Location"]) == (204, "/s/delivery/thanks")
    [stored] = responses(stack)
    assert (stored["status"], stored["answers"]) == (
        "complete",
        {"nps": 9, "topics": ["late"], "ease": 6},
    )
    assert "answered this survey already" in Respondent(stack).open(f"{link}&score=9").text


def test_a_score_link_without_an_invitation_or_out_of_range_is_an_ordinary_visit(
    stack, delivery_survey
):
    link, _ = invite(stack, delivery_survey)
    for url in ("/s/delivery?score=9", f"{link}&score=11", f"{link}&score=x"):
        page = Respondent(stack).open(url)
        assert page.status_code == 200
        assert "checked" not in page.text and "hx-trigger" not in page.text


def test_the_unsubscribe_link_asks_first_and_the_one_click_post_stops_all_mail(
    stack, delivery_survey
):
    _, invitation = invite(stack, delivery_survey)
    browser = TestClient(stack.gateway.app, follow_redirects=False)
    page = browser.get(f"/u/{invitation.unsubscribe_token}")
    assert page.status_code == 200
    assert "c***@example.com" in page.text and "c-7@example.com" not in page.text
    assert f'action="/u/{invitation.unsubscribe_token}"' in page.text
    info = stack.feedback.client.get(f"/v1/public/unsubscribe/{invitation.unsubscribe_token}")
    assert info.json()["unsubscribed"] is False  # reading the page changed nothing

    # What a mail client sends for List-Unsubscribe-Post (RFC 8058): no cookie, no token.
    done = TestClient(stack.gateway.app).post(
        f"/u/{invitation.unsubscribe_token}",
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200
    assert "no more survey e-mail" in done.text
    info = stack.feedback.client.get(f"/v1/public/unsubscribe/{invitation.unsubscribe_token}")
    assert info.json()["unsubscribed"] is True
    again = browser.get(f"/u/{invitation.unsubscribe_token}")
    assert "already" in again.text and "<form" not in again.text.split("<main", 1)[-1]


def test_an_unknown_unsubscribe_link_is_said_plainly_and_feedback_down_is_503(
    stack, delivery_survey
):
    browser = TestClient(stack.gateway.app)
    page = browser.get("/u/not-a-token")
    assert page.status_code == 404 and "not valid" in page.text
    assert browser.post("/u/not-a-token").status_code == 404
    _, invitation = invite(stack, delivery_survey)
    stack.stop("feedback")
    down = browser.post(f"/u/{invitation.unsubscribe_token}")
    assert down.status_code == 503  # a mail client retries a one-click unsubscribe
    stack.start("feedback")


def test_the_pixel_is_a_gif_that_records_the_opening_whatever_happens(stack, delivery_survey):
    _, invitation = invite(stack, delivery_survey)
    browser = TestClient(stack.gateway.app)
    pixel = browser.get(f"/o/{invitation.unsubscribe_token}.gif")
    assert pixel.status_code == 200
    assert pixel.headers["content-type"] == "image/gif"
    assert pixel.content.startswith(b"GIF89a")
    assert "no-store" in pixel.headers["cache-control"]
    [seen] = fetch_all(
        stack.feedback.database_url, select(Invitation).where(Invitation.id == invitation.id)
    )
    assert seen.mail_opened_at is not None
    assert browser.get("/o/unknown.gif").headers["content-type"] == "image/gif"


def test_without_an_smtp_server_the_email_page_says_so_and_a_test_is_refused(
    stack, editor, delivery_survey
):
    url = f"/surveys/{delivery_survey['id']}/email"
    page = editor.get(url)
    assert page.status_code == 200
    assert "E-mail is not set up, so nothing is mailed." in page.text
    assert "FEEDBACK_SMTP_URL" in page.text
    sent = editor.post(
        f"{url}/test",
        {
            "subject_template": "Hi",
            "text_template": "{{ link }}",
            "reminders": "1",
            "reminder_after_days": "3",
        },
    )
    assert sent.status_code == 409
    assert "Nothing was sent" in sent.text


def test_the_invitations_list_says_what_was_mailed_and_who_cannot_be_reached(
    stack, editor, delivery_survey
):
    _, invitation = invite(stack, delivery_survey, "ann")
    invite(stack, delivery_survey, "bob")
    TestClient(stack.gateway.app).post(f"/u/{invitation.unsubscribe_token}")
    page = editor.get(f"/surveys/{delivery_survey['id']}/invitations")
    assert page.status_code == 200
    assert "not mailed" in page.text  # no SMTP server here: nothing passes for sent
    section = page.text.split('id="unreachable-title"', 1)[1].split("</section>", 1)[0]
    assert "Not reachable by e-mail (1)" in page.text
    assert "ann" in section and "unsubscribed" in section and "bob" not in section
