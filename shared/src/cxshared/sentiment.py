"""Comment sentiment with VADER, a lexicon and rules that run on this machine: no comment text
is sent to any service.

VADER reads general English; customers write about a service, where much is said without a
sentiment word ("the code never arrived", "label by e-mail right away", "could you add
Klarna?"). The rules below are general patterns of that language, measured against the
labelled set in the metrics tests (docs/metrics.md, "Comment sentiment").

Shared so that metrics' figures and feedback's sentiment case rule (docs/cases.md) read a comment
alike. VADER's lexicon is loaded on the first score, once per process, not at import: a service
that never scores a comment does not pay for it at start-up."""

import math
import re
from functools import cache

from vaderSentiment.vaderSentiment import NEGATE, SentimentIntensityAnalyzer, SentiText

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
    "crashes": -1.7,
    "crashing": -1.7,
    "freezing": -1.3,
    "freezes": -1.3,
    "bug": -1.3,
    "bugs": -1.3,
    "buggy": -1.7,
    "clunky": -1.2,
    "outdated": -1.0,
    "complicated": -1.0,
    "expensive": -1.0,
    # "Please fix this" is a complaint.
    "fix": -1.5,
    "quick": 1.5,
    "quickly": 1.5,
    "fast": 1.3,
    "early": 1.3,
    "smooth": 1.5,
    "seamless": 1.8,
    "effortless": 1.8,
    "straightforward": 1.3,
    "convenient": 1.5,
    "transparent": 1.2,
    "intuitive": 1.3,
    "punctual": 1.8,
    "promptly": 1.5,
    "immediately": 1.0,
    "simple": 1.2,
    "easier": 1.5,
    "faster": 1.5,
    "cheaper": 1.2,
    "slower": -1.5,
    "saves": 1.2,
    "professionally": 1.5,
    "politely": 1.5,
    "patiently": 1.3,
    "threw": -1.5,
    "thrown": -1.5,
    "dumped": -1.5,
    "ignored": -1.5,
    "twice": -0.8,
    "accurate": 1.2,
    "instant": 1.5,
    # Written in by the rewrites below.
    "quick_time": 1.3,
    "slow_time": -1.3,
    "top_rating": 2.5,
    "bottom_rating": -2.5,
    "repeatedly": -1.0,
    # A problem got handled: "fixed the same day", "sorted it out", "refunded it".
    "fixed": 1.3,
    "sorted": 1.2,
    "refunded": 1.0,
    "listens": 1.2,
    "apologised": 1.3,
    # Names of things, not judgements: "support" (+1.7 in VADER) is a department, "please" (+1.3)
    # a courtesy ("Please fix this" is a complaint).
    "support": 0.0,
    "please": 0.0,
}

# Phrases read as one word, so VADER's negation and boosters apply to them as to a word
# ("not taken seriously" is negative). Written with spaces; matched case-insensitively.
SERVICE_PHRASES = {
    "right away": 1.5,
    "straight away": 1.5,
    "same day": 1.0,
    "next day": 1.0,
    "in no time": 1.5,
    "up and running": 1.5,
    "above and beyond": 2.5,
    "taken seriously": 2.0,
    "took forever": -2.0,
    "takes forever": -2.0,
    "hung up": -1.8,
    "timed out": -1.5,
    "logged me out": -1.5,
    "passed around": -1.5,
    "start over": -1.2,
    "on hold": -0.8,
    "heard nothing": -1.5,
    "price increase": -1.5,
    "went up": -1.0,
    "charged twice": -2.0,
    "taken twice": -2.0,
    "billed twice": -2.0,
    "double charge": -2.0,
    "not what": -1.5,
    "had to": -1.0,
    "supposed to": -1.0,
    "thanks for nothing": -2.0,
    "too many": -1.3,
    "too much": -1.3,
    "out of date": -1.2,
    "in circles": -1.5,
    "logs me out": -1.5,
    "in the rain": -1.2,
    "in seconds": 1.5,
    "at once": 1.2,
    "spot on": 2.0,
    "top service": 2.5,
    "top notch": 2.5,
    # VADER's "no" (-1.2) made these complaints.
    "no comment": 0.0,
    "no comments": 0.0,
    "gift card": 0.0,
    "credit card": 0.0,
    "store credit": 0.0,
    "help centre": 0.0,
    "help center": 0.0,
    "help desk": 0.0,
}

