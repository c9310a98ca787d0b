"""The read and write bases of API schemas: reads carry version and audit fields; writes
refuse fields they do not know."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class ReadBase(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    version: int
    created_at: datetime
    updated_at: datetime
    updated_by: str


class WriteBase(BaseModel):
    model_config = ConfigDict(extra="forbid")
