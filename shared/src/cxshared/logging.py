"""structlog for everything: our events, stdlib loggers and uvicorn, through one formatter."""

import logging
import sys
from typing import Any

import structlog

_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
]


def configure_logging(*, log_format: str = "console", level: str = "INFO") -> None:
    renderer: Any
    if log_format == "json":
        renderer = structlog.processors.JSONRenderer()
        shared = [*_SHARED, structlog.processors.format_exc_info]
    else:
        # Plain tracebacks: structlog's default with rich installed renders every frame's local
        # variables, which took ~20 s for one failed write, all of it on the event loop.
        renderer = structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
        shared = _SHARED

    structlog.configure(
        # Below the level, drop the event before any processor runs (the request line of
        # every request is one).
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers = []
        uvicorn_logger.propagate = True
    # Our middleware logs one request.completed line per request; uvicorn's would repeat it.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    # The server's own start and stop lines ("Uvicorn running on ...") are kept at any level:
    # they say where it listens, which operators and the test harness read.
    uvicorn_error = logging.getLogger("uvicorn.error")
    uvicorn_error.setLevel(min(logging.INFO, root.level))
    logging.getLogger("httpx").setLevel(logging.WARNING)
