"""Erasing a respondent leaves no trace in any feedback table."""

import uuid

from sqlalchemy import inspect, text

from cxshared.events.relay import Relay
from cxshared.testing.receiver import Receiver

URL = "/v1/public/surveys/delivery/responses"
WHO, EMAIL = "cust-erase-me", "erase.me@example.com"


def traces(engine, *needles):
    """Every (table, column) whose text holds one of `needles`, in the whole database."""
    found = []
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')).mappings():
                for column, value in row.items():
                    if value is not None and any(n in str(value) for n in needles):
                        found.append((table, column))
    return sorted(set(found))


def test_after_erasure_no_table_holds_the_respondents_id_or_email(api, published):
    app = api.client.app
    receiver = Receiver().start()
    try:
        hook = api.post(
            "/v1/webhooks", {"url": receiver.url, "event_types": ["*"]}, headers=api.admin
        )
        assert hook.status_code == 201
        invited = api.post(
            f"/v1/surveys/{published['id']}/invitations",
            {"respondents": [{"external_id": WHO, "email": EMAIL}]},
        ).json()
        token = invited["created"][0]["token"]
        api.client.post(
            URL,
            json={
                "submission_id": uuid.uuid4().hex,
                "invitation": token,
                "answers": {"nps": 3, "ease": 2, "what_went_wrong": "late"},
            },
        )
        api.client.post(
            URL,
            json={
                "submission_id": uuid.uuid4().hex,
                "respondent": {"external_id": "other-id", "email": EMAIL},
                "answers": {"nps": 8, "ease": 6},
            },
            headers={"Idempotency-Key": "retry-safe-1"},
        )
        kept = api.client.post(
            URL,
            json={
                "submission_id": uuid.uuid4().hex,
                "respondent": {"external_id": "someone-else"},
                "answers": {"nps": 10, "ease": 7},
            },
        ).json()
        engine = app.state.engine
        assert traces(engine, WHO, EMAIL)  # they are there before

        erased = api.post(f"/v1/respondents/{WHO}/erase", headers=api.admin)
        assert erased.status_code == 200, erased.text
        assert (erased.json()["responses"], erased.json()["invitations"]) == (2, 1)
        # Until it is delivered, the announcement names them; then it is forgotten.
        assert traces(engine, WHO, EMAIL) == [("outbox_event", "data"), ("outbox_event", "subject")]
        relay = Relay(engine=engine, outbox=app.state.outbox, settings=app.state.settings)
        while relay.run_once():
            pass
        assert traces(engine, WHO, EMAIL) == []
        with engine.connect() as connection:  # the replayable answer to their retry went too
            assert connection.execute(text("SELECT count(*) FROM idempotency_record")).scalar() == 0
        erasure_events = [r for r in receiver.received if b"respondent.erased" in r.body]
        assert len(erasure_events) == 1 and WHO.encode() in erasure_events[0].body
        assert [r["id"] for r in api.get("/v1/responses").json()["items"]] == [kept["id"]]
    finally:
        receiver.stop()


def test_erasing_an_unknown_respondent_is_harmless(api, published):
    response = api.post("/v1/respondents/nobody/erase", headers=api.admin)
    assert response.status_code == 200
    assert response.json()["responses"] == 0
    assert api.post("/v1/respondents/nobody/erase", headers=api.writer).status_code == 403
