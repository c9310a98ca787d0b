"""A journey's map versions in the web UI: the list, one version read-only, the comparison of
two, restoring a past one as a draft (editors only), and bad version numbers said plainly."""

import re

import pytest


def _courier(journey):
    return journey["stages"][0]["touchpoints"][0]


@pytest.fixture
def changed_live(stack, editor, delivery_journey):
    """The delivery journey (published: version 1) after the editor re-owned the courier's
    touchpoint and changed its standard and target on the map (the day's change: version 2)."""
    courier = _courier(delivery_journey)
    response = editor.post(
        f"/touchpoints/{courier['id']}",
        {
            "version": courier["version"],
            "name": "Courier delivers",
            "channel": "field",
            "interaction": "human",
            "owner_team_id": courier["owner_team_id"],
            "owner_name": "Marta Nowak",
            "moment_of_truth": "on",
            "standard": "On time, with a photo",
            "target_nps": "50",
        },
    )
    assert response.status_code == 303, response.text
    return delivery_journey


def _restore_form(html, number):
    action = re.search(rf'action="(/journeys/[^"]+/versions/{number}/restore)"', html)
    key = re.search(r'name="restore_key" value="([^"]+)"', html)
    assert action and key, "no restore form"
    return action.group(1), key.group(1)


def test_the_map_links_to_its_versions_and_the_list_says_why_when_and_who(viewer, changed_live):
    journey_id = changed_live["id"]
    assert f'href="/journeys/{journey_id}/versions"' in viewer.get(f"/journeys/{journey_id}").text
    page = viewer.get(f"/journeys/{journey_id}/versions")
    assert page.status_code == 200, page.text
    rows = re.findall(r"<tr>.*?</tr>", page.text, re.S)[1:]
    assert len(rows) == 2
    assert "Version 2" in rows[0] and "Changed while live" in rows[0] and "latest" in rows[0]
    assert "editor@example.com" in rows[0]
    assert "Version 1" in rows[1] and "Published" in rows[1]
    assert "UTC" in rows[1]
    assert "/versions/compare?from=1&amp;to=2" in rows[0]
    # The picker's default: the previous against the latest.
    assert re.search(r'id="compare-from"[^>]*value="1"', page.text)
    assert re.search(r'id="compare-to"[^>]*value="2"', page.text)
    assert "Restore as draft" not in page.text  # a viewer's page


def test_compare_shows_the_re_owned_touchpoint_and_its_standard_and_target_before_and_after(
    viewer, changed_live
):
    page = viewer.get(f"/journeys/{changed_live['id']}/versions/compare")
    assert page.status_code == 200, page.text
    html = page.text
    reowned = html[html.index("Re-owned") : html.index("</section>", html.index("Re-owned"))]
    assert "Courier delivers" in reowned and "Delivery" in reowned
    assert reowned.index("Logistics · Priya Shah") < reowned.index("Logistics · Marta Nowak")
    assert "On time, in one piece, with a photo" in html and "On time, with a photo" in html
    assert html.index("NPS at least +40") < html.index("NPS at least +50")
    assert "Added" not in html and "Removed" not in html and "No differences" not in html


def test_a_version_compared_with_itself_has_no_differences(viewer, changed_live):
    page = viewer.get(f"/journeys/{changed_live['id']}/versions/compare?from=2&to=2")
    assert page.status_code == 200
    assert "No differences" in page.text


