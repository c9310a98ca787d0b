from datetime import datetime

from sqlmodel import Field, SQLModel

from cxshared.db import UTCDateTime
from cxshared.timeutil import utcnow


class ProcessedEvent(SQLModel, table=True):
    """Event ids already applied, recorded in the transaction that applied them."""

    __tablename__ = "processed_event"

    id: str = Field(primary_key=True, max_length=64)
    type: str = Field(max_length=100)
    source: str = Field(max_length=100)
    processed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
