from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from cxshared.events.ingest import EventEnvelope


class JourneyEventBatch(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "events": [
                        {
                            "id": "0193a1c2-7d4e-7b1a-9c3e-2f1d5e6a7b8c",
                            "type": "touchpoint.updated",
                            "occurred_at": "2026-12-01T09:30:00+00:00",
                            "source": "journey",
                            "subject": "tp-courier",
                            "data": {
                                "id": "tp-courier",
                                "version": 3,
                                "name": "Courier hands over the parcel",
                                "journey_id": "j-delivery",
                                "journey": {"id": "j-delivery", "name": "Delivery"},
                                "owner_name": "Ana Ruiz",
                                "owner_email": "ana.ruiz@example.com",
                                "owner_team_id": "team-logistics",
                            },
                        }
                    ]
                }
            ]
        },
    )

    events: Annotated[list[EventEnvelope], Field(min_length=1, max_length=500)]


class EntityData(BaseModel):
    """A touchpoint or team event's data: the entity's fields, its id and version."""

    model_config = ConfigDict(extra="allow")

    id: Annotated[str, Field(min_length=1, max_length=64)]
    version: Annotated[int, Field(ge=0)]


class IngestResult(BaseModel):
    applied: int = Field(description="Events applied now.")
    duplicates: int = Field(description="Events whose id had been processed before: no change.")
    ignored: int = Field(description="Events of types feedback does not use, recorded as seen.")
