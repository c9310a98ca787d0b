"""Comment sentiment with VADER, a lexicon and rules that run on this machine: no comment text
is sent to any service."""

from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# VADER's own convention: compound below -0.05 is negative, above 0.05 positive.
NEGATIVE_BELOW = -0.05
POSITIVE_ABOVE = 0.05


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def sentiment(text: str) -> float:
    """VADER's compound score, -1 (most negative) to +1 (most positive)."""
    return float(_analyzer().polarity_scores(text)["compound"])


def label(score: float | None) -> str | None:
    if score is None:
        return None
    if score < NEGATIVE_BELOW:
        return "negative"
    return "positive" if score > POSITIVE_ABOVE else "neutral"
