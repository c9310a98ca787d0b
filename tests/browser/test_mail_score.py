"""A score clicked in an invitation mail, in a real browser: with JavaScript the page records
it as it loads and goes on to the next question; without, the score is chosen and sent with
Next. Either way the invitation's response is made once."""

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.test_survey_back import three_questions

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]


def invitation_link(world, survey) -> str:
    person = f"c-{uuid.uuid4().hex[:6]}"
    created = world.post(
        "feedback",
        f"/v1/surveys/{survey['id']}/invitations",
        {"respondents": [{"external_id": person, "email": f"{person}@example.com"}]},
    )
    link: str = created["created"][0]["link"]
    return link


@pytest.mark.parametrize("javascript", [True, False])
def test_a_score_from_the_mail_is_recorded_once_and_the_survey_goes_on(world, javascript):
    survey = three_questions(world)
    link = invitation_link(world, survey)
    page = world.chromium.new_context(java_script_enabled=javascript).new_page()
    page.goto(f"{world.gateway}{link}&score=8")
    if not javascript:
        expect(page.locator("#a-8")).to_be_checked()
        assert world.get("feedback", f"/v1/responses?survey_id={survey['id']}")["items"] == []
        page.get_by_role("button", name="Next").click()
    expect(page.locator("legend")).to_contain_text("Satisfied?")
    [stored] = world.get("feedback", f"/v1/responses?survey_id={survey['id']}")["items"]
    assert (stored["answers"], stored["channel"]) == ({"nps": 8}, "email")

    # A second score from the same mail changes nothing and goes on from where it is.
    again = world.chromium.new_context(java_script_enabled=javascript).new_page()
    again.goto(f"{world.gateway}{link}&score=1")
    if not javascript:
        again.get_by_role("button", name="Next").click()
    expect(again.locator("legend")).to_contain_text("Satisfied?")
    [stored] = world.get("feedback", f"/v1/responses?survey_id={survey['id']}")["items"]
    assert stored["answers"] == {"nps": 8}
