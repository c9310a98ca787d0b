from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from cxshared.app import NO_TELEMETRY
from cxshared.client import UpstreamError, UpstreamNotFound
from cxshared.compression import add_compression
from cxshared.db import make_engine
from cxshared.health import health_router
from cxshared.logging import configure_logging
from cxshared.middleware import (
    BodySizeLimitMiddleware,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
)
from cxshared.observability import RequestMetricsMiddleware, metrics_router
from cxshared.schema_level import check_at_head
from cxshared.text_guard import FieldErrors, TextGuardMiddleware
from gateway.assets import ASSETS, STATIC, VENDOR
from gateway.auth import (
    CodeRequired,
    EnrolmentRequired,
    Forbidden,
    SignInRequired,
    login_url,
)
from gateway.clients.feedback import FeedbackClient
from gateway.clients.journey import JourneyClient
from gateway.clients.metrics import MetricsClient
from gateway.config import MIGRATIONS, Settings, get_settings
from gateway.pages import (
    actions,
    answers,
    at_risk,
    auth,
    cases,
    dashboard,
    evidence,
    incidents,
    journeys,
    notifications,
    observed,
    opportunities,
    ownership,
    public_follow_up,
    public_mail,
    public_survey,
    security,
    survey_email,
    surveys,
    themes,
    versions,
)
from gateway.web import STAFF_CSP, is_htmx, render, see_other

HERE = Path(__file__).resolve().parent

log = structlog.get_logger("gateway")

Backend = TypeVar("Backend", JourneyClient, FeedbackClient, MetricsClient)


def create_app(
    settings: Settings | None = None,
    *,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
) -> FastAPI:
    """`transports` replaces the network for a backend (tests run the backends in-process)."""
    settings = settings or get_settings()
    replaced = transports or {}
    configure_logging(log_format=settings.log_format, level=settings.log_level)
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        check_at_head(engine, MIGRATIONS)
        ASSETS.build()
        log.info("service.started", service="gateway")
        try:
            yield
        finally:
            for backend in (app.state.journey, app.state.feedback, app.state.metrics):
                await backend.aclose()
            engine.dispose()

    app = FastAPI(
        title="cxloop gateway",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        telemetry=NO_TELEMETRY,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.journey = _client(JourneyClient, settings, replaced)
    app.state.feedback = _client(
        FeedbackClient, settings, replaced, survey_fresh_seconds=settings.survey_cache_seconds
    )
    app.state.metrics = _client(
        MetricsClient, settings, replaced, analysis_timeout=settings.analysis_timeout_seconds
    )

    app.add_middleware(TextGuardMiddleware, refuse=_refuse_text)
    add_compression(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestMetricsMiddleware, service="gateway")
    app.add_middleware(RequestIdMiddleware, completed_level=settings.request_log_level)
    # Outermost, so that every answer carries the headers, a 500 too. Pages go to no cache.
    app.add_middleware(
        SecurityHeadersMiddleware, csp=STAFF_CSP, html_csp=STAFF_CSP, cache_control="no-store"
    )
    _install_error_pages(app)

    app.include_router(health_router(MIGRATIONS))
    app.include_router(metrics_router([]))
    app.include_router(auth.router)
    app.include_router(security.router)
    app.include_router(dashboard.router)
    app.include_router(at_risk.router)
    app.include_router(incidents.router)
    app.include_router(cases.router)
    app.include_router(answers.router)
    app.include_router(journeys.router)
    app.include_router(versions.router)
    app.include_router(ownership.router)
    app.include_router(opportunities.router)
    app.include_router(actions.router)
    app.include_router(evidence.router)
    app.include_router(themes.router)
    app.include_router(notifications.router)
    app.include_router(observed.router)
    app.include_router(public_survey.router)
    app.include_router(public_follow_up.router)
    app.include_router(public_mail.router)
    app.include_router(surveys.router)
    app.include_router(survey_email.router)

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return see_other("/dashboard")

    @app.api_route("/assets/{name}", methods=["GET", "HEAD"], include_in_schema=False)
    def asset(request: Request, name: str) -> Response:
        return ASSETS.response(request, name)

    # The names pages used before assets carried a hash, kept for pages open in a browser
    # across an upgrade: revalidated on each use.
    @app.get("/static/vendor/{name}", include_in_schema=False)
    def vendor(name: str) -> Response:
        path = VENDOR.get(name)
        if path is None or not path.exists():
            raise HTTPException(404)
        return FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/embed.js", include_in_schema=False)
    def embed_script() -> Response:
        return FileResponse(
            STATIC / "embed.js",
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    app.mount("/static", RevalidatedFiles(directory=STATIC), name="static")
    return app


class RevalidatedFiles(StaticFiles):
    """The stylesheet and scripts, kept by the browser and checked (ETag) on each use, so that
    an upgrade shows at once."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


def _client(
    kind: type[Backend],
    settings: Settings,
    transports: Mapping[str, httpx.AsyncBaseTransport],
    **options: Any,
) -> Backend:
    return kind(
        base_url=getattr(settings, f"{kind.name}_url"),
        api_key=getattr(settings, f"{kind.name}_api_key"),
        timeout=settings.backend_timeout_seconds,
        transport=transports.get(kind.name),
        **options,
    )


def _error_page(
    request: Request,
    title: str,
    message: str,
    status_code: int,
    *,
    in_place: bool = False,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An error as a page; `in_place`, as a fragment where an htmx request expected one."""
    fragment = in_place and is_htmx(request)
    return render(
        request,
        "errors/_message.html" if fragment else "errors/page.html",
        {"title": title, "message": message},
        status_code=status_code,
        headers=headers,
    )


async def _refuse_text(request: Request, errors: FieldErrors) -> Response:
    fields = ", ".join(error["field"] for error in errors)
    message = (
        f"These fields hold characters that cannot be stored (a NUL character or broken "
        f"Unicode): {fields}. Remove them and send the form again."
    )
    return _error_page(request, "Request refused", message, 422, in_place=True)


def _install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, exc: SignInRequired) -> Response:
        url = login_url(exc.next_url)
        if request.headers.get("HX-Request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": url})
        return see_other(url)

    @app.exception_handler(CodeRequired)
    async def code_required(request: Request, exc: CodeRequired) -> Response:
        url = "/login/code?next=" + quote(exc.next_url, safe="/")
        if request.headers.get("HX-Request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": url})
        return see_other(url)

    @app.exception_handler(EnrolmentRequired)
    async def enrolment_required(request: Request, exc: EnrolmentRequired) -> Response:
        if request.headers.get("HX-Request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": "/account/security"})
        return see_other("/account/security")

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return _error_page(request, "Not allowed", exc.detail, 403, in_place=True)

    @app.exception_handler(UpstreamNotFound)
    async def upstream_not_found(request: Request, exc: UpstreamNotFound) -> Response:
        message = "There is nothing here: it may have been removed."
        return _error_page(request, "Not found", message, 404)

    @app.exception_handler(UpstreamError)
    async def upstream(request: Request, exc: UpstreamError) -> Response:
        return _error_page(
            request,
            f"The {exc.backend} service is unavailable",
            f"The {exc.backend} service {exc.detail}. Try again in a moment.",
            503,
            in_place=True,
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        titles = {404: "Not found", 405: "Not allowed", 413: "Too large"}
        message = exc.detail if exc.status_code != 404 else "There is nothing here."
        return _error_page(
            request,
            titles.get(exc.status_code, "Request refused"),
            message,
            exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        fields = ", ".join(sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")}))
        message = f"These fields are not valid: {fields}."
        return _error_page(request, "Request refused", message, 422)
