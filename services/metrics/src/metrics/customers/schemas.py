from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from cxshared.types import IsoDate

ExternalId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]*\S[^\x00]*$")]


class CustomerWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: ExternalId = Field(description="The respondent external id responses carry.")
    name: Annotated[str, Field(max_length=200, pattern=r"^[^\x00]*$")] = ""
    segment: Annotated[str, Field(max_length=100, pattern=r"^[^\x00]*$")] = ""
    annual_revenue: float = Field(0, ge=0, le=1e12, allow_inf_nan=False, strict=True)
    start_date: IsoDate | None = None
    churn_date: IsoDate | None = Field(None, description="When they left; empty while active.")


class CustomerRead(CustomerWrite):
    model_config = ConfigDict(from_attributes=True)


class CustomerBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customers: Annotated[list[CustomerWrite], Field(min_length=1, max_length=1000)]


class Upserted(BaseModel):
    created: int
    updated: int


class Segment(BaseModel):
    key: str = Field(description="As customers and answers carry it; filters match any case.")
    customers: int = Field(description="Customer records in it (0: known from answers only).")


class SegmentList(BaseModel):
    items: list[Segment]
