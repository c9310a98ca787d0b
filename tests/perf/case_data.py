"""A feedback database with a case inbox at scale, written in bulk (Core inserts of plain values,
not an HTTP call or an ORM object per row), for the inbox and timeline benchmarks.

The spread is a business two years into using cases: 8 journeys of 10 touchpoints, 12 teams,
40 staff; most cases are recent (ages drawn from an exponential with a mean of 120 days); the
ones older than two weeks are mostly resolved or closed; the SLA columns are what the service
would have stored (`feedback.cases.sla.refresh_due` on each row), breaches announced as the
sweeper would. One respondent, `TIMELINE_RESPONDENT`, has 200 events among everyone else's.
"""

import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Engine, insert

from cxshared.db import new_row, write_session
from cxshared.timeutil import utcnow
from feedback.cases import sla
from feedback.cases.models import Case, CaseContact, CaseNote, CaseState, Priority
from feedback.cases.sla import CasePolicy
from feedback.invitations.models import Invitation
from feedback.ownership.models import OwnerTeam, TouchpointOwner
from feedback.responses.models import Response

JOURNEYS, TOUCHPOINTS, TEAMS, STAFF = 8, 10, 12, 40
RESPONDENTS = 30_000
TIMELINE_RESPONDENT = "customer-timeline"
# The timeline respondent's 200 events.
TIMELINE_RESPONSES, TIMELINE_INVITATIONS, TIMELINE_CASES = 60, 40, 25
TIMELINE_NOTES_PER_CASE, TIMELINE_CONTACTS_PER_CASE = 2, 1
BATCH = 5_000
ACTIVE = (CaseState.OPEN, CaseState.IN_PROGRESS, CaseState.WAITING_ON_CUSTOMER)
COMMENTS = [
    "Arrived a day late and the box was damaged.",
    "Nobody called back after I was promised a call.",
    "The courier left it in the rain.",
    "Charged twice and the refund took three weeks.",
    "Tracking never updated.",
]


@dataclass
class Seeded:
    """What the benchmark asks about: the busiest people and a journey, and the counts."""

    cases: int = 0
    busiest: str = ""  # the assignee with the most active cases
    busiest_lead: str = ""  # the team lead whose teams have the most active cases
    journey_id: str = "journey-0"
    states: Counter[str] = field(default_factory=Counter)
    active_by_assignee: Counter[str] = field(default_factory=Counter)
    rows: dict[str, int] = field(default_factory=dict)


def staff(n: int) -> str:
    return f"staff{n:02d}@example.com"


def uuid7_at(at: datetime, rng: random.Random) -> str:
    """A UUIDv7 for a past time, so that ids (the list's order) follow the opening times."""
    ms = int(at.timestamp() * 1000)
    rand = rng.getrandbits(74)
    value = (ms << 80) | (0x7 << 76) | ((rand >> 62) << 64) | (0b10 << 62) | (rand & (2**62 - 1))
    return str(uuid.UUID(int=value))


def _ownership() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    teams = [
        {
            "id": f"team-{t}",
            "version": 1,
            "name": f"Team {t}",
            "lead_name": f"Lead {t}",
            "lead_email": staff(t),
            "deleted": False,
        }
        for t in range(TEAMS)
    ]
    touchpoints = []
    for j in range(JOURNEYS):
        for t in range(TOUCHPOINTS):
            n = j * TOUCHPOINTS + t
            owned = n % 10 != 9  # one in ten has no named owner: its team's lead gets it
            touchpoints.append(
                {
                    "id": f"tp-{j}-{t}",
                    "version": 1,
                    "name": f"Touchpoint {j}.{t}",
                    "journey_id": f"journey-{j}",
                    "journey_name": f"Journey {j}",
                    "owner_name": f"Staff {TEAMS + n % (STAFF - TEAMS)}" if owned else "",
                    "owner_email": staff(TEAMS + n % (STAFF - TEAMS)) if owned else None,
                    "owner_team_id": f"team-{n % TEAMS}",
                    "deleted": False,
                }
            )
    return teams, touchpoints


def _state(age_days: float, rng: random.Random) -> str:
    # open, in progress, waiting, resolved, closed
    weights = (40, 30, 15, 10, 5) if age_days < 14 else (3, 1, 1, 15, 80)
    return rng.choices(list(CaseState), weights)[0]


