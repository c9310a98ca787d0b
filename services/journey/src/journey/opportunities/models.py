from enum import StrEnum

from sqlalchemy import Column, ForeignKey, String
from sqlmodel import Field

from cxshared.db import JSONType
from cxshared.models import Editable


class OpportunityKind(StrEnum):
    PAIN_POINT = "pain_point"
    UNMET_NEED = "unmet_need"
    IDEA = "idea"


class OpportunityStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DISMISSED = "dismissed"


class Opportunity(Editable, table=True):
    __tablename__ = "opportunity"

    journey_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("journey.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    stage_id: str | None = Field(
        default=None,
        sa_column=Column(String(36), ForeignKey("stage.id", ondelete="CASCADE"), index=True),
    )
    touchpoint_id: str | None = Field(
        default=None,
        sa_column=Column(String(36), ForeignKey("touchpoint.id", ondelete="CASCADE"), index=True),
    )
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    kind: str = Field(max_length=20)
    status: str = Field(default=OpportunityStatus.OPEN, max_length=20)
    owner_name: str = Field(default="", max_length=200)
    owner_email: str | None = Field(default=None, max_length=320)
    customer_value: int = 50
    business_value: int = 50
    effort: int = 3
    evidence: list[str] = Field(default_factory=list, sa_type=JSONType)

    @property
    def priority(self) -> float:
        return priority(self.customer_value, self.business_value, self.effort)


def priority(customer_value: int, business_value: int, effort: int) -> float:
    """Mean of the two values (0-100) divided by (1 + effort): 0-100, higher first."""
    return round((customer_value + business_value) / 2 / (1 + effort), 1)
