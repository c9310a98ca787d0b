from typing import Annotated

from fastapi import Depends, Query

from cxshared.types import Identifier, IsoDate
from metrics.dependencies import SettingsDep, ShortValue, period_of
from metrics.drivers.schemas import Outcome
from metrics.drivers.service import Query as DriversQuery


async def drivers_query(
    settings: SettingsDep,
    outcome: Annotated[Outcome, Query()] = Outcome.NPS,
    start: Annotated[IsoDate | None, Query(alias="from")] = None,
    end: Annotated[IsoDate | None, Query(alias="to")] = None,
    journey_id: Annotated[Identifier | None, Query()] = None,
    segment: ShortValue | None = None,
) -> DriversQuery:
    """The analysis asked for; its period defaults to the 365 days up to today."""
    start, end = period_of(start, end, days=365)
    return DriversQuery(
        start=start,
        end=end,
        outcome=outcome,
        journey_id=journey_id,
        segment=segment,
        min_customers=settings.min_responses,
    )


DriversQueryDep = Annotated[DriversQuery, Depends(drivers_query)]
