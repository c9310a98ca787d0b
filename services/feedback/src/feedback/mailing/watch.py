"""The periodic invitation sweep each `serve` process runs (as the cases' BreachWatch): mail
outcomes copied to invitations, then the reminders that are due. Every step says what it
expects to find and each reminder has a unique key, so any number of processes may sweep."""

from collections.abc import Callable
from datetime import datetime

import structlog
from sqlalchemy import Engine

from cxshared.mail.outbox import Mailer
from cxshared.periodic import Periodic
from cxshared.timeutil import utcnow
from feedback.config import Settings
from feedback.mailing.service import sweep

log = structlog.get_logger("feedback.mailing")


class InvitationWatch(Periodic):
    def __init__(
        self,
        *,
        engine: Engine,
        mailer: Mailer | None,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine, self.mailer, self.settings, self.clock = engine, mailer, settings, clock
        super().__init__(
            name="invitation-mail", seconds=settings.invitation_sweep_seconds, work=self.run_once
        )

    def run_once(self) -> tuple[int, int]:
        """One sweep at the clock's time: (outcomes recorded, reminders queued)."""
        outcomes, reminders = sweep(self.engine, self.mailer, self.settings, now=self.clock())
        if outcomes or reminders:
            log.info("invitations.swept", outcomes=outcomes, reminders=reminders)
        return outcomes, reminders
