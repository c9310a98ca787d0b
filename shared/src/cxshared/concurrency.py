"""Optimistic concurrency: every editable resource has a `version`, exposed as its ETag.

A write that carries ``If-Match`` with a stale version gets 412 and changes nothing. The check
happens inside the write transaction, on a row locked for update (PostgreSQL) or under the
database write lock (SQLite), so two concurrent writes of the same version cannot both win.
"""

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Response

from cxshared.problems import Problem


async def _if_match(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            max_length=200,
            description="The ETag you read; a stale one gets 412 and changes nothing.",
        ),
    ] = None,
) -> str | None:
    return if_match


IfMatch = Annotated[str | None, Depends(_if_match)]


def etag_for(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_for(version)


def matches(if_match: str | None, version: int) -> bool:
    """If-Match compares strongly (RFC 9110, 13.1.1): a weak tag (`W/"3"`) never matches, since
    it only claims an equivalent representation, not the version a write must start from."""
    if if_match is None:
        return True
    current = etag_for(version)
    return any(tag.strip() in ("*", current) for tag in if_match.split(","))


def ensure_fresh(
    if_match: str | None,
    *,
    version: int,
    updated_by: str | None = None,
    updated_at: datetime | None = None,
) -> None:
    if matches(if_match, version):
        return
    who = f" by {updated_by}" if updated_by else ""
    raise Problem(
        412,
        "stale-version",
        "Precondition failed",
        f"It was changed{who} since you read it; reload and apply your change again.",
        headers={"ETag": etag_for(version)},
        current_version=version,
        updated_by=updated_by,
        updated_at=updated_at.isoformat() if updated_at else None,
    )
