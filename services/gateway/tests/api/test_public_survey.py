"""The survey as customers answer it: one question at a time, exactly once, with JavaScript or
without it."""

import re

from fastapi.testclient import TestClient

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


class Respondent:
    """A customer's browser on the survey page (no staff session)."""

    def __init__(self, stack, htmx=False):
        self.client = TestClient(stack.gateway.app, follow_redirects=False)
        self.htmx = htmx
        self.state = {}
        self.page = None

    def open(self, url):
        self.page = self.client.get(url)
        self._keep()
        return self.page

    def _keep(self):
        self.state = dict(HIDDEN.findall(self.page.text))

    def answer(self, **answers):
        form = dict(self.state)
        for key, value in answers.items():
            form[f"a_{key}"] = value
        headers = {"HX-Request": "true"} if self.htmx else {}
        self.page = self.client.post(f"/s/{self.slug}", data=form, headers=headers)
        if self.page.status_code in (200, 422):
            self._keep()
        return self.page

    @property
    def slug(self):
        return "delivery"

    def question(self):
        return self.state.get("question")


def responses(stack):
    return stack.feedback.get("/v1/responses").json()["items"]


def test_a_detractor_answers_every_question_in_turn_and_is_thanked(stack, delivery_survey):
    person = Respondent(stack)
    page = person.open("/s/delivery?order_id=A-1001&customer_id=c-42&evil=1")
    assert page.status_code == 200
    assert "How likely are you to recommend us?" in page.text
    assert "Question 1 of up to 4" in page.text
    assert person.question() == "nps"
    assert person.state["h_order_id"] == "A-1001" and "h_evil" not in person.state
    assert person.answer(nps="3").status_code == 200
    assert person.question() == "what_went_wrong"  # shown because 3 <= 6
    person.answer(what_went_wrong="Left in the rain <script>alert(1)</script>")
    assert person.question() == "topics"
    form = dict(person.state, a_topics=["late", "damaged"])
    person.page = person.client.post("/s/delivery", data=form)
    person._keep()
    assert person.question() == "ease"
    done = person.answer(ease="2")
    assert done.status_code == 303 and done.headers["location"] == "/s/delivery/thanks"
    thanks = person.client.get("/s/delivery/thanks")
    assert "Thank you, that helps us a lot." in thanks.text

    [stored] = responses(stack)
    assert stored["status"] == "complete"
    assert stored["answers"] == {
        "nps": 3,
        "what_went_wrong": "Left in the rain <script>alert(1)</script>",
        "topics": ["late", "damaged"],
        "ease": 2,
    }
    assert stored["hidden"] == {"order_id": "A-1001", "customer_id": "c-42"}
    assert stored["respondent_external_id"] == "c-42"
    assert stored["channel"] == "web"


def test_a_promoter_skips_the_question_for_detractors(stack, delivery_survey):
    person = Respondent(stack, htmx=True)
    person.open("/s/delivery")
    step = person.answer(nps="10")
    assert "<html" not in step.text  # htmx gets the next step alone
    assert person.question() == "topics"


def test_a_required_question_left_empty_is_asked_again_and_nothing_is_stored(
    stack, delivery_survey
):
    person = Respondent(stack)
    person.open("/s/delivery")
    page = person.answer()
    assert page.status_code == 422
    assert "Please answer this question." in page.text
    assert 'aria-describedby="q-ends q-error"' in page.text or "q-error" in page.text
    assert person.question() == "nps"
    assert responses(stack) == []


def test_double_submits_and_resubmits_store_one_response(stack, delivery_survey):
    person = Respondent(stack)
    person.open("/s/delivery")
    first_state = dict(person.state)
    person.answer(nps="9")
    # The same first step again (a double click, a network retry): the same response.
    again = person.client.post("/s/delivery", data={**first_state, "a_nps": "9"})
    assert again.status_code == 200
    assert len(responses(stack)) == 1
    person.answer(topics="late")
    last_state = dict(person.state)
    assert person.answer(ease="6").status_code == 303
    # The back button and the last step sent again: still one response, and thanks.
    resubmit = person.client.post("/s/delivery", data={**last_state, "a_ease": "6"})
    assert resubmit.status_code == 303
    assert resubmit.headers["location"] == "/s/delivery/thanks"
    stored = responses(stack)
    assert len(stored) == 1 and stored[0]["status"] == "complete"


