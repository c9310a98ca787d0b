"""Restoring a map version as a new draft journey."""

from typing import Any

from sqlmodel import Session, col, select

from cxshared.crud import get_or_404
from journey.common import crud
from journey.common.context import WriteContext
from journey.journeys import service as journeys
from journey.journeys.models import Journey, JourneyStatus
from journey.journeys.schemas_document import JourneyDocumentCreate
from journey.personas.models import Persona
from journey.stages.schemas import StageCreate
from journey.teams.models import Team
from journey.touchpoints.schemas import TouchpointCreate
from journey.versions.schemas import VersionRestore
from journey.versions.service import get_version


def restore_version(
    *, ctx: WriteContext, journey_id: str, number: int, body: VersionRestore
) -> Journey:
    """A draft copy of the map that version `number` kept, linked to the journey by
    `origin_journey_id`. A team or persona deleted since is left empty (the named owner stays)."""
    journey = get_or_404(ctx.session, Journey, journey_id)
    snapshot = get_version(ctx.session, journey_id, number).snapshot
    teams = _existing(ctx.session, Team, _team_ids(snapshot))
    persona_id = snapshot["journey"]["persona_id"]
    document = JourneyDocumentCreate.model_validate(
        {
            **snapshot["journey"],
            "name": body.name or f"{journey.name} (version {number})"[:200],
            "status": JourneyStatus.DRAFT,
            "persona_id": persona_id if _existing(ctx.session, Persona, {persona_id}) else None,
            "stages": [
                {
                    **{k: stage[k] for k in StageCreate.model_fields if _kept(k, stage)},
                    "touchpoints": [
                        {
                            **{k: tp[k] for k in TouchpointCreate.model_fields if _kept(k, tp)},
                            "owner_team_id": tp["owner_team_id"]
                            if tp["owner_team_id"] in teams
                            else None,
                        }
                        for tp in stage["touchpoints"]
                    ],
                }
                for stage in snapshot["stages"]
            ],
        }
    )
    copy = journeys.create_from_document(ctx=ctx, document=document)
    crud.update(ctx, copy, {"origin_journey_id": journey.id}, if_match=None)
    return copy


def _kept(field: str, kept: dict[str, Any]) -> bool:
    """Whether to restore `field` from a version's row: not the position (the order restores
    it), nor a field the version was kept without (one added since takes its default)."""
    return field != "position" and field in kept


def _team_ids(snapshot: dict[str, Any]) -> set[str]:
    return {
        tp["owner_team_id"]
        for stage in snapshot["stages"]
        for tp in stage["touchpoints"]
        if tp["owner_team_id"]
    }


def _existing(session: Session, model: type[Team] | type[Persona], ids: set[Any]) -> set[str]:
    ids.discard(None)
    if not ids:
        return set()
    return set(session.exec(select(model.id).where(col(model.id).in_(ids))).all())
