"""What a touchpoint event carries: everything metrics' touchpoint dimension needs."""

from typing import Any

from sqlmodel import Session

from journey.journeys.models import Journey
from journey.stages.models import Stage
from journey.teams.models import Team
from journey.touchpoints.models import Touchpoint


def touchpoint_event_data(session: Session, touchpoint: Touchpoint) -> dict[str, Any]:
    journey = session.get(Journey, touchpoint.journey_id)
    stage = session.get(Stage, touchpoint.stage_id)
    team = session.get(Team, touchpoint.owner_team_id) if touchpoint.owner_team_id else None
    return {
        **touchpoint.model_dump(mode="json"),
        "journey": {
            "id": journey.id,
            "name": journey.name,
            "state": journey.state,
            "status": journey.status,
        }
        if journey
        else None,
        "stage": {
            "id": stage.id,
            "name": stage.name,
            "position": stage.position,
            "designed_emotion": stage.designed_emotion,
        }
        if stage
        else None,
        "owner_team": {"id": team.id, "name": team.name} if team else None,
    }
