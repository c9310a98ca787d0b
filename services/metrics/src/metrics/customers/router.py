import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func
from sqlmodel import col, select

from cxshared.auth import Reader, Writer
from cxshared.deps import SessionDep
from cxshared.pagination import Page, PageParams, page_params, paginate
from cxshared.problems import Problem
from cxshared.timeutil import utcnow
from cxshared.types import IsoDate
from metrics.customers import outcomes, service
from metrics.customers.models import Customer

router = APIRouter(tags=["customers and outcomes"])

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


def _upsert(session: Any, rows: list[CustomerWrite]) -> Upserted:
    created = updated = 0
    for row in {r.external_id: r for r in rows}.values():
        customer = session.get(Customer, row.external_id)
        if customer is None:
            customer = Customer(external_id=row.external_id)
            created += 1
        else:
            updated += 1
        for name, value in row.model_dump(exclude={"external_id"}).items():
            setattr(customer, name, value)
        customer.updated_at = utcnow()
        session.add(customer)
    session.commit()
    return Upserted(created=created, updated=updated)


@router.post(
    "/customers",
    response_model=Upserted,
    summary="Create or update customers by external id (up to 1,000 at once)",
)
def upsert_customers(body: CustomerBatch, session: SessionDep, _: Writer) -> Upserted:
    return _upsert(session, body.customers)


@router.post(
    "/customers/import",
    response_model=Upserted,
    summary="Create or update customers from a CSV body",
    description="Header: external_id, name, segment, annual_revenue, start_date, churn_date "
    "(dates as YYYY-MM-DD, empty when unknown). The whole file is refused if a row is invalid; "
    "the error names the row.",
    openapi_extra={
        "requestBody": {
            "content": {"text/csv": {"schema": {"type": "string", "minLength": 1}}},
            "required": True,
        }
    },
)
async def import_customers(request: Request, session: SessionDep, _: Writer) -> Upserted:
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Problem(400, "bad-request", "Bad request", "The CSV must be UTF-8.") from exc
    rows = []
    for line, raw in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        values = {k: v for k, v in raw.items() if k and v not in (None, "")}
        try:
            # Every CSV value is text: "1200" is read as a number here, as nowhere in JSON.
            rows.append(CustomerWrite.model_validate(values, strict=False))
        except ValidationError as exc:
            first = exc.errors()[0]
            raise Problem(
                422,
                "invalid-csv",
                "Invalid CSV",
                f"row {line}: {'.'.join(str(p) for p in first['loc'])}: {first['msg']}",
            ) from exc
    if not rows:
        raise Problem(422, "invalid-csv", "Invalid CSV", "The CSV has no customer rows.")
    return _upsert(session, rows)


class Segment(BaseModel):
    key: str = Field(description="As customers and answers carry it; filters match any case.")
    customers: int = Field(description="Customer records in it (0: known from answers only).")


class SegmentList(BaseModel):
    items: list[Segment]


@router.get(
    "/segments",
    response_model=SegmentList,
    summary="The segments of customers and answers, for a segment filter to offer",
)
def list_segments(session: SessionDep, _: Reader) -> SegmentList:
    return SegmentList(
        items=[Segment(key=key, customers=n) for key, n in service.segments(session)]
    )


@router.get("/customers", response_model=Page[CustomerRead], summary="Customers, by external id")
def list_customers(
    session: SessionDep,
    _: Reader,
    params: Annotated[PageParams, Depends(page_params)],
    segment: Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00]*$")] = None,
) -> Any:
    query = select(Customer)
    if segment is not None:
        query = query.where(func.lower(Customer.segment) == func.lower(segment))
    items, cursor = paginate(session, query, order_by=[col(Customer.external_id)], params=params)
    return Page[CustomerRead](items=items, next_cursor=cursor)


@router.get("/customers/{external_id}", response_model=CustomerRead, summary="One customer")
def get_customer(external_id: str, session: SessionDep, _: Reader) -> Any:
    customer = session.get(Customer, external_id)
    if customer is None:
        raise Problem(404, "not-found", "Not found", f"No customer {external_id!r}.")
    return customer


@router.get(
    "/outcomes/churn",
    summary="Churn rate by latest NPS category, with Wilson intervals",
    description="For customers whose latest NPS answer is promoter (9-10), passive (7-8) or "
    "detractor (0-6): the share who churned within the 12 months after that answer. Answers "
    "less than a year old have had less time to show churn, so their rates are lower bounds.",
)
def get_churn(session: SessionDep, _: Reader) -> dict[str, Any]:
    return {
        c: {"rate": e.value, "low": e.low, "high": e.high, "n": e.n}
        for c, e in outcomes.churn_by_category(session).items()
    }


@router.get(
    "/outcomes/revenue-at-risk",
    summary="Revenue at risk: expected and flagged, overall and by group",
    description="Expected = Σ over active customers of p(churn | their latest NPS category) x "
    "annual revenue, with p the observed churn rate of the category (or the configured prior "
    "while fewer than the minimum customers back it; `churn_probabilities` says which). Flagged "
    "= the plain sum of annual revenue of active detractors. By journey and owner team, a "
    "customer counts where their latest NPS answer was given. Amounts are a year's revenue "
    "(`period`) in `currency` (the METRICS_CURRENCY setting).",
)
def get_revenue_at_risk(
    request: Request,
    session: SessionDep,
    _: Reader,
    by: Annotated[Literal["segment", "journey", "owner_team"] | None, Query()] = None,
) -> dict[str, Any]:
    settings = request.app.state.settings
    result = outcomes.revenue_at_risk(session, settings, by=by, today=utcnow().date())
    return {
        **result,
        "currency": settings.currency,
        "period": "year",
        "rule": {
            "expected": "sum over active customers of p(churn | latest NPS category)"
            " x annual revenue",
            "flagged": "sum of annual revenue of active customers whose latest NPS answer is 0-6",
        },
    }


@router.get(
    "/outcomes/clv",
    summary="Customer lifetime value (simple), with every input shown",
    description="annual margin x retention / (1 + discount - retention). Margin = average "
    "annual revenue of active customers x the margin rate; retention is observed (customers "
    "active a year ago still active today) unless set; discount is a setting.",
)
def get_clv(
    request: Request,
    session: SessionDep,
    _: Reader,
    segment: Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00]*$")] = None,
) -> dict[str, Any]:
    settings = request.app.state.settings
    return {
        **outcomes.customer_lifetime_value(
            session, settings, segment=segment, today=utcnow().date()
        ),
        "currency": settings.currency,
    }
