"""An incident's notice to its touchpoint's owner (docs/email.md, "Notifications")."""

from cxshared.events.models import OutboxEvent
from metrics.alerts import notices


def incident(type_: str, **data: object) -> OutboxEvent:
    values = {
        "incident_id": "inc-1",
        "touchpoint_id": "tp-courier",
        "touchpoint_name": "Courier delivers",
        "owner_name": "Priya Shah",
        "owner_email": "priya@example.com",
        "signals": [
            {"metric": "nps", "rule": "target_breach"},
            {"metric": "csat", "rule": "cusum"},
        ],
        "evidence": {"themes": [{"name": "Late arrival", "answers": 12}]},
        **data,
    }
    return OutboxEvent(type=type_, source="metrics", subject="inc-1", data=values)


def test_the_owner_is_told_what_was_seen_and_what_customers_said():
    [notice] = notices.notices_of(incident("incident.opened"), "https://cx.example.com")
    assert (notice.to, notice.name, notice.kind) == (
        "priya@example.com",
        "Priya Shah",
        "incident-opened",
    )
    assert notice.subject == "Incident opened: Courier delivers"
    assert "- NPS: target breach" in notice.text
    assert "- CSAT: cusum" in notice.text
    assert "- 12 answers mention Late arrival" in notice.text
    assert "https://cx.example.com/incidents" in notice.text
    escalated = notices.notices_of(incident("incident.escalated"), "https://cx.example.com")
    assert escalated[0].subject == "Incident escalated: Courier delivers"


def test_a_touchpoint_without_an_owners_address_tells_no_one():
    assert notices.notices_of(incident("incident.opened", owner_email=None), "x") == []
