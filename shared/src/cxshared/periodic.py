"""A piece of work each `serve` process repeats on a timer (the cases' breach check, the
invitation sweep): a daemon thread, stopped with the app; a failed round is logged and the next
one runs as planned."""

import threading
from collections.abc import Callable

import structlog

log = structlog.get_logger("cxshared.periodic")


class Periodic:
    def __init__(self, *, name: str, seconds: float, work: Callable[[], object]) -> None:
        """`work` runs every `seconds` (0: never) until `stop`."""
        self.name, self.seconds, self.work = name, seconds, work
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name=name)

    def _run(self) -> None:
        while not self.stop_event.wait(self.seconds):
            try:
                self.work()
            except Exception:
                log.exception("periodic.failed", work=self.name)

    def start(self) -> None:
        if self.seconds > 0:
            self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(timeout=10)
