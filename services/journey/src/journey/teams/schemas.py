from pydantic import Field

from cxshared.pagination import Page
from cxshared.schemas import ReadBase, WriteBase
from cxshared.types import Email, Name, OptionalName


class TeamCreate(WriteBase):
    name: Name = Field(examples=["Fulfilment"])
    lead_name: OptionalName = Field("", examples=["Dana Okafor"])
    lead_email: Email | None = Field(None, examples=["dana@example.com"])


class TeamUpdate(WriteBase):
    name: Name | None = None
    lead_name: OptionalName | None = None
    lead_email: Email | None = None


class TeamRead(ReadBase):
    name: str
    lead_name: str
    lead_email: str | None


TeamPage = Page[TeamRead]
