"""The survey builder's head: each of its links opens its page. The head refreshes itself
with htmx (hx-select on itself); boosted links inside it once inherited that selection and
swapped in an empty page."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_survey_back import three_questions

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]


@pytest.mark.parametrize(
    ("link", "heading"),
    [
        ("Preview", "Preview:"),
        ("Invitations", "Invitations"),
        ("E-mail", "Invitation e-mail"),
        ("Responses", "Responses"),
    ],
)
def test_each_link_in_the_builders_head_opens_its_page(world, link, heading):
    survey = three_questions(world)
    page = world.signed_in("editor")
    page.goto(f"{world.gateway}/surveys/{survey['id']}")
    page.get_by_role("link", name=link, exact=True).click()
    expect(page.locator("h1")).to_contain_text(heading)
    page.go_back()
    expect(page.locator("h1")).to_contain_text("How was it?")
