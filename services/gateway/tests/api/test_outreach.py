"""An outreach case for a customer at risk, in one click from the customers at risk or the
dashboard's five: editors only, with the page's CSRF token, one being worked per customer."""

import re
from datetime import datetime

XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"
ODD = 'c-<i>"3'  # an external id that must stay text in the page and in the form
BUTTON = "Open an outreach case"


def _at_risk(stack, tools):
    """Three customers at risk: a big detractor, a small one, and one with an odd id and name."""
    customers = [
        {"external_id": "c-1", "name": "Big Shop", "segment": "gold", "annual_revenue": 90_000},
        {"external_id": "c-2", "name": "Small Shop", "segment": "basic", "annual_revenue": 900},
        {"external_id": ODD, "name": XSS, "segment": "basic", "annual_revenue": 2_000},
    ]
    added = stack.metrics.post("/v1/customers", {"customers": customers})
    assert added.status_code == 200, added.text
    tools.answered_by(stack, [("c-1", None, 2), ("c-2", None, 1), (ODD, None, 3)])
    items = stack.metrics.get("/v1/outcomes/at-risk").json()["items"]
    return {item["external_id"]: item for item in items}


def _outreach(stack, **params):
    found = stack.feedback.get("/v1/cases", params={"source": "outreach", **params})
    assert found.status_code == 200, found.text
    return found.json()["items"]


def _row(html, name):
    start = html.index(f'<th scope="row">{name}')
    return html[start : html.index("</tr>", start)]


def test_an_editor_opens_an_outreach_case_in_one_click_and_a_second_click_opens_none(
    stack, editor, tools
):
    risk = _at_risk(stack, tools)
    page = editor.get("/dashboard/at-risk").text
    assert BUTTON in _row(page, "Big Shop") and BUTTON in _row(page, "Small Shop")

    clicked = editor.post("/dashboard/at-risk/outreach", {"customer": "c-1"})
    assert clicked.status_code == 303 and clicked.headers["location"] == "/dashboard/at-risk"
    assert clicked.headers["HX-Trigger"] == "case-changed"
    [case] = _outreach(stack)
    answered = datetime.fromisoformat(risk["c-1"]["answered_at"])
    loss = risk["c-1"]["expected_loss"]
    assert case["title"] == (
        f"At risk: €{loss:,.0f} a year, detractor since {answered.day} {answered:%b}"
    )
    # Loss from 5,000 a year is high priority; the case waits in the unassigned queue.
    assert loss >= 5_000 and case["priority"] == "high" and case["assignee"]["email"] is None
    assert case["respondent_external_id"] == "c-1" and "Big Shop" in case["description"]

    page = editor.get("/dashboard/at-risk").text
    row = _row(page, "Big Shop")
    assert BUTTON not in row and f'<a class="outreach" href="/cases/{case["id"]}">' in row
    again = editor.post("/dashboard/at-risk/outreach", {"customer": "c-1"})
    assert again.status_code == 303 and len(_outreach(stack)) == 1

    # From the dashboard's five, back to the dashboard; a small loss is normal priority.
    dashboard = editor.get("/dashboard").text
    back = re.search(r'name="back" value="([^"]+)"', dashboard)[1]
    assert back.startswith("/dashboard?") and f'href="/cases/{case["id"]}"' in dashboard
    small = editor.post("/dashboard/at-risk/outreach", {"customer": "c-2", "back": back})
    assert small.headers["location"] == back.replace("&amp;", "&")
    [opened] = _outreach(stack, respondent="c-2")
    assert risk["c-2"]["expected_loss"] < 5_000 and opened["priority"] == "normal"


def test_once_the_case_is_resolved_the_button_comes_back(stack, editor, tools):
    _at_risk(stack, tools)
    editor.post("/dashboard/at-risk/outreach", {"customer": "c-1"})
    [case] = _outreach(stack)
    resolved = stack.feedback.patch(
        f"/v1/cases/{case['id']}", {"state": "resolved", "resolution": "Called; staying."}
    )
    assert resolved.status_code == 200, resolved.text
    assert BUTTON in _row(editor.get("/dashboard/at-risk").text, "Big Shop")
    editor.post("/dashboard/at-risk/outreach", {"customer": "c-1"})
    assert len(_outreach(stack, active="true")) == 1 and len(_outreach(stack)) == 2


def test_a_viewer_sees_no_button_and_cannot_open_one(stack, viewer, tools):
    _at_risk(stack, tools)
    page = viewer.get("/dashboard/at-risk").text
    assert BUTTON not in page and "none open" in _row(page, "Big Shop")
    assert BUTTON not in viewer.get("/dashboard").text
    refused = viewer.post("/dashboard/at-risk/outreach", {"customer": "c-1"})
    assert refused.status_code == 403 and _outreach(stack) == []


def test_a_click_without_the_pages_token_or_from_elsewhere_opens_nothing(stack, editor, tools):
    _at_risk(stack, tools)
    no_token = editor.client.post("/dashboard/at-risk/outreach", data={"customer": "c-1"})
    assert no_token.status_code == 403
    forged = editor.post(
        "/dashboard/at-risk/outreach",
        {"customer": "c-1"},
        headers={"Origin": "https://evil.example"},
    )
    assert forged.status_code == 403 and _outreach(stack) == []
    # A customer not at risk opens nothing; a return address elsewhere is not followed.
    missing = editor.post(
        "/dashboard/at-risk/outreach", {"customer": "nobody", "back": "//evil.example/x"}
    )
    assert missing.headers["location"] == "/dashboard/at-risk" and _outreach(stack) == []


def test_names_and_ids_stay_text_in_the_page_the_form_and_the_case(stack, editor, tools):
    _at_risk(stack, tools)
    page = editor.get("/dashboard/at-risk").text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert 'name="customer" value="c-&lt;i&gt;&#34;3"' in page
    clicked = editor.post("/dashboard/at-risk/outreach", {"customer": ODD})
    assert clicked.status_code == 303
    [case] = _outreach(stack, respondent=ODD)
    assert case["respondent_external_id"] == ODD
    row = _row(editor.get("/dashboard/at-risk").text, "&lt;script&gt;")
    assert BUTTON not in row and f'href="/cases/{case["id"]}"' in row
    detail = editor.get(f"/cases/{case['id']}").text
    assert "<script>alert(1)" not in detail and "&lt;script&gt;alert(1)" in detail


def test_with_feedback_stopped_the_customers_show_without_buttons(stack, editor, tools):
    _at_risk(stack, tools)
    stack.stop("feedback")
    page = editor.get("/dashboard/at-risk")
    assert page.status_code == 200 and "Big Shop" in page.text and BUTTON not in page.text
    assert "The feedback service" in page.text
    assert editor.get("/dashboard").status_code == 200
