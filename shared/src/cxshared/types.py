"""Constrained strings for API schemas: bounded, trimmed, and free of NUL characters.

PostgreSQL cannot store NUL in text, so it is refused at the edge. Every rule is part of the
published schema (a `pattern` spelled with explicit characters, so that every regex engine
reads it alike); trimming touches only ASCII whitespace, which the patterns name.
"""

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, StringConstraints
from pydantic_core import PydanticCustomError

_TRIMMED = " \t\n\r\f\v"
NO_NUL = r"^[^\x00]*$"
# At least one character that is neither NUL nor ASCII whitespace: not empty once trimmed.
VISIBLE = r"^[^\x00]*[^\x00 \t\n\r\f\v][^\x00]*$"
EMAIL = r"^[^@\x00 \t\n\r\f\v]+@[^@\x00 \t\n\r\f\v]+$"


def _trim(value: str) -> str:
    return value.strip(_TRIMMED)


Name = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=VISIBLE), AfterValidator(_trim)
]
OptionalName = Annotated[
    str, StringConstraints(max_length=200, pattern=NO_NUL), AfterValidator(_trim)
]
"""A name that may be empty, such as a named owner not yet chosen."""
ShortText = Annotated[str, StringConstraints(max_length=500, pattern=NO_NUL)]
LongText = Annotated[str, StringConstraints(max_length=5000, pattern=NO_NUL)]
Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=VISIBLE), AfterValidator(_trim)
]
Email = Annotated[str, StringConstraints(min_length=3, max_length=320, pattern=EMAIL)]
"""A contact address, something@somewhere; deliverability is not checked."""

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _iso(pattern: re.Pattern[str], what: str) -> Callable[[Any], Any]:
    """Pydantic would read numbers (and numeric strings) as Unix timestamps; the schema
    promises ISO 8601, so only that is accepted."""

    def check(value: Any) -> Any:
        if isinstance(value, date):
            return value
        if not isinstance(value, str) or not pattern.match(value):
            raise PydanticCustomError(f"{what}_format", f"must be an ISO 8601 {what}")
        return value

    return check


IsoDate = Annotated[date, BeforeValidator(_iso(_ISO_DATE, "date"))]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso(_ISO_DATETIME, "datetime"))]
