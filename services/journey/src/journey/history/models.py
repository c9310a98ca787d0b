from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from cxshared.db import JSONType, UTCDateTime
from cxshared.ids import new_id
from cxshared.timeutil import utcnow


class Change(SQLModel, table=True):
    """One create, update, delete or reorder, with field-level before and after."""

    __tablename__ = "change"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=200, index=True)
    action: str = Field(max_length=20)
    entity_type: str = Field(max_length=30)
    entity_id: str = Field(max_length=36, index=True)
    journey_id: str | None = Field(default=None, max_length=36, index=True)
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
