from functools import partial
from typing import Any

from sqlmodel import Session, col, select

from cxshared.crud import get_or_404, listed
from cxshared.indicators import indicator_activities
from cxshared.pagination import PageParams
from cxshared.patch import to_patch
from cxshared.problems import field_error
from journey.common import crud
from journey.common.context import WriteContext
from journey.common.ordering import clamp_position, renumber
from journey.opportunities.models import Opportunity
from journey.opportunities.service import opportunity_event_data
from journey.stages.models import Stage
from journey.teams.models import Team
from journey.touchpoints.events import touchpoint_event_data
from journey.touchpoints.models import Touchpoint
from journey.touchpoints.schemas import (
    TouchpointCreate,
    TouchpointMove,
    TouchpointUpdate,
)

CLEARABLE = {
    "description": "",
    "owner_team_id": None,
    "owner_name": "",
    "owner_email": None,
    "standard": "",
    "designed_emotion": None,
    "indicator": None,
}


def in_stage(session: Session, stage_id: str) -> list[Touchpoint]:
    return list(
        session.exec(
            select(Touchpoint)
            .where(Touchpoint.stage_id == stage_id)
            .order_by(col(Touchpoint.position), col(Touchpoint.id))
        ).all()
    )


def list_touchpoints(
    *, session: Session, params: PageParams, filters: dict[str, Any]
) -> tuple[list[Touchpoint], str | None]:
    return listed(session, Touchpoint, filters=filters, params=params)


def _check_team(session: Session, team_id: str | None, field: str = "owner_team_id") -> None:
    if team_id is not None and session.get(Team, team_id) is None:
        raise field_error(field, f"no team {team_id}", "unknown_reference")


def _check_activities(
    session: Session,
    journey_id: str,
    activities: list[str] | None,
    *,
    touchpoint_id: str | None = None,
    field: str = "activities",
) -> None:
    """One activity name (or prefix) means one touchpoint of a journey: the mapping must say
    where a customer was without a tie (docs/observed.md)."""
    if not activities:
        return
    wanted = set(activities)
    for other in session.exec(select(Touchpoint).where(Touchpoint.journey_id == journey_id)).all():
        taken = wanted.intersection(other.activities) if other.id != touchpoint_id else set()
        if taken:
            raise field_error(
                field,
                f"{sorted(taken)[0]} already maps to the touchpoint '{other.name}' of this journey",
                "duplicate",
            )


def _check_indicator(
    session: Session,
    journey_id: str,
    indicator: dict[str, Any] | None,
    activities: list[str],
    *,
    touchpoint_id: str | None = None,
    field: str = "indicator",
) -> None:
    """Each activity the indicator uses matches the journey's mapping (this touchpoint's
    `activities` as saved now, the others' as they are), or is declared."""
    if not indicator:
        return
    mapped = list(activities)
    for other in session.exec(select(Touchpoint).where(Touchpoint.journey_id == journey_id)).all():
        if other.id != touchpoint_id:
            mapped += other.activities
    declared = set(indicator.get("declared_activities", []))
    for name in indicator_activities(indicator):
        if name in declared or any(
            name == m or (m.endswith("*") and name.startswith(m[:-1])) for m in mapped
        ):
            continue
        raise field_error(
            field,
            f"{name} matches no activity of this journey's touchpoints: map it to a touchpoint "
            "or list it in declared_activities",
            "unknown_reference",
        )


def event_data(session: Session) -> crud.EventData:
    return partial(touchpoint_event_data, session)


