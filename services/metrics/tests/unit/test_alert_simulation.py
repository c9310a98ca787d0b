"""How incidents behave on simulated touchpoints (docs/metrics.md, "Incidents and detection"),
through the same `assess` and `after` that production's evaluation runs, one evaluation a day
once the day is complete:

- a stable touchpoint (NPS 30) opens fewer than one false incident a year (ARL0 >= 365 days);
- a persistent drop opens an incident within 10 days on average and 21 at the 90th percentile;
- a persistent drop opens at most 1.1 incidents (openings and reopenings) while it lasts.

At 50 answers a day with a 10-point drop, and at 10 answers a day with a 20-point drop. At 10
answers a day a 20-point drop carries less evidence a day (about 0.33 nats against 0.41), and
its mean delay lay between 10.1 and 11.3 days over runs of 150 drops: there it is held to 12
days on average and 24 at the 90th percentile. Seeded: the figures are measured, and the same on
every run."""

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pytest

from metrics.alerts.lifecycle import Action, Track, after, assess
from metrics.config import Settings
from metrics.stats.charts import Day

SETTINGS = Settings()
START = date(2025, 1, 1)
WARM_UP = SETTINGS.alert_window_days + SETTINGS.alert_baseline_days
DROP_DAYS = 90  # how long each simulated drop lasts
DROPS = 60  # simulated drops per case
YEARS = 25  # stable years per case


def simulated_days(rng, n: int, nps: float, count: int) -> list[Day]:
    """`count` days of `n` NPS answers, 30% passives, promoters and detractors around `nps`."""
    promoters = 0.35 + nps / 200
    detractors = promoters - nps / 100
    counts = rng.multinomial(n, [promoters, 1 - promoters - detractors, detractors], size=count)
    return [Day(n, 100.0 * int(p - d), 1e4 * int(p + d), int(d)) for p, _, d in counts]


@dataclass
class Run:
    opened: list[int]  # the days (from the first evaluated) whose figures opened an incident
    openings: int  # opened and reopened


def run(days: list[Day], first: int) -> Run:
    """Evaluates each complete day from index `first` on, as production does at midnight."""
    by_date = {START + timedelta(i): d for i, d in enumerate(days)}
    track: Track | None = None
    opened, openings = [], 0
    for i in range(first, len(days)):
        today = START + timedelta(i + 1)
        decision = assess({"nps": by_date}, track, targets={}, today=today, settings=SETTINGS)
        if decision.action == Action.OPEN:
            opened.append(i - first)
        openings += decision.action in (Action.OPEN, Action.REOPEN)
        track = after(track, decision, today)
    return Run(opened, openings)


CASES = [(50, 10.0), (10, 20.0)]
# Per case: the largest mean and 90th-percentile delay allowed.
DELAY = {50: (10, 21), 10: (12, 24)}


@pytest.mark.parametrize(("per_day", "drop"), CASES)
def test_a_stable_touchpoint_opens_fewer_than_one_false_incident_a_year(per_day, drop):
    rng = np.random.default_rng(2026 + per_day)
    days = simulated_days(rng, per_day, 30, WARM_UP + 365 * YEARS)
    result = run(days, WARM_UP)
    print(
        f"{per_day}/day: false incidents a year {len(result.opened) / YEARS:.2f}, "
        f"openings a year {result.openings / YEARS:.2f}"
    )
    assert len(result.opened) / YEARS < 1, result.opened


@pytest.mark.parametrize(("per_day", "drop"), CASES)
def test_a_persistent_drop_opens_one_incident_soon(per_day, drop):
    rng = np.random.default_rng(7 + per_day)
    delays, openings = [], []
    for _ in range(DROPS):
        days = simulated_days(rng, per_day, 30, WARM_UP)
        days += simulated_days(rng, per_day, 30 - drop, DROP_DAYS)
        result = run(days, WARM_UP)
        # Days of degraded answers up to and including the day whose figures opened it.
        delays.append(result.opened[0] + 1 if result.opened else DROP_DAYS)
        openings.append(result.openings)
    mean, p90 = float(np.mean(delays)), float(np.percentile(delays, 90))
    per_drop = float(np.mean(openings))
    print(
        f"{per_day}/day, {drop:g}-point drop: delay mean {mean:.1f} median "
        f"{np.median(delays):g} p90 {p90:g} max {max(delays)}; openings per drop {per_drop:.2f}"
    )
    most_mean, most_p90 = DELAY[per_day]
    assert mean <= most_mean, delays
    assert p90 <= most_p90, delays
    assert per_drop <= 1.1, openings


def test_a_drop_that_lasts_keeps_one_incident_and_a_fix_closes_it():
    """A drop of a year never leaks into the frozen baseline: one incident all along. Once the
    score is back, the incident closes itself, and does not reopen."""
    rng = np.random.default_rng(11)
    days = simulated_days(rng, 50, 30, WARM_UP)
    days += simulated_days(rng, 50, 20, 365)
    days += simulated_days(rng, 50, 30, 90)
    by_date = {START + timedelta(i): d for i, d in enumerate(days)}
    track: Track | None = None
    actions = []
    for i in range(WARM_UP, len(days)):
        today = START + timedelta(i + 1)
        decision = assess({"nps": by_date}, track, targets={}, today=today, settings=SETTINGS)
        if decision.action not in (Action.NONE, Action.KEEP):
            actions.append((i - WARM_UP, decision.action))
        track = after(track, decision, today)
    print("actions (day of the drop, action):", actions)
    [(opened_on, opened), (closed_on, closed)] = actions
    assert (opened, closed) == (Action.OPEN, Action.RESOLVE)
    assert opened_on < 21
    # Closed after the fix: within the window and the clear days of the score coming back.
    fixed_on = 365
    assert fixed_on < closed_on <= fixed_on + SETTINGS.alert_window_days + 21
