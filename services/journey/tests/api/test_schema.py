"""Migrations are the only way the schema changes, and the service knows where it stands."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

import journey.models
from cxshared.db import write_session
from cxshared.schema_level import SchemaMismatch
from cxshared.testing.schema import schema_differences
from journey.config import Settings
from journey.main import create_app


def test_the_migrations_build_exactly_the_models(database_url):
    models = [getattr(journey.models, name) for name in journey.models.__all__]
    assert schema_differences(database_url, models) == []


def test_a_service_refuses_to_start_on_an_unmigrated_database(tmp_path):
    app = create_app(
        Settings(database_url=f"sqlite:///{tmp_path}/empty.db", relay_in_process=False)
    )
    with pytest.raises(SchemaMismatch, match="migrate"), TestClient(app):
        pass


def test_readyz_says_when_the_schema_is_unknown(api):
    assert api.client.get("/readyz").status_code == 200
    engine = api.client.app.state.engine
    with write_session(engine) as session:
        session.execute(text("UPDATE alembic_version SET version_num = 'from_the_future'"))
    response = api.client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "from_the_future" in response.json()["detail"]
