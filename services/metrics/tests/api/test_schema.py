"""Metrics's migrations build exactly its models, and keep the rows they move past."""

from sqlalchemy import text

import metrics.models
from cxshared.db import make_engine
from cxshared.migrations import upgrade
from cxshared.testing.schema import schema_differences
from metrics.config import MIGRATIONS


def test_the_migrations_build_exactly_the_models(database_url):
    models = [getattr(metrics.models, name) for name in metrics.models.__all__]
    assert schema_differences(database_url, models) == []


def test_moving_to_incidents_keeps_every_alert_row_and_resolves_the_live_ones(tmp_path):
    url = f"sqlite:///{tmp_path / 'metrics.db'}"
    upgrade(MIGRATIONS, url, "5c1e7d2a9b40")  # the last revision before incidents
    engine = make_engine(url, pool_size=1)
    now = "2026-11-30 08:00:00.000000+00:00"
    columns = (
        "id, version, created_at, updated_at, updated_by, touchpoint_id, metric, rule, status, "
        "live_key, touchpoint_name, journey_id, owner_name, opened_at, note, evidence, "
        "response_ids, last_evaluated_at"
    )
    try:
        with engine.begin() as connection:
            for id_, status, live_key in (
                ("a-live", "acknowledged", "tp-1:nps:degradation"),
                ("a-done", "resolved", None),
            ):
                connection.execute(
                    text(
                        f"INSERT INTO alert ({columns}) VALUES (:id, 1, :now, :now, 'metrics', "
                        "'tp-1', 'nps', 'degradation', :status, :live_key, 'Courier', 'j-1', '', "
                        ":now, '', '{}', '[]', :now)"
                    ),
                    {"id": id_, "now": now, "status": status, "live_key": live_key},
                )
        upgrade(MIGRATIONS, url)
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, status, live_key, resolved_at FROM alert ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("a-done", "resolved", None),
        ("a-live", "resolved", None),
    ]
    assert rows[1][3] is not None  # resolved when it was last evaluated
