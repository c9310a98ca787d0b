"""Incidents through the API: one per touchpoint groups its signals, one event per change,
staff acknowledge and resolve, a signal soon after closing reopens the same incident, and the
alerts recorded before incidents stay readable."""

from datetime import date, timedelta

from sqlmodel import Session, select

from cxshared.db import make_engine
from cxshared.events.models import OutboxEvent
from cxshared.events.outbox import Outbox
from cxshared.timeutil import utcnow
from metrics.alerts.models import Alert
from metrics.alerts.service import evaluate_touchpoints


def evaluate(api):
    response = api.post("/v1/incidents/evaluate", headers=api.admin)
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


def breach(ev, n=40, prefix="r", **answer):
    """NPS -50 over `n` answers (3 detractors to 1 promoter)."""
    return [ev.response(f"{prefix}{i}", nps=0 if i % 4 else 10, **answer) for i in range(n)]


TARGETS = [
    {"metric": "nps", "value": 40, "direction": "at_least", "min_responses": 30},
    {"metric": "csat", "value": 80, "direction": "at_least", "min_responses": 30},
]


def test_a_breached_target_opens_one_incident_with_its_evidence_and_owner(api, send, ev):
    send(ev.touchpoint())
    send(*breach(ev))
    assert evaluate(api)["opened"] == 1
    [incident] = api.get("/v1/incidents", params={"status": "open"}).json()["items"]
    assert incident["touchpoint_id"] == "tp-courier"
    assert incident["owner_name"] == "Priya Shah"
    assert incident["touchpoint_name"] == "Courier delivers"
    [signal] = [s for s in incident["signals"] if s["active"]]
    assert (signal["metric"], signal["rule"]) == ("nps", "target_breach")
    assert signal["evidence"]["n"] == 40 and signal["evidence"]["high"] < 40
    assert signal["evidence"]["target"] == {"value": 40.0, "direction": "at_least"}
    assert len(incident["response_ids"]) == 30
    assert outbox_types(api.database_url) == ["incident.opened"]
    # Evaluating again keeps the one incident and sends nothing more.
    assert evaluate(api) == {"opened": 0, "reopened": 0, "escalated": 0, "resolved": 0, "kept": 1}
    assert outbox_types(api.database_url) == ["incident.opened"]


def test_every_signal_on_a_touchpoint_joins_its_one_incident(api, send, ev):
    send(ev.touchpoint(targets=TARGETS))
    send(*breach(ev))
    evaluate(api)
    # CSAT falls below its target too: the same incident escalates, no second one opens.
    send(*[ev.response(f"c{i}", csat=1 if i % 4 else 5) for i in range(40)])
    assert evaluate(api)["escalated"] == 1
    [incident] = api.get("/v1/incidents").json()["items"]
    active = sorted((s["metric"], s["rule"]) for s in incident["signals"] if s["active"])
    assert active == [("csat", "target_breach"), ("nps", "target_breach")]
    assert incident["escalated_at"] is not None
    assert outbox_types(api.database_url) == ["incident.opened", "incident.escalated"]
    assert evaluate(api)["escalated"] == 0  # once per signal that joins


def test_too_few_answers_never_open_an_incident(api, send, ev):
    send(ev.touchpoint())
    send(*breach(ev, n=12))
    assert evaluate(api)["opened"] == 0


def test_a_clear_evaluation_does_not_close_an_incident_at_once(api, send, ev):
    send(ev.touchpoint())
    send(*breach(ev))
    evaluate(api)
    send(*[ev.response(f"good{i}", nps=10) for i in range(200)])
    # Clear now, but evaluations on one day count once toward the seven clear days in a row
    # that close it: no flapping.
    for _ in range(3):
        assert evaluate(api)["resolved"] == 0
    [incident] = api.get("/v1/incidents").json()["items"]
    assert incident["status"] == "open" and incident["clear_days"] == 0  # today counted already
    assert outbox_types(api.database_url) == ["incident.opened"]


def test_an_incident_closes_after_its_clear_days_and_a_signal_soon_after_reopens_it(
    api, send, ev, settings
):
    send(ev.touchpoint())
    send(*breach(ev, days_ago=0))
    engine = make_engine(api.database_url, pool_size=1)
    outbox = Outbox(source="metrics")
    today = utcnow().date()
    try:
        assert evaluate_touchpoints(engine, outbox, settings, today=today).opened == 1
        send(*[ev.response(f"good{i}", nps=10) for i in range(200)])
        days = [today + timedelta(i) for i in range(1, settings.incident_close_after_days + 1)]
        # Clear on each later day; the window still holds today's answers, the good ones too.
        changes = [evaluate_touchpoints(engine, outbox, settings, today=day) for day in days]
        assert [c.resolved for c in changes] == [0] * (len(days) - 1) + [1]
        [closed] = api.get("/v1/incidents", params={"status": "resolved"}).json()["items"]
        assert closed["resolved_by"] == "metrics" and "Back in control" in closed["resolution"]
        # The target breaks again two days later: the same incident reopens.
        send(*breach(ev, n=400, prefix="again"))
        again = evaluate_touchpoints(engine, outbox, settings, today=days[-1] + timedelta(2))
        assert again.reopened == 1 and again.opened == 0
    finally:
        engine.dispose()
    [incident] = api.get("/v1/incidents").json()["items"]
    assert incident["id"] == closed["id"]
    assert incident["status"] == "open" and incident["reopen_count"] == 1
    assert outbox_types(api.database_url) == [
        "incident.opened",
        "incident.resolved",
        "incident.reopened",
    ]


