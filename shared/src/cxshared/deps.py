"""Request-scoped dependencies shared by every service."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from cxshared.db import begin_write

_READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def request_session(request: Request) -> Iterator[Session]:
    """One session per request; a request that may write starts a write transaction."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        if request.method not in _READ_METHODS:
            begin_write(session)
        yield session


SessionDep = Annotated[Session, Depends(request_session)]


def late_session(request: Request) -> Iterator[Session]:
    """A session whose handler starts the write itself (`begin_write`), so that the write lock
    is held only while the handler works, not across the hops between dependencies."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


LateSessionDep = Annotated[Session, Depends(late_session)]
