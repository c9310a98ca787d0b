"""Dense positions (0..n-1) for stages in a journey and touchpoints in a stage."""

from collections.abc import Sequence
from typing import Any


def clamp_position(position: int | None, size: int) -> int:
    """None or past the end means last; negative counts are refused by the schemas."""
    if position is None or position > size:
        return size
    return position


def renumber(items: Sequence[Any]) -> None:
    for index, item in enumerate(items):
        if item.position != index:
            item.position = index
