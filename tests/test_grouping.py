"""`make pytest` relies on `--dist loadgroup` keeping an xdist group on one worker: the modules
that start their own servers build them once, there. A pytest or pytest-xdist release can break
that silently (tests still pass, each worker just builds every world again), so check it."""

import re
import subprocess
import sys
from pathlib import Path

GROUPED = """
import pytest

pytestmark = pytest.mark.xdist_group("one-world")


@pytest.mark.parametrize("i", range(6))
def test_grouped(i):
    pass
"""

FREE = """
import time

import pytest


@pytest.mark.parametrize("i", range(6))
def test_free(i):
    time.sleep(0.05)
"""


def test_a_group_runs_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    (tmp_path / "test_free.py").write_text(FREE)
    ran = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "-v",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    workers = set(re.findall(r"\[(gw\d+)\].*PASSED test_grouped\.py", ran.stdout))
    assert len(re.findall(r"PASSED test_grouped\.py", ran.stdout)) == 6, ran.stdout
    assert len(workers) == 1, f"the group was split over {sorted(workers)}:\n{ran.stdout}"
