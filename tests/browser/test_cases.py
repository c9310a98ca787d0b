"""Cases in a real browser: the inbox (tabs, counts, bulk assign from the keyboard), the case
page (a note, a contact, resolving) with the customer's timeline, without JavaScript too, and
neither page wider than a 390 px phone."""

import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

# Its module-scoped world is built once, on one xdist worker (make pytest: --dist loadgroup).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

XSS = '<script>alert("x")</script><img src=x onerror=alert("y")>'
PHONE = {"width": 390, "height": 760}


def answered(world, slug: str, who: str, nps: int, why: str) -> dict[str, Any]:
    response = httpx.post(
        f"{world.api('feedback')}/v1/public/surveys/{slug}/responses",
        json={
            "submission_id": uuid.uuid4().hex,
            "complete": True,
            "respondent": {"external_id": who},
            "answers": {"nps": nps, "why": why},
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def cases(world) -> dict[str, Any]:
    """Two customers' cases given to the editor by hand; the first customer answered before."""
    tag = uuid.uuid4().hex[:6]
    slug = f"desk-{tag}"
    survey = world.post(
        "feedback",
        "/v1/surveys",
        {
            "slug": slug,
            "title": f"Parcel desk {tag}",
            "min_seconds_to_complete": 0,
            "questions": [
                {"key": "nps", "type": "nps", "prompt": "Recommend us?", "required": True},
                {"key": "why", "type": "text", "prompt": "Why?"},
            ],
        },
    )
    world.post("feedback", f"/v1/surveys/{survey['id']}/publish")
    who = f"cust-{tag}"
    answered(world, slug, who, 9, "Quick last time")
    first = answered(world, slug, who, 1, f"Queue of forty minutes {XSS}")
    second = answered(world, slug, f"other-{tag}", 2, "Rude at the counter")
    made = {}
    for name, response in (("first", first), ("second", second)):
        made[name] = world.post(
            "feedback",
            "/v1/cases",
            {
                "title": f"{name.title()} case {tag}",
                "response_id": response["id"],
                "assignee_email": "editor@example.com",
                "assignee_name": "Editor User",
            },
        )
    return made


def no_wider_than_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_inbox_assigns_from_the_keyboard_and_the_case_is_worked(world, cases) -> None:
    first, second = cases["first"], cases["second"]
    page = world.signed_in("editor")
    # The counts in the navigation load themselves on any page.
    expect(page.locator("#case-counts")).to_contain_text("mine")
    page.click("nav >> text=Cases")
    expect(page.locator("h1")).to_have_text("Cases")
    expect(page.locator(f"#case-{first['id']}")).to_contain_text(first["title"])
    expect(page.locator(f"#case-{second['id']}")).to_be_visible()

    # Bulk assign with the keyboard: tick, choose, send.
    page.focus(f"#tick-{second['id']}")
    page.keyboard.press("Space")
    page.select_option("#bulk-assignee", "user:viewer@example.com")
    page.focus("form.case-inbox button.primary")
    page.keyboard.press("Enter")
    expect(page.locator("p.notice")).to_have_text("Assigned 1 case.")
    expect(page.locator(f"#case-{second['id']}")).to_have_count(0)
    assert world.get("feedback", f"/v1/cases/{second['id']}")["assignee"]["email"] == (
        "viewer@example.com"
    )

    page.click(f"#case-{first['id']} >> a")
    expect(page.locator("h1")).to_have_text(first["title"])
    said = page.locator("section[aria-labelledby=response-title]")
    expect(said).to_contain_text("Queue of forty minutes " + XSS)
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("Quick last time")
    expect(timeline.locator("li").first).not_to_contain_text("Quick last time")  # newest first

    page.fill("#f-body", "Called, will call back " + XSS)
    page.click("text=Add note")
    expect(page.locator("section[aria-labelledby=notes-title] li").first).to_contain_text(
        "Called, will call back " + XSS
    )
    page.select_option("#f-channel", "phone")
    page.select_option("#f-outcome", "reached")
    page.click("text=Log contact")
    expect(page.locator("section[aria-labelledby=contacts-title]")).to_contain_text(
        "Phone: reached"
    )
    expect(page.locator("section[aria-labelledby=sla-title]")).to_contain_text("Contact made")
    page.fill("#f-resolution", "Sent a voucher for the wait.")
    page.click("button:has-text('Resolve')")
    expect(page.locator(".case-head .tag.state")).to_have_text("Resolved")
    expect(page.locator("button:has-text('Reopen')")).to_be_visible()
    expect(page.locator("button:has-text('Start work')")).to_have_count(0)
    history = page.locator("ol.case-history")
    expect(history).to_contain_text("editor@example.com")
    assert world.get("feedback", f"/v1/cases/{first['id']}")["state"] == "resolved"

    page.set_viewport_size(PHONE)
    no_wider_than_the_phone(page)
    page.goto(f"{world.gateway}/cases?view=all&state=all")
    no_wider_than_the_phone(page)
    assert world.dialogs == []


def test_without_javascript_a_note_is_added_and_the_counts_are_numbers(world, cases) -> None:
    first = cases["first"]
    page = world.signed_in("editor", javascript=False)
    page.goto(f"{world.gateway}/cases")
    mine = world.get("feedback", "/v1/cases/counts?assignee=editor@example.com")["mine"]
    assert mine >= 2
    expect(page.locator("nav.tabs a[aria-current=page] .count")).to_have_text(str(mine))
    expect(page.locator("#case-counts")).to_contain_text("mine")
    page.goto(f"{world.gateway}/cases/{first['id']}")
    page.fill("#f-body", "Written without scripts")
    page.click("text=Add note")
    expect(page.locator("section[aria-labelledby=notes-title]")).to_contain_text(
        "Written without scripts"
    )
    assert world.dialogs == []
