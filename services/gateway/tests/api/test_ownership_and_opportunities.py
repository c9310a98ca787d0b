"""Ownership gaps fixed in place, handoffs, reviews; the opportunities board with evidence."""

import re
from datetime import UTC, datetime, timedelta

from ..conftest import relay_to_metrics


def test_gaps_are_listed_and_fixed_in_place(stack, editor, delivery_journey, stored):
    tracking = delivery_journey["stages"][0]["touchpoints"][1]
    page = editor.get("/ownership").text
    gaps = page[page.index("gaps-title") : page.index("handoffs-title")]
    assert "Tracking page" in gaps and "Return label" in gaps and "Courier delivers" not in gaps
    form = editor.htmx("GET", f"/ownership/touchpoints/{tracking['id']}/assign")
    assert form.status_code == 200 and 'name="owner_name"' in form.text
    saved = editor.htmx(
        "POST",
        f"/touchpoints/{tracking['id']}/owner",
        {
            "version": tracking["version"],
            "owner_team_id": delivery_journey["team"]["id"],
            "owner_name": "Ola Berg",
            "owner_email": "ola@example.com",
        },
    )
    assert saved.status_code == 200 and "Owned." in saved.text
    # Its row's "missing" cell comes along (out of band), and the report is told to refresh.
    assert f'<td id="missing-{tracking["id"]}" hx-swap-oob="true">' in saved.text
    assert "nothing: owned" in saved.text
    assert saved.headers["HX-Trigger"] == "touchpoint-changed"
    after = stored.touchpoint(tracking["id"])
    assert (after["owner_name"], after["owner_team_id"]) == (
        "Ola Berg",
        delivery_journey["team"]["id"],
    )
    assert after["name"] == "Tracking page"  # nothing but the owner changed
    gaps = editor.get("/ownership").text
    assert "Tracking page" not in gaps[gaps.index("gaps-title") : gaps.index("handoffs-title")]


def test_handoffs_and_owner_load_are_shown(stack, editor, delivery_journey):
    tracking = delivery_journey["stages"][0]["touchpoints"][1]
    desk = stack.journey.created("/v1/teams", {"name": "Returns desk"})
    editor.post(
        f"/touchpoints/{tracking['id']}/owner",
        {"version": tracking["version"], "owner_team_id": desk["id"], "owner_name": "Kim"},
    )
    page = editor.get("/ownership").text
    handoffs = page[page.index("handoffs-title") : page.index("load-title")]
    assert "Courier delivers" in handoffs and "Tracking page" in handoffs
    assert "Logistics" in handoffs and "Returns desk" in handoffs
    load = page[page.index("load-title") : page.index("reviews-title")]
    assert "Priya Shah" in load and "Kim" in load


def test_an_overdue_journey_is_reviewed_with_a_decision(stack, editor, delivery_journey):
    journey_id = delivery_journey["id"]
    stale = stack.journey.patch(
        f"/v1/journeys/{journey_id}",
        {"last_reviewed_date": "2020-01-01", "review_cadence_days": 90},
        headers={**stack.journey.writer, "If-Match": f'"{delivery_journey["version"]}"'},
    )
    assert stale.status_code == 200, stale.text
    page = editor.get("/ownership").text
    reviews = page[page.index("reviews-title") :]
    assert "Delivery and returns" in reviews and "2020-01-01" in reviews
    listed = editor.get("/journeys").text
    assert "review needed" in listed and "days overdue (last reviewed 2020-01-01)" in listed
    refused = editor.post(f"/journeys/{journey_id}/reviews", {"decision": "  "})
    assert refused.status_code == 422
    assert "Say what the review decided" in refused.text
    done = editor.post(f"/journeys/{journey_id}/reviews", {"decision": "Map holds; no change."})
    assert done.status_code == 303
    assert "Every journey was reviewed on time" in editor.get("/ownership").text
    assert "review needed" not in editor.get("/journeys").text
    [review] = stack.journey.get(f"/v1/journeys/{journey_id}/reviews").json()["items"]
    assert (review["decision"], review["updated_by"]) == (
        "Map holds; no change.",
        "editor@example.com",
    )


def test_what_customers_do_off_the_map_flags_the_journey_until_a_review_deals_with_it(
    stack, editor, viewer, delivery_journey
):
    """An activity no touchpoint lists, met in 50 cases, is a reason to review the journey: on
    the journeys list and the ownership page, until a review acknowledges it."""
    from cxshared.auth import Scope
    from cxshared.testing.api import make_key

    courier = delivery_journey["stages"][0]["touchpoints"][0]
    mapped = stack.journey.patch(
        f"/v1/touchpoints/{courier['id']}",
        {"activities": ["parcel_delivered"]},
        headers={**stack.journey.writer, "If-Match": f'"{courier["version"]}"'},
    )
    assert mapped.status_code == 200, mapped.text
    relay_to_metrics(stack)
    at = datetime.now(UTC) - timedelta(days=3)
    rows = [
        {
            "event_id": f"off-{c}-{activity}",
            "customer_id": f"C-{c}",
            "activity": activity,
            "occurred_at": (at + timedelta(hours=hour)).isoformat(),
            "attributes": {},
        }
        for c in range(50)
        for hour, activity in ((0, "parcel_delivered"), (1, "courier_called"))
    ]
    key = make_key(stack.metrics.database_url, "activities", Scope.INGEST)
    posted = stack.metrics.client.post(
        "/v1/activities", json={"activities": rows}, headers={"Authorization": f"Bearer {key}"}
    )
    assert posted.status_code == 200, posted.text
    listed = editor.get("/journeys").text
    assert "review needed" in listed and "courier_called" in listed
    page = editor.get("/ownership").text
    reviews = page[page.index("reviews-title") :]
    assert "review needed" in reviews and "courier_called" in reviews
    assert 'value="undocumented_touchpoint:courier_called" checked' in reviews
    assert "Record the review" not in viewer.get("/ownership").text
    assert (
        viewer.post(f"/journeys/{delivery_journey['id']}/reviews", {"decision": "x"}).status_code
        == 403
    )

    done = editor.post(
        f"/journeys/{delivery_journey['id']}/reviews",
        {
            "decision": "Add 'Customer calls the courier' to Delivery.",
            "acknowledged": ["undocumented_touchpoint:courier_called"],
        },
    )
    assert done.status_code == 303
    assert "review needed" not in editor.get("/journeys").text
    assert "courier_called" not in editor.get("/ownership").text


