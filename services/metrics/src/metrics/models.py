"""Every table of the metrics service, for Alembic. Importing this registers them all."""

from cxshared.auth import ApiKey
from cxshared.events.models import OutboxDelivery, OutboxEvent, WebhookSubscription
from cxshared.idempotency import IdempotencyRecord
from cxshared.mail.models import MailMessage
from cxshared.mail.notify import NotificationDigestItem, NotificationDone, NotificationSetting
from metrics.alerts.models import Alert, Incident
from metrics.cases.models import CaseFact
from metrics.customers.models import Customer, LatestNps
from metrics.dimension.models import JourneyDim, StageDim, TeamDim, TouchpointDim
from metrics.effects.models import ActionEffect
from metrics.facts.models import DailyRollup, ErasedResponse, MonthlyRollup, ResponseFact
from metrics.ingest.models import ProcessedEvent
from metrics.observed.models import ActivityEvent, ObservedRollup, ObservedState
from metrics.themes.models import CommentTheme, Theme

__all__ = [
    "ActionEffect",
    "ActivityEvent",
    "Alert",
    "ApiKey",
    "CaseFact",
    "CommentTheme",
    "Customer",
    "DailyRollup",
    "ErasedResponse",
    "IdempotencyRecord",
    "Incident",
    "JourneyDim",
    "LatestNps",
    "MailMessage",
    "MonthlyRollup",
    "NotificationDigestItem",
    "NotificationDone",
    "NotificationSetting",
    "ObservedRollup",
    "ObservedState",
    "OutboxDelivery",
    "OutboxEvent",
    "ProcessedEvent",
    "ResponseFact",
    "StageDim",
    "TeamDim",
    "Theme",
    "TouchpointDim",
    "WebhookSubscription",
]
