from typing import Annotated

from pydantic import Field

from cxshared.pagination import Page
from cxshared.schemas import ReadBase, WriteBase
from cxshared.types import NOT_BOOLEAN, LongText, Name, WholeNumber

EMOTION = "Designed emotion from -2 (very negative) to +2 (very positive)."


class StageCreate(WriteBase):
    name: Name = Field(examples=["Checkout"])
    description: LongText = ""
    experience: LongText = Field(
        "",
        description="The experience this stage must deliver: a testable statement of the "
        "customer's functional and emotional state.",
        examples=["I know exactly what I pay and when it arrives, and I feel in control."],
    )
    designed_emotion: WholeNumber = Field(0, ge=-2, le=2, description=EMOTION)
    position: Annotated[int, Field(ge=0), NOT_BOOLEAN] | None = Field(
        None, description="Where to insert; default: last."
    )


class StageUpdate(WriteBase):
    name: Name | None = None
    description: LongText | None = None
    experience: LongText | None = None
    designed_emotion: Annotated[int, Field(ge=-2, le=2), NOT_BOOLEAN] | None = Field(
        None, description=EMOTION
    )


class StageRead(ReadBase):
    journey_id: str
    position: int
    name: str
    description: str
    experience: str
    designed_emotion: int


class Move(WriteBase):
    position: WholeNumber = Field(
        ge=0, description="The new 0-based position; past the end means last."
    )


StagePage = Page[StageRead]