def test_the_opportunities_board_with_evidence(stack, editor, delivery_journey, delivery_survey):
    answered = stack.feedback.client.post(
        "/v1/public/surveys/delivery/responses",
        json={
            "submission_id": "evidence-0001",
            "complete": True,
            "answers": {"nps": 2, "what_went_wrong": "Box crushed", "ease": 2},
        },
    )
    assert answered.status_code == 201, answered.text
    response_id = answered.json()["id"]
    journey_id = delivery_journey["id"]
    courier = delivery_journey["stages"][0]["touchpoints"][0]
    bad = editor.htmx(
        "POST",
        f"/journeys/{journey_id}/opportunities",
        {"title": "", "place": courier["id"], "effort": "9"},
    )
    assert bad.status_code == 422
    assert "Give it a title." in bad.text and 'id="e-effort"' in bad.text
    added = editor.htmx(
        "POST",
        f"/journeys/{journey_id}/opportunities",
        {
            "title": "Padded boxes for fragile items",
            "place": courier["id"],
            "kind": "pain_point",
            "customer_value": "80",
            "business_value": "60",
            "effort": "2",
            "evidence": response_id,
        },
    )
    assert added.status_code == 200, added.text
    column = added.text[
        added.text.index('id="col-open"') : added.text.index('id="col-in_progress"')
    ]
    assert "Padded boxes for fragile items" in column and "Delivery: Courier delivers" in column
    [opportunity] = stack.journey.get(f"/v1/opportunities?journey_id={journey_id}").json()["items"]
    assert opportunity["evidence"] == [{"kind": "response", "id": response_id, "label": ""}]
    moved = editor.htmx(
        "POST",
        f"/opportunities/{opportunity['id']}/status",
        {"journey_id": journey_id, "version": opportunity["version"], "status": "in_progress"},
    )
    column = moved.text[
        moved.text.index('id="col-in_progress"') : moved.text.index('id="col-done"')
    ]
    assert "Padded boxes for fragile items" in column
    evidence = editor.get(f"/responses/{response_id}")
    assert evidence.status_code == 200
    assert "Box crushed" in evidence.text and "What went wrong?" in evidence.text
    assert re.search(
        rf'href="/responses/{response_id}"',
        editor.get(f"/journeys/{journey_id}/opportunities").text,
    )


def test_a_future_state_copy_stays_out_of_ownership_unless_asked_for(
    stack, editor, delivery_journey
):
    copied = stack.journey.post(
        f"/v1/journeys/{delivery_journey['id']}/copy",
        json={"state": "future"},
        headers=stack.journey.writer,
    )
    assert copied.status_code == 201, copied.text
    page = editor.get("/ownership").text
    gaps = page[page.index("gaps-title") : page.index("handoffs-title")]
    assert "Delivery and returns (future state)" not in gaps
    assert gaps.count("Tracking page") == 1
    assert "Delivery and returns (future state) is a draft or a future state" in page
    everything = editor.get("/ownership?drafts=true").text
    gaps = everything[everything.index("gaps-title") : everything.index("handoffs-title")]
    assert gaps.count("Tracking page") == 2 and "Delivery and returns (future state)" in gaps
    assert 'name="drafts" value="true" checked' in everything


def test_touchpoint_pickers_name_the_journey(stack, editor, delivery_journey, delivery_survey):
    stack.journey.post(
        f"/v1/journeys/{delivery_journey['id']}/copy",
        json={"state": "future"},
        headers=stack.journey.writer,
    )
    for path in ("/surveys", f"/surveys/{delivery_survey['id']}"):
        page = editor.get(path).text
        groups = re.findall(r'<optgroup label="([^"]+)">', page)
        assert groups == [
            "Delivery and returns",
            "Delivery and returns (future state) \u2013 draft",
        ]
    courier = delivery_journey["stages"][0]["touchpoints"][0]
    created = editor.post(
        "/surveys", {"title": "At the door", "slug": "door", "touchpoint_id": courier["id"]}
    )
    assert created.status_code == 303, created.text
    listed = editor.get("/surveys").text
    assert "<td>Courier delivers · Delivery and returns</td>" in listed


def test_an_answer_metrics_holds_but_feedback_never_took_is_shown(stack, editor, delivery_journey):
    """Answers imported into metrics (another survey tool's) are evidence too: their page shows
    what metrics holds, not a 404."""
    from ..conftest import answers_for

    courier = delivery_journey["stages"][0]["touchpoints"][0]
    answers_for(stack, courier["id"], [2], comment="Imported: parcel soaked")
    [comment] = stack.metrics.get("/v1/comments").json()["items"]
    page = editor.get(f"/responses/{comment['response_id']}")
    assert page.status_code == 200, page.text
    assert "Imported: parcel soaked" in page.text and "imported into cxloop" in page.text
    assert editor.get("/responses/unknown-answer").status_code == 404
