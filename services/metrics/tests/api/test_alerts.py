from sqlmodel import Session, select

from cxshared.db import make_engine
from cxshared.events.models import OutboxEvent


def evaluate(api):
    response = api.post("/v1/alerts/evaluate", headers=api.admin)
    assert response.status_code == 200, response.text
    return response.json()


def outbox_types(database_url):
    engine = make_engine(database_url, pool_size=1)
    try:
        with Session(engine) as session:
            return [
                e.type
                for e in session.exec(select(OutboxEvent).order_by(OutboxEvent.occurred_at)).all()
            ]
    finally:
        engine.dispose()


def breach(ev, n=40, prefix="r"):
    return [ev.response(f"{prefix}{i}", nps=0 if i % 4 else 10) for i in range(n)]  # NPS -50


def test_a_breached_target_opens_an_alert_with_its_evidence_and_owner(api, send, ev):
    send(ev.touchpoint())
    send(*breach(ev))
    assert evaluate(api)["opened"] == 1
    [alert] = api.get("/v1/alerts", params={"status": "open"}).json()["items"]
    assert (alert["rule"], alert["metric"], alert["touchpoint_id"]) == (
        "target_breach",
        "nps",
        "tp-courier",
    )
    assert alert["owner_name"] == "Priya Shah"
    assert alert["touchpoint_name"] == "Courier delivers"
    assert alert["evidence"]["n"] == 40
    assert alert["evidence"]["high"] < 40
    assert alert["evidence"]["target"] == {"value": 40.0, "direction": "at_least"}
    assert len(alert["response_ids"]) == 30 and all(
        r.startswith("r") for r in alert["response_ids"]
    )
    assert outbox_types(api.database_url) == ["alert.opened"]
    # Evaluating again keeps the one alert.
    assert evaluate(api) == {"opened": 0, "resolved": 0, "kept": 1}


def test_too_few_answers_never_open_an_alert(api, send, ev):
    send(ev.touchpoint())
    send(*breach(ev, n=12))
    assert evaluate(api)["opened"] == 0


def test_an_alert_resolves_itself_when_the_signal_clears(api, send, ev):
    send(ev.touchpoint())
    send(*breach(ev))
    evaluate(api)
    send(*[ev.response(f"good{i}", nps=10) for i in range(200)])
    assert evaluate(api)["resolved"] == 1
    [alert] = api.get("/v1/alerts").json()["items"]
    assert alert["status"] == "resolved" and alert["resolved_at"] is not None
    assert outbox_types(api.database_url) == ["alert.opened", "alert.resolved"]


def test_an_open_alert_can_be_acknowledged_once(api, send, ev):
    send(ev.touchpoint())
    send(*breach(ev))
    evaluate(api)
    [alert] = api.get("/v1/alerts").json()["items"]
    stale = api.patch(
        f"/v1/alerts/{alert['id']}",
        {"status": "acknowledged"},
        headers={**api.writer, "If-Match": '"7"'},
    )
    assert stale.status_code == 412
    weak = api.patch(
        f"/v1/alerts/{alert['id']}",
        {"status": "acknowledged"},
        headers={**api.writer, "If-Match": 'W/"1"'},
    )
    assert weak.status_code == 412  # If-Match compares strongly
    done = api.patch(
        f"/v1/alerts/{alert['id']}", {"status": "acknowledged", "note": "Courier briefed"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "acknowledged"
    assert done.json()["acknowledged_by"] == "api-key:editor-bot"
    assert done.headers["etag"] == '"2"'
    again = api.patch(f"/v1/alerts/{alert['id']}", {"status": "acknowledged"})
    assert again.status_code == 409
    assert (
        api.patch(
            f"/v1/alerts/{alert['id']}", {"status": "acknowledged"}, headers=api.reader
        ).status_code
        == 403
    )


def test_deleting_the_touchpoint_resolves_its_alerts(api, send, ev):
    send(ev.touchpoint())
    send(*breach(ev))
    evaluate(api)
    send(ev.touchpoint(version=2, deleted=True))
    assert evaluate(api)["resolved"] == 1


def test_erased_responses_leave_the_alert_evidence(api, send, ev):
    send(ev.touchpoint())
    send(*[ev.response(f"r{i}", nps=0 if i % 4 else 10, respondent=f"c{i}") for i in range(40)])
    evaluate(api)
    send(ev.event("respondent.erased", {"respondent_external_id": "c1", "response_ids": ["r1"]}))
    [alert] = api.get("/v1/alerts").json()["items"]
    assert "r1" not in alert["response_ids"]


def test_metrics_shows_the_open_alerts(api, send, ev):
    send(ev.touchpoint())
    send(*breach(ev))
    evaluate(api)
    lines = api.client.get("/metrics").text.splitlines()
    assert 'cx_alerts_open{rule="target_breach",status="open"} 1.0' in lines
