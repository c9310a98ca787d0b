from typing import Annotated

from pydantic import Field

from cxshared.pagination import Page
from cxshared.schemas import ReadBase, WriteBase
from cxshared.types import LongText, Name, ShortText

Items = Annotated[list[ShortText], Field(max_length=50)]


class PersonaCreate(WriteBase):
    name: Name = Field(examples=["Busy subscriber"])
    description: LongText = ""
    goals: Items = Field(default_factory=list, examples=[["Get the box on time"]])
    pains: Items = Field(default_factory=list, examples=[["Can't skip a week easily"]])


class PersonaUpdate(WriteBase):
    name: Name | None = None
    description: LongText | None = None
    goals: Items | None = None
    pains: Items | None = None


class PersonaRead(ReadBase):
    name: str
    description: str
    goals: list[str]
    pains: list[str]


PersonaPage = Page[PersonaRead]
