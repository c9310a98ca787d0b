"""Every public endpoint counts against its client and its survey.

These run on every respondent's request, the capture's included: they read the engine and
settings with the typed readers themselves rather than take them as dependencies, since a
synchronous dependency costs each request a hop to the thread pool."""

import anyio.to_thread
from fastapi import Request
from sqlmodel import Session

from cxshared.deps import engine_of
from cxshared.ratelimit import client_address, count, hit
from feedback.dependencies import settings_of


def limits_of(request: Request) -> dict[str, int]:
    """The keys a public request counts under, each with its limit a minute."""
    settings = settings_of(request)
    client = client_address(request, settings.trusted_proxies)
    slug = request.path_params.get("slug") or request.path_params.get("token") or "-"
    return {
        f"client:{client}": settings.rate_limit_per_client,
        f"survey:{slug}": settings.rate_limit_per_survey,
    }


async def public_rate_limit(request: Request) -> None:
    """Reads count in a short transaction of their own. Writes count inside their own write
    transaction instead (`count_in`), so SQLite has no extra writer to queue."""
    if request.method not in ("GET", "HEAD"):
        return
    await anyio.to_thread.run_sync(hit, engine_of(request), limits_of(request))


def count_in(session: Session, request: Request) -> None:
    count(session, limits_of(request))
