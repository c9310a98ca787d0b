"""Rate limits shared by every worker of a service: counters live in its database.

Fixed one-minute windows, one row per (key, window), incremented with an atomic upsert. The
client address is the peer's, or, when the peer is a trusted proxy, the last address in
X-Forwarded-For that is not itself a trusted proxy.
"""

import functools
import ipaddress
import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel, col
from starlette.requests import Request

from cxshared.db import UTCDateTime, write_session
from cxshared.problems import Problem
from cxshared.timeutil import utcnow

WINDOW = timedelta(minutes=1)


class RateLimitBucket(SQLModel, table=True):
    __tablename__ = "rate_limit_bucket"

    key: str = Field(primary_key=True, max_length=200)
    window_start: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    count: int = 0


def client_address(request: Request, trusted_proxies: list[str]) -> str:
    peer = request.client.host if request.client else "unknown"
    networks = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]

    def trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in networks)

    if not trusted(peer):
        return peer
    forwarded = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",")]
    for address in reversed([a for a in forwarded if a]):
        if not trusted(address):
            return address
    return peer


def hit(engine: Engine, limits: dict[str, int], *, now: datetime | None = None) -> None:
    """Counts one request under each key in a transaction of its own; 429 past any limit."""
    with write_session(engine) as session:
        count(session, limits, now=now)


@functools.cache
def _upsert(dialect: str) -> Any:
    """The upsert that counts a request under its keys (one statement, a row per key), built
    once per dialect: SQLAlchemy caches a statement's compiled form, but building the statement
    (and its cache key) anew cost more than running it."""
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    table = RateLimitBucket.__table__  # type: ignore[attr-defined]
    return (
        insert(table)
        .on_conflict_do_update(
            index_elements=["key", "window_start"], set_={"count": table.c.count + 1}
        )
        .returning(table.c.key, table.c.count)
    )


def _increment(session: Session, keys: list[str], window: datetime) -> dict[str, int]:
    """Each key's count in the window, after adding one."""
    statement = _upsert(session.get_bind().dialect.name)
    rows = [{"key": key, "window_start": window, "count": 1} for key in keys]
    # Rows come back in no set order, hence the key with each count.
    return {key: int(n) for key, n in session.execute(statement, rows).all()}


def count(session: Session, limits: dict[str, int], *, now: datetime | None = None) -> None:
    """Counts one request under each key (key -> limit a minute) in the caller's write
    transaction; 429 past any limit."""
    now = now or utcnow()
    window = now.replace(second=0, microsecond=0)
    # Sorted: every request locks the rows in one order, so two requests never deadlock.
    seen = _increment(session, sorted(limits), window)
    if random.random() < 0.01:  # now and then, drop windows long gone
        session.execute(
            delete(RateLimitBucket).where(col(RateLimitBucket.window_start) < window - WINDOW)
        )
    over = [key for key, limit in limits.items() if seen[key] > limit]
    if over:
        limit = limits[over[0]]
        retry_after = int((window + WINDOW - now).total_seconds()) + 1
        raise Problem(
            429,
            "rate-limited",
            "Too many requests",
            f"At most {limit} requests a minute; try again in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )
