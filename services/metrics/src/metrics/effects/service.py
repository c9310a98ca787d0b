"""The effect of a shipped action (docs/metrics.md, "Effect of a shipped action"): the action's
touchpoints in equal windows before and after the ship date, a settling gap left out; the
change with its interval and p-value; the difference-in-differences against the journey's
untouched touchpoints, so that a season or a campaign that moved the whole journey is not
credited to the action; Benjamini-Hochberg across the metrics tested. Read from the daily
rollups only."""

import math
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from metrics.dimension.models import TouchpointDim
from metrics.effects.schemas import EffectRead, MetricEffect, Shift, Side, Verdict, Windows
from metrics.facts.models import DailyRollup
from metrics.scores import service as scores
from metrics.scores.schemas import Score
from metrics.scores.service import EMPTY, Filters, Sums
from metrics.stats import compare
from metrics.stats.estimates import (
    Z_95,
    adjusted_nps,
    mean_and_sd,
    reaching,
    two_sided_normal,
)

METRICS = ("nps", "csat", "ces")
NAMES = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}
UNITS = {"nps": "points", "csat": "points", "ces": "points on 1-7"}


@dataclass(frozen=True)
class Query:
    journey_id: str
    touchpoint_ids: list[str]
    shipped_on: date
    window_days: int
    settle_days: int
    min_responses: int
    today: date


def _moved_by(day: date, days: int) -> date:
    """`day` moved by `days`, held within the calendar (a ship date in year 1 has no before)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.min if days < 0 else date.max


def windows(query: Query) -> Windows:
    after_from = _moved_by(query.shipped_on, query.settle_days)
    after_to = _moved_by(after_from, query.window_days - 1)
    return Windows(
        before_from=_moved_by(query.shipped_on, -query.window_days),
        before_to=_moved_by(query.shipped_on, -1),
        after_from=after_from,
        after_to=after_to,
        complete=after_to < query.today,
    )


def _sums_by_touchpoint(
    session: Session, journey_id: str, start: date, end: date
) -> dict[str, Sums]:
    found = scores.grouped_sums(
        session,
        Filters(start=start, end=end, journey_id=journey_id),
        [DailyRollup.touchpoint_id],
    )
    return {key[0]: sums for key, sums in found.items() if key and key[0]}


def _total(by_touchpoint: dict[str, Sums], ids: set[str]) -> Sums:
    total = dict(EMPTY)
    for touchpoint, sums in by_touchpoint.items():
        if touchpoint in ids:
            total = scores.add(total, sums)
    return total


@dataclass(frozen=True)
class Moved:
    """A change as the difference-in-differences needs it: the plain difference, the centre
    of its interval (the adjusted one for NPS) and its standard error."""

    plain: float
    centre: float
    se: float


def _moved(metric: str, before: Sums, after: Sums) -> Moved | None:
    if metric == "nps":
        counts = [
            (int(s["promoters"]), int(s["detractors"]), int(s["nps_n"])) for s in (before, after)
        ]
        if min(c[2] for c in counts) <= 0:
            return None
        a, b = adjusted_nps(*counts[0]), adjusted_nps(*counts[1])
        plain = 100 * sum(
            sign * (p - d) / n for sign, (p, d, n) in zip((-1, 1), counts, strict=True)
        )
        se = 100 * math.sqrt(a.variance / a.n + b.variance / b.n)
        return Moved(plain, 100 * (b.score - a.score), se)
    if metric == "csat":
        pairs = [(s["csat_top2"], s["csat_n"]) for s in (before, after)]
        if min(n for _, n in pairs) <= 0:
            return None
        plain = 100 * (pairs[1][0] / pairs[1][1] - pairs[0][0] / pairs[0][1])
        # Agresti-Caffo: a success and a failure added to each side, so that a unanimous
        # period does not claim a variance of zero.
        shrunk = [((x + 1) / (n + 2), n + 2) for x, n in pairs]
        se = 100 * math.sqrt(sum(p * (1 - p) / n for p, n in shrunk))
        return Moved(plain, plain, se)
    sides = [(s["ces_sum"], s["ces_sum_sq"], int(s["ces_n"])) for s in (before, after)]
    if min(n for *_, n in sides) < 2:
        return None
    (m1, s1), (m2, s2) = (mean_and_sd(*side) for side in sides)
    se = math.sqrt(s1 * s1 / sides[0][2] + s2 * s2 / sides[1][2])
    return Moved(m2 - m1, m2 - m1, se)


def did(metric: str, changed: tuple[Sums, Sums], untouched: tuple[Sums, Sums]) -> Shift | None:
    """The touchpoints' change less the untouched ones' (independent samples: the variances
    add); its interval centred as each change's is, and widened to reach the plain estimate."""
    a, b = _moved(metric, *changed), _moved(metric, *untouched)
    if a is None or b is None:
        return None
    plain, centre = a.plain - b.plain, a.centre - b.centre
    se = math.hypot(a.se, b.se)
    if se == 0:
        return Shift(difference=plain, low=plain, high=plain, p_value=1.0 if plain == 0 else 0.0)
    low, high = reaching(plain, centre - Z_95 * se, centre + Z_95 * se)
    # erfc of the tail itself: 2 * (1 - cdf) rounds every p below 1e-16 to zero.
    p_value = two_sided_normal(centre / se)
    return Shift(difference=plain, low=low, high=high, p_value=p_value)


