from fastapi import APIRouter

from cxshared.auth import Writer
from cxshared.deps import SessionDep
from cxshared.timeutil import utcnow
from metrics.dependencies import SettingsDep
from metrics.priorities import service
from metrics.priorities.schemas import PrioritiesRead, PriorityQuery

router = APIRouter(tags=["priorities"])


@router.post(
    "/priorities",
    response_model=PrioritiesRead,
    summary="Priority from data for pieces of work at touchpoints",
    description="For each item (an opportunity, by the touchpoints it is at and its effort): "
    "customer value = the share of NPS answers there given by detractors; business value = "
    "its share of the journey's revenue at risk from detractors; priority = their mean / "
    "(1 + effort), 0-100, with the parts in words (`explanation`) and the comment themes that "
    "cost the most NPS there. It stores nothing, but as a POST it takes a key that may write, "
    "as the standards preview does. Definitions: "
    'docs/improvement.md, "Priority from data".',
)
def post_priorities(
    body: PriorityQuery, session: SessionDep, _: Writer, settings: SettingsDep
) -> PrioritiesRead:
    return service.priorities(
        session,
        settings,
        journey_id=body.journey_id,
        items=body.items,
        days=body.days,
        today=utcnow().date(),
    )
