"""A journey's Designed vs observed page: metrics' differences report and top paths for the
journey's customers' activity events, as staff read it."""

from datetime import UTC, datetime, timedelta
from typing import Any

from cxshared.auth import Scope
from cxshared.testing.api import bearer, make_key

from ..conftest import relay_to_metrics


def mapped_journey(stack) -> dict[str, Any]:
    document = {
        "name": "Order to door",
        "stages": [
            {
                "name": "Delivery",
                "touchpoints": [
                    {
                        "name": "Courier delivers",
                        "channel": "field",
                        "interaction": "human",
                        "activities": ["parcel_delivered"],
                    },
                    {
                        "name": "Tracking page",
                        "channel": "web",
                        "interaction": "digital",
                        "activities": ["tracking_*"],
                    },
                ],
            },
            {
                "name": "Afterwards",
                "touchpoints": [
                    {
                        "name": "Return label",
                        "channel": "email",
                        "interaction": "digital",
                        "activities": ["return_label_sent"],
                    },
                    {"name": "Thank-you call", "channel": "phone", "interaction": "human"},
                ],
            },
        ],
    }
    return stack.journey.created("/v1/journeys/documents", document)


def send_activities(stack, customers: int) -> None:
    key = bearer(make_key(stack.metrics.database_url, "events", Scope.INGEST))
    start = datetime.now(UTC) - timedelta(days=5)
    events = []
    for c in range(customers):
        steps = ["parcel_delivered", "support_call"]
        if c % 2:
            steps.append("return_label_sent")  # from the courier straight to a return
        for i, name in enumerate(steps):
            events.append(
                {
                    "event_id": f"ev-{c}-{i}",
                    "customer_id": f"cust-{c}",
                    "activity": name,
                    "occurred_at": (start + timedelta(hours=c, minutes=10 * i)).isoformat(),
                }
            )
    response = stack.metrics.client.post("/v1/activities", json={"activities": events}, headers=key)
    assert response.status_code == 200, response.text


def test_staff_read_where_customers_differ_from_the_map(stack, viewer):
    journey = mapped_journey(stack)
    relay_to_metrics(stack)
    send_activities(stack, customers=12)
    report = stack.metrics.get(f"/v1/observed/{journey['id']}/differences").json()
    page = viewer.get(f"/journeys/{journey['id']}/observed?days=30")
    assert page.status_code == 200
    text = page.text
    assert "<strong>12</strong> cases started in the period" in text
    assert report["unreached_touchpoints"], report
    for touchpoint in report["unreached_touchpoints"]:
        assert f">{touchpoint['name']}</a>" in text
    assert 'Thank-you call</a> <span class="hint">— no activity is mapped to it' in text
    assert [a["activity"] for a in report["unmapped_activities"]] == ["support_call"]
    assert "<code>support_call</code>" in text and "Courier delivers → <em>here</em>" in text
    for move in report["unexpected_transitions"]:
        assert f"<td>{move['from_name']}</td><td>{move['to_name']}</td>" in text
    assert "The most common paths" in text and "Courier delivers → Return label" in text


def test_without_activity_the_page_says_how_it_fills_and_metrics_down_is_said(stack, viewer):
    journey = mapped_journey(stack)
    page = viewer.get(f"/journeys/{journey['id']}/observed")
    assert page.status_code == 200
    assert "No customer activity for this journey in the period" in page.text
    stack.stop("metrics")
    down = viewer.get(f"/journeys/{journey['id']}/observed")
    assert down.status_code == 200
    assert "metrics" in down.text.lower() and "Designed vs observed" in down.text
    stack.start("metrics")


def _touchpoint(stack, journey_id: str, name: str) -> dict[str, Any]:
    found = stack.journey.get(f"/v1/touchpoints?journey_id={journey_id}").json()["items"]
    return next(t for t in found if t["name"] == name)


