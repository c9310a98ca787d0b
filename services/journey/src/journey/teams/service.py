from sqlmodel import Session, col, func, select

from cxshared.crud import get_or_404
from cxshared.pagination import PageParams, paginate
from cxshared.patch import to_patch
from cxshared.problems import field_error
from journey.actions.models import Action
from journey.common import crud
from journey.common.context import WriteContext
from journey.common.errors import in_use
from journey.teams.models import Team
from journey.teams.schemas import TeamCreate, TeamUpdate
from journey.touchpoints.models import Touchpoint


def list_teams(*, session: Session, params: PageParams) -> tuple[list[Team], str | None]:
    return paginate(session, select(Team), order_by=[col(Team.id)], params=params)


def _ensure_unique_name(session: Session, name: str, *, except_id: str | None = None) -> None:
    # lower() on both sides: the database's own case folding, whatever it covers.
    query = select(Team.id).where(func.lower(Team.name) == func.lower(name))
    if except_id:
        query = query.where(Team.id != except_id)
    if session.exec(query).first():
        raise field_error("name", f"a team named {name!r} exists already", "duplicate")


def create_team(*, ctx: WriteContext, body: TeamCreate) -> Team:
    _ensure_unique_name(ctx.session, body.name)
    return crud.create(ctx, Team(**body.model_dump()))


def update_team(*, ctx: WriteContext, team_id: str, body: TeamUpdate, if_match: str | None) -> Team:
    team = get_or_404(ctx.session, Team, team_id, lock=True)
    patch = to_patch(body, clearable={"lead_name": "", "lead_email": None})
    if "name" in patch:
        _ensure_unique_name(ctx.session, patch["name"], except_id=team_id)
    return crud.update(ctx, team, patch, if_match=if_match)


def delete_team(*, ctx: WriteContext, team_id: str, if_match: str | None) -> None:
    team = get_or_404(ctx.session, Team, team_id, lock=True)
    owned = ctx.session.exec(
        select(func.count()).select_from(Touchpoint).where(Touchpoint.owner_team_id == team_id)
    ).one()
    if owned:
        raise in_use("team", f"{owned} touchpoint(s) it owns; give them another owner first")
    delivering = ctx.session.exec(
        select(func.count()).select_from(Action).where(Action.team_id == team_id)
    ).one()
    if delivering:
        raise in_use("team", f"{delivering} action(s) it delivers; give them another team first")
    crud.delete(ctx, team, if_match=if_match)
