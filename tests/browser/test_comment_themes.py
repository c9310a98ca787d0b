"""A journey's comment themes as a CX lead uses them: from the journey map to the themes page,
a suggestion accepted with its figures, a theme edited, added and removed, and a form that
refuses a theme without a name."""

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser import sample
from tests.browser import test_pages_keep_up as keep_up
from tests.browser.world import World

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

signed_in = keep_up.signed_in
page = keep_up.page

BELL = "Courier never rang the bell"


def known_to_metrics(world: World, journey_id: str) -> None:
    """Waits until journey's relay has told metrics of the journey's touchpoints."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer = httpx.get(
            f"{world.api('metrics')}/v1/journeys/{journey_id}/themes",
            headers=world.keys["metrics"],
            timeout=10,
        )
        if answer.status_code == 200:
            return
        time.sleep(0.2)
    raise AssertionError("metrics never heard of the journey")


@pytest.fixture(scope="module")
def journey(world: World) -> dict[str, Any]:
    made = world.post(
        "journey",
        "/v1/journeys/documents",
        {
            "name": f"Parcel delivery {uuid.uuid4().hex[:6]}",
            "stages": [
                {
                    "name": "Deliver",
                    "touchpoints": [
                        {"name": "Doorstep", "channel": "field", "interaction": "human"}
                    ],
                }
            ],
        },
    )
    doorstep = made["stages"][0]["touchpoints"][0]["id"]
    known_to_metrics(world, made["id"])
    now = datetime.now(UTC).replace(microsecond=0)
    said = [(2, f"{BELL}."), (3, f"{BELL}. Please fix this."), (1, "Parcel left in the rain.")]
    said += [(10, "Friendly driver.")] * 2
    events = [
        sample.event(
            "response.completed",
            {
                "response_id": str(uuid.uuid4()),
                "survey_id": "survey-doorstep",
                "version": 1,
                "touchpoint_id": doorstep,
                "channel": "field",
                "status": "complete",
                "submitted_at": (now - timedelta(days=i % 20)).isoformat(),
                "answers": [
                    {"question": "nps", "type": "nps", "value": nps},
                    {"question": "why", "type": "text", "value": text},
                ],
            },
            now - timedelta(days=i % 20),
        )
        for i in range(40)
        for nps, text in [said[i % len(said)]]
    ]
    sample.ingest(world, events)
    return made


def test_a_suggestion_is_accepted_edited_and_removed_from_the_journey_map(
    page: Page, world, journey
):
    page.goto(f"{world.gateway}/journeys/{journey['id']}")
    page.get_by_role("link", name="Comment themes").click()
    expect(page.locator("h1")).to_have_text("Comment themes")

    # Both forms of the bell complaint are one suggestion: 8 + 8 of the 40 comments.
    card = page.locator(".suggestions article", has_text=BELL)
    expect(card.locator(".tag")).to_have_text("16 comments")
    card.get_by_role("button", name=f"Accept “{BELL}”").click()

    row = page.locator("table.themes tbody tr", has_text=BELL).first
    expect(row.locator("td").first).to_have_text("16")
    # 16 detractors of 40 answers: 40 points of NPS if they had been passives.
    expect(row).to_contain_text("+40.0")
    expect(page.locator(".suggestions article", has_text=BELL)).to_have_count(0)

    page.get_by_text(f"Edit {BELL}").click()
    form = page.locator("details[open] form").first
    form.get_by_label("Name").fill("Doorbell")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("table.themes th[scope=row]", has_text="Doorbell")).to_be_visible()

    page.get_by_text("Edit Doorbell").click()
    page.get_by_role("button", name="Remove Doorbell").click()
    expect(page.locator("table.themes")).to_have_count(0)
    expect(page.locator(".suggestions article", has_text=BELL)).to_have_count(1)


def test_a_theme_is_added_with_phrases_and_a_nameless_one_refused(page: Page, world, journey):
    page.goto(f"{world.gateway}/journeys/{journey['id']}/themes")
    new = page.locator("form", has=page.get_by_role("button", name="Add theme"))
    new.get_by_label("Example phrases, one a line").fill("left in the rain")
    new.get_by_role("button", name="Add theme").click()
    expect(page.locator("#e-name")).to_have_text("Give the theme a name.")

    new = page.locator("form", has=page.get_by_role("button", name="Add theme"))
    new.get_by_label("Name", exact=True).fill("Rain")
    new.get_by_role("button", name="Add theme").click()
    row = page.locator("table.themes tbody tr", has_text="Rain").first
    expect(row.locator("td").first).to_have_text("8")
    expect(row).to_contain_text("Doorstep")
