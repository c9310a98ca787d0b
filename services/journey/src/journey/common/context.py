"""What a write needs: the transaction, who acts, and the outbox to publish into."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from cxshared.auth import Writer
from cxshared.deps import OutboxDep, SessionDep
from cxshared.events.outbox import Outbox


@dataclass(frozen=True)
class WriteContext:
    session: Session
    actor: str
    outbox: Outbox


async def write_context(session: SessionDep, principal: Writer, outbox: OutboxDep) -> WriteContext:
    return WriteContext(session=session, actor=principal.actor, outbox=outbox)


WriteCtx = Annotated[WriteContext, Depends(write_context)]
