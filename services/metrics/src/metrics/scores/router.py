from collections import defaultdict
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlmodel import Session, col, select

from cxshared.auth import Reader
from cxshared.crud import get_or_404
from cxshared.deps import SessionDep
from cxshared.problems import Problem
from cxshared.timeutil import utcnow
from cxshared.types import Identifier, IsoDate
from metrics.alerts.rules import Target
from metrics.dimension.models import JourneyDim, StageDim, TouchpointDim
from metrics.scores import service
from metrics.scores.schemas import (
    Change,
    ChangeRead,
    Emotion,
    GroupBy,
    GroupScore,
    Interval,
    Metric,
    OverlayRead,
    OverlayStage,
    OverlayTouchpoint,
    Period,
    Score,
    ScoresRead,
    SeriesPoint,
    SeriesRead,
    TargetRead,
)
from metrics.stats import compare

router = APIRouter(tags=["scores"])
MAX_DAYS = 3 * 366

ShortValue = Annotated[str, Query(min_length=0, max_length=100, pattern=r"^[^\x00]*$")]


From = Annotated[
    IsoDate | None, Query(alias="from", description="First day (UTC); default 29 days before `to`.")
]
To = Annotated[IsoDate | None, Query(alias="to", description="Last day, included; default today.")]
Channel = Annotated[str | None, Query(max_length=20, pattern=r"^[^\x00]*$")]


def period_of(start: date | None, end: date | None) -> tuple[date, date]:
    end = end or utcnow().date()
    start = start or end - timedelta(days=29)
    check_period(start, end, "from")
    return start, end


class FilterParams:
    def __init__(
        self,
        start: From = None,
        end: To = None,
        journey_id: Annotated[Identifier | None, Query()] = None,
        stage_id: Annotated[Identifier | None, Query()] = None,
        touchpoint_id: Annotated[
            str | None,
            Query(
                max_length=64,
                pattern=r"^[^\x00]*$",
                description="Empty string: relationship surveys.",
            ),
        ] = None,
        channel: Channel = None,
        segment: ShortValue | None = None,
        survey_id: Annotated[Identifier | None, Query()] = None,
        owner_team_id: Annotated[Identifier | None, Query()] = None,
    ) -> None:
        start, end = period_of(start, end)
        self.filters = service.Filters(
            start=start,
            end=end,
            journey_id=journey_id,
            stage_id=stage_id,
            touchpoint_id=touchpoint_id,
            channel=channel,
            segment=segment,
            survey_id=survey_id,
            owner_team_id=owner_team_id,
        )


class OverlayParams:
    def __init__(
        self,
        start: From = None,
        end: To = None,
        channel: Channel = None,
        segment: ShortValue | None = None,
    ) -> None:
        start, end = period_of(start, end)
        self.filters = service.Filters(start=start, end=end, channel=channel, segment=segment)


def query_error(name: str, message: str) -> Problem:
    return Problem(
        422,
        "validation",
        "Invalid request",
        f"{name}: {message}",
        errors=[{"field": name, "location": "query", "message": message, "code": "invalid"}],
    )


def check_period(start: date, end: date, name: str) -> None:
    if start > end:
        raise query_error(name, "must not be after the period's last day")
    if (end - start).days >= MAX_DAYS:
        raise query_error(name, f"a period spans at most {MAX_DAYS} days")


FiltersDep = Annotated[FilterParams, Depends()]
MetricQuery = Annotated[Metric, Query(description="nps, csat or ces.")]


def minimum_for(request: Request, target: Target | None) -> int:
    return target.min_responses if target else int(request.app.state.settings.min_responses)


def make_score(
    metric: str, sums: service.Sums, *, minimum: int, target: Target | None = None
) -> dict[str, Any]:
    estimate = service.estimate(metric, sums)
    return {
        "value": estimate.value,
        "low": estimate.low,
        "high": estimate.high,
        "n": estimate.n,
        "too_few": estimate.n < minimum,
        "min_responses": minimum,
        "target": TargetRead(**vars(target)) if target else None,
        "target_status": service.target_status(estimate, target, minimum),
        "details": service.extras(metric, sums),
    }


