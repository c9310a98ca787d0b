"""Pure-ASGI middleware: request id, one request.completed line per request, body size limit,
security headers."""

import logging
import re
import time
import uuid

import structlog
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cxshared.problems import internal_error, problem_response

log = structlog.get_logger("cxshared.request")

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _VALID_REQUEST_ID.match(candidate) else None
    return None


class RequestIdMiddleware:
    """Accepts a well-formed X-Request-ID or makes one, binds it to every log line, echoes it.
    Each request ends with one request.completed line at `completed_level` (DEBUG keeps a
    development log to what matters); an answer with a 5xx status is logged at INFO at least."""

    def __init__(self, app: ASGIApp, *, completed_level: str = "INFO") -> None:
        self.app = app
        level = logging.getLevelNamesMapping().get(completed_level.upper())
        if level is None:
            raise ValueError(f"{completed_level!r} is not a log level")
        self.completed_level = level

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = [h for h in message.get("headers", []) if h[0] != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # Answered here rather than by Starlette's outermost error handler, so that the
            # 500 carries the request id like every other answer.
            log.exception("request.failed", error_type=type(exc).__name__)
            if response_started:
                raise
            await internal_error(scope)(scope, receive, send_with_id)
        finally:
            log.log(
                self.completed_level if status < 500 else max(self.completed_level, logging.INFO),
                "request.completed",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            structlog.contextvars.clear_contextvars()


class BodySizeLimitMiddleware:
    """Refuses bodies over the limit with 413, whether or not Content-Length tells the truth."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI re-raises HTTPException from body parsing untouched: a 413 problem.
                    raise HTTPException(413, f"The body exceeds {self.max_bytes} bytes.")
            return message

        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except HTTPException as exc:
            # Raised where the body is read: inside FastAPI it becomes a 413 problem there;
            # a middleware that buffers the body (Idempotency-Key) lets it reach us.
            if exc.status_code != 413 or response_started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            status=413,
            slug="body-too-large",
            title="Request body too large",
            detail=f"The body exceeds {self.max_bytes} bytes.",
            request=Request(scope),
        )
        await response(scope, receive, send)


# A JSON API answer loads nothing and is framed by no one.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI and ReDoc (served from the service itself): their bundles, one inline script that
# starts Swagger UI, inline styles, ReDoc's worker; still never framed.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; base-uri 'none'; object-src 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    """nosniff, a referrer policy, an opener policy, a CSP and (unless the answer sets its own
    CSP) no framing, on every answer, errors included. `csp` is the policy of non-HTML answers,
    `html_csp` of HTML ones; `cache_control` is added where the answer sets none. An answer that
    sets its own CSP (a survey page that names who may frame it) or caching keeps it."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        csp: str = API_CSP,
        html_csp: str = DOCS_CSP,
        cache_control: str | None = None,
    ) -> None:
        self.app = app
        self.csp = csp.encode()
        self.html_csp = html_csp.encode()
        # Added unless the answer has its own; built once, since every answer passes here.
        self.defaults = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if cache_control:
            self.defaults.append((b"cache-control", cache_control.encode()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                names = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in names:
                    html = any(
                        name.lower() == b"content-type" and value.startswith(b"text/html")
                        for name, value in headers
                    )
                    headers.append(
                        (b"content-security-policy", self.html_csp if html else self.csp)
                    )
                    headers.append((b"x-frame-options", b"DENY"))  # browsers before CSP 2
                headers += [(name, value) for name, value in self.defaults if name not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
