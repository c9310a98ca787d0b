from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from cxshared.auth import Admin, Reader, Writer
from cxshared.concurrency import IfMatch, set_etag
from cxshared.deps import EngineDep, OutboxDep, SessionDep
from cxshared.pagination import PageParams, page_params
from cxshared.types import Identifier
from metrics.alerts import service
from metrics.alerts.models import AlertStatus, IncidentStatus
from metrics.alerts.schemas import (
    AlertPage,
    AlertRead,
    EvaluationRead,
    IncidentPage,
    IncidentRead,
    IncidentUpdate,
)
from metrics.dependencies import SettingsDep

router = APIRouter(prefix="/incidents", tags=["incidents"])
alerts_router = APIRouter(prefix="/alerts", tags=["alerts"])


@router.get("", response_model=IncidentPage, summary="Incidents, newest first, filtered")
def list_incidents(
    session: SessionDep,
    _: Reader,
    params: Annotated[PageParams, Depends(page_params)],
    incident_status: Annotated[IncidentStatus | None, Query(alias="status")] = None,
    touchpoint_id: Annotated[Identifier | None, Query()] = None,
    journey_id: Annotated[Identifier | None, Query()] = None,
    owner_team_id: Annotated[Identifier | None, Query()] = None,
) -> Any:
    items, cursor = service.incidents(
        session=session,
        params=params,
        status=incident_status,
        touchpoint_id=touchpoint_id,
        journey_id=journey_id,
        owner_team_id=owner_team_id,
    )
    return IncidentPage(items=[service.read(session, i) for i in items], next_cursor=cursor)


@router.get("/{incident_id}", response_model=IncidentRead, summary="One incident with its signals")
def get_incident(incident_id: str, session: SessionDep, _: Reader, response: Response) -> Any:
    incident = service.get_incident(session=session, incident_id=incident_id)
    set_etag(response, incident.version)
    return service.read(session, incident)


@router.patch(
    "/{incident_id}",
    response_model=IncidentRead,
    summary="Acknowledge or resolve an incident (If-Match optional)",
    description="Only an open incident can be acknowledged; it still closes itself once back "
    "in control. An open or acknowledged one can be resolved with the reason in `note` "
    "(`incident.resolved` goes out); a signal within the reopen days reopens it.",
)
def update_incident(
    incident_id: str,
    body: IncidentUpdate,
    session: SessionDep,
    outbox: OutboxDep,
    principal: Writer,
    if_match: IfMatch,
    response: Response,
) -> Any:
    if body.status == "acknowledged":
        incident = service.acknowledge(
            session=session,
            incident_id=incident_id,
            note=body.note,
            actor=principal.actor,
            if_match=if_match,
        )
    else:
        incident = service.resolve(
            session=session,
            outbox=outbox,
            incident_id=incident_id,
            reason=body.note,
            actor=principal.actor,
            if_match=if_match,
        )
    set_etag(response, incident.version)
    return service.read(session, incident)


@router.post(
    "/evaluate",
    response_model=EvaluationRead,
    summary="Evaluate every touchpoint's rules now (they also run on a schedule)",
)
def evaluate_incidents(
    _: Admin, engine: EngineDep, outbox: OutboxDep, settings: SettingsDep
) -> EvaluationRead:
    changes = service.evaluate_touchpoints(engine, outbox, settings)
    return EvaluationRead(
        opened=changes.opened,
        reopened=changes.reopened,
        escalated=changes.escalated,
        resolved=changes.resolved,
        kept=changes.kept,
    )


@alerts_router.get(
    "",
    response_model=AlertPage,
    summary="Alerts recorded before incidents, newest first, filtered (read only)",
)
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


@alerts_router.get(
    "/{alert_id}", response_model=AlertRead, summary="One alert recorded before incidents"
)
def get_alert(alert_id: str, session: SessionDep, _: Reader, response: Response) -> Any:
    alert = service.get_alert(session=session, alert_id=alert_id)
    set_etag(response, alert.version)
    return alert
