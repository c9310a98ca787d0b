"""Every staff route refuses a request without a session, and every staff write refuses a
viewer, a missing or wrong CSRF token and a form sent from another origin; a refused request
changes nothing in any of the four databases.

The routes come from the gateway's own route table, so a page added later is checked too; a
path parameter is a made-up id, since the checks come before anything is looked up (a route
that skipped them would answer 404 or 422, not the refusal expected here)."""

import re
from collections.abc import Callable
from typing import Any

import pytest

from cxshared.testing.security import database_fingerprint, operations

# Customers' pages need no staff session: surveys (/s/), case follow-ups (/f/), and an
# invitation mail's unsubscribe page (/u/) and pixel (/o/).
OPEN = (
    "/healthz",
    "/readyz",
    "/metrics",
    "/login",
    "/s/",
    "/f/",
    "/u/",
    "/o/",
    "/static/",
    "/embed.js",
)
DUMMY = "00000000-0000-4000-8000-000000000000"


# A member's own settings: viewers change theirs too (still only with a form of ours).
SELF_SERVICE = {
    ("post", "/notifications"),
    *(
        ("post", f"/account/security/{action}")
        for action in ("enrol", "confirm", "recovery-codes", "off")
    ),
}


def staff_operations(stack: Any) -> list[tuple[str, str]]:
    assert stack.gateway is not None
    found = [
        (method, _concrete(path))
        for method, path, _ in operations(stack.gateway.app)
        if not path.startswith(OPEN)
    ]
    assert len(found) > 30, found
    return found


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", DUMMY, path)


def fingerprints(stack: Any) -> dict[str, dict[str, str]]:
    assert stack.settings is not None
    urls = {name: api.database_url for name, api in stack.backends.items()}
    urls["gateway"] = stack.settings.database_url
    return {name: database_fingerprint(url) for name, url in urls.items()}


def test_without_a_session_every_staff_route_sends_to_sign_in(stack: Any) -> None:
    assert stack.gateway is not None
    before = fingerprints(stack)
    for method, url in staff_operations(stack):
        response = stack.gateway.request(method, url, data={"name": "x"})
        assert response.status_code == 303, f"{method} {url}: {response.status_code}"
        assert response.headers["location"].startswith("/login"), f"{method} {url}"
        fragment = stack.gateway.request(method, url, headers={"HX-Request": "true"})
        assert fragment.status_code == 401, f"{method} {url} (htmx): {fragment.status_code}"
        assert fragment.headers["HX-Redirect"].startswith("/login")
    assert fingerprints(stack) == before


@pytest.mark.parametrize(
    ("role", "case"),
    [
        ("viewer", "a viewer, with the right token"),
        ("editor", "no token"),
        ("editor", "a wrong token"),
        ("editor", "another session's token"),
        ("editor", "the right token from another origin"),
        ("editor", "the right token from an opaque origin"),
        ("editor", "the right token, referred by another site"),
    ],
)
def test_every_staff_write_refuses_what_is_not_a_form_of_ours(
    stack: Any, browser_for: Callable[[str], Any], role: str, case: str
) -> None:
    browser = browser_for(role)
    other = browser_for("admin")
    token = {
        "no token": None,
        "a wrong token": "not-the-token",
        "another session's token": other.csrf,
    }.get(case, browser.csrf)
    headers = {
        "the right token from another origin": {"Origin": "https://evil.example"},
        "the right token from an opaque origin": {"Origin": "null"},
        "the right token, referred by another site": {"Referer": "https://evil.example/x"},
    }.get(case, {})
    before = fingerprints(stack)
    writes = [(m, u) for m, u in staff_operations(stack) if m != "get" and u != "/logout"]
    if role == "viewer":  # a member's own settings: a viewer changes their own too
        writes = [(m, u) for m, u in writes if (m, u) not in SELF_SERVICE]
    for method, url in writes:
        form = {"name": "Changed", "status": "acknowledged"}
        if token is not None:
            form["csrf_token"] = token
        response = browser.client.request(method, url, data=form, headers=headers)
        assert response.status_code == 403, f"{method} {url} ({case}): {response.status_code}"
        assert "Not allowed" in response.text
    assert fingerprints(stack) == before
    # The browser is still signed in: a refusal is not a sign-out.
    assert browser.get("/journeys").status_code == 200