def test_a_standard_measured_by_an_indicator_is_edited_previewed_and_shown(stack, editor):
    journey = mapped_journey(stack)
    relay_to_metrics(stack)
    key = bearer(make_key(stack.metrics.database_url, "events", Scope.INGEST))
    start = datetime.now(UTC) - timedelta(days=3)
    deliveries = [
        {"event_id": f"d-{c}", "customer_id": f"cust-{c}", "activity": "parcel_delivered",
         "occurred_at": (start + timedelta(hours=c)).isoformat(),
         "attributes": {"late_days": 1 if c % 4 == 0 else 0}}
        for c in range(40)
    ]  # fmt: skip
    sent = stack.metrics.client.post("/v1/activities", json={"activities": deliveries}, headers=key)
    assert sent.status_code == 200, sent.text
    courier = _touchpoint(stack, journey["id"], "Courier delivers")
    url = f"/touchpoints/{courier['id']}"
    form = {
        "version": courier["version"], "name": "Courier delivers", "channel": "field",
        "interaction": "human", "standard": "On the promised day",
        "ind_kind": "attribute", "at_activity": "parcel_delivered", "at_attribute": "late_days",
        "at_operator": "eq", "at_value": "0", "ind_objective": "95",
    }  # fmt: skip
    # Before saving: the last 30 days, judged from the events (30 of 40 on time).
    preview = editor.htmx("POST", f"{url}/indicator-preview", form)
    assert preview.status_code == 200, preview.text
    assert "75% of 40 occasions met" in preview.text and "it would be breached" in preview.text
    unmapped = editor.htmx("POST", f"{url}/indicator-preview", {**form, "ind_objective": "x"})
    assert "a percentage" in unmapped.text
    # A name the journey maps nowhere is refused beside the indicator; nothing is saved.
    refused = editor.htmx("POST", url, {**form, "at_activity": "parcel_lost"})
    assert refused.status_code == 422
    assert "parcel_lost matches no activity" in refused.text
    assert _touchpoint(stack, journey["id"], "Courier delivers")["indicator"] is None
    saved = editor.htmx("POST", url, form)
    assert saved.status_code == 200, saved.text
    stored = _touchpoint(stack, journey["id"], "Courier delivers")["indicator"]
    assert stored == {"kind": "attribute", "activity": "parcel_delivered",
                      "attribute": "late_days", "operator": "eq", "value": 0.0,
                      "objective": 0.95, "declared_activities": []}  # fmt: skip
    # The editor opens with the saved indicator in its fields.
    again = editor.htmx("GET", f"{url}/edit").text
    assert 'value="late_days"' in again and 'value="95"' in again
    # Once metrics has the indicator (a relayed event, a rebuild), the card and the page show
    # the standard as delivered.
    relay_to_metrics(stack)
    admin = bearer(make_key(stack.metrics.database_url, "admin", Scope.ADMIN))
    assert stack.metrics.client.post("/v1/observed/rebuild", headers=admin).status_code == 200
    card = editor.htmx("GET", f"{url}/card").text
    assert "75% met of 40 (objective 95%) · breached" in card
    page = editor.get(f"/journeys/{journey['id']}/observed?days=30").text
    assert "Experience standards, as delivered (1 breached)" in page
    assert "parcel_delivered with late_days = 0, in 95% of cases" in page
    assert "spent: 10 misses, 2 allowed" in page
    # What missing it costs: 30 customers met it, 10 missed it (no answers yet: no figures).
    assert "What missing them costs" in page
    assert '<tr class="standard-cost"><th scope="row">Courier delivers</th><td>30 · 10</td>' in page


def test_the_map_shows_what_customers_did_as_its_observed_layer(stack, viewer):
    journey = mapped_journey(stack)
    relay_to_metrics(stack)
    send_activities(stack, customers=12)
    scores = viewer.get(f"/journeys/{journey['id']}").text
    assert "observed-layer" not in scores  # the scores layer, as before
    page = viewer.get(f"/journeys/{journey['id']}?layer=observed&days=30")
    assert page.status_code == 200
    text = page.text
    assert "<strong>12</strong> cases started in the period" in text
    # Every case reached the courier; half went on to a return label.
    assert "Reached in <strong>100%</strong> of cases" in text
    assert "Reached in <strong>50%</strong> of cases" in text
    # support_call is on no touchpoint: a ghost card after the courier, where it happens.
    assert '<article class="card ghost" aria-label="Not on the map: support_call">' in text
    assert "most often after Courier delivers" in text
    assert "No activity is mapped to it" in text  # the thank-you call
    assert "Reached by no one in the period" in text  # tracking: mapped, never seen
    stack.stop("metrics")
    down = viewer.get(f"/journeys/{journey['id']}?layer=observed")
    assert down.status_code == 200
    assert "No observed journey to show" in down.text
    stack.start("metrics")


def test_the_observed_page_narrows_to_a_segment(stack, viewer):
    journey = mapped_journey(stack)
    relay_to_metrics(stack)
    send_activities(stack, customers=12)
    key = bearer(make_key(stack.metrics.database_url, "customers", Scope.WRITE))
    customers = [{"external_id": f"cust-{c}", "segment": "smb"} for c in range(0, 12, 3)]
    saved = stack.metrics.client.post("/v1/customers", json={"customers": customers}, headers=key)
    assert saved.status_code == 200, saved.text
    everyone = viewer.get(f"/journeys/{journey['id']}/observed?days=30").text
    assert '<option value="smb">smb</option>' in everyone
    assert "<strong>12</strong> cases started in the period." in everyone
    smb = viewer.get(f"/journeys/{journey['id']}/observed?days=30&segment=smb").text
    assert '<option value="smb" selected>smb</option>' in smb
    assert "<strong>4</strong> cases started in the period among customers of the segment" in smb
    nobody = viewer.get(f"/journeys/{journey['id']}/observed?days=30&segment=none-such").text
    assert "No customer activity for this journey in the period among the customers" in nobody
