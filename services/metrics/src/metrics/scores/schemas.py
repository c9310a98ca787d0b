from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class Metric(StrEnum):
    NPS = "nps"
    CSAT = "csat"
    CES = "ces"


class GroupBy(StrEnum):
    TOUCHPOINT = "touchpoint"
    STAGE = "stage"
    JOURNEY = "journey"
    CHANNEL = "channel"
    SEGMENT = "segment"
    OWNER_TEAM = "owner_team"


class Interval(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Period(BaseModel):
    start: date = Field(alias="from")
    end: date = Field(alias="to")

    model_config = {"populate_by_name": True}


class TargetRead(BaseModel):
    value: float
    direction: str
    min_responses: int


class Score(BaseModel):
    value: float | None = Field(
        description="NPS -100..100; CSAT % top-two box; CES mean 1..7. Null without answers."
    )
    low: float | None = Field(
        description="95% interval, lower end; the interval always contains `value`. NPS: "
        "adjusted Wald; CSAT: Wilson; CES: a Dirichlet-Beta interval that stays on 1..7 "
        "(docs/metrics.md, Intervals). Null without answers."
    )
    high: float | None = Field(description="95% interval, upper end.")
    n: int
    too_few: bool = Field(description="n is below the minimum: shown, never alerted on.")
    min_responses: int
    target: TargetRead | None = None
    target_status: str | None = Field(
        None,
        description="met / breached when the whole interval is on one side of the target; "
        "uncertain when it straddles it or there are too few responses.",
    )
    details: dict[str, Any] = Field(
        default_factory=dict,
        description="NPS: promoters, passives, detractors. CSAT: mean_satisfaction (1-5, "
        "never called CSAT; its interval stays on 1-5, as the CES mean's does). CES: "
        "percent_agree (answers 5-7, Wilson interval).",
    )


class GroupScore(Score):
    key: str | None
    label: str


class ScoresRead(BaseModel):
    metric: Metric
    group_by: GroupBy | None
    period: Period
    overall: Score
    groups: list[GroupScore]


class SeriesPoint(Score):
    start: date
    end: date
    complete: bool = Field(
        description="False while the point's last day (`end`, UTC) has not ended: today, this "
        "week or this month so far. Its answers are real but not yet the whole period; show "
        "it apart, never as a finished period (see docs/metrics.md)."
    )


class SeriesRead(BaseModel):
    metric: Metric
    interval: Interval
    period: Period
    points: list[SeriesPoint]


class Change(BaseModel):
    key: str | None
    label: str
    base: Score
    current: Score
    difference: float | None = Field(description="current minus base, in the metric's unit.")
    low: float | None = Field(
        description="95% interval of the difference, lower end; it always contains "
        "`difference`. NPS: adjusted Wald; CSAT: Newcombe's hybrid score; CES: MOVER from the "
        "two means' intervals."
    )
    high: float | None = Field(description="95% interval of the difference, upper end.")
    p_value: float | None
    p_adjusted: float | None = Field(
        description="Benjamini-Hochberg across the groups compared (those with enough answers)."
    )
    significant: bool = Field(
        description="p_adjusted < 0.05 and both sides have at least the minimum n."
    )


class ChangeRead(BaseModel):
    metric: Metric
    group_by: GroupBy | None
    base: dict[str, Any]
    current: dict[str, Any]
    changes: list[Change]


class Emotion(BaseModel):
    designed: float | None
    measured: float | None = Field(description="Mean of scored answers rescaled to -2..+2.")
    n: int
    sentiment: float | None = Field(description="Mean comment sentiment, -1..+1 (VADER).")
    comments: int
    negative_comments: int


class OverlayTouchpoint(BaseModel):
    id: str
    name: str
    position: int
    channel: str
    owner_team_id: str | None
    owner_name: str
    moment_of_truth: bool
    emotion: Emotion
    scores: dict[str, Score]


class OverlayStage(BaseModel):
    id: str
    name: str
    position: int
    emotion: Emotion
    scores: dict[str, Score]
    touchpoints: list[OverlayTouchpoint]


class OverlayRead(BaseModel):
    journey_id: str
    journey_name: str
    period: Period
    stages: list[OverlayStage]