def create_touchpoint(
    *, ctx: WriteContext, stage: Stage, body: TouchpointCreate, field_prefix: str = ""
) -> Touchpoint:
    _check_team(ctx.session, body.owner_team_id, f"{field_prefix}owner_team_id")
    _check_activities(
        ctx.session, stage.journey_id, body.activities, field=f"{field_prefix}activities"
    )
    _check_indicator(
        ctx.session,
        stage.journey_id,
        body.indicator.model_dump(mode="json") if body.indicator else None,
        body.activities,
        field=f"{field_prefix}indicator",
    )
    siblings = in_stage(ctx.session, stage.id)
    fields = body.model_dump(mode="json", exclude={"position"})
    touchpoint = Touchpoint(
        **fields,
        journey_id=stage.journey_id,
        stage_id=stage.id,
    )
    siblings.insert(clamp_position(body.position, len(siblings)), touchpoint)
    renumber(siblings)
    return crud.create(ctx, touchpoint, event_data=event_data(ctx.session))


def update_touchpoint(
    *, ctx: WriteContext, touchpoint_id: str, body: TouchpointUpdate, if_match: str | None
) -> Touchpoint:
    touchpoint = get_or_404(ctx.session, Touchpoint, touchpoint_id, lock=True)
    patch = to_patch(body, clearable=CLEARABLE)
    _check_team(ctx.session, patch.get("owner_team_id"))
    _check_activities(
        ctx.session, touchpoint.journey_id, patch.get("activities"), touchpoint_id=touchpoint.id
    )
    if "indicator" in patch or "activities" in patch:
        _check_indicator(
            ctx.session,
            touchpoint.journey_id,
            patch.get("indicator", touchpoint.indicator),
            patch.get("activities", touchpoint.activities),
            touchpoint_id=touchpoint.id,
            field="indicator" if "indicator" in patch else "activities",
        )
    return crud.update(
        ctx, touchpoint, patch, if_match=if_match, event_data=event_data(ctx.session)
    )


def move_touchpoint(
    *, ctx: WriteContext, touchpoint_id: str, body: TouchpointMove, if_match: str | None
) -> Touchpoint:
    """Moves within its stage or to another stage of the same journey; positions stay dense."""
    touchpoint = get_or_404(ctx.session, Touchpoint, touchpoint_id, lock=True)
    target_stage_id = body.stage_id or touchpoint.stage_id
    target = ctx.session.get(Stage, target_stage_id)
    if target is None or target.journey_id != touchpoint.journey_id:
        raise field_error("stage_id", "no stage of this journey has that id", "unknown_reference")
    for stage_id in sorted({touchpoint.stage_id, target_stage_id}):  # one lock order: no deadlock
        get_or_404(ctx.session, Stage, stage_id, lock=True)
    source = [t for t in in_stage(ctx.session, touchpoint.stage_id) if t.id != touchpoint.id]
    destination = (
        source if target_stage_id == touchpoint.stage_id else in_stage(ctx.session, target_stage_id)
    )
    old_position = touchpoint.position
    destination.insert(clamp_position(body.position, len(destination)), touchpoint)
    renumber(source)
    renumber(destination)
    new_position = touchpoint.position
    touchpoint.position = old_position  # so that crud.update records the move as a change
    for opportunity in ctx.session.exec(
        select(Opportunity).where(Opportunity.touchpoint_id == touchpoint.id)
    ).all():
        opportunity.stage_id = target_stage_id
    return crud.update(
        ctx,
        touchpoint,
        {"stage_id": target_stage_id, "position": new_position},
        if_match=if_match,
        action="reorder",
        event_data=event_data(ctx.session),
    )


def delete_touchpoint(
    *,
    ctx: WriteContext,
    touchpoint: Touchpoint,
    if_match: str | None,
    renumber_siblings: bool = True,
) -> None:
    for opportunity in ctx.session.exec(
        select(Opportunity).where(Opportunity.touchpoint_id == touchpoint.id)
    ).all():
        crud.delete(ctx, opportunity, if_match=None, event_data=opportunity_event_data)
    stage_id = touchpoint.stage_id
    crud.delete(ctx, touchpoint, if_match=if_match, event_data=event_data(ctx.session))
    if renumber_siblings:
        renumber(in_stage(ctx.session, stage_id))
