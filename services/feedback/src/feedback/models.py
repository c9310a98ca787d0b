"""Every table of the feedback service, for Alembic. Importing this registers them all."""

from cxshared.auth import ApiKey
from cxshared.events.models import OutboxDelivery, OutboxEvent, WebhookSubscription
from cxshared.idempotency import IdempotencyRecord
from cxshared.mail.models import MailMessage
from cxshared.mail.notify import NotificationDigestItem, NotificationDone, NotificationSetting
from cxshared.ratelimit import RateLimitBucket
from feedback.cases.models import Case, CaseContact, CaseHistory, CaseNote, CaseRule, RootCause
from feedback.fatigue.models import Contact, FatigueRule
from feedback.invitations.models import Invitation
from feedback.mailing.models import InvitationMail, SurveyEmail
from feedback.ownership.models import IngestedEvent, OwnerTeam, TouchpointOwner
from feedback.responses.models import Response
from feedback.surveys.models import Survey, SurveyVersion

__all__ = [
    "ApiKey",
    "Case",
    "CaseContact",
    "CaseHistory",
    "CaseNote",
    "CaseRule",
    "Contact",
    "FatigueRule",
    "IdempotencyRecord",
    "IngestedEvent",
    "Invitation",
    "InvitationMail",
    "MailMessage",
    "NotificationDigestItem",
    "NotificationDone",
    "NotificationSetting",
    "OutboxDelivery",
    "OutboxEvent",
    "OwnerTeam",
    "RateLimitBucket",
    "Response",
    "RootCause",
    "Survey",
    "SurveyEmail",
    "SurveyVersion",
    "TouchpointOwner",
    "WebhookSubscription",
]
