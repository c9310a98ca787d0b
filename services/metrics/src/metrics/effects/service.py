"""The effect of a shipped action (docs/metrics.md, "Effect of a shipped action"): the action's
touchpoints in equal windows before and after the ship date, a settling gap left out; the
change with its interval and p-value; the difference-in-differences against the journey's
untouched touchpoints, so that a season or a campaign that moved the whole journey is not
credited to the action; Benjamini-Hochberg across the metrics tested. Scores are read from
the daily rollups, standards compliance from the observed `std` rollups, churn from the facts
of the customers who answered and their outcomes.

Each shipped action's effect is also stored (the `action.*` events keep a read model of the
actions): measured again each day until its after window is over, then frozen."""

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from cxshared.db import write_session
from cxshared.pagination import PageParams, paginate
from cxshared.problems import Problem
from metrics.customers.models import Customer
from metrics.dimension.models import TouchpointDim
from metrics.effects.models import ActionEffect
from metrics.effects.schemas import (
    ActionEffectRead,
    EffectRead,
    MetricEffect,
    Shift,
    Side,
    Verdict,
    Windows,
)
from metrics.facts.models import DailyRollup, ResponseFact
from metrics.observed.figures import occasions_by_touchpoint
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
    wilson,
)

METRICS = ("nps", "csat", "ces")
NAMES = {
    "nps": "NPS",
    "csat": "CSAT",
    "ces": "CES",
    "compliance": "Standards compliance",
    "churn": "Churn",
}
UNITS = {
    "nps": "points",
    "csat": "points",
    "ces": "points on 1-7",
    "compliance": "points",
    "churn": "points",
}
LOWER_IS_BETTER = {"churn"}
# What the stored effects are measured with: the defaults of GET /v1/effects.
WINDOW_DAYS, SETTLE_DAYS = 28, 7
Pair = tuple[int, int]  # (successes, n) of a share
T = TypeVar("T")


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
        return _share_moved(
            (int(before["csat_top2"]), int(before["csat_n"])),
            (int(after["csat_top2"]), int(after["csat_n"])),
        )
    sides = [(s["ces_sum"], s["ces_sum_sq"], int(s["ces_n"])) for s in (before, after)]
    if min(n for *_, n in sides) < 2:
        return None
    (m1, s1), (m2, s2) = (mean_and_sd(*side) for side in sides)
    se = math.sqrt(s1 * s1 / sides[0][2] + s2 * s2 / sides[1][2])
    return Moved(m2 - m1, m2 - m1, se)


def _share_moved(before: Pair, after: Pair) -> Moved | None:
    if min(before[1], after[1]) <= 0:
        return None
    plain = 100 * (after[0] / after[1] - before[0] / before[1])
    # Agresti-Caffo: a success and a failure added to each side, so that a unanimous
    # period does not claim a variance of zero.
    shrunk = [((x + 1) / (n + 2), n + 2) for x, n in (before, after)]
    se = 100 * math.sqrt(sum(p * (1 - p) / n for p, n in shrunk))
    return Moved(plain, plain, se)


def did(a: Moved | None, b: Moved | None) -> Shift | None:
    """The touchpoints' change `a` less the untouched ones' `b` (independent samples: the
    variances add); its interval centred as each change's is, and widened to reach the plain
    estimate."""
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


def _share(pair: Pair, minimum: int, counted: str) -> Score:
    found = wilson(*pair)
    return Score(
        value=found.value,
        low=found.low,
        high=found.high,
        n=pair[1],
        too_few=pair[1] < minimum,
        min_responses=minimum,
        details={counted: pair[0]},
    )


def _share_side(metric: str, before: Pair, after: Pair, minimum: int) -> Side:
    counted = "met" if metric == "compliance" else "churned"
    moved = compare.proportion_difference(before, after)
    return Side(
        before=_share(before, minimum, counted),
        after=_share(after, minimum, counted),
        change=Shift(**vars(moved)),
    )


@dataclass(frozen=True)
class Measured:
    """One metric's figures before the test is chosen."""

    metric: str
    changed: Side
    untouched: Side | None
    shift: Shift | None


def _empty(side: Side | None) -> bool:
    return side is None or (side.before.n == 0 and side.after.n == 0)


def _measured(
    metric: str,
    changed: tuple[T, T],
    untouched: tuple[T, T] | None,
    minimum: int,
    *,
    side_of: Callable[[str, T, T, int], Side],
    moved_of: Callable[[str, T, T], Moved | None],
) -> Measured | None:
    """The metric at the changed touchpoints, at the untouched ones when there are any, and
    the difference-in-differences when both have figures; None without figures at all."""
    side = side_of(metric, *changed, minimum)
    if _empty(side):
        return None
    if untouched is None:
        return Measured(metric, side, None, None)
    compared = side_of(metric, *untouched, minimum)
    if _empty(compared):
        return Measured(metric, side, None, None)
    shift = did(moved_of(metric, *changed), moved_of(metric, *untouched))
    return Measured(metric, side, compared, shift)


