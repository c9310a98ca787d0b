"""A journey's versions as an editor meets them: a change on the live map keeps the day's
version, the versions page lists it, the comparison names the re-owned touchpoint, and the
older version comes back as a draft. Both pages fit a phone."""

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser import test_pages_keep_up as keep_up
from tests.browser.world import World

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

signed_in = keep_up.signed_in
page = keep_up.page


def live_journey(world: World) -> dict[str, Any]:
    """A published journey (version 1) whose courier touchpoint has a team and an owner."""
    team = world.post("journey", "/v1/teams", {"name": f"Logistics {uuid.uuid4().hex[:6]}"})
    return world.post(
        "journey",
        "/v1/journeys/documents",
        {
            "name": f"Delivery {uuid.uuid4().hex[:6]}",
            "status": "live",
            "stages": [
                {
                    "name": "Delivery",
                    "touchpoints": [
                        {
                            "name": "Courier delivers",
                            "channel": "field",
                            "interaction": "human",
                            "owner_team_id": team["id"],
                            "owner_name": "Priya Shah",
                            "standard": "On time, in one piece, with a photo",
                            "targets": [{"metric": "nps", "value": 40}],
                        },
                        {"name": "Tracking page", "channel": "web", "interaction": "digital"},
                    ],
                },
                {"name": "Returns", "touchpoints": []},
            ],
        },
    )


def fits_the_screen(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than the screen"


def test_an_owner_changed_live_is_compared_and_the_old_map_restored_as_a_draft(
    world: World, page: Page
) -> None:
    journey = live_journey(world)
    courier = journey["stages"][0]["touchpoints"][0]
    page.goto(f"{world.gateway}/journeys/{journey['id']}")
    page.locator(f"#tp-{courier['id']}").get_by_role("link", name="Edit").click()
    form = page.locator(f"form#tp-{courier['id']}")
    form.get_by_label("Named owner").fill("Marta Nowak")
    form.get_by_role("button", name="Save").click()
    expect(page.locator(f"article#tp-{courier['id']}")).to_contain_text("Marta Nowak")

    page.get_by_role("link", name="Versions", exact=True).click()
    expect(page.get_by_role("heading", name="Versions")).to_be_visible()
    rows = page.locator("table.versions tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Changed while live")
    expect(rows.first).to_contain_text("editor@example.com")
    expect(rows.last).to_contain_text("Published")

    page.get_by_role("button", name="Compare").click()  # the previous against the latest
    reowned = page.locator("section.changes", has_text="Re-owned")
    expect(reowned).to_contain_text("Courier delivers")
    expect(reowned.locator("td.before")).to_contain_text("Priya Shah")
    expect(reowned.locator("td.after")).to_contain_text("Marta Nowak")
    page.set_viewport_size({"width": 390, "height": 844})
    fits_the_screen(page)
    page.get_by_role("link", name="Versions", exact=True).click()
    expect(rows).to_have_count(2)
    fits_the_screen(page)

    page.get_by_role("button", name="Restore version 1 as a draft").click()
    expect(page).to_have_url(re.compile(r"/journeys/[^/?]+\?restored=1$"))
    expect(page.get_by_role("status").filter(has_text="Restored")).to_contain_text("version 1")
    expect(page.locator("h1")).to_contain_text(f"{journey['name']} (version 1)")
    expect(page.locator("h1")).to_contain_text("draft")
    expect(page.locator("#board")).to_contain_text("Priya Shah")
    expect(page.locator("#board")).not_to_contain_text("Marta Nowak")
    assert journey["id"] not in page.url
