from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field

from cxshared.pagination import Page
from cxshared.schemas import ReadBase, WriteBase
from cxshared.types import Email, Identifier, IsoDate, IsoDateTime, LongText, Name, OptionalName
from journey.actions.models import ActionState


def _links(what: str) -> Any:
    return Field(max_length=100, description=f"Ids of {what} of the action's journey.")


OpportunityIds = Annotated[list[Identifier], _links("opportunities it answers")]
TouchpointIds = Annotated[list[Identifier], _links("touchpoints it changes")]
StageIds = Annotated[list[Identifier], _links("stages it changes as a whole")]
STATE = (
    "planned → in_progress → shipped; planned or in_progress → abandoned; abandoned → planned. "
    "Shipped is final."
)
SHIPPED_AT = (
    "When it shipped (UTC). Set to now when the state becomes `shipped`, unless given: a past "
    "time records a back-dated ship; a future one is refused. Only a shipped action has one."
)


class ActionCreate(WriteBase):
    """Posted to the journey it changes."""

    title: Name = Field(examples=["Redesign the checkout's delivery step"])
    description: LongText = ""
    opportunity_ids: OpportunityIds = Field(default_factory=list)
    touchpoint_ids: TouchpointIds = Field(default_factory=list)
    stage_ids: StageIds = Field(default_factory=list)
    owner_name: OptionalName = Field("", examples=["Priya Shah"])
    owner_email: Email | None = Field(None, examples=["priya@example.com"])
    team_id: Identifier | None = Field(None, description="The team that delivers it.")
    due_date: IsoDate | None = None
    state: ActionState = Field(ActionState.PLANNED, description=STATE)
    shipped_at: IsoDateTime | None = Field(None, description=SHIPPED_AT)


class ActionUpdate(WriteBase):
    title: Name | None = None
    description: LongText | None = None
    opportunity_ids: OpportunityIds | None = None
    touchpoint_ids: TouchpointIds | None = None
    stage_ids: StageIds | None = None
    owner_name: OptionalName | None = None
    owner_email: Email | None = None
    team_id: Identifier | None = None
    due_date: IsoDate | None = None
    state: ActionState | None = Field(None, description=STATE)
    shipped_at: IsoDateTime | None = Field(None, description=SHIPPED_AT)


class ActionRead(ReadBase):
    journey_id: str
    title: str
    description: str
    opportunity_ids: list[str]
    touchpoint_ids: list[str]
    stage_ids: list[str]
    owner_name: str
    owner_email: str | None
    team_id: str | None
    due_date: date | None
    state: ActionState = Field(description=STATE)
    shipped_at: datetime | None = Field(description=SHIPPED_AT)


ActionPage = Page[ActionRead]
