from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cxshared.pagination import Page
from cxshared.schemas import ReadBase
from cxshared.types import LongText


class AlertRead(ReadBase):
    touchpoint_id: str
    touchpoint_name: str
    journey_id: str
    owner_team_id: str | None
    owner_name: str
    owner_email: str | None
    metric: str
    rule: str = Field(description="target_breach or degradation.")
    status: str = Field(description="open, acknowledged or resolved.")
    opened_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    note: str
    resolved_at: datetime | None
    evidence: dict[str, Any] = Field(
        description="The window, n, the score and its interval, the target or the baseline and "
        "the chart's statistic and limit."
    )
    response_ids: list[str] = Field(description="The bad answers behind it, newest first.")
    last_evaluated_at: datetime


AlertPage = Page[AlertRead]


class AlertUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["acknowledged"] = Field(
        description="Acknowledge an open alert; it still resolves itself when the signal clears."
    )
    note: LongText = ""


class EvaluationRead(BaseModel):
    opened: int
    resolved: int
    kept: int
