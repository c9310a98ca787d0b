from dataclasses import replace
from datetime import date, timedelta
from typing import Annotated

from fastapi import Depends

from metrics.dependencies import (
    Channel,
    From,
    ShortValue,
    To,
    check_period,
    period_of,
    query_error,
)
from metrics.scores.service import Filters


async def overlay_filters(
    start: From = None,
    end: To = None,
    channel: Channel = None,
    segment: ShortValue | None = None,
) -> Filters:
    start, end = period_of(start, end)
    return Filters(start=start, end=end, channel=channel, segment=segment)


def base_filters(
    filters: Filters, base_from: date | None, base_to: date | None, base_segment: str | None
) -> Filters:
    """What a change is measured from: another segment over the same period, or another period
    (by default the one of the same length just before). The change's handler takes the base's
    parameters itself, so that they keep their place among its parameters."""
    if base_segment is not None:
        if filters.segment is None:
            raise query_error("segment", "compare segments by giving both segment and base_segment")
        return replace(filters, segment=base_segment)
    length = (filters.end - filters.start).days + 1
    base_end = base_to or filters.start - timedelta(days=1)
    base_start = base_from or base_end - timedelta(days=length - 1)
    check_period(base_start, base_end, "base_from")
    return replace(filters, start=base_start, end=base_end)


OverlayFiltersDep = Annotated[Filters, Depends(overlay_filters)]
