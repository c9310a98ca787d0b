"""Every domain router, under /v1."""

from fastapi import APIRouter

from journey.actions.router import router as actions
from journey.history.router import router as history
from journey.journeys.router import router as journeys
from journey.opportunities.router import router as opportunities
from journey.personas.router import router as personas
from journey.reports.router import router as reports
from journey.reviews.router import router as reviews
from journey.stages.router import router as stages
from journey.teams.router import router as teams
from journey.touchpoints.router import router as touchpoints
from journey.versions.router import router as versions

api_router = APIRouter(prefix="/v1")
for router in (
    personas,
    teams,
    journeys,
    stages,
    touchpoints,
    opportunities,
    actions,
    versions,
    history,
    reports,
    reviews,
):
    api_router.include_router(router)

EVENT_TYPES = [
    f"{entity}.{verb}"
    for entity in ("persona", "team", "journey", "stage", "touchpoint", "opportunity")
    for verb in ("created", "updated", "deleted")
] + [
    *(f"action.{verb}" for verb in ("created", "updated", "shipped", "abandoned", "deleted")),
    "journey.version.created",
    "journey.version.updated",
    "journey_review.created",
]
