"""Words of a comment as themes compare them, and a theme's match against a comment.

A comment has a theme when it says one of the theme's example phrases (or its name) in its own
words: at least COVERAGE of the phrase's terms appear among the comment's. What the comment says
besides ("Disappointed: …", "… Please fix this.") does not matter, so near-duplicates get the
same themes. Matching is set arithmetic on a few terms, cheap enough for every comment as it
arrives (docs/metrics.md, "Comment themes")."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

COVERAGE = 0.8

WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")  # "e-mail" is one word
# Function words carry no topic. Negations stay: "never rang" and "rang" are different themes.
FUNCTION_WORDS = """
a about after again all also am an and any are as at be been before being but by can could
did do does doing for from had has have having he her here him his how i i'm if in into is it
it's its just me more most my myself of on once only or other our ours out over own really same
she should so some such than that the their them then there these they this those through to
too under until up us very was we were what when where which while who whom why will with
would you your yours i've i'd i'll we've you're they're that's there's
"""
STOPWORDS = frozenset(FUNCTION_WORDS.split())
NEGATIONS = {"don't", "didn't", "doesn't", "isn't", "wasn't", "won't", "can't", "couldn't",
             "wouldn't", "haven't", "hasn't", "hadn't", "aren't", "weren't", "not", "no",
             "never", "nothing", "nobody"}  # fmt: skip


@lru_cache(maxsize=4096)
def stem(word: str) -> str:
    """A light suffix strip, enough that "parcels" and "parcel", "waiting" and "waited" meet."""
    if word in NEGATIONS:
        return "not" if word not in {"never", "nothing", "nobody"} else word
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + keep
    return word


def words(text: str) -> list[str]:
    """The comment's content words, lower case, in order."""
    return [w for w in WORD.findall(text.lower().replace("\u2019", "'")) if w not in STOPWORDS]


def terms(text: str) -> list[str]:
    """The comment's content words, lower case and stemmed, in order."""
    return [stem(w) for w in words(text)]


@dataclass(frozen=True)
class ThemeRule:
    """A theme as matching needs it: the term sets of its phrases."""

    theme_id: str
    phrases: tuple[frozenset[str], ...]

    @classmethod
    def of(cls, theme_id: str, name: str, phrases: Iterable[str]) -> "ThemeRule":
        sets = {frozenset(terms(p)) for p in (name, *phrases)}
        return cls(theme_id, tuple(s for s in sets if s))

    def matches(self, words: frozenset[str]) -> bool:
        return any(len(p & words) >= COVERAGE * len(p) for p in self.phrases)


def themes_of(comment: str, rules: Iterable[ThemeRule]) -> list[str]:
    """The ids of the themes whose rule the comment matches."""
    words = frozenset(terms(comment))
    return [r.theme_id for r in rules if r.matches(words)] if words else []
