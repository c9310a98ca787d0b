"""What customers said behind an alert, as the dashboard and the alerts page show it under
the alert: the comments said most often first."""

from dataclasses import dataclass
from datetime import date

from gateway.clients.metrics import MetricsClient
from gateway.clients.models import Alert, Comment, Filters

# Under an alert: the three comments said most often among the newest fifty behind it.
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


async def comments_behind(metrics: MetricsClient, alert: Alert) -> list[Said]:
    """The comments at the alert's touchpoint in the window its evidence covers, those said
    most often first: for an NPS alert those of detractors, for the others the negative ones."""
    window = alert.evidence.get("window") or {}
    comments = await metrics.comments(
        filters=Filters(),
        touchpoint_id=alert.touchpoint_id,
        start=date.fromisoformat(window["from"]) if "from" in window else None,
        band="detractor" if alert.metric == "nps" else None,
        sentiment=None if alert.metric == "nps" else "negative",
        limit=ALERT_COMMENTS_READ,
    )
    return most_said(comments, ALERT_COMMENTS)
