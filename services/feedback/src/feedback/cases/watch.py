"""The periodic breach check each `serve` process runs. Announcing a breach sets its flag only
where it is unset, so however many processes look, each breach is announced once; the clocks
come from stored times, so a restart changes nothing."""

import threading

import structlog
from sqlalchemy import Engine

from cxshared.events.outbox import Outbox
from feedback.cases.service import sweep_breaches
from feedback.cases.sla import CasePolicy

log = structlog.get_logger("feedback.cases")


class BreachWatch:
    def __init__(
        self, *, engine: Engine, outbox: Outbox, policy: CasePolicy, seconds: float
    ) -> None:
        self.engine, self.outbox, self.policy, self.seconds = engine, outbox, policy, seconds
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="case-breaches")

    def _run(self) -> None:
        while not self.stop_event.wait(self.seconds):
            try:
                announced = sweep_breaches(self.engine, self.outbox, self.policy)
            except Exception:
                log.exception("cases.breach_check_failed")
                continue
            if announced:
                log.info("cases.breaches_announced", count=announced)

    def start(self) -> None:
        if self.seconds > 0:
            self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(timeout=10)
