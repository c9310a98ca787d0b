"""A staff member's notifications page: their choice for cases (feedback) and incidents
(metrics), kept by each service for their e-mail address; viewers choose too; a form from
elsewhere changes nothing; and the page says when e-mail is not set up."""


def delivery(stack, service, email):
    found = getattr(stack, service).get(f"/v1/notification-settings/{email}")
    assert found.status_code == 200, found.text
    return found.json()["delivery"]


def test_a_member_chooses_how_each_service_tells_them(stack, viewer):
    page = viewer.get("/notifications")
    assert page.status_code == 200, page.text
    assert "viewer@example.com" in page.text
    # The test stack's services have no SMTP server: the page says so.
    assert "E-mail is not set up, so nothing is sent yet" in page.text
    assert page.text.count('value="each" checked') == 2

    saved = viewer.post("/notifications", {"cases": "digest", "incidents": "off"})
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == "/notifications?saved=1"
    assert delivery(stack, "feedback", "viewer@example.com") == "digest"
    assert delivery(stack, "metrics", "viewer@example.com") == "off"
    again = viewer.get("/notifications?saved=1").text
    assert "Saved." in again
    assert 'value="digest" checked' in again and 'value="off" checked' in again
    # Someone else's choice is untouched.
    assert delivery(stack, "feedback", "editor@example.com") == "each"


def test_a_form_from_elsewhere_or_with_an_odd_choice_changes_nothing(stack, editor):
    forged = editor.client.post("/notifications", data={"cases": "off", "incidents": "off"})
    assert forged.status_code == 403
    odd = editor.post("/notifications", {"cases": "hourly", "incidents": "off"})
    assert odd.status_code == 422
    assert "Choose one of the options offered." in odd.text
    assert delivery(stack, "feedback", "editor@example.com") == "each"
    assert delivery(stack, "metrics", "editor@example.com") == "each"


def test_signed_out_visitors_are_sent_to_sign_in(stack):
    response = stack.gateway.get("/notifications")
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["location"]
