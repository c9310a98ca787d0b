"""Reading a journey's map in its order: stages by position, touchpoints by position."""

from collections.abc import Sequence

from sqlmodel import Session, col, select

from journey.stages.models import Stage
from journey.touchpoints.models import Touchpoint


def stages_and_touchpoints(
    session: Session, journey_id: str
) -> tuple[Sequence[Stage], Sequence[Touchpoint]]:
    stages = session.exec(
        select(Stage)
        .where(Stage.journey_id == journey_id)
        .order_by(col(Stage.position), col(Stage.id))
    ).all()
    touchpoints = session.exec(
        select(Touchpoint)
        .where(Touchpoint.journey_id == journey_id)
        .order_by(col(Touchpoint.position), col(Touchpoint.id))
    ).all()
    return stages, touchpoints
