"""A whole journey as one document: stages, touchpoints and opportunities nested."""

from typing import Annotated

from pydantic import Field

from journey.journeys.schemas import JourneyCreate, JourneyRead
from journey.opportunities.schemas import OpportunityFields, OpportunityRead
from journey.stages.schemas import StageCreate, StageRead
from journey.touchpoints.schemas import TouchpointCreate, TouchpointRead


class TouchpointDocument(TouchpointRead):
    opportunities: list[OpportunityRead]


class StageDocument(StageRead):
    touchpoints: list[TouchpointDocument]
    opportunities: list[OpportunityRead] = Field(
        description="Opportunities on the stage itself (those on a touchpoint sit with it)."
    )


class JourneyDocument(JourneyRead):
    stages: list[StageDocument]


class TouchpointDocumentCreate(TouchpointCreate):
    opportunities: Annotated[list[OpportunityFields], Field(max_length=100)] = Field(
        default_factory=list
    )


class StageDocumentCreate(StageCreate):
    touchpoints: Annotated[list[TouchpointDocumentCreate], Field(max_length=200)] = Field(
        default_factory=list
    )
    opportunities: Annotated[list[OpportunityFields], Field(max_length=100)] = Field(
        default_factory=list
    )


class JourneyDocumentCreate(JourneyCreate):
    stages: Annotated[list[StageDocumentCreate], Field(max_length=50)] = Field(default_factory=list)