def _period(filters: service.Filters) -> Period:
    return Period(start=filters.start, end=filters.end)


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
    request: Request,
    session: SessionDep,
    _: Reader,
    metric: MetricQuery,
    params: FiltersDep,
    group_by: Annotated[GroupBy | None, Query()] = None,
) -> ScoresRead:
    filters = params.filters
    overall = service.grouped_sums(session, filters, []).get((), service.EMPTY)
    groups: list[GroupScore] = []
    if group_by is not None:
        sums = service.grouped_sums(session, filters, [service.GROUP_COLUMNS[group_by]])
        keys = [key[0] for key in sums]
        names = service.labels(session, group_by, keys)
        targets = (
            service.touchpoint_targets(session, [k for k in keys if k])
            if group_by == GroupBy.TOUCHPOINT
            else {}
        )
        for (key,), group in sums.items():
            target = targets.get(key, {}).get(metric)
            score = make_score(metric, group, minimum=minimum_for(request, target), target=target)
            groups.append(GroupScore(key=key, label=str(names.get(key, key)), **score))
        groups.sort(key=lambda g: (g.value is None, -(g.value or 0)))
    target = None
    if filters.touchpoint_id:
        target = (
            service.touchpoint_targets(session, [filters.touchpoint_id])
            .get(filters.touchpoint_id, {})
            .get(metric)
        )
    return ScoresRead(
        metric=metric,
        group_by=group_by,
        period=_period(filters),
        overall=Score(
            **make_score(metric, overall, minimum=minimum_for(request, target), target=target)
        ),
        groups=groups,
    )


def _bucket(day: date, interval: Interval) -> date:
    if interval == Interval.WEEK:
        return day - timedelta(days=day.weekday())
    if interval == Interval.MONTH:
        return day.replace(day=1)
    return day


def _bucket_end(start: date, interval: Interval) -> date:
    if interval == Interval.WEEK:
        return start + timedelta(days=6)
    if interval == Interval.MONTH:
        following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return following - timedelta(days=1)
    return start


@router.get(
    "/scores/series",
    response_model=SeriesRead,
    summary="A score by day, week (Monday first) or month, each point with n and interval",
    description="Each point says whether its bucket is `complete`: the bucket holding today "
    "(the day, the week or the month so far) is not, and must not be read as a whole period.",
)
def get_series(
    request: Request,
    session: SessionDep,
    _: Reader,
    metric: MetricQuery,
    params: FiltersDep,
    interval: Annotated[Interval, Query()] = Interval.WEEK,
) -> SeriesRead:
    filters = params.filters
    buckets: dict[date, service.Sums] = defaultdict(lambda: dict(service.EMPTY))
    if interval is Interval.MONTH:
        buckets.update(service.sums_by_month(session, filters))
    else:
        for (day,), sums in service.grouped_sums(session, filters, [service.R.day]).items():
            key = _bucket(day, interval)
            buckets[key] = service.add(buckets[key], sums)
    target = None
    if filters.touchpoint_id:
        target = (
            service.touchpoint_targets(session, [filters.touchpoint_id])
            .get(filters.touchpoint_id, {})
            .get(metric)
        )
    minimum = minimum_for(request, target)
    points = []
    today = utcnow().date()
    start = _bucket(filters.start, interval)
    while start <= filters.end:
        sums = buckets.get(start, service.EMPTY)
        end = min(_bucket_end(start, interval), filters.end)
        points.append(
            SeriesPoint(
                start=max(start, filters.start),
                end=end,
                complete=end < today,
                **make_score(metric, sums, minimum=minimum, target=target),
            )
        )
        start = _bucket_end(start, interval) + timedelta(days=1)
    return SeriesRead(metric=metric, interval=interval, period=_period(filters), points=points)