def _case_row(
    rng: random.Random,
    policy: CasePolicy,
    now: datetime,
    touchpoints: list[dict[str, Any]],
    teams: dict[str, dict[str, Any]],
    respondent: str,
) -> dict[str, Any]:
    if respondent == TIMELINE_RESPONDENT:
        age = rng.uniform(0, 365)  # a year of history, spread
    else:
        age = min(rng.expovariate(1 / 120), 730)
    opened = now - timedelta(days=age)
    state = _state(age, rng)
    priority = Priority.HIGH if rng.random() < 0.35 else Priority.NORMAL
    touchpoint = rng.choice(touchpoints) if rng.random() > 0.08 else None
    if touchpoint is None:
        email, name, team = None, "", None
    elif touchpoint["owner_email"]:
        email, name = touchpoint["owner_email"], touchpoint["owner_name"]
        team = touchpoint["owner_team_id"]
    else:
        lead = teams[touchpoint["owner_team_id"]]
        email, name, team = lead["lead_email"], lead["lead_name"], lead["id"]
    routed = True
    if email and rng.random() < 0.05:
        email, name = None, ""  # a lead left: the unassigned queue
    elif rng.random() < 0.10:
        pick = rng.randrange(STAFF)
        email, name, routed = staff(pick), f"Staff {pick}", False  # moved by hand
    case = SimpleNamespace(
        opened_at=opened,
        paused_seconds=0.0,
        paused_since=None,
        first_contact_at=None,
        first_contact_seconds=None,
        state=state,
        priority=priority,
        resolved_at=None,
        closed_at=None,
        first_contact_target_seconds=0.0,
        resolution_target_seconds=0.0,
        first_contact_breached_at=None,
        resolution_breached_at=None,
    )
    sla.set_targets(case, policy)  # type: ignore[arg-type]
    elapsed = (now - opened).total_seconds()
    contacted = state != CaseState.OPEN and (
        state != CaseState.WAITING_ON_CUSTOMER or rng.random() < 0.5
    )
    if contacted:
        seconds = min(elapsed, rng.uniform(0.1, 1.3) * case.first_contact_target_seconds)
        case.first_contact_seconds = seconds
        case.first_contact_at = opened + timedelta(seconds=seconds)
    if state in (CaseState.RESOLVED, CaseState.CLOSED):
        lasted = min(elapsed, rng.uniform(0.2, 1.2) * case.resolution_target_seconds)
        case.resolved_at = opened + timedelta(seconds=lasted)
        case.paused_since = case.resolved_at
        if state == CaseState.CLOSED:
            case.closed_at = case.resolved_at + timedelta(seconds=(elapsed - lasted) / 2)
    elif state == CaseState.WAITING_ON_CUSTOMER:
        case.paused_since = now - timedelta(seconds=rng.uniform(0, min(elapsed, 3 * 86400)))
    sla.refresh_due(case)  # type: ignore[arg-type]
    for clock in (sla.FIRST_CONTACT, sla.RESOLUTION):  # announced, as the sweeper would have
        view = sla.view(case, clock, now)  # type: ignore[arg-type]
        due = opened + timedelta(seconds=case.paused_seconds + view.target_seconds)
        setattr(case, f"{clock}_breached_at", due if view.breached else None)
    values = dict(vars(case))
    return new_row(
        Case,
        id=uuid7_at(opened, rng),
        created_at=opened,
        updated_at=opened,
        updated_by="seed",
        source="rule",
        touchpoint_id=touchpoint["id"] if touchpoint else None,
        journey_id=touchpoint["journey_id"] if touchpoint else None,
        respondent_external_id=respondent,
        title=f"Detractor: NPS {rng.randrange(7)}",
        description=rng.choice(COMMENTS),
        reason="NPS ≤ 6",
        assignee_email=email,
        assignee_name=name,
        assignee_team_id=team,
        routed=routed,
        resolution="Refunded and apologised." if state in ("resolved", "closed") else "",
        **values,
    )


def _response_row(
    rng: random.Random, survey_id: str, respondent: str, at: datetime
) -> dict[str, Any]:
    nps, comment = rng.randrange(11), rng.choice(COMMENTS)
    key = uuid.UUID(int=rng.getrandbits(128)).hex
    return new_row(
        Response,
        id=uuid7_at(at, rng),
        survey_id=survey_id,
        version=1,
        submission_id=key,
        response_key=f"{survey_id}:{key}",
        resume_token=key,
        status="complete",
        answers={"nps": nps, "comment": comment},
        respondent_external_id=respondent,
        channel=rng.choice(["web", "email", "sms"]),
        nps_score=nps,
        comment=comment,
        started_at=at,
        submitted_at=at,
        completed_at=at,
    )


def _invitation_row(
    rng: random.Random, survey_id: str, respondent: str, at: datetime
) -> dict[str, Any]:
    return new_row(
        Invitation,
        id=uuid7_at(at, rng),
        survey_id=survey_id,
        token=uuid.UUID(int=rng.getrandbits(128)).hex,
        external_id=respondent,
        email=f"{respondent}@example.net",
        channel=rng.choice(["email", "sms"]),
        status=rng.choice(["created", "opened", "completed"]),
        created_at=at,
    )


