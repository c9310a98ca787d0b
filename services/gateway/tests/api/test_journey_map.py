"""The journey map: cards with live scores, edits in place, conflicts, reordering, and pages
that still render when a backend is down."""

import re


def _touchpoints(journey):
    return {t["name"]: t for stage in journey["stages"] for t in stage["touchpoints"]}


def _card(html, touchpoint_id):
    match = re.search(
        rf'<article class="card [^"]*" id="tp-{touchpoint_id}".*?</article>', html, re.S
    )
    assert match, f"no card for {touchpoint_id}"
    return match.group(0)


def test_the_map_shows_stages_cards_owners_targets_and_live_scores(
    stack, viewer, delivery_journey, tools
):
    courier = _touchpoints(delivery_journey)["Courier delivers"]
    tools.relay(stack)
    tools.answers(stack, courier["id"], [0, 1, 2, 3, 9, 10])  # NPS (2-4)/6 = -33
    page = viewer.get(f"/journeys/{delivery_journey['id']}")
    assert page.status_code == 200
    html = page.text
    assert html.index("Delivery") < html.index("Returns")
    assert html.index("Courier delivers") < html.index("Tracking page") < html.index("Return label")
    card = _card(html, courier["id"])
    assert "Logistics" in card and "Priya Shah" in card
    assert "On time, in one piece, with a photo" in card
    assert "NPS at least +40" in card
    assert "-33" in card and "n=6" in card
    assert 'class="card status-breached"' in card
    tracking = _card(html, _touchpoints(delivery_journey)["Tracking page"]["id"])
    assert "no named owner" in tracking and "no responses yet" in tracking
    # The emotion curve: designed (dashed) and measured across the stages.
    assert '<line class="designed" x1="' in html
    assert '<circle class="measured" cx="' in html  # the one stage with answers


def test_too_few_responses_are_said_so_and_not_coloured(stack, viewer, delivery_journey, tools):
    courier = _touchpoints(delivery_journey)["Courier delivers"]
    tools.relay(stack)
    tools.answers(stack, courier["id"], [10, 10])  # below the target's minimum of 5
    card = _card(viewer.get(f"/journeys/{delivery_journey['id']}").text, courier["id"])
    assert "too few responses" in card
    assert 'class="card status-too-few"' in card


