"""The journey map as a new user meets it: what follows an edit in place, columns that use the
screen, badges that keep their words whole, and answers that lead to their responses."""

import uuid
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser import sample
from tests.browser import test_pages_keep_up as keep_up
from tests.browser.test_staff_and_customers import answer_nps, design
from tests.browser.world import World

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

# The editor's session and a 1400 x 900 tab of it, as the board's other tests take them.
signed_in = keep_up.signed_in
page = keep_up.page

LONG_EMAIL = "customer.experience@northwind-logistics.example.com"


def three_stages(world: World) -> dict[str, Any]:
    """A journey of three stages, two touchpoints without an owner in the first."""
    return world.post(
        "journey",
        "/v1/journeys/documents",
        {
            "name": f"Moving house {uuid.uuid4().hex[:6]}",
            "stages": [
                {
                    "name": "Book",
                    "touchpoints": [
                        {"name": "Quote form", "channel": "web", "interaction": "digital"},
                        {"name": "Call back", "channel": "phone", "interaction": "human"},
                    ],
                },
                {"name": "Move", "touchpoints": []},
                {"name": "Settle in", "touchpoints": []},
            ],
        },
    )


def test_an_owner_saved_on_the_map_updates_its_count_and_keeps_the_rest(world, page):
    journey = three_stages(world)
    quote, call = journey["stages"][0]["touchpoints"]
    team = world.post("journey", "/v1/teams", {"name": f"Sales {uuid.uuid4().hex[:6]}"})
    page.goto(f"{world.gateway}/journeys/{journey['id']}?days=90")
    summary = page.locator("#map-summary")
    expect(summary).to_contain_text("2 without an owner")
    # Another touchpoint's editor, open while this one is saved, stays open and as typed.
    page.locator(f"#tp-{call['id']}").get_by_role("link", name="Edit").click()
    other = page.locator(f"form#tp-{call['id']}")
    other.get_by_label("Named owner").fill("Half typed")
    page.locator(f"#tp-{quote['id']}").get_by_role("link", name="Edit").click()
    form = page.locator(f"form#tp-{quote['id']}")
    form.get_by_label("Team").select_option(label=team["name"])
    form.get_by_label("Named owner").fill("Ines Duarte")
    form.get_by_role("button", name="Save").click()
    card = page.locator(f"article#tp-{quote['id']}")
    expect(card).to_contain_text("Ines Duarte")
    expect(summary).to_contain_text("1 without an owner")
    expect(other.get_by_label("Named owner")).to_have_value("Half typed")
    expect(page.locator("#days")).to_have_value("90")
    assert "days=90" in (card.get_by_role("link", name="Edit").get_attribute("href") or "")
    # A change to the board (a touchpoint added) is counted too.
    page.locator(".stage form.add input[name=name]").first.fill("Moving day SMS")
    page.locator(".stage form.add").first.get_by_role("button", name="Add").click()
    expect(page.locator("#board")).to_contain_text("Moving day SMS")
    expect(summary).to_contain_text("3 touchpoints")
    expect(summary).to_contain_text("2 without an owner")


def test_three_stages_share_a_wide_screen_and_the_editor_shows_a_long_address(world, page):
    journey = three_stages(world)
    quote = journey["stages"][0]["touchpoints"][0]
    page.goto(f"{world.gateway}/journeys/{journey['id']}")
    board = page.locator("#board").bounding_box()
    columns = [c.bounding_box() for c in page.locator(".board > .stage").all()]
    assert board and len(columns) == 3 and all(columns)
    span = columns[-1]["x"] + columns[-1]["width"] - columns[0]["x"]  # type: ignore[index]
    assert span >= 0.9 * board["width"], f"the columns fill {span:.0f} of {board['width']:.0f} px"
    # The curve's points sit over their columns.
    for column, point in zip(
        columns, page.locator("figure.emotion text.stage-label").all(), strict=True
    ):
        box = point.bounding_box()
        assert column and box
        middle, centre = column["x"] + column["width"] / 2, box["x"] + box["width"] / 2
        assert abs(middle - centre) < 2, f"a stage's name is {centre - middle:.0f} px off"
    page.locator(f"#tp-{quote['id']}").get_by_role("link", name="Edit").click()
    email = page.get_by_label("Owner's email")
    email.fill(LONG_EMAIL)
    overflow = email.evaluate("e => e.scrollWidth - e.clientWidth")
    assert overflow <= 0, f"the address is cut off by {overflow} px"


