from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session

from cxshared.auth import Reader, Writer
from cxshared.deps import SessionDep
from cxshared.pagination import Page, PageParams, page_params
from cxshared.timeutil import utcnow
from metrics.customers import churn_model, outcomes, service
from metrics.customers.dependencies import ChurnModelsDep, CsvCustomersDep
from metrics.customers.schemas import (
    AtRiskPage,
    ChurnModelRead,
    ClvRead,
    CustomerBatch,
    CustomerRead,
    CustomerWrite,
    RevenueAtRiskRead,
    Segment,
    SegmentList,
    Upserted,
)
from metrics.dependencies import SettingsDep
from metrics.observed import service as observed

router = APIRouter(tags=["customers and outcomes"])


@router.post(
    "/customers",
    response_model=Upserted,
    summary="Create or update customers by external id (up to 1,000 at once)",
)
def upsert_customers(body: CustomerBatch, session: SessionDep, _: Writer) -> Upserted:
    return _upsert(session, body.customers)


def _upsert(session: Session, rows: list[CustomerWrite]) -> Upserted:
    upserted, moved = service.upsert(session=session, rows=rows)
    # Their activity follows them into the new segment's observed journeys.
    observed.resegment(session, moved)
    session.commit()
    return upserted


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
    return _upsert(session, rows)


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
    description="Expected = Σ over active customers of p(churn) x annual revenue. p comes from "
    "the churn model when it beats the churn rates by NPS category on held-out customers "
    "(`method` model; see GET /v1/outcomes/churn-model), else from the customer's latest NPS "
    "category (`method` category_rates): the observed churn rate of the category, or the "
    "configured prior while fewer than the minimum customers back it (`churn_probabilities` "
    "says which). Its 95% interval (`expected_low`, `expected_high`): with the category rates, "
    "their Wilson intervals combined by MOVER, a prior counting as exact; with the model, the "
    "delta method over its coefficients' uncertainty. Flagged = the plain sum of annual revenue "
    "of active detractors. By journey and owner team, a customer counts where their latest NPS "
    "answer was given. Amounts are a year's revenue (`period`) in `currency` (the "
    "METRICS_CURRENCY setting).",
)
def get_revenue_at_risk(
    session: SessionDep,
    _: Reader,
    settings: SettingsDep,
    models: ChurnModelsDep,
    by: Annotated[Literal["segment", "journey", "owner_team"] | None, Query()] = None,
) -> dict[str, Any]:
    model = models.current(session, settings)
    if model.in_use:
        result = churn_model.revenue_at_risk(model, session, by=by)
        as_of, expected = model.fitted_at, "p(churn) from the churn model's inputs"
    else:
        result = outcomes.revenue_at_risk(session, settings, by=by, today=utcnow().date())
        as_of, expected = utcnow(), "p(churn | latest NPS category)"
    return {
        **result,
        "method": "model" if model.in_use else "category_rates",
        "method_reason": model.reason,
        "as_of": as_of,
        "currency": settings.currency,
        "period": "year",
        "rule": {
            "expected": f"sum over active customers of {expected} x annual revenue",
            "flagged": "sum of annual revenue of active customers whose latest NPS answer is 0-6",
        },
    }


@router.get(
    "/outcomes/churn-model",
    response_model=ChurnModelRead,
    summary="The churn model: its inputs, its held-out performance, and whether it is used",
    description="A logistic regression (L2-regularised, standardised inputs, penalty chosen by "
    "5-fold cross-validation) of churn within the 365 days after a customer's latest NPS "
    "answer, on what was known then: that answer and its category, the change from the answer "
    "before and the days between them, the mean experience at each touchpoint answered by the "
    "minimum customers (and whether it was answered), tenure, log annual revenue and segment. "
    "It is fitted on 70% of the customers (stratified, seeded) and checked on the other 30% "
    "against the churn rates by NPS category of the same 70%: Brier scores, skill score, AUC "
    "and calibration. It is used for revenue at risk and the at-risk list only when its Brier "
    "score is lower with a 95% paired-bootstrap interval of the difference above 0; then it is "
    "refitted on every customer, whose coefficients are shown. Below "
    f"{churn_model.MIN_CUSTOMERS} customers, or {churn_model.MIN_EACH_OUTCOME} who churned or "
    "stayed, no model is fitted. The fit is reused until the data changed and it is older than "
    "METRICS_CHURN_MODEL_REFIT_SECONDS.",
)
def get_churn_model(
    session: SessionDep, _: Reader, settings: SettingsDep, models: ChurnModelsDep
) -> dict[str, Any]:
    return models.current(session, settings).summary


@router.get(
    "/outcomes/at-risk",
    response_model=AtRiskPage,
    summary="Active customers by expected revenue lost, with each one's churn probability",
    description="Active customers with an NPS answer, the largest expected loss (p(churn) x "
    "annual revenue) first. p and `method` as in revenue at risk; with the model each customer "
    "has up to 3 reasons, the inputs that raise their churn odds most against an average "
    "customer's (by 25% or more) and read as a risk (an NPS answer or experience below the "
    "average, an NPS answer that fell); with the category rates, their latest NPS category. "
    "`segment` matches any case; `customer` keeps the one customer (none: not at risk, or "
    "unknown).",
)
def list_at_risk(
    session: SessionDep,
    _: Reader,
    settings: SettingsDep,
    models: ChurnModelsDep,
    params: Annotated[PageParams, Depends(page_params)],
    segment: Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00]*$")] = None,
    customer: Annotated[
        str | None, Query(max_length=200, pattern=r"^[^\x00]+$", description="External id.")
    ] = None,
) -> dict[str, Any]:
    model = models.current(session, settings)
    entries = churn_model.at_risk(model, session, settings, segment=segment, customer=customer)
    items, cursor = churn_model.page(entries, params)
    return {
        "items": items,
        "next_cursor": cursor,
        "method": "model" if model.in_use else "category_rates",
        "method_reason": model.reason,
        "as_of": model.fitted_at if model.in_use else utcnow(),
        "currency": settings.currency,
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