def _from_rollups(
    metric: str, changed: tuple[Sums, Sums], untouched: tuple[Sums, Sums] | None, minimum: int
) -> Measured | None:
    return _measured(metric, changed, untouched, minimum, side_of=_side, moved_of=_moved)


def _from_shares(
    metric: str, changed: tuple[Pair, Pair], untouched: tuple[Pair, Pair] | None, minimum: int
) -> Measured | None:
    return _measured(
        metric,
        changed,
        untouched,
        minimum,
        side_of=_share_side,
        moved_of=lambda _, before, after: _share_moved(before, after),
    )


def _occasions(found: dict[str, Pair], ids: set[str]) -> Pair:
    """(met, all) occasions of the touchpoints `ids` together."""
    met = sum(found[t][0] for t in ids if t in found)
    return met, met + sum(found[t][1] for t in ids if t in found)


def _compliance(
    session: Session, query: Query, span: Windows, after_to: date, changed_ids: set[str]
) -> Measured | None:
    before = occasions_by_touchpoint(session, query.journey_id, span.before_from, span.before_to)
    after = occasions_by_touchpoint(session, query.journey_id, span.after_from, after_to)
    untouched_ids = (set(before) | set(after)) - changed_ids
    changed = (_occasions(before, changed_ids), _occasions(after, changed_ids))
    untouched = (
        (_occasions(before, untouched_ids), _occasions(after, untouched_ids))
        if untouched_ids
        else None
    )
    return _from_shares("compliance", changed, untouched, query.min_responses)


def _churned(session: Session, touchpoint_ids: set[str], start: date, end: date) -> Pair:
    """(churned, customers) of the customers with a known outcome who answered at the
    touchpoints on the days start to end and were still customers on their first answer
    then: churned when their churn date is on or before `end`."""
    if not touchpoint_ids:
        return 0, 0
    F = ResponseFact
    rows = session.execute(
        select(func.min(col(F.day)), col(Customer.churn_date))
        .join(Customer, col(Customer.external_id) == col(F.respondent_id))
        .where(
            col(F.touchpoint_id).in_(touchpoint_ids),
            col(F.day) >= start,
            col(F.day) <= end,
            col(F.flagged).is_(False),
        )
        .group_by(col(F.respondent_id), col(Customer.churn_date))
    ).all()
    customers = gone = 0
    for first, churn_date in rows:
        if churn_date is not None and churn_date < first:
            continue  # had left before answering: not a customer the change could keep
        customers += 1
        gone += churn_date is not None and churn_date <= end
    return gone, customers


def _churn(
    session: Session, query: Query, span: Windows, after_to: date, changed_ids: set[str]
) -> Measured | None:
    changed = (
        _churned(session, changed_ids, span.before_from, span.before_to),
        _churned(session, changed_ids, span.after_from, after_to),
    )
    return _from_shares("churn", changed, None, query.min_responses)