@pytest.mark.parametrize("stages", [4, 6])
def test_an_editor_in_a_crowded_board_shows_a_whole_address(world, page, stages):
    journey = world.post(
        "journey",
        "/v1/journeys/documents",
        {
            "name": f"Long journey {uuid.uuid4().hex[:6]}",
            "stages": [
                {
                    "name": f"Stage {i}",
                    "touchpoints": [
                        {"name": f"Step {i}", "channel": "web", "interaction": "digital"}
                    ],
                }
                for i in range(stages)
            ],
        },
    )
    last = journey["stages"][-1]["touchpoints"][0]
    page.goto(f"{world.gateway}/journeys/{journey['id']}")
    page.locator(f"#tp-{last['id']}").get_by_role("link", name="Edit").click()
    email = page.locator(f"form#tp-{last['id']}").get_by_label("Owner's email")
    email.fill(LONG_EMAIL)
    overflow = email.evaluate("e => e.scrollWidth - e.clientWidth")
    assert overflow <= 0, f"the address is cut off by {overflow} px"
    # The other columns keep their room, and only the board scrolls sideways.
    widths = [c.bounding_box()["width"] for c in page.locator(".board > .stage").all()]  # type: ignore[index]
    assert min(widths) >= 259, f"a column shrank to {min(widths):.0f} px"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1400


def test_on_a_phone_only_the_board_scrolls_sideways(world, page):
    journey = three_stages(world)
    page.set_viewport_size({"width": 390, "height": 760})
    page.goto(f"{world.gateway}/journeys/{journey['id']}")
    expect(page.locator(".board > .stage")).to_have_count(3)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px screen"
    scroller = page.locator("#board")
    assert scroller.evaluate("e => e.scrollWidth > e.clientWidth")  # the columns scroll there
    assert scroller.evaluate("e => getComputedStyle(e).overflowX") == "auto"


def one_line(page: Page, selector: str) -> tuple[float, float]:
    """The height of the first `selector` and of the same badge holding one letter."""
    heights: list[float] = page.locator(selector).first.evaluate(
        """badge => {
            const probe = badge.cloneNode();
            probe.textContent = "x";
            badge.after(probe);
            const both = [badge.getBoundingClientRect().height, probe.getBoundingClientRect().height];
            probe.remove();
            return both;
        }"""
    )
    return heights[0], heights[1]


def test_a_status_badge_in_a_narrow_cell_stays_on_one_line(world, page):
    made = design(world)
    page.goto(f"{world.gateway}/s/{made['slug']}")
    answer_nps(page, 9, "Quick")
    page.goto(f"{world.gateway}/surveys/{made['survey']['id']}/responses")
    badge = "table.responses .tag-complete"
    expect(page.locator(badge).first).to_have_text("complete")
    # The narrowest the status column can be: every cell of the table squeezed.
    page.locator("table.responses").evaluate("t => { t.style.width = '10px'; }")
    cell = page.locator(badge).first.locator("xpath=..").bounding_box()
    height, line = one_line(page, badge)
    assert cell and cell["width"] < 100  # narrower than the word, were it not kept whole
    assert height == line, f"the badge wraps: {height} px high, one line is {line} px"


def test_an_answer_links_to_its_whole_response(world, page):
    made = design(world)
    page.goto(f"{world.gateway}/s/{made['slug']}")
    answer_nps(page, 3, "The courier never rang")
    stored = world.get("feedback", f"/v1/responses?survey_id={made['survey']['id']}")["items"]
    response_id = stored[0]["id"]
    url = f"{world.gateway}/answers?metric=nps&touchpoint_id={made['courier']['id']}&days=7"
    row = page.locator("table.answers tbody tr", has_text="The courier never rang")
    for _ in range(50):  # metrics hears of the answer through feedback's relay
        page.goto(url)
        if row.count():
            break
        page.wait_for_timeout(200)
    link = row.get_by_role("link")
    expect(link).to_have_attribute("href", f"/responses/{response_id}")
    # An answer of the same survey imported into metrics only (history from another tool)
    # has no response in feedback to open: its row carries no link.
    imported = sample.event(
        "response.completed",
        {
            "response_id": str(uuid.uuid4()),
            "survey_id": made["survey"]["id"],
            "survey_slug": made["slug"],
            "version": 1,
            "touchpoint_id": made["courier"]["id"],
            "channel": "web",
            "hidden": {},
            "flags": [],
            "status": "complete",
            "submitted_at": stored[0]["submitted_at"],
            "completed_at": stored[0]["submitted_at"],
            "answers": [
                {"question": "nps", "type": "nps", "value": 2},
                {"question": "why", "type": "text", "value": "Imported from the old tool"},
            ],
        },
        datetime.fromisoformat(stored[0]["submitted_at"]),
    )
    sample.ingest(world, [imported])
    page.goto(url)
    old = page.locator("table.answers tbody tr", has_text="Imported from the old tool")
    expect(old).to_have_count(1)
    expect(old.get_by_role("link")).to_have_count(0)
    expect(row.get_by_role("link")).to_have_attribute("href", f"/responses/{response_id}")
    link.click()
    expect(page.locator("h1")).to_have_text("Response")
    expect(page.locator("main")).to_contain_text("The courier never rang")
