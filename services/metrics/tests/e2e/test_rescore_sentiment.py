"""Comments stored by an older sentiment scorer are scored again by `cx-metrics rescore-sentiment`,
and their rollups end as a fresh ingest would have built them."""

import math
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select
from structlog.testing import capture_logs

from cxshared.auth import Scope
from cxshared.sentiment import sentiment
from cxshared.testing.api import bearer, make_key
from cxshared.testing.databases import DatabaseFactory, fetch_all
from cxshared.testing.processes import run_command
from metrics.comments.version import sentiment_version
from metrics.config import Settings
from metrics.facts import values
from metrics.facts.models import DailyRollup, MonthlyRollup, ResponseFact
from metrics.main import MIGRATIONS, create_app

pytestmark = pytest.mark.long


def old_scorer(text: str) -> float:
    """Deliberately wrong: the opposite of today's score, and 0.5 where today's is neutral."""
    return -sentiment(text) or 0.5


def ingest(settings: Settings, events: list[dict]) -> None:
    key = bearer(make_key(settings.database_url, "feedback-relay", Scope.INGEST))
    with TestClient(create_app(settings)) as client:
        response = client.post("/v1/events", json={"events": events}, headers=key)
        assert response.status_code == 200, response.text


def stored(database_url: str) -> dict[str, list[tuple]]:
    """Facts and rollups without their surrogate ids, in one order."""
    found = {}
    for model in (ResponseFact, DailyRollup, MonthlyRollup):
        rows = fetch_all(database_url, select(model))
        found[model.__tablename__] = sorted(
            (
                tuple(v for k, v in r.model_dump().items() if k not in {"id", "source_at"})
                for r in rows
            ),
            key=repr,
        )
    return found


def same(a: dict[str, list[tuple]], b: dict[str, list[tuple]]) -> bool:
    """Equal, floats within what adding and taking back a score can leave."""

    def equal(x: object, y: object) -> bool:
        if isinstance(x, float) and isinstance(y, float):
            return math.isclose(x, y, abs_tol=1e-9)
        return x == y

    return a.keys() == b.keys() and all(
        len(a[t]) == len(b[t])
        and all(
            len(r) == len(s) and all(equal(x, y) for x, y in zip(r, s, strict=True))
            for r, s in zip(a[t], b[t], strict=True)
        )
        for t in a
    )


@pytest.fixture
def other_database(
    database_factory_for: Callable[[str, Path], DatabaseFactory],
) -> Callable[[], str]:
    factory = database_factory_for("metrics", MIGRATIONS)
    urls: list[str] = []

    def new() -> str:
        urls.append(factory.new_url())
        return urls[-1]

    yield new
    for url in urls:
        factory.release(url)


def test_rescoring_brings_facts_and_rollups_to_a_fresh_ingest(
    ev, settings, other_database, monkeypatch
):
    comments = [
        "Lovely and quick, the courier was so friendly",
        "Arrived two days late and the box was soaked",
        "Still waiting for my refund",
        "The parcel came on Tuesday",
        "Why is there no tracking link?",
    ]
    events = [
        ev.response(f"r{i}", nps=i % 11, comment=text, days_ago=i * 12 % 70, segment="gold")
        for i, text in enumerate(comments * 3)
    ] + [
        ev.response("flagged", nps=0, comment="Terrible, awful", flags=["too_fast"]),
        ev.response("plain", nps=9),
        ev.response("relationship", touchpoint_id=None, nps=3, comment="Never again"),
    ]
    fresh = settings.model_copy(update={"database_url": other_database()})
    ingest(fresh, events)
    expected = stored(fresh.database_url)

    with monkeypatch.context() as old:
        old.setattr(values, "sentiment", old_scorer)
        old.setattr(values, "sentiment_version", lambda: "old")
        ingest(settings, events)
    before = stored(settings.database_url)
    assert not same(before, expected)  # the old scorer's rollups differ

    app = create_app(settings)
    with capture_logs() as logs, TestClient(app):
        pass
    [warning] = [e for e in logs if e["event"] == "sentiment.stale"]
    assert warning["comments"] == 17 and warning["version"] == sentiment_version()

    url = settings.database_url
    check = run_command("metrics", url, "rescore-sentiment", "--check")
    assert check.returncode == 1 and check.stdout.startswith("17 stored comments"), check.stdout
    first = run_command("metrics", url, "rescore-sentiment", "--batch", "4")
    assert first.returncode == 0, first.stderr
    assert "17 stored comments scored again" in first.stdout, first.stdout
    after = stored(url)
    assert same(after, expected)
    assert {f.sentiment_version for f in fetch_all(url, select(ResponseFact)) if f.comment} == {
        sentiment_version()
    }

    again = run_command("metrics", url, "rescore-sentiment")
    assert "0 stored comments scored again, 0 changed" in again.stdout, again.stdout
    assert stored(url) == after
    assert run_command("metrics", url, "rescore-sentiment", "--check").returncode == 0
