"""Writing events: in the caller's transaction, one delivery row per destination."""

import threading
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr
from sqlalchemy import event as sa_event
from sqlalchemy import insert, select
from sqlmodel import Session

from cxshared import deferred
from cxshared.db import new_row, once_per_transaction
from cxshared.events.models import OutboxDelivery, OutboxEvent, WebhookSubscription, wants

# Built once: building a statement costs more than running it.
_INSERT_EVENT = insert(OutboxEvent.__table__)  # type: ignore[attr-defined]
_INSERT_DELIVERY = insert(OutboxDelivery.__table__)  # type: ignore[attr-defined]
_SUBSCRIBED = WebhookSubscription.__table__  # type: ignore[attr-defined]
_SUBSCRIPTIONS = select(_SUBSCRIBED.c.id, _SUBSCRIBED.c.event_types).where(
    _SUBSCRIBED.c.enabled.is_(True)
)


def _subscriptions(session: Session) -> list[Any]:
    """The enabled webhook subscriptions, read once per transaction: a capture that opens a
    case writes three events, and each read cost as much as the event's insert."""
    return once_per_transaction(
        session, _SUBSCRIPTIONS, lambda: list(session.execute(_SUBSCRIPTIONS).all())
    )


@dataclass(frozen=True)
class Sink:
    """A destination that receives every event of `event_types` (patterns as webhook
    subscriptions use them), such as metrics' ingest endpoint."""

    name: str
    url: str
    api_key: SecretStr | None = None
    event_types: tuple[str, ...] = ("*",)


@dataclass
class Outbox:
    source: str
    sinks: list[Sink] = field(default_factory=list)
    wakeup: threading.Event = field(default_factory=threading.Event)
    # Event types that name a person who asked to be forgotten: deleted once every destination
    # has them, and not kept at all when there is no destination.
    forget_after_delivery: frozenset[str] = frozenset()

    def publish(self, session: Session, *, type: str, subject: str, data: dict[str, Any]) -> str:
        """Writes the event and its deliveries in `session`; they commit or not with the caller.
        Returns the event's id."""
        event = new_row(OutboxEvent, type=type, source=self.source, subject=subject, data=data)
        event_id = str(event["id"])
        subscriptions = _subscriptions(session)
        deliveries = [
            new_row(OutboxDelivery, event_id=event_id, destination=f"sink:{s.name}")
            for s in self.sinks
            if wants(list(s.event_types), type)
        ]
        deliveries += [
            new_row(
                OutboxDelivery,
                event_id=event_id,
                destination="webhook",
                subscription_id=sub_id,
            )
            for sub_id, patterns in subscriptions
            if wants(patterns, type)
        ]
        if not deliveries and type in self.forget_after_delivery:
            return event_id
        # Core inserts, not the unit of work: in this order (the deliveries refer to the
        # event), at once or with a grouped write's batch; a fraction of a flush's cost on the
        # busiest write path.
        deferred.insert(session, _INSERT_EVENT, event)
        if deliveries:
            deferred.insert(session, _INSERT_DELIVERY, deliveries)
            # Only then is there something to send: otherwise the relay need not look.
            sa_event.listen(session, "after_commit", self._wake, once=True)
        return event_id

    def sink(self, name: str) -> Sink | None:
        return next((s for s in self.sinks if s.name == name), None)

    def _wake(self, _session: Session) -> None:
        self.wakeup.set()
