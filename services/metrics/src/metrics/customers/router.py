from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from cxshared.auth import Reader, Writer
from cxshared.deps import SessionDep
from cxshared.pagination import Page, PageParams, page_params
from cxshared.timeutil import utcnow
from metrics.customers import outcomes, service
from metrics.customers.dependencies import CsvCustomersDep
from metrics.customers.schemas import (
    ClvRead,
    CustomerBatch,
    CustomerRead,
    RevenueAtRiskRead,
    Segment,
    SegmentList,
    Upserted,
)
from metrics.dependencies import SettingsDep

router = APIRouter(tags=["customers and outcomes"])


@router.post(
    "/customers",
    response_model=Upserted,
    summary="Create or update customers by external id (up to 1,000 at once)",
)
def upsert_customers(body: CustomerBatch, session: SessionDep, _: Writer) -> Upserted:
    return service.upsert(session=session, rows=body.customers)


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
def import_customers(_: Writer, rows: CsvCustomersDep, session: SessionDep) -> Upserted:
    return service.upsert(session=session, rows=rows)


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
    items, cursor = service.customers(session=session, segment=segment, params=params)
    return Page[CustomerRead](items=items, next_cursor=cursor)


@router.get("/customers/{external_id}", response_model=CustomerRead, summary="One customer")
def get_customer(external_id: str, session: SessionDep, _: Reader) -> Any:
    return service.get(session=session, external_id=external_id)


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
    response_model=RevenueAtRiskRead,
    summary="Revenue at risk: expected and flagged, overall and by group",
    description="Expected = Σ over active customers of p(churn | their latest NPS category) x "
    "annual revenue, with p the observed churn rate of the category (or the configured prior "
    "while fewer than the minimum customers back it; `churn_probabilities` says which), and "
    "its 95% interval (`expected_low`, `expected_high`) from the observed rates' Wilson "
    "intervals, combined by MOVER; a prior counts as exact. Flagged "
    "= the plain sum of annual revenue of active detractors. By journey and owner team, a "
    "customer counts where their latest NPS answer was given. Amounts are a year's revenue "
    "(`period`) in `currency` (the METRICS_CURRENCY setting).",
)
def get_revenue_at_risk(
    session: SessionDep,
    _: Reader,
    settings: SettingsDep,
    by: Annotated[Literal["segment", "journey", "owner_team"] | None, Query()] = None,
) -> dict[str, Any]:
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
    response_model=ClvRead,
    summary="Customer lifetime value (simple), with every input shown",
    description="annual margin x retention / (1 + discount - retention). Margin = average "
    "annual revenue of active customers x the margin rate; retention is observed (customers "
    "active a year ago still active today) unless set, or a prior (1 - the passives' churn "
    "prior) while no customer was active a year ago; discount is a setting. The 95% interval "
    "carries the observed retention's Wilson interval through the formula. Without active "
    "customers (in the segment) the value is null and `missing` is no_customers.",
)
def get_clv(
    session: SessionDep,
    _: Reader,
    settings: SettingsDep,
    segment: Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00]*$")] = None,
) -> dict[str, Any]:
    return {
        **outcomes.customer_lifetime_value(
            session, settings, segment=segment, today=utcnow().date()
        ),
        "currency": settings.currency,
    }
