"""Who is told about an incident (docs/email.md, "Notifications"): the touchpoint's owner, when
it opens, reopens or escalates."""

from typing import Any

from cxshared.events.models import OutboxEvent
from cxshared.mail.notify import Notice

NOTIFYING = ["incident.opened", "incident.reopened", "incident.escalated"]
WHAT = {
    "incident.opened": "Incident opened",
    "incident.reopened": "Incident reopened",
    "incident.escalated": "Incident escalated",
}


def notices_of(event: OutboxEvent, staff_url: str) -> list[Notice]:
    data: dict[str, Any] = event.data
    email = data.get("owner_email")
    if not email:
        return []
    touchpoint = data.get("touchpoint_name") or data.get("touchpoint_id") or "a touchpoint"
    signals = data.get("signals") or []
    lines = [f"- {_signal(s)}" for s in signals[:10]]
    themes = (data.get("evidence") or {}).get("themes") or []
    said = [f"- {t.get('answers')} answers mention {t.get('name')}" for t in themes[:5]]
    text = "\n".join(
        [
            f"{WHAT[event.type]} on {touchpoint}, which you own.",
            *(["", "What was seen:", *lines] if lines else []),
            *(["", "What customers said:", *said] if said else []),
            "",
            f"Open the incidents: {staff_url}/incidents",
        ]
    )
    return [
        Notice(
            to=email,
            name=data.get("owner_name") or None,
            kind=event.type.replace(".", "-"),
            subject=f"{WHAT[event.type]}: {touchpoint}"[:200],
            text=text,
            ref=data.get("incident_id"),
        )
    ]


def _signal(signal: Any) -> str:
    """ "NPS: degradation" from a signal's record ({"metric": "nps", "rule": "degradation"})."""
    if not isinstance(signal, dict):
        return str(signal)
    if signal.get("rule") == "standard_breach":
        return "Experience standard: missed"
    metric = str(signal.get("metric", "")).upper()
    rule = str(signal.get("rule", "")).replace("_", " ")
    return f"{metric}: {rule}" if metric and rule else metric or rule
