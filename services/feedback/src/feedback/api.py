"""Every domain router, under /v1."""

from fastapi import APIRouter

from feedback.cases.events import EVENT_TYPES as CASE_EVENT_TYPES
from feedback.cases.router import causes_router as root_causes
from feedback.cases.router import public_router as public_follow_ups
from feedback.cases.router import router as cases
from feedback.cases.router import rules_router as case_rules
from feedback.fatigue.router import public_router as public_fatigue
from feedback.fatigue.router import router as fatigue
from feedback.invitations.router import public_router as public_invitations
from feedback.invitations.router import router as invitations
from feedback.mailing.router import public_router as public_mailing
from feedback.mailing.router import router as mailing
from feedback.ownership.router import router as ownership
from feedback.respondents.router import router as respondents
from feedback.responses.public import router as public_responses
from feedback.responses.router import router as responses
from feedback.surveys.router import router as surveys

api_router = APIRouter(prefix="/v1")
# The public routes first: a request is matched against the routes in order, at a cost for
# each, and respondents' answers are the busiest path (no path is shared between the groups).
for router in (
    public_responses,
    public_invitations,
    public_fatigue,
    public_follow_ups,
    public_mailing,
    surveys,
    invitations,
    mailing,
    responses,
    respondents,
    fatigue,
    ownership,
    cases,
    case_rules,
    root_causes,
):
    api_router.include_router(router)

EVENT_TYPES = [
    "response.completed",
    "response.updated",
    "respondent.erased",
    *CASE_EVENT_TYPES,
]
