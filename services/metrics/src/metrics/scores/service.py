"""Scores read from rollups only, never responses: the whole calendar months of a period from
the monthly rollups, the days around them from the daily ones. A query's cost grows with
(months + days at the ends) x touchpoints x surveys x channels x segments."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlmodel import Session, col

from cxshared.crud import get_or_404
from cxshared.timeutil import utcnow
from metrics.alerts.rules import Target
from metrics.alerts.service import targets_of as targets_of
from metrics.dimension.models import JourneyDim, StageDim, TeamDim, TouchpointDim
from metrics.facts.models import DailyRollup, MonthlyRollup
from metrics.facts.service import SUM_COLUMNS
from metrics.facts.values import SCALES
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
from metrics.stats import compare, estimates

R = DailyRollup
M = MonthlyRollup
T = TouchpointDim
Rollup = type[DailyRollup] | type[MonthlyRollup]

GROUP_COLUMNS: dict[str, Any] = {
    "touchpoint": R.touchpoint_id,
    "stage": T.stage_id,
    "journey": T.journey_id,
    "channel": R.channel,
    "segment": R.segment,
    "owner_team": T.owner_team_id,
    "survey": R.survey_id,
}


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # inclusive
    journey_id: str | None = None
    stage_id: str | None = None
    touchpoint_id: str | None = None
    channel: str | None = None
    segment: str | None = None
    survey_id: str | None = None
    owner_team_id: str | None = None

    def apply(self, query: Select[Any], table: Rollup, start: date, end: date) -> Select[Any]:
        """The filters on `table`'s rows from `start` to `end` (both rollups' period columns
        hold a day: the month's first for monthly rows)."""
        query = query.where(col(_period_column(table)).between(start, end))
        for column, value in (
            (T.journey_id, self.journey_id),
            (T.stage_id, self.stage_id),
            (table.touchpoint_id, self.touchpoint_id),
            (table.channel, self.channel),
            (table.survey_id, self.survey_id),
            (T.owner_team_id, self.owner_team_id),
        ):
            if value is not None:
                query = query.where(col(column) == value)
        if self.segment is not None:
            query = query.where(same_segment(table.segment, self.segment))
        return query

    @property
    def needs_dimension(self) -> bool:
        return any((self.journey_id, self.stage_id, self.owner_team_id))


Sums = dict[str, float]


def same_segment(column: Any, segment: str) -> Any:
    """A segment filter matches any case: "Enterprise" finds "enterprise"."""
    return func.lower(column) == func.lower(segment)


def _period_column(table: Rollup) -> Any:
    return R.day if table is R else M.month


def whole_months(start: date, end: date) -> tuple[date, date] | None:
    """The first days of the first and last whole calendar months from `start` to `end`."""
    try:
        first = (
            start if start.day == 1 else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        )
        after = end + timedelta(days=1)
        last = (after.replace(day=1) - timedelta(days=1)).replace(day=1)
    except OverflowError:  # a month away from the first or last day a date can hold: read days
        return None
    return (first, last) if first <= last else None


def _parts(start: date, end: date) -> list[tuple[Rollup, date, date]]:
    months = whole_months(start, end)
    if months is None:
        return [(R, start, end)]
    first, last = months
    after_last = (last.replace(day=28) + timedelta(days=4)).replace(day=1)
    parts: list[tuple[Rollup, date, date]] = [(M, first, last)]
    if start < first:
        parts.append((R, start, first - timedelta(days=1)))
    if after_last <= end:
        parts.append((R, after_last, end))
    return parts


def grouped_sums(
    session: Session, filters: Filters, group_by: Sequence[Any]
) -> dict[tuple[Any, ...], Sums]:
    """Rollup sums per group; `group_by` are columns of the daily rollup or the touchpoint
    dimension. Grouped by day, every day is read from the daily rollups."""
    by_day = any(c is R.day for c in group_by)
    parts = [(R, filters.start, filters.end)] if by_day else _parts(filters.start, filters.end)
    result: dict[tuple[Any, ...], Sums] = {}
    for table, start, end in parts:
        for key, sums in _sums(session, filters, group_by, table, start, end).items():
            result[key] = add(result[key], sums) if key in result else sums
    if not group_by:
        result.setdefault((), dict(EMPTY))
    return result


