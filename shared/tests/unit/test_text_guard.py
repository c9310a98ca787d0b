"""Unstorable text (lone surrogates, NUL) is refused before any handler, naming the field."""

import io
import logging

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from cxshared.logging import configure_logging
from cxshared.problems import install_problem_handlers
from cxshared.text_guard import TextGuardMiddleware, unstorable_fields

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (rb'{"a": "late \ud800"}', ["a"]),
        (rb'{"a": "\uDC80"}', ["a"]),
        (rb'{"a": {"b": ["ok", "x\u0000y"]}}', ["a.b[1]"]),
        (rb'{"a": [{"c": "\udfff"}, {"c": "\u0000"}]}', ["a[0].c", "a[1].c"]),
        (rb'{"\ud800": 1}', ["?"]),
        # A surrogate pair is one character (an emoji): valid.
        (rb'{"a": "\ud83d\ude00"}', []),
        # An escaped backslash followed by letters is text, not an escape.
        (rb'{"a": "\\ud800 and \\u0000"}', []),
        (rb'{"a": "\u00e9t\u00e9"}', []),
        (rb'{"a": "\ud800"', []),  # not JSON: the handler's own parser says so
    ],
)
def test_json_fields_with_unstorable_text_are_named(body, fields):
    assert [e["field"] for e in unstorable_fields(body, JSON)] == fields


def test_form_fields_with_nul_are_named():
    found = unstorable_fields(b"name=Kim&email=k%00m%40x.example&note=caf%C3%A9", FORM)
    assert [(e["field"], e["location"]) for e in found] == [("email", "body")]
    assert unstorable_fields(b"name=Kim+100%25", FORM) == []


@pytest.fixture
def client():
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(TextGuardMiddleware)

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, str]:
        return {"body": (await request.body()).decode()}

    @app.get("/search")
    async def search(q: str = "") -> dict[str, str]:
        return {"q": q}

    return TestClient(app)


def test_a_refused_body_is_a_problem_naming_the_field(client):
    answer = client.post(
        "/echo", content=rb'{"answers": {"comment": "x\ud800"}}', headers={"Content-Type": JSON}
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["errors"][0]["field"] == "answers.comment"
    assert problem["errors"][0]["code"] == "unstorable_text"
    assert "answers.comment" in problem["detail"]


def test_a_nul_in_the_query_string_is_refused(client):
    answer = client.get("/search?q=a%00b")
    assert answer.status_code == 422
    assert answer.json()["errors"][0] == {
        "field": "q",
        "location": "query",
        "message": "Text must be valid Unicode without NUL characters.",
        "code": "unstorable_text",
    }
    assert client.get("/search?q=a%20b").json() == {"q": "a b"}


def test_good_bodies_reach_the_handler_whole(client):
    body = '{"a": "\\ud83d\\ude00", "b": "' + "x" * 200_000 + '"}'
    answer = client.post("/echo", content=body, headers={"Content-Type": JSON})
    assert answer.status_code == 200
    assert answer.json()["body"] == body
    other = client.post("/echo", content=b"\x00binary", headers={"Content-Type": "text/csv"})
    assert other.json()["body"] == "\x00binary"


def recorded_exception(log_format: str) -> str:
    stream = io.StringIO()
    configure_logging(log_format=log_format, level="INFO")
    logging.getLogger().handlers[0].stream = stream  # type: ignore[attr-defined]
    try:
        local_marker = "LOCAL-VALUE-" * 3  # noqa: F841 - what a locals renderer would print
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("test").exception("request.failed")
    return stream.getvalue()


def test_console_tracebacks_leave_local_variables_out():
    """Rendering every frame's locals took ~20 s on a failed write, on the event loop."""
    output = recorded_exception("console")
    assert "ValueError: boom" in output
    assert "recorded_exception" in output
    assert "LOCAL-VALUE-" not in output
