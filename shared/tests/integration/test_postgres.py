"""PostgreSQL connections are made as documented: a bounded wait for row locks."""

import pytest
from sqlalchemy import text

from cxshared.db import LOCK_TIMEOUT_MS, make_engine
from cxshared.testing.databases import DEFAULT_POSTGRES_URL, backend

pytestmark = [
    pytest.mark.databases,
    pytest.mark.skipif(backend() != "postgresql", reason="PostgreSQL runs only"),
]


def test_a_statement_waits_for_a_row_lock_no_longer_than_the_bound():
    engine = make_engine(DEFAULT_POSTGRES_URL.replace("+psycopg", ""), pool_size=2)
    try:
        with engine.connect() as connection:
            shown = connection.execute(text("SHOW lock_timeout")).scalar()
            assert shown == f"{LOCK_TIMEOUT_MS // 1000}s"
    finally:
        engine.dispose()
