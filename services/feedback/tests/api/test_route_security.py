"""Every feedback API route refuses callers without a live key of the right kind (no key, a
revoked or unknown key, a read-only key for a write, an acting user named by a key that is
not the gateway's, a key in the query string), and a refused request changes nothing."""

from cxshared.testing.api import Api
from cxshared.testing.security import (
    assert_every_route_sends_security_headers,
    assert_routes_refuse_strangers,
)


def test_every_route_refuses_strangers_and_changes_nothing(api: Api) -> None:
    refused = assert_routes_refuse_strangers(api.client.app, api)
    assert refused > 100  # every operation, several callers each


def test_every_answer_carries_the_security_headers(api: Api) -> None:
    callers = {"no key": {}, "an admin key": api.admin}
    assert assert_every_route_sends_security_headers(api.client, callers) > 60
