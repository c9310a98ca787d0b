from typing import Annotated

from fastapi import Depends, Request

from cxshared.problems import Problem
from metrics.dependencies import SettingsDep
from metrics.observed.service import Limits

FORMATS = {"text/csv": "csv", "application/x-ndjson": "jsonl", "application/jsonl": "jsonl"}


def limits(settings: SettingsDep) -> Limits:
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
