"""The dashboard: scores and their change, trends, open incidents with what customers said
behind them (counted by theme), revenue at risk and the customers most at risk, lifetime value,
churn by NPS category, the drivers quadrant, recent comments and the recovery panel (cases,
SLAs, recovery, churn). Its filters live in the URL, so a view can be shared."""

from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from cxshared.timeutil import utcnow
from gateway import present
from gateway.auth import Staff
from gateway.charts import Measured, Placed, quadrant_chart, trend_chart
from gateway.clients.models import (
    Drivers,
    Filters,
    Incident,
    Journey,
    ScoreChange,
    SeriesPoint,
)
from gateway.dependencies import FeedbackDep, JourneyDep, MetricsDep
from gateway.pages.common import fetch, outreach_of
from gateway.present import CHANNELS
from gateway.web import is_htmx, render

router = APIRouter()

METRICS = ("nps", "csat", "ces")
QUADRANT_WORDS = {
    "concentrate_here": "concentrate here",
    "keep_up": "keep up the good work",
    "low_priority": "low priority",
    "possible_overkill": "possible overkill",
}
SO_FAR = {"day": "today", "week": "this week", "month": "this month"}
PERIODS = {7: "last 7 days", 30: "last 30 days", 90: "last 90 days", 365: "last 12 months"}
DEFAULT_DAYS = 30
AT_RISK_SHOWN = 5  # the customers most at risk on the dashboard; the rest on their own page


def _period(days: int) -> tuple[date, date]:
    end = utcnow().date()
    return end - timedelta(days=days - 1), end


def _interval(days: int) -> str:
    return "day" if days <= 30 else "week" if days <= 120 else "month"


def _measured(points: list[SeriesPoint], interval: str) -> list[Measured]:
    form = "%d %b" if interval != "month" else "%b %Y"
    return [
        Measured(p.start.strftime(form), p.value, p.low, p.high, p.n, p.too_few, p.complete)
        for p in points
    ]


def change_words(metric: str, change: ScoreChange | None) -> str:
    """The change against the previous period, said plainly."""
    if change is None or change.difference is None:
        return "no earlier period to compare"
    if change.current.too_few or change.base.too_few:
        return "too few responses to call a change"
    amount = present.change(metric, change.difference)
    if change.significant:
        p = change.p_adjusted or 0.0
        said = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
        return f"{amount} on the previous period: a real change ({said})"
    return f"{amount} on the previous period: within chance, not a real change"


