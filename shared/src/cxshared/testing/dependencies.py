"""Which of an app's dependencies FastAPI runs in a worker thread."""

import inspect
from collections.abc import Callable, Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute


def threaded_dependencies(app: Any) -> set[str]:
    """The dependencies of every route that are plain functions or generators: FastAPI runs
    each in a worker thread, a hop that is right for one that waits on the database and pure
    cost for one that only reads the request."""
    found = set()
    for dependant in route_dependants(app.routes):
        for call in _calls(dependant):
            if not _is_async(call):
                found.add(f"{call.__module__}.{call.__qualname__}")
    return found


def route_dependants(routes: list[Any]) -> Iterator[Dependant]:
    for route in routes:
        if hasattr(route, "effective_candidates"):  # a router included in another
            yield from route_dependants(route.effective_candidates())
        elif isinstance(route, APIRoute) or isinstance(
            getattr(route, "original_route", None), APIRoute
        ):
            yield route.dependant


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _is_async(call: Callable[..., Any]) -> bool:
    method = call if inspect.isfunction(call) else getattr(call, "__call__", call)  # noqa: B004
    return inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(method)
