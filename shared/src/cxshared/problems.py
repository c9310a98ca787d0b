"""RFC 9457 problem details for every error a service returns.

Each problem has a stable `type` (``urn:cxloop:problem:<slug>``), a human `detail`, and for
validation errors the failing fields. Bad input is always a 4xx: database errors caused by input
(a NUL byte PostgreSQL refuses, a constraint) are mapped here too, so they never surface as 500.
"""

from collections.abc import Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = structlog.get_logger("cxshared.problems")

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:cxloop:problem:"

_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    412: ("precondition-failed", "Precondition failed"),
    413: ("body-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation", "Invalid request"),
    428: ("precondition-required", "Precondition required"),
    429: ("rate-limited", "Too many requests"),
    500: ("internal", "Internal error"),
    503: ("unavailable", "Service unavailable"),
}


class FieldError(BaseModel):
    field: str = Field(description="Where the error is: a dotted path such as stages[0].name.")
    location: str = Field(description="body, query, path or header.")
    message: str
    code: str = Field(description="A stable machine code, e.g. missing, string_too_long.")


class ProblemDetail(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(examples=["urn:cxloop:problem:not-found"])
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


class Problem(Exception):
    """Raise anywhere to answer with a problem document."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.headers = headers
        self.extra = extra


def problem_response(
    *,
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    request: Request | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": TYPE_PREFIX + slug, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if request is not None:
        body["instance"] = request.url.path
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            body["request_id"] = request_id
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def field_path(loc: Sequence[int | str]) -> tuple[str, str]:
    """("body", "stages", 0, "name") -> ("body", "stages[0].name")."""
    location = str(loc[0]) if loc else "body"
    path = ""
    for part in loc[1:]:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return location, path or location


def _validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    errors = []
    for error in exc.errors():
        location, path = field_path(error.get("loc", ()))
        errors.append(
            {"field": path, "location": location, "message": error["msg"], "code": error["type"]}
        )
    return errors


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(
        status=exc.status,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        request=request,
        headers=exc.headers,
        **exc.extra,
    )


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    slug, title = _SLUGS.get(exc.status_code, ("error", "Error"))
    detail = (
        exc.detail if isinstance(exc.detail, str) and exc.detail.lower() != title.lower() else None
    )
    return problem_response(
        status=exc.status_code,
        slug=slug,
        title=title,
        detail=detail,
        request=request,
        headers=dict(exc.headers) if exc.headers else None,
    )


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
    fields = ", ".join(sorted({e["field"] for e in errors}))
    return problem_response(
        status=422,
        slug="validation",
        title="Invalid request",
        detail=f"Check these fields: {fields}." if fields else None,
        request=request,
        errors=errors,
    )


async def _on_data_error(request: Request, exc: Exception) -> JSONResponse:
    log.info("request.data_error", error=str(getattr(exc, "orig", exc)).splitlines()[0])
    return problem_response(
        status=422,
        slug="invalid-value",
        title="Invalid value",
        detail="A value could not be stored (such as broken Unicode or a number out of range).",
        request=request,
    )


async def _on_integrity_error(request: Request, exc: Exception) -> JSONResponse:
    log.info("request.integrity_error", error=str(getattr(exc, "orig", exc)).splitlines()[0])
    return problem_response(
        status=409,
        slug="conflict",
        title="Conflict",
        detail="The change conflicts with stored data (a duplicate or a missing reference).",
        request=request,
    )


def internal_error(scope: Any) -> JSONResponse:
    return problem_response(
        status=500,
        slug="internal",
        title="Internal error",
        detail="Something went wrong on our side; the request id identifies it in the logs.",
        request=Request(scope),
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("request.failed", error_type=type(exc).__name__)
    return internal_error(request.scope)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(DataError, _on_data_error)
    # Text the driver cannot encode; TextGuardMiddleware refuses it earlier, naming the field.
    app.add_exception_handler(UnicodeEncodeError, _on_data_error)
    app.add_exception_handler(IntegrityError, _on_integrity_error)
    app.add_exception_handler(Exception, _on_unexpected)


def problem_doc(description: str) -> dict[str, Any]:
    """An OpenAPI response entry whose body is a problem document."""
    return {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}},
    }


COMMON_PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: problem_doc(
        "Malformed request (for example an invalid cursor or a key in the query string)."
    ),
    401: problem_doc("Missing, unknown or revoked API key."),
    403: problem_doc("The key lacks the scope this operation needs."),
    404: problem_doc("No such resource."),
    405: problem_doc("Method not allowed on this path."),
    409: problem_doc("Conflicts with stored data."),
    412: problem_doc("The If-Match version is stale."),
    413: problem_doc("Body too large."),
    422: problem_doc("Invalid input; `errors` names each failing field."),
    500: problem_doc("Unexpected error."),
}


def field_error(field: str, message: str, code: str = "invalid") -> Problem:
    """A 422 naming one field of the body, for rules only the service can check."""
    return Problem(
        422,
        "validation",
        "Invalid request",
        f"{field}: {message}",
        errors=[{"field": field, "location": "body", "message": message, "code": code}],
    )
