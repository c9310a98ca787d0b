"""A relay killed between sending and marking delivered loses nothing; receivers dedupe."""

import json
import threading
import time

import httpx

from cxshared.testing.processes import eventually
from cxshared.testing.receiver import Receiver


def test_relay_killed_after_send_redelivers_with_the_same_webhook_id(api, live_journey):
    hold = threading.Event()
    receiver = Receiver(hold=hold).start()
    env = {
        "JOURNEY_RELAY_IN_PROCESS": "false",
        "JOURNEY_WEBHOOK_ALLOW_PRIVATE_URLS": "true",
        "JOURNEY_RELAY_LEASE_SECONDS": "2",
        "JOURNEY_RELAY_POLL_SECONDS": "0.1",
    }
    try:
        server = live_journey("serve", env=env)
        admin = api.admin
        subscription = httpx.post(
            f"{server.base_url}/v1/webhooks",
            json={"url": receiver.url, "event_types": ["team.*"]},
            headers=admin,
        ).json()
        created = httpx.post(
            f"{server.base_url}/v1/teams", json={"name": "Care"}, headers=api.writer
        )
        assert created.status_code == 201

        doomed = live_journey("relay", env=env)
        assert receiver.arrived.wait(20), "the first relay never sent"
        doomed.kill()  # it has sent; it never hears back, never marks the delivery
        hold.set()

        deliveries_url = f"{server.base_url}/v1/webhooks/{subscription['id']}/deliveries"
        delivery = httpx.get(deliveries_url, headers=admin).json()["items"][0]
        assert (delivery["state"], delivery["attempts"]) == ("pending", 0)

        live_journey("relay", env=env)
        delivered = eventually(
            lambda: [
                d
                for d in httpx.get(deliveries_url, headers=admin).json()["items"]
                if d["state"] == "delivered"
            ],
            30,
            "the restarted relay delivered",
        )
        assert delivered[0]["id"] == delivery["id"]
        assert len(receiver.received) == 2
        ids = [r.headers["webhook-id"] for r in receiver.received]
        assert ids[0] == ids[1]
        # What a receiver does: keep the first of each webhook-id.
        unique = {r.headers["webhook-id"]: json.loads(r.body) for r in receiver.received}
        assert [e["type"] for e in unique.values()] == ["team.created"]
    finally:
        receiver.stop()


def test_in_process_relay_delivers_soon_after_commit(api, live_journey):
    receiver = Receiver().start()
    try:
        server = live_journey(
            "serve",
            env={"JOURNEY_WEBHOOK_ALLOW_PRIVATE_URLS": "true", "JOURNEY_RELAY_POLL_SECONDS": "30"},
        )
        httpx.post(
            f"{server.base_url}/v1/webhooks",
            json={"url": receiver.url, "event_types": ["*"]},
            headers=api.admin,
        )
        started = time.monotonic()
        httpx.post(f"{server.base_url}/v1/teams", json={"name": "Care"}, headers=api.writer)
        assert receiver.arrived.wait(10)
        # The commit wakes the relay: far sooner than its 30 s poll.
        assert time.monotonic() - started < 5
    finally:
        receiver.stop()
