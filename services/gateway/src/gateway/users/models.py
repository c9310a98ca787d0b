from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from cxshared.db import UTCDateTime
from cxshared.ids import new_id
from cxshared.timeutil import utcnow


class Role(StrEnum):
    ADMIN = "admin"  # everything, including staff accounts
    EDITOR = "editor"  # changes journeys, surveys and alerts
    VIEWER = "viewer"  # sees everything, changes nothing


class User(SQLModel, table=True):
    __tablename__ = "staff_user"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    email: str = Field(max_length=320, unique=True)  # stored lower-cased
    name: str = Field(max_length=200)
    role: str = Field(max_length=16)  # a Role
    password_hash: str = Field(max_length=200)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def can_edit(self) -> bool:
        return self.role in (Role.ADMIN, Role.EDITOR)


class StaffSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so a
    copy of the database opens no session."""

    __tablename__ = "staff_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="staff_user.id", index=True, max_length=36)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # How it was opened: "password", then "password+totp" or "password+recovery-code" once
    # the second factor is given; until then a user who has one reaches only /login/code.
    authenticated_with: str = Field(default="password", max_length=40)
    awaiting_code: bool = False
    second_factor_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SignInThrottle(SQLModel, table=True):
    """Failed sign-ins in a row for one email, known or not (so the answer tells nobody which
    accounts exist), and until when the account takes no password from an unknown browser."""

    __tablename__ = "sign_in_throttle"

    email: str = Field(primary_key=True, max_length=320)  # lower-cased
    failures: int = 0
    last_failure_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TrustedDevice(SQLModel, table=True):
    """A browser that signed in as the user before. Its cookie holds a random token; only the
    SHA-256 is stored. Such a browser is not held back by another's failed guesses."""

    __tablename__ = "trusted_device"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="staff_user.id", index=True, max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SecondFactor(SQLModel, table=True):
    """A user's authenticator (TOTP, RFC 6238): its shared secret, confirmed by a first code,
    and the last time step a code was accepted for (a code is accepted once: replay)."""

    __tablename__ = "second_factor"

    user_id: str = Field(foreign_key="staff_user.id", primary_key=True, max_length=36)
    secret: str = Field(max_length=64)  # base32
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_step: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # While set up and not confirmed: the session that started it, the only one shown the
    # secret and the only one that may confirm it.
    pending_session: str | None = Field(default=None, max_length=64)
    # Wrong codes in a row, and until when no code is taken (doubling from 1 minute).
    failures: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RecoveryCode(SQLModel, table=True):
    """One of the ten codes a user gets when enrolling, each good once; only the SHA-256 of
    each is kept (they are random, 50 bits each)."""

    __tablename__ = "recovery_code"

    code_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="staff_user.id", index=True, max_length=36)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FactorRequirement(SQLModel, table=True):
    """Whether a role must sign in with a second factor (a row per role an admin has set)."""

    __tablename__ = "second_factor_requirement"

    role: str = Field(primary_key=True, max_length=16)
    required: bool = False
    updated_by: str = Field(max_length=320)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuditEntry(SQLModel, table=True):
    """Who did what to whose account, and when: second-factor resets and requirements."""

    __tablename__ = "audit_entry"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=320)  # an email, or "shell" for cx-gateway's commands
    action: str = Field(max_length=60)
    subject: str | None = Field(default=None, max_length=320)
    detail: str = Field(default="", max_length=500)
