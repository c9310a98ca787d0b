"""Password guessing is held back per address and per account, and never locks the real user
out of the browser they signed in with before."""

from datetime import timedelta

from fastapi.testclient import TestClient

from cxshared.db import make_engine
from cxshared.testing.processes import run_command
from gateway.users import throttle

from ..conftest import Browser


def browser_at(stack, address: str) -> Browser:
    client = TestClient(
        stack.gateway.app,
        raise_server_exceptions=False,
        follow_redirects=False,
        client=(address, 50000),
    )
    return Browser(client)


def test_failures_lock_an_account_for_longer_each_time():
    assert [throttle.lock_for(n) for n in range(1, 5)] == [None] * 4
    assert [throttle.lock_for(n) for n in (5, 6, 7, 8)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 8)
    ]
    assert throttle.lock_for(40) == throttle.LONGEST_LOCK == timedelta(hours=1)


def test_a_distributed_guess_locks_the_account_whatever_the_address(stack):
    for n in range(throttle.FREE_FAILURES):
        wrong = browser_at(stack, f"203.0.113.{n}").sign_in("editor@example.com", "guess " * 3)
        assert wrong.status_code == 422
    # The right password from yet another unknown browser is not even checked now.
    locked = browser_at(stack, "198.51.100.7").sign_in("editor@example.com")
    assert locked.status_code == 429
    assert "Too many failed sign-ins for this account" in locked.text
    assert 0 < int(locked.headers["Retry-After"]) <= 60
    assert "cx_session" not in locked.cookies
    # Other accounts are untouched, from the same addresses.
    assert browser_at(stack, "203.0.113.0").sign_in("viewer@example.com").status_code == 303


def test_an_unknown_email_is_locked_alike_so_locks_tell_nothing(stack):
    for n in range(throttle.FREE_FAILURES):
        browser_at(stack, f"203.0.113.{n}").sign_in("nobody@example.com", "guess " * 3)
    answer = browser_at(stack, "198.51.100.7").sign_in("nobody@example.com")
    assert answer.status_code == 429
    assert "Too many failed sign-ins for this account" in answer.text


def test_a_burst_from_the_office_does_not_lock_out_the_users_own_browser(stack):
    own = browser_at(stack, "192.0.2.10")
    assert own.sign_in("editor@example.com").status_code == 303
    assert "cx_device" in own.client.cookies
    own.client.cookies.delete("cx_session")
    attacker = browser_at(stack, "192.0.2.10")  # the same office address
    statuses = [attacker.sign_in("editor@example.com", "guess " * 3).status_code for _ in range(12)]
    assert statuses[: throttle.FREE_FAILURES] == [422] * throttle.FREE_FAILURES
    assert statuses[-1] == 429  # the address and the account are both held back
    assert attacker.sign_in("editor@example.com").status_code == 429
    # The user's own browser still signs in, from the same address.
    assert own.sign_in("editor@example.com").status_code == 303
    # And success forgot the failures: an unknown browser may try again.
    assert browser_at(stack, "198.51.100.8").sign_in("editor@example.com").status_code == 303


def test_the_address_limit_stays(stack):
    """10 a minute, counted in fixed one-minute windows: on a slow machine the attempts may
    straddle two windows, so a 429 comes after 10 to 20 refusals, never later."""
    guesser = browser_at(stack, "203.0.113.99")
    statuses = []
    for n in range(21):
        statuses.append(guesser.sign_in(f"user{n}@example.com", "guess " * 3).status_code)
        if statuses[-1] == 429:
            break
    assert statuses[-1] == 429
    assert set(statuses[:-1]) == {422} and 10 <= len(statuses) - 1 <= 20


def test_the_address_limit_is_a_setting(stack):
    """GATEWAY_SIGN_IN_ATTEMPTS_PER_MINUTE, for offices where many staff share one address."""
    stack.gateway.app.state.settings.sign_in_attempts_per_minute = 3
    guesser = browser_at(stack, "203.0.113.98")
    statuses = [guesser.sign_in(f"user{n}@example.com", "guess " * 3).status_code for n in range(7)]
    assert statuses[:3] == [422] * 3 and statuses[-1] == 429


def test_an_admin_lifts_the_lock_from_the_command_line(stack):
    for n in range(throttle.FREE_FAILURES):
        browser_at(stack, f"203.0.113.{n}").sign_in("editor@example.com", "guess " * 3)
    assert browser_at(stack, "198.51.100.7").sign_in("editor@example.com").status_code == 429
    url = stack.settings.database_url
    lifted = run_command("gateway", url, "unlock-user", "--email", "Editor@Example.com")
    assert lifted.returncode == 0 and "failed sign-ins forgotten" in lifted.stdout
    assert browser_at(stack, "198.51.100.7").sign_in("editor@example.com").status_code == 303
    assert throttle.clear(make_engine(url, pool_size=1), email="editor@example.com") is False


def test_failures_a_day_apart_do_not_add_up(stack):
    engine = make_engine(stack.settings.database_url, pool_size=1)
    start = throttle.utcnow()
    for day in range(10):
        count = throttle.record_failure(
            engine, email="editor@example.com", now=start + timedelta(hours=25 * day)
        )
        assert count == 1
    assert throttle.locked_until(engine, email="editor@example.com") is None