def sums_by_month(session: Session, filters: Filters) -> dict[date, Sums]:
    """Sums per calendar month (keyed by its first day) over the period."""
    result: dict[date, Sums] = {}
    for table, start, end in _parts(filters.start, filters.end):
        period = _period_column(table)
        for (day,), sums in _sums(session, filters, [period], table, start, end).items():
            month = day.replace(day=1)
            result[month] = add(result[month], sums) if month in result else sums
    return result


def _sums(
    session: Session,
    filters: Filters,
    group_by: Sequence[Any],
    table: Rollup,
    start: date,
    end: date,
) -> dict[tuple[Any, ...], Sums]:
    columns = [getattr(table, c.key) if c.class_ is R else c for c in group_by]
    sums = [func.coalesce(func.sum(getattr(table, name)), 0).label(name) for name in SUM_COLUMNS]
    query = select(*columns, *sums).select_from(table)
    if filters.needs_dimension or any(c.class_ is T for c in group_by):
        query = query.outerjoin(T, col(T.id) == table.touchpoint_id)
    query = filters.apply(query, table, start, end)
    if columns:
        query = query.group_by(*columns)
    result: dict[tuple[Any, ...], Sums] = {}
    width = len(columns)
    for row in session.execute(query).all():
        values = {name: float(row[width + i] or 0) for i, name in enumerate(SUM_COLUMNS)}
        if values["responses"]:
            result[tuple(row[:width])] = values
    return result


def add(a: Sums, b: Sums) -> Sums:
    return {name: a.get(name, 0) + b.get(name, 0) for name in SUM_COLUMNS}


EMPTY: Sums = dict.fromkeys(SUM_COLUMNS, 0.0)


def estimate(metric: str, sums: Sums) -> estimates.Estimate:
    if metric == "nps":
        return estimates.nps(int(sums["promoters"]), int(sums["detractors"]), int(sums["nps_n"]))
    if metric == "csat":
        return estimates.wilson(int(sums["csat_top2"]), int(sums["csat_n"]))
    return estimates.mean(
        sums["ces_sum"], sums["ces_sum_sq"], int(sums["ces_n"]), scale=SCALES["ces"]
    )


def extras(metric: str, sums: Sums) -> dict[str, Any]:
    """The companion figures docs/metrics.md names: mean satisfaction for CSAT, % agree for CES."""
    if metric == "csat":
        mean = estimates.mean(
            sums["csat_sum"], sums["csat_sum_sq"], int(sums["csat_n"]), scale=SCALES["csat"]
        )
        return {"mean_satisfaction": _interval(mean)}
    if metric == "ces":
        return {
            "percent_agree": _interval(estimates.wilson(int(sums["ces_agree"]), int(sums["ces_n"])))
        }
    return {
        "promoters": int(sums["promoters"]),
        "passives": int(sums["passives"]),
        "detractors": int(sums["detractors"]),
    }


def _interval(e: estimates.Estimate) -> dict[str, Any]:
    return {"value": e.value, "low": e.low, "high": e.high, "n": e.n}


def target_status(score: estimates.Estimate, target: Target | None, minimum: int) -> str | None:
    """met / breached when the whole interval is on one side of the target, else uncertain
    (also when there are too few responses to say)."""
    if target is None:
        return None
    if score.n < minimum or score.low is None or score.high is None:
        return "uncertain"
    if target.direction == "at_least":
        met, breached = score.low >= target.value, score.high < target.value
    else:
        met, breached = score.high <= target.value, score.low > target.value
    return "met" if met else "breached" if breached else "uncertain"


def emotion(sums: Sums) -> dict[str, Any]:
    """Measured emotion: the mean of the scored answers rescaled to -2 ... +2, with comment
    sentiment beside it."""
    n = int(sums["experience_n"])
    comments = int(sums["comments"])
    return {
        "measured": sums["experience_sum"] / n if n else None,
        "n": n,
        "sentiment": sums["sentiment_sum"] / comments if comments else None,
        "comments": comments,
        "negative_comments": int(sums["negative_comments"]),
    }


