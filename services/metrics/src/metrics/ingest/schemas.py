from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from cxshared.events.ingest import EventEnvelope
from cxshared.types import IsoDateTime


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: Annotated[list[EventEnvelope], Field(min_length=1, max_length=500)]


class IngestResult(BaseModel):
    applied: int = Field(description="Events applied now.")
    duplicates: int = Field(description="Events whose id had been processed before: no change.")
    ignored: int = Field(description="Events of types metrics does not use, recorded as seen.")


class Answer(BaseModel):
    question: Annotated[str, Field(max_length=100)]
    type: Annotated[str, Field(max_length=30)]
    value: int | str | list[int | str] | None = None
    scale: Annotated[int, Field(ge=2, le=100)] | None = None


class ResponseData(BaseModel):
    """What `response.completed` and `response.updated` carry."""

    response_id: Annotated[str, Field(min_length=1, max_length=64)]
    survey_id: Annotated[str, Field(min_length=1, max_length=64)]
    version: Annotated[int, Field(ge=1)] = 1
    touchpoint_id: Annotated[str, Field(max_length=64)] | None = None
    respondent_external_id: Annotated[str, Field(max_length=200)] | None = None
    channel: Annotated[str, Field(max_length=20)] = ""
    hidden: dict[str, Any] = Field(default_factory=dict)
    flags: list[str] = Field(default_factory=list)
    status: str = "complete"
    submitted_at: IsoDateTime
    completed_at: IsoDateTime | None = None
    answers: list[Answer] = Field(default_factory=list)


class ErasureData(BaseModel):
    respondent_external_id: Annotated[str, Field(min_length=1, max_length=200)]
    response_ids: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list)
    case_ids: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list)


class EntityData(BaseModel):
    """Journey's entity events: the entity's fields, its id and version."""

    model_config = ConfigDict(extra="allow")

    id: Annotated[str, Field(min_length=1, max_length=64)]
    version: Annotated[int, Field(ge=0)]


class ActionData(BaseModel):
    """What journey's `action.*` events carry that metrics keeps (docs/metrics.md, "Stored
    effects"); a deletion carries the version after the last edit and `deleted`."""

    model_config = ConfigDict(extra="allow")

    id: Annotated[str, Field(min_length=1, max_length=64)]
    version: Annotated[int, Field(ge=0)]
    journey_id: Annotated[str, Field(min_length=1, max_length=64)]
    title: Annotated[str, Field(max_length=200)] = ""
    state: Annotated[str, Field(max_length=20)] = ""
    affected_touchpoint_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=500
    )
    shipped_at: IsoDateTime | None = None
    deleted: bool = False
