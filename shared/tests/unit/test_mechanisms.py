"""Pure logic of the shared mechanisms."""

import time
from datetime import datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from cxshared.concurrency import matches
from cxshared.db import new_row
from cxshared.events.models import OutboxDelivery, OutboxEvent, WebhookSubscription
from cxshared.events.signing import new_secret, signature_header
from cxshared.pagination import decode_cursor, encode_cursor
from cxshared.problems import Problem, field_path
from cxshared.settings import ServiceSettings
from cxshared.url_guard import UnsafeUrl, check_url, is_public_address, pinned_request


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:8.8.8.8", True),
        ("169.254.169.254", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("fd00:ec2::254", False),
        ("fe80::1%eth0", False),
        ("224.0.0.1", False),
        ("2002:7f00:0001::1", False),  # 6to4 wrapping 127.0.0.1
    ],
)
def test_public_addresses(address, public):
    assert is_public_address(address) is public


def test_names_are_resolved_and_every_address_must_be_public():
    def resolver(host, port):
        return {"good.example": ["93.184.216.34"], "mixed.example": ["93.184.216.34", "10.0.0.7"]}[
            host
        ]

    target = check_url("https://good.example/hook", allow_private=False, resolver=resolver)
    assert target.address == "93.184.216.34"
    with pytest.raises(UnsafeUrl, match=r"10\.0\.0\.7"):
        check_url("https://mixed.example/hook", allow_private=False, resolver=resolver)

    def failing(host, port):
        raise OSError("no such host")

    with pytest.raises(UnsafeUrl, match="does not resolve"):
        check_url("https://nowhere.example/", allow_private=False, resolver=failing)


def test_requests_are_pinned_to_the_checked_address():
    target = check_url(
        "https://hooks.example:8443/x?y=1",
        allow_private=False,
        resolver=lambda host, port: ["93.184.216.34"],
    )
    url, headers, extensions = pinned_request(target, content=b"", headers={"a": "b"})
    assert str(url) == "https://93.184.216.34:8443/x?y=1"
    assert headers == {"a": "b", "Host": "hooks.example:8443"}
    assert extensions == {"sni_hostname": "hooks.example"}


def test_signatures_verify_with_the_standard_webhooks_library():
    old, new = new_secret(), new_secret()
    body = b'{"type":"touchpoint.updated"}'
    now = int(time.time())
    header = signature_header([new, old], msg_id="msg_1", timestamp=now, body=body)
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(now), "webhook-signature": header}
    for secret in (new, old):
        assert Webhook(secret).verify(body, headers) == {"type": "touchpoint.updated"}
    with pytest.raises(Exception, match="signature"):
        Webhook(new_secret()).verify(body, headers)


@pytest.mark.parametrize(
    ("if_match", "version", "ok"),
    [
        (None, 3, True),
        ('"3"', 3, True),
        ('W/"3"', 3, False),  # If-Match compares strongly: a weak tag never matches
        ('W/"2", "3"', 3, True),
        ('"2", "3"', 3, True),
        ("*", 3, True),
        ('"2"', 3, False),
        ("3", 3, False),
        ("garbage", 3, False),
    ],
)
def test_if_match(if_match, version, ok):
    assert matches(if_match, version) is ok


def test_cursors_round_trip_and_refuse_tampering():
    cursor = encode_cursor(["2026-01-01", "01900000-0000-7000-8000-000000000000"])
    assert decode_cursor(cursor, 2) == ["2026-01-01", "01900000-0000-7000-8000-000000000000"]
    for bad in ("!!!", encode_cursor(["only-one"]), encode_cursor([{"a": 1}, "x"])):
        with pytest.raises(Problem):
            decode_cursor(bad, 2)


def test_field_paths_read_like_the_document():
    assert field_path(("body", "stages", 1, "touchpoints", 0, "channel")) == (
        "body",
        "stages[1].touchpoints[0].channel",
    )
    assert field_path(("query", "limit")) == ("query", "limit")


def test_settings_refuse_placeholder_secrets(monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "json")
    assert ServiceSettings().log_format == "json"
    with pytest.raises(ValueError, match="placeholder"):
        ServiceSettings(ingest_api_key="changeme")


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (OutboxEvent, {"type": "t.done", "source": "feedback", "subject": "s1", "data": {}}),
        (OutboxDelivery, {"event_id": "e1", "destination": "sink:ingest"}),
        (WebhookSubscription, {"url": "https://example.com/h", "event_types": [], "secret": "x"}),
    ],
)
def test_new_rows_take_the_defaults_the_constructor_gives(model, values):
    row, built = new_row(model, **values), model(**values)
    columns = [column.key for column in model.__table__.columns]
    assert list(row) == columns
    for key in columns:
        made = model.model_fields[key].default_factory is not None and key not in values
        expected = getattr(built, key)
        if made and key == "id":  # a fresh id each time
            assert isinstance(row[key], str) and row[key] != expected
        elif made and isinstance(expected, datetime):  # now, a moment apart
            assert abs(row[key] - expected) < timedelta(seconds=5)
        else:
            assert row[key] == expected, key


def test_new_rows_refuse_unknown_and_missing_columns():
    with pytest.raises(TypeError, match="no column colour"):
        new_row(OutboxDelivery, event_id="e1", destination="webhook", colour="red")
    with pytest.raises(TypeError, match="destination needs a value"):
        new_row(OutboxDelivery, event_id="e1")
    first, second = (
        new_row(OutboxDelivery, event_id="e1", destination="webhook") for _ in range(2)
    )
    assert first["id"] != second["id"]


@pytest.mark.parametrize(
    ("completed_level", "status", "shown"),
    [("INFO", 200, True), ("DEBUG", 200, False), ("DEBUG", 404, False), ("DEBUG", 500, True)],
)
def test_request_lines_follow_their_own_level_but_a_5xx_always_shows(
    completed_level, status, shown
):
    """`make run` sets REQUEST_LOG_LEVEL=DEBUG: under LOG_LEVEL=INFO a page's requests leave no
    line, while an answer with a 5xx status still does."""
    import logging

    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from cxshared.logging import configure_logging
    from cxshared.middleware import RequestIdMiddleware

    configure_logging(log_format="json", level="INFO")
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    collect = Collect()
    collect.setFormatter(logging.getLogger().handlers[0].formatter)
    logging.getLogger().addHandler(collect)
    try:
        app = Starlette(routes=[Route("/", lambda _: PlainTextResponse("x", status_code=status))])
        app.add_middleware(RequestIdMiddleware, completed_level=completed_level)
        assert TestClient(app).get("/").status_code == status
    finally:
        logging.getLogger().removeHandler(collect)
    completed = [line for line in lines if '"request.completed"' in line]
    assert len(completed) == (1 if shown else 0), lines


def test_request_log_level_is_a_setting_and_a_bad_one_is_refused():
    from cxshared.middleware import RequestIdMiddleware

    assert ServiceSettings(REQUEST_LOG_LEVEL="debug").request_log_level == "debug"
    with pytest.raises(ValueError, match="not a log level"):
        RequestIdMiddleware(lambda *_: None, completed_level="loud")