# Service actions that say nothing alone ("the parcel arrived") but that customers name when
# they did not happen: "never arrived", "didn't turn up", "nobody answered", "no reply".
# Negated within three words, each counts as NOT_DONE.
NOT_DONE = -1.5
SERVICE_ACTIONS = frozenset({
    "arrive", "arrives", "arrived", "came", "come", "comes", "turn", "turned", "show",
    "showed", "load", "loads", "loaded", "work", "works", "worked", "answer", "answers",
    "answered", "reply", "replied", "respond", "responded", "collect", "collected", "get", "got",
    "receive", "received", "deliver", "delivered", "ring", "rang", "call", "called", "apply",
    "applied", "pay", "log", "find", "finds", "reach", "told", "mentioned", "explained",
    "sign", "response", "solution", "explanation", "callback", "working", "match", "sense",
    "ordering", "buying", "appear", "appeared", "update", "updated", "download",
})  # fmt: skip
NEGATORS = frozenset(NEGATE) | {"no", "nobody", "noone", "nowhere"}

# Customers name the problem they had when they praise how it was handled: "My complaint was
# taken seriously!", "solved my problem in one call". In a sentence that says the problem was
# handled (and not that it was not), the problem words count nothing.
PROBLEM_WORDS = frozenset({
    "problem", "problems", "issue", "issues", "complaint", "complaints", "complained",
    "error", "errors", "mix-up", "overcharged", "faulty",
})  # fmt: skip
RESOLVED_WORDS = frozenset({
    "solved", "resolved", "fixed", "sorted", "handled", "refunded", "refund",
    "listens", "listened", "taken_seriously", "apologised", "apologized", "replaced", "replacement",
})  # fmt: skip

