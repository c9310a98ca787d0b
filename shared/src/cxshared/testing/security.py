"""Every API route of a service refuses whoever may not call it, and a refusal changes nothing.

The routes come from the app's own OpenAPI, so a route added later is checked too, and a route
that forgets its key check fails the first assertion: every operation outside the public
prefixes must declare the bearer scheme.
"""

import hashlib
import re
from typing import Any

from sqlalchemy import MetaData, select
from starlette.routing import Mount

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


def every_route(app: Any) -> list[tuple[str, str]]:
    """(method, concrete path) for every route the app has, with a made-up id in each path
    parameter: the documented operations, the app's own routes (docs, static files) and the
    probes, which the OpenAPI leaves out."""
    found = {(method.upper(), _concrete(path)) for method, path, _ in operations(app)}
    found |= {("GET", probe) for probe in ("/healthz", "/readyz", "/metrics")}
    for route in app.routes:
        if isinstance(route, Mount):
            found.add(("GET", f"{route.path}/no-such-file"))
            continue
        for method in set(getattr(route, "methods", None) or ()) - {"HEAD"}:
            found.add((method, _concrete(route.path)))
    return sorted(found)


def assert_security_headers(response: Any, *, cache_control: bool = True) -> None:
    """The headers every answer carries: no sniffing, a referrer and an opener policy, a CSP
    that says who may frame it (and, when no one, X-Frame-Options too), and caching rules."""
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    headers = response.headers
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("referrer-policy"), where
    assert headers.get("cross-origin-opener-policy") == "same-origin", where
    csp = headers.get("content-security-policy", "")
    assert "frame-ancestors" in csp, where
    if "frame-ancestors 'none'" in csp:
        assert headers.get("x-frame-options") == "DENY", where
    if cache_control:
        assert headers.get("cache-control"), where


def assert_every_route_sends_security_headers(
    client: Any, callers: dict[str, dict[str, str]], *, cache_control: bool = True
) -> int:
    """Calls every route of the client's app as each of `callers` (name → headers), and some
    answers that come from no route (404, 405, 413, a malformed body); checks the headers on
    each. Returns how many answers were checked."""
    checked = 0
    requests: list[tuple[str, str, bytes | None]] = [
        (method, path, None) for method, path in every_route(client.app)
    ]
    requests += [
        ("GET", "/no-such-page", None),
        ("DELETE", "/healthz", None),
        ("POST", "/healthz", b"x" * 5_000_000),
        ("POST", "/healthz", b"{not json"),
    ]
    for headers in callers.values():
        for method, path, body in requests:
            response = client.request(method, path, headers=headers, content=body)
            assert_security_headers(response, cache_control=cache_control)
            checked += 1
    return checked
