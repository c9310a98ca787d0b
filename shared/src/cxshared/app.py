"""The app factory every backend service uses: middleware, problems, health, lifespan, relay."""

import re
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import structlog
from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig
from fastapi_offline import FastAPIOffline
from sqlalchemy import Engine

from cxshared.compression import add_compression
from cxshared.db import make_engine
from cxshared.events.outbox import Outbox, Sink
from cxshared.events.relay import LoopThread, Relay, RelayThread
from cxshared.events.webhooks import outbox_router, webhooks_router
from cxshared.health import health_router
from cxshared.idempotency import IdempotencyMiddleware, document_idempotency
from cxshared.logging import configure_logging
from cxshared.mail.notify import NoticesOf, Notifier, notification_router
from cxshared.mail.outbox import Mailer
from cxshared.mail.router import mail_router
from cxshared.mail.sender import MailSender, MailSenderThread
from cxshared.mail.settings import MailSettings
from cxshared.middleware import (
    BodySizeLimitMiddleware,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
)
from cxshared.observability import (
    Gauges,
    RequestMetricsMiddleware,
    metrics_router,
    outbox_gauges,
)
from cxshared.problems import COMMON_PROBLEMS, ProblemDetail, install_problem_handlers
from cxshared.query import reject_unknown_query_parameters
from cxshared.schema_level import check_at_head
from cxshared.settings import ServiceSettings
from cxshared.text_guard import TextGuardMiddleware

log = structlog.get_logger("cxshared.app")

# cxloop exports Prometheus metrics and JSON logs, not OpenTelemetry. With FastAPI's native
# telemetry on, every request asks OpenTelemetry for its providers (environment lookups
# included): a few percent of a capture's time.
NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def operation_id(route: APIRoute) -> str:
    """`<tag>-<action>` (`touchpoints-update-touchpoint`): stable while a path changes, so a
    generated client keeps its method names. The action is the handler's verb_noun name."""
    tag = str(route.tags[0]) if route.tags else "default"
    return re.sub(r"[^a-z0-9]+", "-", f"{tag}-{route.name}".lower()).strip("-")


def make_outbox(
    source: str, settings: ServiceSettings, *, forget_after_delivery: Sequence[str] = ()
) -> Outbox:
    sinks = []
    if settings.ingest_url:
        sinks.append(Sink(name="ingest", url=settings.ingest_url, api_key=settings.ingest_api_key))
    sinks += settings.other_sinks()
    return Outbox(
        source=source, sinks=sinks, forget_after_delivery=frozenset(forget_after_delivery)
    )


def create_service_app(
    *,
    name: str,
    title: str,
    description: str,
    settings: ServiceSettings,
    script_location: Path,
    routers: Sequence[APIRouter],
    event_types: Sequence[str],
    check_schema: bool = True,
    forget_after_delivery: Sequence[str] = (),
    on_startup: Callable[[FastAPI], None] | None = None,
    on_shutdown: Callable[[FastAPI], None] | None = None,
    gauges: Sequence[Gauges] = (),
    notices: tuple[Sequence[str], NoticesOf] | None = None,
) -> FastAPI:
    """`notices`: the event types that concern someone and the notices each gives (a service
    that mails: docs/email.md, "Notifications")."""
    configure_logging(log_format=settings.log_format, level=settings.log_level)
    engine = make_engine(settings.database_url)
    outbox = make_outbox(name, settings, forget_after_delivery=forget_after_delivery)
    # A service mails when its settings include MailSettings (and its models the mail outbox).
    mailer = Mailer.from_settings(settings) if isinstance(settings, MailSettings) else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if check_schema:
            check_at_head(engine, script_location)
        relay_thread = None
        if settings.relay_in_process:
            relay_thread = RelayThread(Relay(engine=engine, outbox=outbox, settings=settings))
            relay_thread.start()
        mail_thread = _mail_sender_thread(engine, mailer, settings)
        if mail_thread is not None:
            mail_thread.start()
        notify_thread = _notifier_thread(engine, mailer, settings, notices)
        if notify_thread is not None:
            notify_thread.start()
        if on_startup is not None:
            on_startup(app)
        log.info("service.started", service=name)
        try:
            yield
        finally:
            if on_shutdown is not None:
                on_shutdown(app)
            if relay_thread is not None:
                relay_thread.stop()
            if mail_thread is not None:
                mail_thread.stop()
            if notify_thread is not None:
                notify_thread.stop()
            engine.dispose()

    # FastAPIOffline serves Swagger UI and ReDoc from its own package, not from a CDN: /docs
    # works on machines without internet access and sends nobody's browser elsewhere.
    app = FastAPIOffline(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        responses=COMMON_PROBLEMS,
        dependencies=[Depends(reject_unknown_query_parameters)],
        telemetry=NO_TELEMETRY,
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.outbox = outbox
    app.state.mailer = mailer
    app.add_middleware(IdempotencyMiddleware, engine=engine)
    # Outside the idempotency record: a body refused for its text claims no key.
    app.add_middleware(TextGuardMiddleware)
    add_compression(app)  # outside idempotency: a replayed answer is coded for its client
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestMetricsMiddleware, service=name)
    app.add_middleware(RequestIdMiddleware, completed_level=settings.request_log_level)
    # Outermost, so that every answer carries the headers, a 413 or a 500 too.
    app.add_middleware(SecurityHeadersMiddleware, cache_control="no-store")
    install_problem_handlers(app)
    app.include_router(health_router(script_location))
    app.include_router(metrics_router([outbox_gauges, *gauges]))
    for router in routers:
        app.include_router(router)
    app.include_router(
        webhooks_router(event_types, allow_private=settings.webhook_allow_private_urls)
    )
    app.include_router(outbox_router())
    if mailer is not None:
        app.include_router(mail_router())
        if notices is not None:
            app.include_router(notification_router())
    _document_problems(app)
    return app


def _mail_sender_thread(
    engine: Engine, mailer: Mailer | None, settings: ServiceSettings
) -> MailSenderThread | None:
    """The in-process mail sender, when the service mails, has an SMTP server, and runs no
    `send-mail` process apart."""
    if mailer is None or not isinstance(settings, MailSettings):
        return None
    if not (settings.mail_configured and settings.mail_sender_in_process):
        return None
    return MailSenderThread(MailSender(engine=engine, mailer=mailer, settings=settings))


def _notifier_thread(
    engine: Engine,
    mailer: Mailer | None,
    settings: ServiceSettings,
    notices: tuple[Sequence[str], NoticesOf] | None,
) -> LoopThread | None:
    """Every `serve` process follows its outbox for notices when the service mails and has an
    SMTP server (two at once notify once: docs/email.md, "Notifications")."""
    if mailer is None or notices is None or not isinstance(settings, MailSettings):
        return None
    if not settings.mail_configured:
        return None
    types, notices_of = notices
    notifier = Notifier(
        engine=engine,
        mailer=mailer,
        event_types=list(types),
        notices_of=notices_of,
        staff_url=settings.staff_url,
        digest_hour=settings.notify_digest_hour,
        poll_seconds=settings.notify_poll_seconds,
    )
    return LoopThread(notifier.run, threading.Event())


def _document_problems(app: FastAPI) -> None:
    """Adds the ProblemDetail schema that every error response refers to."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["ProblemDetail"] = ProblemDetail.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        for nested, definition in components["ProblemDetail"].pop("$defs", {}).items():
            components.setdefault(nested, definition)
        document_idempotency(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