@router.get("/dashboard")
async def dashboard(
    request: Request,
    user: Staff,
    journey: JourneyDep,
    metrics: MetricsDep,
    feedback: FeedbackDep,
    days: Annotated[int, Query()] = DEFAULT_DAYS,
    journey_id: Annotated[str | None, Query(max_length=64)] = None,
    stage_id: Annotated[str | None, Query(max_length=64)] = None,
    channel: Annotated[str | None, Query(max_length=20)] = None,
    segment: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    days = days if days in PERIODS else DEFAULT_DAYS
    filters = Filters(
        journey_id=journey_id or None,
        stage_id=(stage_id or None) if journey_id else None,
        channel=channel if channel in CHANNELS else None,
        segment=segment or None,
    )
    start, end = _period(days)
    interval = _interval(days)
    calls: dict[str, Any] = {
        f"change_{m}": metrics.change(m, start=start, end=end, filters=filters) for m in METRICS
    }
    calls.update(
        {
            f"series_{m}": metrics.series(
                m, interval=interval, start=start, end=end, filters=filters
            )
            for m in METRICS
        }
    )
    calls.update(
        incidents=metrics.open_incidents(journey_id=filters.journey_id),
        comments=metrics.comments(filters=filters, start=start, end=end, limit=8),
        churn=metrics.churn(),
        risk=metrics.revenue_at_risk(by="segment"),
        churn_model=metrics.churn_model(),
        at_risk=metrics.at_risk(limit=AT_RISK_SHOWN),
        clv=metrics.lifetime_value(),
        cases=metrics.case_figures(start=start, end=end, journey_id=filters.journey_id),
        journeys=journey.list_journeys(),
        segments=metrics.segments(),
    )
    if filters.journey_id:
        calls["journey"] = journey.get_journey(filters.journey_id)
    parts = await fetch(**calls)
    # Which of the five have an outreach case being worked: asked once the five are known.
    outreach, outreach_parts = await outreach_of(feedback, parts["at_risk"])
    incidents: list[Incident] = parts["incidents"] or []
    tiles = []
    for metric in METRICS:
        change: ScoreChange | None = parts[f"change_{metric}"]
        points: list[SeriesPoint] | None = parts[f"series_{metric}"]
        tiles.append(
            {
                "metric": metric,
                "change": change,
                "words": change_words(metric, change),
                "chart": trend_chart(metric, _measured(points, interval)) if points else None,
            }
        )
    document: Journey | None = parts["journey"] if filters.journey_id else None
    query = {k: v for k, v in {**filters.params(), "days": str(days)}.items() if v}
    context = {
        "title": "Dashboard",
        "days": days,
        "periods": PERIODS,
        "interval": interval,
        "so_far": SO_FAR[interval],
        "filters": filters,
        "query": query,
        "journeys": parts["journeys"] or [],
        "stages": document.stages if document else [],
        "channels": CHANNELS,
        "segments": parts["segments"] or [],
        "tiles": tiles,
        "incidents": incidents,
        "comments": parts["comments"],
        "churn": parts["churn"],
        "risk": parts["risk"],
        "churn_model": parts["churn_model"],
        "at_risk": parts["at_risk"],
        "outreach": outreach,
        "back": "/dashboard?" + urlencode(query),
        "clv": parts["clv"],
        "cases": parts["cases"],
        "drivers_url": "/dashboard/drivers?"
        + urlencode(
            {k: v for k, v in {"days": str(days), "journey_id": filters.journey_id}.items() if v}
        ),
        "notices": parts.notices() + outreach_parts.notices(),
        "metrics_missing": "metrics" in parts.missing,
    }
    return render(request, "dashboard/index.html", context)


@router.get("/dashboard/drivers")
async def dashboard_drivers(
    request: Request,
    user: Staff,
    metrics: MetricsDep,
    days: Annotated[int, Query()] = DEFAULT_DAYS,
    journey_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The drivers panel, on its own: the analysis reads every answer of the period, so the
    dashboard loads it after the page (given the analysis timeout) instead of waiting for it.
    Without JavaScript it is a page of its own, linked from the dashboard."""
    days = days if days in PERIODS else DEFAULT_DAYS
    start, end = _period(days)
    parts = await fetch(
        drivers=metrics.drivers(start=start, end=end, journey_id=journey_id or None),
        incidents=metrics.open_incidents(journey_id=journey_id or None),
    )
    drivers: Drivers | None = parts["drivers"]
    context = {
        "title": "What drives NPS",
        "days": days,
        "periods": PERIODS,
        "drivers": drivers,
        "quadrant": _quadrant(drivers),
        "driver_sentences": driver_sentences(drivers),
        "unranked_words": UNRANKED_WORDS,
        "alerted": {incident.touchpoint_id for incident in parts["incidents"] or []},
        "quadrant_words": QUADRANT_WORDS,
        "notices": parts.notices(),
    }
    template = "dashboard/_drivers.html" if is_htmx(request) else "dashboard/drivers.html"
    return render(request, template, context)


def _quadrant(drivers: Drivers | None) -> Any:
    if drivers is None or drivers.insufficient or not drivers.drivers or not drivers.thresholds:
        return None
    placed = [
        Placed(
            d.name,
            d.importance or 0.0,
            d.importance_low,
            d.importance_high,
            float(d.performance["value"]),
            d.quadrant or "",
        )
        for d in drivers.drivers
        if d.performance.get("value") is not None
    ]
    # The service splits on the share (an even share each); the chart's axis is importance.
    return quadrant_chart(
        placed,
        importance_split=float(drivers.thresholds.get("importance") or 0) * _explained(drivers),
        performance_split=float(drivers.thresholds.get("performance") or 0),
    )


def _explained(drivers: Drivers) -> float:
    """The importance of every touchpoint analysed, ranked or not: what the shares divide."""
    return sum(d.importance or 0.0 for d in drivers.drivers) + sum(
        t.importance or 0.0 for t in drivers.too_little_data
    )


ACTIONS = {
    "keep_up": "keep it up",
    "low_priority": "improve once the stronger links are done",
    "possible_overkill": "effort may be better spent elsewhere",
}


def driver_sentences(drivers: Drivers | None) -> list[dict[str, Any]]:
    """Each ranked driver in a sentence, strongest link first: how strong its link to NPS is,
    how it performs against its target, and what follows, e.g. "Courier delivers: the
    strongest link to NPS and performing worst — fix first"."""
    if drivers is None or not drivers.drivers or not drivers.thresholds:
        return []
    even = float(drivers.thresholds.get("importance") or 0)
    judged = [d for d in drivers.drivers if d.performance.get("value") is not None]
    worst = min(judged, key=lambda d: d.performance["value"], default=None)
    fixed_first = False
    result = []
    for driver in drivers.drivers:
        if driver.rank == 1:
            link = "the strongest link to NPS"
        elif (driver.share or 0) >= even:
            link = "a strong link to NPS"
        else:
            link = "a weaker link to NPS"
        performance = driver.performance
        if performance.get("value") is None:
            standing, action = "no target to judge it by", "set a target to place it"
        else:
            standing = _standing(performance, worst=driver is worst)
            if driver.quadrant == "concentrate_here":
                action = "fix next" if fixed_first else "fix first"
                fixed_first = True
            else:
                action = ACTIONS.get(driver.quadrant or "", "")
        words = f"{link} and {standing}" + (f" — {action}" if action else "")
        result.append({"driver": driver, "words": words})
    return result


def _standing(performance: dict[str, Any], *, worst: bool) -> str:
    if worst and performance["value"] < 0:
        return "performing worst"
    if performance.get("status") == "breached":
        return "below its target"
    if performance.get("status") == "met":
        return "meeting its target"
    return "just below its target" if performance["value"] < 0 else "just meeting its target"


UNRANKED_WORDS = {
    "too_few_customers": "too few customers",
    "no_variance": "no variance",
    "interval_includes_zero": "within the noise",
    "no_model": "not analysed",
}