def _tested(measured: Measured) -> tuple[str, float | None]:
    side, compared, shift = measured.changed, measured.untouched, measured.shift
    enough = not side.before.too_few and not side.after.too_few
    compared_enough = compared is not None and not (
        compared.before.too_few or compared.after.too_few
    )
    if not enough:
        return "none", None
    if compared_enough and shift is not None:
        return "difference_in_differences", shift.p_value
    return "before_after", side.change.p_value


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
    found = [
        _from_rollups(
            metric,
            (_total(before, changed_ids), _total(after, changed_ids)),
            (_total(before, untouched_ids), _total(after, untouched_ids))
            if untouched_ids
            else None,
            query.min_responses,
        )
        for metric in METRICS
    ]
    found.append(_compliance(session, query, span, after_to, changed_ids))
    found.append(_churn(session, query, span, after_to, changed_ids))
    rows = [(m, *_tested(m)) for m in found if m is not None]
    adjusted = compare.benjamini_hochberg([p for *_, p in rows])
    effects = []
    for (measured, tested, _), p_adj in zip(rows, adjusted, strict=True):
        shift = measured.shift
        decided = shift if tested == "difference_in_differences" else measured.changed.change
        significant = p_adj is not None and p_adj < 0.05 and decided is not None
        direction = None
        if significant and decided is not None and decided.difference is not None:
            rose = decided.difference > 0
            better = not rose if measured.metric in LOWER_IS_BETTER else rose
            direction = "better" if better else "worse"
        effects.append(
            MetricEffect(
                metric=measured.metric,
                changed=measured.changed,
                untouched=measured.untouched,
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


# --- stored effects of shipped actions -------------------------------------------------------


@dataclass(frozen=True)
class ActionEvent:
    """What an `action.*` event says of the action."""

    action_id: str
    version: int
    journey_id: str
    title: str
    state: str
    touchpoint_ids: list[str]
    shipped_on: date | None
    deleted: bool


SHIPPED = "shipped"


def _measure(session: Session, row: ActionEffect, *, today: date, min_responses: int) -> None:
    assert row.shipped_on is not None
    result = effect(
        session,
        Query(
            journey_id=row.journey_id,
            touchpoint_ids=sorted(row.touchpoint_ids),
            shipped_on=row.shipped_on,
            window_days=WINDOW_DAYS,
            settle_days=SETTLE_DAYS,
            min_responses=min_responses,
            today=today,
        ),
    )
    row.result = result.model_dump(mode="json")
    row.verdict = result.verdict
    row.computed_on = today
    # Measured once the after window is over, the effect is final: late answers do not move it.
    row.frozen = result.windows.complete


def _measurable(row: ActionEffect) -> bool:
    return row.state == SHIPPED and row.shipped_on is not None and not row.deleted


def apply_action(session: Session, event: ActionEvent) -> bool:
    """Moves the action's row to the event's version; a change of ship date, touchpoints or
    journey unfreezes its effect, and an action no longer shipped (or deleted) loses it. True
    when the row moved (its effect is then measured again, `measure`); False, and no change,
    for an event not newer than the row."""
    row = session.get(ActionEffect, event.action_id, with_for_update=True)
    if row is not None and row.version >= event.version:
        return False
    if row is None:
        row = ActionEffect(id=event.action_id)
    measured_for = (row.journey_id, row.shipped_on, sorted(row.touchpoint_ids))
    row.version, row.journey_id, row.title = event.version, event.journey_id, event.title
    row.state, row.deleted = event.state, event.deleted
    row.touchpoint_ids, row.shipped_on = list(event.touchpoint_ids), event.shipped_on
    if (row.journey_id, row.shipped_on, sorted(row.touchpoint_ids)) != measured_for:
        row.frozen = False
    if not _measurable(row):
        row.result, row.verdict, row.computed_on, row.frozen = None, None, None, False
    session.add(row)
    return True


def measure(session: Session, action_ids: set[str], *, today: date, min_responses: int) -> None:
    """Measures the effect of each of the actions that is shipped and not frozen."""
    for action_id in sorted(action_ids):
        row = session.get(ActionEffect, action_id)
        if row is not None and _measurable(row) and not row.frozen:
            _measure(session, row, today=today, min_responses=min_responses)
            session.add(row)


def refresh_due(engine: Engine, *, today: date, min_responses: int) -> int:
    """Measures again every shipped action not frozen and not yet measured today, each in its
    own write transaction; returns how many were measured."""
    with Session(engine) as session:
        due = list(
            session.exec(
                select(ActionEffect.id).where(
                    col(ActionEffect.frozen).is_(False),
                    col(ActionEffect.deleted).is_(False),
                    col(ActionEffect.state) == SHIPPED,
                    col(ActionEffect.shipped_on).is_not(None),
                    (col(ActionEffect.computed_on).is_(None))
                    | (col(ActionEffect.computed_on) < today),
                )
            ).all()
        )
    measured = 0
    for action_id in due:
        with write_session(engine) as session:
            row = session.get(ActionEffect, action_id, with_for_update=True)
            # Another replica, or an event, may have measured it since it was listed.
            if row is None or not _measurable(row) or row.frozen:
                continue
            if row.computed_on is not None and row.computed_on >= today:
                continue
            _measure(session, row, today=today, min_responses=min_responses)
            session.add(row)
            measured += 1
    return measured


def read_stored(row: ActionEffect) -> ActionEffectRead:
    assert row.result is not None and row.computed_on is not None
    return ActionEffectRead(
        action_id=row.id,
        journey_id=row.journey_id,
        title=row.title,
        version=row.version,
        frozen=row.frozen,
        computed_on=row.computed_on,
        effect=EffectRead.model_validate(row.result),
    )


def _stored() -> Any:
    return select(ActionEffect).where(
        col(ActionEffect.deleted).is_(False), col(ActionEffect.computed_on).is_not(None)
    )


def get_stored(*, session: Session, action_id: str) -> ActionEffect:
    found = session.exec(_stored().where(col(ActionEffect.id) == action_id)).first()
    if found is None:
        raise Problem(
            404,
            "not-found",
            "Not found",
            f"No shipped action {action_id}: metrics knows of no such action, or it has not "
            "shipped.",
        )
    return found  # type: ignore[no-any-return]


def list_stored(
    *, session: Session, params: PageParams, journey_id: str | None
) -> tuple[list[ActionEffect], str | None]:
    """A page of stored effects, by action id, of one journey or of all."""
    query = _stored()
    if journey_id is not None:
        query = query.where(col(ActionEffect.journey_id) == journey_id)
    return paginate(session, query, order_by=[col(ActionEffect.id)], params=params)


def worse(session: Session, journey_id: str | None) -> list[ActionEffect]:
    """Shipped actions whose frozen effect is `worse`."""
    query = _stored().where(
        col(ActionEffect.frozen).is_(True), col(ActionEffect.verdict) == Verdict.WORSE
    )
    if journey_id is not None:
        query = query.where(col(ActionEffect.journey_id) == journey_id)
    return list(session.exec(query.order_by(col(ActionEffect.id))).all())
