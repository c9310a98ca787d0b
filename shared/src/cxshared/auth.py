"""API-key authentication.

Keys are ``cxk_`` + 256 random bits (URL-safe base64), shown once and stored as SHA-256. A key
carries a name and scopes; `write` implies `read`, `admin` implies both, and `gateway` is what lets
the web gateway name the staff user it acts for (the ``X-Acting-User`` header); `ingest` is the
one scope a relay needs to deliver events to metrics, and nothing else. Keys are accepted
only in the Authorization header, never in a query string (they would end up in logs).
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from cxshared.db import JSONType, UTCDateTime, read_session, write_session
from cxshared.deps import engine_of
from cxshared.ids import new_id
from cxshared.problems import Problem
from cxshared.timeutil import utcnow

KEY_PREFIX = "cxk_"
ACTING_USER_HEADER = "X-Acting-User"
QUERY_CREDENTIAL_NAMES = {"api_key", "apikey", "key", "token", "access_token", "auth"}


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


@dataclass(frozen=True)
class Principal:
    key_id: str
    key_name: str
    scopes: frozenset[str]
    acting_user: str | None = None

    def has(self, scope: Scope) -> bool:
        return bool(self.scopes & {s.value for s in _IMPLIED[scope]})

    @property
    def actor(self) -> str:
        """Who a change is recorded against: the staff user, else the key."""
        return self.acting_user or f"api-key:{self.key_name}"


_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer cxk_…`")


def _unauthenticated(detail: str) -> Problem:
    return Problem(
        401,
        "unauthenticated",
        "Authentication required",
        detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if QUERY_CREDENTIAL_NAMES & {name.lower() for name in request.query_params}:
        raise Problem(
            400,
            "credentials-in-query",
            "Credentials in the query string",
            "Send the API key in the Authorization header; keys in URLs end up in logs.",
        )
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthenticated("Send `Authorization: Bearer <api key>`.")
    raw = credentials.credentials
    if not raw.startswith(KEY_PREFIX) or len(raw) > 200:
        raise _unauthenticated("That is not a cxloop API key.")
    digest = hash_key(raw)
    with Session(engine_of(request)) as session:
        key = session.exec(select(ApiKey).where(ApiKey.key_hash == digest)).first()
    if key is None or not hmac.compare_digest(key.key_hash, digest):
        raise _unauthenticated("Unknown API key.")
    if key.revoked_at is not None:
        raise _unauthenticated("This API key has been revoked.")
    principal = Principal(key_id=key.id, key_name=key.name, scopes=frozenset(key.scopes))
    acting_user = request.headers.get(ACTING_USER_HEADER)
    if acting_user is not None:
        if not principal.has(Scope.GATEWAY):
            raise Problem(
                403,
                "acting-user-not-allowed",
                "Not allowed",
                f"Only a key with the gateway scope may send {ACTING_USER_HEADER}.",
            )
        acting_user = acting_user.strip()
        if not acting_user or len(acting_user) > 200 or not acting_user.isprintable():
            raise Problem(400, "bad-acting-user", "Bad request", f"Invalid {ACTING_USER_HEADER}.")
        principal = Principal(
            key_id=key.id, key_name=key.name, scopes=principal.scopes, acting_user=acting_user
        )
    return principal


def require(scope: Scope) -> object:
    """A dependency that authenticates and demands `scope`."""

    async def dependency(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not principal.has(scope):
            raise Problem(
                403,
                "insufficient-scope",
                "Not allowed",
                f"This needs a key with the {scope} scope.",
            )
        return principal

    return Depends(dependency)


Reader = Annotated[Principal, require(Scope.READ)]
Writer = Annotated[Principal, require(Scope.WRITE)]
Admin = Annotated[Principal, require(Scope.ADMIN)]
Ingester = Annotated[Principal, require(Scope.INGEST)]
