"""One action: what it changes and why (the opportunities it answers, their evidence and
priority), and, once shipped, its measured effect with a before/after chart
(docs/improvement.md)."""

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from gateway.auth import Staff
from gateway.charts import Level, Marker, Measured, trend_chart
from gateway.clients.metrics import MetricsClient
from gateway.clients.models import Action
from gateway.dependencies import JourneyDep, MetricsDep
from gateway.improvement import (
    ACTION_MOVES,
    ACTION_STATES,
    EFFECT_METRICS,
    VERDICTS,
    affected,
    measured_effect,
    places,
    priority_items,
    rank,
)
from gateway.pages.common import fetch
from gateway.web import render

router = APIRouter()

CHARTED = ("nps", "csat", "ces")  # the metrics with a weekly series to draw


def _charted_metric(effect: dict[str, Any]) -> str | None:
    """The metric the chart draws: the first that decided the verdict, else the first tested."""
    rows = [m for m in effect.get("metrics", []) if m["metric"] in CHARTED]
    for row in rows:
        if row.get("significant"):
            return str(row["metric"])
    tested = [m for m in rows if m.get("tested") != "none"] or rows
    return str(tested[0]["metric"]) if tested else None


async def _chart(
    metrics: MetricsClient, effect: dict[str, Any], touchpoint_id: str, pooled: bool
) -> dict[str, Any] | None:
    """Weekly values of the charted metric at the touchpoint across both windows, the ship
    date marked and, for a single touchpoint, the before and after windows' values as levels."""
    metric = _charted_metric(effect)
    if metric is None:
        return None
    windows = effect["windows"]
    start = date.fromisoformat(windows["before_from"])
    end = min(date.fromisoformat(windows["after_to"]), date.today())
    start -= timedelta(days=start.weekday())  # weeks begin on Monday
    points = await metrics.series_at(metric, start=start, end=end, touchpoint_id=touchpoint_id)
    if not points:
        return None
    first = points[0].start

    def weeks(day: str) -> float:
        return (date.fromisoformat(day) - first).days / 7

    levels = []
    row = next(m for m in effect["metrics"] if m["metric"] == metric)
    for side, since, until in (
        ("before", windows["before_from"], windows["before_to"]),
        ("after", windows["after_from"], windows["after_to"]),
    ):
        value = row["changed"][side]["value"]
        if value is not None and not pooled:
            levels.append(Level(weeks(since), weeks(until) + 1 / 7, value, side))
    shipped = date.fromisoformat(effect["shipped_on"])
    chart = trend_chart(
        metric,
        [
            Measured(p.start.strftime("%d %b"), p.value, p.low, p.high, p.n, p.too_few, p.complete)
            for p in points
        ],
        marker=Marker(weeks(shipped.isoformat()), f"shipped {shipped.strftime('%d %b')}"),
        levels=levels,
    )
    return {"metric": metric, "chart": chart}


def _overlapping(
    action: Action, actions: list[Action], document: Any, effect: dict[str, Any] | None
) -> list[Action]:
    """Other actions shipped at any of the same touchpoints within the windows measured: their
    effect cannot be told apart from this one's."""
    if not effect or action.shipped_at is None:
        return []
    windows = effect["windows"]
    start = date.fromisoformat(windows["before_from"])
    end = date.fromisoformat(windows["after_to"])
    here = set(affected(action, document))
    return [
        other
        for other in actions
        if other.id != action.id
        and other.shipped_at is not None
        and start <= other.shipped_at.date() <= end
        and here & set(affected(other, document))
    ]


@router.get("/actions/{action_id}")
async def action_page(
    request: Request,
    user: Staff,
    journey: JourneyDep,
    metrics: MetricsDep,
    action_id: str,
    error: Annotated[str, Query(max_length=300)] = "",
) -> Response:
    action: Action = await journey.get_action(action_id)
    parts = await fetch(
        journey=journey.get_journey(action.journey_id),
        opportunities=journey.list_opportunities(action.journey_id),
        actions=journey.list_actions(action.journey_id),
    )
    document = parts["journey"]
    answered = [o for o in parts["opportunities"] or [] if o.id in action.opportunity_ids]
    touchpoints = affected(action, document)
    calls: dict[str, Any] = {
        "priorities": metrics.priorities(action.journey_id, priority_items(answered, document))
    }
    if action.state == "shipped":
        calls["effect"] = measured_effect(metrics, action, document)
    measured = await fetch(**calls)
    effect = measured["effect"] if "effect" in calls else None
    chart = None
    if effect:
        charted = await fetch(chart=_chart(metrics, effect, touchpoints[0], len(touchpoints) > 1))
        chart = charted["chart"]
    named = places(document)
    data = measured["priorities"] or {}
    overlapping = _overlapping(action, parts["actions"] or [], document, effect)
    context = {
        "title": action.title,
        "action": action,
        "journey": document,
        "places": named,
        "touchpoints": [(t, named.get(t, "a removed touchpoint")) for t in touchpoints],
        "answered": [rank(o, data.get(o.id)) for o in answered],
        "effect": effect,
        "chart": chart,
        "verdicts": VERDICTS,
        "effect_metrics": EFFECT_METRICS,
        "action_states": ACTION_STATES,
        "action_moves": ACTION_MOVES,
        "today": date.today(),
        "error": error,
        "overlapping": overlapping,
        "notices": parts.notices() + measured.notices(),
    }
    return render(request, "opportunities/action.html", context)
