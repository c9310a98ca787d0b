"""Every domain router, under /v1."""

from fastapi import APIRouter

from metrics.alerts.router import alerts_router as alerts
from metrics.alerts.router import router as incidents
from metrics.answers.router import router as answers
from metrics.cases.router import router as cases
from metrics.comments.router import router as comments
from metrics.customers.router import router as customers
from metrics.drivers.router import router as drivers
from metrics.effects.router import router as effects
from metrics.ingest.router import router as ingest
from metrics.observed.router import router as observed
from metrics.priorities.router import router as priorities
from metrics.reviews.router import router as reviews
from metrics.scores.router import router as scores
from metrics.themes.router import router as themes

api_router = APIRouter(prefix="/v1")
for router in (
    ingest,
    scores,
    answers,
    comments,
    themes,
    customers,
    drivers,
    incidents,
    alerts,
    cases,
    effects,
    observed,
    priorities,
    reviews,
):
    api_router.include_router(router)

EVENT_TYPES = [
    "incident.opened",
    "incident.escalated",
    "incident.reopened",
    "incident.resolved",
]
