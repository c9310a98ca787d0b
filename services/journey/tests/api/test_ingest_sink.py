"""Delivery to the ingest sink (metrics): a relay cycle's events go in one POST."""

import json

from pydantic import SecretStr
from sqlalchemy import text

from cxshared.db import write_session
from cxshared.events.relay import Relay
from cxshared.testing.api import make_api
from cxshared.testing.receiver import Receiver


def sink_api(settings, app_for, receiver):
    configured = settings.model_copy(
        update={"ingest_url": receiver.url, "ingest_api_key": SecretStr("cxk_sink-key-for-tests")}
    )
    return make_api(app_for(configured), settings.database_url)


def relay_of(api, **overrides):
    app = api.client.app
    settings = app.state.settings.model_copy(update=overrides)
    return Relay(engine=app.state.engine, outbox=app.state.outbox, settings=settings)


def create_teams(api, names):
    return [api.created("/v1/teams", {"name": name})["id"] for name in names]


def sent_events(receiver):
    return [[e["subject"] for e in json.loads(r.body)["events"]] for r in receiver.received]


def test_a_cycle_of_events_goes_to_the_sink_in_one_post(settings, app_for):
    receiver = Receiver(status=200).start()
    try:
        api = sink_api(settings, app_for, receiver)
        teams = create_teams(api, ["A", "B", "C", "D", "E"])
        relay = relay_of(api)
        assert relay.run_once() == 5 and relay.run_once() == 0
        assert sent_events(receiver) == [teams]
        [request] = receiver.received
        assert request.headers["authorization"] == "Bearer cxk_sink-key-for-tests"
    finally:
        receiver.stop()


def test_a_batch_the_sink_refuses_is_sent_one_by_one_so_one_bad_event_holds_up_nothing(
    settings, app_for
):
    bad: list[str] = []
    receiver = Receiver(status_for=lambda body: 422 if bad[0].encode() in body else 200).start()
    try:
        api = sink_api(settings, app_for, receiver)
        teams = create_teams(api, ["A", "B", "C"])
        bad.append(teams[1])
        relay_of(api, relay_max_attempts=1).run_once()
        assert sent_events(receiver) == [teams, [teams[0]], [teams[1]], [teams[2]]]
        states = {
            d["event_id"]: d["state"]
            for d in api.get("/v1/outbox/deliveries", headers=api.admin).json()["items"]
        }
        assert sorted(states.values()) == ["dead", "delivered", "delivered"]
    finally:
        receiver.stop()


def test_a_sink_that_is_down_fails_the_batch_together_without_sending_each(settings, app_for):
    receiver = Receiver(status=503).start()
    try:
        api = sink_api(settings, app_for, receiver)
        create_teams(api, ["A", "B", "C"])
        relay_of(api).run_once()
        assert len(receiver.received) == 1
        items = api.get("/v1/outbox/deliveries", headers=api.admin).json()["items"]
        assert {(d["state"], d["attempts"], d["last_status_code"]) for d in items} == {
            ("pending", 1, 503)
        }
    finally:
        receiver.stop()


def test_a_batch_goes_in_the_order_the_events_happened_however_the_rows_lie(settings, app_for):
    """An update writes a row anew elsewhere (PostgreSQL appends its new version to the heap):
    the first event's rows then lie last, and the batch must still start with it."""
    receiver = Receiver(status=200).start()
    try:
        api = sink_api(settings, app_for, receiver)
        teams = create_teams(api, ["A", "B", "C"])
        with write_session(api.client.app.state.engine) as session:
            session.execute(
                text("UPDATE outbox_event SET data = data WHERE subject = :s"), {"s": teams[0]}
            )
            session.execute(
                text(
                    "UPDATE outbox_delivery SET attempts = attempts WHERE event_id IN "
                    "(SELECT id FROM outbox_event WHERE subject = :s)"
                ),
                {"s": teams[0]},
            )
        assert relay_of(api).run_once() == 3
        assert sent_events(receiver) == [teams]
    finally:
        receiver.stop()
