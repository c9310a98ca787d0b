from typing import Any

from fastapi import APIRouter, Response, status

from cxshared.auth import Reader
from cxshared.concurrency import IfMatch
from cxshared.crud import get_or_404
from cxshared.deps import SessionDep
from journey.common.context import WriteCtx
from journey.common.responses import saved, tagged
from journey.dependencies import PageDep
from journey.teams import service
from journey.teams.models import Team
from journey.teams.schemas import TeamCreate, TeamPage, TeamRead, TeamUpdate

router = APIRouter(prefix="/teams", tags=["teams"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TeamRead)
def create_team(body: TeamCreate, ctx: WriteCtx, response: Response) -> Any:
    team = service.create_team(ctx=ctx, body=body)
    return saved(ctx, response, team)


@router.get("", response_model=TeamPage)
def list_teams(session: SessionDep, _: Reader, params: PageDep) -> Any:
    items, cursor = service.list_teams(session=session, params=params)
    return TeamPage(items=items, next_cursor=cursor)


@router.get("/{team_id}", response_model=TeamRead)
def get_team(team_id: str, session: SessionDep, _: Reader, response: Response) -> Any:
    return tagged(response, get_or_404(session, Team, team_id))


@router.patch("/{team_id}", response_model=TeamRead)
def update_team(
    team_id: str, body: TeamUpdate, ctx: WriteCtx, if_match: IfMatch, response: Response
) -> Any:
    team = service.update_team(ctx=ctx, team_id=team_id, body=body, if_match=if_match)
    return saved(ctx, response, team)


@router.delete("/{team_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_team(team_id: str, ctx: WriteCtx, if_match: IfMatch) -> None:
    service.delete_team(ctx=ctx, team_id=team_id, if_match=if_match)
    ctx.session.commit()
