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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest first: the modules that start their own servers (an xdist group), then those
    marked long, then those marked slow, each module kept whole; so two workers finish together
    instead of one starting a long module while the other has nothing left."""
    weights: dict[str, int] = {}
    for item in items:
        module = item.nodeid.split("::", 1)[0]
        weight = next(
            (rank for rank, mark in enumerate(_LONGEST_FIRST) if item.get_closest_marker(mark)),
            len(_LONGEST_FIRST),
        )
        weights[module] = min(weight, weights.get(module, weight))
    items.sort(key=lambda item: weights[item.nodeid.split("::", 1)[0]])


_LONGEST_FIRST = ("xdist_group", "long", "slow")