def _children(
    rng: random.Random, case: dict[str, Any], notes: int, contacts: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    start: datetime = case["opened_at"]
    end: datetime = case["closed_at"] or case["resolved_at"] or start + timedelta(days=2)
    span = max((end - start).total_seconds(), 60.0)
    note_rows = [
        new_row(
            CaseNote,
            id=uuid7_at(start, rng),
            case_id=case["id"],
            body="Called the depot; they are sending a replacement.",
            author=case["assignee_email"] or "admin@example.com",
            created_at=start + timedelta(seconds=rng.uniform(0, span)),
        )
        for _ in range(notes)
    ]
    contact_rows = [
        new_row(
            CaseContact,
            id=uuid7_at(start, rng),
            case_id=case["id"],
            channel=rng.choice(["phone", "email", "sms"]),
            outcome=rng.choice(["reached", "no_answer", "left_message"]),
            contacted_at=case["first_contact_at"] or start + timedelta(seconds=span / 2),
            note="Apologised; replacement on its way.",
            author=case["assignee_email"] or "admin@example.com",
            created_at=start,
        )
        for _ in range(contacts)
    ]
    return note_rows, contact_rows


class _Writer:
    """Rows go out in batches of up to `BATCH` per table, each one executemany; every table's
    pending rows go together, in the order the tables came, so cases precede their notes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pending: dict[Any, list[dict[str, Any]]] = {}
        self.written: Counter[str] = Counter()

    def add(self, table: Any, rows: list[dict[str, Any]]) -> None:
        self.pending.setdefault(table, []).extend(rows)
        if len(self.pending[table]) >= BATCH:
            self.flush()

    def flush(self) -> None:
        for table, rows in self.pending.items():
            if rows:
                with write_session(self.engine) as session:
                    session.execute(insert(table), rows)
                self.written[table.name] += len(rows)
                rows.clear()


def seed(
    engine: Engine, policy: CasePolicy, *, survey_id: str, cases: int, seed: int = 16
) -> Seeded:
    """Writes the ownership read model, `cases` cases with notes and contacts, other
    respondents' answers and invitations, and the timeline respondent's 200 events."""
    rng = random.Random(seed)
    now = utcnow()
    teams, touchpoints = _ownership()
    writer = _Writer(engine)
    writer.add(OwnerTeam.__table__, teams)  # type: ignore[attr-defined]
    writer.add(TouchpointOwner.__table__, touchpoints)  # type: ignore[attr-defined]
    by_team = {t["id"]: t for t in teams}
    seeded = Seeded()
    case_table = Case.__table__  # type: ignore[attr-defined]
    team_active: Counter[str] = Counter()
    for i in range(cases):
        respondent = f"customer-{rng.randrange(RESPONDENTS):05d}"
        if i < TIMELINE_CASES:
            respondent = TIMELINE_RESPONDENT
        row = _case_row(rng, policy, now, touchpoints, by_team, respondent)
        writer.add(case_table, [row])
        seeded.states[row["state"]] += 1
        if row["state"] in ACTIVE:
            if row["assignee_email"]:
                seeded.active_by_assignee[row["assignee_email"]] += 1
            if row["assignee_team_id"]:
                team_active[row["assignee_team_id"]] += 1
        if respondent == TIMELINE_RESPONDENT:
            notes, contacts = _children(
                rng, row, TIMELINE_NOTES_PER_CASE, TIMELINE_CONTACTS_PER_CASE
            )
        else:
            notes, contacts = _children(
                rng, row, int(rng.random() < 0.2), int(row["first_contact_at"] is not None)
            )
        writer.add(CaseNote.__table__, notes)  # type: ignore[attr-defined]
        writer.add(CaseContact.__table__, contacts)  # type: ignore[attr-defined]
    # Answers and invitations: the timeline respondent's among everyone else's.
    response_table, invitation_table = Response.__table__, Invitation.__table__  # type: ignore[attr-defined]
    for i in range(cases // 2):
        at = now - timedelta(days=rng.uniform(0, 730))
        respondent = f"customer-{rng.randrange(RESPONDENTS):05d}"
        writer.add(response_table, [_response_row(rng, survey_id, respondent, at)])
        if i % 2 == 0:
            writer.add(invitation_table, [_invitation_row(rng, survey_id, respondent, at)])
    for _ in range(TIMELINE_RESPONSES):
        at = now - timedelta(days=rng.uniform(0, 365))
        writer.add(response_table, [_response_row(rng, survey_id, TIMELINE_RESPONDENT, at)])
    for _ in range(TIMELINE_INVITATIONS):
        at = now - timedelta(days=rng.uniform(0, 365))
        writer.add(invitation_table, [_invitation_row(rng, survey_id, TIMELINE_RESPONDENT, at)])
    writer.flush()
    seeded.cases = cases
    seeded.rows = dict(writer.written)
    seeded.busiest = seeded.active_by_assignee.most_common(1)[0][0]
    busiest_team = team_active.most_common(1)[0][0]
    seeded.busiest_lead = by_team[busiest_team]["lead_email"]
    return seeded
