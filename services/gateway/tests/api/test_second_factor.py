"""The staff second factor (docs/gateway.md, "Second factor"): enrolment confirmed by a first
code, sign-in asking for the code after the password, replay refused, recovery codes good once,
attempts limited, the admin's requirement and reset (audited), fresh codes for sensitive
actions, and the time windows on a controlled clock."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, select

from cxshared.db import make_engine
from gateway.users import factor
from gateway.users.models import AuditEntry, RecoveryCode, StaffSession, User

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SECRET = re.compile(r'<code class="secret">([A-Z2-7 ]+)</code>')
CODES = re.compile(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>")


def _engine(stack: Any) -> Any:
    return make_engine(stack.settings.database_url, pool_size=1)


def _csrf(page: Any) -> str:
    found = CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


def _next_code(secret: str) -> str:
    """A code the server takes now and has not taken yet: the next step's (drift allows it)."""
    return factor.code_for(secret, datetime.now(UTC) + timedelta(seconds=factor.STEP_SECONDS))


def _enrol(browser: Any) -> tuple[str, list[str]]:
    """Sets up the browser's user's authenticator; returns its secret and recovery codes."""
    started = browser.post("/account/security/enrol")
    assert (started.status_code, started.headers["location"]) == (303, "/account/security")
    page = browser.get("/account/security")
    assert page.status_code == 200, page.text
    assert "<svg" in page.text and "QR code for your authenticator app" in page.text
    secret = SECRET.search(page.text).group(1).replace(" ", "")
    wrong = browser.post("/account/security/confirm", {"code": "000000"})
    assert wrong.status_code == 422 and "does not match" in wrong.text
    done = browser.post(
        "/account/security/confirm", {"code": factor.code_for(secret, datetime.now(UTC))}
    )
    assert done.status_code == 200, done.text
    codes = CODES.findall(done.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    # Turning the factor on gave the session new tokens: the page carries the new CSRF token.
    browser.csrf = _csrf(done)
    return secret, codes


class _Browser:
    """A browser with its client and the page's CSRF token (as conftest's, for a session
    that cannot reach /journeys yet)."""

    def __init__(self, client: TestClient, csrf: str) -> None:
        self.client, self.csrf = client, csrf

    def get(self, url: str) -> Any:
        return self.client.get(url)

    def post(self, url: str, data: dict[str, Any] | None = None) -> Any:
        return self.client.post(url, data={"csrf_token": self.csrf, **(data or {})})


def _enrolling(stack: Any, email: str) -> Any:
    """A browser signed in with the password whose role must set a second factor up."""
    client, response = _password(stack, email)
    assert response.status_code == 303
    return _Browser(client, _csrf(client.get("/account/security")))


def _password(stack: Any, email: str) -> tuple[TestClient, Any]:
    """A new browser that gave the right password: (its client, the answer to /login)."""
    client = TestClient(stack.gateway.app, raise_server_exceptions=False, follow_redirects=False)
    page = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/login",
        data={
            "email": email,
            "password": "correct horse battery",
            "login_token": token,
            "next": "/journeys",
        },
    )
    return client, response


