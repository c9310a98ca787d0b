from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from sqlmodel import col, func, select

from cxshared.auth import Reader
from cxshared.crud import get_or_404
from cxshared.deps import SessionDep
from cxshared.pagination import PageParams, page_params, paginate
from cxshared.types import Identifier, IsoDateTime
from feedback.responses.models import Response, ResponseStatus
from feedback.responses.schemas import ResponsePage, ResponseRead

router = APIRouter(prefix="/responses", tags=["responses"])

BANDS = {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)}


@router.get("", response_model=ResponsePage, summary="Responses, newest first, filtered")
def list_responses(
    session: SessionDep,
    _: Reader,
    params: Annotated[PageParams, Depends(page_params)],
    survey_id: Annotated[Identifier | None, Query()] = None,
    touchpoint_id: Annotated[Identifier | None, Query()] = None,
    response_status: Annotated[ResponseStatus | None, Query(alias="status")] = None,
    since: Annotated[IsoDateTime | None, Query(description="Submitted at or after.")] = None,
    until: Annotated[IsoDateTime | None, Query(description="Submitted before.")] = None,
    band: Annotated[
        Literal["promoter", "passive", "detractor"] | None,
        Query(description="By the NPS answer: promoter 9-10, passive 7-8, detractor 0-6."),
    ] = None,
    respondent: Annotated[Identifier | None, Query(description="Respondent external id.")] = None,
    text: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=r"^[^\x00]*$",
            description="Text answers contain this (any case).",
        ),
    ] = None,
) -> Any:
    query = select(Response)
    for column, value in (
        (Response.survey_id, survey_id),
        (Response.touchpoint_id, touchpoint_id),
        (Response.status, response_status),
        (Response.respondent_external_id, respondent),
    ):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(col(Response.submitted_at) >= since)
    if until is not None:
        query = query.where(col(Response.submitted_at) < until)
    if band is not None:
        low, high = BANDS[band]
        query = query.where(col(Response.nps_score).between(low, high))
    if text:
        query = query.where(func.lower(Response.comment).contains(text.lower(), autoescape=True))
    items, cursor = paginate(
        session, query, order_by=[col(Response.id)], params=params, descending=True
    )
    return ResponsePage(items=items, next_cursor=cursor)


@router.get("/{response_id}", response_model=ResponseRead)
def get_response(response_id: str, session: SessionDep, _: Reader) -> Any:
    return get_or_404(session, Response, response_id)
