from typing import Any

from sqlmodel import Session, col, select

from cxshared.crud import get_or_404, listed
from cxshared.pagination import PageParams
from cxshared.patch import to_patch
from cxshared.problems import field_error
from journey.actions import service as actions
from journey.common import crud
from journey.common.context import WriteContext
from journey.common.errors import has_children
from journey.common.maps import stages_and_touchpoints
from journey.journeys.models import Journey, JourneyState, JourneyStatus
from journey.journeys.schemas import JourneyCopy, JourneyCreate, JourneyUpdate
from journey.journeys.schemas_document import (
    JourneyDocument,
    JourneyDocumentCreate,
    StageDocument,
    TouchpointDocument,
)
from journey.opportunities import service as opportunities
from journey.opportunities.models import Opportunity
from journey.opportunities.schemas import OpportunityFields, OpportunityRead
from journey.personas.models import Persona
from journey.stages import service as stages
from journey.stages.schemas import StageCreate
from journey.touchpoints import service as touchpoints
from journey.touchpoints.schemas import TouchpointCreate

CLEARABLE = {
    "description": "",
    "persona_id": None,
    "owner_name": "",
    "owner_email": None,
    "last_reviewed_date": None,
}


def list_journeys(
    *, session: Session, params: PageParams, filters: dict[str, Any]
) -> tuple[list[Journey], str | None]:
    return listed(session, Journey, filters=filters, params=params)


def _check_persona(session: Session, persona_id: str | None) -> None:
    if persona_id is not None and session.get(Persona, persona_id) is None:
        raise field_error("persona_id", f"no persona {persona_id}", "unknown_reference")


def create_journey(*, ctx: WriteContext, body: JourneyCreate) -> Journey:
    _check_persona(ctx.session, body.persona_id)
    fields = body.model_dump(include=set(JourneyCreate.model_fields))
    return crud.create(ctx, Journey(**fields))


def update_journey(
    *, ctx: WriteContext, journey_id: str, body: JourneyUpdate, if_match: str | None
) -> Journey:
    journey = get_or_404(ctx.session, Journey, journey_id, lock=True)
    patch = to_patch(body, clearable=CLEARABLE)
    _check_persona(ctx.session, patch.get("persona_id"))
    return crud.update(ctx, journey, patch, if_match=if_match)


def delete_journey(
    *, ctx: WriteContext, journey_id: str, if_match: str | None, cascade: bool
) -> None:
    journey = get_or_404(ctx.session, Journey, journey_id, lock=True)
    children = stages.in_journey(ctx.session, journey.id)
    planned = actions.in_journey(ctx.session, journey.id)
    if (children or planned) and not cascade:
        counts = {"stage(s)": len(children), "action(s)": len(planned)}
        raise has_children("journey", " and ".join(f"{n} {w}" for w, n in counts.items() if n))
    for action in planned:
        actions.delete(ctx, action, if_match=None)
    for stage in children:
        stages.delete_stage(
            ctx=ctx, stage=stage, if_match=None, cascade=True, renumber_siblings=False
        )
    crud.delete(ctx, journey, if_match=if_match)


def create_from_document(*, ctx: WriteContext, document: JourneyDocumentCreate) -> Journey:
    """Creates the journey and everything in it, or nothing: errors name the field inside."""
    journey = create_journey(ctx=ctx, body=document)
    for s_index, stage_doc in enumerate(document.stages):
        stage = stages.create_stage(
            ctx=ctx,
            journey=journey,
            body=StageCreate(**stage_doc.model_dump(include=set(StageCreate.model_fields))),
        )
        for opportunity_doc in stage_doc.opportunities:
            opportunities.create_opportunity(ctx=ctx, body=opportunity_doc, stage=stage)
        for t_index, touchpoint_doc in enumerate(stage_doc.touchpoints):
            touchpoint = touchpoints.create_touchpoint(
                ctx=ctx,
                stage=stage,
                body=TouchpointCreate.model_validate(
                    touchpoint_doc.model_dump(include=set(TouchpointCreate.model_fields))
                ),
                field_prefix=f"stages[{s_index}].touchpoints[{t_index}].",
            )
            for opportunity_doc in touchpoint_doc.opportunities:
                opportunities.create_opportunity(
                    ctx=ctx, body=opportunity_doc, touchpoint=touchpoint
                )
    return journey


def copy_journey(*, ctx: WriteContext, journey_id: str, body: JourneyCopy) -> Journey:
    """Copies everything (stages, touchpoints with owners and targets, opportunities)."""
    origin = get_or_404(ctx.session, Journey, journey_id)
    document = build_document(ctx.session, origin)
    suffix = " (future state)" if body.state == JourneyState.FUTURE else " (copy)"
    create = JourneyDocumentCreate.model_validate(
        {
            **document.model_dump(include=set(JourneyCreate.model_fields)),
            "name": body.name or (origin.name + suffix)[:200],
            "state": body.state,
            "status": JourneyStatus.DRAFT,
            "stages": [
                {
                    **stage.model_dump(include=set(StageCreate.model_fields) - {"position"}),
                    "opportunities": [_opportunity_fields(o) for o in stage.opportunities],
                    "touchpoints": [
                        {
                            **tp.model_dump(
                                include=set(TouchpointCreate.model_fields) - {"position"}
                            ),
                            "opportunities": [_opportunity_fields(o) for o in tp.opportunities],
                        }
                        for tp in stage.touchpoints
                    ],
                }
                for stage in document.stages
            ],
        }
    )
    copy = create_from_document(ctx=ctx, document=create)
    crud.update(ctx, copy, {"origin_journey_id": origin.id}, if_match=None)
    return copy


def _opportunity_fields(opportunity: OpportunityRead) -> dict[str, Any]:
    return opportunity.model_dump(include=set(OpportunityFields.model_fields))


def build_document(session: Session, journey: Journey) -> JourneyDocument:
    stage_rows, touchpoint_rows = stages_and_touchpoints(session, journey.id)
    opportunity_rows = session.exec(
        select(Opportunity)
        .where(Opportunity.journey_id == journey.id)
        .order_by(col(Opportunity.id))
    ).all()
    by_touchpoint: dict[str, list[OpportunityRead]] = {}
    by_stage: dict[str, list[OpportunityRead]] = {}
    for o in opportunity_rows:
        read = OpportunityRead.model_validate(o, from_attributes=True)
        if o.touchpoint_id:
            by_touchpoint.setdefault(o.touchpoint_id, []).append(read)
        elif o.stage_id:
            by_stage.setdefault(o.stage_id, []).append(read)
    touchpoints_by_stage: dict[str, list[TouchpointDocument]] = {}
    for t in touchpoint_rows:
        touchpoints_by_stage.setdefault(t.stage_id, []).append(
            TouchpointDocument.model_validate(
                {**t.model_dump(), "opportunities": by_touchpoint.get(t.id, [])}
            )
        )
    return JourneyDocument.model_validate(
        {
            **journey.model_dump(),
            "stages": [
                StageDocument.model_validate(
                    {
                        **s.model_dump(),
                        "touchpoints": touchpoints_by_stage.get(s.id, []),
                        "opportunities": by_stage.get(s.id, []),
                    }
                )
                for s in stage_rows
            ],
        }
    )
