"""Group commit on a real SQLite file: writes queued together commit together, each stands or
falls alone, a failed commit fails every write in it, and a batch waits for another writer of
the process in a worker thread, never on the event loop."""

import asyncio
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from cxshared.db import make_engine, read_session, write_session
from cxshared.groupcommit import GroupCommit
from cxshared.testing.databases import writer_held


@pytest.fixture
def engine(tmp_path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    with write_session(engine) as session:
        session.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
        session.execute(
            text("CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id REFERENCES parent(id))")
        )
        session.execute(text("INSERT INTO parent VALUES (1)"))
    yield engine
    engine.dispose()


def insert(child: int, parent: int = 1) -> Callable[[Session], int]:
    def work(session: Session) -> int:
        session.execute(text("INSERT INTO child VALUES (:c, :p)"), {"c": child, "p": parent})
        return child

    return work


def stored(engine: Engine) -> list[int]:
    with read_session(engine) as session:
        return list(session.execute(text("SELECT id FROM child ORDER BY id")).scalars())


async def run_all(
    writes: GroupCommit, works: list[Callable[[Session], int]]
) -> list[int | BaseException]:
    return list(await asyncio.gather(*(writes.run(w) for w in works), return_exceptions=True))


def test_writes_queued_together_share_one_transaction_and_fail_alone(engine):
    writes = GroupCommit(engine)
    # Child 3 names a parent that does not exist: its insert fails, the others stand.
    outcomes = asyncio.run(run_all(writes, [insert(1), insert(2), insert(3, parent=9), insert(4)]))
    assert outcomes[:2] == [1, 2] and outcomes[3] == 4
    assert "FOREIGN KEY" in str(outcomes[2])
    assert stored(engine) == [1, 2, 4]
    assert (writes.transactions, writes.writes) == (1, 4)


def test_a_commit_that_fails_fails_every_write_in_it_and_stores_none(engine):
    def orphan_found_at_commit(session: Session) -> int:
        # The check waits for COMMIT, which then fails for the whole transaction.
        session.execute(text("PRAGMA defer_foreign_keys = ON"))
        session.execute(text("INSERT INTO child VALUES (5, 9)"))
        return 5

    writes = GroupCommit(engine)
    outcomes = asyncio.run(run_all(writes, [insert(1), orphan_found_at_commit, insert(2)]))
    assert all(isinstance(o, Exception) and "FOREIGN KEY" in str(o) for o in outcomes), outcomes
    assert stored(engine) == []
    # The next writes are not held up by the failure.
    assert asyncio.run(run_all(writes, [insert(6)])) == [6]
    assert stored(engine) == [6]


def test_a_batch_waits_for_another_writer_off_the_event_loop(engine):
    writes = GroupCommit(engine)

    async def meanwhile() -> tuple[list[int | BaseException], int]:
        ticks = 0
        batch = asyncio.ensure_future(run_all(writes, [insert(1), insert(2)]))
        while not batch.done():  # the loop stays free while the batch waits for the lock
            ticks += 1
            await asyncio.sleep(0.01)
        return batch.result(), ticks

    loop = asyncio.new_event_loop()
    try:
        with writer_held(engine):
            task = loop.create_task(meanwhile())
            loop.run_until_complete(asyncio.sleep(0.3))
            assert not task.done()
            assert stored(engine) == []
        outcomes, ticks = loop.run_until_complete(task)
    finally:
        loop.close()
    assert outcomes == [1, 2]
    assert ticks >= 10
    assert stored(engine) == [1, 2]
