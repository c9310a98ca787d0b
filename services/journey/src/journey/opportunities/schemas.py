from typing import Annotated

from pydantic import BaseModel, Field

from cxshared.pagination import Page
from cxshared.schemas import ReadBase, WriteBase
from cxshared.types import NOT_BOOLEAN, Email, Identifier, LongText, Name, OptionalName, WholeNumber
from journey.opportunities.models import EvidenceKind, OpportunityKind, OpportunityStatus


class EvidenceRef(WriteBase):
    """One piece of evidence, by reference to the service that holds it."""

    kind: EvidenceKind = Field(
        description="response or case (feedback); theme, incident or finding (metrics)."
    )
    id: Identifier = Field(examples=["01a24ece-e904-769e-abfb-1f048899659f"])
    label: OptionalName = Field(
        "", description="What to show for it, e.g. the customer's words or the theme's name."
    )


class EvidenceRead(BaseModel):
    kind: EvidenceKind
    id: str
    label: str


Evidence = Annotated[
    list[EvidenceRef | Identifier],
    Field(
        max_length=200,
        description="References to what shows this opportunity. A bare id is a survey response "
        "(kind `response`), as before typed references existed. A reference given twice is kept "
        "once.",
    ),
]
PRIORITY = (
    "`priority_override` when staff set one; else computed: mean of customer and business "
    "value, divided by (1 + effort). 0-100."
)
OVERRIDE = (
    "A priority (0-100) set by staff in place of the computed one; it needs a "
    "`priority_reason`. Null clears both."
)
REASON = "Why the priority was overridden: kept with it, and in the change history."


class OpportunityFields(WriteBase):
    title: Name = Field(examples=["Let subscribers skip a week in one tap"])
    description: LongText = ""
    kind: OpportunityKind
    status: OpportunityStatus = OpportunityStatus.OPEN
    owner_name: OptionalName = ""
    owner_email: Email | None = None
    customer_value: WholeNumber = Field(50, ge=0, le=100)
    business_value: WholeNumber = Field(50, ge=0, le=100)
    effort: WholeNumber = Field(3, ge=0, le=5, description="0 (trivial) to 5 (very large).")
    evidence: Evidence = Field(default_factory=list)
    priority_override: float | None = Field(None, ge=0, le=100, strict=True, description=OVERRIDE)
    priority_reason: Annotated[str, Field(max_length=1000, description=REASON)] = ""


class OpportunityCreate(OpportunityFields):
    """Posted to the stage or touchpoint it belongs to."""


class OpportunityUpdate(WriteBase):
    title: Name | None = None
    description: LongText | None = None
    kind: OpportunityKind | None = None
    status: OpportunityStatus | None = None
    owner_name: OptionalName | None = None
    owner_email: Email | None = None
    customer_value: Annotated[int, Field(ge=0, le=100), NOT_BOOLEAN] | None = None
    business_value: Annotated[int, Field(ge=0, le=100), NOT_BOOLEAN] | None = None
    effort: Annotated[int, Field(ge=0, le=5), NOT_BOOLEAN] | None = None
    evidence: Evidence | None = None
    priority_override: Annotated[float, Field(ge=0, le=100, strict=True)] | None = Field(
        None, description=OVERRIDE
    )
    priority_reason: Annotated[str, Field(max_length=1000, description=REASON)] | None = None


class OpportunityRead(ReadBase):
    journey_id: str
    stage_id: str | None
    touchpoint_id: str | None
    title: str
    description: str
    kind: OpportunityKind
    status: OpportunityStatus
    owner_name: str
    owner_email: str | None
    customer_value: int
    business_value: int
    effort: int
    priority: float = Field(description=PRIORITY)
    priority_override: float | None
    priority_reason: str
    evidence: list[EvidenceRead]
    evidence_count: int
    evidence_sample: list[EvidenceRead] = Field(
        description="Up to 3 references, one of each kind first: what a card shows."
    )


OpportunityPage = Page[OpportunityRead]
