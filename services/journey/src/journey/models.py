"""Every table of the journey service, for Alembic. Importing this registers them all."""

from cxshared.auth import ApiKey
from cxshared.events.models import OutboxDelivery, OutboxEvent, WebhookSubscription
from cxshared.idempotency import IdempotencyRecord
from journey.actions.models import Action
from journey.history.models import Change
from journey.journeys.models import Journey
from journey.opportunities.models import Opportunity
from journey.personas.models import Persona
from journey.reviews.models import JourneyReview
from journey.stages.models import Stage
from journey.teams.models import Team
from journey.touchpoints.models import Touchpoint
from journey.versions.models import JourneyVersion

__all__ = [
    "Action",
    "ApiKey",
    "Change",
    "IdempotencyRecord",
    "Journey",
    "JourneyReview",
    "JourneyVersion",
    "Opportunity",
    "OutboxDelivery",
    "OutboxEvent",
    "Persona",
    "Stage",
    "Team",
    "Touchpoint",
    "WebhookSubscription",
]
