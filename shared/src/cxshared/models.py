"""Columns every editable resource has: version (its ETag), timestamps, and the last editor."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from cxshared.db import UTCDateTime
from cxshared.ids import new_id
from cxshared.timeutil import utcnow


class Editable(SQLModel):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str = Field(default="", max_length=200)
