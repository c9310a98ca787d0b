"""Journey's relay delivers touchpoint and team events, and only those, to feedback too."""

import json

from pydantic import SecretStr

from cxshared.events.relay import Relay
from cxshared.testing.api import make_api
from cxshared.testing.receiver import Receiver


def test_touchpoint_and_team_events_reach_feedback_and_nothing_else_does(settings, app_for):
    metrics, feedback = Receiver(status=200).start(), Receiver(status=200).start()
    try:
        configured = settings.model_copy(
            update={
                "ingest_url": metrics.url,
                "feedback_ingest_url": feedback.url,
                "feedback_ingest_api_key": SecretStr("cxk_feedback-key-for-tests"),
            }
        )
        api = make_api(app_for(configured), settings.database_url)
        team = api.created("/v1/teams", {"name": "Logistics", "lead_email": "lead@example.com"})
        api.created("/v1/personas", {"name": "Busy parent"})
        app = api.client.app
        relay = Relay(engine=app.state.engine, outbox=app.state.outbox, settings=configured)
        while relay.run_once():
            pass
        to_feedback = [e for r in feedback.received for e in json.loads(r.body)["events"]]
        to_metrics = [e for r in metrics.received for e in json.loads(r.body)["events"]]
        assert [(e["type"], e["subject"]) for e in to_feedback] == [("team.created", team["id"])]
        assert {e["type"] for e in to_metrics} == {"team.created", "persona.created"}
        assert feedback.received[0].headers["authorization"] == "Bearer cxk_feedback-key-for-tests"
    finally:
        metrics.stop()
        feedback.stop()
