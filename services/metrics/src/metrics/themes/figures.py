"""Figures per theme over a period (docs/metrics.md, "Comment themes"): volume, share of the
journey's comments and its trend, share of detractors, mean sentiment, the touchpoints it
appears at, and its NPS impact. Theme counts are summed in SQL over the theme's comments; the
journey's totals come from the rollups, like every score."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, func, select
from sqlmodel import Session, col

from metrics.dimension.models import TouchpointDim
from metrics.facts.models import DailyRollup, ResponseFact
from metrics.scores import service as scores
from metrics.stats import compare, estimates
from metrics.themes.models import CommentTheme, Theme
from metrics.themes.schemas import (
    ThemeEstimate,
    ThemeFigures,
    ThemeFiguresList,
    ThemeImpact,
    ThemeTouchpoint,
    ThemeTrend,
)

F = ResponseFact
C = CommentTheme


@dataclass
class Counts:
    """A theme's sums at one touchpoint, in the period and in the period before it."""

    comments: int = 0
    previous: int = 0
    nps_n: int = 0
    detractors: int = 0
    sentiment_sum: float = 0.0
    sentiment_sq: float = 0.0

    def add(self, other: "Counts") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Nps:
    n: int = 0
    promoters: int = 0
    detractors: int = 0


@dataclass
class Totals:
    comments: int = 0
    previous: int = 0
    nps: dict[str, Nps] = field(default_factory=dict)

    def journey_nps(self) -> Nps:
        total = Nps()
        for nps in self.nps.values():
            total.n += nps.n
            total.promoters += nps.promoters
            total.detractors += nps.detractors
        return total


def interval(e: estimates.Estimate) -> ThemeEstimate:
    return ThemeEstimate(value=e.value, low=e.low, high=e.high, n=e.n)


def impact(nps: Nps, theme_detractors: int, min_responses: int) -> ThemeImpact:
    """NPS points the scope gains if the theme's detractors were passives: n stays, D drops by
    k, so the gain is 100 k / n; its interval is Wilson's for k of n."""
    if nps.n <= 0:
        return ThemeImpact(
            points=interval(estimates.Estimate.empty()),
            nps=None,
            nps_without=None,
            detractors=theme_detractors,
            too_few_responses=True,
        )
    return ThemeImpact(
        points=interval(estimates.wilson(theme_detractors, nps.n)),
        nps=100 * (nps.promoters - nps.detractors) / nps.n,
        nps_without=100 * (nps.promoters - nps.detractors + theme_detractors) / nps.n,
        detractors=theme_detractors,
        too_few_responses=nps.n < min_responses,
    )


def _theme_counts(
    session: Session, touchpoints: list[str], start: date, end: date, before: date
) -> dict[str, dict[str, Counts]]:
    current = col(F.day) >= start
    in_period = and_(current, col(F.nps).is_not(None))
    query = (
        select(
            col(C.theme_id),
            col(F.touchpoint_id),
            func.sum(case((current, 1), else_=0)),
            func.sum(case((current, 0), else_=1)),
            func.sum(case((in_period, 1), else_=0)),
            func.sum(case((and_(in_period, col(F.nps) <= 6), 1), else_=0)),
            func.sum(case((current, F.sentiment), else_=0.0)),
            func.sum(case((current, col(F.sentiment) * col(F.sentiment)), else_=0.0)),
        )
        .join(F, col(F.response_id) == col(C.response_id))
        .where(
            col(F.touchpoint_id).in_(touchpoints),
            col(F.day).between(before, end),
            col(F.flagged).is_(False),
            col(F.comment).is_not(None),
        )
        .group_by(col(C.theme_id), col(F.touchpoint_id))
    )
    found: dict[str, dict[str, Counts]] = {}
    for theme_id, touchpoint_id, *sums in session.execute(query).all():
        n, previous, nps_n, detractors, s, s2 = sums
        found.setdefault(theme_id, {})[touchpoint_id] = Counts(
            int(n or 0), int(previous or 0), int(nps_n or 0), int(detractors or 0),
            float(s or 0), float(s2 or 0),
        )  # fmt: skip
    return found


def _totals(session: Session, journey_id: str, start: date, end: date, before: date) -> Totals:
    filters = scores.Filters(start=start, end=end, journey_id=journey_id)
    totals = Totals()
    for (touchpoint_id,), sums in scores.grouped_sums(
        session, filters, [DailyRollup.touchpoint_id]
    ).items():
        totals.comments += int(sums["comments"])
        totals.nps[touchpoint_id] = Nps(
            int(sums["nps_n"]), int(sums["promoters"]), int(sums["detractors"])
        )
    if start > date.min:  # a period from the first date a date can hold has none before it
        earlier = scores.Filters(start=before, end=start - timedelta(days=1), journey_id=journey_id)
        totals.previous = int(scores.grouped_sums(session, earlier, [])[()]["comments"])
    return totals


def figures(
    *, session: Session, journey_id: str, start: date, end: date, min_responses: int
) -> ThemeFiguresList:
    """Every theme of the journey, most mentioned first. The trend compares the period with the
    one as long just before it."""
    span = end - start + timedelta(days=1)
    before = start - span if start - date.min >= span else date.min
    points = session.execute(
        select(col(TouchpointDim.id), col(TouchpointDim.name)).where(
            col(TouchpointDim.journey_id) == journey_id
        )
    ).all()
    names = dict(points)
    themes = list(
        session.execute(select(Theme).where(col(Theme.journey_id) == journey_id)).scalars()
    )
    counts = _theme_counts(session, list(names), start, end, before) if names else {}
    totals = _totals(session, journey_id, start, end, before)
    journey_nps = totals.journey_nps()
    items = []
    for theme in themes:
        at = counts.get(theme.id, {})
        whole = Counts()
        for c in at.values():
            whole.add(c)
        change = compare.proportion_difference(
            (whole.previous, totals.previous), (whole.comments, totals.comments)
        )
        items.append(
            ThemeFigures(
                theme_id=theme.id,
                name=theme.name,
                comments=whole.comments,
                share=interval(estimates.wilson(whole.comments, totals.comments)),
                trend=ThemeTrend(
                    previous_share=interval(estimates.wilson(whole.previous, totals.previous)),
                    difference=change.difference,
                    low=change.low,
                    high=change.high,
                    p_value=change.p_value,
                ),
                detractor_share=interval(estimates.wilson(whole.detractors, whole.nps_n)),
                sentiment=interval(
                    estimates.bounded_mean(
                        whole.sentiment_sum, whole.sentiment_sq, whole.comments, bounds=(-1, 1)
                    )
                ),
                touchpoints=sorted(
                    (
                        ThemeTouchpoint(
                            touchpoint_id=tp,
                            name=names.get(tp, tp),
                            comments=c.comments,
                            impact=impact(totals.nps.get(tp, Nps()), c.detractors, min_responses),
                        )
                        for tp, c in at.items()
                        if c.comments
                    ),
                    key=lambda t: -t.comments,
                ),
                impact=impact(journey_nps, whole.detractors, min_responses),
            )
        )
    return ThemeFiguresList(
        journey_id=journey_id,
        start=start.isoformat(),
        end=end.isoformat(),
        comments=totals.comments,
        min_responses=min_responses,
        items=sorted(items, key=lambda f: -f.comments),
    )
