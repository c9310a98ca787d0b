"""`make run` installs and runs with the runtime packages only; `make test` has the dev tools.
Read from what make would do (`make -n -B`, every step printed, nothing run) and from what
the lock file resolves each set to; and the Procfiles' commands are ones the services accept."""

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.deploy.services import parses

ROOT = Path(__file__).resolve().parents[2]
UV = ROOT / ".tools" / "bin" / "uv"
DEV_ONLY = {"pytest", "pytest-xdist", "ruff", "mypy", "import-linter", "playwright", "statsmodels"}


def steps(target: str) -> list[str]:
    """The commands `make target` runs from scratch, joined across continuation lines."""
    printed = subprocess.run(
        ["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return printed.replace("\\\n", " ").splitlines()


def uv_calls(lines: list[str], command: str) -> list[str]:
    return [part for line in lines for part in re.findall(rf"uv {command} [^;&|]*", line)]


def test_make_run_installs_and_runs_without_the_dev_group():
    run = steps("run")
    syncs = uv_calls(run, "sync")
    assert syncs, run
    assert all("--no-dev" in sync and "--inexact" in sync for sync in syncs), syncs
    # Nothing through `uv run` (it syncs first, the dev group included unless told otherwise,
    # and stays as each process's parent): the setup and honcho start from .venv/bin.
    assert not uv_calls(run, "run"), run
    assert any(".venv/bin/python -m cxshared.batch" in line for line in run), run
    assert any("exec .venv/bin/honcho start" in line for line in run), run


@pytest.mark.parametrize("target", ["test", "pytest", "lint", "typecheck"])
def test_make_test_installs_the_dev_group(target):
    syncs = uv_calls(steps(target), "sync")
    assert syncs and not any("--no-dev" in sync for sync in syncs), syncs


def resolved(*flags: str) -> set[str]:
    exported = subprocess.run(
        [str(UV), "export", "--frozen", "--all-packages", "--no-hashes", *flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {
        re.split(r"[=<>; ]", line, maxsplit=1)[0].lower()
        for line in exported.splitlines()
        if line and not line.startswith(("#", " ", "-e", "."))
    }


@pytest.mark.skipif(not UV.exists(), reason="make install puts uv into .tools")
def test_the_runtime_set_has_what_make_run_starts_and_no_dev_tool():
    runtime, everything = resolved("--no-dev"), resolved()
    assert {"honcho", "uvicorn", "fastapi", "argon2-cffi"} <= runtime
    assert everything >= DEV_ONLY
    assert not DEV_ONLY & runtime, DEV_ONLY & runtime


@pytest.mark.parametrize("procfile", ["Procfile", "Procfile.postgres"])
def test_every_procfile_command_is_one_the_service_accepts(procfile):
    commands = {}
    for line in (ROOT / procfile).read_text().splitlines():
        if line and not line.startswith("#"):
            name, command = line.split(":", 1)
            commands[name] = shlex.split(command)
    for name, command in commands.items():
        if command[0] != "cx-demo":
            parses(command)
    welcome = commands["welcome"]
    assert welcome[:2] == ["cx-gateway", "welcome"]
    # It shows the password create-user kept, after the demo is in.
    makefile = (ROOT / "Makefile").read_text()
    assert "--sign-in-file $(SIGN_IN)" in makefile
    keys = "data/keys/postgres" if procfile.endswith("postgres") else "data/keys"
    assert welcome[welcome.index("--sign-in-file") + 1] == f"{keys}/admin-sign-in.json"
    demo_record = commands["demo"][commands["demo"].index("--if-new") + 1]
    assert welcome[welcome.index("--after") + 1] == demo_record
