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
