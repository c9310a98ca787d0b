from enum import StrEnum
from typing import Any

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


class EvidenceKind(StrEnum):
    """What an opportunity's evidence points at, in the service that owns it."""

    RESPONSE = "response"  # feedback: a survey response
    THEME = "theme"  # metrics: a comment theme
    CASE = "case"  # feedback: a case opened for an unhappy customer
    INCIDENT = "incident"  # metrics: an alert incident on a touchpoint
    FINDING = "finding"  # metrics: an observed-journey finding (an undocumented touchpoint …)


EVIDENCE_SAMPLE = 3


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
    evidence: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    """References {kind, id, label}, in the order they were given."""
    priority_override: float | None = None
    """A priority staff set against the computed one, kept with its reason."""
    priority_reason: str = Field(default="", max_length=1000)

    @property
    def priority(self) -> float:
        if self.priority_override is not None:
            return self.priority_override
        return priority(self.customer_value, self.business_value, self.effort)

    @property
    def evidence_count(self) -> int:
        return len(self.evidence)

    @property
    def evidence_sample(self) -> list[dict[str, Any]]:
        """Up to EVIDENCE_SAMPLE references, one of each kind first, so a card shows the range."""
        firsts: dict[str, dict[str, Any]] = {}
        for reference in self.evidence:
            firsts.setdefault(reference["kind"], reference)
        chosen = list(firsts.values())[:EVIDENCE_SAMPLE]
        rest = [r for r in self.evidence if r not in chosen]
        return (chosen + rest)[:EVIDENCE_SAMPLE]


def priority(customer_value: int, business_value: int, effort: int) -> float:
    """Mean of the two values (0-100) divided by (1 + effort): 0-100, higher first."""
    return round((customer_value + business_value) / 2 / (1 + effort), 1)
