"""The taxonomy of comment themes per journey, and keeping each comment's themes: when the
comment arrives (one rule check per theme of its journey, in ingest's transaction) and when a
theme changes (that theme alone, over the journey's stored comments, in batches)."""

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlmodel import Session, col

from cxshared.concurrency import ensure_fresh
from cxshared.crud import get_or_404
from cxshared.pagination import PageParams, paginate
from cxshared.patch import to_patch
from cxshared.problems import Problem, field_error
from cxshared.timeutil import utcnow
from metrics.dimension.models import JourneyDim, TouchpointDim
from metrics.facts.models import ResponseFact
from metrics.facts.values import Fact
from metrics.themes.models import CommentTheme, Theme
from metrics.themes.schemas import ThemeCreate, ThemeSuggestion, ThemeSuggestionList, ThemeUpdate
from metrics.themes.text import ThemeRule, themes_of

F = ResponseFact
# Re-theming reads the journey's comments this many at a time, and no further back than the
# longest period a figure can be asked for (three years).
BATCH = 2000
RETHEME_DAYS = 3 * 366


def ensure_journey(session: Session, journey_id: str) -> None:
    if session.get(JourneyDim, journey_id) is None:
        raise Problem(
            404,
            "not-found",
            "Not found",
            f"No journey {journey_id} (metrics knows a journey "
            "from journey's events about it and its touchpoints).",
        )


def get_theme(session: Session, journey_id: str, theme_id: str, *, lock: bool = False) -> Theme:
    theme = get_or_404(session, Theme, theme_id, lock=lock)
    if theme.journey_id != journey_id:
        raise Problem(404, "not-found", "Not found", f"No theme {theme_id} in this journey.")
    return theme


def list_themes(
    *, session: Session, journey_id: str, params: PageParams
) -> tuple[list[Theme], str | None]:
    ensure_journey(session, journey_id)
    query = select(Theme).where(col(Theme.journey_id) == journey_id)
    return paginate(session, query, order_by=[col(Theme.id)], params=params)


def _ensure_unique_name(session: Session, journey_id: str, name: str, except_id: str = "") -> None:
    query = select(col(Theme.id)).where(
        col(Theme.journey_id) == journey_id,
        func.lower(Theme.name) == func.lower(name),
        col(Theme.id) != except_id,
    )
    if session.execute(query).first():
        raise field_error("name", f"this journey has a theme named {name!r} already", "duplicate")


def create_theme(*, session: Session, journey_id: str, body: ThemeCreate, actor: str) -> Theme:
    ensure_journey(session, journey_id)
    _ensure_unique_name(session, journey_id, body.name)
    theme = Theme(journey_id=journey_id, updated_by=actor, **body.model_dump())
    session.add(theme)
    session.flush()
    retheme(session, theme)
    session.commit()
    return theme


def update_theme(
    *,
    session: Session,
    journey_id: str,
    theme_id: str,
    body: ThemeUpdate,
    if_match: str | None,
    actor: str,
) -> Theme:
    theme = get_theme(session, journey_id, theme_id, lock=True)
    ensure_fresh(
        if_match, version=theme.version, updated_by=theme.updated_by, updated_at=theme.updated_at
    )
    patch = to_patch(body, clearable={"description": ""})
    if "name" in patch:
        _ensure_unique_name(session, journey_id, patch["name"], except_id=theme_id)
    changed = {k: v for k, v in patch.items() if getattr(theme, k) != v}
    if not changed:
        return theme
    for name, value in changed.items():
        setattr(theme, name, value)
    theme.version += 1
    theme.updated_at = utcnow()
    theme.updated_by = actor
    session.add(theme)
    session.flush()
    if {"name", "phrases"} & set(changed):
        retheme(session, theme)
    session.commit()
    return theme


def delete_theme(*, session: Session, journey_id: str, theme_id: str, if_match: str | None) -> None:
    theme = get_theme(session, journey_id, theme_id, lock=True)
    ensure_fresh(
        if_match, version=theme.version, updated_by=theme.updated_by, updated_at=theme.updated_at
    )
    session.execute(delete(CommentTheme).where(col(CommentTheme.theme_id) == theme_id))
    session.delete(theme)
    session.commit()


def rule(theme: Theme) -> ThemeRule:
    return ThemeRule.of(theme.id, theme.name, theme.phrases)


def journey_touchpoints(session: Session, journey_id: str) -> list[str]:
    return list(
        session.execute(
            select(col(TouchpointDim.id)).where(col(TouchpointDim.journey_id) == journey_id)
        ).scalars()
    )