def test_enrolment_then_sign_in_asks_for_the_code_and_refuses_it_twice(stack, browser_for):
    editor = browser_for("editor")
    secret, _codes = _enrol(editor)
    # The secret is what an authenticator app gets from the QR code's otpauth:// address.
    uri = factor.enrolment(User(id="x", email="editor@example.com", name="E", role="editor",
                                password_hash=""), secret).uri  # fmt: skip
    assert pyotp.parse_uri(uri).secret == secret and "issuer=cxloop" in uri

    client, response = _password(stack, "editor@example.com")
    assert response.status_code == 303
    assert response.headers["location"] == "/login/code?next=/journeys"
    # Waiting for its code, the session reaches no staff page and shows no navigation.
    assert client.get("/journeys").headers["location"] == "/login/code?next=/journeys"
    assert client.get("/dashboard", headers={"HX-Request": "true"}).status_code == 401
    page = client.get("/login/code?next=/journeys")
    assert 'aria-label="Main"' not in page.text and "Enter your code" in page.text
    csrf = _csrf(page)
    bad = client.post(
        "/login/code", data={"csrf_token": csrf, "code": "123456", "next": "/journeys"}
    )
    assert bad.status_code == 422 and "does not match" in bad.text
    code = _next_code(secret)
    waiting_token = client.cookies["cx_session"]
    good = client.post("/login/code", data={"csrf_token": csrf, "code": code, "next": "/journeys"})
    assert (good.status_code, good.headers["location"]) == (303, "/journeys")
    assert client.get("/journeys").status_code == 200
    # The token the waiting session had is ended: signing in completely gave a new one.
    assert client.cookies["cx_session"] != waiting_token
    stale = TestClient(stack.gateway.app, follow_redirects=False)
    stale.cookies.set("cx_session", waiting_token)
    assert stale.get("/journeys").headers["location"].startswith("/login?")
    with Session(_engine(stack)) as session:
        kinds = set(session.exec(select(StaffSession.authenticated_with)).all())
    assert "password+totp" in kinds

    # The same code again, from another browser with the password: refused (replay).
    other, _ = _password(stack, "editor@example.com")
    csrf = _csrf(other.get("/login/code"))
    again = other.post("/login/code", data={"csrf_token": csrf, "code": code, "next": "/"})
    assert again.status_code == 422 and "used already" in again.text
    assert other.get("/journeys").status_code == 303


def test_recovery_codes_work_once_each(stack, browser_for):
    viewer = browser_for("viewer")
    _secret, codes = _enrol(viewer)
    client, _ = _password(stack, "viewer@example.com")
    csrf = _csrf(client.get("/login/code"))
    # Typed with spaces and capitals, as people do.
    spoken = codes[3].upper().replace("-", " ")
    used = client.post("/login/code", data={"csrf_token": csrf, "code": spoken, "next": "/"})
    assert used.status_code == 303, used.text
    with Session(_engine(stack)) as session:
        assert (
            "password+recovery-code" in session.exec(select(StaffSession.authenticated_with)).all()
        )
        left = session.exec(select(RecoveryCode).where(RecoveryCode.used_at == None)).all()  # noqa: E711
    assert len(left) == 9
    second, _ = _password(stack, "viewer@example.com")
    csrf = _csrf(second.get("/login/code"))
    twice = second.post("/login/code", data={"csrf_token": csrf, "code": codes[3], "next": "/"})
    assert twice.status_code == 422 and "recovery code has been used already" in twice.text
    page = client.get("/account/security")
    assert "9 of 10 recovery codes left" in page.text


def test_code_attempts_are_limited_like_passwords(stack, browser_for):
    editor = browser_for("editor")
    _enrol(editor)
    client, _ = _password(stack, "editor@example.com")
    csrf = _csrf(client.get("/login/code"))
    statuses = [
        client.post(
            "/login/code", data={"csrf_token": csrf, "code": "000000", "next": "/"}
        ).status_code
        for _ in range(stack.settings.sign_in_attempts_per_minute + 1)
    ]
    # Enrolling took two attempts of the minute's budget; then wrong codes until it is spent.
    first = statuses.index(429)
    assert set(statuses[:first]) == {422} and set(statuses[first:]) == {429}
    assert first == stack.settings.sign_in_attempts_per_minute - 2
    assert client.get("/journeys").status_code == 303  # still waiting for a code