def _side(metric: str, before: Sums, after: Sums, minimum: int) -> Side:
    moved = scores.difference(metric, before, after)
    return Side(
        before=Score(**scores.score_fields(metric, before, minimum=minimum)),
        after=Score(**scores.score_fields(metric, after, minimum=minimum)),
        change=Shift(**vars(moved)),
    )


def effect(session: Session, query: Query) -> EffectRead:
    span = windows(query)
    after_to = min(span.after_to, query.today)  # too early: the part of the window so far
    before = _sums_by_touchpoint(session, query.journey_id, span.before_from, span.before_to)
    after = _sums_by_touchpoint(session, query.journey_id, span.after_from, after_to)
    changed_ids = set(query.touchpoint_ids)
    others = set(
        session.exec(
            select(TouchpointDim.id).where(
                TouchpointDim.journey_id == query.journey_id,
                col(TouchpointDim.id).not_in(changed_ids),
            )
        ).all()
    )
    untouched_ids = {t for t in others if t in before or t in after}
    rows = []
    for metric in METRICS:
        changed = (_total(before, changed_ids), _total(after, changed_ids))
        untouched = (_total(before, untouched_ids), _total(after, untouched_ids))
        side = _side(metric, *changed, query.min_responses)
        if side.before.n == 0 and side.after.n == 0:
            continue
        enough = not side.before.too_few and not side.after.too_few
        compared = None
        if untouched_ids:
            compared = _side(metric, *untouched, query.min_responses)
            if compared.before.n == 0 and compared.after.n == 0:
                compared = None
        shift = did(metric, changed, untouched) if compared is not None else None
        compared_enough = compared is not None and not (
            compared.before.too_few or compared.after.too_few
        )
        if not enough:
            tested, p_value = "none", None
        elif compared_enough and shift is not None:
            tested, p_value = "difference_in_differences", shift.p_value
        else:
            tested, p_value = "before_after", side.change.p_value
        rows.append((metric, side, compared, shift, tested, p_value))
    adjusted = compare.benjamini_hochberg([p for *_, p in rows])
    effects = []
    for (metric, side, compared, shift, tested, _), p_adj in zip(rows, adjusted, strict=True):
        decided = shift if tested == "difference_in_differences" else side.change
        significant = p_adj is not None and p_adj < 0.05 and decided is not None
        direction = None
        if significant and decided is not None and decided.difference is not None:
            direction = "better" if decided.difference > 0 else "worse"
        effects.append(
            MetricEffect(
                metric=metric,
                changed=side,
                untouched=compared,
                difference_in_differences=shift,
                tested=tested,
                p_adjusted=p_adj,
                significant=significant,
                direction=direction,
            )
        )
    verdict, reason = _verdict(span, effects)
    return EffectRead(
        journey_id=query.journey_id,
        touchpoint_ids=query.touchpoint_ids,
        untouched_touchpoints=len(untouched_ids),
        shipped_on=query.shipped_on,
        windows=span,
        verdict=verdict,
        reason=reason,
        metrics=effects,
    )


def _verdict(span: Windows, effects: list[MetricEffect]) -> tuple[Verdict, str]:
    if not span.complete:
        return Verdict.TOO_EARLY, (
            f"The after window runs to {span.after_to.isoformat()}: figures so far only."
        )
    tested = [e for e in effects if e.tested != "none"]
    if not tested:
        return Verdict.NOT_ENOUGH_DATA, (
            "Too few answers before or after the ship date at these touchpoints to test."
        )
    found = [e for e in tested if e.significant]
    if not found:
        names = ", ".join(NAMES[e.metric] for e in tested)
        return Verdict.NO_EFFECT, f"No change beyond chance in {names}."
    said = "; ".join(_said(e) for e in found)
    directions = {e.direction for e in found}
    if directions == {"better"}:
        return Verdict.IMPROVED, said
    if directions == {"worse"}:
        return Verdict.WORSE, said
    return Verdict.MIXED, said


def _said(e: MetricEffect) -> str:
    shift = (
        e.difference_in_differences if e.tested == "difference_in_differences" else e.changed.change
    )
    assert shift is not None and shift.difference is not None
    moved = "rose" if shift.difference > 0 else "fell"
    than = (
        " more than on the journey's untouched touchpoints"
        if e.tested == "difference_in_differences"
        else ""
    )
    if e.tested == "difference_in_differences" and shift.difference < 0:
        than = " more than on the journey's untouched touchpoints"
    p = "adjusted p < 0.001" if (e.p_adjusted or 0) < 0.001 else f"adjusted p = {e.p_adjusted:.3f}"
    return (
        f"{NAMES[e.metric]} {moved} {abs(shift.difference):.1f} {UNITS[e.metric]} "
        f"(95% {shift.low:.1f} to {shift.high:.1f}){than} ({p})"
    )
