from datetime import date, datetime
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
    STANDARD_BREACH = "standard_breach"


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


class IncidentStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Incident(Editable, table=True):
    """One problem at one touchpoint: every signal on it while it lasts (docs/metrics.md,
    "Incidents and detection"). Alerts, one per signal, were recorded before incidents; their
    rows stay readable at /v1/alerts."""

    __tablename__ = "incident"

    touchpoint_id: str = Field(max_length=64, index=True)
    status: str = Field(default=IncidentStatus.OPEN, max_length=20, index=True)
    # The touchpoint id while the incident is open or acknowledged, NULL once resolved: the
    # unique key allows one live incident per touchpoint, even with several evaluators at once.
    live_key: str | None = Field(default=None, max_length=64, unique=True)
    touchpoint_name: str = Field(default="", max_length=200)
    journey_id: str = Field(default="", max_length=64, index=True)
    owner_team_id: str | None = Field(default=None, max_length=64)
    owner_name: str = Field(default="", max_length=200)
    owner_email: str | None = Field(default=None, max_length=320)
    opened_at: datetime = Field(sa_type=UTCDateTime)
    reopened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reopen_count: int = 0
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by: str | None = Field(default=None, max_length=200)
    note: str = Field(default="", max_length=2000)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: str | None = Field(default=None, max_length=200)
    resolution: str = Field(default="", max_length=2000)
    # Each signal the incident has seen: metric, rule, active, first_seen, last_seen, evidence.
    signals: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    response_ids: list[str] = Field(default_factory=list, sa_type=JSONType)
    # The frozen baseline: the alert_baseline_days before baseline_until, less the days from
    # baseline_skip_from to baseline_skip_to (an earlier incident's) when set.
    baseline_until: date
    baseline_skip_from: date | None = None
    baseline_skip_to: date | None = None
    clear_days: int = 0
    last_evaluated_day: date | None = None
    last_evaluated_at: datetime = Field(sa_type=UTCDateTime)
