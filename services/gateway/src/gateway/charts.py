"""Charts as server-rendered SVG: the numbers become coordinates here, templates draw them."""

from dataclasses import dataclass

# The journey map's stage columns are this wide (with their gap), so the curve's points sit
# above the middle of each column (see .board in app.css).
STAGE_PITCH = 296
EMOTION_HEIGHT = 120
_PAD = 14


@dataclass(frozen=True)
class EmotionPoint:
    x: float
    label: str
    designed: float | None
    measured: float | None
    designed_y: float | None
    measured_y: float | None


@dataclass(frozen=True)
class EmotionChart:
    width: int
    height: int
    points: list[EmotionPoint]
    designed_path: str
    measured_path: str

    def y_of(self, emotion: float) -> float:
        return _y(emotion)


def _y(emotion: float) -> float:
    """+2 at the top, -2 at the bottom."""
    usable = EMOTION_HEIGHT - 2 * _PAD
    return round(_PAD + (2 - max(-2.0, min(2.0, emotion))) / 4 * usable, 1)


def _path(coordinates: list[tuple[float, float]]) -> str:
    return " ".join(
        f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(coordinates)
    )


def emotion_chart(stages: list[tuple[str, float | None, float | None]]) -> EmotionChart:
    """(stage name, designed emotion, measured emotion) per stage, in order; -2 ... +2."""
    points = []
    for index, (label, designed, measured) in enumerate(stages):
        points.append(
            EmotionPoint(
                x=index * STAGE_PITCH + (STAGE_PITCH - 16) / 2,
                label=label,
                designed=designed,
                measured=measured,
                designed_y=None if designed is None else _y(designed),
                measured_y=None if measured is None else _y(measured),
            )
        )
    return EmotionChart(
        width=max(1, len(stages)) * STAGE_PITCH,
        height=EMOTION_HEIGHT,
        points=points,
        designed_path=_path([(p.x, p.designed_y) for p in points if p.designed_y is not None]),
        measured_path=_path([(p.x, p.measured_y) for p in points if p.measured_y is not None]),
    )
