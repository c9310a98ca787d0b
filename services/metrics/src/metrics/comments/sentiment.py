"""Comment sentiment with VADER, a lexicon and rules that run on this machine: no comment text
is sent to any service."""

from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# VADER's own convention: compound below -0.05 is negative, above 0.05 positive.
NEGATIVE_BELOW = -0.05
POSITIVE_ABOVE = 0.05

# Words VADER's general lexicon lacks but customers use for a good or bad experience, on its
# scale (-4 to +4, rated beside its own: "delayed" -0.9, "damaged" -1.9, "helpful" +1.8).
# Without them "Arrived two days late" and "Still waiting for my refund" read as neutral.
SERVICE_WORDS = {
    "late": -1.5,
    "waiting": -1.0,
    "waited": -1.0,
    "slow": -1.3,
    "soaked": -1.5,
    "dented": -1.5,
    "overcharged": -2.0,
    "unanswered": -1.5,
    "unreachable": -1.5,
    "incorrect": -1.5,
    "canceled": -1.0,
    "crashed": -1.7,
    "complicated": -1.0,
    "expensive": -1.0,
    # "Please fix this" is a complaint; VADER's +1.3 for "please" made it read as praise.
    "fix": -1.5,
    "quick": 1.5,
    "fast": 1.3,
    "smooth": 1.5,
    "seamless": 1.8,
    "punctual": 1.8,
    "promptly": 1.5,
}


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(SERVICE_WORDS)
    return analyzer


def sentiment(text: str) -> float:
    """VADER's compound score, -1 (most negative) to +1 (most positive)."""
    return float(_analyzer().polarity_scores(text)["compound"])


def label(score: float | None) -> str | None:
    if score is None:
        return None
    if score < NEGATIVE_BELOW:
        return "negative"
    return "positive" if score > POSITIVE_ABOVE else "neutral"
