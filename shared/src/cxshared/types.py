"""Constrained types for API schemas: strings bounded, trimmed and free of NUL characters, and
whole numbers that are never booleans.

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


def refuse_booleans(value: Any) -> Any:
    """Pydantic's lax mode reads JSON's true and false as 1 and 0 (`{"nps": true}` was stored as
    an NPS of 1); JSON Schema's integer and number include neither. Lists are checked item by
    item."""
    items = value if isinstance(value, list) else (value,)
    if any(isinstance(item, bool) for item in items):
        raise PydanticCustomError("bool_not_number", "true and false are not numbers")
    return value


NOT_BOOLEAN = BeforeValidator(refuse_booleans)
WholeNumber = Annotated[int, NOT_BOOLEAN]
"""An integer as JSON Schema has it: 3 or 3.0, never true or false. (Pydantic's strict int would
refuse 3.0, which the published schema allows.) Numbers with a fraction are `float` fields
declared `strict=True`: they take 3 and 3.5, never true or a string.

Constraints go in `Field(...)` as the default, or, where the field is nullable or annotated,
before the validator: `Annotated[int, Field(ge=0), NOT_BOOLEAN] | None`. After it, pydantic
publishes them as `ge`/`le` instead of JSON Schema's `minimum`/`maximum`."""
