"""Holding back password guesses: per address, per account, and never the account's own browser.

- An address may try 10 sign-ins a minute (`cxshared.ratelimit`).
- An account (an email, known or not) that failed `FREE_FAILURES` times in a row takes no
  password from an unknown browser for a while: 1 minute, then 2, 4 ... up to an hour, doubling
  with each further failure. A distributed guess at one account gets a handful of tries an hour.
- A browser that signed in as the user before carries a device cookie. It is held to its own 10
  tries a minute and not by the account's lock, so a guessing burst from the same office (or
  from anywhere) does not lock the real user out of their usual browser.
- Success clears the account's count; a failure a day after the last starts it again.
An admin lifts a lock with `cx-gateway unlock-user --email E` (docs/gateway.md).
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete
from sqlmodel import col, select

from cxshared.db import read_session, write_session
from cxshared.timeutil import utcnow
from gateway.users.models import SignInThrottle, TrustedDevice, User

FREE_FAILURES = 5
LONGEST_LOCK = timedelta(hours=1)
FORGET_FAILURES_AFTER = timedelta(days=1)
DEVICE_LIFETIME = timedelta(days=90)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def lock_for(failures: int) -> timedelta | None:
    """How long an account is locked after this many failures in a row."""
    if failures < FREE_FAILURES:
        return None
    return min(timedelta(minutes=2 ** (failures - FREE_FAILURES)), LONGEST_LOCK)


def locked_until(engine: Engine, *, email: str, now: datetime | None = None) -> datetime | None:
    with read_session(engine) as session:
        row = session.get(SignInThrottle, email)
    now = now or utcnow()
    if row is None or row.locked_until is None or row.locked_until <= now:
        return None
    return row.locked_until


def record_failure(engine: Engine, *, email: str, now: datetime | None = None) -> int:
    """Counts a failed sign-in for the email; returns the failures in a row."""
    now = now or utcnow()
    with write_session(engine) as session:
        row = session.get(SignInThrottle, email) or SignInThrottle(email=email)
        if now - row.last_failure_at > FORGET_FAILURES_AFTER:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        delay = lock_for(row.failures)
        row.locked_until = now + delay if delay else None
        session.add(row)
        return row.failures


def clear(engine: Engine, *, email: str) -> bool:
    """Forgets the email's failures and lifts its lock; True if there was anything."""
    with write_session(engine) as session:
        result = session.execute(delete(SignInThrottle).where(col(SignInThrottle.email) == email))
        return bool(getattr(result, "rowcount", 0))


def trusted_device(
    engine: Engine, *, token: str, email: str, now: datetime | None = None
) -> str | None:
    """The device's id (its token's hash) when the cookie is one this email's user was given
    at a sign-in within the device lifetime; otherwise None."""
    if not token:
        return None
    now = now or utcnow()
    with read_session(engine) as session:
        found = session.exec(
            select(TrustedDevice)
            .join(User, col(User.id) == col(TrustedDevice.user_id))
            .where(col(TrustedDevice.token_hash) == _hash(token), col(User.email) == email)
        ).first()
    if found is None or now - found.created_at > DEVICE_LIFETIME:
        return None
    return found.token_hash


def remember_device(engine: Engine, *, user: User, token: str | None) -> str:
    """After a sign-in: keeps the browser's device token if it is this user's, or gives a new
    one. Returns the token for the cookie."""
    now = utcnow()
    with write_session(engine) as session:
        device = session.get(TrustedDevice, _hash(token)) if token else None
        if (
            token
            and device
            and device.user_id == user.id
            and now - device.created_at <= DEVICE_LIFETIME
        ):
            device.last_used_at = now
            session.add(device)
            return token
        token = secrets.token_urlsafe(32)
        session.add(TrustedDevice(token_hash=_hash(token), user_id=user.id))
        return token
