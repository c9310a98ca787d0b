"""Webhook subscriptions, Standard Webhooks signatures, the SSRF guard, and the relay."""

import json
import socket

import pytest
from standardwebhooks.webhooks import Webhook

from cxshared.testing.receiver import Receiver


def subscribe(api, url, types=("*",)):
    response = api.post("/v1/webhooks", {"url": url, "event_types": list(types)}, headers=api.admin)
    assert response.status_code == 201, response.text
    return response.json()


def add_touchpoint(api, name="Returns label"):
    journey = api.created("/v1/journeys", {"name": "Returns"})
    stage = api.created(f"/v1/journeys/{journey['id']}/stages", {"name": "Start a return"})
    return api.created(
        f"/v1/stages/{stage['id']}/touchpoints",
        {
            "name": name,
            "channel": "web",
            "interaction": "digital",
            "targets": [{"metric": "ces", "value": 5.5}],
        },
    )


def verified_events(receiver, secret):
    """Every received body, verified with an independent Standard Webhooks implementation."""
    return [Webhook(secret).verify(r.body, r.headers) for r in receiver.received]


def drain(relay, rounds=5):
    for _ in range(rounds):
        relay.run_once()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/hook",
        "http://[::1]:9000/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost:9000/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://0.0.0.0/hook",
        "http://2130706433/hook",
        "ftp://hooks.example.com/",
        "https://user:pw@hooks.example.com/",
        # Other spellings of loopback and of the cloud metadata address, private and special
        # ranges, other schemes, and an address hidden behind credentials.
        "http://0x7f.0.0.1/hook",
        "http://017700000001/hook",
        "http://127.1/hook",
        "http://[0:0:0:0:0:ffff:7f00:1]/hook",
        "http://[::ffff:a9fe:a9fe]/latest/meta-data",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[fe80::1]/hook",
        "http://[fd00::1]/hook",
        "http://100.64.0.1/hook",
        "http://[::]/hook",
        "http://224.0.0.1/hook",
        "http://255.255.255.255/hook",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_FLUSHALL",
        "http://hooks.example.com@127.0.0.1/hook",
        "http://127.0.0.1:8000\\@hooks.example.com/",
    ],
)
def test_unsafe_urls_are_refused_at_save(api, url):
    response = api.post("/v1/webhooks", {"url": url, "event_types": ["*"]}, headers=api.admin)
    assert response.status_code == 422, url
    assert response.json()["errors"][0]["field"] == "url"
    assert api.get("/v1/webhooks", headers=api.admin).json()["items"] == []


def test_unknown_event_types_are_refused(private_api):
    api = private_api
    response = api.post(
        "/v1/webhooks",
        {"url": "https://hooks.example.com/", "event_types": ["touchpoint.exploded"]},
        headers=api.admin,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "event_types[0]"


def test_signed_event_verifies_with_an_independent_library(private_api, relay_for, receiver):
    subscription = subscribe(private_api, receiver.url, ["touchpoint.*"])
    secret = subscription["secret"]
    assert secret.startswith("whsec_")
    assert (
        "secret"
        not in private_api.get(
            f"/v1/webhooks/{subscription['id']}", headers=private_api.admin
        ).json()
    )
    touchpoint = add_touchpoint(private_api)
    drain(relay_for())
    events = verified_events(receiver, secret)
    assert [e["type"] for e in events] == ["touchpoint.created"]
    event = events[0]
    assert receiver.received[0].headers["webhook-id"] == event["id"]
    assert event["subject"] == touchpoint["id"]
    assert event["source"] == "journey"
    data = event["data"]
    assert data["journey"]["name"] == "Returns"
    assert data["stage"]["name"] == "Start a return"
    assert data["targets"][0]["metric"] == "ces"
    assert data["version"] == 1
    # A body changed in transit fails verification.
    tampered = receiver.received[0].body.replace(b"Returns", b"Refunds")
    with pytest.raises(Exception):
        Webhook(secret).verify(tampered, receiver.received[0].headers)


def test_events_carry_versions_and_deletions_come_last(private_api, relay_for, receiver):
    subscribe(private_api, receiver.url, ["touchpoint.*"])
    touchpoint = add_touchpoint(private_api)
    private_api.patch(f"/v1/touchpoints/{touchpoint['id']}", {"owner_name": "Ida"})
    private_api.delete(f"/v1/touchpoints/{touchpoint['id']}")
    drain(relay_for())
    events = sorted((json.loads(r.body) for r in receiver.received), key=lambda e: e["id"])
    assert [(e["type"], e["data"]["version"]) for e in events] == [
        ("touchpoint.created", 1),
        ("touchpoint.updated", 2),
        ("touchpoint.deleted", 3),
    ]
    assert events[1]["data"]["owner_name"] == "Ida"


def test_secret_rotation_signs_with_both_secrets_for_a_while(private_api, relay_for, receiver):
    subscription = subscribe(private_api, receiver.url)
    old = subscription["secret"]
    rotated = private_api.post(
        f"/v1/webhooks/{subscription['id']}/rotate-secret", headers=private_api.admin
    ).json()
    new = rotated["secret"]
    assert new != old
    private_api.created("/v1/teams", {"name": "Care"})
    drain(relay_for())
    assert len(receiver.received) == 1
    assert verified_events(receiver, new)[0]["type"] == "team.created"
    assert verified_events(receiver, old)[0]["type"] == "team.created"
    assert len(receiver.received[0].headers["webhook-signature"].split(" ")) == 2


def test_unsafe_url_is_refused_again_at_send(private_api, relay_for, receiver):
    """Saved while private URLs were allowed; the relay runs with the guard on."""
    subscription = subscribe(private_api, receiver.url)
    private_api.created("/v1/teams", {"name": "Care"})
    relay_for(webhook_allow_private_urls=False).run_once()
    assert receiver.received == []
    delivery = private_api.get(
        f"/v1/webhooks/{subscription['id']}/deliveries", headers=private_api.admin
    ).json()["items"][0]
    assert delivery["state"] == "pending"
    assert delivery["attempts"] == 1
    assert "non-public address" in delivery["last_error"]


def test_a_name_that_resolves_to_loopback_is_refused_at_send(private_api, relay_for, receiver):
    subscription = subscribe(private_api, receiver.url.replace("127.0.0.1", "localhost"))
    private_api.created("/v1/teams", {"name": "Care"})
    relay_for(webhook_allow_private_urls=False).run_once()
    assert receiver.received == []
    delivery = private_api.get(
        f"/v1/webhooks/{subscription['id']}/deliveries", headers=private_api.admin
    ).json()["items"][0]
    assert "refused" in delivery["last_error"]


def test_redirects_are_not_followed(private_api, relay_for):
    target = Receiver().start()
    redirecting = Receiver(status=307, location=target.url).start()
    try:
        subscription = subscribe(private_api, redirecting.url)
        private_api.created("/v1/teams", {"name": "Care"})
        relay_for().run_once()
        assert len(redirecting.received) == 1
        assert target.received == []
        delivery = private_api.get(
            f"/v1/webhooks/{subscription['id']}/deliveries", headers=private_api.admin
        ).json()["items"][0]
        assert (delivery["state"], delivery["last_status_code"]) == ("pending", 307)
    finally:
        target.stop()
        redirecting.stop()


def test_only_2xx_succeeds_then_dead_then_replay_keeps_the_event_id(private_api, relay_for):
    failing = Receiver(status=500).start()
    try:
        subscription = subscribe(private_api, failing.url)
        private_api.created("/v1/teams", {"name": "Care"})
        relay = relay_for()
        import time

        for _ in range(40):
            relay.run_once()
            time.sleep(0.02)
        deliveries = private_api.get(
            f"/v1/webhooks/{subscription['id']}/deliveries", headers=private_api.admin
        ).json()["items"]
        assert [(d["state"], d["attempts"]) for d in deliveries] == [("dead", 3)]
        assert len(failing.received) == 3
        dead = private_api.get(
            "/v1/outbox/deliveries", params={"state": "dead"}, headers=private_api.admin
        ).json()["items"]
        assert [d["id"] for d in dead] == [deliveries[0]["id"]]
        failing.status = 200
        replayed = private_api.post(
            f"/v1/webhooks/{subscription['id']}/deliveries/{deliveries[0]['id']}/replay",
            headers=private_api.admin,
        )
        assert replayed.status_code == 200
        assert replayed.json()["state"] == "pending"
        relay.run_once()
        delivered = private_api.get(
            f"/v1/outbox/deliveries/{deliveries[0]['id']}/replay", headers=private_api.admin
        )
        assert delivered.status_code == 405
        final = private_api.get(
            f"/v1/webhooks/{subscription['id']}/deliveries", headers=private_api.admin
        ).json()["items"][0]
        assert (final["state"], final["last_status_code"]) == ("delivered", 200)
        assert len({r.headers["webhook-id"] for r in failing.received}) == 1
    finally:
        failing.stop()


def test_a_dead_endpoint_does_not_hold_up_a_healthy_one(private_api, relay_for, receiver):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{closed.getsockname()[1]}/hook"
    subscribe(private_api, dead_url)
    healthy = subscribe(private_api, receiver.url)
    private_api.created("/v1/teams", {"name": "Care"})
    relay_for().run_once()
    assert len(receiver.received) == 1
    state = private_api.get(
        f"/v1/webhooks/{healthy['id']}/deliveries", headers=private_api.admin
    ).json()["items"][0]["state"]
    assert state == "delivered"


def test_disabled_subscriptions_get_no_new_deliveries(private_api, relay_for, receiver):
    subscription = subscribe(private_api, receiver.url)
    response = private_api.patch(
        f"/v1/webhooks/{subscription['id']}",
        {"enabled": False},
        headers={**private_api.admin, "If-Match": '"1"'},
    )
    assert response.status_code == 200
    private_api.created("/v1/teams", {"name": "Care"})
    relay_for().run_once()
    assert receiver.received == []


def test_events_go_to_the_ingest_sink_with_its_key(private_api, relay_for, receiver):
    from pydantic import SecretStr

    from cxshared.events.outbox import Sink

    outbox = private_api.client.app.state.outbox
    outbox.sinks.append(Sink(name="ingest", url=receiver.url, api_key=SecretStr("cxk_ingest")))
    private_api.created("/v1/teams", {"name": "Care"})
    relay_for().run_once()
    assert len(receiver.received) == 1
    request = receiver.received[0]
    assert request.headers["authorization"] == "Bearer cxk_ingest"
    batch = json.loads(request.body)
    assert [e["type"] for e in batch["events"]] == ["team.created"]
    assert request.headers["webhook-id"] == batch["events"][0]["id"]


def test_a_refused_write_publishes_nothing(private_api, relay_for, receiver):
    subscribe(private_api, receiver.url)
    team = private_api.created("/v1/teams", {"name": "Care"})
    stale = private_api.patch(
        f"/v1/teams/{team['id']}",
        {"name": "Care+"},
        headers={**private_api.writer, "If-Match": '"7"'},
    )
    assert stale.status_code == 412
    drain(relay_for())
    assert [json.loads(r.body)["type"] for r in receiver.received] == ["team.created"]
