"""`make run`'s sign-in details: kept by create-user, shown in a box by welcome once every
service is ready, forgotten once they no longer sign in."""

import json
import os
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cxshared.db import make_engine
from cxshared.testing.processes import console_script, run_command
from gateway.main import MIGRATIONS
from gateway.users.service import set_disabled
from gateway.welcome import SignIn, banner

pytestmark = pytest.mark.long


class Readiness(ThreadingHTTPServer):
    """Stands in for the four services' /readyz: not ready for the first `not_ready` asks."""

    def __init__(self, not_ready: int) -> None:
        self.not_ready = not_ready
        self.asked = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.asked += 1
                ready = self.path == "/readyz" and server.asked > server.not_ready
                self.send_response(200 if ready else 503)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def services():
    server = Readiness(not_ready=3)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.fixture
def database_url(database_factory_for):
    factory = database_factory_for("gateway", MIGRATIONS)
    url = factory.new_url()
    yield url
    factory.release(url)


def welcome_env(database_url, services):
    return {
        **os.environ,
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_PORT": str(services.server_address[1]),
        "GATEWAY_PUBLIC_URL": "http://cx.example.com",
        **{f"GATEWAY_{name}_URL": services.url for name in ("JOURNEY", "FEEDBACK", "METRICS")},
    }


def welcome(database_url, services, *args):
    return subprocess.run(
        [console_script("cx-gateway"), "welcome", *args],
        env=welcome_env(database_url, services),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_staying_after_the_welcome_keeps_no_python_process_waiting(database_url, services):
    """`--stay` (a Procfile's slot) becomes `sleep`: the same process, none of Python's memory."""
    process = subprocess.Popen(
        [console_script("cx-gateway"), "welcome", "--stay"],
        env=welcome_env(database_url, services),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        shown = ""
        for line in process.stdout:
            shown += line
            if line.startswith("####") and shown.count("####") >= 2:
                break
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            command = Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")
            if Path(command[0].decode()).name == "sleep":
                break
            time.sleep(0.1)
        assert Path(command[0].decode()).name == "sleep", command
        assert process.poll() is None
    finally:
        process.terminate()
    assert process.wait(timeout=10) != 0  # ended by the signal, as honcho ends it


def test_the_first_admins_password_is_kept_and_shown_once_all_is_ready(
    database_url, services, tmp_path
):
    kept = tmp_path / "keys" / "admin-sign-in.json"
    created = run_command(
        "gateway",
        database_url,
        *("create-user", "--email", "Admin@Example.com", "--role", "admin"),
        *("--if-no-users", "--sign-in-file", str(kept)),
    )
    assert created.returncode == 0, created.stderr
    stored = json.loads(kept.read_text())
    assert stored["email"] == "admin@example.com"
    assert kept.stat().st_mode & 0o777 == 0o600
    assert stored["password"] in created.stdout

    shown = welcome(database_url, services, "--sign-in-file", str(kept))
    assert shown.returncode == 0, shown.stderr
    # It waited: four services asked until each said ready, three 503s first.
    assert services.asked >= 4 + 3
    assert "waiting for" in shown.stdout
    box = shown.stdout[shown.stdout.index("####") :]
    assert "Open      http://cx.example.com" in box
    assert "Email     admin@example.com" in box
    assert f"Password  {stored['password']}" in box
    assert str(kept) in box

    # Once the password no longer signs in (here: the account is disabled) it is not shown,
    # and the file is gone.
    engine = make_engine(database_url, pool_size=1)
    set_disabled(engine, email="admin@example.com", disabled=True)
    engine.dispose()
    again = welcome(database_url, services, "--sign-in-file", str(kept))
    assert again.returncode == 0, again.stderr
    assert stored["password"] not in again.stdout
    assert "Sign in with your staff account." in again.stdout
    assert not kept.exists()


def test_a_password_read_from_stdin_is_never_kept(database_url, tmp_path):
    kept = tmp_path / "admin-sign-in.json"
    created = run_command(
        "gateway",
        database_url,
        *("create-user", "--email", "a@example.com", "--sign-in-file", str(kept)),
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert created.returncode == 0, created.stderr
    assert not kept.exists()


def test_the_banner_is_a_box_every_line_of_which_is_as_wide():
    text = banner(
        "http://127.0.0.1:8000",
        SignIn(email="admin@example.com", password="s3cret-Pa55word"),
        kept_in=None,
    )
    lines = text.strip().splitlines()
    assert len({len(line) for line in lines}) == 1
    assert lines[0] == lines[-1] == "#" * len(lines[0])
    assert all(line.startswith("##  ") and line.endswith("  ##") for line in lines[1:-1])
    assert any("Password  s3cret-Pa55word" in line for line in lines)
