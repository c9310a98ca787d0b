"""What a sink receives from a relay: the contract between producers and ingest endpoints."""

from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationError

from cxshared.problems import Problem
from cxshared.types import NOT_BOOLEAN, IsoDateTime

EventId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class EventEnvelope(BaseModel):
    """An outbox event as journey's and feedback's relays deliver it."""

    id: EventId = Field(description="Stable across retries: the idempotency key.")
    type: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z_]+(\.[a-z_]+)+$")] = (
        Field(examples=["response.completed"])
    )
    occurred_at: IsoDateTime
    source: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z_-]+$")] = Field(
        examples=["feedback"]
    )
    subject: Annotated[str, Field(max_length=200)] = ""
    data: dict[str, Any]
    schema_version: Annotated[int, Field(ge=1, le=1), NOT_BOOLEAN] = 1


def invalid_event(exc: ValidationError, event: EventEnvelope, index: int, service: str) -> Problem:
    """A 422 naming each field of event `index`'s data that `service` cannot use."""
    return Problem(
        422,
        "invalid-event",
        "Invalid event",
        f"Event {index} ({event.type} {event.id}) does not carry what {service} needs.",
        errors=[
            {
                "loc": ["body", "events", index, "data", *e["loc"]],
                "msg": e["msg"],
                "type": e["type"],
            }
            for e in exc.errors()
        ],
    )
