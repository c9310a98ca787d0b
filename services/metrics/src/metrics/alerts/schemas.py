from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cxshared.pagination import Page
from cxshared.schemas import ReadBase
from cxshared.types import VISIBLE, LongText


class AlertRead(ReadBase):
    """An alert recorded before incidents took over (one per signal); kept readable."""

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


class SignalRead(BaseModel):
    metric: str = Field(description="nps, csat or ces.")
    rule: str = Field(description="target_breach or degradation.")
    active: bool = Field(description="Whether the signal held at the last evaluation.")
    first_seen: str = Field(description="The day (UTC) it first held for this incident.")
    last_seen: str | None = Field(None, description="The last day it held.")
    evidence: dict[str, Any] = Field(
        description="The window, n, the score and its interval, the target or the baseline (and "
        "whether the incident froze it) and the chart's method, statistic and limit."
    )


class EvidenceQuote(BaseModel):
    response_id: str
    text: str = Field(description="The comment, cut at a word after 160 characters.")
    sentiment: float | None
    sentiment_label: str = Field(description="negative below -0.05, else neutral.")


class EvidenceTheme(BaseModel):
    theme_id: str
    name: str
    answers: int = Field(description="The evidence comments that mention the theme.")
    share: float = Field(description="Their % of the evidence comments.")
    examples: list[EvidenceQuote] = Field(
        description="Up to 2 of them, the wording said most often first, none repeating a quote "
        "shown for another theme."
    )


class EvidenceOther(BaseModel):
    answers: int = Field(description="The evidence comments that mention none of the themes.")
    share: float
    examples: list[EvidenceQuote]


class IncidentEvidence(BaseModel):
    """What customers said behind the incident, counted by theme (docs/metrics.md, "Incidents
    and detection")."""

    start: date = Field(description="The first day of its signals' windows.")
    end: date = Field(description="The last day of its signals' windows.")
    comments: int = Field(
        description="The window's comments at its touchpoint that are evidence: negative "
        "(sentiment below -0.05), or of an answer its signals' metrics call bad; never one "
        "whose sentiment is above 0."
    )
    themes: list[EvidenceTheme] = Field(
        description="The journey's themes these comments mention, most mentioned first."
    )
    other: EvidenceOther


class IncidentRead(ReadBase):
    touchpoint_id: str
    touchpoint_name: str
    journey_id: str
    owner_team_id: str | None
    owner_name: str
    owner_email: str | None
    status: str = Field(description="open, acknowledged or resolved.")
    opened_at: datetime
    reopened_at: datetime | None = Field(description="When a signal last reopened it.")
    reopen_count: int
    escalated_at: datetime | None = Field(description="When a signal last joined it.")
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    note: str
    resolved_at: datetime | None
    resolved_by: str | None = Field(description="`metrics` when it closed itself, else staff.")
    resolution: str = Field(description="Why it closed.")
    signals: list[SignalRead] = Field(description="Every signal it has seen, active or not.")
    response_ids: list[str] = Field(
        description="The bad answers behind its active signals, newest first; never one whose "
        "comment reads positive."
    )
    evidence: IncidentEvidence | None = Field(
        None,
        description="The comments behind it by theme, over the windows of its active signals "
        "(of every signal it had once none is active); null when no signal names a window.",
    )
    baseline_until: date = Field(description="The frozen baseline ends the day before this.")
    clear_days: int = Field(description="Consecutive evaluated days back in control.")
    last_evaluated_at: datetime


IncidentPage = Page[IncidentRead]


class IncidentAcknowledge(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["acknowledged"] = Field(
        description="Staff know of an open incident; it still closes itself once back in control."
    )
    note: LongText = ""


class IncidentResolve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["resolved"] = Field(
        description="Staff close an open or acknowledged incident; a signal within the reopen "
        "days reopens it."
    )
    note: Annotated[str, StringConstraints(max_length=5000, pattern=VISIBLE)] = Field(
        description="Why it is resolved (required)."
    )


IncidentUpdate = Annotated[IncidentAcknowledge | IncidentResolve, Field(discriminator="status")]


class EvaluationRead(BaseModel):
    opened: int
    reopened: int
    escalated: int
    resolved: int
    kept: int
