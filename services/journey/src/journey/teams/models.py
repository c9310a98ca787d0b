from sqlmodel import Field

from cxshared.models import Editable


class Team(Editable, table=True):
    __tablename__ = "team"

    name: str = Field(max_length=200, unique=True)
    lead_name: str = Field(default="", max_length=200)
    lead_email: str | None = Field(default=None, max_length=320)