def test_progress_is_saved_and_resumes_from_its_link(stack, delivery_survey):
    person = Respondent(stack)
    person.open("/s/delivery")
    page = person.answer(nps="8")
    link = re.search(r'href="(/s/delivery\?resume=[^"]+)"', page.text).group(1)
    [partial] = responses(stack)
    assert partial["status"] == "partial" and partial["answers"] == {"nps": 8}
    elsewhere = Respondent(stack)  # another device
    resumed = elsewhere.open(link.replace("&amp;", "&"))
    assert resumed.status_code == 200
    assert elsewhere.question() == "topics"
    elsewhere.answer(topics="late")
    assert elsewhere.answer(ease="7").status_code == 303
    [done] = responses(stack)
    assert done["status"] == "complete" and done["answers"]["nps"] == 8


def test_the_page_may_be_framed_only_by_the_surveys_origins(stack, delivery_survey):
    page = Respondent(stack).open("/s/delivery?origin=https://shop.example")
    csp = page.headers["Content-Security-Policy"]
    # The listed origins alone: not 'self' (no page of the gateway frames a survey).
    assert csp.endswith("frame-ancestors https://shop.example")
    assert "X-Frame-Options" not in page.headers
    assert 'data-parent-origin="https://shop.example"' in page.text
    other = Respondent(stack).open("/s/delivery?origin=https://evil.example")
    assert "data-parent-origin" not in other.text
    assert "evil.example" not in other.headers["Content-Security-Policy"]
    stack.feedback.patch(f"/v1/surveys/{delivery_survey['id']}", {"allowed_origins": []})
    stack.feedback.post(f"/v1/surveys/{delivery_survey['id']}/publish")
    unlisted = Respondent(stack).open("/s/delivery")
    assert unlisted.headers["Content-Security-Policy"].endswith("frame-ancestors 'none'")
    assert unlisted.headers["X-Frame-Options"] == "DENY"


def test_html_and_css_of_the_survey_page_stay_under_30_kb(stack, delivery_survey):
    client = TestClient(stack.gateway.app)
    html = client.get("/s/delivery").content
    css = client.get("/static/survey.css").content
    assert len(html) + len(css) < 30 * 1024


def test_the_nps_scale_is_labelled_for_screen_readers(stack, delivery_survey):
    page = Respondent(stack).open("/s/delivery").text
    assert "<fieldset" in page and "<legend>How likely are you to recommend us?" in page
    assert (
        '<label for="a-0">0<span class="visually-hidden">, not at all likely</span></label>' in page
    )
    assert (
        '<label for="a-10">10<span class="visually-hidden">, extremely likely</span></label>'
        in page
    )
    assert len(re.findall(r'<input type="radio" id="a-\d+" name="a_nps"', page)) == 11


def test_closed_unknown_and_unavailable_surveys_are_said_plainly(stack, delivery_survey):
    assert Respondent(stack).open("/s/nothing-here").status_code == 404
    paused = stack.feedback.patch(
        f"/v1/surveys/{delivery_survey['id']}",
        {"status": "paused"},
        headers={**stack.feedback.writer, "If-Match": f'"{delivery_survey["version"]}"'},
    )
    assert paused.status_code == 200, paused.text
    page = Respondent(stack).open("/s/delivery")
    assert "paused" in page.text and "<form" not in page.text
    stack.stop("feedback")
    # A survey the gateway has shown before is shown from its copy; one it has not, cannot be.
    assert "paused" in Respondent(stack).open("/s/delivery").text
    down = Respondent(stack).open("/s/returns")
    assert down.status_code == 503
    assert "cannot take answers just this moment" in down.text


def test_an_answer_that_cannot_be_saved_is_kept_on_screen(stack, delivery_survey):
    person = Respondent(stack)
    person.open("/s/delivery")
    stack.stop("feedback")
    page = person.answer(nps="7")
    assert page.status_code == 503
    assert "could not be saved just now" in page.text
    assert 'value="7" checked' in page.text
    stack.start("feedback")
    person.answer(nps="7")
    assert person.question() == "topics"
    assert len(responses(stack)) == 1


def test_an_invitation_link_is_answered_once(stack, delivery_survey):
    created = stack.feedback.post(
        f"/v1/surveys/{delivery_survey['id']}/invitations",
        {"respondents": [{"external_id": "c-7", "email": "c7@example.com"}]},
    )
    assert created.status_code == 201, created.text
    link = created.json()["created"][0]["link"]
    person = Respondent(stack)
    assert person.open(link).status_code == 200
    assert person.state["channel"] == "email"
    person.answer(nps="9")
    person.answer(topics="late")
    assert person.answer(ease="5").status_code == 303
    [stored] = responses(stack)
    assert stored["invitation_id"] is not None and stored["channel"] == "email"
    again = Respondent(stack).open(link)
    assert "answered this survey already" in again.text


def test_embed_script_is_served_as_javascript(stack):
    script = TestClient(stack.gateway.app).get("/embed.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "postMessage" not in script.text or "cxloop:height" in script.text
