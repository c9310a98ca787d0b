"""The alert rules of docs/metrics.md as pure functions of a touchpoint's daily figures.

- Target breach: over the window (the last `alert_window_days` days, today included), the whole
  95% interval lies on the wrong side of the target, with n at least the minimum.
- Degradation: an EWMA chart (λ, limits at L sigma) of the daily score over the last
  `alert_window_days` complete days (today, still filling, is left out: judging a partial day at
  every arrival would multiply false alarms) against the touchpoint's baseline, the
  `alert_baseline_days` before those; when the baseline has fewer than `low_volume_per_day`
  answers a day, a Bernoulli CUSUM on the bad-answer rate instead. It needs both a chart signal
  and the minimum n in its window.

A rule is "active" while its condition holds: an alert opens when a rule becomes active and
resolves itself when it stops being so.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from metrics.alerts.models import Rule
from metrics.config import Settings
from metrics.facts.values import SCALES
from metrics.stats import estimates
from metrics.stats.charts import Baseline, ChartResult, Day, Method, bernoulli_cusum, ewma

METRICS = ("nps", "csat", "ces")


@dataclass(frozen=True)
class Target:
    value: float
    direction: str  # at_least | at_most
    min_responses: int


@dataclass(frozen=True)
class Signal:
    metric: str
    rule: Rule
    active: bool
    evidence: dict[str, Any]


def estimate(metric: str, day: Day) -> estimates.Estimate:
    """The metric's estimate from summed daily figures (see charts.Day)."""
    if metric == "nps":
        promoters = round((day.total_sq / 1e4 + day.total / 100) / 2)
        return estimates.nps(promoters, day.bad, day.n)
    if metric == "csat":
        return estimates.wilson(day.n - day.bad, day.n)
    return estimates.mean(day.total, day.total_sq, day.n, scale=SCALES[metric])


def total(days: list[Day]) -> Day:
    return Day(
        n=sum(d.n for d in days),
        total=sum(d.total for d in days),
        total_sq=sum(d.total_sq for d in days),
        bad=sum(d.bad for d in days),
    )


def _span(days: Mapping[date, Day], first: date, last: date) -> list[Day]:
    count = (last - first).days + 1
    return [days.get(first + timedelta(i), Day(0, 0, 0, 0)) for i in range(count)]


def evaluate(
    metric: str,
    days: Mapping[date, Day],
    *,
    today: date,
    target: Target | None,
    settings: Settings,
) -> list[Signal]:
    window_start = today - timedelta(days=settings.alert_window_days - 1)
    window = _span(days, window_start, today)
    summed = total(window)
    minimum = target.min_responses if target else settings.min_responses
    score = estimate(metric, summed)
    evidence: dict[str, Any] = {
        "window": {"from": window_start.isoformat(), "to": today.isoformat()},
        "n": summed.n,
        "value": score.value,
        "low": score.low,
        "high": score.high,
        "min_responses": minimum,
    }
    signals = []
    if target is not None:
        wrong_side = (
            score.high is not None and score.high < target.value
            if target.direction == "at_least"
            else score.low is not None and score.low > target.value
        )
        signals.append(
            Signal(
                metric,
                Rule.TARGET_BREACH,
                active=summed.n >= minimum and wrong_side,
                evidence={
                    **evidence,
                    "target": {"value": target.value, "direction": target.direction},
                },
            )
        )
    signals.append(_degradation(metric, days, today=today, minimum=minimum, settings=settings))
    return signals


def _degradation(
    metric: str, days: Mapping[date, Day], *, today: date, minimum: int, settings: Settings
) -> Signal:
    last = today - timedelta(days=1)
    window_start = today - timedelta(days=settings.alert_window_days)
    baseline_start = window_start - timedelta(days=settings.alert_baseline_days)
    window = _span(days, window_start, last)
    summed = total(window)
    score = estimate(metric, summed)
    history = _span(days, baseline_start, window_start - timedelta(days=1))
    baseline = Baseline.of(history, span_days=settings.alert_baseline_days)
    chart: ChartResult | None = None
    if baseline is not None and baseline.n >= minimum:
        if baseline.per_day < settings.low_volume_per_day:
            chart = bernoulli_cusum(
                window, baseline, odds_ratio=settings.cusum_odds_ratio, h=settings.cusum_threshold
            )
        else:
            chart = ewma(
                window, baseline, lam=settings.ewma_lambda, width=settings.ewma_limit_sigmas
            )
    baseline_score = estimate(metric, total(history))
    return Signal(
        metric,
        Rule.DEGRADATION,
        active=chart is not None and chart.signal and summed.n >= minimum,
        evidence={
            "window": {"from": window_start.isoformat(), "to": last.isoformat()},
            "n": summed.n,
            "value": score.value,
            "low": score.low,
            "high": score.high,
            "min_responses": minimum,
            "baseline": {
                "from": baseline_start.isoformat(),
                "to": (window_start - timedelta(days=1)).isoformat(),
                "n": baseline_score.n,
                "value": baseline_score.value,
                "low": baseline_score.low,
                "high": baseline_score.high,
            },
            "chart": {
                "method": chart.method if chart else None,
                "statistic": chart.statistic if chart else None,
                "limit": chart.limit if chart else None,
                "signal": chart.signal if chart else False,
                "bad_rate_baseline": baseline.bad_rate if baseline else None,
                "per_day_baseline": baseline.per_day if baseline else None,
            },
        },
    )


__all__ = ["METRICS", "Method", "Signal", "Target", "estimate", "evaluate", "total"]
