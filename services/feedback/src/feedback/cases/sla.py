"""SLA clocks, computed from a case's stored times, so they are right after a restart and the
same in every worker. Both clocks stand still while the case waits on the customer (and once
it is resolved or closed); a reopened case's clocks go on from where they stood."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cxshared.timeutil import as_utc, utcnow
from feedback.cases.models import Case, CaseState, Priority

AT_RISK = 0.8
STANDING = {CaseState.WAITING_ON_CUSTOMER, CaseState.RESOLVED, CaseState.CLOSED}
FIRST_CONTACT, RESOLUTION = "first_contact", "resolution"

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Targets:
    first_contact: timedelta
    resolution: timedelta


@dataclass
class CasePolicy:
    """SLA targets per priority, and the clock every case computation reads (tests set it)."""

    targets: dict[str, Targets]
    clock: Clock = field(default=utcnow)
    followup_days: float = 14.0

    def now(self) -> datetime:
        return self.clock()


@dataclass(frozen=True)
class ClockView:
    target_seconds: float
    used_seconds: float
    due_at: datetime | None
    running: bool
    stopped: bool
    at_risk: bool
    breached: bool


def targets_for(policy: CasePolicy, priority: str) -> Targets:
    return policy.targets.get(priority) or policy.targets[Priority.NORMAL]


def set_targets(case: Case, policy: CasePolicy) -> None:
    targets = targets_for(policy, case.priority)
    case.first_contact_target_seconds = targets.first_contact.total_seconds()
    case.resolution_target_seconds = targets.resolution.total_seconds()
    refresh_due(case)


def active_seconds(case: Case, now: datetime) -> float:
    """Seconds the clocks have run: since opening, less every pause."""
    until = as_utc(case.paused_since) if case.paused_since else now
    return (until - as_utc(case.opened_at)).total_seconds() - case.paused_seconds


def _due(case: Case, target: float) -> datetime:
    return as_utc(case.opened_at) + timedelta(seconds=case.paused_seconds + target)


def refresh_due(case: Case) -> None:
    """The due and at-risk times of the running clocks, stored so that lists filter on them."""
    running = case.paused_since is None
    first = running and case.first_contact_at is None
    target = case.first_contact_target_seconds
    case.first_contact_due_at = _due(case, target) if first else None
    case.first_contact_risk_at = _due(case, AT_RISK * target) if first else None
    target = case.resolution_target_seconds
    case.resolution_due_at = _due(case, target) if running else None
    case.resolution_risk_at = _due(case, AT_RISK * target) if running else None


def pause(case: Case, now: datetime) -> None:
    if case.paused_since is None:
        case.paused_since = now
    refresh_due(case)


def resume(case: Case, now: datetime) -> None:
    if case.paused_since is not None:
        case.paused_seconds += (now - as_utc(case.paused_since)).total_seconds()
        case.paused_since = None
    refresh_due(case)


def view(case: Case, clock: str, now: datetime) -> ClockView:
    if clock == FIRST_CONTACT:
        target = case.first_contact_target_seconds
        stopped = case.first_contact_seconds is not None
        used = case.first_contact_seconds if stopped else active_seconds(case, now)
        announced = case.first_contact_breached_at is not None
    else:
        target = case.resolution_target_seconds
        stopped = case.state in (CaseState.RESOLVED, CaseState.CLOSED)
        used = active_seconds(case, now)
        announced = case.resolution_breached_at is not None
    assert used is not None
    running = not stopped and case.paused_since is None
    breached = announced or used > target
    return ClockView(
        target_seconds=target,
        used_seconds=max(0.0, used),
        due_at=_due(case, target) if running else None,
        running=running,
        stopped=stopped,
        at_risk=not breached and not stopped and used >= AT_RISK * target,
        breached=breached,
    )


def unannounced_breaches(case: Case, now: datetime) -> list[str]:
    """The clocks past their target whose breach has not been announced yet."""
    found = []
    if case.first_contact_breached_at is None and view(case, FIRST_CONTACT, now).breached:
        found.append(FIRST_CONTACT)
    if case.resolution_breached_at is None and view(case, RESOLUTION, now).breached:
        found.append(RESOLUTION)
    return found
