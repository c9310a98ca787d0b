from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from cxshared.pagination import Page
from cxshared.schemas import ReadBase, WriteBase
from cxshared.types import NOT_BOOLEAN, Identifier, IsoDateTime, LongText, Name, WholeNumber
from feedback.surveys.models import SurveyStatus
from feedback.surveys.questions import Questions, check_question_list

Slug = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$",
        description="The survey's public address: /s/<slug>. Lower case, digits and -.",
        examples=["delivery-csat"],
    ),
]
Origin = Annotated[
    str,
    Field(
        pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$",
        description="A site allowed to embed the survey, e.g. https://shop.example.com",
    ),
]
HiddenField = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", examples=["order_id"])]


class SurveySettings(BaseModel):
    """Everything about a survey but its questions; a copy carries all of it."""

    model_config = ConfigDict(extra="forbid")

    title: Name = Field(examples=["How was your delivery?"])
    intro: LongText = ""
    thank_you: LongText = Field("", examples=["Thank you: it goes straight to the team."])
    touchpoint_id: Identifier | None = Field(
        None, description="The journey touchpoint it measures; none for a relationship survey."
    )
    opens_at: IsoDateTime | None = None
    closes_at: IsoDateTime | None = None
    response_cap: Annotated[int, Field(ge=1, le=10_000_000), NOT_BOOLEAN] | None = None
    allowed_origins: Annotated[list[Origin], Field(max_length=50)] = Field(default_factory=list)
    hidden_fields: Annotated[list[HiddenField], Field(max_length=30)] = Field(
        default_factory=list,
        description="Values the embedding page may pass along (customer_id, order_id, segment, "
        "locale ...). Others are dropped.",
    )
    allow_anonymous: bool = Field(
        True, description="When false, an answer needs a respondent id or an invitation."
    )
    one_response_per_invitation: bool = True
    fatigue_days: Annotated[int, Field(ge=1, le=3650), NOT_BOOLEAN] | None = Field(
        None, description="Ask a person this survey at most once per N days."
    )
    min_seconds_to_complete: WholeNumber = Field(
        3,
        ge=0,
        le=3600,
        description="Faster completions are kept but flagged as likely bots.",
    )
    store_ip: bool = Field(False, description="Keep the respondent's IP address (off: not kept).")


class SurveyCreate(SurveySettings):
    slug: Slug
    questions: Questions = Field(default_factory=list)

    @model_validator(mode="after")
    def _checks(self) -> Self:
        check_question_list(self.questions)
        _check_window(self.opens_at, self.closes_at)
        return self


class SurveyUpdate(WriteBase):
    slug: Slug | None = None
    title: Name | None = None
    intro: LongText | None = None
    thank_you: LongText | None = None
    touchpoint_id: Identifier | None = None
    opens_at: IsoDateTime | None = None
    closes_at: IsoDateTime | None = None
    response_cap: Annotated[int, Field(ge=1, le=10_000_000), NOT_BOOLEAN] | None = None
    allowed_origins: Annotated[list[Origin], Field(max_length=50)] | None = None
    hidden_fields: Annotated[list[HiddenField], Field(max_length=30)] | None = None
    allow_anonymous: bool | None = None
    one_response_per_invitation: bool | None = None
    fatigue_days: Annotated[int, Field(ge=1, le=3650), NOT_BOOLEAN] | None = None
    min_seconds_to_complete: Annotated[int, Field(ge=0, le=3600), NOT_BOOLEAN] | None = None
    store_ip: bool | None = None
    questions: Questions | None = None
    status: SurveyStatus | None = Field(
        None, description="active, paused or closed; `publish` is how a draft becomes active."
    )

    @model_validator(mode="after")
    def _checks(self) -> Self:
        if self.questions is not None:
            check_question_list(self.questions)
        return self


def _check_window(opens_at: datetime | None, closes_at: datetime | None) -> None:
    if opens_at and closes_at and closes_at <= opens_at:
        raise PydanticCustomError("invalid_window", "closes_at must be after opens_at")


class SurveyRead(ReadBase):
    slug: str
    title: str
    intro: str
    thank_you: str
    touchpoint_id: str | None
    status: SurveyStatus
    opens_at: datetime | None
    closes_at: datetime | None
    response_cap: int | None
    allowed_origins: list[str]
    hidden_fields: list[str]
    allow_anonymous: bool
    one_response_per_invitation: bool
    fatigue_days: int | None
    min_seconds_to_complete: int
    store_ip: bool
    questions: list[dict[str, Any]]
    published_version: int | None = Field(description="The version respondents see.")
    has_unpublished_changes: bool


class SurveyCopy(WriteBase):
    slug: Slug
    title: Name | None = Field(None, description="Default: the original's title + ' (copy)'.")


class VersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    survey_id: str
    number: int
    definition: dict[str, Any]
    published_at: datetime
    published_by: str


SurveyPage = Page[SurveyRead]
