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
