from sqlmodel import Field

from cxshared.db import JSONType
from cxshared.models import Editable


class Persona(Editable, table=True):
    __tablename__ = "persona"

    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    goals: list[str] = Field(default_factory=list, sa_type=JSONType)
    pains: list[str] = Field(default_factory=list, sa_type=JSONType)
