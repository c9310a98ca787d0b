"""Metrics's migrations build exactly its models."""

import metrics.models
from cxshared.testing.schema import schema_differences


def test_the_migrations_build_exactly_the_models(database_url):
    models = [getattr(metrics.models, name) for name in metrics.models.__all__]
    assert schema_differences(database_url, models) == []
