from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from cxshared.auth import Reader
from cxshared.deps import SessionDep
from cxshared.pagination import PageParams, page_params
from metrics.answers import service
from metrics.answers.dependencies import check_category
from metrics.answers.schemas import AnswerPage, AnswerRead, Category
from metrics.dependencies import FiltersDep
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
    check_category(metric, category)
    return service.answers(
        session=session, filters=filters, metric=metric, category=category, params=params
    )


@router.get(
    "/{response_id}",
    response_model=AnswerRead,
    summary="One answer as the scores count it",
    description="By its response id: answers imported into metrics have no response in "
    "feedback, so this is where a page finds them. 404 when metrics holds no such answer.",
)
def get_answer(
    session: SessionDep, _: Reader, response_id: Annotated[str, Path(max_length=64)]
) -> AnswerRead:
    return service.answer(session, response_id)
