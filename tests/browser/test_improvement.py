"""From an opportunity to a measured action, as staff do it: the priority from data and one set
by hand with its reason, an action planned on the board, started and shipped back-dated, and
its page with the measured effect, its chart and the opportunity it answers."""

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser import sample
from tests.browser import test_pages_keep_up as keep_up
from tests.browser.world import World

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

signed_in = keep_up.signed_in
page = keep_up.page

SHIPPED_DAYS_AGO = 50
RISE = 1.2  # CES points planted at the checkout from the ship date on
SAID = "Too many steps before I could pay"


def shop(world: World) -> dict[str, Any]:
    """A journey of three touchpoints with 100 days of answers; the checkout's CES rises by
    RISE from SHIPPED_DAYS_AGO days ago, the others stay as they were."""
    journey = world.post(
        "journey",
        "/v1/journeys/documents",
        {
            "name": f"Shop online {uuid.uuid4().hex[:6]}",
            "status": "live",
            "stages": [
                {
                    "name": "Buy",
                    "touchpoints": [
                        {"name": "Basket", "channel": "web", "interaction": "digital"},
                        {"name": "Checkout", "channel": "web", "interaction": "digital"},
                    ],
                },
                {
                    "name": "Receive",
                    "touchpoints": [
                        {"name": "Tracking", "channel": "web", "interaction": "digital"}
                    ],
                },
            ],
        },
    )
    points = {t["name"]: t["id"] for s in journey["stages"] for t in s["touchpoints"]}
    now = datetime.now(UTC).replace(microsecond=0)
    events = []
    for day in range(100):
        for i in range(6):
            # Every touchpoint gets the same answers each day but for the planted rise, so the
            # checkout's change against the others is the rise itself, whatever the seed.
            rng = random.Random(day * 100 + i)
            at = now - timedelta(days=day, hours=rng.randint(0, 20))
            base_ces, nps = rng.gauss(4.0, 1.0), max(0, min(10, round(rng.gauss(6.5, 2.2))))
            customer = f"shop-{rng.randint(1, 300)}"
            for name, touchpoint in points.items():
                lift = RISE if name == "Checkout" and day < SHIPPED_DAYS_AGO else 0.0
                ces = max(1, min(7, round(base_ces + lift)))
                events.append(
                    sample.event(
                        "response.completed",
                        {
                            "response_id": str(uuid.uuid4()),
                            "survey_id": "survey-shop",
                            "survey_slug": "shop",
                            "version": 1,
                            "touchpoint_id": touchpoint,
                            "respondent_external_id": customer,
                            "channel": "web",
                            "hidden": {},
                            "flags": [],
                            "status": "complete",
                            "submitted_at": at.isoformat(),
                            "completed_at": at.isoformat(),
                            "answers": [
                                {"question": "nps", "type": "nps", "value": nps},
                                {"question": "ces", "type": "ces", "value": ces},
                                *(
                                    [{"question": "why", "type": "text", "value": SAID}]
                                    if name == "Checkout" and day == 3 and i < 2
                                    else []
                                ),
                            ],
                        },
                        at,
                    )
                )
    sample.ingest(world, events)
    world.post(
        "metrics",
        "/v1/customers",
        {
            "customers": [
                {
                    "external_id": f"shop-{i}",
                    "annual_revenue": 600,
                    # One in ten left: the churn rate that puts revenue at risk.
                    "churn_date": (now - timedelta(days=5)).date().isoformat()
                    if i % 10 == 0
                    else None,
                }
                for i in range(1, 301)
            ]
        },
    )
    opportunity = world.post(
        "journey",
        f"/v1/touchpoints/{points['Checkout']}/opportunities",
        {"title": "Fewer steps to pay", "kind": "pain_point", "effort": 2},
    )
    return {"journey": journey, "points": points, "opportunity": opportunity}


