"""The Cases section: the inbox with its tabs, counts and bulk assign; the case page with the
response, the SLA clocks, valid state buttons only, notes, the contact log, the resolution and
the customer's timeline; stale edits keep what was typed; viewers change nothing; hostile text
is shown as text."""

import re
import uuid
from typing import Any

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"


def a_case(stack: Any, assignee: str | None = "editor@example.com", **fields: Any) -> dict:
    body = {"title": "Parcel left in the rain", "respondent_external_id": "cust-7", **fields}
    if assignee:
        body["assignee_email"] = assignee
    return stack.feedback.created("/v1/cases", body)  # type: ignore[no-any-return]


def detractor(stack: Any, comment: str, who: str = "cust-7") -> dict:
    """A detractor's answer through feedback's public API: the default rule opens a case."""
    answered = stack.feedback.client.post(
        "/v1/public/surveys/delivery/responses",
        json={
            "submission_id": uuid.uuid4().hex,
            "complete": True,
            "respondent": {"external_id": who},
            "answers": {"nps": 1, "what_went_wrong": comment, "ease": 2},
        },
    )
    assert answered.status_code == 201, answered.text
    return answered.json()  # type: ignore[no-any-return]


def stored_case(stack: Any, case_id: str) -> dict:
    return stack.feedback.get(f"/v1/cases/{case_id}").json()  # type: ignore[no-any-return]


def test_my_inbox_lists_my_cases_with_the_counts(stack, editor):
    mine = a_case(stack, title=HOSTILE)
    a_case(stack, assignee="admin@example.com", title="Someone else's")
    page = editor.get("/cases")
    assert page.status_code == 200, page.text
    assert f'href="/cases/{mine["id"]}"' in page.text and "Someone else" not in page.text
    assert ESCAPED in page.text and HOSTILE not in page.text
    assert re.search(r'view=mine" aria-current="page">Mine <span class="count">1</span>', page.text)
    # The navigation's counts: plain numbers on the cases pages, and a fragment that polls.
    assert 'id="case-counts"' in page.text and 'hx-trigger="every 30s' in page.text
    counts = editor.htmx("GET", "/cases/counts")
    assert counts.status_code == 200 and '<span class="count">1</span> mine' in counts.text
    assert "unassigned" not in counts.text  # the unassigned queue is the admins'
    assert editor.get("/cases/counts").status_code == 303
    # Elsewhere the counts load themselves once the page is there.
    assert 'hx-trigger="load, every 30s' in editor.get("/journeys").text


def test_the_unassigned_queue_is_for_admins(stack, editor, browser_for, delivery_survey):
    detractor(stack, "Never again")
    admin = browser_for("admin")
    queue = admin.get("/cases?view=unassigned").text
    assert "Unassigned" in queue and "nobody" in queue
    assert '<span class="count">1</span> unassigned' in admin.htmx("GET", "/cases/counts").text
    # An editor asking for it sees their own cases instead.
    assert 'view=unassigned"' not in editor.get("/cases?view=unassigned").text


def test_filters_and_tabs_narrow_the_list(stack, editor):
    high = a_case(stack, title="High one", priority="high")
    a_case(stack, title="Normal one")
    page = editor.get("/cases?view=mine&priority=high").text
    assert "High one" in page and "Normal one" not in page
    stack.feedback.patch(
        f"/v1/cases/{high['id']}",
        {"state": "resolved", "resolution": "Refunded"},
        headers={**stack.feedback.writer, "If-Match": f'"{high["version"]}"'},
    )
    assert "High one" not in editor.get("/cases").text  # being worked, by default
    assert "High one" in editor.get("/cases?state=resolved").text
    assert "High one" not in editor.get("/cases?age=30").text  # none older than 30 days
    assert "Normal one" in editor.get("/cases?view=all&assignee=editor@example.com").text


