"""The dashboard, incidents and opportunities as a new user meets them, in a real browser against
the four services as processes, with the sample business (three months of answers, a
degrading courier, customers and opportunities)."""

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import sample

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser-dashboard-and-alerts")]
# It counts what the whole world holds: servers of its own (conftest.py).
OWN_WORLD = True


@pytest.fixture(scope="module")
def made(world) -> dict[str, Any]:
    return sample.build(world)


def test_a_degraded_touchpoint_shows_one_incident_found_again_once_acknowledged(world, made):
    courier = made["touchpoints"]["Courier delivers"]["id"]
    # The courier's answers fell apart over the last month: NPS, CSAT and CES signal, and more
    # evaluations change nothing: one incident, opened once.
    world.post("metrics", "/v1/incidents/evaluate")
    mine = world.get("metrics", f"/v1/incidents?touchpoint_id={courier}")["items"]
    assert len(mine) == 1 and mine[0]["reopen_count"] == 0
    assert len([s for s in mine[0]["signals"] if s["active"]]) >= 2
    page = world.signed_in("editor")
    count = page.locator("#open-incident-count")
    before = int(count.inner_text())
    assert before >= 1
    titles = page.locator("article.incident h3").all_inner_texts()
    touchpoints = [title.split(":")[0] for title in titles]
    assert len(touchpoints) == len(set(touchpoints)) == before, titles  # one per touchpoint
    card = page.locator(f"#incident-{mine[0]['id']}")
    expect(card.locator(".signals li")).to_have_count(len(mine[0]["signals"]))
    # Praise is never offered as evidence of the problem.
    expect(card.locator(".comments li.sentiment-positive")).to_have_count(0)
    title = card.locator("h3").inner_text()
    card.locator("button", has_text="Acknowledge").click()
    expect(card).to_contain_text("acknowledged by editor@example.com")
    # The header follows without a reload.
    expect(count).to_have_text(str(before - 1))
    page.reload()
    expect(page.locator("#open-incident-count")).to_have_text(str(before - 1))
    expect(page.locator(f"#incident-{mine[0]['id']}")).to_have_count(0)
    # And it is found again from the navigation: Incidents opens on the open ones, and the
    # acknowledged one is a tab away.
    page.locator("header.top nav").get_by_role("link", name="Incidents").click()
    expect(page.locator("h1")).to_have_text("Incidents")
    expect(page.locator("article.incident")).to_have_count(before - 1)
    page.get_by_role("link", name="Acknowledged", exact=True).click()
    found = page.locator(f"#incident-{mine[0]['id']}")
    expect(found).to_contain_text(title)
    expect(found).to_contain_text("acknowledged by editor@example.com")
    page.get_by_role("link", name="Open", exact=True).click()
    expect(page.locator(f"#incident-{mine[0]['id']}")).to_have_count(0)
    expect(page.locator("article.incident")).to_have_count(before - 1)


def answer(world, slug: str, score: int, why: str) -> None:
    customer = world.chromium.new_context().new_page()
    customer.goto(f"{world.gateway}/s/{slug}")
    customer.click(f"label[for=a-{score}]")
    customer.click("button[type=submit]")
    customer.fill("textarea", why)
    customer.click("button[type=submit]")
    customer.wait_for_selector("text=Thank you")
    customer.context.close()


@pytest.mark.parametrize("javascript", [True, False])
def test_opportunities_from_the_navigation_with_priority_explained_and_evidence_searched(
    world, made, javascript
):
    tag, where = ("with", "fence") if javascript else ("without", "hedge")
    answer(world, "delivery", 2, f"Parcel thrown over the {where} ({tag} script)")
    answer(world, "delivery", 9, "Lovely courier")
    page = world.signed_in("editor", javascript=javascript)
    page.locator("header.top nav").get_by_role("link", name="Opportunities").click()
    expect(page.locator("h1")).to_have_text("Opportunities")
    page.get_by_role("link", name="Buying online").click()
    card = page.locator("article.card", has_text="Photo on delivery")
    # The courier's answers set both values (effort 2); the card shows the sum it made.
    expect(card).to_contain_text("from data = (")
    shown = card.locator("dd", has=page.locator(".priority")).inner_text()
    found = re.search(r"(\d+)\s+from data = \((\d+) \+ (\d+)\) ÷ 2 ÷ \(1 \+ 2\)", shown)
    assert found, shown
    priority, customer, business = (int(g) for g in found.groups())
    assert abs(priority - (customer + business) / 2 / 3) <= 0.55, shown
    expect(card.locator(".explained")).to_contain_text(f"Customer value {customer}: {customer}% of")
    expect(card.locator(".explained")).to_contain_text(f"{business}% of the journey's")
    expect(page.locator("#opportunities")).to_contain_text("divided by 1 + effort")

    page.fill("#f-title", f"Ask for a safe place ({tag} script)")
    courier = made["touchpoints"]["Courier delivers"]["id"]
    page.select_option("#f-place", courier)
    page.fill("#f-find_text", where.upper())  # any case
    page.select_option("#f-find_band", "detractor")
    page.get_by_role("button", name="Search responses").click()
    found = page.locator(".picks li")
    expect(found).to_have_count(1)
    pick = found.filter(has_text=f"({tag} script)")
    expect(pick).to_contain_text("NPS answer 2")
    pick.locator("input[type=checkbox]").check()
    # What was typed before the search is still there.
    expect(page.locator("#f-title")).to_have_value(f"Ask for a safe place ({tag} script)")
    page.get_by_role("button", name="Add opportunity").click()
    added = page.locator("article.card", has_text=f"Ask for a safe place ({tag} script)")
    expect(added).to_contain_text("Evidence")
    expect(added).to_contain_text("1 attached")
    added.get_by_role("link", name="a response").click()
    expect(page.locator("main")).to_contain_text(f"Parcel thrown over the {where} ({tag} script)")


def test_today_so_far_is_drawn_apart_from_the_trend(world, made):
    page = world.signed_in("viewer")
    page.goto(f"{world.gateway}/dashboard?days=7")
    tile = page.locator(".tile").first
    expect(tile.locator("svg.trend .partial circle")).to_have_count(1)
    expect(tile.locator(".partial-note")).to_contain_text("Today so far")
    expect(tile.locator(".partial-note")).to_contain_text("not a whole day yet")
    # The line stops at yesterday: one point per complete day, today's not among them.
    expect(tile.locator("svg.trend circle.point, svg.trend circle.few")).to_have_count(6)


def test_segments_are_offered_matched_in_any_case_and_money_says_currency_and_period(world, made):
    page = world.signed_in("viewer")
    segment = page.locator("select[name=segment]")
    expect(segment.locator("option", has_text="Business")).to_have_count(1)
    segment.select_option(label=segment.locator("option", has_text="Business").inner_text())
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**segment=business**")
    chosen = page.locator(".tile").first.locator(".detail").inner_text()
    assert "n=" in chosen and "n=0" not in chosen
    # Typed in another case (an old link, a hand-edited URL), the same answers.
    page.goto(f"{world.gateway}/dashboard?segment=BUSINESS")
    expect(page.locator(".tile").first.locator(".detail")).to_have_text(chosen)
    expect(page.locator("select[name=segment] option:checked")).to_contain_text("Business")
    risk = page.locator("section[aria-labelledby=risk-title]")
    expect(risk).to_contain_text("€")
    expect(risk).to_contain_text("a year")
    expect(risk.locator("tbody th").first).to_have_text(re.compile(r"^[A-Z]"))
