"""Idempotency-Key for POSTs: a retry returns the first result instead of acting twice.

Keys are scoped to the credential (a hash of the Authorization header), so clients never collide.
A request without a live API key is left alone unless it is for a public endpoint
(`/v1/public/`): anywhere else the route refuses it (401) whatever its key says, so the key must
neither answer first nor be kept.
The key is claimed in a transaction of its own before the request runs, so a concurrent retry
sees it: the same key with another body or path is refused (422), one still running answers 409,
and a finished one replays the stored response with `Idempotent-Replayed: true`. A 5xx releases
the key so that the retry runs. Keys are kept for 24 hours.
"""

import hashlib
from datetime import datetime, timedelta
from typing import Any

import anyio.to_thread
import structlog
from sqlalchemy import Engine, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, UniqueConstraint, col, select
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cxshared.apikeys import is_live_key
from cxshared.db import JSONType, UTCDateTime, read_session, write_session
from cxshared.ids import new_id
from cxshared.problems import problem_response
from cxshared.timeutil import utcnow

log = structlog.get_logger("cxshared.idempotency")

HEADER = b"idempotency-key"
PUBLIC_PREFIX = "/v1/public/"
RETENTION = timedelta(hours=24)
# A claim whose request never finished (the process died) may be taken over after this.
ABANDONED_AFTER = timedelta(minutes=5)
_REPLAYED_HEADERS = {b"content-type", b"etag", b"location"}


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("principal", "key"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    principal: str = Field(max_length=64)
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    done: bool = False
    status_code: int | None = None
    headers: list[list[str]] = Field(default_factory=list, sa_type=JSONType)
    body: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value)
    return None


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, *, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, HEADER) if scope["type"] == "http" else None
        if key is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        authorization = _header(scope, b"authorization")
        if not scope["path"].startswith(PUBLIC_PREFIX) and not (
            authorization is not None
            and await anyio.to_thread.run_sync(is_live_key, self.engine, authorization)
        ):
            await self.app(scope, receive, send)
            return
        text = key.decode("latin-1")
        if not 1 <= len(text) <= 255 or not text.isprintable():
            await problem_response(
                status=400,
                slug="bad-idempotency-key",
                title="Bad request",
                detail="Idempotency-Key must be 1 to 255 printable characters.",
                request=Request(scope),
            )(scope, receive, send)
            return
        body = await _read_body(receive)
        principal = hashlib.sha256(authorization or b"").hexdigest()
        fingerprint = hashlib.sha256(
            scope["method"].encode() + b" " + scope["path"].encode() + b"\n" + body
        ).hexdigest()
        # Database work runs in a worker thread: waiting for SQLite's write lock on the event
        # loop would stall the very requests that hold the lock.
        claimed, record = await anyio.to_thread.run_sync(self._claim, principal, text, fingerprint)
        if not claimed:
            await self._answer_existing(record, fingerprint, scope, receive, send)
            return
        await self._run(record, body, scope, send)

    def _claim(
        self, principal: str, key: str, fingerprint: str
    ) -> tuple[bool, IdempotencyRecord | None]:
        now = utcnow()
        try:
            with write_session(self.engine) as session:
                session.exec(
                    delete(IdempotencyRecord).where(
                        col(IdempotencyRecord.created_at) < now - RETENTION
                    )
                )
                existing = session.exec(
                    select(IdempotencyRecord).where(
                        IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
                    )
                ).first()
                if existing is not None:
                    if existing.done or existing.created_at > now - ABANDONED_AFTER:
                        return False, existing
                    session.delete(existing)
                    session.flush()
                record = IdempotencyRecord(principal=principal, key=key, request_hash=fingerprint)
                session.add(record)
            return True, record
        except IntegrityError:  # another request claimed it a moment ago
            with read_session(self.engine) as session:
                return False, session.exec(
                    select(IdempotencyRecord).where(
                        IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
                    )
                ).first()

    async def _answer_existing(
        self,
        record: IdempotencyRecord | None,
        fingerprint: str,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        if record is not None and record.request_hash != fingerprint:
            response = problem_response(
                status=422,
                slug="idempotency-key-reused",
                title="Idempotency-Key reused",
                detail="This Idempotency-Key was used for a different request; use a new key.",
                request=Request(scope),
            )
        elif record is None or not record.done:
            response = problem_response(
                status=409,
                slug="idempotency-key-in-progress",
                title="Conflict",
                detail="A request with this Idempotency-Key is still running; retry shortly.",
                headers={"Retry-After": "1"},
                request=Request(scope),
            )
        else:
            await send(
                {
                    "type": "http.response.start",
                    "status": record.status_code,
                    "headers": [(k.encode(), v.encode()) for k, v in record.headers]
                    + [(b"idempotent-replayed", b"true")],
                }
            )
            await send({"type": "http.response.body", "body": (record.body or "").encode()})
            return
        await response(scope, receive, send)

    async def _run(
        self, record: IdempotencyRecord | None, body: bytes, scope: Scope, send: Send
    ) -> None:
        assert record is not None
        status = 500
        headers: list[list[str]] = []
        chunks: list[bytes] = []
        delivered = False

        async def replay_body() -> Message:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers.extend(
                    [k.decode("latin-1"), v.decode("latin-1")]
                    for k, v in message.get("headers", [])
                    if k.lower() in _REPLAYED_HEADERS
                )
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        except BaseException:
            await anyio.to_thread.run_sync(self._release, record)
            raise
        if status >= 500:
            await anyio.to_thread.run_sync(self._release, record)
            return
        await anyio.to_thread.run_sync(self._store, record, status, headers, b"".join(chunks))

    def _store(
        self, record: IdempotencyRecord, status: int, headers: list[list[str]], body: bytes
    ) -> None:
        with write_session(self.engine) as session:
            session.exec(
                update(IdempotencyRecord)
                .where(col(IdempotencyRecord.id) == record.id)
                .values(
                    done=True,
                    status_code=status,
                    headers=headers,
                    body=body.decode("utf-8", errors="replace"),
                )
            )

    def _release(self, record: IdempotencyRecord) -> None:
        with write_session(self.engine) as session:
            session.exec(delete(IdempotencyRecord).where(col(IdempotencyRecord.id) == record.id))


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def document_idempotency(schema: dict[str, Any]) -> None:
    """Adds the optional Idempotency-Key header to every POST in an OpenAPI document."""
    parameter = {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "Any unique string (a UUID): a retry with the same key and body returns "
        "the first result (`Idempotent-Replayed: true`) instead of acting twice. Kept 24 hours.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
    }
    for path in schema.get("paths", {}).values():
        post = path.get("post")
        if post is not None:
            post.setdefault("parameters", []).append(parameter)
