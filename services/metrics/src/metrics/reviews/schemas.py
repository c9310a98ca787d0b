from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class SignalKind(StrEnum):
    INCIDENT_OPEN = "incident_open"
    STANDARD_MISSED = "standard_missed"
    UNDOCUMENTED_TOUCHPOINT = "undocumented_touchpoint"
    ACTION_WORSE = "action_worse"


class ReviewSignal(BaseModel):
    journey_id: str
    kind: SignalKind
    key: str = Field(
        description="Stable for as long as the reason lasts (`incident_open:<incident id>`, "
        "`standard_missed:<touchpoint id>`, `undocumented_touchpoint:<activity>`, "
        "`action_worse:<action id>`): a review that acknowledged a key need only be flagged "
        "again for keys it has not seen."
    )
    touchpoint_id: str | None = Field(
        description="The touchpoint concerned; null for an undocumented activity or an action."
    )
    reason: str = Field(description="The reason in plain words, with its figures.")
    since: date = Field(
        description="incident_open: the day the incident opened; standard_missed and "
        "undocumented_touchpoint: the first day of the 28 days judged; action_worse: the day "
        "its effect was measured and frozen."
    )


class ReviewSignalsRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "as_of": "2026-12-07",
                    "incident_days": 14,
                    "undocumented_min": 50,
                    "signals": [
                        {
                            "journey_id": "j-1",
                            "kind": "standard_missed",
                            "key": "standard_missed:tp-deliver",
                            "touchpoint_id": "tp-deliver",
                            "reason": "Deliver: its standard was met on 80.0% of 200 occasions "
                            "in the 28 days to 2026-12-07, below its objective of 90.0%.",
                            "since": "2026-11-10",
                        }
                    ],
                }
            ]
        }
    )

    as_of: date
    incident_days: int
    undocumented_min: int
    signals: list[ReviewSignal] = Field(description="By journey, kind and key.")
