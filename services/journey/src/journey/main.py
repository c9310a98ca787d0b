from fastapi import FastAPI

from cxshared.app import create_service_app
from journey.api import EVENT_TYPES, api_router
from journey.config import MIGRATIONS, Settings, get_settings

DESCRIPTION = """
The CX model's design: personas, teams, journeys (current and future state), stages with the
experience each must deliver, and touchpoints with their owner team and named owner, experience
standard, targets and moment-of-truth flag; opportunities and the actions that answer them; the
change history; and reports on where the model breaks (ownership gaps, handoffs, overdue reviews,
missing standards).

**Auth**: `Authorization: Bearer <api key>` (create one with `cx-journey create-api-key`).
Scopes: `read`, `write` (implies read), `admin` (webhooks, outbox). Only a `gateway` key may send
`X-Acting-User`, the staff user a change is recorded against.

**Concurrency**: every editable resource has a `version` and an `ETag`. Send `If-Match` on
PATCH, move and DELETE: a stale one gets 412 and changes nothing.

**Errors** are `application/problem+json` (RFC 9457); validation errors list each failing field.

**Events**: every change to personas, teams, journeys, stages, touchpoints, opportunities and
actions is published (`touchpoint.updated`, `action.shipped` …) to webhook subscribers, signed
the Standard Webhooks way.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    return create_service_app(
        name="journey",
        title="cxloop journey",
        description=DESCRIPTION,
        settings=settings,
        script_location=MIGRATIONS,
        routers=[api_router],
        event_types=EVENT_TYPES,
    )
