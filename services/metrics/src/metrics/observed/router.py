import io
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from sqlmodel import Session

from cxshared.auth import Admin, Ingester, Writer
from cxshared.db import write_session
from cxshared.deps import EngineDep, SessionDep
from cxshared.problems import Problem, field_error
from cxshared.timeutil import utcnow
from metrics.dependencies import period_of
from metrics.ingest.importer import BadRow
from metrics.observed import cost, figures, service
from metrics.observed.dependencies import AskedDep, EventLogDep, LimitsDep
from metrics.observed.importer import import_activities
from metrics.observed.schemas import (
    ActivityBatch,
    DifferencesRead,
    FlowsRead,
    FunnelRead,
    ImportResult,
    LoopsRead,
    PathsRead,
    ReachRead,
    RebuildReport,
    Recorded,
    StandardCostsRead,
    StandardPreview,
    StandardPreviewRead,
    StandardsRead,
)

router = APIRouter(tags=["observed journeys"])
EXACTLY_ONCE = (
    "Exactly once by `event_id`: a repeat with the same body is counted as a duplicate and "
    "changes nothing; a repeat with a different body is a 409 (`activity-clash`) and nothing of "
    "the request is stored. Events may arrive in any order: trails are ordered by "
    "`occurred_at`, whatever the order of arrival (docs/observed.md)."
)


@router.post(
    "/activities",
    response_model=Recorded,
    summary="Record activity events: what customers did or met (ingest key, up to 1,000)",
    description="Behavioural and operational events (`order_paid`, `parcel_delivered` with "
    '`{"late_days": 2}`, `support_call` …) that the observed journeys are built from. They '
    "are not relay envelopes, so they are their own resource beside `POST /v1/events`, with "
    "the same `ingest` scope. " + EXACTLY_ONCE + " A time more than "
    "METRICS_ACTIVITY_CLOCK_SKEW_SECONDS in the future and attributes over "
    "METRICS_ACTIVITY_ATTRIBUTES_BYTES are 422 naming the event.",
)
def post_activities(
    _: Ingester,
    batch: Annotated[ActivityBatch, Body()],
    engine: EngineDep,
    limits: LimitsDep,
) -> Recorded:
    now = utcnow()
    rows = []
    for index, item in enumerate(batch.activities):
        try:
            rows.append(service.event_row(item, limits=limits, now=now))
        except service.BadActivity as exc:
            raise field_error(f"activities[{index}].{exc.field}", exc.message) from exc
    try:
        recorded, duplicates, stale = service.record_once(engine, rows, limits=limits)
    except service.ClashingActivity as exc:
        raise service.clash_problem(exc) from exc
    return Recorded(recorded=recorded, duplicates=duplicates, rollups_stale=stale)


@router.post(
    "/activities/import",
    response_model=ImportResult,
    summary="Import an event log: CSV or JSON Lines (ingest key)",
    description="Columns (CSV header, or JSON keys): `event_id`, `customer_id`, `activity`, "
    "`occurred_at`, `channel`, `attributes` (in CSV, a JSON object in its cell). "
    + EXACTLY_ONCE
    + " The log is stored in batches of 20,000 rows, each one transaction; a bad row (422 "
    "`invalid-activity-log`) or a clash (409) stops the import at its batch and names the row, "
    "the batches before it stay: send the corrected log again, repeats are ignored. The body "
    "is limited by METRICS_MAX_BODY_BYTES; for large logs use `cx-metrics import-activities`, "
    "which streams the file.",
    openapi_extra={
        "requestBody": {
            "content": {
                "text/csv": {"schema": {"type": "string", "minLength": 1}},
                "application/x-ndjson": {"schema": {"type": "string", "minLength": 1}},
            },
            "required": True,
        }
    },
)
def import_log(_: Ingester, log: EventLogDep, engine: EngineDep, limits: LimitsDep) -> Any:
    fmt, text = log
    try:
        progress = import_activities(engine, io.StringIO(text), fmt=fmt, limits=limits)
    except BadRow as exc:
        raise Problem(422, "invalid-activity-log", "Invalid event log", str(exc)) from exc
    except service.ClashingActivity as exc:
        raise service.clash_problem(exc) from exc
    if progress.read == 0:
        raise Problem(422, "invalid-activity-log", "Invalid event log", "The log has no events.")
    return ImportResult(
        read=progress.read,
        recorded=progress.recorded,
        duplicates=progress.duplicates,
        rollups_stale=progress.stale,
    )


@router.post(
    "/observed/rebuild",
    response_model=RebuildReport,
    summary="Recompute the observed rollups from the stored events (admin)",
    description="Compares the rollups with a recomputation from every stored activity event "
    "under the current mapping (`agree`, `differ`, `missing`, `extra` rollup rows), and with "
    "`check=false` replaces them and clears the stale mark a mapping change leaves.",
)
def rebuild_observed(
    _: Admin,
    engine: EngineDep,
    limits: LimitsDep,
    check: Annotated[bool, Query(description="Only compare.")] = False,
) -> RebuildReport:
    if check:
        with Session(engine) as session:
            return service.rebuild(session, limits=limits, replace=False)
    with write_session(engine) as session:
        return service.rebuild(session, limits=limits, replace=True)


PERIOD = "Cases that started in the period (from, to: UTC days; default the last 30)."


