from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response, status

from cxshared.auth import Reader, Writer
from cxshared.concurrency import IfMatch, set_etag
from cxshared.deps import SessionDep
from cxshared.pagination import PageParams, page_params
from cxshared.types import Identifier
from metrics.dependencies import From, SettingsDep, To, period_of
from metrics.themes import figures, service
from metrics.themes.schemas import (
    ThemeCreate,
    ThemeFiguresList,
    ThemePage,
    ThemeRead,
    ThemeSuggestionList,
    ThemeUpdate,
)

router = APIRouter(prefix="/journeys/{journey_id}/themes", tags=["comment themes"])

JourneyId = Annotated[Identifier, Path(description="The journey whose comments are themed.")]
ThemeId = Annotated[Identifier, Path()]
MATCHING = (
    "A comment has a theme when it contains at least 80% of the content words of one of the "
    "theme's phrases (or of its name), whatever else it says; comments get their themes as "
    "they arrive, and the journey's stored comments (up to three years back) are themed again "
    "when a theme's name or phrases change."
)


@router.get("", response_model=ThemePage, summary="The journey's comment themes")
def list_themes(
    journey_id: JourneyId,
    session: SessionDep,
    _: Reader,
    params: Annotated[PageParams, Depends(page_params)],
) -> Any:
    items, cursor = service.list_themes(session=session, journey_id=journey_id, params=params)
    return ThemePage(items=items, next_cursor=cursor)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ThemeRead,
    summary="Add a theme to the journey's taxonomy (or accept a suggestion)",
    description=MATCHING,
)
def create_theme(
    journey_id: JourneyId,
    body: ThemeCreate,
    session: SessionDep,
    principal: Writer,
    response: Response,
) -> Any:
    theme = service.create_theme(
        session=session, journey_id=journey_id, body=body, actor=principal.actor
    )
    set_etag(response, theme.version)
    return theme


@router.get(
    "/suggestions",
    response_model=ThemeSuggestionList,
    summary="Themes discovered in the period's comments that no theme covers yet",
    description="TF-IDF and NMF over the comments, on this machine: no comment text leaves it. "
    "Near-duplicates always fall in one suggestion. Post a suggestion's name, description and "
    "phrases to the journey's themes to accept it. Default period: the last 90 days.",
)
def suggest_themes(
    journey_id: JourneyId, session: SessionDep, _: Reader, start: From = None, end: To = None
) -> ThemeSuggestionList:
    start, end = period_of(start, end, days=90)
    return service.suggestions(session=session, journey_id=journey_id, start=start, end=end)


@router.get(
    "/figures",
    response_model=ThemeFiguresList,
    summary="Per theme: volume, trend, detractors, sentiment, touchpoints and NPS impact",
    description='Definitions, intervals and minimum n are in docs/metrics.md, "Comment '
    'themes". NPS impact: the NPS points the journey (or touchpoint) would gain if the '
    "detractors whose comment mentions the theme were passives, 100 x k / n, with a Wilson "
    "interval; flagged `too_few_responses` below the minimum n. Default period: 30 days.",
)
def theme_figures(
    journey_id: JourneyId,
    session: SessionDep,
    _: Reader,
    settings: SettingsDep,
    start: From = None,
    end: To = None,
) -> ThemeFiguresList:
    start, end = period_of(start, end)
    service.ensure_journey(session, journey_id)
    return figures.figures(
        session=session,
        journey_id=journey_id,
        start=start,
        end=end,
        min_responses=settings.min_responses,
    )


@router.get("/{theme_id}", response_model=ThemeRead, summary="One theme")
def get_theme(
    journey_id: JourneyId, theme_id: ThemeId, session: SessionDep, _: Reader, response: Response
) -> Any:
    theme = service.get_theme(session, journey_id, theme_id)
    set_etag(response, theme.version)
    return theme


@router.patch(
    "/{theme_id}",
    response_model=ThemeRead,
    summary="Change a theme (If-Match optional); its comments are themed again",
    description=MATCHING,
)
def update_theme(
    journey_id: JourneyId,
    theme_id: ThemeId,
    body: ThemeUpdate,
    session: SessionDep,
    principal: Writer,
    if_match: IfMatch,
    response: Response,
) -> Any:
    theme = service.update_theme(
        session=session,
        journey_id=journey_id,
        theme_id=theme_id,
        body=body,
        if_match=if_match,
        actor=principal.actor,
    )
    set_etag(response, theme.version)
    return theme


@router.delete(
    "/{theme_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a theme from the taxonomy (If-Match optional)",
)
def delete_theme(
    journey_id: JourneyId, theme_id: ThemeId, session: SessionDep, _: Writer, if_match: IfMatch
) -> None:
    service.delete_theme(
        session=session, journey_id=journey_id, theme_id=theme_id, if_match=if_match
    )
