from fastapi import FastAPI

from cxshared.app import create_service_app
from feedback.api import EVENT_TYPES, api_router
from feedback.config import MIGRATIONS, Settings, get_settings
from feedback.cors import SurveyCorsMiddleware
from feedback.respondents.service import ERASED

DESCRIPTION = """
The voice of the customer: surveys bound to the touchpoints of the journey map, answered from
embedded widgets, links and invitations, and stored exactly once.

**Staff and integrators** (`Authorization: Bearer <api key>`, from `cx-feedback
create-api-key`): build surveys (questions with display logic), publish versions, invite
respondents, read responses.

**Respondents** (no key): `/v1/public/...` reads a published survey and submits answers. Each
submission carries a client-made `submission_id`: a retry returns the first result and stores
nothing new, even when both arrive at once. The server alone decides that a response is
complete: every answer is checked against the version answered (types, ranges, choices,
lengths, required questions, display logic).

**Events**: completing a response publishes `response.completed` (with every answer and its
question type) in the same transaction, delivered to webhook subscribers and metrics.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = create_service_app(
        name="feedback",
        title="cxloop feedback",
        description=DESCRIPTION,
        settings=settings,
        script_location=MIGRATIONS,
        routers=[api_router],
        event_types=EVENT_TYPES,
        forget_after_delivery=[ERASED],
    )
    app.add_middleware(SurveyCorsMiddleware, engine=app.state.engine)
    return app
