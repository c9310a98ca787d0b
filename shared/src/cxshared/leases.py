"""Claiming due work rows with a lease: the event relay's deliveries, the mail sender's messages.

A row is due when its state is the waiting one and its `next_attempt_at` has come. Claiming
pushes `next_attempt_at` one lease ahead and stamps a lease token, in a transaction that holds
``FOR UPDATE SKIP LOCKED`` on PostgreSQL (so several workers share the work) or the write lock
on SQLite; a worker that dies leaves its rows to be claimed again when the lease runs out.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update
from sqlmodel import Session, SQLModel

from cxshared.db import is_sqlite, read_session


def _due(model: type[SQLModel], waiting: str, now: datetime) -> Any:
    table = model.__table__.c  # type: ignore[attr-defined]
    return select(table.id).where(table.state == waiting, table.next_attempt_at <= now)


def anything_due(engine: Engine, model: type[SQLModel], *, waiting: str, now: datetime) -> bool:
    """A read, so that a worker with nothing to do takes no write lock to find that out."""
    with read_session(engine) as session:
        return session.execute(_due(model, waiting, now).limit(1)).first() is not None


def claim_due(
    session: Session,
    model: type[SQLModel],
    *,
    waiting: str,
    now: datetime,
    limit: int,
    lease_seconds: float,
    token: str,
) -> list[str]:
    """The ids of up to `limit` due rows, earliest first, now leased to `token` (in `session`,
    a write session)."""
    table = model.__table__.c  # type: ignore[attr-defined]
    due = _due(model, waiting, now).order_by(table.next_attempt_at, table.id).limit(limit)
    bind = session.get_bind()
    if not (isinstance(bind, Engine) and is_sqlite(bind)):
        due = due.with_for_update(skip_locked=True)
    ids = list(session.execute(due).scalars())
    if ids:
        session.execute(
            update(model.__table__)  # type: ignore[attr-defined]
            .where(table.id.in_(ids))
            .values(next_attempt_at=now + timedelta(seconds=lease_seconds), lease_token=token)
        )
    return ids
