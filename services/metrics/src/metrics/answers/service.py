"""The answers behind a score: the very facts its rollup rows add up, so a list and the score
it explains always count the same (docs/metrics.md, "The answers behind a score")."""

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlmodel import Session, col

from cxshared.pagination import PageParams, decode_cursor, encode_cursor
from cxshared.problems import Problem
from metrics.answers.schemas import AnswerPage, AnswerRead
from metrics.dimension.models import TouchpointDim
from metrics.facts.models import ResponseFact
from metrics.scores.service import Filters, same_segment

F = ResponseFact
T = TouchpointDim

# Each metric's answer and its categories: the ranges that NPS, CSAT's top-two box and CES's
# "% agree" split answers into (and that alerts call bad: detractors, CSAT 1-3, CES 1-4).
CATEGORIES: dict[str, dict[str, tuple[int, int]]] = {
    "nps": {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)},
    "csat": {"satisfied": (4, 5), "not_satisfied": (1, 3)},
    "ces": {"agree": (5, 7), "not_agree": (1, 4)},
}
_COLUMNS = {"nps": F.nps, "csat": F.csat, "ces": F.ces}


def selection(filters: Filters, metric: str | None, category: str | None) -> Select[Any]:
    """The facts a score over `filters` counts: unflagged, in the period's days, narrowed as
    the rollups are; with `metric`, those that answered it, with `category`, in its range."""
    query = select(F).where(
        col(F.flagged).is_(False), col(F.day).between(filters.start, filters.end)
    )
    for column, value in (
        (F.touchpoint_id, filters.touchpoint_id),
        (F.channel, filters.channel),
        (F.survey_id, filters.survey_id),
    ):
        if value is not None:
            query = query.where(col(column) == value)
    if filters.segment is not None:
        query = query.where(same_segment(F.segment, filters.segment))
    if filters.needs_dimension:
        query = query.join(T, col(T.id) == F.touchpoint_id)
        for dimension_column, wanted in (
            (T.journey_id, filters.journey_id),
            (T.stage_id, filters.stage_id),
            (T.owner_team_id, filters.owner_team_id),
        ):
            if wanted is not None:
                query = query.where(col(dimension_column) == wanted)
    if metric is not None:
        answer = col(_COLUMNS[metric])
        query = query.where(answer.is_not(None))
        if category is not None:
            query = query.where(answer.between(*CATEGORIES[metric][category]))
    return query


def count(session: Session, query: Select[Any]) -> int:
    return int(session.execute(select(func.count()).select_from(query.subquery())).scalar_one())


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    """The position a page's cursor holds: the last answer's time and response id."""
    if not cursor:
        return None
    submitted, response_id = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(str(submitted)), str(response_id)
    except ValueError as exc:
        raise Problem(
            400, "invalid-cursor", "Invalid cursor", "The cursor is not one we made."
        ) from exc


def page(
    *, session: Session, query: Select[Any], params: PageParams
) -> tuple[list[ResponseFact], str | None]:
    """Newest first, after the cursor's position; the cursor of the next page when there are
    more. (cxshared's paginate would compare the cursor's text with the submission time.)"""
    position = _after(params.cursor)
    limit = params.limit
    if position is not None:
        submitted, response_id = position
        query = query.where(
            or_(
                col(F.submitted_at) < submitted,
                and_(col(F.submitted_at) == submitted, col(F.response_id) < response_id),
            )
        )
    rows = list(
        session.execute(
            query.order_by(col(F.submitted_at).desc(), col(F.response_id).desc()).limit(limit + 1)
        ).scalars()
    )
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor([rows[-1].submitted_at.isoformat(), rows[-1].response_id])


def answers(
    *,
    session: Session,
    filters: Filters,
    metric: str | None,
    category: str | None,
    params: PageParams,
) -> AnswerPage:
    """A page of the answers a score over `filters` counts, with their count: the score's n."""
    query = selection(filters, metric, category)
    rows, cursor = page(session=session, query=query, params=params)
    return AnswerPage(
        items=[AnswerRead.model_validate(row, from_attributes=True) for row in rows],
        total=count(session, query),
        next_cursor=cursor,
    )


def answer(session: Session, response_id: str) -> AnswerRead:
    """One response as metrics counts it; 404 when it has none (never sent, or erased)."""
    row = session.get(ResponseFact, response_id)
    if row is None:
        raise Problem(404, "not-found", "Not found", f"No answer {response_id}.")
    return AnswerRead.model_validate(row, from_attributes=True)
