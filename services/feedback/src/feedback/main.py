from datetime import timedelta

from fastapi import FastAPI

from cxshared.app import create_service_app
from cxshared.groupcommit import GroupCommit
from feedback.api import EVENT_TYPES, api_router
from feedback.cases import notices
from feedback.cases.models import Priority
from feedback.cases.sla import CasePolicy, Targets
from feedback.cases.watch import BreachWatch
from feedback.config import MIGRATIONS, Settings, get_settings
from feedback.cors import SurveyCorsMiddleware
from feedback.mailing.watch import InvitationWatch
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


def case_policy(settings: Settings) -> CasePolicy:
    hours = timedelta(hours=1)
    return CasePolicy(
        targets={
            Priority.HIGH: Targets(
                settings.case_sla_high_first_contact_hours * hours,
                settings.case_sla_high_resolution_hours * hours,
            ),
            Priority.NORMAL: Targets(
                settings.case_sla_normal_first_contact_hours * hours,
                settings.case_sla_normal_resolution_hours * hours,
            ),
        },
        followup_days=settings.case_followup_days,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    policy = case_policy(settings)

    def start_watch(app: FastAPI) -> None:
        app.state.breach_watch = BreachWatch(
            engine=app.state.engine,
            outbox=app.state.outbox,
            policy=policy,
            seconds=settings.case_sla_check_seconds,
        )
        app.state.breach_watch.start()
        app.state.invitation_watch = InvitationWatch(
            engine=app.state.engine, mailer=app.state.mailer, settings=settings
        )
        app.state.invitation_watch.start()

    def stop_watch(app: FastAPI) -> None:
        app.state.breach_watch.stop()
        app.state.invitation_watch.stop()

    app = create_service_app(
        name="feedback",
        title="cxloop feedback",
        description=DESCRIPTION,
        settings=settings,
        script_location=MIGRATIONS,
        routers=[api_router],
        event_types=EVENT_TYPES,
        forget_after_delivery=[ERASED],
        on_startup=start_watch,
        on_shutdown=stop_watch,
        notices=(notices.NOTIFYING, notices.notices_of),
    )
    app.state.case_policy = policy
    app.state.group_commit = GroupCommit(app.state.engine)
    app.add_middleware(SurveyCorsMiddleware, engine=app.state.engine)
    return app
