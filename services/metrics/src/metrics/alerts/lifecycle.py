"""An incident's life as a pure function of a touchpoint's daily figures (docs/metrics.md,
"Incidents and detection"): the evaluation of production and the simulation of the test suite
both go through `assess`.

- One incident per touchpoint groups every active signal on it (NPS, CSAT, CES; degradation and
  target breach). It opens with the first signal and freezes the baseline where the window
  then began, so the degraded days never leak into what they are judged against.
- A signal that joins an open incident escalates it.
- It closes itself only after `incident_close_after_days` consecutive evaluated days with every
  signal settled, back well under its limit (hysteresis; evaluations within one day count once:
  the charts judge whole days).
- A signal within `incident_reopen_days` of it closing reopens the same incident, with its
  frozen baseline. After that the baseline slides again but leaves out the closed incident's
  days while they would fall in it, so degraded days never become the norm. (Keeping the frozen
  baseline longer would not do: a false alarm is likelier when the baseline came out high by
  chance, and freezing that baseline raised the false incidents by a third in simulation.)
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from metrics.alerts.rules import METRICS, Signal, Target, evaluate
from metrics.config import Settings
from metrics.stats.charts import Day


class Action(StrEnum):
    NONE = "none"  # no incident, and no signal
    OPEN = "open"
    REOPEN = "reopen"
    ESCALATE = "escalate"  # a signal joined the live incident
    KEEP = "keep"  # the live incident stays as it is
    RESOLVE = "resolve"  # clear long enough: the incident closes itself


@dataclass(frozen=True)
class Track:
    """What evaluation needs of a touchpoint's latest incident."""

    live: bool
    baseline_until: date
    resolved_on: date | None = None
    clear_days: int = 0
    last_day: date | None = None
    keys: frozenset[str] = frozenset()
    skip: tuple[date, date] | None = None  # days its frozen baseline leaves out


@dataclass(frozen=True)
class Decision:
    action: Action
    signals: list[Signal] = field(default_factory=list)  # every signal evaluated
    baseline_until: date | None = None
    clear_days: int = 0
    keys: frozenset[str] = frozenset()  # the signals the incident has seen
    skip: tuple[date, date] | None = None

    @property
    def active(self) -> list[Signal]:
        return [s for s in self.signals if s.active]


def key(signal: Signal) -> str:
    return f"{signal.metric}:{signal.rule}"


def window_start(today: date, settings: Settings) -> date:
    return today - timedelta(days=settings.alert_window_days)


@dataclass(frozen=True)
class BaselineChoice:
    until: date | None  # None: the sliding baseline, ending where the window begins
    skip: tuple[date, date] | None  # days left out of it


def baseline_choice(track: Track | None, today: date, settings: Settings) -> BaselineChoice:
    """The baseline the evaluation uses: the incident's frozen one while it is live or may
    reopen; after that the sliding one, leaving out the closed incident's days (from where its
    window began to its close) while they would fall in it."""
    if track is None:
        return BaselineChoice(None, None)
    if track.live or track.resolved_on is None or reopenable(track, today, settings):
        return BaselineChoice(track.baseline_until, track.skip)
    sliding_start = window_start(today, settings) - timedelta(days=settings.alert_baseline_days)
    if sliding_start <= track.resolved_on:
        return BaselineChoice(None, (track.baseline_until, track.resolved_on))
    return BaselineChoice(None, None)


def reopenable(track: Track | None, today: date, settings: Settings) -> bool:
    return (
        track is not None
        and not track.live
        and track.resolved_on is not None
        and (today - track.resolved_on).days <= settings.incident_reopen_days
    )


def decide(
    track: Track | None,
    signals: list[Signal],
    *,
    today: date,
    settings: Settings,
    baseline: BaselineChoice,
) -> Decision:
    """What the signals of `today`, judged against `baseline`, do to the touchpoint's
    incident."""
    active = frozenset(key(s) for s in signals if s.active)
    if track is not None and track.live:
        if active:
            new = active - track.keys
            return Decision(
                Action.ESCALATE if new else Action.KEEP,
                signals,
                track.baseline_until,
                0,
                track.keys | active,
                track.skip,
            )
        if not all(s.settled for s in signals):  # better, not yet back in control
            return Decision(Action.KEEP, signals, track.baseline_until, 0, track.keys, track.skip)
        clear = track.clear_days + (1 if track.last_day != today else 0)
        action = Action.RESOLVE if clear >= settings.incident_close_after_days else Action.KEEP
        return Decision(action, signals, track.baseline_until, clear, track.keys, track.skip)
    if not active:
        return Decision(Action.NONE, signals)
    if track is not None and reopenable(track, today, settings):
        return Decision(
            Action.REOPEN, signals, track.baseline_until, 0, track.keys | active, track.skip
        )
    frozen = baseline.until or window_start(today, settings)
    return Decision(Action.OPEN, signals, frozen, 0, active, baseline.skip)


def assess(
    figures: Mapping[str, Mapping[date, Day]],
    track: Track | None,
    *,
    targets: Mapping[str, Target],
    today: date,
    settings: Settings,
    also: Sequence[Signal] = (),
) -> Decision:
    """Evaluates every metric with figures or a target against the right baseline, then
    decides. `figures`: per metric, the daily figures from the earliest baseline day to today.
    `also`: signals judged elsewhere (the experience standard's)."""
    baseline = baseline_choice(track, today, settings)
    signals: list[Signal] = list(also)
    for metric in METRICS:
        days = figures.get(metric) or {}
        if days or metric in targets:
            signals += evaluate(
                metric,
                days,
                today=today,
                target=targets.get(metric),
                settings=settings,
                baseline_until=baseline.until,
                skip=baseline.skip,
            )
    return decide(track, signals, today=today, settings=settings, baseline=baseline)


def first_day(track: Track | None, today: date, settings: Settings) -> date:
    """The earliest day `assess` reads on `today`."""
    end = baseline_choice(track, today, settings).until or window_start(today, settings)
    return min(end, window_start(today, settings)) - timedelta(days=settings.alert_baseline_days)


def after(track: Track | None, decision: Decision, today: date) -> Track | None:
    """The touchpoint's incident once `decision` is applied on `today`."""
    if decision.action == Action.NONE or decision.baseline_until is None:
        return track
    if decision.action == Action.RESOLVE:
        return Track(
            live=False,
            baseline_until=decision.baseline_until,
            resolved_on=today,
            clear_days=decision.clear_days,
            last_day=today,
            keys=decision.keys,
            skip=decision.skip,
        )
    return Track(
        live=True,
        baseline_until=decision.baseline_until,
        clear_days=decision.clear_days,
        last_day=today,
        keys=decision.keys,
        skip=decision.skip,
    )
