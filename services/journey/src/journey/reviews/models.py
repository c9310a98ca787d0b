from datetime import date

from sqlalchemy import Column, ForeignKey, String
from sqlmodel import Field

from cxshared.db import JSONType
from cxshared.models import Editable


class JourneyReview(Editable, table=True):
    """A review of a journey: who held it, on which day, what was decided, and which of the
    reasons then flagged (metrics' review signals, by key) it dealt with. A reason whose key a
    review acknowledged does not flag the journey again; a new one does."""

    __tablename__ = "journey_review"

    journey_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("journey.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    reviewed_on: date
    decision: str = Field(max_length=5000)
    acknowledged: list[str] = Field(default_factory=list, sa_type=JSONType)
