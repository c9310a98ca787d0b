from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictFloat

from cxshared.pagination import Page
from cxshared.types import Email, WholeNumber
from feedback.invitations.models import InvitationStatus
from feedback.mailing.schemas import MailDelivery
from feedback.responses.schemas import Channel

ExternalId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]


class Invitee(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: ExternalId
    email: Email | None = None
    attributes: Annotated[
        dict[str, str | WholeNumber | StrictFloat | bool], Field(max_length=30)
    ] = Field(default_factory=dict)


class InvitationBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    respondents: Annotated[list[Invitee], Field(min_length=1, max_length=5000)]
    expires_in_days: WholeNumber = Field(30, ge=1, le=365)
    channel: Channel = Channel.EMAIL


class InvitationCreated(BaseModel):
    id: str
    external_id: str
    token: str = Field(description="128 random bits; the gateway's link is /s/<slug>?t=<token>.")
    link: str
    expires_at: datetime


class Skipped(BaseModel):
    external_id: str
    reason: str = Field(
        description="duplicate_in_batch, already_invited, or fatigue:<rule> (asked too "
        "recently, or fatigue:unsubscribed)."
    )
    detail: str | None = None


class InvitationBatchResult(BaseModel):
    created: list[InvitationCreated]
    skipped: list[Skipped]
    mail: MailDelivery | None = Field(None, description="What was mailed.")


class InvitationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    survey_id: str
    external_id: str
    email: str | None
    attributes: dict[str, Any]
    channel: str
    status: InvitationStatus
    expires_at: datetime | None
    created_at: datetime
    sent_at: datetime | None = Field(
        None, description="When the SMTP server accepted its mail (null until then)."
    )
    opened_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None


InvitationPage = Page[InvitationRead]


class OpenedInvitation(BaseModel):
    survey_slug: str
    status: InvitationStatus
