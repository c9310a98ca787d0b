"""Actions: planned changes to the experience, their state, and what they link to."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, literal
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Session, SQLModel, col, select

from cxshared.crud import get_or_404
from cxshared.pagination import PageParams, paginate
from cxshared.patch import to_patch
from cxshared.problems import Problem, field_error
from cxshared.timeutil import utcnow
from journey.actions.models import TRANSITIONS, Action, ActionState
from journey.actions.schemas import ActionCreate, ActionUpdate
from journey.common import crud
from journey.common.context import WriteContext
from journey.journeys.models import Journey
from journey.opportunities.models import Opportunity
from journey.stages.models import Stage
from journey.teams.models import Team
from journey.touchpoints.models import Touchpoint

CLEARABLE = {
    "description": "",
    "owner_name": "",
    "owner_email": None,
    "team_id": None,
    "due_date": None,
}
LINKS: dict[str, tuple[type[SQLModel], str]] = {
    "opportunity_ids": (Opportunity, "opportunity"),
    "touchpoint_ids": (Touchpoint, "touchpoint"),
    "stage_ids": (Stage, "stage"),
}
VERBS = {ActionState.SHIPPED: "shipped", ActionState.ABANDONED: "abandoned"}


def action_event_data(session: Session, action: Action) -> dict[str, Any]:
    """The whole action, its journey, and every touchpoint it changes (named, or in a stage it
    names): what metrics needs to measure the effect once it ships."""
    journey = session.get(Journey, action.journey_id)
    in_stages = session.exec(
        select(Touchpoint.id)
        .where(col(Touchpoint.stage_id).in_(action.stage_ids))
        .order_by(col(Touchpoint.stage_id), col(Touchpoint.position))
    ).all()
    return {
        **action.model_dump(mode="json"),
        "journey": {"id": journey.id, "name": journey.name, "status": journey.status}
        if journey
        else None,
        "affected_touchpoint_ids": list(dict.fromkeys([*action.touchpoint_ids, *in_stages])),
    }


def _json_list_has(session: Session, column: Any, value: str) -> ColumnElement[bool]:
    """`value` is one of the strings in the JSON list `column`, on either database."""
    if session.get_bind().dialect.name == "postgresql":
        return column.op("@>")(literal([value], JSONB))  # type: ignore[no-any-return]
    each = func.json_each(column).table_valued("value")
    return exists(sa_select(literal(1)).select_from(each).where(each.c.value == value))


def list_actions(
    *,
    session: Session,
    params: PageParams,
    filters: dict[str, Any],
    touchpoint_id: str | None = None,
    opportunity_id: str | None = None,
) -> tuple[list[Action], str | None]:
    query = select(Action)
    for name, value in filters.items():
        if value is not None:
            query = query.where(getattr(Action, name) == value)
    for column, value in (
        (Action.touchpoint_ids, touchpoint_id),
        (Action.opportunity_ids, opportunity_id),
    ):
        if value is not None:
            query = query.where(_json_list_has(session, column, value))
    return paginate(session, query, order_by=[col(Action.id)], params=params)


def _check_links(session: Session, journey_id: str, fields: dict[str, Any]) -> None:
    """Every linked id names a row of that kind in the action's own journey."""
    for field, (model, label) in LINKS.items():
        ids = fields.get(field)
        if not ids:
            continue
        fields[field] = ids = list(dict.fromkeys(ids))
        rows = session.exec(
            select(model.id, model.journey_id).where(col(model.id).in_(ids))  # type: ignore[attr-defined]
        ).all()
        journeys = dict(rows)
        for index, linked in enumerate(ids):
            if journeys.get(linked) != journey_id:
                raise field_error(
                    f"{field}[{index}]", f"no {label} {linked} in this journey", "unknown_reference"
                )


def _check_team(session: Session, team_id: str | None) -> None:
    if team_id is not None and session.get(Team, team_id) is None:
        raise field_error("team_id", f"no team {team_id}", "unknown_reference")


def _ship_time(given: datetime | None) -> datetime:
    now = utcnow()
    if given is None:
        return now
    if given.tzinfo is None:
        given = given.replace(tzinfo=UTC)  # a time without a zone is UTC, as every stored time
    if given > now:
        raise field_error("shipped_at", "cannot be in the future", "in_future")
    try:
        return given.astimezone(UTC)
    except OverflowError:  # year 1 at +14:00 is before the first moment UTC can name
        raise field_error("shipped_at", "out of range", "out_of_range") from None


def _apply_state(current: str | None, fields: dict[str, Any]) -> None:
    """Checks the move to `fields['state']` (from `current`; None on create) and sets
    `shipped_at` to match it."""
    state = fields.get("state", current)
    if current is not None and state != current and state not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none"
        raise Problem(
            409,
            "invalid-transition",
            "Conflict",
            f"A {current} action cannot become {state}; it may become: {allowed}.",
        )
    if state != ActionState.SHIPPED:
        if fields.get("shipped_at") is not None:
            raise field_error("shipped_at", "only a shipped action has a ship time", "not_shipped")
        fields.pop("shipped_at", None)
    elif "shipped_at" in fields or current != ActionState.SHIPPED:
        fields["shipped_at"] = _ship_time(fields.get("shipped_at"))


def create_action(*, ctx: WriteContext, journey: Journey, body: ActionCreate) -> Action:
    fields = body.model_dump(mode="python")
    _check_links(ctx.session, journey.id, fields)
    _check_team(ctx.session, body.team_id)
    _apply_state(None, fields)
    action = Action(**fields, journey_id=journey.id)
    return crud.create(ctx, action, event_data=lambda a: action_event_data(ctx.session, a))


def update_action(
    *, ctx: WriteContext, action_id: str, body: ActionUpdate, if_match: str | None
) -> Action:
    action = get_or_404(ctx.session, Action, action_id, lock=True)
    patch = to_patch(body, clearable=CLEARABLE)
    _check_links(ctx.session, action.journey_id, patch)
    _check_team(ctx.session, patch.get("team_id"))
    before = action.state
    _apply_state(before, patch)
    state = patch.get("state", before)
    verb = VERBS.get(state, "updated") if state != before else "updated"
    return crud.update(
        ctx,
        action,
        patch,
        if_match=if_match,
        verb=verb,
        event_data=lambda a: action_event_data(ctx.session, a),
    )


def delete_action(*, ctx: WriteContext, action_id: str, if_match: str | None) -> None:
    action = get_or_404(ctx.session, Action, action_id, lock=True)
    delete(ctx, action, if_match=if_match)


def delete(ctx: WriteContext, action: Action, *, if_match: str | None) -> None:
    crud.delete(
        ctx, action, if_match=if_match, event_data=lambda a: action_event_data(ctx.session, a)
    )


def in_journey(session: Session, journey_id: str) -> list[Action]:
    return list(session.exec(select(Action).where(Action.journey_id == journey_id)).all())
