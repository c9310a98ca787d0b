"""Opaque, time-sortable identifiers (UUIDv7), safe to expose."""

import uuid_utils


def new_id() -> str:
    return str(uuid_utils.uuid7())
