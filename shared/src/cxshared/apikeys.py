"""API keys: their scopes, their table and what an operator does with them (create, keep in a
file, list, revoke). No web framework here: the `cx-*` commands import this alone, and the
request-side checks live in `cxshared.auth`.

Keys are ``cxk_`` + 256 random bits (URL-safe base64), shown once and stored as SHA-256.
"""

import hashlib
import secrets
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Field, SQLModel, col, select

from cxshared.db import JSONType, UTCDateTime, read_session, write_session
from cxshared.ids import new_id
from cxshared.timeutil import utcnow

KEY_PREFIX = "cxk_"


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"
    GATEWAY = "gateway"
    INGEST = "ingest"


_IMPLIED = {
    Scope.READ: {Scope.READ, Scope.WRITE, Scope.ADMIN},
    Scope.WRITE: {Scope.WRITE, Scope.ADMIN},
    Scope.ADMIN: {Scope.ADMIN},
    Scope.GATEWAY: {Scope.GATEWAY},
    Scope.INGEST: {Scope.INGEST},
}


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=100, index=True)
    display_prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, unique=True)
    scopes: list[str] = Field(sa_type=JSONType)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def is_live_key(engine: Engine, authorization: bytes) -> bool:
    """Whether an Authorization header carries a cxloop API key that exists and is not revoked
    (what the key may do is the route's business)."""
    scheme, _, raw = authorization.decode("latin-1").partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw.startswith(KEY_PREFIX) or len(raw) > 200:
        return False
    with read_session(engine) as session:
        key = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(raw))).first()
    return key is not None and key.revoked_at is None


def create_api_key(engine: Engine, *, name: str, scopes: list[Scope]) -> tuple[ApiKey, str]:
    """Returns the stored key and the raw key, which is never stored and never shown again."""
    if not name.strip():
        raise ValueError("a key needs a name")
    if not scopes:
        raise ValueError("a key needs at least one scope")
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name.strip(),
        display_prefix=raw[:12],
        key_hash=hash_key(raw),
        scopes=sorted({Scope(s).value for s in scopes}),
    )
    with write_session(engine) as session:
        session.add(key)
    return key, raw


def revoke_api_key(engine: Engine, *, name_or_id: str) -> int:
    """Revokes every live key with that id or name; returns how many."""
    with write_session(engine) as session:
        keys = session.exec(
            select(ApiKey).where(
                (col(ApiKey.id) == name_or_id) | (col(ApiKey.name) == name_or_id),
                col(ApiKey.revoked_at).is_(None),
            )
        ).all()
        for key in keys:
            key.revoked_at = utcnow()
            session.add(key)
        return len(keys)


def kept_api_key(engine: Engine, *, name: str, scopes: list[Scope], path: Path) -> bool:
    """The key saved in `path` if it is still live with these scopes; otherwise a new one, saved
    there (readable by its owner only) after revoking the older keys of that name. For the keys
    services use to call each other in a local stack. Returns whether a key was created."""
    wanted = sorted({Scope(s).value for s in scopes})
    if path.exists():
        digest = hash_key(path.read_text().strip())
        with read_session(engine) as session:
            key = session.exec(select(ApiKey).where(ApiKey.key_hash == digest)).first()
        if key and key.revoked_at is None and key.name == name.strip() and key.scopes == wanted:
            return False
    revoke_api_key(engine, name_or_id=name.strip())
    _, raw = create_api_key(engine, name=name, scopes=scopes)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.touch(mode=0o600)
    partial.chmod(0o600)
    partial.write_text(raw + "\n")
    partial.replace(path)
    return True


def list_api_keys(engine: Engine) -> list[ApiKey]:
    with read_session(engine) as session:
        return list(session.exec(select(ApiKey).order_by(col(ApiKey.id))).all())
