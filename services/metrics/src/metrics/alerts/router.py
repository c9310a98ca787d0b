from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlmodel import col, select

from cxshared.auth import Admin, Reader, Writer
from cxshared.concurrency import IfMatch, ensure_fresh, set_etag
from cxshared.crud import get_or_404
from cxshared.deps import SessionDep
from cxshared.pagination import PageParams, page_params, paginate
from cxshared.problems import Problem
from cxshared.timeutil import utcnow
from cxshared.types import Identifier
from metrics.alerts.models import Alert, AlertStatus
from metrics.alerts.schemas import AlertPage, AlertRead, AlertUpdate, EvaluationRead
from metrics.alerts.service import evaluate_touchpoints

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
    query = select(Alert)
    for column, value in (
        (Alert.status, alert_status),
        (Alert.touchpoint_id, touchpoint_id),
        (Alert.journey_id, journey_id),
        (Alert.owner_team_id, owner_team_id),
    ):
        if value is not None:
            query = query.where(column == value)
    items, cursor = paginate(
        session, query, order_by=[col(Alert.id)], params=params, descending=True
    )
    return AlertPage(items=items, next_cursor=cursor)


@router.get("/{alert_id}", response_model=AlertRead, summary="One alert with its evidence")
def get_alert(alert_id: str, session: SessionDep, _: Reader, response: Response) -> Any:
    alert = get_or_404(session, Alert, alert_id)
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
    alert = get_or_404(session, Alert, alert_id)
    ensure_fresh(
        if_match, version=alert.version, updated_by=alert.updated_by, updated_at=alert.updated_at
    )
    if alert.status != AlertStatus.OPEN:
        raise Problem(409, "alert-not-open", "Alert not open", f"The alert is {alert.status}.")
    now = utcnow()
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = now
    alert.acknowledged_by = principal.actor
    alert.note = body.note
    alert.version += 1
    alert.updated_at = now
    alert.updated_by = principal.actor
    session.add(alert)
    session.commit()
    set_etag(response, alert.version)
    return alert


@router.post(
    "/evaluate",
    response_model=EvaluationRead,
    summary="Evaluate every touchpoint's alert rules now (they also run on a schedule)",
)
def evaluate_alerts(request: Request, _: Admin) -> EvaluationRead:
    changes = evaluate_touchpoints(
        request.app.state.engine, request.app.state.outbox, request.app.state.settings
    )
    return EvaluationRead(opened=changes.opened, resolved=changes.resolved, kept=changes.kept)
