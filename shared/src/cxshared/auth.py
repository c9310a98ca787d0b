"""API-key authentication: the request-side checks (the keys, their scopes and table are
`cxshared.apikeys`).

Keys are ``cxk_`` + 256 random bits (URL-safe base64), shown once and stored as SHA-256. A key
carries a name and scopes; `write` implies `read`, `admin` implies both, and `gateway` is what lets
the web gateway name the staff user it acts for (the ``X-Acting-User`` header); `ingest` is the
one scope a relay needs to deliver events to metrics, and nothing else. Keys are accepted
only in the Authorization header, never in a query string (they would end up in logs).
"""

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session, select

from cxshared.apikeys import _IMPLIED, hash_key
from cxshared.apikeys import KEY_PREFIX as KEY_PREFIX
from cxshared.apikeys import ApiKey as ApiKey
from cxshared.apikeys import Scope as Scope
from cxshared.apikeys import create_api_key as create_api_key
from cxshared.apikeys import kept_api_key as kept_api_key
from cxshared.apikeys import list_api_keys as list_api_keys
from cxshared.apikeys import revoke_api_key as revoke_api_key
from cxshared.deps import engine_of
from cxshared.problems import Problem

ACTING_USER_HEADER = "X-Acting-User"
QUERY_CREDENTIAL_NAMES = {"api_key", "apikey", "key", "token", "access_token", "auth"}


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
