"""Reading rows the way every service does: one by id or 404, and filtered pages."""

from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, col, select

from cxshared.pagination import PageParams, paginate
from cxshared.problems import Problem

M = TypeVar("M", bound=SQLModel)


def get_or_404(session: Session, model: type[M], entity_id: str, *, lock: bool = False) -> M:
    statement = select(model).where(model.id == entity_id)  # type: ignore[attr-defined]
    if lock:
        statement = statement.with_for_update()
    found = session.exec(statement).first()
    if found is None:
        raise Problem(404, "not-found", "Not found", f"No {model.__tablename__} {entity_id}.")
    return found


def listed(
    session: Session, model: type[M], *, filters: dict[str, Any], params: PageParams
) -> tuple[list[M], str | None]:
    """A page of `model`, oldest first, where each filter that is given equals its column."""
    query = select(model)
    for name, value in filters.items():
        if value is not None:
            query = query.where(getattr(model, name) == value)
    return paginate(session, query, order_by=[col(model.id)], params=params)  # type: ignore[attr-defined]
