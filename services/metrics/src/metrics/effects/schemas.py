from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from metrics.scores.schemas import Score


class Verdict(StrEnum):
    TOO_EARLY = "too_early"
    NOT_ENOUGH_DATA = "not_enough_data"
    NO_EFFECT = "no_measurable_effect"
    IMPROVED = "improved"
    WORSE = "worse"
    MIXED = "mixed"


class Windows(BaseModel):
    before_from: date
    before_to: date
    after_from: date
    after_to: date
    complete: bool = Field(description="Whether the after window is over (before today).")


class Shift(BaseModel):
    """A change with its 95% interval and two-sided p-value (null when not testable)."""

    difference: float | None
    low: float | None
    high: float | None
    p_value: float | None


class Side(BaseModel):
    before: Score
    after: Score
    change: Shift = Field(description="after minus before.")


class MetricEffect(BaseModel):
    metric: str
    changed: Side = Field(description="The action's touchpoints together.")
    untouched: Side | None = Field(
        description="The journey's other touchpoints together: what moved without the action. "
        "Null when the journey has none with answers."
    )
    difference_in_differences: Shift | None = Field(
        description="The touchpoints' change less the untouched ones' change; null without a "
        "comparison. The effect credited to the action when present."
    )
    tested: str = Field(
        description="Which change decides: difference_in_differences, or before_after when "
        "there is nothing to compare with; none when either side has too few answers."
    )
    p_adjusted: float | None = Field(
        description="The tested p-value, Benjamini-Hochberg adjusted across the metrics tested."
    )
    significant: bool
    direction: str | None = Field(description="better, worse, or null when not significant.")


class EffectRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "journey_id": "j-1",
                    "touchpoint_ids": ["tp-checkout"],
                    "shipped_on": "2026-10-01",
                    "windows": {
                        "before_from": "2026-09-03",
                        "before_to": "2026-09-30",
                        "after_from": "2026-10-08",
                        "after_to": "2026-11-04",
                        "complete": True,
                    },
                    "verdict": "improved",
                    "reason": "CES rose 0.6 points (95% 0.4 to 0.8) more than on the journey's "
                    "untouched touchpoints (adjusted p < 0.001).",
                    "metrics": [],
                }
            ]
        }
    )

    journey_id: str
    touchpoint_ids: list[str]
    untouched_touchpoints: int = Field(description="The journey's touchpoints compared with.")
    shipped_on: date
    windows: Windows
    verdict: Verdict
    reason: str
    metrics: list[MetricEffect]
