"""Every public endpoint counts against its client and its survey."""

import anyio.to_thread
from fastapi import Request

from cxshared.ratelimit import client_address, hit


async def public_rate_limit(request: Request) -> None:
    settings = request.app.state.settings
    engine = request.app.state.engine
    client = client_address(request, settings.trusted_proxies)
    slug = request.path_params.get("slug") or request.path_params.get("token") or "-"
    await anyio.to_thread.run_sync(
        lambda: hit(engine, f"client:{client}", limit=settings.rate_limit_per_client)
    )
    await anyio.to_thread.run_sync(
        lambda: hit(engine, f"survey:{slug}", limit=settings.rate_limit_per_survey)
    )
