"""From a score to the answers behind it: every score a manager sees links to exactly the
answers it counts, with its filters (touchpoint, period, segment, category)."""

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser import sample

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser-trace-scores")]
# It counts what the whole world holds: servers of its own (conftest.py).
OWN_WORLD = True


@pytest.fixture(scope="module")
def business(world) -> dict[str, Any]:
    return sample.build(world, days=60)


def n_of(text: str) -> int:
    found = re.search(r"n=([\d,]+)", text)
    assert found, text
    return int(found.group(1).replace(",", ""))


def total_on(page: Page) -> int:
    return int(page.locator(".total strong").inner_text().replace(",", ""))


def world_url(page: Page, href: str) -> str:
    return page.url.split("/answers")[0] + href


def rows_through_every_page(page: Page) -> int:
    rows = 0
    while True:
        rows += page.locator("table.answers tbody tr").count()
        older = page.get_by_role("link", name="Older answers")
        if not older.count():
            return rows
        href = older.get_attribute("href") or ""
        older.click()
        page.wait_for_url(world_url(page, href))


def test_a_map_card_score_opens_the_answers_it_counts(world, business):
    courier = business["touchpoints"]["Courier delivers"]
    page = world.signed_in("viewer")
    page.goto(f"{world.gateway}/journeys/{business['journey']['id']}?days=30")
    card = page.locator(f"#tp-{courier['id']}")
    n = n_of(card.locator(".score").inner_text())
    card.locator(".score a.answers-link").click()
    expect(page).to_have_url(re.compile(r"/answers\?"))
    expect(page.locator("h1")).to_contain_text("Courier delivers")
    assert total_on(page) == n
    assert n_of(page.locator(".score").inner_text()) == n
    page.get_by_role("link", name=re.compile("Detractors")).click()
    expect(page.locator(".total")).to_contain_text("detractors")
    detractors = total_on(page)
    scores = world.get(
        "metrics",
        f"/v1/scores?metric=nps&touchpoint_id={courier['id']}"
        f"&from={page.url.split('from=')[1][:10]}",
    )
    assert detractors == scores["overall"]["details"]["detractors"]
    assert 0 < detractors < n
    answers = page.locator("table.answers tbody td.answer").all_inner_texts()
    assert answers and all(int(a) <= 6 for a in answers)
    assert rows_through_every_page(page) == detractors


def test_a_dashboard_tile_keeps_its_segment_and_period(world, business):
    page = world.signed_in("viewer")
    page.goto(f"{world.gateway}/dashboard?days=90&segment=business")
    tile = page.locator(".tile").first
    n = n_of(tile.locator(".score").inner_text())
    tile.locator("a.answers-link").click()
    expect(page.locator(".lead")).to_contain_text("segment business")
    assert total_on(page) == n
    segments = set(page.locator("table.answers tbody tr td:nth-child(4)").all_inner_texts())
    assert segments == {"business"}


def test_an_incident_signal_opens_the_answers_of_its_window(world, business):
    page = world.signed_in("viewer")
    page.goto(f"{world.gateway}/dashboard")
    incident = page.locator("article.incident", has_text="Courier delivers").first
    evidence = incident.locator(".evidence").first
    n = n_of(evidence.inner_text())
    evidence.locator("a.answers-link").click()
    expect(page.locator("h1")).to_contain_text("Courier delivers")
    assert total_on(page) == n