def test_an_action_goes_from_the_board_to_its_measured_effect(
    world: World, page: Page, tmp_path: Path
):
    made = shop(world)
    journey_id = made["journey"]["id"]
    page.goto(f"{world.gateway}/journeys/{journey_id}/opportunities")
    opportunity = made["opportunity"]["id"]
    page_card = page.locator(f"#opp-{opportunity}")
    # The priority comes from data, its parts in words.
    expect(page_card).to_contain_text("from data")
    expect(page_card).to_contain_text("NPS answers here came from detractors")
    expect(page_card).to_contain_text("revenue at risk a year from")
    expect(page_card).to_contain_text("effort 2/5")

    # Set by hand: a reason is asked for, then kept and shown.
    page_card.locator("summary").click()
    page_card.get_by_label("Priority, 0 to 100").fill("90")
    page_card.get_by_label("Why").fill("")
    page_card.get_by_role("button", name="Set priority").click()
    # The browser itself asks for the reason (required): nothing was sent.
    expect(page_card.locator(".priority")).not_to_have_text("90")
    page_card.get_by_label("Why").fill("Checkout is this quarter's company goal")
    page_card.get_by_role("button", name="Set priority").click()
    expect(page_card).to_contain_text("set by hand: “Checkout is this quarter's company goal”")
    expect(page_card.locator(".priority")).to_have_text("90")
    expect(page_card).to_contain_text("From data the priority would be")

    # Evidence: found by searching the checkout's answers, attached, and removed again.
    page_card.get_by_role("link", name="Fewer steps to pay").click()
    expect(page.locator("h1")).to_contain_text("Fewer steps to pay")
    expect(page.locator("#evidence-heading")).to_contain_text("0")
    page.get_by_label("Among").select_option(label="Answers")
    page.get_by_label("With the words").fill("steps pay")
    page.get_by_role("button", name="Search").click()
    picks = page.locator(".picks li")
    expect(picks).to_have_count(2)
    expect(picks.first).to_contain_text(SAID)
    picks.first.locator("input[type=checkbox]").check()
    page.get_by_role("button", name="Attach the ticked ones").click()
    expect(page.locator("#evidence-heading")).to_contain_text("1")
    expect(page.locator(".evidence-list")).to_contain_text(SAID)
    expect(page.locator(".picks li")).to_have_count(1)  # what is attached is not offered again
    page.get_by_label("Among").select_option(label="Cases")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#search-heading + form + p + p.empty, .empty").last).to_contain_text(
        "Nothing of that kind"
    )
    page.screenshot(path=str(tmp_path / "improvement-evidence.png"), full_page=True)
    page.locator(".evidence-list").get_by_role("button", name=f"Remove {SAID}").click()
    expect(page.locator("#evidence-heading")).to_contain_text("0")
    page.get_by_role("link", name="Opportunities and actions").click()

    # Plan an action on the board.
    form = page.locator("form[action$='/actions']")
    form.get_by_role("button", name="Plan action").click()
    expect(page.locator("#opportunities")).to_contain_text("Give it a title.")
    form = page.locator("form[action$='/actions']")
    form.get_by_label("What changes").fill("One-page checkout")
    form.get_by_label("At the touchpoints").select_option(label="Checkout")
    form.get_by_label("Answers the opportunity").select_option(label="Fewer steps to pay")
    form.get_by_label("Owner").fill("Ana Silva")
    form.get_by_role("button", name="Plan action").click()
    planned = page.locator("section[aria-labelledby=act-planned] article.action")
    expect(planned).to_have_count(1)
    expect(planned).to_contain_text("One-page checkout")
    expect(planned).to_contain_text("Fewer steps to pay")
    planned.get_by_role("button", name="Start").click()
    started = page.locator("section[aria-labelledby=act-in_progress] article.action")
    expect(started).to_have_count(1)
    shipped_on = date.today() - timedelta(days=SHIPPED_DAYS_AGO)
    # Shipping asks for the day it shipped (the browser asks first when the field is empty).
    started.get_by_label("Shipped on").fill(shipped_on.isoformat())
    started.get_by_role("button", name="Ship").click()
    shipped = page.locator("section[aria-labelledby=act-shipped] article.action")
    expect(shipped).to_have_count(1)
    expect(shipped.locator(".verdict")).to_have_text("Improved")
    expect(page_card).to_contain_text("One-page checkout (shipped, improved)")
    page.screenshot(path=str(tmp_path / "improvement-board.png"), full_page=True)

    # Its page: the verdict, the chart with the ship date, the figures and the why.
    shipped.get_by_role("link", name="One-page checkout").click()
    expect(page.locator("h1")).to_contain_text("One-page checkout")
    action_id = page.url.rsplit("/", 1)[-1]
    expect(page.locator(".verdict-line")).to_contain_text("Improved")
    expect(page.locator(".verdict-line")).to_contain_text("CES rose")
    chart = page.locator("figure.effect-chart svg")
    expect(chart).to_be_visible()
    expect(chart.locator("line.marker")).to_have_count(1)
    expect(chart.locator("line.level")).to_have_count(2)
    expect(page.locator("figure.effect-chart text.marker-label")).to_have_text(
        f"shipped {shipped_on.strftime('%d %b')}"
    )
    row = page.locator("table.effects tr", has_text="CES")
    expect(row).to_have_class("significant better")
    credited = row.locator("td").nth(4).inner_text()
    assert abs(float(credited.split()[0]) - RISE) < 0.5, credited
    expect(page.locator("#why-heading + article")).to_contain_text("Fewer steps to pay")
    expect(page.get_by_role("button", name="Ship")).to_have_count(0)  # shipped is final
    # A wrong ship date is corrected, and the effect measured again from the new one.
    page.get_by_text("Correct the ship date").click()
    moved = shipped_on - timedelta(days=1)
    page.get_by_label("It reached customers on").fill(moved.isoformat())
    page.get_by_role("button", name="Save the date").click()
    expect(page.locator("dl.facts")).to_contain_text(moved.strftime("%d %b %Y"))
    expect(page.locator("figure.effect-chart text.marker-label")).to_have_text(
        f"shipped {moved.strftime('%d %b')}"
    )
    expect(page.locator(".verdict-line")).to_contain_text("Improved")
    shipped_on = moved
    page.screenshot(path=str(tmp_path / "improvement-action.png"), full_page=True)
    # The journey map shows it on the touchpoint it changed, and only there.
    page.goto(f"{world.gateway}/journeys/{journey_id}")
    checkout = page.locator(f"article#tp-{made['points']['Checkout']}")
    expect(checkout.locator(".card-actions")).to_contain_text("One-page checkout")
    expect(checkout.locator(".card-actions")).to_contain_text(
        f"shipped {shipped_on.strftime('%d %b')}"
    )
    expect(page.locator(f"article#tp-{made['points']['Basket']} .card-actions")).to_have_count(0)
    page.goto(page.url.replace(f"/journeys/{journey_id}", f"/actions/{action_id}"))
    page.set_viewport_size({"width": 390, "height": 844})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the action page is {overflow}px wider than a phone"
    page.screenshot(path=str(tmp_path / "improvement-action-phone.png"), full_page=True)
