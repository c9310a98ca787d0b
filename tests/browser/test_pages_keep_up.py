"""Pages that stay true after an action in place: a form's version after another part of the
page saved, a lost edit that says who won and keeps the user's input, the period a board shows,
counts that follow a fix, and what a history says. Driven in Chromium as a user does it."""

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from cxshared.auth import Scope
from cxshared.testing.api import bearer, make_key
from tests.browser.test_staff_and_customers import design
from tests.browser.world import World

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def signed_in(world: World) -> BrowserContext:
    """One editor's session for the module: signing in for every test would meet the
    sign-in limit per address."""
    return world.signed_in("editor").context


@pytest.fixture
def page(world: World, signed_in: BrowserContext) -> Iterator[Page]:
    """A new tab of the editor's session, at 1400 x 900."""
    tab = signed_in.new_page()
    tab.on("dialog", world.saw_dialog)
    tab.set_viewport_size({"width": 1400, "height": 900})
    yield tab
    tab.close()


def new_survey(world: World, page: Page, title: str = "After your call") -> str:
    """Creates a survey from the list page, as a user does; its id."""
    page.goto(f"{world.gateway}/surveys")
    page.fill("#f-title", title)
    page.fill("#f-slug", f"call-{uuid.uuid4().hex[:6]}")
    page.click("text=Create survey")
    page.wait_for_selector("#questions")
    return page.url.rsplit("/", 1)[1]


def add_question(page: Page, prompt: str, kind: str = "nps") -> None:
    page.select_option("#new-type", kind)
    page.fill("#new-prompt", prompt)
    page.click("text=Add question")
    expect(page.locator("#questions")).to_contain_text(prompt)


def save_settings(page: Page) -> None:
    """Clicks "Save settings" and waits for the answer: when the panel already shows what the
    answer will show ("Saved.", a conflict), checking the page alone would not wait for it."""
    with page.expect_response(lambda r: r.url.endswith("/settings") and r.request.method == "POST"):
        page.click("text=Save settings")


def survey(world: World, survey_id: str) -> dict[str, Any]:
    found: dict[str, Any] = world.get("feedback", f"/v1/surveys/{survey_id}")
    return found


