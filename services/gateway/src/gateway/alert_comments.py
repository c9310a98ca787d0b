"""What customers said behind an incident, as the dashboard and the incidents page show it
under the incident: the comments said most often first, never a positive one."""

from dataclasses import dataclass
from datetime import date

from gateway.clients.metrics import MetricsClient
from gateway.clients.models import Comment, Filters, Incident

# Under an incident: the three comments said most often among the newest fifty behind it.
ALERT_COMMENTS = 3
ALERT_COMMENTS_READ = 50


@dataclass(frozen=True)
class Said:
    """A comment (the newest of its wording) and how many of the comments read said it."""

    comment: Comment
    times: int


def _wording(text: str) -> str:
    """What two comments share when they say the same: case, spacing and the final full
    stop or exclamation mark aside."""
    return " ".join(text.casefold().split()).rstrip(".!")


def most_said(comments: list[Comment], limit: int) -> list[Said]:
    """The `limit` wordings said most often in `comments` (newest first), each with its
    newest comment; a tie goes to the more recent."""
    by_wording: dict[str, list[Comment]] = {}
    for comment in comments:
        by_wording.setdefault(_wording(comment.comment), []).append(comment)
    ranked = sorted(by_wording.values(), key=len, reverse=True)
    return [Said(group[0], len(group)) for group in ranked[:limit]]


async def comments_behind(metrics: MetricsClient, incident: Incident) -> list[Said]:
    """The comments at the incident's touchpoint since the earliest window its signals cover,
    those said most often first: when only NPS signals, those of detractors, else the negative
    ones. A comment that reads positive is never evidence of a problem: it is left out."""
    signals = incident.shown_signals
    starts = [
        s.evidence["window"]["from"] for s in signals if "from" in s.evidence.get("window", {})
    ]
    only_nps = bool(signals) and all(s.metric == "nps" for s in signals)
    comments = await metrics.comments(
        filters=Filters(),
        touchpoint_id=incident.touchpoint_id,
        start=date.fromisoformat(min(starts)) if starts else None,
        band="detractor" if only_nps else None,
        sentiment=None if only_nps else "negative",
        limit=ALERT_COMMENTS_READ,
    )
    return most_said([c for c in comments if not (c.sentiment or 0) > 0], ALERT_COMMENTS)
