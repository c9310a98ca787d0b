"""Scores read from rollups only, never responses: the whole calendar months of a period from
the monthly rollups, the days around them from the daily ones. A query's cost grows with
(months + days at the ends) x touchpoints x surveys x channels x segments."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlmodel import Session, col

from metrics.alerts.rules import Target
from metrics.alerts.service import targets_of as targets_of
from metrics.dimension.models import JourneyDim, StageDim, TeamDim, TouchpointDim
from metrics.facts.models import DailyRollup, MonthlyRollup
from metrics.facts.service import SUM_COLUMNS
from metrics.stats import estimates

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
    first = start if start.day == 1 else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    after = end + timedelta(days=1)
    last = (after.replace(day=1) - timedelta(days=1)).replace(day=1)
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
    return estimates.mean(sums["ces_sum"], sums["ces_sum_sq"], int(sums["ces_n"]))


def extras(metric: str, sums: Sums) -> dict[str, Any]:
    """The companion figures docs/metrics.md names: mean satisfaction for CSAT, % agree for CES."""
    if metric == "csat":
        mean = estimates.mean(sums["csat_sum"], sums["csat_sum_sq"], int(sums["csat_n"]))
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