def retheme(session: Session, theme: Theme) -> int:
    """Gives the theme to exactly the journey's stored comments that match it, reading them in
    batches by response id; returns how many have it. Other themes are independent of it and
    stay as they are."""
    session.execute(delete(CommentTheme).where(col(CommentTheme.theme_id) == theme.id))
    touchpoints = journey_touchpoints(session, theme.journey_id)
    if not touchpoints:
        return 0
    check = rule(theme)
    since = utcnow().date() - timedelta(days=RETHEME_DAYS)
    after, total = "", 0
    while True:
        rows = session.execute(
            select(col(F.response_id), col(F.comment))
            .where(
                col(F.touchpoint_id).in_(touchpoints),
                col(F.comment).is_not(None),
                col(F.day) >= since,
                col(F.response_id) > after,
            )
            .order_by(col(F.response_id))
            .limit(BATCH)
        ).all()
        if not rows:
            return total
        found = [
            {"response_id": r, "theme_id": theme.id} for r, text in rows if themes_of(text, [check])
        ]
        if found:
            session.execute(insert(CommentTheme), found)
        total += len(found)
        after = rows[-1][0]


def _rules_by_touchpoint(session: Session, touchpoints: set[str]) -> dict[str, list[ThemeRule]]:
    journeys = dict(
        session.execute(
            select(col(TouchpointDim.id), col(TouchpointDim.journey_id)).where(
                col(TouchpointDim.id).in_(touchpoints)
            )
        ).all()
    )
    rules: dict[str, list[ThemeRule]] = {}
    for theme in session.execute(
        select(Theme).where(col(Theme.journey_id).in_(set(journeys.values())))
    ).scalars():
        rules.setdefault(theme.journey_id, []).append(_cached_rule(theme))
    return {tp: rules[journey] for tp, journey in journeys.items() if journey in rules}


_RULES: dict[tuple[str, int], ThemeRule] = {}


def _cached_rule(theme: Theme) -> ThemeRule:
    """Rules built once per theme version: ingest meets the same few themes in every batch."""
    key = (theme.id, theme.version)
    if key not in _RULES:
        if len(_RULES) > 10_000:
            _RULES.clear()
        _RULES[key] = rule(theme)
    return _RULES[key]


def on_facts_changed(session: Session, *, removed: Iterable[str], added: Sequence[Fact]) -> None:
    """Ingest's hook: the removed facts' themes go, the added facts' comments get theirs."""
    gone = set(removed)
    if gone:
        session.execute(delete(CommentTheme).where(col(CommentTheme.response_id).in_(gone)))
    commented = [f for f in added if f.comment and f.touchpoint_id]
    if not commented:
        return
    rules = _rules_by_touchpoint(session, {f.touchpoint_id for f in commented})
    if not rules:
        return
    rows: list[dict[str, Any]] = [
        {"response_id": f.response_id, "theme_id": theme_id}
        for f in commented
        if f.touchpoint_id in rules
        for theme_id in themes_of(f.comment or "", rules[f.touchpoint_id])
    ]
    if rows:
        session.execute(insert(CommentTheme), rows)


# Suggestions read at most this many of the period's newest comments no theme covers.
SUGGESTION_COMMENTS = 5000


def suggestions(
    *, session: Session, journey_id: str, start: date, end: date
) -> ThemeSuggestionList:
    """Themes found in the period's comments that no theme of the journey covers yet."""
    ensure_journey(session, journey_id)
    touchpoints = journey_touchpoints(session, journey_id)
    themed = select(col(CommentTheme.response_id)).where(
        col(CommentTheme.response_id) == col(F.response_id)
    )
    texts = list(
        session.execute(
            select(col(F.comment))
            .where(
                col(F.touchpoint_id).in_(touchpoints),
                col(F.comment).is_not(None),
                col(F.flagged).is_(False),
                col(F.day).between(start, end),
                ~themed.exists(),
            )
            .order_by(col(F.submitted_at).desc())
            .limit(SUGGESTION_COMMENTS)
        ).scalars()
    )
    # Imported here: it brings numpy and scipy.sparse (about 30 MB), which a metrics process
    # that is never asked for suggestions need not hold (docs/benchmarks.md, "Memory").
    from metrics.themes import discovery

    found = discovery.discover([t for t in texts if t])
    return ThemeSuggestionList(
        items=[
            ThemeSuggestion(
                name=f.name,
                description=f"Found in {f.comments} comments that no theme covered; "
                f"their words: {', '.join(f.terms)}.",
                phrases=f.phrases,
                comments=f.comments,
                terms=f.terms,
            )
            for f in found
        ],
        comments_considered=len(texts),
        method=discovery.METHOD,
    )
