"""pytest plugin: `database_factory_for` gives each service suite fresh migrated databases."""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cxshared.testing.databases import DatabaseFactory
from cxshared.testing.processes import LiveServices


@pytest.fixture(scope="session")
def database_factory_for(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str, Path], DatabaseFactory]]:
    factories: dict[str, DatabaseFactory] = {}
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    workdir = tmp_path_factory.mktemp("databases")

    def get(service: str, script_location: Path) -> DatabaseFactory:
        if service not in factories:
            factories[service] = DatabaseFactory(
                service=service, script_location=script_location, workdir=workdir, worker=worker
            )
        return factories[service]

    yield get
    for factory in factories.values():
        factory.close()


@pytest.fixture
def live_services(tmp_path: Path) -> Iterator[LiveServices]:
    """Starts real service processes (`live_services.start("metrics", env=...)`) and stops
    them when the test ends."""
    services = LiveServices(tmp_path)
    yield services
    services.stop_all()