def labels(session: Session, group_by: str, keys: list[Any]) -> dict[Any, str]:
    table = {
        "touchpoint": TouchpointDim,
        "stage": StageDim,
        "journey": JourneyDim,
        "owner_team": TeamDim,
    }.get(group_by)
    if table is None:
        return {k: k for k in keys}
    rows = session.execute(
        select(col(table.id), col(table.name)).where(  # type: ignore[attr-defined]
            col(table.id).in_([k for k in keys if k])  # type: ignore[attr-defined]
        )
    ).all()
    names: dict[Any, str] = {row[0]: row[1] for row in rows}
    unnamed = "Relationship (no touchpoint)" if group_by == "touchpoint" else "Unassigned"
    return {k: names.get(k, k) if k else unnamed for k in keys}


def touchpoint_targets(session: Session, ids: list[str]) -> dict[str, dict[str, Target]]:
    return {
        t.id: targets_of(t) for t in session.execute(select(T).where(col(T.id).in_(ids))).scalars()
    }


def target_of(session: Session, filters: Filters, metric: str) -> Target | None:
    """The target of the one touchpoint `filters` name, if they name one."""
    if not filters.touchpoint_id:
        return None
    targets = touchpoint_targets(session, [filters.touchpoint_id])
    return targets.get(filters.touchpoint_id, {}).get(metric)


def score_fields(
    metric: str, sums: Sums, *, minimum: int, target: Target | None = None
) -> dict[str, Any]:
    """A score's fields: its estimate, whether too few answers back it, and its target status."""
    estimate_ = estimate(metric, sums)
    return {
        "value": estimate_.value,
        "low": estimate_.low,
        "high": estimate_.high,
        "n": estimate_.n,
        "too_few": estimate_.n < minimum,
        "min_responses": minimum,
        "target": TargetRead(**vars(target)) if target else None,
        "target_status": target_status(estimate_, target, minimum),
        "details": extras(metric, sums),
    }


def _minimum(target: Target | None, min_responses: int) -> int:
    """A touchpoint target's own minimum takes precedence over the service's."""
    return target.min_responses if target else min_responses


def _period(filters: Filters) -> Period:
    return Period(start=filters.start, end=filters.end)


def scores(
    *,
    session: Session,
    filters: Filters,
    metric: Metric,
    group_by: GroupBy | None,
    min_responses: int,
) -> ScoresRead:
    """The score over `filters`, and per group with `group_by`, best first."""
    overall = grouped_sums(session, filters, []).get((), EMPTY)
    groups: list[GroupScore] = []
    if group_by is not None:
        sums = grouped_sums(session, filters, [GROUP_COLUMNS[group_by]])
        keys = [key[0] for key in sums]
        names = labels(session, group_by, keys)
        targets = (
            touchpoint_targets(session, [k for k in keys if k])
            if group_by == GroupBy.TOUCHPOINT
            else {}
        )
        for (key,), group in sums.items():
            target = targets.get(key, {}).get(metric)
            fields = score_fields(
                metric, group, minimum=_minimum(target, min_responses), target=target
            )
            groups.append(GroupScore(key=key, label=str(names.get(key, key)), **fields))
        groups.sort(key=lambda g: (g.value is None, -(g.value or 0)))
    target = target_of(session, filters, metric)
    return ScoresRead(
        metric=metric,
        group_by=group_by,
        period=_period(filters),
        overall=Score(
            **score_fields(metric, overall, minimum=_minimum(target, min_responses), target=target)
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


def series(
    *,
    session: Session,
    filters: Filters,
    metric: Metric,
    interval: Interval,
    min_responses: int,
) -> SeriesRead:
    """The score per day, week or month of the period; the bucket holding today is not
    complete."""
    buckets: dict[date, Sums] = defaultdict(lambda: dict(EMPTY))
    if interval is Interval.MONTH:
        buckets.update(sums_by_month(session, filters))
    else:
        for (day,), sums in grouped_sums(session, filters, [R.day]).items():
            key = _bucket(day, interval)
            buckets[key] = add(buckets[key], sums)
    target = target_of(session, filters, metric)
    minimum = _minimum(target, min_responses)
    points = []
    today = utcnow().date()
    start = _bucket(filters.start, interval)
    while start <= filters.end:
        sums = buckets.get(start, EMPTY)
        end = min(_bucket_end(start, interval), filters.end)
        points.append(
            SeriesPoint(
                start=max(start, filters.start),
                end=end,
                complete=end < today,
                **score_fields(metric, sums, minimum=minimum, target=target),
            )
        )
        start = _bucket_end(start, interval) + timedelta(days=1)
    return SeriesRead(metric=metric, interval=interval, period=_period(filters), points=points)


def difference(metric: str, base: Sums, current: Sums) -> compare.Difference:
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
        scale=SCALES["ces"],
    )


def change(
    *,
    session: Session,
    filters: Filters,
    base: Filters,
    metric: Metric,
    group_by: GroupBy | None,
    min_responses: int,
) -> ChangeRead:
    """The change from `base` to `filters`, per group with `group_by`; p-values adjusted with
    Benjamini-Hochberg across the groups with enough answers on both sides."""
    columns = [GROUP_COLUMNS[group_by]] if group_by else []
    before = grouped_sums(session, base, columns)
    after = grouped_sums(session, filters, columns)
    keys = sorted(set(before) | set(after), key=lambda k: tuple(str(v) for v in k))
    names = labels(session, group_by, [k[0] for k in keys]) if group_by else {}
    rows = []
    for key in keys:
        a, b = before.get(key, EMPTY), after.get(key, EMPTY)
        score_a = score_fields(metric, a, minimum=min_responses)
        score_b = score_fields(metric, b, minimum=min_responses)
        enough = not score_a["too_few"] and not score_b["too_few"]
        rows.append((key, score_a, score_b, difference(metric, a, b), enough))
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
        base={"from": base.start, "to": base.end, "segment": base.segment},
        current={"from": filters.start, "to": filters.end, "segment": filters.segment},
        changes=changes,
    )


