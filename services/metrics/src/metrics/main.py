from fastapi import FastAPI

from cxshared.app import create_service_app
from metrics.alerts import notices
from metrics.alerts.gauges import open_incidents
from metrics.alerts.worker import AlertEvaluator
from metrics.api import EVENT_TYPES, api_router
from metrics.comments.rescore import warn_if_stale
from metrics.config import MIGRATIONS, Settings, get_settings
from metrics.customers.churn_model import ChurnModels

DESCRIPTION = """
Measurement a CX lead can act on: perception scores per touchpoint with their uncertainty, tied to
churn and revenue, and incidents that open on real degradation, not on noise, and close once
fixed.

**Ingest** (`ingest` key): journey's and feedback's relays deliver their events to
`POST /v1/events`; each is applied exactly once, in the transaction that records its id.

**Queries** (`read` key): scores (NPS, CSAT, CES) with n and a 95% interval per touchpoint, stage,
journey, channel, segment or owner team; series; changes with Benjamini-Hochberg-corrected
p-values; the journey overlay; comments and their sentiment; churn, revenue at risk and CLV;
drivers; incidents (and the alerts recorded before them); the effect of a shipped action, measured
on demand or stored from journey's `action.*` events and frozen once its window is over; the
reasons a journey needs review. Every figure follows cxloop's metric
definitions; scores are read from daily rollups, so a query's cost grows with days x
touchpoints, not with responses.

**Events**: `incident.opened`, `incident.escalated`, `incident.reopened` and `incident.resolved`,
once each per incident change, to webhook subscribers, so owners can be told.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    def start(app: FastAPI) -> None:
        warn_if_stale(app.state.engine)
        if settings.alerts_in_process:
            app.state.alerts.start()

    def stop(app: FastAPI) -> None:
        app.state.alerts.stop()
        app.state.churn_models.close()

    app = create_service_app(
        name="metrics",
        title="cxloop metrics",
        description=DESCRIPTION,
        settings=settings,
        script_location=MIGRATIONS,
        routers=[api_router],
        event_types=EVENT_TYPES,
        on_startup=start,
        on_shutdown=stop,
        gauges=[open_incidents],
        notices=(notices.NOTIFYING, notices.notices_of),
    )
    app.state.alerts = AlertEvaluator(app.state.engine, app.state.outbox, settings)
    app.state.churn_models = ChurnModels(app.state.engine)
    return app
