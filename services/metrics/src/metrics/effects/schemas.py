from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from cxshared.pagination import Page
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
    metric: str = Field(
        description="nps, csat, ces (from the answers); compliance (the share of the "
        "touchpoints' standard occasions that met the standard, in %); churn (the share of "
        "customers who answered at the touchpoints in the window and churned by its end, in "
        "%: lower is better). A metric without data in either window is left out."
    )
    changed: Side = Field(description="The action's touchpoints together.")
    untouched: Side | None = Field(
        description="The journey's other touchpoints together: what moved without the action. "
        "Null when the journey has none with answers (with occasions, for compliance); always "
        "null for churn."
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
    direction: str | None = Field(
        description="better, worse, or null when not significant. Churn is better when it falls."
    )


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


class ActionEffectRead(BaseModel):
    """A shipped action's effect as metrics stored it (docs/metrics.md, "Stored effects")."""

    action_id: str
    journey_id: str
    title: str
    version: int = Field(description="The version of the action the effect was measured for.")
    frozen: bool = Field(
        description="The after window was over when it was measured: it is never measured "
        "again, unless the action's ship date or touchpoints change."
    )
    computed_on: date = Field(description="The day (UTC) the effect was measured.")
    effect: EffectRead


ActionEffectPage = Page[ActionEffectRead]
