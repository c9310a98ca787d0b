"""The gateway's migrations build exactly its models."""

import gateway.models
from cxshared.testing.schema import schema_differences


def test_the_migrations_build_exactly_the_models(stack):
    models = [getattr(gateway.models, name) for name in gateway.models.__all__]
    assert schema_differences(stack.settings.database_url, models) == []