def test_bulk_assign_gives_the_ticked_cases_to_a_person(stack, editor):
    first, second, left = (a_case(stack, title=f"Case {n}") for n in range(3))
    done = editor.post(
        "/cases/assign",
        {
            "case": [f"{first['id']}:{first['version']}", f"{second['id']}:{second['version']}"],
            "assignee": "user:viewer@example.com",
            "back": "/cases?view=mine",
        },
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"].startswith("/cases?view=mine&assigned=Assigned+2+cases")
    for case in (first, second):
        assert stored_case(stack, case["id"])["assignee"]["email"] == "viewer@example.com"
    assert stored_case(stack, left["id"])["assignee"]["email"] == "editor@example.com"
    assert "Assigned 2 cases." in editor.get(done.headers["location"]).text


def test_bulk_assign_to_a_team_and_a_stale_case_is_left_alone(stack, editor, delivery_journey):
    fresh, stale = a_case(stack, title="Fresh"), a_case(stack, title="Stale")
    stack.feedback.patch(
        f"/v1/cases/{stale['id']}",
        {"priority": "high"},
        headers={**stack.feedback.writer, "If-Match": f'"{stale["version"]}"'},
    )
    team = delivery_journey["team"]
    done = editor.post(
        "/cases/assign",
        {
            "case": [f"{fresh['id']}:{fresh['version']}", f"{stale['id']}:{stale['version']}"],
            "assignee": f"team:{team['id']}",
        },
    )
    assert "changed+since+the+list" in done.headers["location"]
    moved = stored_case(stack, fresh["id"])["assignee"]
    assert (moved["email"], moved["team_id"]) == (None, team["id"])
    assert stored_case(stack, stale["id"])["assignee"]["email"] == "editor@example.com"


def test_a_viewer_sees_cases_but_changes_nothing(stack, viewer):
    case = a_case(stack, assignee="viewer@example.com")
    page = viewer.get(f"/cases/{case['id']}")
    assert page.status_code == 200 and "Parcel left in the rain" in page.text
    assert 'action="/cases/' not in page.text  # no forms
    assert 'type="checkbox" name="case"' not in viewer.get("/cases").text
    for url, form in [
        ("/cases/assign", {"case": f"{case['id']}:1", "assignee": "user:viewer@example.com"}),
        (f"/cases/{case['id']}", {"version": 1, "state": "in_progress"}),
        (f"/cases/{case['id']}/notes", {"body": "hi"}),
        (f"/cases/{case['id']}/contacts", {"channel": "phone", "outcome": "reached"}),
    ]:
        assert viewer.post(url, form).status_code == 403, url
    assert stored_case(stack, case["id"])["version"] == case["version"]


def test_a_write_without_the_csrf_token_is_refused(stack, editor):
    case = a_case(stack)
    refused = editor.client.post(f"/cases/{case['id']}/notes", data={"body": "hi"})
    assert refused.status_code == 403
    assert stack.feedback.get(f"/v1/cases/{case['id']}/notes").json() == []


def test_the_case_page_shows_the_response_the_clocks_and_the_timeline(
    stack, editor, delivery_survey
):
    earlier = detractor(stack, "Late again " + HOSTILE, who="cust-9")
    latest = detractor(stack, "Box crushed", who="cust-9")
    case = stack.feedback.get("/v1/cases", params={"respondent": "cust-9"}).json()["items"][0]
    assert case["response_id"] == latest["id"]
    page = editor.get(f"/cases/{case['id']}").text
    response_part = page[page.index("response-title") : page.index("work-title")]
    assert "Box crushed" in response_part and "<strong>1</strong>" in response_part
    sla = page[page.index("sla-title") : page.index("timeline-title")]
    assert "First contact" in sla and "Due " in sla and "hours used" in sla
    timeline = page[page.index("timeline-title") :]
    assert "Late again" in timeline and ESCAPED in timeline and HOSTILE not in page
    assert timeline.index("Box crushed") < timeline.index("Late again")  # newest first
    assert "(this case)" in timeline and earlier["id"] not in timeline


def test_state_buttons_offer_valid_moves_and_resolving_needs_a_resolution(stack, editor):
    case = a_case(stack)
    page = editor.get(f"/cases/{case['id']}").text
    assert "Start work" in page and "Reopen" not in page and ">Close<" not in page
    missing = editor.post(
        f"/cases/{case['id']}", {"version": case["version"], "state": "resolved", "resolution": ""}
    )
    assert missing.status_code == 422 and "say how it was put right" in missing.text
    done = editor.post(
        f"/cases/{case['id']}",
        {"version": case["version"], "state": "resolved", "resolution": "Refunded " + HOSTILE},
    )
    assert done.status_code == 303 and done.headers["location"] == f"/cases/{case['id']}"
    after = editor.get(f"/cases/{case['id']}").text
    assert "Reopen" in after and ">Close<" in after and "Start work" not in after
    assert "Refunded " + ESCAPED in after
    history = after[after.index("history-title") :]
    assert "editor@example.com" in history and "resolved" in history
    assert "<strong>Assigned</strong> to editor@example.com" in history
    assert "<strong>Opened</strong>: opened by hand" in history


def test_a_stale_edit_says_so_and_keeps_what_was_typed(stack, editor):
    case = a_case(stack)
    editor.get(f"/cases/{case['id']}")
    stack.feedback.patch(
        f"/v1/cases/{case['id']}",
        {"state": "in_progress"},
        headers={**stack.feedback.writer, "If-Match": f'"{case["version"]}"'},
    )
    typed = "Sent a voucher and apologised"
    stale = editor.post(
        f"/cases/{case['id']}",
        {"version": case["version"], "state": "resolved", "resolution": typed},
    )
    assert stale.status_code == 412
    assert "changed this case after you opened it" in stale.text and typed in stale.text
    assert stored_case(stack, case["id"])["state"] == "in_progress"
    assert "In progress" in stale.text  # the case as it is now


def test_notes_and_contacts_are_added_and_shown_as_text(stack, editor):
    case = a_case(stack)
    noted = editor.post(f"/cases/{case['id']}/notes", {"body": HOSTILE})
    assert noted.status_code == 303
    empty = editor.post(f"/cases/{case['id']}/notes", {"body": "  "})
    assert empty.status_code == 422 and "Write the note first." in empty.text
    logged = editor.post(
        f"/cases/{case['id']}/contacts",
        {
            "channel": "phone",
            "outcome": "reached",
            "contacted_at": "2026-01-02T10:30",
            "note": "ok",
        },
    )
    assert logged.status_code == 303, logged.text
    page = editor.get(f"/cases/{case['id']}").text
    notes = page[page.index("notes-title") : page.index("contacts-title")]
    assert ESCAPED in notes and HOSTILE not in page
    contacts = page[page.index("contacts-title") : page.index("history-title")]
    assert "Phone: reached" in contacts and "02 Jan 2026, 10:30 UTC" in contacts
    later = editor.post(
        f"/cases/{case['id']}/contacts",
        {"channel": "phone", "outcome": "reached", "contacted_at": "not a date", "note": "kept"},
    )
    assert later.status_code == 422 and 'value="kept"' in later.text


def test_a_case_is_opened_from_a_response(stack, editor, delivery_survey):
    answered = stack.feedback.client.post(
        "/v1/public/surveys/delivery/responses",
        json={"submission_id": "passive-1", "complete": True, "answers": {"nps": 8, "ease": 4}},
    )
    assert answered.status_code == 201
    opened = editor.post(
        "/cases/open",
        {"response_id": answered.json()["id"], "title": "Ask what would make it a 10"},
    )
    assert opened.status_code == 303
    page = editor.get(opened.headers["location"]).text
    assert "Ask what would make it a 10" in page and "<strong>8</strong>" in page


def test_touchpoint_cards_and_incidents_link_to_the_touchpoints_open_cases(
    stack, editor, delivery_journey, tools
):
    courier = delivery_journey["stages"][0]["touchpoints"][0]
    link = f'href="/cases?view=all&amp;touchpoint_id={courier["id"]}"'
    assert link in editor.get(f"/journeys/{delivery_journey['id']}").text
    tools.relay(stack)
    tools.answers(stack, courier["id"], [0, 1, 2, 0, 1, 2, 3, 0])
    evaluated = stack.metrics.post("/v1/incidents/evaluate", headers=stack.metrics.admin)
    assert evaluated.status_code == 200, evaluated.text
    assert link in editor.get("/incidents?status=open").text
    assert link in editor.get("/dashboard").text
    a_case(stack, touchpoint_id=courier["id"], title="At the courier")
    a_case(stack, title="Elsewhere")
    listed = editor.get(f"/cases?view=all&touchpoint_id={courier['id']}").text
    assert "At the courier" in listed and "Elsewhere" not in listed


def test_the_inbox_pages_back_with_a_cursor(stack, editor):
    titles = [a_case(stack, title=f"Case number {n:02d}")["title"] for n in range(27)]
    first = editor.get("/cases").text
    older = re.search(r'<a href="(/cases\?[^"]+cursor=[^"]+)">Older</a>', first)
    assert older, first
    rest = editor.get(older.group(1).replace("&amp;", "&")).text
    shown = [t for t in titles if t in first] + [t for t in titles if t in rest]
    assert sorted(shown) == sorted(titles)  # each once, newest first across the pages
    assert titles[-1] in first and titles[0] in rest and "Newest</a>" in rest
    # A cursor edited by hand leads back to the first page.
    assert editor.get("/cases?view=mine&cursor=nonsense").status_code == 303
