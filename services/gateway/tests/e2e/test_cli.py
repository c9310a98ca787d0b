"""The gateway's command line, as an operator uses it."""

import re

import pytest
from sqlmodel import Session, select

from cxshared.db import make_engine
from cxshared.testing.processes import run_command
from cxshared.timeutil import utcnow
from gateway.users import factor
from gateway.users.models import User
from gateway.users.service import authenticate

pytestmark = pytest.mark.long


def cx_gateway(database_url, *args, stdin=None):
    return run_command("gateway", database_url, *args, stdin=stdin)


def test_create_user_shows_a_generated_password_once_and_it_signs_in(stack):
    url = stack.settings.database_url
    created = cx_gateway(url, "create-user", "--email", "Ops@Example.com", "--role", "editor")
    assert created.returncode == 0, created.stderr
    password = re.search(r"with the password (\S+) \(shown only once\)", created.stdout).group(1)
    engine = make_engine(url, pool_size=1)
    user = authenticate(engine, email="ops@example.com", password=password)
    assert user is not None and user.role == "editor"

    again = cx_gateway(url, "create-user", "--email", "ops@example.com")
    assert again.returncode == 1 and "exists already" in again.stderr
    weak = cx_gateway(
        url, "create-user", "--email", "x@example.com", "--password-stdin", stdin="short\n"
    )
    assert weak.returncode == 1 and "at least 12 characters" in weak.stderr


def test_if_no_users_creates_nobody_once_there_are_users(stack):
    # The stack has its three users already.
    result = cx_gateway(
        stack.settings.database_url, "create-user", "--email", "first@example.com", "--if-no-users"
    )
    assert result.returncode == 0 and result.stdout == ""


def test_disable_user_ends_their_sessions(stack, browser_for):
    browser = browser_for("editor")
    result = cx_gateway(
        stack.settings.database_url, "disable-user", "--email", "editor@example.com"
    )
    assert result.returncode == 0, result.stderr
    assert browser.get("/journeys").status_code == 303
    enabled = cx_gateway(
        stack.settings.database_url, "disable-user", "--email", "editor@example.com", "--enable"
    )
    assert enabled.returncode == 0
    assert browser.sign_in("editor@example.com").status_code == 303


def test_reset_second_factor_for_an_admin_who_lost_their_phone(stack, browser_for):
    url = stack.settings.database_url
    engine = make_engine(url, pool_size=1)
    with Session(engine) as session:
        admin = session.exec(select(User).where(User.email == "admin@example.com")).one()
    secret = factor.begin_enrolment(engine, admin).secret
    factor.confirm_enrolment(engine, admin, factor.code_for(secret, utcnow()))
    assert factor.has_factor(engine, admin.id)
    result = cx_gateway(url, "reset-second-factor", "--email", "Admin@Example.com")
    assert result.returncode == 0, result.stderr
    assert "second factor and recovery codes removed" in result.stdout
    assert not factor.has_factor(engine, admin.id)
    latest = factor.audit_log(engine)[0]  # newest first, after the enrolment's
    assert (latest.actor, latest.action, latest.subject) == (
        "shell",
        "second_factor.reset",
        "admin@example.com",
    )
    unknown = cx_gateway(url, "reset-second-factor", "--email", "nobody@example.com")
    assert unknown.returncode == 1 and "No user with the email" in unknown.stderr
