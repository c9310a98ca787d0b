"""Typed dependencies for what the gateway keeps for its lifetime on `app.state` (main.py sets
it): its settings and its client of each backend. Handlers take these, never `app.state`."""

from typing import Annotated

from fastapi import Depends

from cxshared.deps import app_state
from gateway.clients.feedback import FeedbackClient
from gateway.clients.journey import JourneyClient
from gateway.clients.metrics import MetricsClient
from gateway.config import Settings

SettingsDep = Annotated[Settings, Depends(app_state("settings", Settings))]
JourneyDep = Annotated[JourneyClient, Depends(app_state("journey", JourneyClient))]
FeedbackDep = Annotated[FeedbackClient, Depends(app_state("feedback", FeedbackClient))]
MetricsDep = Annotated[MetricsClient, Depends(app_state("metrics", MetricsClient))]
