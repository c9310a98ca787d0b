from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from cxshared.auth import Reader
from cxshared.crud import get_or_404
from cxshared.deps import EngineDep, SessionDep
from cxshared.types import Identifier, IsoDateTime
from feedback.dependencies import PageDep
from feedback.responses import export, service
from feedback.responses.models import Response, ResponseStatus
from feedback.responses.schemas import ResponsePage, ResponseRead

router = APIRouter(prefix="/responses", tags=["responses"])


async def response_filters(
    survey_id: Annotated[Identifier | None, Query()] = None,
    touchpoint_id: Annotated[Identifier | None, Query()] = None,
    response_status: Annotated[ResponseStatus | None, Query(alias="status")] = None,
    since: Annotated[IsoDateTime | None, Query(description="Submitted at or after.")] = None,
    until: Annotated[IsoDateTime | None, Query(description="Submitted before.")] = None,
    band: Annotated[
        service.Band | None,
        Query(description="By the NPS answer: promoter 9-10, passive 7-8, detractor 0-6."),
    ] = None,
    respondent: Annotated[Identifier | None, Query(description="Respondent external id.")] = None,
    ids: Annotated[
        list[Identifier] | None,
        Query(
            alias="id",
            max_length=100,
            description="Only these responses (repeat the parameter, at most 100): which of a "
            "list of ids, from metrics' answers say, feedback holds.",
        ),
    ] = None,
    text: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=r"^[^\x00]*$",
            description="Text answers contain this (any case).",
        ),
    ] = None,
) -> service.ResponseFilters:
    """The filters shared by the list and the export."""
    return service.ResponseFilters(
        survey_id=survey_id,
        touchpoint_id=touchpoint_id,
        status=response_status,
        since=since,
        until=until,
        band=band,
        respondent=respondent,
        ids=tuple(ids) if ids else None,
        text=text,
    )


Filters = Annotated[service.ResponseFilters, Depends(response_filters)]


@router.get("", response_model=ResponsePage, summary="Responses, newest first, filtered")
def list_responses(session: SessionDep, _: Reader, params: PageDep, filters: Filters) -> Any:
    items, cursor = service.list_responses(session=session, params=params, filters=filters)
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
    engine: EngineDep,
    filters: Filters,
    export_format: Annotated[Literal["csv", "jsonl", "dictionary"], Query(alias="format")] = "csv",
) -> StreamingResponse:
    query = service.matching(filters)
    if export_format == "jsonl":
        return StreamingResponse(
            export.jsonl(export.rows(engine, query)),
            media_type="application/x-ndjson",
            headers={"Content-Disposition": 'attachment; filename="responses.jsonl"'},
        )
    columns = export.columns(engine, query, filters.survey_id)
    if export_format == "dictionary":
        return StreamingResponse(
            export.dictionary_lines(columns),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="responses-dictionary.csv"'},
        )
    return StreamingResponse(
        export.csv_lines(export.rows(engine, query), columns),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="responses.csv"'},
    )


@router.get("/{response_id}", response_model=ResponseRead)
def get_response(response_id: str, session: SessionDep, _: Reader) -> Any:
    return get_or_404(session, Response, response_id)
