from sqlalchemy import Column, ForeignKey, String
from sqlmodel import Field

from cxshared.models import Editable


class Stage(Editable, table=True):
    __tablename__ = "stage"

    journey_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("journey.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    position: int = 0
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    experience: str = Field(default="", max_length=5000)
    designed_emotion: int = 0
