"""Writing events: in the caller's transaction, one delivery row per destination."""

import threading
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr
from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlmodel import Session

from cxshared.events.models import OutboxDelivery, OutboxEvent, WebhookSubscription


@dataclass(frozen=True)
class Sink:
    """A destination that receives every event, such as metrics' ingest endpoint."""

    name: str
    url: str
    api_key: SecretStr | None = None


@dataclass
class Outbox:
    source: str
    sinks: list[Sink] = field(default_factory=list)
    wakeup: threading.Event = field(default_factory=threading.Event)
    # Event types that name a person who asked to be forgotten: deleted once every destination
    # has them, and not kept at all when there is no destination.
    forget_after_delivery: frozenset[str] = frozenset()

    def publish(
        self, session: Session, *, type: str, subject: str, data: dict[str, Any]
    ) -> OutboxEvent:
        """Adds the event and its deliveries to `session`; they commit (or not) with the caller."""
        event = OutboxEvent(type=type, source=self.source, subject=subject, data=data)
        subscriptions = session.exec(  # type: ignore[call-overload]
            select(WebhookSubscription).where(WebhookSubscription.enabled.is_(True))  # type: ignore[attr-defined]
        ).scalars()
        deliveries = [
            OutboxDelivery(event_id=event.id, destination=f"sink:{s.name}") for s in self.sinks
        ]
        deliveries += [
            OutboxDelivery(event_id=event.id, destination="webhook", subscription_id=sub.id)
            for sub in subscriptions
            if sub.wants(type)
        ]
        if not deliveries and type in self.forget_after_delivery:
            return event
        session.add(event)
        session.flush()  # the deliveries below refer to the event; no ORM relationship orders them
        session.add_all(deliveries)
        if deliveries:  # nothing to send: the relay need not look
            sa_event.listen(session, "after_commit", self._wake, once=True)
        return event

    def sink(self, name: str) -> Sink | None:
        return next((s for s in self.sinks if s.name == name), None)

    def _wake(self, _session: Session) -> None:
        self.wakeup.set()