def test_a_code_is_accepted_within_one_step_of_drift_and_once(stack):
    """On a controlled clock: the step before, the step itself and the step after; not two
    steps away; a later code after an earlier one, never an earlier after a later."""
    engine = _engine(stack)
    with Session(engine) as session:
        user = session.exec(select(User).where(User.email == "admin@example.com")).one()
    secret = factor.begin_enrolment(engine, user).secret
    now = datetime(2026, 12, 7, 12, 0, 10, tzinfo=UTC)
    step = timedelta(seconds=factor.STEP_SECONDS)
    factor.confirm_enrolment(engine, user, factor.code_for(secret, now), now=now)
    with pytest.raises(factor.FactorError, match="used already"):
        factor.verify(engine, user, factor.code_for(secret, now), now=now)
    with pytest.raises(factor.FactorError, match="does not match"):
        factor.verify(engine, user, factor.code_for(secret, now + 2 * step), now=now)
    assert factor.verify(engine, user, factor.code_for(secret, now + step), now=now) == "totp"
    later = now + 10 * step
    with pytest.raises(factor.FactorError, match="does not match"):
        factor.verify(engine, user, factor.code_for(secret, later - 2 * step), now=later)
    assert factor.verify(engine, user, factor.code_for(secret, later - step), now=later) == "totp"
    with pytest.raises(factor.FactorError, match="used already"):
        factor.verify(engine, user, factor.code_for(secret, later - step), now=later)
    assert factor.verify(engine, user, factor.code_for(secret, later), now=later) == "totp"


def test_the_admin_requires_a_factor_and_a_member_without_one_must_set_it_up(stack, browser_for):
    admin = browser_for("admin")
    _enrol(admin)  # the admin's own code is fresh: no code asked for the change
    saved = admin.post("/admin/security/requirement", {"required": ["editor", "admin"]})
    assert saved.status_code == 200 and "required of: admin, editor" in saved.text
    editor = _enrolling(stack, "editor@example.com")  # signed in with the password only
    moved = editor.get("/surveys")
    assert (moved.status_code, moved.headers["location"]) == (303, "/account/security")
    page = editor.get("/account/security")
    assert "Your role must sign in with a second factor" in page.text
    _enrol(editor)
    assert editor.get("/surveys").status_code == 200
    # Required: the member cannot turn it off.
    off = editor.post("/account/security/off")
    assert off.status_code == 409 and "cannot be turned off" in off.text
    # A viewer is not concerned, and may not open the admin's page.
    viewer = browser_for("viewer")
    assert viewer.get("/surveys").status_code == 200
    assert viewer.get("/admin/security").status_code == 403
    listing = admin.get("/admin/security")
    assert listing.text.count("on since") == 2
    assert "a second factor is required of: admin, editor" in listing.text


def test_a_reset_signs_the_member_out_removes_the_factor_and_is_audited(stack, browser_for):
    admin = browser_for("admin")
    _enrol(admin)
    editor = browser_for("editor")
    _enrol(editor)
    done = admin.post("/admin/security/reset", {"email": "editor@example.com"})
    assert done.status_code == 200 and "second factor was reset" in done.text
    assert editor.get("/journeys").status_code == 303  # signed out everywhere
    _, response = _password(stack, "editor@example.com")
    assert response.headers["location"] == "/journeys"  # no code asked any more
    with Session(_engine(stack)) as session:
        [entry] = session.exec(
            select(AuditEntry).where(AuditEntry.action == "second_factor.reset")
        ).all()
    assert (entry.actor, entry.subject) == ("admin@example.com", "editor@example.com")
    assert "editor@example.com" in admin.get("/admin/security").text


def test_a_sensitive_action_asks_for_a_fresh_code_after_15_minutes(stack, browser_for):
    admin = browser_for("admin")
    secret, _ = _enrol(admin)
    with Session(_engine(stack)) as session:  # the session's code was given 16 minutes ago
        session.execute(
            update(StaffSession).values(second_factor_at=datetime.now(UTC) - timedelta(minutes=16))
        )
        session.commit()
    page = admin.get("/admin/security")
    assert 'name="code"' in page.text
    refused = admin.post("/admin/security/requirement", {"required": ["viewer"]})
    assert refused.status_code == 403 and "asks for one again" in refused.text
    assert factor.required_roles(_engine(stack)) == set()
    allowed = admin.post(
        "/admin/security/requirement", {"required": ["viewer"], "code": _next_code(secret)}
    )
    assert allowed.status_code == 200, allowed.text
    assert factor.required_roles(_engine(stack)) == {"viewer"}
    # An admin without a factor of their own cannot reset another's.
    factor.reset(_engine(stack), email="admin@example.com", actor="shell")
    again = browser_for("admin")
    refused = again.post("/admin/security/reset", {"email": "viewer@example.com"})
    assert refused.status_code == 403 and "set one up" in refused.text


