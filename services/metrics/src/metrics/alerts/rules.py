"""The alert rules of docs/metrics.md as pure functions of a touchpoint's daily figures.

- Target breach: over the window (the last `alert_window_days` days, today included), the whole
  95% interval lies on the wrong side of the target, with n at least the minimum.
- Degradation: a CUSUM made for persistent shifts (stats.charts.shift_cusum) of the daily score
  over the last `alert_window_days` complete days (today, still filling, is left out: judging a
  partial day at every arrival would multiply false alarms) against the touchpoint's baseline,
  the `alert_baseline_days` before those, or before `baseline_until` when an incident froze it;
  when the baseline has fewer than `low_volume_per_day` answers a day, a Bernoulli CUSUM on the
  bad-answer rate instead. It needs both a chart signal and the minimum n in its window.

A rule is "active" while its condition holds, and "settled" once a chart's statistic is back
well under its limit; alerts.lifecycle turns signals into incidents.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from metrics.alerts.models import Rule
from metrics.config import Settings
from metrics.facts.values import SCALES
from metrics.stats import estimates
from metrics.stats.charts import (
    Baseline,
    ChartResult,
    Day,
    Method,
    bernoulli_cusum,
    shift_cusum,
)

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
    # Back in control: inactive, and a chart's statistic below `incident_release_share` of its
    # limit. Between the two a live incident neither counts a clear day nor escalates.
    settled: bool = True


def estimate(metric: str, day: Day) -> estimates.Estimate:
    """The metric's estimate from summed daily figures (see charts.Day)."""
    if metric == "nps":
        promoters = round((day.total_sq / 1e4 + day.total / 100) / 2)
        return estimates.nps(promoters, day.bad, day.n)
    if metric == "csat":
        return estimates.wilson(day.n - day.bad, day.n)
    return estimates.mean(day.total, day.total_sq, day.n, scale=SCALES[metric])


def total(days: list[Day]) -> Day:
    n, sums, squares, bad = 0, 0.0, 0.0, 0
    for day in days:  # one pass: evaluation sums some 200 days per metric each time
        n, sums, squares, bad = n + day.n, sums + day.total, squares + day.total_sq, bad + day.bad
    return Day(n=n, total=sums, total_sq=squares, bad=bad)


_NONE = Day(0, 0, 0, 0)


def _span(days: Mapping[date, Day], first: date, last: date) -> list[Day]:
    start = first.toordinal()
    return [days.get(date.fromordinal(o), _NONE) for o in range(start, last.toordinal() + 1)]


def evaluate(
    metric: str,
    days: Mapping[date, Day],
    *,
    today: date,
    target: Target | None,
    settings: Settings,
    baseline_until: date | None = None,
    skip: tuple[date, date] | None = None,
) -> list[Signal]:
    """The metric's signals on `today`. `baseline_until`: the first day after a frozen baseline
    (an incident's); None: the baseline ends where the window begins. `skip`: days (first and
    last) the baseline leaves out, a closed incident's."""
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
    signals.append(
        _degradation(
            metric,
            days,
            today=today,
            minimum=minimum,
            settings=settings,
            baseline_until=baseline_until,
            skip=skip,
        )
    )
    return signals


def _degradation(
    metric: str,
    days: Mapping[date, Day],
    *,
    today: date,
    minimum: int,
    settings: Settings,
    baseline_until: date | None,
    skip: tuple[date, date] | None,
) -> Signal:
    last = today - timedelta(days=1)
    window_start = today - timedelta(days=settings.alert_window_days)
    baseline_end = min(baseline_until or window_start, window_start)
    baseline_start = baseline_end - timedelta(days=settings.alert_baseline_days)
    window = _span(days, window_start, last)
    summed = total(window)
    score = estimate(metric, summed)
    history = _span(days, baseline_start, baseline_end - timedelta(days=1))
    if skip is not None:
        skip_first, skip_last = (d.toordinal() - baseline_start.toordinal() for d in skip)
        history = [d for i, d in enumerate(history) if not skip_first <= i <= skip_last]
    # Answers a day over the baseline days since the touchpoint's first answer in it, so a young
    # touchpoint is not taken for a quiet one.
    since_first = len(history) - next((i for i, d in enumerate(history) if d.n), len(history))
    baseline = Baseline.of(history, span_days=since_first)
    chart: ChartResult | None = None
    if baseline is not None and baseline.n >= minimum:
        if baseline.per_day < settings.low_volume_per_day:
            chart = bernoulli_cusum(
                window, baseline, odds_ratio=settings.cusum_odds_ratio, h=settings.cusum_threshold
            )
        else:
            chart = shift_cusum(
                window,
                baseline,
                shift_se=settings.shift_cusum_se,
                h=settings.shift_cusum_threshold,
            )
    baseline_score = estimate(metric, total(history))
    return Signal(
        metric,
        Rule.DEGRADATION,
        active=chart is not None and chart.signal and summed.n >= minimum,
        settled=chart is None
        or chart.statistic < chart.limit * settings.incident_release_share
        or summed.n < minimum,
        evidence={
            "window": {"from": window_start.isoformat(), "to": last.isoformat()},
            "n": summed.n,
            "value": score.value,
            "low": score.low,
            "high": score.high,
            "min_responses": minimum,
            "baseline": {
                "from": baseline_start.isoformat(),
                "to": (baseline_end - timedelta(days=1)).isoformat(),
                "frozen": baseline_until is not None,
                "skipped": {"from": skip[0].isoformat(), "to": skip[1].isoformat()}
                if skip
                else None,
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


STANDARD = "standard"  # a standard breach's "metric": the touchpoint's indicator


def standard_signal(
    met: int, missed: int, *, indicator: Mapping[str, Any], window: tuple[date, date], minimum: int
) -> Signal:
    """The touchpoint's experience standard over the alert window (docs/observed.md): breached
    when, with at least `minimum` occasions, the whole 95 % interval of its compliance lies
    below the objective, as a target breach is judged."""
    n = met + missed
    compliance = estimates.wilson(met, n)
    objective = round(float(indicator["objective"]) * 100, 2)
    active = n >= minimum and compliance.high is not None and compliance.high < objective
    evidence = {
        "window": {"from": window[0].isoformat(), "to": window[1].isoformat()},
        "n": n,
        "met": met,
        "missed": missed,
        "value": compliance.value,
        "low": compliance.low,
        "high": compliance.high,
        "min_responses": minimum,
        "objective": objective,
        "indicator": dict(indicator),
    }
    return Signal(STANDARD, Rule.STANDARD_BREACH, active=active, evidence=evidence)
