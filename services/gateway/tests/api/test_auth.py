"""Signing in and out, sessions, roles and CSRF."""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, select

from cxshared.db import make_engine
from cxshared.testing.security import assert_every_route_sends_security_headers
from cxshared.timeutil import utcnow
from gateway.users import service
from gateway.users.models import StaffSession, User
from gateway.users.service import set_disabled
from gateway.web import STAFF_CSP


def _engine(stack):
    return make_engine(stack.settings.database_url, pool_size=1)


def test_pages_send_a_visitor_without_a_session_to_sign_in(stack):
    response = stack.gateway.get("/journeys?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/journeys%3Fx%3D1"
    htmx = stack.gateway.get("/journeys", headers={"HX-Request": "true"})
    assert htmx.status_code == 401
    assert htmx.headers["HX-Redirect"].startswith("/login")


def test_sign_in_with_the_right_password_opens_a_session_and_goes_where_asked(stack, browser_for):
    browser = browser_for("viewer")
    assert browser.get("/journeys").status_code == 200
    page = browser.client.get("/login?next=/journeys/abc")
    assert 'name="next" value="/journeys/abc"' in page.text
    cookie = browser.client.cookies["cx_session"]
    with Session(_engine(stack)) as session:
        stored = session.exec(select(StaffSession)).all()
    # Only the token's hash is kept.
    assert stored and all(row.token_hash != cookie for row in stored)


def test_a_wrong_password_or_unknown_email_is_refused_alike(stack, browser_for):
    browser = browser_for("viewer")
    browser.client.cookies.clear()
    wrong = browser.sign_in("editor@example.com", "not the password")
    unknown = browser.sign_in("nobody@example.com")
    assert wrong.status_code == unknown.status_code == 422
    assert "do not match an active account" in wrong.text
    assert "do not match an active account" in unknown.text
    assert "cx_session" not in browser.client.cookies


def test_sign_in_without_the_form_token_is_refused(stack):
    response = stack.gateway.post(
        "/login",
        data={"email": "admin@example.com", "password": "correct horse battery"},
    )
    assert response.status_code == 403
    assert "cx_session" not in response.cookies


def test_next_never_leads_to_another_site(stack, browser_for):
    browser = browser_for("viewer")
    browser.client.cookies.delete("cx_session")
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        page = browser.client.get("/login", params={"next": evil})
        token = page.text.split('name="login_token" value="')[1].split('"')[0]
        response = browser.client.post(
            "/login",
            data={
                "email": "viewer@example.com",
                "password": "correct horse battery",
                "login_token": token,
                "next": evil,
            },
        )
        assert response.headers["location"] == "/"


def test_sign_out_ends_the_session_and_a_replayed_cookie_is_refused(stack, browser_for):
    browser = browser_for("editor")
    cookie = browser.client.cookies["cx_session"]
    response = browser.post("/logout")
    assert response.status_code == 303
    stranger = TestClient(stack.gateway.app, follow_redirects=False)
    stranger.cookies.set("cx_session", cookie)
    replay = stranger.get("/journeys")
    assert replay.status_code == 303
    assert replay.headers["location"].startswith("/login")


def test_sign_out_without_the_csrf_token_changes_nothing(stack, browser_for):
    browser = browser_for("editor")
    response = browser.client.post("/logout", data={})
    assert response.status_code == 403
    assert browser.get("/journeys").status_code == 200


def test_disabling_a_user_ends_their_sessions_at_once(stack, browser_for):
    browser = browser_for("editor")
    set_disabled(_engine(stack), email="editor@example.com", disabled=True)
    assert browser.get("/journeys").status_code == 303
    again = browser.sign_in("editor@example.com")
    assert again.status_code == 422


def test_idle_and_absolute_timeouts_end_a_session(stack, browser_for):
    idle_minutes = stack.settings.session_idle_minutes
    for column, age in (
        ("last_seen_at", timedelta(minutes=idle_minutes + 1)),
        ("created_at", timedelta(hours=stack.settings.session_absolute_hours, minutes=1)),
    ):
        browser = browser_for("viewer")
        with Session(_engine(stack)) as session:
            session.execute(update(StaffSession).values({column: utcnow() - age}))
            session.commit()
        assert browser.get("/journeys").status_code == 303, column


def test_passwords_are_stored_as_argon2id(stack):
    with Session(_engine(stack)) as session:
        users = session.exec(select(User)).all()
    assert users and all(u.password_hash.startswith("$argon2id$") for u in users)


class CountingHasher(PasswordHasher):
    """The real Argon2 hasher, counting how many verifications run at once."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.running = self.most = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            return super().verify(hash, password)
        finally:
            with self.lock:
                self.running -= 1


def test_no_more_password_checks_run_at_once_than_there_are_cores(stack, monkeypatch):
    # Each holds 64 MiB while it runs: twenty sign-ins at one moment must not take 1.3 GB.
    hasher = CountingHasher()
    monkeypatch.setattr(service, "_hasher", hasher)
    engine = _engine(stack)
    with Session(engine) as session:  # the fixture's users have the cheapest hashes
        session.execute(update(User).values(password_hash=hasher.hash("correct horse battery")))
        session.commit()
    attempts = [("viewer@example.com", "correct horse battery"), ("nobody@example.com", "x")] * 10
    with ThreadPoolExecutor(len(attempts)) as pool:
        users = list(
            pool.map(lambda a: service.authenticate(engine, email=a[0], password=a[1]), attempts)
        )
    assert [u is not None for u in users] == [True, False] * 10
    assert 1 <= hasher.most <= (os.cpu_count() or 1)


def test_a_viewer_sees_pages_but_cannot_change_anything(stack, viewer, delivery_journey):
    touchpoint = delivery_journey["stages"][0]["touchpoints"][0]
    page = viewer.get(f"/journeys/{delivery_journey['id']}")
    assert page.status_code == 200
    assert "Courier delivers" in page.text
    assert f'action="/touchpoints/{touchpoint["id"]}"' not in page.text
    response = viewer.post(
        f"/touchpoints/{touchpoint['id']}",
        {"version": touchpoint["version"], "name": "Renamed", "owner_name": "Viewer"},
    )
    assert response.status_code == 403
    assert "viewer" in response.text
    stored = stack.journey.get(f"/v1/touchpoints/{touchpoint['id']}").json()
    assert stored["name"] == "Courier delivers"


def test_a_change_without_csrf_token_or_from_another_origin_is_refused(
    stack, editor, delivery_journey
):
    touchpoint = delivery_journey["stages"][0]["touchpoints"][0]
    url = f"/touchpoints/{touchpoint['id']}"
    form = {"version": touchpoint["version"], "name": "Renamed", "channel": "field"}
    no_token = editor.client.post(url, data=form)
    wrong_token = editor.client.post(url, data={**form, "csrf_token": "forged"})
    other_origin = editor.client.post(
        url,
        data={**form, "csrf_token": editor.csrf},
        headers={"Origin": "https://evil.example"},
    )
    for response in (no_token, wrong_token, other_origin):
        assert response.status_code == 403
    stored = stack.journey.get(f"/v1/touchpoints/{touchpoint['id']}").json()
    assert stored["name"] == "Courier delivers"
    assert stored["version"] == touchpoint["version"]


def test_every_answer_carries_the_security_headers(stack, editor, viewer):
    """Every route (pages, fragments, forms, static files, probes), signed in or not, and the
    answers that come from no route: the staff pages' CSP and no framing, no caching."""
    checked = assert_every_route_sends_security_headers(stack.gateway, {"no session": {}})
    checked += assert_every_route_sends_security_headers(viewer.client, {"a viewer": {}})
    checked += assert_every_route_sends_security_headers(
        editor.client, {"an editor": {}, "an editor's htmx request": {"HX-Request": "true"}}
    )
    assert checked > 200
    page = editor.get("/journeys")
    assert page.headers["Content-Security-Policy"] == STAFF_CSP
    assert page.headers["Cache-Control"] == "no-store"


def test_metrics_count_pages_by_their_template(stack, viewer, delivery_journey):
    viewer.get(f"/journeys/{delivery_journey['id']}")
    text = stack.gateway.get("/metrics").text
    assert 'route="/journeys/{journey_id}"' in text
    assert delivery_journey["id"] not in text
