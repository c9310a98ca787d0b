from typing import Any

from fastapi import APIRouter, Response, status

from cxshared.auth import Reader
from cxshared.concurrency import IfMatch
from cxshared.crud import get_or_404
from cxshared.deps import SessionDep
from journey.common.context import WriteCtx
from journey.common.responses import saved, tagged
from journey.dependencies import PageDep
from journey.personas import service
from journey.personas.models import Persona
from journey.personas.schemas import PersonaCreate, PersonaPage, PersonaRead, PersonaUpdate

router = APIRouter(prefix="/personas", tags=["personas"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PersonaRead)
def create_persona(body: PersonaCreate, ctx: WriteCtx, response: Response) -> Any:
    persona = service.create_persona(ctx=ctx, body=body)
    return saved(ctx, response, persona)


@router.get("", response_model=PersonaPage)
def list_personas(session: SessionDep, _: Reader, params: PageDep) -> Any:
    items, cursor = service.list_personas(session=session, params=params)
    return PersonaPage(items=items, next_cursor=cursor)


@router.get("/{persona_id}", response_model=PersonaRead)
def get_persona(persona_id: str, session: SessionDep, _: Reader, response: Response) -> Any:
    return tagged(response, get_or_404(session, Persona, persona_id))


@router.patch("/{persona_id}", response_model=PersonaRead)
def update_persona(
    persona_id: str, body: PersonaUpdate, ctx: WriteCtx, if_match: IfMatch, response: Response
) -> Any:
    persona = service.update_persona(ctx=ctx, persona_id=persona_id, body=body, if_match=if_match)
    return saved(ctx, response, persona)


@router.delete("/{persona_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_persona(persona_id: str, ctx: WriteCtx, if_match: IfMatch) -> None:
    service.delete_persona(ctx=ctx, persona_id=persona_id, if_match=if_match)
    ctx.session.commit()
