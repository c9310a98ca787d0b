"""Map versions: kept as the journey is published or changed live; read, compared, restored.

Every write records the journey it touched (journey.common.crud); just before that transaction
commits, each touched journey that is live gets its version: a new one when it was published in
the transaction, else the day's `changed` version, made or brought up to date, and
`journey.version.created` or `.updated` is published. The journey's row is locked first, so two
writers never take the same number and the map read is the committed one.
"""

from typing import Any

from sqlalchemy import event
from sqlmodel import Session, col, select

from cxshared.crud import get_or_404
from cxshared.events.outbox import Outbox
from cxshared.pagination import PageParams, paginate
from cxshared.problems import Problem
from cxshared.timeutil import utcnow
from journey.common.maps import stages_and_touchpoints
from journey.journeys.models import Journey, JourneyStatus
from journey.teams.models import Team
from journey.versions.models import JourneyVersion, VersionReason
from journey.versions.schemas import VersionSummary

_TOUCHED = "journey.versions.touched"
_WRITER = "journey.versions.writer"
JOURNEY_FIELDS = (
    "name",
    "description",
    "persona_id",
    "state",
    "status",
    "owner_name",
    "owner_email",
    "review_cadence_days",
)
STAGE_FIELDS = ("id", "name", "position", "description", "experience", "designed_emotion")
TOUCHPOINT_FIELDS = (
    "id",
    "name",
    "position",
    "description",
    "channel",
    "interaction",
    "owner_team_id",
    "owner_name",
    "owner_email",
    "standard",
    "moment_of_truth",
    "designed_emotion",
    "targets",
    "activities",
    "indicator",
)


def note_change(
    session: Session, journey_id: str, *, published: bool, actor: str, outbox: Outbox
) -> None:
    """Called for every recorded write to a journey, stage or touchpoint: the journey gets its
    version when the write commits."""
    touched: dict[str, bool] = session.info.setdefault(_TOUCHED, {})
    if not touched:
        event.listen(session, "before_commit", _keep_versions, once=True)
    touched[journey_id] = touched.get(journey_id, False) or published
    session.info[_WRITER] = (actor, outbox)


def _keep_versions(session: Session) -> None:
    touched: dict[str, bool] = session.info.pop(_TOUCHED, {})
    actor, outbox = session.info.pop(_WRITER)
    for journey_id, published in sorted(touched.items()):
        journey = session.exec(
            select(Journey).where(Journey.id == journey_id).with_for_update()
        ).first()
        if journey is None or journey.status != JourneyStatus.LIVE:
            continue  # deleted, or design work (a draft) that is not the lived journey
        version, verb = keep(session, journey, published=published, actor=actor)
        if verb:
            session.flush()
            outbox.publish(
                session,
                type=f"journey.version.{verb}",
                subject=version.id,
                data=VersionSummary.model_validate(version).model_dump(mode="json"),
            )


def keep(
    session: Session, journey: Journey, *, published: bool, actor: str
) -> tuple[JourneyVersion, str | None]:
    """The version this write leaves, and whether it was `created`, `updated` or neither."""
    now = utcnow()
    latest = session.exec(
        select(JourneyVersion)
        .where(JourneyVersion.journey_id == journey.id)
        .order_by(col(JourneyVersion.number).desc())
        .limit(1)
    ).first()
    snapshot = take_snapshot(session, journey)
    if not published and latest is not None and latest.snapshot == snapshot:
        return latest, None  # e.g. a review noted: the map itself is as it was
    if (
        not published
        and latest is not None
        and latest.reason == VersionReason.CHANGED
        and latest.day == now.date()
    ):
        latest.snapshot = snapshot
        latest.updated_at = now
        latest.updated_by = actor
        session.add(latest)
        return latest, "updated"
    version = JourneyVersion(
        journey_id=journey.id,
        number=(latest.number if latest else 0) + 1,
        reason=VersionReason.PUBLISHED if published else VersionReason.CHANGED,
        day=now.date(),
        taken_at=now,
        updated_at=now,
        updated_by=actor,
        snapshot=snapshot,
    )
    session.add(version)
    return version, "created"


def take_snapshot(session: Session, journey: Journey) -> dict[str, Any]:
    """The map as it stands in this transaction, in the journey's order."""
    stages, touchpoints = stages_and_touchpoints(session, journey.id)
    team_ids = {t.owner_team_id for t in touchpoints if t.owner_team_id}
    teams = dict(session.exec(select(Team.id, Team.name).where(col(Team.id).in_(team_ids))).all())
    by_stage: dict[str, list[dict[str, Any]]] = {}
    for t in touchpoints:
        row = t.model_dump(mode="json", include=set(TOUCHPOINT_FIELDS))
        row["owner_team_name"] = teams.get(t.owner_team_id) if t.owner_team_id else None
        by_stage.setdefault(t.stage_id, []).append(row)
    return {
        "journey": journey.model_dump(mode="json", include=set(JOURNEY_FIELDS)),
        "stages": [
            {
                **s.model_dump(mode="json", include=set(STAGE_FIELDS)),
                "touchpoints": by_stage.get(s.id, []),
            }
            for s in stages
        ],
    }


def list_versions(
    *, session: Session, journey_id: str, params: PageParams
) -> tuple[list[JourneyVersion], str | None]:
    """Newest first."""
    get_or_404(session, Journey, journey_id)
    query = select(JourneyVersion).where(JourneyVersion.journey_id == journey_id)
    return paginate(
        session, query, order_by=[col(JourneyVersion.number)], params=params, descending=True
    )


def get_version(session: Session, journey_id: str, number: int) -> JourneyVersion:
    get_or_404(session, Journey, journey_id)
    version = session.exec(
        select(JourneyVersion).where(
            JourneyVersion.journey_id == journey_id, JourneyVersion.number == number
        )
    ).first()
    if version is None:
        raise Problem(
            404, "not-found", "Not found", f"Journey {journey_id} has no version {number}."
        )
    return version
