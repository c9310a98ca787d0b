"""A webhook endpoint down for over an hour, on a controlled clock: every retry comes on the
backoff schedule, the delivery goes dead after its last attempt, a replay delivers it once, and
a healthy endpoint beside it gets every event at once throughout."""

from datetime import datetime, timedelta
from itertools import pairwise

import pytest

from cxshared.events import relay as relay_module
from cxshared.testing.receiver import Receiver
from cxshared.timeutil import as_utc, utcnow


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


def subscribe(api, url, types):
    response = api.post("/v1/webhooks", {"url": url, "event_types": types}, headers=api.admin)
    assert response.status_code == 201, response.text
    return response.json()


def deliveries(api, subscription):
    return api.get(f"/v1/webhooks/{subscription['id']}/deliveries", headers=api.admin).json()[
        "items"
    ]


def test_an_endpoint_down_for_an_hour_keeps_the_schedule_goes_dead_and_replays_once(
    private_api, relay_for, receiver, monkeypatch: pytest.MonkeyPatch
):
    clock = Clock()
    monkeypatch.setattr(relay_module, "utcnow", clock)
    failing = Receiver(status=503).start()
    try:
        down = subscribe(private_api, failing.url, ["persona.*"])
        healthy = subscribe(private_api, receiver.url, ["*"])
        # The shipped schedule: 2 s doubling to a cap of an hour, 12 attempts.
        relay = relay_for(
            relay_max_attempts=12, relay_backoff_base_seconds=2.0, relay_backoff_max_seconds=3600.0
        )
        private_api.created("/v1/personas", {"name": "Busy parent"})
        started = clock.now
        attempts: list[datetime] = []
        while len(attempts) < 12:
            before = len(failing.received)
            relay.run_once()
            if len(failing.received) > before:
                attempts.append(clock.now)
                # Meanwhile, the healthy endpoint gets each new event on the relay's next turn.
                private_api.created("/v1/teams", {"name": f"Care {len(attempts)}"})
                clock.now = max(clock.now, utcnow())  # a new delivery is due at the real now
                relay.run_once()
                assert len(receiver.received) == len(attempts) + 1
            [delivery] = deliveries(private_api, down)
            if delivery["state"] == "dead":
                break
            clock.now = as_utc(datetime.fromisoformat(delivery["next_attempt_at"]))
            clock.now += timedelta(milliseconds=1)

        [delivery] = deliveries(private_api, down)
        assert (delivery["state"], delivery["attempts"], len(attempts)) == ("dead", 12, 12)
        for n, (earlier, later) in enumerate(pairwise(attempts), 1):
            step = min(3600.0, 2.0 * 2 ** (n - 1))
            waited = (later - earlier).total_seconds()
            assert step / 2 <= waited <= step + 0.01, (n, waited, step)
        assert attempts[-1] - started > timedelta(minutes=30)  # an outage of a long while
        assert len({r.headers["webhook-id"] for r in failing.received}) == 1

        failing.status = 200
        replayed = private_api.post(
            f"/v1/webhooks/{down['id']}/deliveries/{delivery['id']}/replay",
            headers=private_api.admin,
        )
        assert replayed.status_code == 200
        relay.run_once()
        relay.run_once()
        [delivery] = deliveries(private_api, down)
        assert (delivery["state"], delivery["last_status_code"]) == ("delivered", 200)
        assert len(failing.received) == 13  # twelve failures and the one replay
        # Throughout: the healthy endpoint got every event once, and nothing is left pending.
        ids = [r.headers["webhook-id"] for r in receiver.received]
        assert len(ids) == len(set(ids)) == 13
        assert {d["state"] for d in deliveries(private_api, healthy)} == {"delivered"}
    finally:
        failing.stop()
