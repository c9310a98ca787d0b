from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from cxshared.auth import Admin, Reader, Writer
from cxshared.concurrency import IfMatch, set_etag
from cxshared.deps import EngineDep, OutboxDep, SessionDep
from cxshared.pagination import PageParams, page_params
from cxshared.types import Identifier
from metrics.alerts import service
from metrics.alerts.models import AlertStatus
from metrics.alerts.schemas import AlertPage, AlertRead, AlertUpdate, EvaluationRead
from metrics.dependencies import SettingsDep

router = APIRouter(prefix="/alerts", tags=["alerts"])


@router.get("", response_model=AlertPage, summary="Alerts, newest first, filtered")
def list_alerts(
    session: SessionDep,
    _: Reader,
    params: Annotated[PageParams, Depends(page_params)],
    alert_status: Annotated[AlertStatus | None, Query(alias="status")] = None,
    touchpoint_id: Annotated[Identifier | None, Query()] = None,
    journey_id: Annotated[Identifier | None, Query()] = None,
    owner_team_id: Annotated[Identifier | None, Query()] = None,
) -> Any:
    items, cursor = service.alerts(
        session=session,
        params=params,
        status=alert_status,
        touchpoint_id=touchpoint_id,
        journey_id=journey_id,
        owner_team_id=owner_team_id,
    )
    return AlertPage(items=items, next_cursor=cursor)


@router.get("/{alert_id}", response_model=AlertRead, summary="One alert with its evidence")
def get_alert(alert_id: str, session: SessionDep, _: Reader, response: Response) -> Any:
    alert = service.get(session=session, alert_id=alert_id)
    set_etag(response, alert.version)
    return alert


@router.patch(
    "/{alert_id}",
    response_model=AlertRead,
    summary="Acknowledge an alert (If-Match optional)",
    description="Only an open alert can be acknowledged; it still resolves itself when its "
    "signal clears.",
)
def acknowledge_alert(
    alert_id: str,
    body: AlertUpdate,
    session: SessionDep,
    principal: Writer,
    if_match: IfMatch,
    response: Response,
) -> Any:
    alert = service.acknowledge(
        session=session,
        alert_id=alert_id,
        note=body.note,
        actor=principal.actor,
        if_match=if_match,
    )
    set_etag(response, alert.version)
    return alert


@router.post(
    "/evaluate",
    response_model=EvaluationRead,
    summary="Evaluate every touchpoint's alert rules now (they also run on a schedule)",
)
def evaluate_alerts(
    _: Admin, engine: EngineDep, outbox: OutboxDep, settings: SettingsDep
) -> EvaluationRead:
    changes = service.evaluate_touchpoints(engine, outbox, settings)
    return EvaluationRead(opened=changes.opened, resolved=changes.resolved, kept=changes.kept)
