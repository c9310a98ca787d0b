"""Who is told about a case (docs/email.md, "Notifications"): its assignee when it is assigned
to them, and the team's lead with the assignee when it breaches its SLA."""

from datetime import UTC, datetime
from typing import Any

from cxshared.events.models import OutboxEvent
from cxshared.mail.notify import Notice
from feedback.cases import events

NOTIFYING = [events.ASSIGNED, events.BREACHED]
CLOCKS = {"first_contact": "first contact", "resolution": "resolution"}


def notices_of(event: OutboxEvent, staff_url: str) -> list[Notice]:
    data: dict[str, Any] = event.data
    case_id = data.get("case_id") or event.subject
    link = f"{staff_url}/cases/{case_id}"
    title = data.get("title") or "A case"
    where = " · ".join(x for x in (data.get("journey_name"), data.get("touchpoint_name")) if x)
    opened = _when(data.get("opened_at"))
    about = f"{title}\n{where}\nPriority {data.get('priority')}, opened {opened}"
    assignee = data.get("assignee") or {}
    if event.type == events.ASSIGNED:
        email = assignee.get("email")
        if not email:
            return []
        return [
            Notice(
                to=email,
                name=assignee.get("name") or None,
                kind="case-assigned",
                subject=f"Case for you: {title}"[:200],
                text=f"{about}\n\nOpen it: {link}",
                ref=case_id,
            )
        ]
    clock = CLOCKS.get(str(data.get("clock")), "its SLA")
    text = f"{about}\n\nIt is past its {clock} time. Open it: {link}"
    told: list[Notice] = []
    lead = data.get("escalate_to") or {}
    for person in (lead, assignee):
        email = person.get("email")
        if email and email.lower() not in {n.to.lower() for n in told}:
            told.append(
                Notice(
                    to=email,
                    name=person.get("name") or None,
                    kind="case-breached",
                    subject=f"Case past its {clock} time: {title}"[:200],
                    text=text,
                    ref=case_id,
                )
            )
    return told


def _when(value: Any) -> str:
    """ "3 Dec 2026, 20:40 UTC" from an event's ISO time."""
    try:
        at = datetime.fromisoformat(str(value)).astimezone(UTC)
    except ValueError:
        return str(value)
    return f"{at.day} {at:%b %Y, %H:%M} UTC"
