"""Dependencies every domain's router shares: the filters of a score, the period checks, and
what the application keeps for its lifetime (settings, the alert evaluator)."""

from datetime import date, timedelta
from typing import Annotated

from fastapi import Depends, Query

from cxshared.deps import app_state
from cxshared.problems import Problem
from cxshared.timeutil import utcnow
from cxshared.types import Identifier, IsoDate
from metrics.alerts.worker import AlertEvaluator
from metrics.config import Settings
from metrics.scores.schemas import Metric
from metrics.scores.service import Filters

MAX_DAYS = 3 * 366


SettingsDep = Annotated[Settings, Depends(app_state("settings", Settings))]
AlertsDep = Annotated[AlertEvaluator, Depends(app_state("alerts", AlertEvaluator))]


ShortValue = Annotated[str, Query(min_length=0, max_length=100, pattern=r"^[^\x00]*$")]
From = Annotated[
    IsoDate | None, Query(alias="from", description="First day (UTC); default 29 days before `to`.")
]
To = Annotated[IsoDate | None, Query(alias="to", description="Last day, included; default today.")]
Channel = Annotated[str | None, Query(max_length=20, pattern=r"^[^\x00]*$")]
MetricQuery = Annotated[Metric, Query(description="nps, csat or ces.")]


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


def period_of(start: date | None, end: date | None, *, days: int = 30) -> tuple[date, date]:
    """The period from `start` to `end`, `days` long up to today by default."""
    end = end or utcnow().date()
    # Near the first day a date can hold, the default period starts there.
    start = start or (end - timedelta(days=days - 1) if end.toordinal() > days else date.min)
    check_period(start, end, "from")
    return start, end


async def score_filters(
    start: From = None,
    end: To = None,
    journey_id: Annotated[Identifier | None, Query()] = None,
    stage_id: Annotated[Identifier | None, Query()] = None,
    touchpoint_id: Annotated[
        str | None,
        Query(
            max_length=64, pattern=r"^[^\x00]*$", description="Empty string: relationship surveys."
        ),
    ] = None,
    channel: Channel = None,
    segment: ShortValue | None = None,
    survey_id: Annotated[Identifier | None, Query()] = None,
    owner_team_id: Annotated[Identifier | None, Query()] = None,
) -> Filters:
    """The filters of a score, as every score, answer and comment query takes them."""
    start, end = period_of(start, end)
    return Filters(
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


FiltersDep = Annotated[Filters, Depends(score_filters)]
