"""Staff accounts and their server-side sessions.

Passwords are hashed with Argon2id. A session is a row: signing out deletes it, disabling a user
deletes all of theirs, and a session unused for the idle timeout, or older than the absolute
one, is refused and removed when next presented.
"""

import hashlib
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete
from sqlmodel import col, select

from cxshared.db import read_session, write_session
from cxshared.timeutil import utcnow
from gateway.users.models import FactorRequirement, Role, SecondFactor, StaffSession, User

# argon2-cffi's defaults are Argon2id with RFC 9106's low-memory profile.
_hasher = PasswordHasher()
# A hash or a verification holds its memory cost (64 MiB) and a core while it runs. Run more
# at once than there are cores and they finish no sooner, but the memory multiplies: ten staff
# signing in at one moment took the gateway's workers from 330 MB to 970 MB. The rest wait.
_hashing = threading.BoundedSemaphore(os.cpu_count() or 1)
# Verified against when the email is unknown, so that a wrong email costs as long as a wrong
# password and response times do not tell which accounts exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

MIN_PASSWORD_LENGTH = 12
# last_seen_at is written at most this often, not on every request.
TOUCH_EVERY = timedelta(minutes=1)


class UserError(ValueError):
    pass


@dataclass(frozen=True)
class SignedIn:
    user: User
    csrf_token: str
    token_hash: str = ""
    # Signed in with the password; the second factor still to give (users/factor.py).
    awaiting_code: bool = False
    second_factor_at: datetime | None = None
    has_factor: bool = False
    factor_required: bool = False  # the user's role must have one (FactorRequirement)
    authenticated_with: str = "password"

    @property
    def must_enrol(self) -> bool:
        return self.factor_required and not self.has_factor


def _hash(password: str) -> str:
    with _hashing:
        return _hasher.hash(password)


def hash_token(token: str) -> str:
    """What a session's row keeps of its cookie token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(engine: Engine, *, email: str, name: str, role: Role, password: str) -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise UserError(f"{email!r} is not an email address")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    password_hash = _hash(password)  # before the transaction: it takes a while
    with write_session(engine) as session:
        if session.exec(select(User).where(User.email == email)).first():
            raise UserError(f"a user with the email {email} exists already")
        user = User(email=email, name=name.strip() or email, role=role, password_hash=password_hash)
        session.add(user)
    return user


def set_disabled(engine: Engine, *, email: str, disabled: bool) -> User:
    with write_session(engine) as session:
        user = session.exec(select(User).where(User.email == email.strip().lower())).first()
        if user is None:
            raise UserError(f"no user with the email {email}")
        user.disabled_at = utcnow() if disabled else None
        session.add(user)
        if disabled:
            session.execute(delete(StaffSession).where(col(StaffSession.user_id) == user.id))
    return user


def authenticate(engine: Engine, *, email: str, password: str) -> User | None:
    with read_session(engine) as session:
        user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    try:
        with _hashing:
            _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled_at is not None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        password_hash = _hash(password)
        with write_session(engine) as session:
            user.password_hash = password_hash
            session.add(user)
    return user


def start_session(
    engine: Engine, *, user: User, awaiting_code: bool = False
) -> tuple[str, SignedIn]:
    """A new session for the user; returns the cookie's token (shown nowhere else).
    `awaiting_code`: the user has a second factor, which the session waits for."""
    token = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    with write_session(engine) as session:
        session.add(
            StaffSession(
                token_hash=hash_token(token),
                user_id=user.id,
                csrf_token=csrf_token,
                awaiting_code=awaiting_code,
            )
        )
    return token, SignedIn(
        user=user, csrf_token=csrf_token, token_hash=hash_token(token), awaiting_code=awaiting_code
    )


def resume_session(
    engine: Engine, *, token: str, idle: timedelta, absolute: timedelta
) -> SignedIn | None:
    now = utcnow()
    token_hash = hash_token(token)
    with read_session(engine) as session:
        row = session.exec(
            select(StaffSession, User, SecondFactor.confirmed_at, FactorRequirement.required)
            .join(User, col(User.id) == col(StaffSession.user_id))
            .join(SecondFactor, col(SecondFactor.user_id) == col(User.id), isouter=True)
            .join(FactorRequirement, col(FactorRequirement.role) == col(User.role), isouter=True)
            .where(StaffSession.token_hash == token_hash)
        ).first()
    if row is None:
        return None
    staff_session, user, factor_confirmed_at, factor_required = row
    expired = now - staff_session.last_seen_at > idle or now - staff_session.created_at > absolute
    if expired or user.disabled_at is not None:
        end_session(engine, token=token)
        return None
    if now - staff_session.last_seen_at > TOUCH_EVERY:
        with write_session(engine) as session:
            staff_session.last_seen_at = now
            session.add(staff_session)
    return SignedIn(
        user=user,
        csrf_token=staff_session.csrf_token,
        token_hash=token_hash,
        awaiting_code=staff_session.awaiting_code,
        second_factor_at=staff_session.second_factor_at,
        has_factor=factor_confirmed_at is not None,
        factor_required=bool(factor_required),
        authenticated_with=staff_session.authenticated_with,
    )


def end_session(engine: Engine, *, token: str) -> None:
    with write_session(engine) as session:
        session.execute(
            delete(StaffSession).where(col(StaffSession.token_hash) == hash_token(token))
        )


def has_users(engine: Engine) -> bool:
    with read_session(engine) as session:
        return session.exec(select(User.id).limit(1)).first() is not None


def staff_members(engine: Engine) -> list[tuple[str, str]]:
    """Every enabled staff member as (email, name), by name: whom a case can be given to."""
    with read_session(engine) as session:
        rows = session.exec(
            select(User.email, User.name)
            .where(col(User.disabled_at).is_(None))
            .order_by(col(User.name), col(User.email))
        ).all()
    return [(email, name) for email, name in rows]
