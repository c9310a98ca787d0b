from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cxshared.pagination import Page
from cxshared.schemas import WriteBase
from cxshared.types import Name
from journey.versions.models import VersionReason

REASON = (
    "`published`: the journey became live. `changed`: the last state of a day on which the live "
    "journey was changed."
)


class MapTouchpoint(BaseModel):
    id: str
    name: str
    position: int
    description: str
    channel: str
    interaction: str
    owner_team_id: str | None
    owner_team_name: str | None = Field(description="The team's name when the version was kept.")
    owner_name: str
    owner_email: str | None
    standard: str
    moment_of_truth: bool
    designed_emotion: int | None
    targets: list[dict[str, Any]]


class MapStage(BaseModel):
    id: str
    name: str
    position: int
    description: str
    experience: str
    designed_emotion: int
    touchpoints: list[MapTouchpoint]


class MapJourney(BaseModel):
    name: str
    description: str
    persona_id: str | None
    state: str
    status: str
    owner_name: str
    owner_email: str | None
    review_cadence_days: int


class JourneyMap(BaseModel):
    """What a version keeps: the journey, its stages and their touchpoints, in order."""

    journey: MapJourney
    stages: list[MapStage]


class VersionSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="The subject of its `journey.version.*` events.")
    journey_id: str
    number: int = Field(description="1, 2, … per journey, in the order they were kept.")
    reason: VersionReason = Field(description=REASON)
    day: date
    taken_at: datetime
    updated_at: datetime = Field(description="For a day of changes: its last change.")
    updated_by: str


class VersionRead(VersionSummary):
    map: JourneyMap


VersionPage = Page[VersionSummary]


class Change(BaseModel):
    before: Any
    after: Any


class TouchpointRef(BaseModel):
    id: str
    name: str
    stage_id: str
    stage_name: str


class TouchpointMove(TouchpointRef):
    from_stage_id: str
    from_stage_name: str
    from_position: int
    position: int


class TouchpointChange(TouchpointRef):
    before: Any
    after: Any


class StageChange(BaseModel):
    id: str
    name: str
    changes: dict[str, Change]


class StageRef(BaseModel):
    id: str
    name: str


class VersionComparison(BaseModel):
    """What changed from one version to another (or to the map as it is now)."""

    from_version: int
    to_version: int | None = Field(description="None: the journey as it is now.")
    journey: dict[str, Change] = Field(description="Changed fields of the journey itself.")
    stages_added: list[StageRef]
    stages_removed: list[StageRef]
    stages_changed: list[StageChange]
    touchpoints_added: list[TouchpointRef]
    touchpoints_removed: list[TouchpointRef]
    touchpoints_moved: list[TouchpointMove] = Field(
        description="To another stage, or to another place among the touchpoints its stage kept "
        "(the fewest that explain the new order)."
    )
    touchpoints_reowned: list[TouchpointChange] = Field(
        description="Before and after: {owner_team_id, owner_team_name, owner_name, owner_email}."
    )
    touchpoints_renamed: list[TouchpointChange]
    standards_changed: list[TouchpointChange]
    targets_changed: list[TouchpointChange]


class VersionRestore(WriteBase):
    name: Name | None = Field(None, description="Defaults to the journey's name + ' (version N)'.")
