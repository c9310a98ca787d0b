"""What missing an experience standard costs (docs/observed.md, "What missing a standard
costs"): the customers whose every occasion in the period met the standard against those with
one that missed it, compared by their NPS and CSAT answers on the journey's touchpoints in the
same period and by their churn where the outcome is known. From the stored events of the
indicator's activities, as the preview is (the rollups keep no customers)."""

from typing import Any

from sqlalchemy import Engine, case, func, select
from sqlmodel import Session, col

from metrics.customers.models import Customer
from metrics.facts.models import ResponseFact
from metrics.ingest.importer import one_of
from metrics.observed.figures import Scope
from metrics.observed.mapping import Mapping
from metrics.observed.service import customers_judged, segments_of
from metrics.stats import estimates

GROUPS = ("met", "missed")


def _estimate(found: estimates.Estimate) -> dict[str, Any]:
    return {"value": found.value, "low": found.low, "high": found.high, "n": found.n}


def _group(
    session: Session, customers: list[str], touchpoints: list[str], scope: Scope
) -> dict[str, Any]:
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    if not customers:
        empty = _estimate(estimates.Estimate.empty())
        return {"customers": 0, "nps": empty, "csat": empty, "churn": empty}
    F = ResponseFact
    n_nps, promoters, detractors, n_csat, top2 = session.execute(
        select(
            func.count(col(F.nps)),
            func.sum(case((col(F.nps) >= 9, 1), else_=0)),
            func.sum(case((col(F.nps) <= 6, 1), else_=0)),
            func.count(col(F.csat)),
            func.sum(case((col(F.csat) >= 4, 1), else_=0)),
        ).where(
            one_of(col(F.respondent_id), customers, engine),
            col(F.touchpoint_id).in_(touchpoints),
            col(F.day) >= scope.start,
            col(F.day) <= scope.end,
            col(F.flagged).is_(False),
        )
    ).one()
    known, churned = session.execute(
        select(
            func.count(),
            func.sum(
                case(
                    (
                        col(Customer.churn_date).is_not(None)
                        & (col(Customer.churn_date) >= scope.start),
                        1,
                    ),
                    else_=0,
                )
            ),
        ).where(one_of(col(Customer.external_id), customers, engine))
    ).one()
    return {
        "customers": len(customers),
        "nps": _estimate(estimates.nps(int(promoters or 0), int(detractors or 0), int(n_nps))),
        "csat": _estimate(estimates.wilson(int(top2 or 0), int(n_csat))),
        "churn": _estimate(estimates.wilson(int(churned or 0), int(known))),
    }


def _gap(met: dict[str, Any], missed: dict[str, Any]) -> float | None:
    if met["value"] is None or missed["value"] is None:
        return None
    return round(float(met["value"]) - float(missed["value"]), 1)


def cost_of_missing(session: Session, scope: Scope, mapping: Mapping) -> list[dict[str, Any]]:
    touchpoints = [t.id for t in mapping.touchpoints.values() if t.journey_id == scope.journey_id]
    found = []
    for journey_id, touchpoint_id, indicator in mapping.indicators:
        if journey_id != scope.journey_id:
            continue
        judged = customers_judged(session, indicator, scope.start, scope.end)
        if scope.segment:
            segments = segments_of(session, list(judged))
            judged = {c: met for c, met in judged.items() if segments.get(c) == scope.segment}
        groups = {
            name: _group(
                session,
                sorted(c for c, met in judged.items() if met == (name == "met")),
                touchpoints,
                scope,
            )
            for name in GROUPS
        }
        found.append(
            {
                "touchpoint_id": touchpoint_id,
                "name": mapping.touchpoints[touchpoint_id].name
                if touchpoint_id in mapping.touchpoints
                else "",
                "indicator": indicator,
                **groups,
                "nps_gap": _gap(groups["met"]["nps"], groups["missed"]["nps"]),
                "csat_gap": _gap(groups["met"]["csat"], groups["missed"]["csat"]),
                "churn_gap": _gap(groups["missed"]["churn"], groups["met"]["churn"]),
            }
        )
    return found
