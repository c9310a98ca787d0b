from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ForeignKey, String
from sqlmodel import Field

from cxshared.db import JSONType
from cxshared.models import Editable


class Channel(StrEnum):
    WEB = "web"
    MOBILE_APP = "mobile_app"
    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    CHAT = "chat"
    STORE = "store"
    FIELD = "field"
    SOCIAL = "social"
    PARTNER = "partner"
    OTHER = "other"


class Interaction(StrEnum):
    HUMAN = "human"
    DIGITAL = "digital"


class Touchpoint(Editable, table=True):
    __tablename__ = "touchpoint"

    journey_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("journey.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    stage_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("stage.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    position: int = 0
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    channel: str = Field(max_length=20)
    interaction: str = Field(max_length=20)
    owner_team_id: str | None = Field(
        default=None,
        sa_column=Column(String(36), ForeignKey("team.id", ondelete="RESTRICT"), index=True),
    )
    owner_name: str = Field(default="", max_length=200)
    owner_email: str | None = Field(default=None, max_length=320)
    standard: str = Field(default="", max_length=5000)
    moment_of_truth: bool = False
    designed_emotion: int | None = None
    targets: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    activities: list[str] = Field(default_factory=list, sa_type=JSONType)
    indicator: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