@router.get(
    "/observed/{journey_id}/reach",
    response_model=ReachRead,
    response_model_by_alias=True,
    summary="Reach of each touchpoint, with Wilson intervals, and time from first to last",
    description=PERIOD,
)
def get_reach(
    asked: AskedDep,
) -> Any:
    return {**asked.base(), **figures.reach(asked.session, asked.scope, asked.mapping())}


@router.get(
    "/observed/{journey_id}/funnel",
    response_model=FunnelRead,
    response_model_by_alias=True,
    summary="The stage funnel: share of cases reaching each stage, and the drop-off",
    description=PERIOD,
)
def get_funnel(
    asked: AskedDep,
) -> Any:
    return {**asked.base(), **figures.funnel(asked.session, asked.scope)}


@router.get(
    "/observed/{journey_id}/flows",
    response_model=FlowsRead,
    response_model_by_alias=True,
    summary="Directly-follows flows between touchpoints: counts, share, median and p90 time",
    description=PERIOD,
)
def get_flows(
    asked: AskedDep,
) -> Any:
    return {**asked.base(), **figures.flows(asked.session, asked.scope, asked.mapping())}


@router.get(
    "/observed/{journey_id}/paths",
    response_model=PathsRead,
    response_model_by_alias=True,
    summary="The most common paths (variants), with their share",
    description=PERIOD,
)
def get_paths(
    asked: AskedDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> Any:
    body = figures.paths(asked.session, asked.scope, asked.mapping(), limit=limit)
    return {**asked.base(), **body}


@router.get(
    "/observed/{journey_id}/loops",
    response_model=LoopsRead,
    response_model_by_alias=True,
    summary="Loops: the same touchpoint again within the loop window",
    description=PERIOD + " The window is METRICS_OBSERVED_LOOP_WINDOW_DAYS.",
)
def get_loops(
    asked: AskedDep,
) -> Any:
    body = figures.loops(asked.session, asked.scope, asked.mapping())
    return {**asked.base(), "loop_window_days": asked.limits.loop_window_days, **body}


@router.get(
    "/observed/{journey_id}/differences",
    response_model=DifferencesRead,
    response_model_by_alias=True,
    summary="Designed versus observed: unreached touchpoints, unmapped activities, "
    "transitions the map does not show",
    description=PERIOD + " An unmapped activity is listed when at least `min_cases` cases had "
    "it; a transition when at least `min_cases` made it and it is at least `min_share` of the "
    "transitions leaving its touchpoint.",
)
def get_differences(
    asked: AskedDep,
    min_cases: Annotated[int, Query(ge=1, le=1_000_000)] = 5,
    min_share: Annotated[float, Query(ge=0, le=1)] = 0.05,
) -> Any:
    body = figures.differences(
        asked.session, asked.scope, asked.mapping(), min_cases=min_cases, min_share=min_share
    )
    return {**asked.base(), **body}


@router.get(
    "/observed/{journey_id}/standards",
    response_model=StandardsRead,
    response_model_by_alias=True,
    summary="Experience standards measured on activity events: compliance, status, error budget",
    description="For each touchpoint of the journey whose standard has an indicator: the "
    "occasions in the period (from, to: UTC days of the occasion, default the last 30) that "
    "met it and missed it, compliance with its 95 % Wilson interval against the objective, "
    "and the error budget the objective leaves (docs/observed.md, 'Experience standards'). "
    "The days of the last window of a time indicator are provisional: a late activity can "
    "still change them.",
)
def get_standards(asked: AskedDep) -> Any:
    base = asked.base()
    base.pop("cases", None)
    return {
        **base,
        "standards": figures.standards(asked.session, asked.scope, asked.mapping()),
    }


@router.post(
    "/observed/standards/preview",
    response_model=StandardPreviewRead,
    response_model_by_alias=True,
    summary="Preview an indicator's compliance before saving it (write key)",
    description="Judges the indicator on the stored activity events of the period (default: the "
    "last 30 days), as the rollups would once it is saved: the staff UI shows it in the "
    "standard's editor, which edits with a write key. Reads the events of the indicator's "
    "activities, not the rollups; stores nothing.",
)
def preview_standard(
    _: Writer, body: Annotated[StandardPreview, Body()], session: SessionDep
) -> Any:
    start, end = period_of(body.start, body.end)
    indicator = body.indicator.model_dump(mode="json")
    met, missed = service.preview(session, indicator, start, end)
    return {
        "start": start,
        "end": end,
        **figures.judged(met, missed, float(indicator["objective"])),
    }


@router.get(
    "/observed/{journey_id}/standards/cost",
    response_model=StandardCostsRead,
    response_model_by_alias=True,
    summary="What missing each standard costs: NPS, CSAT and churn of customers it met and missed",
    description="For each indicator of the journey: the customers with an occasion in the "
    "period (default the last 30 days) whose every occasion met the standard, against those "
    "with one that missed it, compared by their NPS and CSAT answers on the journey's "
    "touchpoints in the period and by their churn where the outcome is known, each with its "
    "95 % interval (docs/observed.md). Read from the stored events of the indicators' "
    "activities.",
)
def get_standard_costs(asked: AskedDep) -> Any:
    return {
        "journey_id": asked.scope.journey_id,
        "start": asked.scope.start,
        "end": asked.scope.end,
        "segment": asked.scope.segment or None,
        "standards": cost.cost_of_missing(asked.session, asked.scope, asked.mapping()),
    }
