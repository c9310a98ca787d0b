"""PATCH bodies: the fields a request sets, and what `null` means for each."""

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from cxshared.problems import field_error


def to_patch(body: BaseModel, *, clearable: Mapping[str, Any] = {}) -> dict[str, Any]:
    """The fields a PATCH sets. `null` clears a field in `clearable` (to its empty value) and is
    refused elsewhere."""
    patch = {}
    for name in body.model_fields_set:
        value = getattr(body, name)
        if value is None:
            if name not in clearable:
                raise field_error(name, "cannot be null", "null_not_allowed")
            value = clearable[name]
        elif isinstance(value, BaseModel):
            value = value.model_dump(mode="json")
        elif isinstance(value, list):
            value = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
        patch[name] = value
    return patch
