"""The embedded database really runs as documented: WAL, busy timeout, foreign keys, and
write transactions that take the write lock up front."""

import threading
import time

from sqlalchemy import text
from sqlmodel import Session

from cxshared.db import make_engine, read_session, try_begin_write, write_session
from cxshared.testing.databases import writer_held


def test_pragmas_are_set_on_every_connection(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 15000
    engine.dispose()


def test_a_second_writer_waits_for_the_first_instead_of_failing(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    with write_session(engine) as session:
        session.execute(text("CREATE TABLE counter (n INTEGER)"))
        session.execute(text("INSERT INTO counter VALUES (0)"))
    first_holds_lock = threading.Event()
    order: list[str] = []

    def first() -> None:
        with write_session(engine) as session:
            value = session.execute(text("SELECT n FROM counter")).scalar()
            first_holds_lock.set()
            time.sleep(0.3)
            session.execute(text("UPDATE counter SET n = :n"), {"n": value + 1})
            order.append("first")

    def second() -> None:
        first_holds_lock.wait()
        with write_session(engine) as session:
            value = session.execute(text("SELECT n FROM counter")).scalar()
            session.execute(text("UPDATE counter SET n = :n"), {"n": value + 1})
            order.append("second")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # With a deferred BEGIN both would read 0 and one update would be lost (or fail "locked").
    with read_session(engine) as session:
        assert session.execute(text("SELECT n FROM counter")).scalar() == 2
    assert order == ["first", "second"]
    engine.dispose()


def test_readers_are_not_blocked_by_a_writer(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    with write_session(engine) as session:
        session.execute(text("CREATE TABLE t (n INTEGER)"))
        session.execute(text("INSERT INTO t VALUES (1)"))
    with write_session(engine) as writer:
        writer.execute(text("UPDATE t SET n = 2"))
        started = time.monotonic()
        with read_session(engine) as reader:
            assert reader.execute(text("SELECT n FROM t")).scalar() == 1
        assert time.monotonic() - started < 1
    engine.dispose()


def test_a_failed_write_releases_the_write_lock(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    try:
        with write_session(engine) as session:
            session.execute(text("SELECT no_such_column"))
    except Exception:
        pass
    started = time.monotonic()
    with write_session(engine) as session:
        session.execute(text("CREATE TABLE t (n INTEGER)"))
    assert time.monotonic() - started < 1
    engine.dispose()


def test_the_event_loop_path_never_waits_for_another_writer_of_its_process(tmp_path):
    """`try_begin_write` starts a write only when no other writer of the process holds the
    lock, and then holds it like `begin_write` until its commit; a failure releases it."""
    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    with write_session(engine) as session:
        session.execute(text("CREATE TABLE t (n INTEGER)"))
    with writer_held(engine), Session(engine) as session:
        started = time.monotonic()
        assert try_begin_write(session) is False  # at once, nothing started
        assert time.monotonic() - started < 0.5
        assert not session.in_transaction()
    with Session(engine) as session:
        assert try_begin_write(session) is True
        session.execute(text("INSERT INTO t VALUES (1)"))
        # It holds the lock now: a third writer is refused until the commit.
        with Session(engine) as third:
            assert try_begin_write(third) is False
        session.commit()
        with Session(engine) as third:
            assert try_begin_write(third) is True
            third.rollback()
        with Session(engine) as fourth:  # the rollback let go of it too
            assert try_begin_write(fourth) is True
            fourth.rollback()
    with read_session(engine) as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar() == 1
    engine.dispose()
