from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from cxshared.auth import Reader
from cxshared.deps import SessionDep
from cxshared.types import Identifier, IsoDateTime
from metrics.cases import service
from metrics.cases.schemas import CaseFiguresRead

router = APIRouter(tags=["cases"])

EXAMPLE = {
    "period": {"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"},
    "by": "team",
    "overall": {
        "key": None,
        "name": "",
        "opened": 120,
        "time_to_first_contact": {"median_hours": 5.5, "p90_hours": 30.2, "n": 110},
        "time_to_resolution": {"median_hours": 52.0, "p90_hours": 190.4, "n": 96},
        "first_contact_sla": {"value": 86.4, "low": 78.7, "high": 91.6, "n": 110, "count": 95},
        "resolution_sla": {"value": 80.2, "low": 71.4, "high": 86.8, "n": 101, "count": 81},
        "follow_ups_sent": 70,
        "recovery": {"value": 62.0, "low": 48.2, "high": 74.1, "n": 50, "count": 31},
    },
    "groups": [],
    "churn": {
        "note": service.ASSOCIATION,
        "rule": service.CHURN_RULE,
        "lines": [
            {
                "group": "recovered",
                "label": service.LABELS["recovered"],
                "churn": {"value": 9.7, "low": 3.3, "high": 24.9, "n": 31, "count": 3},
            }
        ],
    },
}


@router.get(
    "/cases/figures",
    response_model=CaseFiguresRead,
    summary="What closing the loop is worth: case handling, SLA compliance, recovery, churn",
    description="From feedback's case events, over the cases opened in the period (`from` "
    "inclusive, `to` exclusive) and matching the filters: cases opened; median and 90th "
    "percentile SLA hours to first contact and to resolution; SLA compliance per clock (of the "
    "cases whose clock is decided) and the recovery rate (of the follow-ups answered), each "
    "with its 95% Wilson interval; `by` adds the same per journey, touchpoint or the "
    "assignee's team. `churn` is the commercial line over all customers (filters do not "
    "apply): churn within 365 days of detractors whose case was recovered, not recovered, and "
    "with no case, each with its Wilson interval, an association, not proof. Definitions: "
    "docs/metrics.md.",
    responses={200: {"content": {"application/json": {"example": EXAMPLE}}}},
)
def get_case_figures(
    session: SessionDep,
    _: Reader,
    journey_id: Annotated[Identifier | None, Query()] = None,
    touchpoint_id: Annotated[Identifier | None, Query()] = None,
    team_id: Annotated[Identifier | None, Query(description="The assignee's team.")] = None,
    priority: Annotated[Literal["high", "normal"] | None, Query()] = None,
    start: Annotated[
        IsoDateTime | None, Query(alias="from", description="Opened at or after.")
    ] = None,
    end: Annotated[IsoDateTime | None, Query(alias="to", description="Opened before.")] = None,
    by: Annotated[Literal["journey", "touchpoint", "team"] | None, Query()] = None,
) -> Any:
    filters = {
        "journey_id": journey_id,
        "touchpoint_id": touchpoint_id,
        "team_id": team_id,
        "priority": priority,
        "start": start,
        "end": end,
    }
    facts = service.select_facts(session, filters)

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "period": {"from": iso(start), "to": iso(end)},
        "by": by,
        "overall": service.figures(facts),
        "groups": service.grouped(facts, by) if by else [],
        "churn": service.churn_association(session),
    }
