"""The periodic breach check each `serve` process runs. Announcing a breach sets its flag only
where it is unset, so however many processes look, each breach is announced once; the clocks
come from stored times, so a restart changes nothing."""

import structlog
from sqlalchemy import Engine

from cxshared.events.outbox import Outbox
from cxshared.periodic import Periodic
from feedback.cases.service import sweep_breaches
from feedback.cases.sla import CasePolicy

log = structlog.get_logger("feedback.cases")


class BreachWatch(Periodic):
    def __init__(
        self, *, engine: Engine, outbox: Outbox, policy: CasePolicy, seconds: float
    ) -> None:
        self.engine, self.outbox, self.policy = engine, outbox, policy
        super().__init__(name="case-breaches", seconds=seconds, work=self.run_once)

    def run_once(self) -> int:
        announced = sweep_breaches(self.engine, self.outbox, self.policy)
        if announced:
            log.info("cases.breaches_announced", count=announced)
        return announced
