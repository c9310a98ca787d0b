"""CORS for the public survey endpoints: only the survey's allowed origins, never credentials.

A page may call `/v1/public/surveys/<slug>/...` from the browser only if its origin is one the
survey lists in `allowed_origins`. Preflights from any other origin are refused (403); other
requests from them get no CORS headers, so the browser withholds the answer.
"""

import re

import anyio.to_thread
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cxshared.problems import problem_response
from feedback.surveys.models import Survey

_PUBLIC_SURVEY = re.compile(r"^/v1/public/surveys/([^/]+)(?:/|$)")
ALLOWED_METHODS = "GET, POST, PATCH"
ALLOWED_HEADERS = "Content-Type, Idempotency-Key, X-Resume-Token, X-Request-ID"
EXPOSED_HEADERS = "ETag, X-Request-ID, Retry-After"


class SurveyCorsMiddleware:
    def __init__(self, app: ASGIApp, *, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _PUBLIC_SURVEY.match(scope.get("path", "")) if scope["type"] == "http" else None
        origin = _header(scope, b"origin")
        if match is None or origin is None:
            await self.app(scope, receive, send)
            return
        allowed = origin in await anyio.to_thread.run_sync(self._origins, match.group(1))
        preflight = scope["method"] == "OPTIONS" and _header(
            scope, b"access-control-request-method"
        )
        if preflight:
            if not allowed:
                await problem_response(
                    status=403,
                    slug="origin-not-allowed",
                    title="Not allowed",
                    detail=f"{origin} may not embed this survey.",
                    request=Request(scope),
                )(scope, receive, send)
                return
            await Response(
                status_code=204,
                headers={
                    "Access-Control-Allow-Origin": origin,
                    "Access-Control-Allow-Methods": ALLOWED_METHODS,
                    "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                    "Access-Control-Max-Age": "600",
                    "Vary": "Origin",
                },
            )(scope, receive, send)
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"vary", b"Origin"))
                if allowed:
                    headers.append((b"access-control-allow-origin", origin.encode("latin-1")))
                    headers.append((b"access-control-expose-headers", EXPOSED_HEADERS.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_cors)

    def _origins(self, slug: str) -> list[str]:
        with Session(self.engine) as session:
            origins = session.exec(
                select(Survey.allowed_origins).where(Survey.slug == slug)
            ).first()
        return list(origins or [])


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None
