from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from sqlmodel import Session

from cxshared.auth import Reader
from cxshared.deps import SessionDep
from cxshared.problems import Problem
from cxshared.types import Identifier
from metrics.dependencies import From, SettingsDep, To, period_of
from metrics.observed.figures import Scope
from metrics.observed.mapping import Mapping, load_mapping
from metrics.observed.service import Limits, is_stale

FORMATS = {"text/csv": "csv", "application/x-ndjson": "jsonl", "application/jsonl": "jsonl"}


async def limits(settings: SettingsDep) -> Limits:
    return Limits.of(settings)


LimitsDep = Annotated[Limits, Depends(limits)]


async def event_log(request: Request) -> tuple[str, str]:
    """(format, text) of an uploaded event log, by its Content-Type."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = FORMATS.get(media_type)
    if fmt is None:
        raise Problem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "Send the log as text/csv or application/x-ndjson (JSON Lines).",
        )
    try:
        return fmt, (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Problem(400, "bad-request", "Bad request", "The log must be UTF-8.") from exc


EventLogDep = Annotated[tuple[str, str], Depends(event_log)]


@dataclass
class Asked:
    """A figure asked of one journey over a period, and what every answer starts with."""

    session: Session
    scope: Scope
    limits: Limits

    def mapping(self) -> Mapping:
        return load_mapping(self.session)

    def base(self) -> dict[str, Any]:
        return {
            "journey_id": self.scope.journey_id,
            "start": self.scope.start,
            "end": self.scope.end,
            "segment": self.scope.segment or None,
            "rollups_stale": is_stale(self.session, self.limits),
        }


async def asked(
    journey_id: Identifier,
    session: SessionDep,
    _: Reader,
    limits: LimitsDep,
    start: From = None,
    end: To = None,
    segment: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Only the customers of this segment (their customer record's); "
            "default every customer.",
        ),
    ] = None,
) -> Asked:
    start, end = period_of(start, end)
    return Asked(session, Scope(journey_id, start, end, segment or ""), limits)


AskedDep = Annotated[Asked, Depends(asked)]
