from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cxshared.pagination import Page


class ChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    at: datetime
    actor: str = Field(description="The staff user (through the gateway), else api-key:<name>.")
    action: str = Field(description="create, update, delete or reorder.")
    entity_type: str
    entity_id: str
    journey_id: str | None
    changes: dict[str, Any] = Field(description="Per field: {before, after}.")


ChangePage = Page[ChangeRead]
