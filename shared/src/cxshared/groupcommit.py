"""Group commit: writes that arrive together share one transaction and one commit.

A write transaction costs more than the few rows most requests add: the lock (SQLite's one
writer), BEGIN and COMMIT, and on PostgreSQL a WAL flush that waits for the disk. Requests that
arrive while a commit is under way queue here, and the next transaction writes all of them,
each in a savepoint of its own, so one that fails (a bad answer, a limit reached) rolls back
alone and the others stand. Each caller is answered only once the transaction has committed:
an acknowledged write is a stored one, exactly as with a transaction of its own
(docs/platform.md, "Group commit").
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio.to_thread
from prometheus_client import Counter
from sqlalchemy import Engine
from sqlmodel import Session

from cxshared.db import begin_write, try_begin_write
from cxshared.deferred import DeferredInserts

T = TypeVar("T")

# Writes over transactions is the mean batch: how much group commit is saving (/metrics).
TRANSACTIONS = Counter("cx_group_commit_transactions_total", "Transactions of grouped writes")
WRITES = Counter("cx_group_commit_writes_total", "Writes committed in grouped transactions")

# The most writes one transaction takes: beyond this a batch holds SQLite's lock long enough
# to delay the reads and staff writes waiting beside it, and gains little more.
MAX_BATCH = 64


@dataclass
class _Entry:
    work: Callable[[Session], Any]
    done: "asyncio.Future[Any]"
    outcome: tuple[bool, Any] = field(default=(False, None))


class GroupCommit:
    """One per engine and event loop: `await writes.run(work)` runs `work(session)` in a write
    transaction shared with the writes that queued beside it, and returns its result (or raises
    its exception) once that transaction has committed."""

    def __init__(self, engine: Engine, *, max_batch: int = MAX_BATCH) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self._queue: list[_Entry] = []
        self._writer: asyncio.Task[None] | None = None
        # How many transactions, and how many writes they carried (for the benchmarks).
        self.transactions = 0
        self.writes = 0

    async def run(self, work: Callable[[Session], T]) -> T:
        entry = _Entry(work, asyncio.get_running_loop().create_future())
        self._queue.append(entry)
        if self._writer is None:
            self._writer = asyncio.create_task(self._drain())
        result: T = await entry.done
        return result

    async def _drain(self) -> None:
        try:
            # One turn of the loop first: the requests already read get to queue their writes.
            await asyncio.sleep(0)
            while self._queue:
                batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
                await self._commit(batch)
        finally:
            self._writer = None

    async def _commit(self, batch: list[_Entry]) -> None:
        session = Session(self.engine, expire_on_commit=False)
        try:
            # On the loop when the lock is free (no hop to a worker thread); in a worker thread
            # when another writer of this process holds it, whose end may need this loop.
            if try_begin_write(session):
                failure = self._write(session, batch)
            else:

                def after_the_others() -> BaseException | None:
                    begin_write(session)
                    return self._write(session, batch)

                failure = await anyio.to_thread.run_sync(after_the_others)
        finally:
            session.close()
        self.transactions += 1
        self.writes += len(batch)
        TRANSACTIONS.inc()
        WRITES.inc(len(batch))
        for entry in batch:
            if entry.done.done():  # its caller has gone (the client hung up)
                continue
            if failure is not None:
                entry.done.set_exception(failure)
            elif entry.outcome[0]:
                entry.done.set_result(entry.outcome[1])
            else:
                entry.done.set_exception(entry.outcome[1])

    @staticmethod
    def _write(session: Session, batch: list[_Entry]) -> BaseException | None:
        """Runs every write of `batch` in the session's transaction and commits; returns what
        made the commit itself fail (every write then fails with it), or None. The rows the
        writes deferred (`cxshared.deferred`) go in just before the commit."""
        alone = len(batch) == 1
        deferred = DeferredInserts()
        deferred.attach(session)
        try:
            for entry in batch:
                savepoint = None if alone else session.begin_nested()
                mark = deferred.mark()
                try:
                    entry.outcome = (True, entry.work(session))
                    if savepoint is not None:
                        savepoint.commit()
                except Exception as exc:  # the write's own failure, handed to its caller
                    deferred.drop_since(mark)
                    if savepoint is not None:
                        savepoint.rollback()
                    else:
                        session.rollback()
                    entry.outcome = (False, exc)
            deferred.flush(session)
            session.commit()
            return None
        except Exception as exc:
            session.rollback()
            return exc
        finally:
            deferred.detach(session)
