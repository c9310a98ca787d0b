from typing import Annotated

from fastapi import APIRouter, Query

from cxshared.auth import Reader
from cxshared.deps import SessionDep
from cxshared.types import IsoDate
from metrics.dependencies import FiltersDep, MetricQuery, SettingsDep, ShortValue
from metrics.scores import service
from metrics.scores.dependencies import OverlayFiltersDep, base_filters
from metrics.scores.schemas import (
    ChangeRead,
    GroupBy,
    Interval,
    OverlayRead,
    ScoresRead,
    SeriesRead,
)

router = APIRouter(tags=["scores"])


@router.get(
    "/scores",
    response_model=ScoresRead,
    summary="NPS, CSAT or CES with n and 95% interval, overall and per group",
    description="NPS = 100·(promoters - detractors)/n from `nps` questions only, with the "
    "adjusted-Wald interval (Rocks 2016); CSAT = % of answers 4-5 with the Wilson interval "
    "(mean satisfaction beside it); CES = mean with the t interval (% agree beside it). Groups "
    "below the minimum n are flagged `too_few`. With `group_by=touchpoint` each group carries "
    "its target and status. Read from daily rollups only.",
)
def get_scores(
    session: SessionDep,
    _: Reader,
    settings: SettingsDep,
    metric: MetricQuery,
    filters: FiltersDep,
    group_by: Annotated[GroupBy | None, Query()] = None,
) -> ScoresRead:
    return service.scores(
        session=session,
        filters=filters,
        metric=metric,
        group_by=group_by,
        min_responses=settings.min_responses,
    )


@router.get(
    "/scores/series",
    response_model=SeriesRead,
    summary="A score by day, week (Monday first) or month, each point with n and interval",
    description="Each point says whether its bucket is `complete`: the bucket holding today "
    "(the day, the week or the month so far) is not, and must not be read as a whole period.",
)
def get_series(
    session: SessionDep,
    _: Reader,
    settings: SettingsDep,
    metric: MetricQuery,
    filters: FiltersDep,
    interval: Annotated[Interval, Query()] = Interval.WEEK,
) -> SeriesRead:
    return service.series(
        session=session,
        filters=filters,
        metric=metric,
        interval=interval,
        min_responses=settings.min_responses,
    )


@router.get(
    "/scores/change",
    response_model=ChangeRead,
    summary="Change between two periods or two segments, with p-values corrected across groups",
    description="Compares `from`..`to` with `base_from`..`base_to` (default: the period of the "
    "same length just before), or, with `base_segment` and `segment`, two segments over the "
    "same period. NPS: z-test with the adjusted-Wald variances; CSAT: two-proportion z-test "
    "(pooled), Wald interval for the difference; CES: Welch's t-test. p-values are adjusted "
    "with Benjamini-Hochberg across the groups that have the minimum n on both sides; a change "
    "is significant when the adjusted p < 0.05. Groups with too few answers are shown, never "
    "called significant.",
)
def get_change(
    session: SessionDep,
    _: Reader,
    settings: SettingsDep,
    metric: MetricQuery,
    filters: FiltersDep,
    group_by: Annotated[GroupBy | None, Query()] = None,
    base_from: Annotated[IsoDate | None, Query()] = None,
    base_to: Annotated[IsoDate | None, Query()] = None,
    base_segment: ShortValue | None = None,
) -> ChangeRead:
    return service.change(
        session=session,
        filters=filters,
        base=base_filters(filters, base_from, base_to, base_segment),
        metric=metric,
        group_by=group_by,
        min_responses=settings.min_responses,
    )


@router.get(
    "/journeys/{journey_id}/overlay",
    response_model=OverlayRead,
    summary="Every stage's and touchpoint's scores, target status and measured emotion",
    description="One call for the journey map: per stage and touchpoint, NPS / CSAT / CES with "
    "n, interval and target status, and the measured emotion (mean of scored answers rescaled "
    "to -2..+2, with comment sentiment) next to the designed emotion. A stage's figures sum its "
    "touchpoints' answers.",
)
def get_overlay(
    session: SessionDep,
    _: Reader,
    settings: SettingsDep,
    journey_id: str,
    filters: OverlayFiltersDep,
) -> OverlayRead:
    return service.overlay(
        session=session,
        journey_id=journey_id,
        filters=filters,
        min_responses=settings.min_responses,
    )
