"""Real service processes on loopback, for end-to-end and fault tests."""

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import httpx

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_LISTENING = re.compile(rb"Uvicorn running on (http://127\.0\.0\.1:\d+)")


class ServiceProcess:
    """Starts `command` with `env`, and (for servers) waits for /readyz.

    A server started on port 0 takes whatever port the kernel gives it, and its address is read
    from its own log: no other process can take the port between choosing and binding it, as
    it can with a port chosen first (a server that then fails to bind would leave /readyz
    answered by whoever holds the port)."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        env: Mapping[str, str],
        log_path: Path,
        base_url: str | None = None,
        discover_port: bool = False,
    ) -> None:
        self.command = list(command)
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.base_url = base_url
        self.discover_port = discover_port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> "ServiceProcess":
        log = self.log_path.open("ab")
        offset = self.log_path.stat().st_size
        self.process = subprocess.Popen(
            self.command, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        if self.discover_port:
            self.base_url = self._listening_address(offset, deadline)
        if self.base_url:
            self._wait_ready(deadline)
        return self

    def _alive(self) -> None:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.command} exited early:\n{self.log_path.read_text()}")

    def _listening_address(self, offset: int, deadline: float) -> str:
        while time.monotonic() < deadline:
            self._alive()
            found = _LISTENING.search(self.log_path.read_bytes()[offset:])
            if found:
                return found.group(1).decode()
            time.sleep(0.05)
        raise RuntimeError(f"{self.command} did not listen:\n{self.log_path.read_text()}")

    def _wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            self._alive()
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=1).status_code == 200:
                    self._alive()  # and still ours: not another server on a reused port
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.command} not ready in time:\n{self.log_path.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no cleanup, as when a machine dies."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def console_script(name: str) -> str:
    """The path of a console script installed beside this interpreter."""
    return str(Path(sys.executable).parent / name)


def run_command(
    service: str, database_url: str, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`cx-<service> args…` on that database, as an operator runs it; output captured."""
    return subprocess.run(
        [console_script(f"cx-{service}"), *args],
        env={**os.environ, f"{service.upper()}_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
    )


class LiveServices:
    """Real `cx-<service>` processes for one test, all stopped at its end. Servers listen on a
    free loopback port, or on `port` to come back where their clients expect them."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[ServiceProcess] = []

    def start(
        self,
        service: str,
        *args: str,
        env: Mapping[str, str] | None = None,
        port: int | None = None,
        timeout: float = 60.0,
    ) -> ServiceProcess:
        """`args` default to `serve`; a server is returned once /readyz answers, at
        `process.base_url` (on `port`, or on one the kernel picks)."""
        args = args or ("serve",)
        command = [console_script(f"cx-{service}"), *args]
        base_url = None
        if args[0] == "serve":
            command += ["--port", str(port or 0)]
            base_url = f"http://127.0.0.1:{port}" if port else None
        process = ServiceProcess(
            command,
            env={"LOG_FORMAT": "json", **(env or {})},
            log_path=self.log_dir / f"{service}-{args[0]}-{len(self.started)}.log",
            base_url=base_url,
            discover_port=args[0] == "serve" and not port,
        )
        self.started.append(process.start(timeout))
        return process

    def stop_all(self) -> None:
        for process in reversed(self.started):
            process.stop()


def eventually(condition: Callable[[], T], timeout: float, what: str = "condition") -> T:
    """The first truthy value `condition` gives, polled every 0.1 s; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not after {timeout} s")
