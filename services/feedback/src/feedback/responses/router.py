from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from sqlmodel import col, func, select

from cxshared.auth import Reader
from cxshared.crud import get_or_404
from cxshared.deps import SessionDep
from cxshared.pagination import PageParams, page_params, paginate
from cxshared.types import Identifier, IsoDateTime
from feedback.responses import export
from feedback.responses.models import Response, ResponseStatus
from feedback.responses.schemas import ResponsePage, ResponseRead

router = APIRouter(prefix="/responses", tags=["responses"])

BANDS = {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)}


class ResponseFilters:
    """The filters shared by the list and the export."""

    def __init__(
        self,
        survey_id: Annotated[Identifier | None, Query()] = None,
        touchpoint_id: Annotated[Identifier | None, Query()] = None,
        response_status: Annotated[ResponseStatus | None, Query(alias="status")] = None,
        since: Annotated[IsoDateTime | None, Query(description="Submitted at or after.")] = None,
        until: Annotated[IsoDateTime | None, Query(description="Submitted before.")] = None,
        band: Annotated[
            Literal["promoter", "passive", "detractor"] | None,
            Query(description="By the NPS answer: promoter 9-10, passive 7-8, detractor 0-6."),
        ] = None,
        respondent: Annotated[
            Identifier | None, Query(description="Respondent external id.")
        ] = None,
        text: Annotated[
            str | None,
            Query(
                max_length=200,
                pattern=r"^[^\x00]*$",
                description="Text answers contain this (any case).",
            ),
        ] = None,
    ) -> None:
        self.survey_id = survey_id
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
            query = query.where(
                func.lower(Response.comment).contains(text.lower(), autoescape=True)
            )
        self.query = query


Filters = Annotated[ResponseFilters, Depends()]


@router.get("", response_model=ResponsePage, summary="Responses, newest first, filtered")
def list_responses(
    session: SessionDep,
    _: Reader,
    params: Annotated[PageParams, Depends(page_params)],
    filters: Filters,
) -> Any:
    items, cursor = paginate(
        session, filters.query, order_by=[col(Response.id)], params=params, descending=True
    )
    return ResponsePage(items=items, next_cursor=cursor)


@router.get(
    "/export",
    summary="Export responses as CSV or JSON Lines, streamed, or the CSV's data dictionary",
    description="Same filters as the list. Streamed in batches, so a large export never sits in "
    "memory. CSV has a column per hidden field (`hidden.<name>`) of the surveys exported and, "
    "with `survey_id`, a column per question named by its key; otherwise answers are one JSON "
    "column. `format=dictionary` gives, for the same filters, a CSV with a row per column of "
    "that export: its name, its meaning (a question's prompt), type and the values it takes. "
    "CSV cells that start with =, +, -, @, tab or carriage return are prefixed with ' so that "
    "spreadsheets do not run them as formulas.",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}, "application/x-ndjson": {}}, "description": "The export."}
    },
)
def export_responses(
    _: Reader,
    request: Request,
    filters: Filters,
    export_format: Annotated[Literal["csv", "jsonl", "dictionary"], Query(alias="format")] = "csv",
) -> StreamingResponse:
    engine = request.app.state.engine
    if export_format == "jsonl":
        return StreamingResponse(
            export.jsonl(export.rows(engine, filters.query)),
            media_type="application/x-ndjson",
            headers={"Content-Disposition": 'attachment; filename="responses.jsonl"'},
        )
    columns = export.columns(engine, filters.query, filters.survey_id)
    if export_format == "dictionary":
        return StreamingResponse(
            export.dictionary_lines(columns),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="responses-dictionary.csv"'},
        )
    return StreamingResponse(
        export.csv_lines(export.rows(engine, filters.query), columns),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="responses.csv"'},
    )


@router.get("/{response_id}", response_model=ResponseRead)
def get_response(response_id: str, session: SessionDep, _: Reader) -> Any:
    return get_or_404(session, Response, response_id)
