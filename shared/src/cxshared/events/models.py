"""The outbox tables: one event row, one delivery row per destination."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from cxshared.db import JSONType, UTCDateTime
from cxshared.ids import new_id
from cxshared.timeutil import utcnow


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class OutboxEvent(SQLModel, table=True):
    __tablename__ = "outbox_event"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    type: str = Field(max_length=100)
    source: str = Field(max_length=50)
    subject: str = Field(max_length=100)
    data: dict[str, Any] = Field(sa_type=JSONType)
    schema_version: int = 1
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def envelope(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "occurred_at": self.occurred_at.isoformat(),
            "source": self.source,
            "subject": self.subject,
            "data": self.data,
            "schema_version": self.schema_version,
        }


class WebhookSubscription(SQLModel, table=True):
    __tablename__ = "webhook_subscription"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=500)
    event_types: list[str] = Field(sa_type=JSONType)
    enabled: bool = True
    secret: str = Field(max_length=100)
    previous_secret: str | None = Field(default=None, max_length=100)
    previous_secret_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def wants(self, event_type: str) -> bool:
        return wants(self.event_types, event_type)


def wants(patterns: list[str], event_type: str) -> bool:
    """Whether a subscription to `patterns` ("*", "response.*", "response.completed") gets
    events of `event_type`."""
    for pattern in patterns:
        if pattern in ("*", event_type):
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


class OutboxDelivery(SQLModel, table=True):
    __tablename__ = "outbox_delivery"
    __table_args__ = (Index("ix_outbox_delivery_state_due", "state", "next_attempt_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    event_id: str = Field(
        sa_column=Column(
            String(36),
            ForeignKey("outbox_event.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    destination: str = Field(max_length=100, description="sink:<name> or webhook")
    subscription_id: str | None = Field(
        default=None,
        sa_column=Column(
            String(36),
            ForeignKey("webhook_subscription.id", ondelete="CASCADE"),
            nullable=True,
            index=True,
        ),
    )
    state: str = Field(default=DeliveryState.PENDING, max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_token: str | None = Field(default=None, max_length=36)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
