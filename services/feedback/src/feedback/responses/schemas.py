from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from cxshared.pagination import Page
from cxshared.types import Email, IsoDateTime, OptionalName, refuse_booleans
from feedback.responses.models import ResponseStatus

SubmissionId = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9_-]{8,100}$",
        description="Made by the client once per response (a UUID): a retry with the same id "
        "returns the first result and stores nothing new.",
        examples=["6f1c2b9e-4c1d-4e4f-9a55-0d6f1c2b9e4c"],
    ),
]

AnswerValue = Annotated[int | str | list[int | str] | None, BeforeValidator(refuse_booleans)]
Answers = Annotated[
    dict[Annotated[str, Field(max_length=40)], AnswerValue],
    Field(max_length=50, description="Question key to answer.", examples=[{"nps": 9}]),
]
HiddenValues = Annotated[
    dict[Annotated[str, Field(max_length=40)], Annotated[str, Field(max_length=500)]],
    Field(max_length=30),
]


class Channel(StrEnum):
    WEB = "web"
    EMBED = "embed"
    EMAIL = "email"
    SMS = "sms"
    IN_APP = "in_app"
    QR = "qr"
    OTHER = "other"


class Respondent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]
    email: Email | None = None


class SubmissionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    submission_id: SubmissionId
    answers: Answers = Field(default_factory=dict)
    complete: bool = Field(
        True,
        description="Ask to complete; refused while a required answer "
        "is missing. False saves a partial response to continue later.",
    )
    respondent: Respondent | None = None
    invitation: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{16,64}$")] | None = Field(
        None, description="The token from an invitation link."
    )
    hidden: HiddenValues = Field(default_factory=dict)
    channel: Channel = Channel.WEB
    rendered_at: IsoDateTime | None = Field(
        None, description="When the form was shown, for the time-to-complete check."
    )
    honeypot: OptionalName = Field(
        "", description="A field people never see and bots fill in; leave it empty."
    )


class SubmissionContinue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: Answers = Field(default_factory=dict)
    complete: bool = True


class SubmissionResult(BaseModel):
    """What the respondent's browser gets back (the same on every retry)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    status: ResponseStatus
    version: int
    resume_token: str = Field(
        description="Continue a partial response from any device: PATCH with X-Resume-Token."
    )
    answers: dict[str, Any]
    completed_at: datetime | None
    thank_you: str | None = None


class ResponseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    survey_id: str
    version: int
    touchpoint_id: str | None
    submission_id: str
    invitation_id: str | None
    status: ResponseStatus
    answers: dict[str, Any]
    hidden: dict[str, str]
    respondent_external_id: str | None
    respondent_email: str | None
    channel: str
    flags: list[str] = Field(description="honeypot, too_fast: kept but likely not a person.")
    client_ip: str | None
    started_at: datetime
    submitted_at: datetime
    completed_at: datetime | None


ResponsePage = Page[ResponseRead]
