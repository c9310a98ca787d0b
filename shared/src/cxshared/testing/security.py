"""Every API route of a service refuses whoever may not call it, and a refusal changes nothing.

The routes come from the app's own OpenAPI, so a route added later is checked too, and a route
that forgets its key check fails the first assertion: every operation outside the public
prefixes must declare the bearer scheme.
"""

import hashlib
import re
from typing import Any

from sqlalchemy import MetaData, select

from cxshared.auth import ACTING_USER_HEADER, Scope, revoke_api_key
from cxshared.db import make_engine
from cxshared.testing.api import Api, bearer, make_key

# Open to all by design: probes, Prometheus, the docs, and the respondents' endpoints (which
# have their own tests: rate limits, CORS, body caps).
PUBLIC_PREFIXES = ("/healthz", "/readyz", "/metrics", "/docs", "/redoc", "/openapi.json")
PUBLIC_API = "/v1/public/"
WRITES = ("post", "put", "patch", "delete")


def operations(app: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path template, operation) for every operation the app documents."""
    return [
        (method, path, operation)
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
        if method in ("get", *WRITES)
    ]


def database_fingerprint(database_url: str) -> dict[str, str]:
    """A digest of every row of every table, to show that nothing changed."""
    engine = make_engine(database_url, pool_size=1)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        digests = {}
        with engine.connect() as connection:
            for name, table in sorted(metadata.tables.items()):
                rows = sorted(repr(tuple(row)) for row in connection.execute(select(table)))
                digests[name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        return digests
    finally:
        engine.dispose()


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000000", path)


def refusals(api: Api) -> dict[str, dict[str, str]]:
    """The callers each protected operation must refuse, with the status it must answer."""
    revoked_key = make_key(api.database_url, "revoked-for-tests", Scope.ADMIN)
    engine = make_engine(api.database_url, pool_size=1)
    try:
        revoke_api_key(engine, name_or_id="revoked-for-tests")
    finally:
        engine.dispose()
    return {
        "no key": {},
        "not a bearer": {"Authorization": "Basic YWRtaW46YWRtaW4="},
        "not a cxloop key": bearer("sk_live_0123456789"),
        "unknown key": bearer("cxk_" + "A" * 43),
        "revoked key": bearer(revoked_key),
        "acting user from a key without the gateway scope": {
            **api.admin,
            ACTING_USER_HEADER: "mallory@example.com",
        },
    }


def assert_routes_refuse_strangers(app: Any, api: Api) -> int:
    """Calls every protected operation as each stranger, and a write with a read-only key;
    returns how many requests were refused. Fails on the first wrong answer."""
    callers = refusals(api)
    before = database_fingerprint(api.database_url)
    refused = 0
    for method, path, operation in operations(app):
        if path.startswith(PUBLIC_PREFIXES) or path.startswith(PUBLIC_API):
            continue
        assert operation.get("security"), f"{method.upper()} {path} declares no API key"
        url = _concrete(path)
        cases = dict(callers)
        if method in WRITES:
            cases["a read-only key for a write"] = api.reader
        for who, headers in cases.items():
            response = api.client.request(
                method, url, headers=headers, json={} if method in WRITES else None
            )
            expected = 403 if who.startswith(("acting user", "a read-only")) else 401
            assert response.status_code == expected, (
                f"{method.upper()} {path} as {who}: {response.status_code} {response.text}"
            )
            assert response.headers["content-type"].startswith("application/problem+json")
            refused += 1
        # A key in the query string is refused outright, whatever it is.
        token = api.admin["Authorization"].removeprefix("Bearer ")
        response = api.client.request(method, f"{url}?api_key={token}")
        assert response.status_code in (400, 401), f"{method.upper()} {path}: key in query"
        refused += 1
    assert database_fingerprint(api.database_url) == before, "a refused request changed data"
    return refused