def _emotion(designed: float | None, sums: Sums) -> Emotion:
    return Emotion(designed=designed, **emotion(sums))


def overlay(
    *, session: Session, journey_id: str, filters: Filters, min_responses: int
) -> OverlayRead:
    """Every stage's and touchpoint's scores and emotion over `filters`, for the journey map;
    a stage sums its touchpoints' answers."""
    journey = get_or_404(session, JourneyDim, journey_id)
    filters = replace(filters, journey_id=journey_id)
    per_touchpoint = {
        key[0]: sums for key, sums in grouped_sums(session, filters, [R.touchpoint_id]).items()
    }
    return OverlayRead(
        journey_id=journey.id,
        journey_name=journey.name,
        period=_period(filters),
        stages=_overlay_stages(session, journey_id, per_touchpoint, min_responses),
    )


def _overlay_stages(
    session: Session, journey_id: str, sums: dict[str, Sums], min_responses: int
) -> list[OverlayStage]:
    stages = session.execute(
        select(StageDim).where(
            col(StageDim.journey_id) == journey_id, col(StageDim.deleted).is_(False)
        )
    ).scalars()
    touchpoints = list(
        session.execute(
            select(TouchpointDim).where(
                col(TouchpointDim.journey_id) == journey_id, col(TouchpointDim.deleted).is_(False)
            )
        ).scalars()
    )
    result = []
    for stage in sorted(stages, key=lambda s: (s.position, s.name)):
        cards = []
        stage_sums = dict(EMPTY)
        for tp in sorted(
            (t for t in touchpoints if t.stage_id == stage.id), key=lambda t: t.position
        ):
            tp_sums = sums.get(tp.id, EMPTY)
            stage_sums = add(stage_sums, tp_sums)
            cards.append(_overlay_touchpoint(tp, tp_sums, min_responses))
        result.append(
            OverlayStage(
                id=stage.id,
                name=stage.name,
                position=stage.position,
                emotion=_emotion(stage.designed_emotion, stage_sums),
                scores={
                    m.value: Score(**score_fields(m, stage_sums, minimum=min_responses))
                    for m in Metric
                },
                touchpoints=cards,
            )
        )
    return result


def _overlay_touchpoint(tp: TouchpointDim, sums: Sums, min_responses: int) -> OverlayTouchpoint:
    targets = targets_of(tp)
    return OverlayTouchpoint(
        id=tp.id,
        name=tp.name,
        position=tp.position,
        channel=tp.channel,
        owner_team_id=tp.owner_team_id,
        owner_name=tp.owner_name,
        moment_of_truth=tp.moment_of_truth,
        emotion=_emotion(tp.designed_emotion, sums),
        scores={
            m.value: Score(
                **score_fields(
                    m,
                    sums,
                    minimum=_minimum(targets.get(m), min_responses),
                    target=targets.get(m),
                )
            )
            for m in Metric
        },
    )
