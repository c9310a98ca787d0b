"""Does a service's migration history build exactly its models?"""

from collections.abc import Iterable
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from cxshared.db import make_engine


def schema_differences(database_url: str, models: Iterable[type[SQLModel]]) -> list[Any]:
    """Differences between the migrated database and `models` (empty when they agree).

    Every service's tables share SQLModel's metadata in a process that imports several
    services (the test suite), so the comparison is limited to this service's tables.
    """
    names = {str(model.__tablename__) for model in models}

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        table_name = name if type_ == "table" else getattr(table, "name", None)
        return table_name in names or (type_ == "table" and name == "alembic_version")

    engine = make_engine(database_url, pool_size=1)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"include_object": include})
            return [
                d
                for d in compare_metadata(context, SQLModel.metadata)
                if not (d[0] == "remove_table" and d[1].name == "alembic_version")
            ]
    finally:
        engine.dispose()
