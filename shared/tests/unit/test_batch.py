"""`python -m cxshared.batch`: several console commands in one process, stopping at a failure."""

import subprocess
import sys


def batch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cxshared.batch", *args], capture_output=True, text=True, timeout=120
    )


def test_commands_run_in_order_and_quiet_drops_their_output() -> None:
    done = batch("--quiet", "cx-journey --help", "--loud", "cx-feedback --help")
    assert done.returncode == 0, done.stderr
    assert "cx-journey" not in done.stdout
    assert done.stdout.startswith("usage: cx-feedback")


def test_the_first_failure_stops_the_batch_with_its_code() -> None:
    done = batch("cx-journey no-such-command", "cx-feedback --help")
    assert done.returncode == 2  # argparse's
    assert "cx-feedback" not in done.stdout
    assert "`cx-journey no-such-command` failed (2)" in done.stderr
    assert batch("cx-nothing").returncode == 2
