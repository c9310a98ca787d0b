"""Journey's actions as their `action.*` events describe them, and the effect metrics measured
for each shipped one. Each row keeps the version of the action it was copied from: an older
event never overwrites a newer one, and a deleted action stays as a tombstone (no effect) so
that a late event of it cannot bring it back."""

from datetime import date
from typing import Any

from sqlmodel import Field, SQLModel

from cxshared.db import JSONType


class ActionEffect(SQLModel, table=True):
    __tablename__ = "action_effect"

    id: str = Field(primary_key=True, max_length=64)
    version: int = 0
    journey_id: str = Field(default="", max_length=64, index=True)
    title: str = Field(default="", max_length=200)
    state: str = Field(default="", max_length=20)
    touchpoint_ids: list[str] = Field(default_factory=list, sa_type=JSONType)
    shipped_on: date | None = None
    deleted: bool = False
    # The EffectRead measured on `computed_on`; null until the action ships.
    result: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    verdict: str | None = Field(default=None, max_length=30, index=True)
    computed_on: date | None = None
    frozen: bool = False
