from typing import Annotated

from fastapi import APIRouter, Depends, Query

from cxshared.auth import Reader
from cxshared.deps import SessionDep
from cxshared.pagination import PageParams, encode_cursor, page_params
from metrics.answers import service
from metrics.answers.schemas import AnswerPage, AnswerRead, Category
from metrics.dependencies import FiltersDep, query_error
from metrics.scores.schemas import Metric

router = APIRouter(prefix="/answers", tags=["answers"])


@router.get(
    "",
    response_model=AnswerPage,
    summary="The answers behind a score, newest first, with their count",
    description="Same filters as `GET /v1/scores`: the responses a score with those filters "
    "counts (flagged ones left out), so `total` is its n. `metric` keeps those that answered "
    "it; `category` narrows to a band of it: NPS promoter 9-10, passive 7-8, detractor 0-6; "
    "CSAT satisfied 4-5, not_satisfied 1-3; CES agree 5-7, not_agree 1-4.",
)
def list_answers(
    session: SessionDep,
    _: Reader,
    params: Annotated[PageParams, Depends(page_params)],
    filters: FiltersDep,
    metric: Annotated[Metric | None, Query(description="nps, csat or ces.")] = None,
    category: Annotated[Category | None, Query()] = None,
) -> AnswerPage:
    if category is not None and metric is None:
        raise query_error("category", "needs a metric")
    if category is not None and metric is not None and category not in service.CATEGORIES[metric]:
        allowed = ", ".join(service.CATEGORIES[metric])
        raise query_error("category", f"{metric}'s categories are {allowed}")
    query = service.selection(filters, metric, category)
    rows, last = service.page(
        session, query, after=service.after(params.cursor), limit=params.limit
    )
    return AnswerPage(
        items=[AnswerRead.model_validate(row, from_attributes=True) for row in rows],
        total=service.count(session, query),
        next_cursor=encode_cursor([last[0].isoformat(), last[1]]) if last else None,
    )
