from sqlmodel import Session, col, func, select

from cxshared.crud import get_or_404
from cxshared.pagination import PageParams, paginate
from cxshared.patch import to_patch
from journey.common import crud
from journey.common.context import WriteContext
from journey.common.errors import in_use
from journey.journeys.models import Journey
from journey.personas.models import Persona
from journey.personas.schemas import PersonaCreate, PersonaUpdate


def list_personas(*, session: Session, params: PageParams) -> tuple[list[Persona], str | None]:
    return paginate(session, select(Persona), order_by=[col(Persona.id)], params=params)


def create_persona(*, ctx: WriteContext, body: PersonaCreate) -> Persona:
    return crud.create(ctx, Persona(**body.model_dump()))


def update_persona(
    *, ctx: WriteContext, persona_id: str, body: PersonaUpdate, if_match: str | None
) -> Persona:
    persona = get_or_404(ctx.session, Persona, persona_id, lock=True)
    return crud.update(
        ctx, persona, to_patch(body, clearable={"description": ""}), if_match=if_match
    )


def delete_persona(*, ctx: WriteContext, persona_id: str, if_match: str | None) -> None:
    persona = get_or_404(ctx.session, Persona, persona_id, lock=True)
    used = ctx.session.exec(
        select(func.count()).select_from(Journey).where(Journey.persona_id == persona_id)
    ).one()
    if used:
        raise in_use("persona", f"{used} journey(s)")
    crud.delete(ctx, persona, if_match=if_match)