def patch(world: World, service: str, path: str, version: int, body: dict[str, Any]) -> None:
    """Another user's edit, saved first."""
    response = httpx.patch(
        world.api(service) + path,
        json=body,
        headers={**world.keys[service], "If-Match": f'"{version}"'},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def test_settings_saved_after_adding_questions_are_kept(world, page):
    survey_id = new_survey(world, page)
    add_question(page, "Would you recommend us?")
    add_question(page, "What could we do better?", "text")
    page.fill("#f-intro", "Two minutes, no more.")
    page.fill("#f-thank_you", "Thanks, that helps.")
    page.click("text=Save settings")
    expect(page.locator("#settings")).to_contain_text("Saved.")
    stored = survey(world, survey_id)
    assert (stored["intro"], stored["thank_you"]) == (
        "Two minutes, no more.",
        "Thanks, that helps.",
    )
    # "Saved." goes once the form is changed again: it no longer holds.
    page.fill("#f-thank_you", "Thanks, that helps a lot.")
    expect(page.locator("#settings .saved")).to_have_count(0)
    page.fill("#f-thank_you", "Thanks, that helps.")
    # And the other way round: questions edited after the settings were saved.
    page.locator("#questions").get_by_role("link", name="Edit").first.click()
    page.fill("#f-prompt", "How likely are you to recommend us?")
    page.click("text=Save question")
    expect(page.locator("#questions")).to_contain_text("Saved.")
    page.get_by_role("button", name="Move question 2 up").click()
    expect(page.locator("#questions .prompt").first).to_have_text("What could we do better?")
    add_question(page, "Anything else?", "text")
    page.fill("#f-intro", "One minute.")
    save_settings(page)  # "Saved." still shows from the first save
    expect(page.locator("#settings")).to_contain_text("Saved.")
    stored = survey(world, survey_id)
    assert stored["intro"] == "One minute."
    assert [q["prompt"] for q in stored["questions"]] == [
        "What could we do better?",
        "How likely are you to recommend us?",
        "Anything else?",
    ]


def test_the_builder_head_offers_publish_after_a_change_in_place(world, page):
    survey_id = new_survey(world, page)
    add_question(page, "Would you recommend us?")
    page.click("button:has-text('Publish')")
    expect(page.locator(".page-head")).not_to_contain_text("Publish")
    add_question(page, "Why?", "text")
    # The head says the change is not published yet, and offers to publish it.
    expect(page.locator(".page-head")).to_contain_text("not published yet")
    page.locator(".page-head").get_by_role("button", name="Publish").click()
    expect(page.locator(".page-head")).not_to_contain_text("not published yet")
    assert survey(world, survey_id)["published_version"] == 2


def test_settings_lost_to_another_edit_say_who_and_what_and_keep_the_input(world, page):
    survey_id = new_survey(world, page)
    before = survey(world, survey_id)
    patch(world, "feedback", f"/v1/surveys/{survey_id}", before["version"], {"title": "Theirs"})
    page.fill("#f-intro", "Mine, typed with care.")
    page.click("text=Save settings")
    notice = page.locator("#settings .conflict")
    expect(notice).to_contain_text("changed this survey")
    expect(notice).to_contain_text("not saved")
    expect(notice).to_contain_text("The API key “tests”")
    expect(notice.locator("table")).to_contain_text("Title")
    expect(notice.locator("table")).to_contain_text("Theirs")
    expect(page.locator("#f-intro")).to_have_value("Mine, typed with care.")
    stored = survey(world, survey_id)
    assert (stored["title"], stored["intro"]) == ("Theirs", "")
    # Saving the same stale form again still overwrites nothing; reloading shows theirs.
    save_settings(page)  # the first conflict notice still shows meanwhile
    expect(page.locator("#settings .conflict")).to_be_visible()
    assert survey(world, survey_id)["title"] == "Theirs"
    page.click("#settings >> text=Reload their version")
    expect(page.locator("#f-title")).to_have_value("Theirs")
    expect(page.locator("#settings .conflict")).to_have_count(0)
    page.fill("#f-intro", "Mine again.")
    page.click("text=Save settings")
    expect(page.locator("#settings")).to_contain_text("Saved.")
    assert survey(world, survey_id)["intro"] == "Mine again."


def test_a_question_edit_lost_to_another_edit_keeps_what_was_typed(world, page):
    survey_id = new_survey(world, page)
    add_question(page, "Would you recommend us?")
    page.locator("#questions").get_by_role("link", name="Edit").click()
    stored = survey(world, survey_id)
    theirs = [{**stored["questions"][0], "prompt": "Their wording"}]
    theirs = [{k: v for k, v in q.items() if v not in (None, [], "")} for q in theirs]
    patch(world, "feedback", f"/v1/surveys/{survey_id}", stored["version"], {"questions": theirs})
    page.fill("#f-prompt", "My wording")
    page.click("text=Save question")
    notice = page.locator("#questions .conflict")
    expect(notice).to_contain_text("not saved")
    expect(notice.locator("table")).to_contain_text("Their wording")
    expect(page.locator("#f-prompt")).to_have_value("My wording")
    assert survey(world, survey_id)["questions"][0]["prompt"] == "Their wording"


def test_cancel_closes_the_question_editor(world, page):
    new_survey(world, page)
    add_question(page, "Would you recommend us?")
    page.locator("#questions").get_by_role("link", name="Edit").click()
    expect(page.locator("form.question.editing")).to_have_count(1)
    page.locator("form.question.editing").get_by_role("link", name="Cancel").click()
    expect(page.locator("form.question.editing")).to_have_count(0)
    expect(page.locator("#questions")).to_contain_text("Would you recommend us?")


def one_stage(world: World, *touchpoints: tuple[str, str, str]) -> dict[str, Any]:
    """A journey of one stage holding (name, channel, interaction) touchpoints, no owners."""
    return world.post(
        "journey",
        "/v1/journeys/documents",
        {
            "name": f"Journey {uuid.uuid4().hex[:6]}",
            "stages": [
                {
                    "name": "Stage",
                    "touchpoints": [
                        {"name": name, "channel": channel, "interaction": interaction}
                        for name, channel, interaction in touchpoints
                    ],
                }
            ],
        },
    )


# -- the journey board keeps its period ---------------------------------------------------------


def board_with_old_answers(world: World) -> dict[str, Any]:
    """A journey of one stage whose first touchpoint has 2 answers this week and 5 more two
    months ago: its card says n=2 over 30 days and n=7 over 90."""
    tag = uuid.uuid4().hex[:6]
    journey = one_stage(world, ("Courier", "field", "human"), ("Tracking", "web", "digital"))
    courier = journey["stages"][0]["touchpoints"][0]
    now = datetime.now(UTC).replace(microsecond=0)
    events = []
    for days_ago in (1, 2, 60, 61, 62, 63, 64):
        at = (now - timedelta(days=days_ago)).isoformat()
        response_id = str(uuid.uuid4())
        events.append(
            {
                "id": str(uuid.uuid4()),
                "type": "response.completed",
                "occurred_at": at,
                "source": "feedback",
                "subject": response_id,
                "schema_version": 1,
                "data": {
                    "response_id": response_id,
                    "survey_id": f"s-{tag}",
                    "survey_slug": f"s-{tag}",
                    "version": 1,
                    "touchpoint_id": courier["id"],
                    "channel": "web",
                    "hidden": {},
                    "flags": [],
                    "status": "complete",
                    "submitted_at": at,
                    "completed_at": at,
                    "answers": [{"question": "nps", "type": "nps", "value": 9}],
                },
            }
        )
    ingest = bearer(make_key(world.urls["metrics"], f"period-{tag}", Scope.INGEST))
    httpx.post(
        world.api("metrics") + "/v1/events", json={"events": events}, headers=ingest, timeout=10
    ).raise_for_status()
    overlay = world.api("metrics") + f"/v1/journeys/{journey['id']}/overlay"

    def scored() -> bool:  # metrics hears of the journey through journey's relay
        found = httpx.get(overlay, headers=world.keys["metrics"], timeout=10)
        stages = found.json().get("stages", []) if found.status_code == 200 else []
        return any(t.get("scores") for s in stages for t in s.get("touchpoints", []))

    deadline = time.monotonic() + 15
    while not scored():
        assert time.monotonic() < deadline, "metrics never scored the journey"
        time.sleep(0.2)
    return {"journey": journey, "courier": courier}


def test_the_board_keeps_its_period_after_edits_in_place(world, page):
    made = board_with_old_answers(world)
    courier = f"#tp-{made['courier']['id']}"
    page.goto(f"{world.gateway}/journeys/{made['journey']['id']}?days=90")
    expect(page.locator(courier)).to_contain_text("n=7")
    # An inline edit: the card comes back over the same 90 days.
    page.locator(courier).get_by_role("link", name="Edit").click()
    page.get_by_label("Named owner").fill("Priya Shah")
    page.locator("form.editing").get_by_role("button", name="Save").click()
    expect(page.locator(courier)).to_contain_text("Priya Shah")
    expect(page.locator(courier)).to_contain_text("n=7")
    # Cancel of the editor, a move and an added touchpoint re-render the board: still 90 days.
    page.locator(courier).get_by_role("link", name="Edit").click()
    page.locator("form.editing").get_by_role("link", name="Cancel").click()
    expect(page.locator(courier)).to_contain_text("n=7")
    page.get_by_role("button", name="Move Courier down").click()
    expect(page.locator(".stage").first.locator("h3").first).to_have_text("Tracking")
    expect(page.locator(courier)).to_contain_text("n=7")
    page.fill(".stage form.add input[name=name]", "Doorstep photo")
    page.locator(".stage form.add").get_by_role("button", name="Add").click()
    expect(page.locator("#board")).to_contain_text("Doorstep photo")
    expect(page.locator(courier)).to_contain_text("n=7")
    expect(page.locator("#days")).to_have_value("90")


def test_the_board_keeps_its_period_without_javascript(world):
    made = board_with_old_answers(world)
    courier = f"#tp-{made['courier']['id']}"
    page = world.signed_in("editor", javascript=False)
    page.goto(f"{world.gateway}/journeys/{made['journey']['id']}?days=90")
    page.get_by_role("button", name="Move Courier down").click()
    page.wait_for_load_state()
    expect(page.locator(courier)).to_contain_text("n=7")
    expect(page.locator("#days")).to_have_value("90")


# -- ownership follows an assignment --------------------------------------------------------------


def test_assigning_an_owner_clears_the_gap_and_its_count(world, page):
    tag = uuid.uuid4().hex[:6]
    team = world.post("journey", "/v1/teams", {"name": f"Care {tag}"})
    journey = one_stage(world, ("Chatbot", "chat", "digital"), ("Phone", "phone", "human"))
    chatbot = journey["stages"][0]["touchpoints"][0]
    page.goto(f"{world.gateway}/ownership?journey_id={journey['id']}")
    expect(page.locator("#gaps-title .count")).to_have_text("2")
    row = page.locator("tr", has_text="Chatbot")
    row.get_by_role("link", name="Assign an owner").click()
    row.get_by_label("Team").select_option(label=f"Care {tag}")
    row.get_by_label("Named owner").fill("Mia Laine")
    row.get_by_role("button", name="Save").click()
    expect(row).to_contain_text("Owned.")
    expect(row.locator(".gap")).to_have_count(0)  # nothing left in red
    expect(page.locator("#gaps-title .count")).to_have_text("1")
    expect(page.locator("#ownership-report")).to_contain_text("Mia Laine")
    stored = world.get("journey", f"/v1/touchpoints/{chatbot['id']}")
    assert (stored["owner_name"], stored["owner_team_id"]) == ("Mia Laine", team["id"])


def test_an_owner_lost_to_another_edit_keeps_what_was_typed(world, page):
    journey = one_stage(world, ("Phone", "phone", "human"))
    phone = journey["stages"][0]["touchpoints"][0]
    page.goto(f"{world.gateway}/ownership?journey_id={journey['id']}")
    page.get_by_role("link", name="Assign an owner").click()
    patch(world, "journey", f"/v1/touchpoints/{phone['id']}", phone["version"], {"name": "Hotline"})
    page.get_by_label("Named owner").fill("Sam Okafor")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("form.assign .conflict")).to_contain_text("not saved")
    expect(page.get_by_label("Named owner")).to_have_value("Sam Okafor")
    assert world.get("journey", f"/v1/touchpoints/{phone['id']}")["owner_name"] == ""
    expect(page.locator("#gaps-title .count")).to_have_text("1")


