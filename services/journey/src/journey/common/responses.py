"""The two endings of a handler: after a write, and after a read of one resource."""

from typing import TypeVar

from fastapi import Response

from cxshared.concurrency import set_etag
from cxshared.models import Editable
from journey.common.context import WriteContext

E = TypeVar("E", bound=Editable)


def saved(ctx: WriteContext, response: Response, entity: E) -> E:
    """Commits the write (entity, history and events together) and sets the new ETag."""
    ctx.session.commit()
    set_etag(response, entity.version)
    return entity


def tagged(response: Response, entity: E) -> E:
    set_etag(response, entity.version)
    return entity
