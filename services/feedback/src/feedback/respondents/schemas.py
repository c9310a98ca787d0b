from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Erasure(BaseModel):
    external_id: str
    responses: int
    invitations: int
    events: int


class TimelineEntry(BaseModel):
    kind: Literal["response", "invitation", "case", "note", "contact"]
    at: datetime
    id: str = Field(description="The response, invitation, case, note or contact.")
    survey_id: str | None = None
    survey_title: str | None = None
    case_id: str | None = Field(None, description="The case a case, note or contact belongs to.")
    summary: str = Field(description="One line: a score, a status, a case's title, an outcome.")
    text: str = Field("", description="A comment, a note's body, a contact's note.")
    status: str | None = None
    scores: dict[str, int] = Field(
        default_factory=dict, description="A response's score answers, by question key."
    )
    channel: str | None = None
    author: str | None = None


class Timeline(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "respondent_external_id": "cust-1042",
                    "items": [
                        {
                            "kind": "note",
                            "at": "2026-12-02T10:15:00Z",
                            "id": "0193a1c2-8a00-7b1a-9c3e-2f1d5e6a7b8c",
                            "case_id": "0193a1c2-7f00-7b1a-9c3e-2f1d5e6a7b8c",
                            "summary": "Note",
                            "text": "Called, will call back Monday.",
                            "author": "ana.ruiz@example.com",
                        },
                        {
                            "kind": "response",
                            "at": "2026-12-01T09:00:00Z",
                            "id": "0193a1c2-7d4e-7b1a-9c3e-2f1d5e6a7b8c",
                            "survey_id": "0193a1c2-7000-7b1a-9c3e-2f1d5e6a7b8c",
                            "survey_title": "How was your delivery?",
                            "summary": "NPS 2",
                            "text": "Parcel left in the rain.",
                            "status": "complete",
                            "scores": {"nps": 2},
                            "channel": "web",
                        },
                    ],
                    "next_cursor": None,
                }
            ]
        }
    )

    respondent_external_id: str
    items: list[TimelineEntry]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` for older entries; none: this is the oldest."
    )
