"""Charts as server-rendered SVG: the numbers become coordinates here, templates draw them."""

import itertools
import math
from dataclasses import dataclass, field

EMOTION_HEIGHT = 120  # the curve's band; each stage's name goes below it
LABEL_BAND = 22
_PAD = 14


@dataclass(frozen=True)
class EmotionPoint:
    x: float  # percent of the chart's width: the middle of the stage's column
    label: str
    designed: float | None
    measured: float | None
    designed_y: float | None
    measured_y: float | None


Segment = tuple[float, float, float, float]  # x1 and x2 in percent, y1 and y2 in pixels


@dataclass(frozen=True)
class EmotionChart:
    """As wide as the board: the stage columns share its width equally (.board in app.css),
    so each point sits at a percentage, over its column whatever the screen."""

    height: int
    points: list[EmotionPoint]
    designed: list[Segment]
    measured: list[Segment]

    def y_of(self, emotion: float) -> float:
        return _y(emotion)

    @property
    def label_y(self) -> int:
        """Where the stages' names sit, under their points."""
        return EMOTION_HEIGHT + LABEL_BAND - 7


def _y(emotion: float) -> float:
    """+2 at the top, -2 at the bottom."""
    usable = EMOTION_HEIGHT - 2 * _PAD
    return round(_PAD + (2 - max(-2.0, min(2.0, emotion))) / 4 * usable, 1)


def _path(coordinates: list[tuple[float, float]]) -> str:
    return " ".join(
        f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(coordinates)
    )


def _segments(coordinates: list[tuple[float, float]]) -> list[Segment]:
    return [(x1, y1, x2, y2) for (x1, y1), (x2, y2) in itertools.pairwise(coordinates)]


def emotion_chart(stages: list[tuple[str, float | None, float | None]]) -> EmotionChart:
    """(stage name, designed emotion, measured emotion) per stage, in order; -2 ... +2."""
    points = []
    for index, (label, designed, measured) in enumerate(stages):
        points.append(
            EmotionPoint(
                x=round((index + 0.5) * 100 / len(stages), 3),
                label=label,
                designed=designed,
                measured=measured,
                designed_y=None if designed is None else _y(designed),
                measured_y=None if measured is None else _y(measured),
            )
        )
    return EmotionChart(
        height=EMOTION_HEIGHT + LABEL_BAND,
        points=points,
        designed=_segments([(p.x, p.designed_y) for p in points if p.designed_y is not None]),
        measured=_segments([(p.x, p.measured_y) for p in points if p.measured_y is not None]),
    )


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class TrendPoint:
    x: float
    y: float
    label: str
    value: float
    n: int
    too_few: bool
    low_y: float | None = None  # the interval's ends, for a point drawn apart
    high_y: float | None = None


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    line: str
    band: str
    points: list[TrendPoint]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    left: int
    bottom: int
    # The period still under way (today, this week or month so far): drawn apart, hollow, with
    # its interval as a whisker and a dashed link, outside the line and the band.
    partial: TrendPoint | None = None
    partial_link: str = ""
    # A day marked across the plot (an action's ship date), at `marker_x`, with its label.
    marker_x: float | None = None
    marker_label: str = ""
    top: int = 12
    # Levels drawn as flat segments over a span of periods: (x1, x2, y, label), e.g. the
    # before and after windows' values of an effect.
    levels: list[tuple[float, float, float, str]] = field(default_factory=list)


# The whole scale of each metric: a trend never claims more room than this.
SCALES = {"nps": (-100.0, 100.0), "csat": (0.0, 100.0), "ces": (1.0, 7.0)}


def _nice_step(span: float) -> float:
    for step in (0.25, 0.5, 1, 2, 5, 10, 20, 25, 50):
        if span / step <= 5:
            return step
    return 100


@dataclass(frozen=True)
class Measured:
    """One period of a series as the chart takes it."""

    label: str
    value: float | None
    low: float | None
    high: float | None
    n: int
    too_few: bool
    complete: bool = True  # False: the period is still under way


