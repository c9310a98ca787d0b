"""Reading responses as staff do: filtered, a page at a time or every one for an export."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select
from sqlmodel import Session, col, func, select

from cxshared.pagination import PageParams, paginate
from feedback.responses.models import Response

Band = Literal["promoter", "passive", "detractor"]
BANDS: dict[Band, tuple[int, int]] = {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)}


@dataclass(frozen=True)
class ResponseFilters:
    """Each one given narrows the responses; `since` is inclusive, `until` exclusive, `band`
    is by the NPS answer and `text` is looked for in the comment, in any case."""

    survey_id: str | None = None
    touchpoint_id: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    band: Band | None = None
    respondent: str | None = None
    ids: tuple[str, ...] | None = None
    text: str | None = None


def matching(filters: ResponseFilters) -> Select[Any]:
    """The responses the filters select, in no order."""
    query = select(Response)
    for column, value in (
        (Response.survey_id, filters.survey_id),
        (Response.touchpoint_id, filters.touchpoint_id),
        (Response.status, filters.status),
        (Response.respondent_external_id, filters.respondent),
    ):
        if value is not None:
            query = query.where(column == value)
    if filters.ids is not None:
        query = query.where(col(Response.id).in_(filters.ids))
    if filters.since is not None:
        query = query.where(col(Response.submitted_at) >= filters.since)
    if filters.until is not None:
        query = query.where(col(Response.submitted_at) < filters.until)
    if filters.band is not None:
        low, high = BANDS[filters.band]
        query = query.where(col(Response.nps_score).between(low, high))
    if filters.text:
        query = query.where(
            func.lower(Response.comment).contains(filters.text.lower(), autoescape=True)
        )
    return query


def list_responses(
    *, session: Session, params: PageParams, filters: ResponseFilters
) -> tuple[list[Response], str | None]:
    """A page of the matching responses, newest first."""
    return paginate(
        session, matching(filters), order_by=[col(Response.id)], params=params, descending=True
    )