# A request or suggestion is not praise, however politely put: "would like a printable QR
# code", "It would be great if…", "Please add…". Its positive words are dropped; a complaint in
# it still counts ("Please fix this").
REQUEST = re.compile(
    r"^\W*(?:please\b|could (?:you|i|we|the|there|it)\b|can (?:i|you|we|the)\b|"
    r"would (?:like|be|it)\b|i'?d (?:like|love|prefer)\b|i would (?:like|love|prefer)\b|"
    r"(?:it|that|this) would\b|is there\b|is it possible\b|do you\b|are you\b|any chance\b|"
    r"suggestion\b|maybe\b)",
    re.IGNORECASE,
)
# "Why is there a fee for paying by card?": a customer asking why is objecting.
WHY = re.compile(r"^\W*why\b", re.IGNORECASE)
WHY_VALENCE = -1.5
# Praise opening a sentence about something that went wrong is sarcasm: "Thanks for delivering
# my parcel to the wrong address", "Brilliant, the app updated and now nothing works".
SARCASTIC_OPENING = re.compile(
    r"^\W*(?:oh (?:great|brilliant|wonderful|perfect)\b|(?:great|brilliant|wonderful|perfect|"
    r"sure|wow|fantastic|lovely)\s*,|thanks for\b|thank you for\b|love being\b)",
    re.IGNORECASE,
)
ALWAYS_SARCASTIC = re.compile(r"^\W*oh (?:great|brilliant|wonderful|perfect)\b", re.IGNORECASE)
# "Quick refund, although the drop-off point was far": the clause before weighs more, as VADER
# weighs the one after "but".
CONCESSION = re.compile(r"\b(?:although|though|even though|even if)\b", re.IGNORECASE)
# "The checkout used to be slow, now it's fast": what it used to be weighs half, what it is now
# one and a half, as around "but".
USED_TO = re.compile(r"\bused to\b(.*?)(?:,|\bbut\b|\bnow\b)", re.IGNORECASE)
# Words that turn a sentence as "but" does; VADER knows only "but". "Great products, shame the
# website is so hard to use."; "Support is friendly. Shame the product still doesn't work."
CONTRAST_WORDS = ("however", "unfortunately", "sadly", "shame")
CONTRAST = re.compile(rf"(?<!\bbut )\b({'|'.join(CONTRAST_WORDS)})\b", re.IGNORECASE)
CONTRAST_OPENING = re.compile(r"^\W*(?:but|however|unfortunately|sadly|shame)\b", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")

NUMBER = r"(?:a few|a|an|one|two|three|four|five|ten|fifteen|twenty|thirty|\d+)"
# Patterns rewritten before scoring, each with the text one of them needs (lower case), so
# that a comment without it costs a substring test and not a search.
REWRITES = (
    # Minutes, or an answer within the hour or day, is quick; weeks or months is slow.
    (("minute",), rf"\b(?:took|takes|in|within|under|less than) {NUMBER} minutes?\b", "quick_time"),
    (("within",), rf"\bwithin {NUMBER} (?:hours?|days?)\b", "quick_time"),
    (
        ("took", "takes", "taking"),
        rf"\b(?:took|takes|taking) (?:over |more than )?{NUMBER} (?:weeks?|months?)\b",
        "slow_time",
    ),
    # "10/10", "1/5": a rating in the comment says how it went.
    (("/",), r"\b(?:10|9|8)/10\b|\b5/5\b", "top_rating"),
    (("/",), r"\b[0-3]/10\b|\b[01]/5\b", "bottom_rating"),
    # "Pages keep freezing", "kept rejecting my postcode": something failing again and again.
    (("keep", "kept"), r"\b(?:keeps|keep|kept) (?=\w+ing\b)", "repeatedly "),
    # "Transferred three times": the customer had to go through it again and again.
    (
        ("times",),
        r"\b(?:three|four|five|six|several|\d+) times\b(?! (?:better|faster|easier|cheaper))",
        "repeatedly",
    ),
    # "Never had such good service": VADER reads "never" as negating "good".
    (("such",), r"\bnever (had|seen|been|experienced) such\b", r"\1 such"),
    # Words in quotes are the company's ("hassle-free returns"), not the customer's judgement.
    (('"',), r'"[^"]*"', "quoted"),
    # Phrases become one word of the lexicon.
    *(
        ((phrase,), rf"\b{re.escape(phrase)}\b", phrase.replace(" ", "_"))
        for phrase in sorted(SERVICE_PHRASES, key=len, reverse=True)
    ),
)
REWRITE = tuple((re.compile(pattern, re.IGNORECASE), new) for _, pattern, new in REWRITES)
NEEDLES = tuple((needle, i) for i, (needles, _, _) in enumerate(REWRITES) for needle in needles)

# "Complaint closed without asking me if it was solved" does not say it was solved.
CONDITIONAL = frozenset({"if", "whether"})


def _negated(words: list[str], i: int, also: frozenset[str] = frozenset()) -> bool:
    """A negation within the three words before words[i], as VADER looks for one."""
    return any(
        w.lower() in NEGATORS or w.lower() in also or w.lower().endswith("n't")
        for w in words[max(0, i - 3) : i]
    )


class _ServiceAnalyzer(SentimentIntensityAnalyzer):  # type: ignore[misc]
    def sentiment_valence(
        self, valence: float, sentitext: SentiText, item: str, i: int, sentiments: list[float]
    ) -> list[float]:
        word = item.lower()
        if word not in self.lexicon and word not in SERVICE_ACTIONS:
            sentiments.append(0.0)  # what VADER does for a word it does not know, sooner
            return sentiments
        words = sentitext.words_and_emoticons
        if word in PROBLEM_WORDS and any(
            w.lower() in RESOLVED_WORDS and not _negated(words, j, also=CONDITIONAL)
            for j, w in enumerate(words)
        ):
            sentiments.append(0.0)
            return sentiments
        if word in SERVICE_ACTIONS and _negated(words, i):
            sentiments.append(NOT_DONE)
            return sentiments
        return super().sentiment_valence(valence, sentitext, item, i, sentiments)  # type: ignore[no-any-return]


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    analyzer = _ServiceAnalyzer()
    words = SERVICE_WORDS | {p.replace(" ", "_"): v for p, v in SERVICE_PHRASES.items()}
    analyzer.lexicon.update({w: v for w, v in words.items() if v})
    # A word rated 0 is taken out: VADER would still let a booster before it add to the score.
    for word in (w for w, v in words.items() if not v):
        analyzer.lexicon.pop(word, None)
    return analyzer


def _valence_sum(text: str) -> float:
    """VADER's sum of valences for a text, recovered from its compound (which normalises the
    sum as x / sqrt(x² + 15)), so that sentences scored apart add up as VADER adds words."""
    compound = float(_analyzer().polarity_scores(text)["compound"])
    compound = max(-0.9999, min(0.9999, compound))
    return compound * math.sqrt(15 / (1 - compound * compound))


def _sentence_sum(sentence: str) -> float:
    lower = sentence.lower()
    used_to = USED_TO.search(sentence) if "used to" in lower else None
    concession = (
        CONCESSION.split(sentence, maxsplit=1) if "though" in lower or "even if" in lower else []
    )
    if used_to:
        before, after = sentence[: used_to.end()], sentence[used_to.end() :]
        total = 0.5 * _valence_sum(before) + 1.5 * _valence_sum(after)
    elif len(concession) == 2 and concession[0].strip(" ,"):
        total = 1.5 * _valence_sum(concession[0]) + 0.5 * _valence_sum(concession[1])
    elif any(word in lower for word in CONTRAST_WORDS):
        total = _valence_sum(CONTRAST.sub(r"but \1", sentence))
    else:
        total = _valence_sum(sentence)
    if REQUEST.match(sentence) or sentence.rstrip().endswith("?"):
        total = min(total, 0.0)
    if WHY.match(sentence):
        total += WHY_VALENCE
    return total


def _is_sarcastic(sentence: str, sums: list[float]) -> bool:
    """Praise opening a sentence about something that went wrong, in it or in the comment."""
    if not SARCASTIC_OPENING.match(sentence):
        return False
    if ALWAYS_SARCASTIC.match(sentence) or any(s < 0 for s in sums):
        return True
    return bool(_analyzer().polarity_scores(sentence)["neg"] > 0)


def sentiment(text: str) -> float:
    """VADER's compound score, -1 (most negative) to +1 (most positive), with the service
    rules above; sentences are scored apart and their sums added."""
    text = text.strip()
    lower = text.lower()
    for i in sorted({i for needle, i in NEEDLES if needle in lower}):
        pattern, replacement = REWRITE[i]
        text = pattern.sub(replacement, text)
    sentences = [s for s in SENTENCE_END.split(text) if s.strip()]
    sums = [_sentence_sum(s) for s in sentences]
    for i, sentence in enumerate(sentences):
        if sums[i] > 0 and _is_sarcastic(sentence, sums):
            sums[i] = -sums[i]
        if i > 0 and CONTRAST_OPENING.match(sentence):
            sums[i - 1] *= 0.5
            sums[i] *= 1.5
    total = sum(sums)
    return total / math.sqrt(total * total + 15)


def label(score: float | None) -> str | None:
    if score is None:
        return None
    if score < NEGATIVE_BELOW:
        return "negative"
    return "positive" if score > POSITIVE_ABOVE else "neutral"
