"""Group commit on a real SQLite file: writes queued together commit together, each stands or
falls alone, a failed commit fails every write in it, a batch waits for another writer of the
process in a worker thread, never on the event loop, and the rows writes defer go in with the
batch (once, and only for writes that stood)."""

import asyncio
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, column, table, text
from sqlalchemy.dialects import sqlite
from sqlmodel import Session

from cxshared import deferred
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


GATES = table("gate", column("id"), column("k"))
GATE = sqlite.insert(GATES).on_conflict_do_nothing()
NOTE = sqlite.insert(table("note", column("gate_id"), column("body")))


@pytest.fixture
def gated(engine: Engine) -> Engine:
    with write_session(engine) as session:
        session.execute(text("CREATE TABLE gate (id TEXT PRIMARY KEY, k TEXT UNIQUE)"))
        session.execute(text("CREATE TABLE note (gate_id TEXT REFERENCES gate(id), body TEXT)"))
    return engine


def opens(gate_id: str, k: str, body: str, *, fail: bool = False) -> Callable[[Session], bool]:
    """A write like a capture opening a case: a row once per `k`, a note going in with it."""

    def work(session: Session) -> bool:
        opened = deferred.insert_once(session, GATE, {"id": gate_id, "k": k}, key=GATES.c.id)
        if opened:
            with deferred.depending_on(session, gate_id):
                deferred.insert(session, NOTE, {"gate_id": gate_id, "body": body})
        if fail:
            raise ValueError("refused after adding its rows")
        return opened

    return work


def notes(engine: Engine) -> list[tuple[str, str]]:
    with read_session(engine) as session:
        found = session.execute(text("SELECT gate_id, body FROM note ORDER BY body")).all()
        return [tuple(row) for row in found]


def test_deferred_rows_go_in_with_the_batch_once_and_only_for_writes_that_stood(gated):
    writes = GroupCommit(gated)
    outcomes = asyncio.run(
        run_all(
            writes,
            [
                opens("a", "k1", "first"),
                opens("b", "k1", "same key again"),  # its row and its note do not go in
                opens("c", "k2", "refused", fail=True),  # dropped with its savepoint
                opens("d", "k3", "third"),
            ],
        )
    )
    assert outcomes[0] is True and outcomes[3] is True
    assert isinstance(outcomes[2], ValueError)
    with read_session(gated) as session:
        assert session.execute(text("SELECT id, k FROM gate ORDER BY k")).all() == [
            ("a", "k1"),
            ("d", "k3"),
        ]
    assert notes(gated) == [("a", "first"), ("d", "third")]
    assert writes.transactions == 1
    # A later batch finds the key there: nothing more goes in.
    asyncio.run(run_all(writes, [opens("e", "k1", "later")]))
    assert notes(gated) == [("a", "first"), ("d", "third")]


def test_outside_group_commit_deferred_inserts_run_at_once(gated):
    with write_session(gated) as session:
        assert opens("a", "k1", "first")(session) is True
        assert session.execute(text("SELECT count(*) FROM note")).scalar() == 1
        assert opens("b", "k1", "again")(session) is False
    assert notes(gated) == [("a", "first")]