def test_a_member_turns_their_factor_off_while_their_code_is_fresh(stack, browser_for):
    viewer = browser_for("viewer")
    _enrol(viewer)
    turned = viewer.post("/account/security/off")  # fresh: the code was given just now
    assert turned.status_code == 303
    assert "Set up a second factor" in viewer.get("/account/security").text
    _, response = _password(stack, "viewer@example.com")
    assert response.headers["location"] == "/journeys"


def test_turning_it_on_ends_every_other_session_and_renews_this_ones_tokens(stack, browser_for):
    """Another browser signed in with the password alone (perhaps not the member's) does not
    keep going without the factor; this one's old token and CSRF token stop working."""
    other = browser_for("editor")
    editor = browser_for("editor")
    old_token, old_csrf = editor.client.cookies["cx_session"], editor.csrf
    _enrol(editor)
    assert editor.client.cookies["cx_session"] != old_token
    assert editor.get("/journeys").status_code == 200
    assert other.get("/journeys").headers["location"].startswith("/login?")
    stale = editor.client.post("/notifications", data={"csrf_token": old_csrf, "cases": "each"})
    assert stale.status_code == 403


def test_a_set_up_in_progress_is_this_browsers_alone(stack, browser_for):
    first = browser_for("viewer")
    second = browser_for("viewer")
    first.post("/account/security/enrol")
    page = first.get("/account/security")
    secret = SECRET.search(page.text).group(1).replace(" ", "")
    # The other browser is not shown the key, and cannot confirm it.
    elsewhere = second.get("/account/security")
    assert secret[:8] not in elsewhere.text.replace(" ", "") and "<svg" not in elsewhere.text
    taken = second.post(
        "/account/security/confirm", {"code": factor.code_for(secret, datetime.now(UTC))}
    )
    assert taken.status_code == 422 and "no set-up of this browser" in taken.text
    assert not factor.has_factor(_engine(stack), _user(stack, "viewer@example.com").id)


def _user(stack: Any, email: str) -> User:
    with Session(_engine(stack)) as session:
        return session.exec(select(User).where(User.email == email)).one()


def test_wrong_codes_in_a_row_lock_the_factor_for_a_while_doubling(stack):
    """On a controlled clock: five wrong codes lock it for a minute (a right code is refused
    meanwhile), the next wrong one for two; the lock is audited; a right code after it clears
    the count."""
    engine = _engine(stack)
    user = _user(stack, "editor@example.com")
    secret = factor.begin_enrolment(engine, user, "t").secret
    now = datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC)
    factor.confirm_enrolment(engine, user, factor.code_for(secret, now), "t", now=now)
    minute = timedelta(minutes=1)
    for n in range(factor.LOCK_AFTER):
        with pytest.raises(factor.FactorError, match="does not match" if n < 4 else "in 1 min"):
            factor.verify(engine, user, "000000", now=now + n * timedelta(seconds=1))
    later = now + timedelta(seconds=30)
    with pytest.raises(factor.FactorError, match="Too many wrong codes"):
        factor.verify(engine, user, factor.code_for(secret, later), now=later)
    after = now + 2 * minute
    with pytest.raises(factor.FactorError, match="in 2 min"):
        factor.verify(engine, user, "000000", now=after)
    done = after + 3 * minute
    assert factor.verify(engine, user, factor.code_for(secret, done), now=done) == "totp"
    wrong = done + timedelta(seconds=1)
    with pytest.raises(factor.FactorError, match="does not match"):  # the count starts again
        factor.verify(engine, user, "000000", now=wrong)
    actions = [entry.action for entry in factor.audit_log(engine)]
    assert actions.count("second_factor.locked") == 2


def test_an_admin_who_turned_their_factor_off_is_no_longer_fresh(stack, browser_for):
    admin = browser_for("admin")
    _enrol(admin)
    assert admin.post("/account/security/off").status_code == 303
    refused = admin.post("/admin/security/requirement", {"required": ["viewer"]})
    assert refused.status_code == 403 and "needs a second factor" in refused.text
    assert factor.required_roles(_engine(stack)) == set()