def test_changing_the_owner_in_place_returns_the_card_and_records_who(
    stack, editor, delivery_journey, stored
):
    courier = _touchpoints(delivery_journey)["Courier delivers"]
    form = editor.htmx("GET", f"/touchpoints/{courier['id']}/edit")
    assert form.status_code == 200
    assert "<html" not in form.text  # a fragment
    assert 'value="Priya Shah"' in form.text
    response = editor.htmx(
        "POST",
        f"/touchpoints/{courier['id']}",
        {
            "version": courier["version"],
            "name": "Courier delivers",
            "channel": "field",
            "interaction": "human",
            "owner_team_id": courier["owner_team_id"],
            "owner_name": "Marta Nowak",
            "moment_of_truth": "on",
            "standard": courier["standard"],
            "target_nps": "40",
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["HX-Trigger"] == "touchpoint-changed"
    assert "Marta Nowak" in response.text and "Saved." in response.text
    after = stored.touchpoint(courier["id"])
    assert after["owner_name"] == "Marta Nowak"
    assert after["version"] == courier["version"] + 1
    assert after["targets"][0]["min_responses"] == 5  # kept, though the form does not show it
    history = editor.get(f"/touchpoints/{courier['id']}/history")
    assert "editor@example.com" in history.text
    assert "Marta Nowak" in history.text and "Priya Shah" in history.text


def test_a_touchpoint_history_reads_as_sentences_with_names(stack, editor, delivery_journey):
    courier = _touchpoints(delivery_journey)["Courier delivers"]
    editor.htmx(
        "POST",
        f"/touchpoints/{courier['id']}",
        {
            "version": courier["version"],
            "name": "Courier delivers",
            "channel": "field",
            "interaction": "human",
            "owner_team_id": "",
            "owner_name": "Priya Shah",
            "target_nps": "45",
        },
    )
    page = editor.get(f"/touchpoints/{courier['id']}/history").text
    page = page[page.index('<ol class="history">') :]
    # Names, not ids; targets, emotions and flags in words; who did it in a sentence.
    for raw in (delivery_journey["id"], courier["stage_id"], delivery_journey["team"]["id"]):
        assert raw not in page
    assert "<td>Delivery and returns</td>" in page and "<td>Delivery</td>" in page
    assert "<td>Logistics</td>" in page  # the team before the change
    assert "<td>NPS at least +40</td><td>NPS at least +45</td>" in page
    assert "Moment of truth</th><td>yes</td>" in page and "True" not in page
    assert "{&#39;" not in page and "[{" not in page  # no Python reprs
    assert re.search(r"Created by the API key “[^”]+”", page)
    assert "Changed by editor@example.com" in page
    assert "api-key:" not in page


def test_a_plain_form_post_answers_303_to_the_map(stack, editor, delivery_journey, stored):
    courier = _touchpoints(delivery_journey)["Courier delivers"]
    response = editor.post(
        f"/touchpoints/{courier['id']}",
        {"version": courier["version"], "name": "Courier at the door", "channel": "field"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/journeys/{delivery_journey['id']}#tp-{courier['id']}"
    assert stored.touchpoint(courier["id"])["name"] == "Courier at the door"


def test_a_conflicting_edit_says_who_changed_it_and_overwrites_nothing(
    stack, browser_for, delivery_journey, stored
):
    courier = _touchpoints(delivery_journey)["Courier delivers"]
    first, second = browser_for("editor"), browser_for("admin")
    base = {"version": courier["version"], "channel": "field", "interaction": "human"}
    assert (
        first.htmx("POST", f"/touchpoints/{courier['id']}", {**base, "name": "First"}).status_code
        == 200
    )
    late = second.htmx("POST", f"/touchpoints/{courier['id']}", {**base, "name": "Second"})
    assert late.status_code == 412
    assert "editor@example.com" in late.text
    assert "not saved" in late.text and "Reload their version" in late.text
    assert 'value="Second"' in late.text  # their typing is kept on screen
    assert stored.touchpoint(courier["id"])["name"] == "First"
    again = second.htmx("POST", f"/touchpoints/{courier['id']}", {**base, "name": "Second"})
    assert again.status_code == 412  # saving the stale form again still overwrites nothing
    assert stored.touchpoint(courier["id"])["name"] == "First"


def test_invalid_input_is_shown_beside_the_field_and_nothing_changes(
    stack, editor, delivery_journey, stored
):
    courier = _touchpoints(delivery_journey)["Courier delivers"]
    url = f"/touchpoints/{courier['id']}"
    base = {"version": courier["version"], "name": "Courier delivers", "channel": "field"}
    not_a_number = editor.htmx("POST", url, {**base, "target_nps": "lots"})
    assert not_a_number.status_code == 422
    assert 'id="e-target_nps"' in not_a_number.text
    out_of_range = editor.htmx("POST", url, {**base, "target_nps": "500"})
    assert out_of_range.status_code == 422
    assert 'class="error"' in out_of_range.text
    empty_name = editor.htmx("POST", url, {**base, "name": ""})
    assert empty_name.status_code == 422
    assert 'id="e-name"' in empty_name.text
    assert stored.touchpoint(courier["id"])["version"] == courier["version"]


def test_move_buttons_reorder_touchpoints(stack, editor, delivery_journey, stored):
    courier = _touchpoints(delivery_journey)["Courier delivers"]
    response = editor.htmx(
        "POST",
        f"/touchpoints/{courier['id']}/move",
        {"version": courier["version"], "direction": "down"},
    )
    assert response.status_code == 200
    assert 'id="board"' in response.text
    assert stored.names_by_stage(delivery_journey["id"])[0] == ["Tracking page", "Courier delivers"]
    # The moved card's button keeps the keyboard focus.
    assert re.search(r'aria-label="Move Courier delivers down"\s+autofocus', response.text)
    moved = stored.touchpoint(courier["id"])
    plain = editor.post(
        f"/touchpoints/{courier['id']}/move", {"version": moved["version"], "direction": "up"}
    )
    assert plain.status_code == 303
    assert stored.names_by_stage(delivery_journey["id"])[0] == ["Courier delivers", "Tracking page"]


def test_add_and_remove_touchpoints_and_stages(stack, editor, delivery_journey, stored):
    journey_id = delivery_journey["id"]
    returns = delivery_journey["stages"][1]
    added = editor.htmx(
        "POST",
        f"/stages/{returns['id']}/touchpoints",
        {"journey_id": journey_id, "name": "Refund e-mail", "channel": "email"},
    )
    assert added.status_code == 200 and "Refund e-mail" in added.text
    assert stored.names_by_stage(journey_id)[1] == ["Return label", "Refund e-mail"]
    nameless = editor.htmx(
        "POST", f"/stages/{returns['id']}/touchpoints", {"journey_id": journey_id, "name": " "}
    )
    assert nameless.status_code == 422 and "Give the touchpoint a name." in nameless.text

    stage = editor.htmx("POST", f"/journeys/{journey_id}/stages", {"name": "Review"})
    assert stage.status_code == 200 and "Review" in stage.text
    assert len(stored.names_by_stage(journey_id)) == 3
    document = stack.journey.get(f"/v1/journeys/{journey_id}/document").json()
    review = document["stages"][2]
    removed = editor.htmx(
        "POST",
        f"/stages/{review['id']}/delete",
        {"journey_id": journey_id, "version": review["version"]},
    )
    assert removed.status_code == 200
    assert len(stored.names_by_stage(journey_id)) == 2

    label = _touchpoints(delivery_journey)["Return label"]
    gone = editor.post(f"/touchpoints/{label['id']}/delete", {"version": label["version"]})
    assert gone.status_code == 303
    assert stored.names_by_stage(journey_id)[1] == ["Refund e-mail"]


def test_respondent_and_staff_text_is_escaped(stack, editor, delivery_journey):
    courier = _touchpoints(delivery_journey)["Courier delivers"]
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    editor.post(
        f"/touchpoints/{courier['id']}",
        {"version": courier["version"], "name": payload, "channel": "field", "standard": payload},
    )
    page = editor.get(f"/journeys/{delivery_journey['id']}").text
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_map_renders_without_metrics_and_says_scores_are_missing(
    stack, viewer, delivery_journey
):
    stack.stop("metrics")
    page = viewer.get(f"/journeys/{delivery_journey['id']}")
    assert page.status_code == 200
    assert "Courier delivers" in page.text
    assert "Live scores are missing" in page.text


def test_pages_render_without_journey_and_say_what_is_missing(stack, viewer, delivery_journey):
    stack.stop("journey")
    for url in ("/journeys", f"/journeys/{delivery_journey['id']}"):
        page = viewer.get(url)
        assert page.status_code == 200, url
        assert "The journey service cannot be reached" in page.text
    stack.start("journey")
    assert "Courier delivers" in viewer.get(f"/journeys/{delivery_journey['id']}").text


def test_an_unknown_journey_is_a_404_page(stack, viewer):
    page = viewer.get("/journeys/no-such-journey")
    assert page.status_code == 404
    assert "Not found" in page.text
