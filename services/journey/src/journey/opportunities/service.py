from typing import Any

from sqlmodel import Session

from cxshared.crud import get_or_404, listed
from cxshared.pagination import PageParams
from cxshared.patch import to_patch
from cxshared.problems import field_error
from journey.common import crud
from journey.common.context import WriteContext
from journey.opportunities.models import EvidenceKind, Opportunity
from journey.opportunities.schemas import EvidenceRef, OpportunityFields, OpportunityUpdate
from journey.stages.models import Stage
from journey.touchpoints.models import Touchpoint

CLEARABLE = {
    "description": "",
    "owner_name": "",
    "owner_email": None,
    "priority_override": None,
    "priority_reason": "",
}


def _check_override(fields: dict[str, Any], current: Opportunity | None = None) -> None:
    """An overridden priority carries its reason; clearing the override clears the reason."""
    override = fields.get(
        "priority_override", current.priority_override if current is not None else None
    )
    if override is None:
        if "priority_override" in fields and current is not None:
            fields["priority_reason"] = ""
        elif (fields.get("priority_reason") or "").strip():
            raise field_error(
                "priority_reason", "a reason goes with a priority override", "no_override"
            )
        return
    reason = fields.get("priority_reason", current.priority_reason if current else "")
    if not (reason or "").strip():
        raise field_error(
            "priority_reason", "say why the priority is overridden", "reason_required"
        )
    if "priority_reason" in fields:
        fields["priority_reason"] = reason.strip()


def evidence_references(items: list[Any]) -> list[dict[str, Any]]:
    """Typed references, each once: a bare id is a survey response."""
    references: dict[tuple[str, str], dict[str, Any]] = {}
    for item in items:
        reference = (
            {"kind": EvidenceKind.RESPONSE.value, "id": item, "label": ""}
            if isinstance(item, str)
            else EvidenceRef.model_validate(item).model_dump(mode="json")
        )
        references.setdefault((reference["kind"], reference["id"]), reference)
    return list(references.values())


def opportunity_event_data(opportunity: Opportunity) -> dict[str, Any]:
    return {**opportunity.model_dump(mode="json"), "priority": opportunity.priority}


def list_opportunities(
    *, session: Session, params: PageParams, filters: dict[str, Any]
) -> tuple[list[Opportunity], str | None]:
    return listed(session, Opportunity, filters=filters, params=params)


def create_opportunity(
    *,
    ctx: WriteContext,
    body: OpportunityFields,
    stage: Stage | None = None,
    touchpoint: Touchpoint | None = None,
) -> Opportunity:
    """On a touchpoint (and so its stage) or on a stage itself."""
    anchor = touchpoint or stage
    if anchor is None:
        raise ValueError("an opportunity belongs to a stage or a touchpoint")
    fields = body.model_dump(mode="json")
    fields["evidence"] = evidence_references(fields["evidence"])
    _check_override(fields)
    opportunity = Opportunity(
        **fields,
        journey_id=anchor.journey_id,
        stage_id=touchpoint.stage_id if touchpoint else anchor.id,
        touchpoint_id=touchpoint.id if touchpoint else None,
    )
    return crud.create(ctx, opportunity, event_data=opportunity_event_data)


def update_opportunity(
    *, ctx: WriteContext, opportunity_id: str, body: OpportunityUpdate, if_match: str | None
) -> Opportunity:
    opportunity = get_or_404(ctx.session, Opportunity, opportunity_id, lock=True)
    patch = to_patch(body, clearable=CLEARABLE)
    if "evidence" in patch:
        patch["evidence"] = evidence_references(patch["evidence"])
    _check_override(patch, opportunity)
    return crud.update(
        ctx,
        opportunity,
        patch,
        if_match=if_match,
        event_data=opportunity_event_data,
    )


def delete_opportunity(*, ctx: WriteContext, opportunity_id: str, if_match: str | None) -> None:
    opportunity = get_or_404(ctx.session, Opportunity, opportunity_id, lock=True)
    crud.delete(ctx, opportunity, if_match=if_match, event_data=opportunity_event_data)
