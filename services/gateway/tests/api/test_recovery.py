"""The recovery round trip across the services: a detractor's answer opens a case, staff resolve
it and make the follow-up link, the customer answers it on the gateway's public page (once,
however often sent), and the dashboard's recovery panel shows the figures metrics made of it."""

import re

from fastapi.testclient import TestClient


def _panel(html: str) -> str:
    panel = html[html.index('id="recovery-panel"') :]
    return panel[: panel.index("</section>")]


def test_the_panel_says_what_will_appear_before_any_case(viewer):
    panel = _panel(viewer.get("/dashboard").text)
    assert "No cases opened in this period yet" in panel
    assert "an association, not proof" in panel


def _resolved_case(stack) -> dict:
    feedback = stack.feedback
    answered = feedback.client.post(
        "/v1/public/surveys/delivery/responses",
        json={
            "submission_id": "submission-1",
            "respondent": {"external_id": "cust-1"},
            "answers": {"nps": 2, "ease": 3},
        },
    )
    assert answered.status_code in (200, 201), answered.text
    [case] = feedback.get("/v1/cases").json()["items"]
    resolved = feedback.patch(
        f"/v1/cases/{case['id']}",
        {"state": "resolved", "resolution": "Re-sent the parcel, refunded delivery."},
        headers={**feedback.gateway, "If-Match": f'"{case["version"]}"'},
    )
    assert resolved.status_code == 200, resolved.text
    return resolved.json()


def test_a_customer_answers_the_follow_up_once_and_the_panel_shows_the_recovery(
    stack, viewer, delivery_survey, tools
):
    case = _resolved_case(stack)
    link = stack.feedback.created(f"/v1/cases/{case['id']}/follow-up", {})["link"]
    customer = TestClient(stack.gateway.app, follow_redirects=False)

    page = customer.get(link)
    assert page.status_code == 200 and "Did we put this right?" in page.text
    assert "How likely are you to recommend us?" in page.text
    assert customer.post(link, data={"put_right": "yes"}).status_code == 422  # score missing
    sent = customer.post(link, data={"put_right": "yes", "score": "9"})
    assert sent.status_code == 303 and sent.headers["location"] == f"{link}/thanks"
    # Sent again (a double click, the back button): the first answer stands.
    again = customer.post(link, data={"put_right": "no", "score": "0"})
    assert again.status_code == 303
    assert "You have answered already" in customer.get(link).text
    stored = stack.feedback.get(f"/v1/cases/{case['id']}").json()
    assert stored["recovered"] is True and stored["follow_up"]["score"] == 9

    tools.relay(stack)
    panel = _panel(viewer.get("/dashboard").text)
    assert re.search(r"<strong>1</strong><span>cases opened", panel), panel
    assert '100% <span class="interval">(95% interval 21\u2013100%; 1 of 1)' in panel  # recovered
    assert "(1 follow-up sent)" in panel


def test_a_link_that_is_not_valid_says_so(stack):
    customer = TestClient(stack.gateway.app, follow_redirects=False)
    page = customer.get("/f/not-a-token")
    assert page.status_code == 404 and "This link is not valid" in page.text


def test_staff_make_the_follow_up_link_on_the_case_page_and_see_the_answer(
    stack, editor, viewer, delivery_survey
):
    case = _resolved_case(stack)
    before = editor.get(f"/cases/{case['id']}").text
    assert "Did we put it right?" in before and "Make a follow-up link" in before
    assert "Make a follow-up link" not in viewer.get(f"/cases/{case['id']}").text
    assert viewer.post(f"/cases/{case['id']}/follow-up").status_code == 403

    made = editor.post(f"/cases/{case['id']}/follow-up")
    assert made.status_code == 200, made.text
    link = re.search(r'id="follow-up-link"[^>]*value="[^"]*?(/f/[^"]+)"', made.text)
    assert link, made.text
    customer = TestClient(stack.gateway.app, follow_redirects=False)
    assert customer.post(link.group(1), data={"put_right": "no", "score": "3"}).status_code == 303

    after = editor.get(f"/cases/{case['id']}").text
    panel = after[after.index("follow-up-title") :]
    assert (
        "scoring 3: not recovered." in panel and "Make a" not in panel[: panel.index("</section>")]
    )
