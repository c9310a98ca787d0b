"""Which scorer gave a stored comment its sentiment. Every fact with a comment records the
version it was scored with, so a better scorer can tell which stored comments still carry an
older one's score (docs/metrics.md, "Comment sentiment")."""

import hashlib
from functools import cache
from importlib.metadata import version
from pathlib import Path

from cxshared import sentiment as scorer


@cache
def sentiment_version() -> str:
    """A fingerprint of the scorer: its rules (the module's text) and VADER's lexicon (the
    package's version). Any edit of the rules makes a new version, even one that changes no
    score: a rescore then finds nothing to correct, which is cheaper than missing a change."""
    digest = hashlib.sha256(Path(scorer.__file__).read_bytes())
    digest.update(version("vaderSentiment").encode())
    return digest.hexdigest()[:12]
