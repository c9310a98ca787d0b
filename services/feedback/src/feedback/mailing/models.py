"""A survey's e-mail delivery settings, and each mail step of each invitation."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from cxshared.db import UTCDateTime
from cxshared.ids import new_id
from cxshared.timeutil import utcnow

DEFAULT_SUBJECT = "{% if reminder %}Reminder: {% endif %}{{ survey_title }}"
DEFAULT_TEXT = """Hello {{ attributes.first_name | default("there", true) }},

{% if reminder %}A few days ago we asked for your opinion; there is still time. {% endif %}\
Would you tell us how it went? It takes a minute:

{{ link }}

The link is yours alone and works until {{ expires_on }}.
"""


class SurveyEmail(SQLModel, table=True):
    """How a survey's invitations are mailed (one row per survey, made when first saved)."""

    __tablename__ = "survey_email"

    survey_id: str = Field(
        sa_column=Column(String(36), ForeignKey("survey.id", ondelete="CASCADE"), primary_key=True)
    )
    enabled: bool = False
    subject_template: str = Field(default=DEFAULT_SUBJECT, max_length=300)
    text_template: str = Field(default=DEFAULT_TEXT, max_length=20_000)
    html_template: str | None = Field(default=None, max_length=50_000)
    embed_nps: bool = True
    reminders: int = 1
    reminder_after_days: int = 3
    tracking: bool = False
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InvitationMail(SQLModel, table=True):
    """One step of an invitation's mail: step 0 is the invitation, 1..N the reminders. The
    unique key makes each step one message, however many sweeps run at once."""

    __tablename__ = "invitation_mail"
    __table_args__ = (UniqueConstraint("invitation_id", "step"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    invitation_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("invitation.id", ondelete="CASCADE"), nullable=False
        )
    )
    step: int
    mail_id: str = Field(max_length=36, index=True)
    # The message's outcome, copied from the mail outbox once it is known (queued until then).
    state: str = Field(default="queued", max_length=20, index=True)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