def _axis(metric: str, measured: list[Measured]) -> tuple[float, float, float]:
    """The y range (low, high) and tick step: the data with room, within the metric's scale.
    A period still under way counts by its value only: its wide interval would flatten the
    rest."""
    floor, ceiling = SCALES.get(metric, (0.0, 100.0))
    values = [
        v
        for m in measured
        for v in ((m.value, m.low, m.high) if m.complete else (m.value,))
        if v is not None
    ]
    low = max(floor, min(values, default=floor))
    high = min(ceiling, max(values, default=ceiling))
    if high - low < 1e-9:
        low, high = max(floor, low - 1), min(ceiling, high + 1)
    step = _nice_step(high - low)
    return max(floor, step * (low // step)), min(ceiling, step * -(-high // step)), step


@dataclass(frozen=True)
class Marker:
    """A moment to mark on a trend: `at` periods from the first period's start (fractional)."""

    at: float
    label: str


@dataclass(frozen=True)
class Level:
    """A value held over periods `start` to `end` (fractional, as Marker.at)."""

    start: float
    end: float
    value: float
    label: str


def trend_chart(
    metric: str,
    series: list[Measured],
    *,
    width: int = 560,
    height: int = 200,
    marker: Marker | None = None,
    levels: list[Level] | None = None,
) -> TrendChart:
    """The value per period as a line and its 95% interval as a band around it, oldest first;
    periods without answers keep their place on the axis but draw nothing. The last period,
    when it is still under way, is kept out of the line and the band and drawn apart."""
    left, right, top, bottom = 44, 12, 12, 28
    low, high, step = _axis(metric, series)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x_of(index: int) -> float:
        return round(left + (index + 0.5) * plot_w / max(1, len(series)), 1)

    def y_of(value: float) -> float:
        return round(top + (high - value) / (high - low) * plot_h, 1)

    def clipped(value: float) -> float:
        return y_of(max(low, min(high, value)))

    points, upper, lower = [], [], []
    partial = None
    for index, period in enumerate(series):
        if period.value is None:
            continue
        x = x_of(index)
        if not period.complete:
            partial = TrendPoint(
                x,
                y_of(period.value),
                period.label,
                period.value,
                period.n,
                period.too_few,
                low_y=clipped(period.low if period.low is not None else period.value),
                high_y=clipped(period.high if period.high is not None else period.value),
            )
            continue
        points.append(
            TrendPoint(x, y_of(period.value), period.label, period.value, period.n, period.too_few)
        )
        upper.append((x, clipped(period.high if period.high is not None else period.value)))
        lower.append((x, clipped(period.low if period.low is not None else period.value)))
    ticks = []
    value = low
    while value <= high + 1e-9:
        ticks.append(Tick(y_of(value), f"{value:g}"))
        value += step
    every = max(1, len(series) // 6)

    def x_at(periods: float) -> float:
        """The x of a moment `periods` after the first period's start, held in the plot."""
        share = max(0.0, min(1.0, periods / max(1, len(series))))
        return round(left + share * plot_w, 1)

    return TrendChart(
        marker_x=x_at(marker.at) if marker else None,
        marker_label=marker.label if marker else "",
        top=top,
        levels=[
            (x_at(level.start), x_at(level.end), clipped(level.value), level.label)
            for level in levels or []
        ],
        width=width,
        height=height,
        line=_path([(p.x, p.y) for p in points]),
        band=_path(upper + lower[::-1]) + " Z" if len(upper) > 1 else "",
        points=points,
        y_ticks=ticks,
        x_ticks=[Tick(x_of(i), p.label) for i, p in enumerate(series) if i % every == 0],
        left=left,
        bottom=height - bottom,
        partial=partial,
        partial_link=_path([(points[-1].x, points[-1].y), (partial.x, partial.y)])
        if partial and points
        else "",
    )


@dataclass(frozen=True)
class Placed:
    """A ranked driver to place: importance (its part of R², 0 … 1) with its 95% interval,
    performance (gap to target as a share of the metric's scale) and quadrant."""

    name: str
    importance: float
    low: float | None
    high: float | None
    performance: float
    quadrant: str


@dataclass(frozen=True)
class QuadrantPoint:
    x: float
    y: float
    name: str
    quadrant: str
    importance: float
    performance: float
    low_y: float  # the importance interval, drawn as a whisker
    high_y: float


@dataclass(frozen=True)
class QuadrantChart:
    width: int
    height: int
    split_x: float
    split_y: float
    points: list[QuadrantPoint]
    # The plot's box: the axes' labels sit outside it.
    left: int
    top: int
    right: int
    bottom: int
    x_ticks: list[Tick]
    y_ticks: list[Tick]


def quadrant_chart(
    drivers: list[Placed],
    *,
    importance_split: float,
    performance_split: float,
    width: int = 420,
    height: int = 340,
) -> QuadrantChart:
    """Performance across (its reach the widest gap seen, the same either side, so that the
    target sits in the middle), importance up from 0 with each driver's interval as a whisker,
    split where the drivers service split them; ticks in percent on both axes."""
    left, top, right, bottom = 52, 10, width - 12, height - 46
    highest = max([d.high or d.importance for d in drivers] + [importance_split * 1.5, 0.005])
    y_step = _nice_step(highest * 100) / 100
    most = y_step * math.ceil(highest / y_step - 1e-9)  # the axis ends on a tick
    reach = max([abs(d.performance - performance_split) for d in drivers] + [0.05]) * 1.15

    def x_of(performance: float) -> float:
        share = (performance - performance_split + reach) / (2 * reach)
        return round(left + share * (right - left), 1)

    def y_of(importance: float) -> float:
        return round(top + (1 - min(max(importance, 0.0), most) / most) * (bottom - top), 1)

    x_step = _nice_step(reach * 100) / 100
    y_ticks = [
        Tick(y_of(k * y_step), f"{k * y_step * 100:g}%") for k in range(round(most / y_step) + 1)
    ]
    x_ticks = [
        Tick(x_of(performance_split + k * x_step), f"{k * x_step * 100:+g}%" if k else "target")
        for k in range(-int(reach / x_step), int(reach / x_step) + 1)
    ]
    return QuadrantChart(
        width=width,
        height=height,
        split_x=x_of(performance_split),
        split_y=y_of(importance_split),
        points=[
            QuadrantPoint(
                x_of(d.performance),
                y_of(d.importance),
                d.name,
                d.quadrant,
                d.importance,
                d.performance,
                y_of(d.importance if d.low is None else d.low),
                y_of(d.importance if d.high is None else d.high),
            )
            for d in drivers
        ],
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
    )
