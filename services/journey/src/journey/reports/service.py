"""Where the CX model breaks: ownership gaps and handoffs, overdue reviews, missing standards.

These are operational reports: they cover the journeys customers live now (current state,
not a draft) unless asked to include drafts and future states, or asked about one journey.
A handoff is two consecutive touchpoints of a journey (in stage order, then card order)
owned by different teams (docs/journey.md, "Ownership and handoffs")."""

import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from journey.journeys.models import Journey, JourneyState, JourneyStatus
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
from journey.reviews.service import latest as latest_reviews
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


@dataclass(frozen=True)
class Scope:
    """Which journeys a report covers: one (whatever its state), or every operational one,
    with drafts and future states and archived ones only when asked for."""

    journey_id: str | None = None
    include_archived: bool = False
    include_drafts: bool = False

    def where(self, query: Any) -> Any:
        if self.journey_id is not None:
            return query.where(Journey.id == self.journey_id)
        if not self.include_archived:
            query = query.where(Journey.status != JourneyStatus.ARCHIVED)
        if not self.include_drafts:
            query = query.where(
                Journey.status != JourneyStatus.DRAFT, Journey.state == JourneyState.CURRENT
            )
        return query


def left_out(session: Session, scope: Scope) -> list[str]:
    """The names of the draft and future-state journeys a report left out."""
    if scope.journey_id is not None or scope.include_drafts:
        return []
    query = select(Journey.name).where(
        Journey.status != JourneyStatus.ARCHIVED,
        or_(col(Journey.status) == JourneyStatus.DRAFT, col(Journey.state) == JourneyState.FUTURE),
    )
    return list(session.exec(query.order_by(col(Journey.name))).all())


def _rows(session: Session, scope: Scope) -> list[_Row]:
    """Touchpoints in journey order: journey, stage position, touchpoint position."""
    query = (
        select(Touchpoint, Stage, Journey)
        .join(Stage, col(Stage.id) == col(Touchpoint.stage_id))
        .join(Journey, col(Journey.id) == col(Touchpoint.journey_id))
        .order_by(col(Journey.id), col(Stage.position), col(Touchpoint.position))
    )
    return [_Row(t, s, j) for t, s, j in session.exec(scope.where(query)).all()]


def ownership(*, session: Session, scope: Scope) -> OwnershipReport:
    rows = _rows(session, scope)
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
    return OwnershipReport(
        gaps=gaps, handoffs=handoffs, per_owner=per_owner, left_out=left_out(session, scope)
    )


def reviews(*, session: Session, as_of: date, scope: Scope) -> ReviewsReport:
    """A journey is due `review_cadence_days` after its last review (its `last_reviewed_date`
    or its latest recorded review, whichever is later; its creation when neither)."""
    overdue = []
    journeys = session.exec(scope.where(select(Journey)).order_by(col(Journey.id))).all()
    recorded = latest_reviews(session)
    for journey in journeys:
        dates = [journey.last_reviewed_date, getattr(recorded.get(journey.id), "reviewed_on", None)]
        last = max((d for d in dates if d is not None), default=None)
        reviewed = last or journey.created_at.date()
        due = reviewed + timedelta(days=journey.review_cadence_days)
        if due < as_of:
            overdue.append(
                OverdueReview(
                    journey_id=journey.id,
                    journey_name=journey.name,
                    owner_name=journey.owner_name,
                    owner_email=journey.owner_email,
                    last_reviewed_date=last,
                    due_date=due,
                    days_overdue=(as_of - due).days,
                )
            )
    overdue.sort(key=lambda r: -r.days_overdue)
    return ReviewsReport(as_of=as_of, overdue=overdue, left_out=left_out(session, scope))


def standards(*, session: Session, scope: Scope) -> StandardsReport:
    gaps = []
    for row in _rows(session, scope):
        missing = []
        if not row.touchpoint.standard.strip():
            missing.append("standard")
        if not row.touchpoint.targets:
            missing.append("target")
        if missing:
            gaps.append(StandardGap(**row.ref().model_dump(), missing=missing))
    return StandardsReport(gaps=gaps, left_out=left_out(session, scope))
