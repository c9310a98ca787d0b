"""The public survey's Back button, with JavaScript and without: an earlier answer can be seen
and changed, and the response keeps the changed one."""

import uuid

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]


def three_questions(world) -> dict:
    tag = uuid.uuid4().hex[:6]
    survey = world.post(
        "feedback",
        "/v1/surveys",
        {
            "slug": f"back-{tag}",
            "title": "How was it?",
            "min_seconds_to_complete": 0,
            "questions": [
                {"key": "nps", "type": "nps", "prompt": "Recommend us?", "required": True},
                {"key": "csat", "type": "csat", "prompt": "Satisfied?", "required": True},
                {"key": "why", "type": "text", "prompt": "Why?", "max_length": 500},
            ],
        },
    )
    world.post("feedback", f"/v1/surveys/{survey['id']}/publish")
    return survey


@pytest.mark.parametrize("javascript", [True, False])
def test_back_shows_the_earlier_answer_and_a_change_is_kept(world, javascript):
    survey = three_questions(world)
    page = world.chromium.new_context(java_script_enabled=javascript).new_page()
    page.goto(f"{world.gateway}/s/{survey['slug']}")
    expect(page.get_by_role("button", name="Back")).to_have_count(0)  # nothing before it
    page.click("label[for=a-3]")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("legend")).to_contain_text("Satisfied?")
    # Back from a required question left unanswered: no "please answer", the first question.
    page.get_by_role("button", name="Back").click()
    expect(page.locator("legend")).to_contain_text("Recommend us?")
    expect(page.locator("#a-3")).to_be_checked()
    page.click("label[for=a-9]")
    page.get_by_role("button", name="Next").click()
    # Each step has its own a-4: wait for the swap before answering the next one.
    expect(page.locator("legend")).to_contain_text("Satisfied?")
    page.click("label[for=a-4]")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("textarea")).to_be_visible()
    page.fill("textarea", "Changed my mind")
    page.get_by_role("button", name="Back").click()
    expect(page.locator("legend")).to_contain_text("Satisfied?")
    expect(page.locator("#a-4")).to_be_checked()
    page.get_by_role("button", name="Next").click()
    expect(page.locator("textarea")).to_have_value("Changed my mind")  # kept on the way back
    page.get_by_role("button", name="Send").click()
    expect(page.locator("main")).to_contain_text("Thank you")
    [stored] = world.get("feedback", f"/v1/responses?survey_id={survey['id']}")["items"]
    assert stored["status"] == "complete"
    assert stored["answers"] == {"nps": 9, "csat": 4, "why": "Changed my mind"}
