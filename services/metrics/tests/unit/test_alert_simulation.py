"""How the alert rules behave on simulated touchpoints (docs/metrics.md, "Definitions"): on a
stable touchpoint (NPS 30, 50 responses a day) fewer than one false alert a year; after a 10-point drop, an alert
within 14 days on average."""

from datetime import date, timedelta

import numpy as np

from metrics.alerts.models import Rule
from metrics.alerts.rules import evaluate
from metrics.config import Settings
from metrics.stats.charts import Day

SETTINGS = Settings()
START = date(2025, 1, 1)
WARM_UP = SETTINGS.alert_window_days + SETTINGS.alert_baseline_days


def simulated_day(rng, promoters: float, detractors: float, n: int = 50) -> Day:
    p, _, d = rng.multinomial(n, [promoters, 1 - promoters - detractors, detractors])
    return Day(n=n, total=100.0 * (p - d), total_sq=1e4 * (p + d), bad=int(d))


def alerts_opened(days: dict[date, Day], first: date, last: date) -> list[date]:
    """Evaluates each day once it is complete; returns the days whose figures opened an alert."""
    opened, active = [], False
    day = first
    while day <= last:
        signals = evaluate("nps", days, today=day + timedelta(1), target=None, settings=SETTINGS)
        now = any(s.active for s in signals if s.rule == Rule.DEGRADATION)
        if now and not active:
            opened.append(day)
        active = now
        day += timedelta(days=1)
    return opened


def test_a_stable_touchpoint_raises_fewer_than_one_false_alert_a_year():
    rng = np.random.default_rng(2026)
    years = 30  # enough years that the rate is measured, not guessed (about 0.5 expected)
    total_days = WARM_UP + 365 * years
    days = {START + timedelta(i): simulated_day(rng, 0.5, 0.2) for i in range(total_days)}
    opened = alerts_opened(days, START + timedelta(WARM_UP), START + timedelta(total_days - 1))
    print("false alerts a year", len(opened) / years)
    assert len(opened) / years < 1, opened


def test_a_ten_point_drop_is_alerted_within_fourteen_days_on_average():
    rng = np.random.default_rng(7)
    delays = []
    for _ in range(100):
        drop = START + timedelta(WARM_UP)
        days = {START + timedelta(i): simulated_day(rng, 0.5, 0.2) for i in range(WARM_UP)}
        days |= {drop + timedelta(i): simulated_day(rng, 0.45, 0.25) for i in range(90)}
        opened = alerts_opened(days, drop, drop + timedelta(89))
        # Days of degraded answers up to and including the day whose figures opened the alert.
        delays.append((opened[0] - drop).days + 1 if opened else 90)
    print("mean delay", np.mean(delays), "median", np.median(delays))
    assert np.mean(delays) < 14, delays