@pytest.mark.parametrize("width", [1400, 390])
def test_the_assign_form_shows_a_whole_address_on_a_desk_and_on_a_phone(world, page, width):
    journey = one_stage(world, ("Phone", "phone", "human"), ("Chatbot", "chat", "digital"))
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{world.gateway}/ownership?journey_id={journey['id']}")
    row = page.locator("tr", has_text="Phone")
    row.get_by_role("link", name="Assign an owner").click()
    email = row.get_by_label("Owner's email")
    email.fill("customer.experience@northwind-logistics.example.com")
    if width > 640:  # on a phone the field is as wide as the screen allows, and scrolls
        overflow = email.evaluate("e => e.scrollWidth - e.clientWidth")
        assert overflow <= 0, f"the address is cut off by {overflow} px"
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= width, f"the page is {page_width} px wide on a {width} px screen"
    box = row.get_by_role("button", name="Save").bounding_box()
    assert box and box["x"] + box["width"] <= width


# -- a history reads as sentences ----------------------------------------------------------------


def test_a_touchpoint_history_names_things_and_says_who_in_words(world, page):
    made = design(world)
    journey, courier, team = made["journey"], made["courier"], made["team"]
    page.goto(f"{world.gateway}/journeys/{journey['id']}")
    page.locator(f"#tp-{courier['id']}").get_by_role("link", name="Edit").click()
    page.get_by_label("Named owner").fill("Marta Nowak")
    page.locator("form.editing").get_by_role("button", name="Save").click()
    expect(page.locator(f"#tp-{courier['id']}")).to_contain_text("Marta Nowak")
    page.locator(f"#tp-{courier['id']}").get_by_role("link", name="History").click()
    history = page.locator("ol.history")
    expect(history).to_contain_text("Changed by editor@example.com")
    expect(history).to_contain_text("Created by the API key “tests”")
    for words in (journey["name"], "Deliver", team["name"], "NPS at least +40", "Priya Shah"):
        expect(history).to_contain_text(words)
    text = history.inner_text()
    for raw in (journey["id"], courier["stage_id"], team["id"], "False", "api-key:", "[{"):
        assert raw not in text


# -- the journey map at a glance ------------------------------------------------------------------


def test_the_emotion_curve_names_its_stages_and_the_editor_shows_a_whole_address(world, page):
    made = design(world)
    page.goto(f"{world.gateway}/journeys/{made['journey']['id']}")
    expect(page.locator("figure.emotion svg text.stage-label")).to_have_text(["Deliver", "Return"])
    card = page.locator(f"#tp-{made['courier']['id']}")
    card.get_by_role("link", name="Edit").click()
    email = page.get_by_label("Owner's email")
    email.fill("customer.care@example.com")
    overflow = email.evaluate("e => e.scrollWidth - e.clientWidth")
    assert overflow <= 0, f"the address is cut off by {overflow} px"
