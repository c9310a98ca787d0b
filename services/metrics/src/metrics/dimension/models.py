"""The touchpoint dimension, copied from journey's events. Each row keeps the version of the
entity it was copied from: an older event never overwrites a newer one."""

from typing import Any

from sqlmodel import Field, SQLModel

from cxshared.db import JSONType


class JourneyDim(SQLModel, table=True):
    __tablename__ = "journey_dim"

    id: str = Field(primary_key=True, max_length=64)
    version: int = 0
    name: str = Field(default="", max_length=200)
    state: str = Field(default="", max_length=20)
    deleted: bool = False


class StageDim(SQLModel, table=True):
    __tablename__ = "stage_dim"

    id: str = Field(primary_key=True, max_length=64)
    version: int = 0
    journey_id: str = Field(default="", max_length=64, index=True)
    name: str = Field(default="", max_length=200)
    position: int = 0
    designed_emotion: int | None = None
    deleted: bool = False


class TeamDim(SQLModel, table=True):
    __tablename__ = "team_dim"

    id: str = Field(primary_key=True, max_length=64)
    version: int = 0
    name: str = Field(default="", max_length=200)
    deleted: bool = False


class TouchpointDim(SQLModel, table=True):
    __tablename__ = "touchpoint_dim"

    id: str = Field(primary_key=True, max_length=64)
    version: int = 0
    journey_id: str = Field(default="", max_length=64, index=True)
    stage_id: str = Field(default="", max_length=64, index=True)
    position: int = 0
    name: str = Field(default="", max_length=200)
    channel: str = Field(default="", max_length=20)
    owner_team_id: str | None = Field(default=None, max_length=64, index=True)
    owner_name: str = Field(default="", max_length=200)
    owner_email: str | None = Field(default=None, max_length=320)
    moment_of_truth: bool = False
    designed_emotion: int | None = None
    targets: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    activities: list[str] = Field(default_factory=list, sa_type=JSONType)
    indicator: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    deleted: bool = False
