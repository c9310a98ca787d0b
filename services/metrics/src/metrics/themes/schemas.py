from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from cxshared.pagination import Page
from cxshared.schemas import ReadBase, WriteBase
from cxshared.types import VISIBLE, Name

Description = Annotated[str, StringConstraints(max_length=2000, pattern=r"^[^\x00]*$")]
Phrase = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300, pattern=VISIBLE)
]
Phrases = Annotated[list[Phrase], Field(max_length=50)]


class ThemeCreate(WriteBase):
    name: Name = Field(examples=["Courier did not ring"])
    description: Description = Field("", examples=["The courier left a card without ringing."])
    phrases: Phrases = Field(
        default_factory=list,
        description="Example phrases. A comment has the theme when it contains at least 80% of "
        "the content words of one of them (or of the name), whatever else it says.",
        examples=[["courier never rang the bell", "left a card without ringing"]],
    )


class ThemeUpdate(WriteBase):
    name: Name | None = None
    description: Description | None = None
    phrases: Phrases | None = None


class ThemeRead(ReadBase):
    journey_id: str
    name: str
    description: str
    phrases: list[str]


ThemePage = Page[ThemeRead]


class ThemeSuggestion(BaseModel):
    """A theme found in the journey's comments that no theme covers yet: post its name,
    description and phrases to the journey's themes to accept it."""

    name: str = Field(description="Its three most telling words.")
    description: str
    phrases: list[str] = Field(description="The comments most typical of it, shortest form.")
    comments: int = Field(description="Comments of the period in it.")
    terms: list[str] = Field(description="Its most telling words, most telling first.")


class ThemeSuggestionList(BaseModel):
    items: list[ThemeSuggestion]
    comments_considered: int = Field(description="Comments of the period no theme covers.")
    method: str


class ThemeEstimate(BaseModel):
    value: float | None
    low: float | None
    high: float | None
    n: int


class ThemeTrend(BaseModel):
    """The theme's share of comments in the period against the period as long before it."""

    previous_share: ThemeEstimate
    difference: float | None = Field(description="Percentage points, this period minus before.")
    low: float | None
    high: float | None
    p_value: float | None


class ThemeImpact(BaseModel):
    """NPS points gained if the detractors mentioning the theme had been passives."""

    points: ThemeEstimate = Field(
        description="100 x theme detractors / NPS answers, Wilson interval."
    )
    nps: float | None = Field(description="The NPS now.")
    nps_without: float | None = Field(description="The NPS with those detractors as passives.")
    detractors: int
    too_few_responses: bool


class ThemeTouchpoint(BaseModel):
    touchpoint_id: str
    name: str
    comments: int
    impact: ThemeImpact


class ThemeFigures(BaseModel):
    theme_id: str
    name: str
    comments: int = Field(description="Comments of the period that mention it.")
    share: ThemeEstimate = Field(
        description="% of the journey's comments that mention it (Wilson)."
    )
    trend: ThemeTrend
    detractor_share: ThemeEstimate = Field(
        description="% of its comments with an NPS answer whose answer is 0-6 (Wilson)."
    )
    sentiment: ThemeEstimate = Field(description="Mean sentiment of its comments, t interval.")
    touchpoints: list[ThemeTouchpoint] = Field(description="Where it appears, most mentions first.")
    impact: ThemeImpact = Field(description="On the journey's NPS.")


class ThemeFiguresList(BaseModel):
    journey_id: str
    start: str
    end: str
    comments: int = Field(description="The journey's comments in the period.")
    min_responses: int
    items: list[ThemeFigures]
