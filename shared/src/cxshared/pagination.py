"""Cursor pagination: opaque cursors over (sort key, id), stable under concurrent inserts."""

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, and_, or_
from sqlmodel import Session

from cxshared.problems import Problem

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` to get the next page; null on the last page."
    )


class PageParams(BaseModel):
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


async def page_params(
    cursor: Annotated[
        str | None, Query(max_length=512, description="Opaque cursor from a previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = DEFAULT_LIMIT,
) -> PageParams:
    return PageParams(cursor=cursor, limit=limit)


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise invalid_cursor() from exc
    if not isinstance(values, list) or len(values) != width:
        raise invalid_cursor()
    if not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in values):
        raise invalid_cursor()
    return values


def invalid_cursor() -> Problem:
    return Problem(400, "invalid-cursor", "Invalid cursor", "Use the next_cursor of a page as is.")


def paginate(
    session: Session,
    statement: Select[Any],
    *,
    order_by: Sequence[Any],
    params: PageParams,
    descending: bool = False,
) -> tuple[list[Any], str | None]:
    """Keyset pagination on the columns `order_by` (the last one must be unique)."""
    if params.cursor:
        after = decode_cursor(params.cursor, len(order_by))
        statement = statement.where(_after(order_by, after, descending=descending))
    ordering = [c.desc() for c in order_by] if descending else list(order_by)
    rows = list(session.scalars(statement.order_by(*ordering).limit(params.limit + 1)).all())
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    last = rows[-1]
    return rows, encode_cursor([getattr(last, col.key) for col in order_by])


def _after(
    columns: Sequence[Any], values: Sequence[Any], *, descending: bool
) -> ColumnElement[bool]:
    """(a, b, c) > (x, y, z) (or <), spelled out so that SQLite and PostgreSQL agree."""
    clauses = []
    for index, column in enumerate(columns):
        equal_prefix = [columns[i] == values[i] for i in range(index)]
        beyond = column < values[index] if descending else column > values[index]
        clauses.append(and_(*equal_prefix, beyond))
    return or_(*clauses)
