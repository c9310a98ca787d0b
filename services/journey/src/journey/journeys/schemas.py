from datetime import date
from typing import Annotated

from pydantic import Field

from cxshared.pagination import Page
from cxshared.schemas import ReadBase, WriteBase
from cxshared.types import (
    NOT_BOOLEAN,
    Email,
    Identifier,
    IsoDate,
    LongText,
    Name,
    OptionalName,
    WholeNumber,
)
from journey.journeys.models import JourneyState, JourneyStatus

Cadence = Field(ge=1, le=3650, description="Days between reviews of this journey.")


class JourneyCreate(WriteBase):
    name: Name = Field(examples=["Buying online"])
    description: LongText = ""
    persona_id: Identifier | None = None
    state: JourneyState = JourneyState.CURRENT
    status: JourneyStatus = JourneyStatus.DRAFT
    owner_name: OptionalName = Field("", examples=["Sam Reyes"])
    owner_email: Email | None = Field(None, examples=["sam@example.com"])
    review_cadence_days: WholeNumber = Field(90, ge=1, le=3650, description=Cadence.description)
    last_reviewed_date: IsoDate | None = None


class JourneyUpdate(WriteBase):
    name: Name | None = None
    description: LongText | None = None
    persona_id: Identifier | None = None
    state: JourneyState | None = None
    status: JourneyStatus | None = None
    owner_name: OptionalName | None = None
    owner_email: Email | None = None
    review_cadence_days: Annotated[int, Field(ge=1, le=3650), NOT_BOOLEAN] | None = None
    last_reviewed_date: IsoDate | None = None


class JourneyRead(ReadBase):
    name: str
    description: str
    persona_id: str | None
    state: JourneyState
    status: JourneyStatus
    owner_name: str
    owner_email: str | None
    review_cadence_days: int
    last_reviewed_date: date | None
    origin_journey_id: str | None = Field(
        description="For a copy (such as a future state): the journey it was copied from."
    )


class JourneyCopy(WriteBase):
    name: Name | None = Field(
        None, description="Defaults to the origin's name + ' (future state)'."
    )
    state: JourneyState = JourneyState.FUTURE


JourneyPage = Page[JourneyRead]