def test_staff_acknowledge_an_incident_once_and_find_it_again(api, send, ev):
    send(ev.touchpoint())
    send(*breach(ev))
    evaluate(api)
    [incident] = api.get("/v1/incidents").json()["items"]
    url = f"/v1/incidents/{incident['id']}"
    stale = api.patch(url, {"status": "acknowledged"}, headers={**api.writer, "If-Match": '"7"'})
    assert stale.status_code == 412
    done = api.patch(url, {"status": "acknowledged", "note": "Courier briefed"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "acknowledged"
    assert done.json()["acknowledged_by"] == "api-key:editor-bot"
    assert done.headers["etag"] == '"2"'
    assert api.patch(url, {"status": "acknowledged"}).status_code == 409
    assert api.patch(url, {"status": "acknowledged"}, headers=api.reader).status_code == 403
    [found] = api.get("/v1/incidents", params={"status": "acknowledged"}).json()["items"]
    assert found["id"] == incident["id"] and found["note"] == "Courier briefed"
    # Acknowledged, it is still the touchpoint's one incident: evaluating opens no other.
    assert evaluate(api)["opened"] == 0


def test_staff_resolve_an_incident_with_a_reason(api, send, ev):
    send(ev.touchpoint())
    send(*breach(ev))
    evaluate(api)
    [incident] = api.get("/v1/incidents").json()["items"]
    url = f"/v1/incidents/{incident['id']}"
    no_reason = api.patch(url, {"status": "resolved"})
    assert no_reason.status_code == 422
    done = api.patch(url, {"status": "resolved", "note": "Courier contract changed"})
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["status"], body["resolution"]) == ("resolved", "Courier contract changed")
    assert body["resolved_by"] == "api-key:editor-bot"
    assert api.patch(url, {"status": "resolved", "note": "again"}).status_code == 409
    assert outbox_types(api.database_url) == ["incident.opened", "incident.resolved"]
    # Still below target: the signal reopens the same incident rather than opening another.
    assert evaluate(api)["reopened"] == 1
    [same] = api.get("/v1/incidents").json()["items"]
    assert same["id"] == incident["id"] and same["status"] == "open"


def test_a_positive_comment_is_never_evidence_of_a_problem(api, send, ev):
    send(ev.touchpoint())
    send(*breach(ev, n=36))
    send(
        *[ev.response(f"kind{i}", nps=3, comment="Lovely driver, great service!") for i in range(4)]
    )
    evaluate(api)
    [incident] = api.get("/v1/incidents").json()["items"]
    assert incident["response_ids"] and not any(
        r.startswith("kind") for r in incident["response_ids"]
    )


def test_deleting_the_touchpoint_resolves_its_incident(api, send, ev):
    send(ev.touchpoint())
    send(*breach(ev))
    evaluate(api)
    send(ev.touchpoint(version=2, deleted=True))
    assert evaluate(api)["resolved"] == 1
    [incident] = api.get("/v1/incidents").json()["items"]
    assert incident["resolution"] == "The touchpoint was deleted."


def test_erased_responses_leave_the_incident_evidence(api, send, ev):
    send(ev.touchpoint())
    send(*[ev.response(f"r{i}", nps=0 if i % 4 else 10, respondent=f"c{i}") for i in range(40)])
    evaluate(api)
    send(ev.event("respondent.erased", {"respondent_external_id": "c1", "response_ids": ["r1"]}))
    [incident] = api.get("/v1/incidents").json()["items"]
    assert "r1" not in incident["response_ids"]


def test_metrics_shows_the_open_incidents(api, send, ev):
    send(ev.touchpoint())
    send(*breach(ev))
    evaluate(api)
    lines = api.client.get("/metrics").text.splitlines()
    assert 'cx_incidents_open{status="open"} 1.0' in lines


def test_alerts_recorded_before_incidents_stay_readable(api):
    engine = make_engine(api.database_url, pool_size=1)
    now = utcnow()
    try:
        with Session(engine) as session:
            alert = Alert(
                touchpoint_id="tp-courier",
                metric="nps",
                rule="degradation",
                status="resolved",
                opened_at=now,
                resolved_at=now,
                last_evaluated_at=now,
                evidence={"window": {"from": date.today().isoformat()}},
            )
            session.add(alert)
            session.commit()
            alert_id = alert.id
    finally:
        engine.dispose()
    [listed] = api.get("/v1/alerts", params={"status": "resolved"}).json()["items"]
    assert listed["id"] == alert_id
    assert api.get(f"/v1/alerts/{alert_id}").json()["rule"] == "degradation"
    assert api.patch(f"/v1/alerts/{alert_id}", {"status": "acknowledged"}).status_code == 405
