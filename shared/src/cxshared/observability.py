"""`/metrics` in Prometheus' text format: requests and their latency, counted in every worker
(prometheus_client's multiprocess mode when PROMETHEUS_MULTIPROC_DIR is set, as `serve
--workers N` does), and what is read from the database at each scrape: the outbox's depth and
oldest pending age per destination, dead deliveries, and whatever a service adds (open
incidents in metrics)."""

import os
import time
from collections.abc import Callable, Iterable, Iterator

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cxshared import groupcommit
from cxshared.deps import engine_of
from cxshared.events.models import DeliveryState, OutboxDelivery
from cxshared.timeutil import as_utc, utcnow

disable_created_metrics()  # type: ignore[no-untyped-call]  # *_created series say little
REQUESTS = Counter(
    "cx_http_requests_total", "HTTP requests answered", ["service", "method", "route", "status"]
)
LATENCY = Histogram(
    "cx_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

Gauges = Callable[[Engine], Iterable[Metric]]


class RequestMetricsMiddleware:
    """Counts each request under its route's template (/v1/journeys/{journey_id}), never its
    raw path, so the number of series stays small."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service

    @staticmethod
    def _template(scope: Scope) -> str:
        """The path template of the route the request matched ("other" for none). A route of
        an included router knows its path below the routers it is included in, whose
        prefixes hold no parameters: those leading segments are taken from the request's
        path as they are. (Not from the OpenAPI document: building it cost every process's
        first request a third of a second and kept megabytes it did not need.)"""
        route = scope.get("route")
        if isinstance(route, Mount):
            return route.path + "/{path}"
        template = getattr(route, "path", None)
        if not isinstance(template, str):
            return "other"
        segments = scope["path"].rstrip("/").split("/")
        return "/".join(segments[: max(1, len(segments) - template.count("/"))]) + template

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/metrics":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = self._template(scope)
            method = scope["method"]
            REQUESTS.labels(self.service, method, route, str(status)).inc()
            LATENCY.labels(self.service, method, route).observe(time.perf_counter() - started)


def outbox_gauges(engine: Engine) -> Iterator[Metric]:
    depth = GaugeMetricFamily(
        "cx_outbox_pending", "Deliveries waiting to be sent", labels=["destination"]
    )
    oldest = GaugeMetricFamily(
        "cx_outbox_oldest_pending_seconds",
        "Age of the oldest delivery still waiting",
        labels=["destination"],
    )
    dead = GaugeMetricFamily(
        "cx_outbox_dead", "Deliveries that gave up (replayable)", labels=["destination"]
    )
    table = OutboxDelivery.__table__.c  # type: ignore[attr-defined]
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                table.destination,
                table.subscription_id,
                table.state,
                func.count(),
                func.min(table.created_at),
            )
            .where(table.state != DeliveryState.DELIVERED)
            .group_by(table.destination, table.subscription_id, table.state)
        ).all()
    now = utcnow()
    for name, subscription, state, count, first in rows:
        label = f"webhook:{subscription}" if subscription else name
        if state == DeliveryState.PENDING:
            depth.add_metric([label], count)
            age = (now - as_utc(first)).total_seconds() if first else 0.0
            oldest.add_metric([label], max(0.0, age))
        elif state == DeliveryState.DEAD:
            dead.add_metric([label], count)
    yield from (depth, oldest, dead)


class _DatabaseCollector(Collector):
    def __init__(self, engine: Engine, gauges: list[Gauges]) -> None:
        self.engine = engine
        self.gauges = gauges

    def collect(self) -> Iterable[Metric]:
        for gauge in self.gauges:
            yield from gauge(self.engine)


def metrics_router(gauges: list[Gauges]) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get(
        "/metrics",
        summary="Prometheus metrics",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Text format"}},
    )
    def prometheus_metrics(request: Request) -> Response:
        registry = CollectorRegistry()
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # the counts of every worker
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        else:
            registry.register(_Process())
        registry.register(_DatabaseCollector(engine_of(request), gauges))
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


class _Process(Collector):
    """This process's request counters, when there is one worker."""

    def collect(self) -> Iterable[Metric]:
        for metric in (REQUESTS, LATENCY, groupcommit.TRANSACTIONS, groupcommit.WRITES):
            yield from metric.collect()
