from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Field

from cxshared.db import JSONType, UTCDateTime
from cxshared.models import Editable


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Rule(StrEnum):
    TARGET_BREACH = "target_breach"
    DEGRADATION = "degradation"


class Alert(Editable, table=True):
    __tablename__ = "alert"

    touchpoint_id: str = Field(max_length=64, index=True)
    metric: str = Field(max_length=10)
    rule: str = Field(max_length=20)
    status: str = Field(default=AlertStatus.OPEN, max_length=20, index=True)
    # "touchpoint:metric:rule" while the alert is open or acknowledged, NULL once resolved: the
    # unique key allows one live alert per signal, even with several evaluators at once.
    live_key: str | None = Field(default=None, max_length=200, unique=True)
    touchpoint_name: str = Field(default="", max_length=200)
    journey_id: str = Field(default="", max_length=64)
    owner_team_id: str | None = Field(default=None, max_length=64)
    owner_name: str = Field(default="", max_length=200)
    owner_email: str | None = Field(default=None, max_length=320)
    opened_at: datetime = Field(sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by: str | None = Field(default=None, max_length=200)
    note: str = Field(default="", max_length=2000)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    evidence: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    response_ids: list[str] = Field(default_factory=list, sa_type=JSONType)
    last_evaluated_at: datetime = Field(sa_type=UTCDateTime)
