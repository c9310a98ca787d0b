"""Refuses text that no database can store, before any handler sees it.

JSON may escape a lone UTF-16 surrogate (``"\\ud800"``): Python's parser turns it into a string
that cannot be encoded as UTF-8, so the write fails deep in the database driver, after the
request was accepted. A NUL character (``"\\u0000"`` in JSON, ``%00`` in a form) is refused by
PostgreSQL and kept by SQLite, so the same answer would be stored on one and not the other.
Neither is text a person typed. Both are refused here, with a 422 that names each field, in every
JSON body, form post and query string of every service.

The check costs one search of the raw body for the escapes that could carry such characters;
only a body that has one is parsed to find the fields.
"""

import json
import re
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cxshared.problems import field_path, problem_response

# \ud800-\udfff (surrogates) and \u0000, as JSON escapes; %00 in a form.
_JSON_SUSPECT = re.compile(rb"\\u(?:[dD][89a-fA-F]|0000)", re.ASCII)
_FORM_SUSPECT = re.compile(rb"%00")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

FieldErrors = list[dict[str, str]]
Refusal = Callable[[Request, FieldErrors], Awaitable[Response]]


def storable(text: str) -> bool:
    """True for text a database can keep: valid Unicode, no NUL."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unstorable_paths(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[str | int, ...]]:
    if isinstance(value, str):
        if not storable(value):
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if not storable(key):
                yield (*path, key.encode("utf-8", "replace").decode())
            else:
                yield from _unstorable_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unstorable_paths(item, (*path, index))


def _error(path: tuple[str | int, ...], location: str = "body") -> dict[str, str]:
    location, field = field_path((location, *path))
    return {
        "field": field,
        "location": location,
        "message": "Text must be valid Unicode without NUL characters.",
        "code": "unstorable_text",
    }


def _unstorable_form_fields(encoded: bytes, location: str) -> FieldErrors:
    if not _FORM_SUSPECT.search(encoded):
        return []
    pairs = parse_qsl(encoded.decode("latin-1"), keep_blank_values=True, encoding="utf-8")
    return [
        _error((name,), location)
        for name, value in pairs
        if not (storable(name) and storable(value))
    ]


def unstorable_fields(body: bytes, content_type: str) -> FieldErrors:
    """The fields of a JSON or form body whose text cannot be stored (none: an empty list)."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        return _unstorable_form_fields(body, "body")
    if not _JSON_SUSPECT.search(body):
        return []
    try:
        document = json.loads(body)
    except ValueError:
        return []  # not JSON at all: the handler's own parsing says so
    return [_error(path) for path in _unstorable_paths(document, ())]


def _checked_type(scope: Scope) -> str | None:
    if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
        return None
    for name, value in scope["headers"]:
        if name == b"content-type":
            content_type: str = value.decode("latin-1").lower()
            if "json" in content_type or content_type.startswith(
                "application/x-www-form-urlencoded"
            ):
                return content_type
            return None
    return None


async def refuse_with_problem(request: Request, errors: FieldErrors) -> Response:
    fields = ", ".join(error["field"] for error in errors)
    return problem_response(
        status=422,
        slug="validation",
        title="Invalid request",
        detail=f"Check these fields: {fields}.",
        request=request,
        errors=errors,
    )


class TextGuardMiddleware:
    """Answers a JSON or form body that carries unstorable text with `refuse` (a 422), so no
    handler and no database ever sees it. Other bodies pass untouched."""

    def __init__(self, app: ASGIApp, *, refuse: Refusal = refuse_with_problem) -> None:
        self.app = app
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            errors := _unstorable_form_fields(scope["query_string"], "query")
        ):
            await self._refuse(scope, receive, send, errors)
            return
        content_type = _checked_type(scope)
        if content_type is None:
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        errors = unstorable_fields(body, content_type)
        if errors:
            await self._refuse(scope, receive, send, errors)
            return
        whole = {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, _replay([whole], receive), send)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, errors: FieldErrors
    ) -> None:
        response = await self.refuse(Request(scope), errors)
        await response(scope, receive, send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed
