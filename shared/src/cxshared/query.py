"""Unknown query parameters are refused, so a typo (`?chanel=web`) is an error, not a
silently unfiltered list."""

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from cxshared.auth import QUERY_CREDENTIAL_NAMES
from cxshared.problems import Problem

_allowed: dict[int, frozenset[str]] = {}


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _allowed_names(route: APIRoute) -> frozenset[str]:
    key = id(route)
    if key not in _allowed:
        _allowed[key] = frozenset(_query_names(route.dependant))
    return _allowed[key]


async def reject_unknown_query_parameters(request: Request) -> None:
    # Async though it does no I/O: FastAPI runs a plain function dependency in a worker
    # thread, and this one runs on every request of every service.
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    unknown = set(request.query_params) - _allowed_names(route) - QUERY_CREDENTIAL_NAMES
    if unknown:
        names = sorted(unknown)
        raise Problem(
            422,
            "validation",
            "Invalid request",
            f"Unknown query parameter(s): {', '.join(repr(n) for n in names)}.",
            errors=[
                {
                    "field": name,
                    "location": "query",
                    "message": "unknown parameter",
                    "code": "unknown_parameter",
                }
                for name in names
            ],
        )