def test_a_version_shows_its_map_read_only(viewer, editor, changed_live):
    url = f"/journeys/{changed_live['id']}/versions/1"
    page = viewer.get(url)
    assert page.status_code == 200, page.text
    html = page.text
    assert html.index("Delivery") < html.index("Courier delivers") < html.index("Returns")
    assert "Priya Shah" in html and "Marta Nowak" not in html
    assert "On time, in one piece, with a photo" in html and "NPS at least +40" in html
    assert "Logistics" in html and "moment of truth" in html
    assert "<form" not in html.split("<main", 1)[1] and "Restore as draft" not in html
    assert "Restore as draft" in editor.get(url).text
    # The latest version is the map as it is: nothing to restore.
    assert "Restore as draft" not in editor.get(f"/journeys/{changed_live['id']}/versions/2").text


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/versions/abc", 404, "“abc” is not a version number"),
        ("/versions/0", 404, "“0” is not a version number"),
        ("/versions/99", 404, "There is no version 99: this journey has versions 1 to 2."),
        ("/versions/compare?from=one&to=2", 422, "“one” is not a version number"),
        ("/versions/compare?from=1&to=7", 422, "There is no version 7"),
        ("/versions/compare?from=-1", 422, "“-1” is not a version number"),
    ],
)
def test_bad_version_numbers_are_said_on_the_page(viewer, changed_live, path, status, message):
    page = viewer.get(f"/journeys/{changed_live['id']}{path}")
    assert page.status_code == status, page.text
    assert message in page.text
    assert 'id="compare-from"' in page.text  # and the picker to try again


def test_an_editor_restores_a_past_version_as_a_draft_once_however_often_it_is_sent(
    stack, editor, changed_live
):
    versions = editor.get(f"/journeys/{changed_live['id']}/versions").text
    action, key = _restore_form(versions, 1)
    response = editor.post(action, {"restore_key": key})
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    draft_id = re.fullmatch(r"/journeys/([^?]+)\?restored=1", location).group(1)
    assert draft_id != changed_live["id"]
    again = editor.post(action, {"restore_key": key})  # a double click, a browser's retry
    assert again.headers["location"] == location
    page = editor.get(location)
    assert page.status_code == 200
    assert "Restored: this new draft holds the map of version 1" in page.text
    assert "Delivery and returns (version 1)" in page.text and ">draft</span>" in page.text
    draft = stack.journey.get(f"/v1/journeys/{draft_id}/document").json()
    assert draft["status"] == "draft" and draft["origin_journey_id"] == changed_live["id"]
    assert _courier(draft)["owner_name"] == "Priya Shah"
    assert _courier(draft)["standard"] == "On time, in one piece, with a photo"


def test_a_viewer_cannot_restore_and_a_post_without_the_token_is_refused(
    stack, viewer, editor, changed_live
):
    action, key = _restore_form(editor.get(f"/journeys/{changed_live['id']}/versions/1").text, 1)
    before = stack.journey.get("/v1/journeys", params={"limit": 200}).json()["items"]
    refused = viewer.post(action, {"restore_key": key})
    assert refused.status_code == 403
    assert "viewer" in refused.text
    no_token = editor.client.post(action, data={"restore_key": key})
    assert no_token.status_code == 403
    after = stack.journey.get("/v1/journeys", params={"limit": 200}).json()["items"]
    assert len(after) == len(before)


def test_restoring_an_unknown_version_says_so(editor, changed_live):
    page = editor.post(f"/journeys/{changed_live['id']}/versions/42/restore")
    assert page.status_code == 404
    assert "There is no version 42: this journey has versions 1 to 2." in page.text
    page = editor.post(f"/journeys/{changed_live['id']}/versions/x1/restore")
    assert page.status_code == 404 and "“x1” is not a version number" in page.text


def test_a_journey_that_was_never_published_has_no_versions_yet(stack, viewer):
    draft = stack.journey.created(
        "/v1/journeys/documents", {"name": "Onboarding", "stages": [{"name": "Sign up"}]}
    )
    page = viewer.get(f"/journeys/{draft['id']}/versions")
    assert page.status_code == 200
    assert "No versions yet" in page.text and 'id="compare-from"' not in page.text
    compare = viewer.get(f"/journeys/{draft['id']}/versions/compare")
    assert compare.status_code == 200
    assert "This journey has no versions yet" in compare.text


def test_the_versions_page_says_so_when_journey_is_down(stack, viewer, changed_live):
    stack.stop("journey")
    page = viewer.get(f"/journeys/{changed_live['id']}/versions")
    assert page.status_code == 200
    assert "The journey service cannot be reached" in page.text
    compare = viewer.get(f"/journeys/{changed_live['id']}/versions/compare")
    assert compare.status_code == 503 and "journey service" in compare.text
