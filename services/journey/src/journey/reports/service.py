"""Where the CX model breaks: ownership gaps and handoffs, overdue reviews, missing standards."""

import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from journey.journeys.models import Journey, JourneyStatus
from journey.reports.schemas import (
    Handoff,
    OverdueReview,
    OwnerLoad,
    OwnershipGap,
    OwnershipReport,
    ReviewsReport,
    StandardGap,
    StandardsReport,
    TouchpointRef,
)
from journey.stages.models import Stage
from journey.teams.models import Team
from journey.touchpoints.models import Touchpoint


@dataclass(frozen=True)
class _Row:
    touchpoint: Touchpoint
    stage: Stage
    journey: Journey

    def ref(self) -> TouchpointRef:
        return TouchpointRef(
            touchpoint_id=self.touchpoint.id,
            touchpoint_name=self.touchpoint.name,
            journey_id=self.journey.id,
            journey_name=self.journey.name,
            stage_id=self.stage.id,
            stage_name=self.stage.name,
        )


def _rows(session: Session, journey_id: str | None, include_archived: bool) -> list[_Row]:
    """Touchpoints in journey order: journey, stage position, touchpoint position."""
    query = (
        select(Touchpoint, Stage, Journey)
        .join(Stage, col(Stage.id) == col(Touchpoint.stage_id))
        .join(Journey, col(Journey.id) == col(Touchpoint.journey_id))
        .order_by(col(Journey.id), col(Stage.position), col(Touchpoint.position))
    )
    if journey_id is not None:
        query = query.where(Journey.id == journey_id)
    if not include_archived:
        query = query.where(Journey.status != JourneyStatus.ARCHIVED)
    return [_Row(t, s, j) for t, s, j in session.exec(query).all()]


def ownership(
    *, session: Session, journey_id: str | None, include_archived: bool
) -> OwnershipReport:
    rows = _rows(session, journey_id, include_archived)
    teams = {t.id: t.name for t in session.exec(select(Team)).all()}
    gaps = []
    for row in rows:
        missing = []
        if not row.touchpoint.owner_team_id:
            missing.append("owner_team")
        if not row.touchpoint.owner_name:
            missing.append("named_owner")
        if missing:
            gaps.append(OwnershipGap(**row.ref().model_dump(), missing=missing))
    handoffs = []
    for before, after in itertools.pairwise(rows):
        a, b = before.touchpoint.owner_team_id, after.touchpoint.owner_team_id
        if before.journey.id == after.journey.id and a and b and a != b:
            handoffs.append(
                Handoff(
                    journey_id=before.journey.id,
                    journey_name=before.journey.name,
                    from_touchpoint=before.ref(),
                    to_touchpoint=after.ref(),
                    from_team_id=a,
                    from_team_name=teams.get(a, ""),
                    to_team_id=b,
                    to_team_name=teams.get(b, ""),
                )
            )
    load: Counter[tuple[str | None, str]] = Counter()
    moments: Counter[tuple[str | None, str]] = Counter()
    for row in rows:
        key = (row.touchpoint.owner_team_id, row.touchpoint.owner_name)
        load[key] += 1
        moments[key] += int(row.touchpoint.moment_of_truth)
    per_owner = [
        OwnerLoad(
            owner_team_id=team_id,
            owner_team_name=teams.get(team_id) if team_id else None,
            owner_name=name,
            touchpoints=count,
            moments_of_truth=moments[(team_id, name)],
        )
        for (team_id, name), count in sorted(load.items(), key=lambda kv: (-kv[1], str(kv[0])))
    ]
    return OwnershipReport(gaps=gaps, handoffs=handoffs, per_owner=per_owner)


def reviews(*, session: Session, as_of: date) -> ReviewsReport:
    """A journey is due `review_cadence_days` after its last review (or its creation)."""
    overdue = []
    journeys = session.exec(
        select(Journey).where(Journey.status != JourneyStatus.ARCHIVED).order_by(col(Journey.id))
    ).all()
    for journey in journeys:
        reviewed = journey.last_reviewed_date or journey.created_at.date()
        due = reviewed + timedelta(days=journey.review_cadence_days)
        if due < as_of:
            overdue.append(
                OverdueReview(
                    journey_id=journey.id,
                    journey_name=journey.name,
                    owner_name=journey.owner_name,
                    owner_email=journey.owner_email,
                    last_reviewed_date=journey.last_reviewed_date,
                    due_date=due,
                    days_overdue=(as_of - due).days,
                )
            )
    overdue.sort(key=lambda r: -r.days_overdue)
    return ReviewsReport(as_of=as_of, overdue=overdue)


def standards(
    *, session: Session, journey_id: str | None, include_archived: bool
) -> StandardsReport:
    gaps = []
    for row in _rows(session, journey_id, include_archived):
        missing = []
        if not row.touchpoint.standard.strip():
            missing.append("standard")
        if not row.touchpoint.targets:
            missing.append("target")
        if missing:
            gaps.append(StandardGap(**row.ref().model_dump(), missing=missing))
    return StandardsReport(gaps=gaps)
