from pydantic import EmailStr, Field

from cxshared.pagination import Page
from cxshared.types import Name
from journey.common.schemas import ReadBase, WriteBase


class TeamCreate(WriteBase):
    name: Name = Field(examples=["Fulfilment"])
    lead_name: Name | None = Field(None, examples=["Dana Okafor"])
    lead_email: EmailStr | None = Field(None, examples=["dana@example.com"])


class TeamUpdate(WriteBase):
    name: Name | None = None
    lead_name: Name | None = None
    lead_email: EmailStr | None = None


class TeamRead(ReadBase):
    name: str
    lead_name: str
    lead_email: str | None


TeamPage = Page[TeamRead]