def _difference(metric: str, base: service.Sums, current: service.Sums) -> compare.Difference:
    if metric == "nps":
        return compare.nps_difference(
            (int(base["promoters"]), int(base["detractors"]), int(base["nps_n"])),
            (int(current["promoters"]), int(current["detractors"]), int(current["nps_n"])),
        )
    if metric == "csat":
        return compare.proportion_difference(
            (int(base["csat_top2"]), int(base["csat_n"])),
            (int(current["csat_top2"]), int(current["csat_n"])),
        )
    return compare.mean_difference(
        (base["ces_sum"], base["ces_sum_sq"], int(base["ces_n"])),
        (current["ces_sum"], current["ces_sum_sq"], int(current["ces_n"])),
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
    request: Request,
    session: SessionDep,
    _: Reader,
    metric: MetricQuery,
    params: FiltersDep,
    group_by: Annotated[GroupBy | None, Query()] = None,
    base_from: Annotated[IsoDate | None, Query()] = None,
    base_to: Annotated[IsoDate | None, Query()] = None,
    base_segment: ShortValue | None = None,
) -> ChangeRead:
    current_filters = params.filters
    if base_segment is not None:
        if current_filters.segment is None:
            raise query_error("segment", "compare segments by giving both segment and base_segment")
        base_filters = service.Filters(**{**vars(current_filters), "segment": base_segment})
    else:
        length = (current_filters.end - current_filters.start).days + 1
        base_end = base_to or current_filters.start - timedelta(days=1)
        base_start = base_from or base_end - timedelta(days=length - 1)
        check_period(base_start, base_end, "base_from")
        base_filters = service.Filters(
            **{**vars(current_filters), "start": base_start, "end": base_end}
        )
    columns = [service.GROUP_COLUMNS[group_by]] if group_by else []
    base = service.grouped_sums(session, base_filters, columns)
    current = service.grouped_sums(session, current_filters, columns)
    keys = sorted(set(base) | set(current), key=lambda k: tuple(str(v) for v in k))
    names = service.labels(session, group_by, [k[0] for k in keys]) if group_by else {}
    minimum = int(request.app.state.settings.min_responses)
    rows = []
    for key in keys:
        a, b = base.get(key, service.EMPTY), current.get(key, service.EMPTY)
        score_a = make_score(metric, a, minimum=minimum)
        score_b = make_score(metric, b, minimum=minimum)
        enough = not score_a["too_few"] and not score_b["too_few"]
        rows.append((key, score_a, score_b, _difference(metric, a, b), enough))
    adjusted = compare.benjamini_hochberg([d.p_value if enough else None for *_, d, enough in rows])
    changes = [
        Change(
            key=key[0] if key else None,
            label=str(names.get(key[0], key[0])) if key else "All",
            base=Score(**score_a),
            current=Score(**score_b),
            difference=d.difference,
            low=d.low,
            high=d.high,
            p_value=d.p_value,
            p_adjusted=p_adj,
            significant=enough and p_adj is not None and p_adj < 0.05,
        )
        for (key, score_a, score_b, d, enough), p_adj in zip(rows, adjusted, strict=True)
    ]
    return ChangeRead(
        metric=metric,
        group_by=group_by,
        base={"from": base_filters.start, "to": base_filters.end, "segment": base_filters.segment},
        current={
            "from": current_filters.start,
            "to": current_filters.end,
            "segment": current_filters.segment,
        },
        changes=changes,
    )


def _emotion(designed: float | None, sums: service.Sums) -> Emotion:
    return Emotion(designed=designed, **service.emotion(sums))


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
    request: Request,
    session: SessionDep,
    _: Reader,
    journey_id: str,
    params: Annotated[OverlayParams, Depends()],
) -> OverlayRead:
    journey = get_or_404(session, JourneyDim, journey_id)
    filters = service.Filters(**{**vars(params.filters), "journey_id": journey_id})
    per_touchpoint = {
        key[0]: sums
        for key, sums in service.grouped_sums(session, filters, [service.R.touchpoint_id]).items()
    }
    return OverlayRead(
        journey_id=journey.id,
        journey_name=journey.name,
        period=_period(filters),
        stages=_overlay_stages(request, session, journey_id, per_touchpoint),
    )


def _overlay_stages(
    request: Request, session: Session, journey_id: str, sums: dict[str, service.Sums]
) -> list[OverlayStage]:
    stages = session.execute(
        select(StageDim).where(StageDim.journey_id == journey_id, col(StageDim.deleted).is_(False))
    ).scalars()
    touchpoints = list(
        session.execute(
            select(TouchpointDim).where(
                TouchpointDim.journey_id == journey_id, col(TouchpointDim.deleted).is_(False)
            )
        ).scalars()
    )
    result = []
    for stage in sorted(stages, key=lambda s: (s.position, s.name)):
        cards = []
        stage_sums = dict(service.EMPTY)
        for tp in sorted(
            (t for t in touchpoints if t.stage_id == stage.id), key=lambda t: t.position
        ):
            tp_sums = sums.get(tp.id, service.EMPTY)
            stage_sums = service.add(stage_sums, tp_sums)
            targets = service.targets_of(tp)
            cards.append(
                OverlayTouchpoint(
                    id=tp.id,
                    name=tp.name,
                    position=tp.position,
                    channel=tp.channel,
                    owner_team_id=tp.owner_team_id,
                    owner_name=tp.owner_name,
                    moment_of_truth=tp.moment_of_truth,
                    emotion=_emotion(tp.designed_emotion, tp_sums),
                    scores={
                        m.value: Score(
                            **make_score(
                                m,
                                tp_sums,
                                minimum=minimum_for(request, targets.get(m)),
                                target=targets.get(m),
                            )
                        )
                        for m in Metric
                    },
                )
            )
        minimum = int(request.app.state.settings.min_responses)
        result.append(
            OverlayStage(
                id=stage.id,
                name=stage.name,
                position=stage.position,
                emotion=_emotion(stage.designed_emotion, stage_sums),
                scores={
                    m.value: Score(**make_score(m, stage_sums, minimum=minimum)) for m in Metric
                },
                touchpoints=cards,
            )
        )
    return result
