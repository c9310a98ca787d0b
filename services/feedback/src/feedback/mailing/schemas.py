from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat

from cxshared.types import WholeNumber
from feedback.mailing.templates import MAX_BODY_TEMPLATE, MAX_SUBJECT_TEMPLATE, VARIABLES

Attributes = dict[str, str | WholeNumber | StrictFloat | bool]
SAMPLE_ATTRIBUTES: Attributes = {"first_name": "Ana"}
_VARIABLES = ", ".join(f"`{name}`" for name in VARIABLES)


class EmailSettingsUpdate(BaseModel):
    """A survey's e-mail delivery. The templates are Jinja, rendered in a sandbox with the
    invitee's values (docs/email.md, "Invitation templates"); a template that does not parse,
    names an unknown variable or reaches past its values is refused with 422."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(
        description="Mail each invitation made with channel `email` and an address."
    )
    subject_template: Annotated[str, Field(min_length=1)] = Field(
        description=f"One line once rendered; at most {MAX_SUBJECT_TEMPLATE} characters. "
        f"Variables: {_VARIABLES}.",
        examples=["{% if reminder %}Reminder: {% endif %}How was your delivery?"],
    )
    text_template: Annotated[str, Field(min_length=1)] = Field(
        description=f"The plain-text body, at most {MAX_BODY_TEMPLATE} characters. The HTML "
        "part is made from it unless `html_template` is set: escaped, paragraphs at blank "
        "lines, addresses as links. Must contain `{{ link }}`.",
        examples=[
            "Hello {{ attributes.first_name | default('there', true) }},\n\n"
            "How was your delivery? {{ link }}\n"
        ],
    )
    html_template: str | None = Field(
        None,
        description="Optional HTML body, rendered with every value escaped (autoescape); "
        "must contain `{{ link }}`. Null: the HTML part is made from the text.",
    )
    embed_nps: bool = Field(
        True,
        description="When the survey's first question is NPS, the mail carries it as eleven "
        "links 0-10; a click opens the survey with that answer recorded.",
    )
    reminders: WholeNumber = Field(1, ge=0, le=5, description="At most this many reminders.")
    reminder_after_days: WholeNumber = Field(
        3, ge=1, le=60, description="Days after the previous mail was sent."
    )
    tracking: bool = Field(
        False,
        description="Add a one-pixel image that records when the mail was first shown. Off: "
        "nothing in the mail tracks its reader.",
    )


class EmailSettings(EmailSettingsUpdate):
    model_config = ConfigDict(from_attributes=True)

    mail_configured: bool = Field(
        description="Whether the service has an SMTP server and FEEDBACK_PUBLIC_URL; when "
        "false nothing is mailed, whatever `enabled` says."
    )
    not_configured_reason: str | None = Field(
        None, examples=["e-mail is not configured: set FEEDBACK_SMTP_URL"]
    )
    variables: dict[str, str] = Field(
        default_factory=lambda: dict(VARIABLES), description="What a template may use."
    )
    updated_at: datetime | None = None


class PreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    settings: EmailSettingsUpdate | None = Field(
        None, description="Templates to try before saving them; null: the saved ones."
    )
    external_id: Annotated[str, Field(min_length=1, max_length=200)] = "sample-1"
    email: Annotated[str, Field(max_length=320)] = "ana@example.com"
    attributes: Attributes = Field(default_factory=lambda: dict(SAMPLE_ATTRIBUTES), max_length=30)
    reminder: WholeNumber = Field(0, ge=0, le=5)


class TestMailRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Annotated[str, Field(min_length=3, max_length=320)] = Field(
        description="Where the test goes (the gateway sends it to the signed-in staff member)."
    )
    settings: EmailSettingsUpdate | None = Field(
        None, description="Templates to try before saving them; null: the saved ones."
    )
    reminder: WholeNumber = Field(0, ge=0, le=5)


class TestMailResult(BaseModel):
    queued: Literal[True] = True
    to: str
    message_id: str = Field(description="Its status: GET /v1/mail/messages/{message_id}.")


class Preview(BaseModel):
    subject: str
    text: str
    html: str
    headers: dict[str, str] = Field(
        description="The extra headers the mail carries (List-Unsubscribe ...)."
    )


class MailDelivery(BaseModel):
    """What happened to a batch's mail."""

    delivery: Literal["mailed", "off", "not_configured"] = Field(
        description="mailed: queued for the SMTP server; off: the survey's e-mail delivery is "
        "off; not_configured: the service has no SMTP server or public address, so nothing "
        "was queued."
    )
    detail: str | None = None
    queued: int = 0
    not_mailed: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Invitations made but not mailed: `{external_id, reason, detail}`; reason "
        "no_address, not_email_channel or invalid_mail (a value that would break the mail).",
    )


class UnsubscribeInfo(BaseModel):
    address: str | None = Field(description="The address, partly hidden: a***@example.com.")
    unsubscribed: bool


class UnsubscribeResult(BaseModel):
    unsubscribed: Literal[True] = True
    stopped: int = Field(description="Invitations, from every survey, that will get no more mail.")


class FirstAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: WholeNumber = Field(ge=0, le=10, description="The score clicked in the mail.")
